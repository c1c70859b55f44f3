"""A value against parameter count (log scale), as the paper's Figure 1 draws PCEB's average."""

from __future__ import annotations

import io
from pathlib import Path

from harness.leaderboard.layout import SizeFigure
from harness.leaderboard.rows import Row

MARKERS = {
    "general": "o",
    "reasoning": "^",
    "closed-source": "s",
    "psychological": "*",
    "embedded": "D",
    "candidate": "P",
}


def size_figure(rows: list[Row], figure: SizeFigure, png: Path | None = None, svg: Path | None = None) -> str:
    """Draw the figure; write PNG/SVG where asked; return the SVG text (for inlining in HTML)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [row for row in rows if row.values.get(figure.value) is not None]
    known = [row.params_b for row in points if row.params_b]
    unknown_x = (max(known) if known else 100.0) * 3
    fig, axis = plt.subplots(figsize=(9, 5.5))
    for category, marker in MARKERS.items():
        members = [row for row in points if row.category == category]
        if not members:
            continue
        xs = [row.params_b or unknown_x for row in members]
        ys = [float(row.values[figure.value] or 0.0) for row in members]
        axis.scatter(xs, ys, marker=marker, s=90 if marker == "*" else 50, label=category)
        for row, x, y in zip(members, xs, ys, strict=True):
            label = row.label if row.is_reference else f"{row.label} (ours)"
            axis.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    axis.set_xscale("log")
    axis.axvline(unknown_x / 1.7, color="#bbbbbb", linestyle=":", linewidth=1)
    axis.text(
        unknown_x, axis.get_ylim()[1], "size unknown", ha="center", va="bottom", fontsize=8, color="#666666"
    )
    axis.set_xlabel("parameters (billions, log scale)")
    axis.set_ylabel(figure.y_label)
    axis.set_title(figure.title)
    axis.legend(fontsize=8, loc="lower center")
    axis.grid(alpha=0.3)
    fig.tight_layout()
    if png:
        fig.savefig(png, dpi=150, metadata={"Software": None})
    buffer = io.StringIO()
    # the same rows give the same bytes: fixed element ids, no creation date
    with matplotlib.rc_context({"svg.hashsalt": "psyche-harness"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    if svg:
        svg.write_text(buffer.getvalue(), encoding="utf-8")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]
