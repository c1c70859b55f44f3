"""A value against parameter count (log scale), as the paper's Figure 1 draws PCEB's average: one
marker per category under the paper's category names, models whose size is not disclosed in a
strip of their own beside the axis (never at an invented size), our runs with their 95% interval
as an error bar, labels placed by adjustText so that none overlaps another or an error bar, markers
that would sit on one another (or on another's error bar) moved apart sideways, ticks at the sizes a
reader reads (1B, 3B, 7B, 14B, 32B, 70B, 235B), the legend below the plot where it covers nothing. Runs that are not ranked (partial, stale, a subset) are left out
unless asked for."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from harness.leaderboard.headers import category_title
from harness.leaderboard.layout import SizeFigure
from harness.leaderboard.rows import CATEGORY_ORDER, Row

MARKERS = {
    "general": "o",
    "reasoning": "^",
    "closed-source": "s",
    "psychological": "*",
    "embedded": "D",
    "candidate": "P",
}
COLOURS = {
    "general": "#1f77b4",
    "reasoning": "#ff7f0e",
    "closed-source": "#2ca02c",
    "psychological": "#d62728",
    "embedded": "#7f7f7f",
    "candidate": "#9467bd",
}


SIZE_TICKS = (0.1, 0.5, 1, 3, 7, 14, 32, 70, 235, 671)  # billions: the sizes models come in
DODGE_DEX = 0.035  # a sideways step, in decades of the log axis
NEAR_DEX, NEAR_SHARE = 0.03, 0.025  # markers this close (log x; share of the y range) would overlap


def figure_rows(rows: list[Row], figure: SizeFigure, include_unranked: bool = False) -> list[Row]:
    """The rows the figure draws: those with the value, and (unless asked) only ranked ones."""
    return [
        row for row in rows if row.values.get(figure.value) is not None and (row.ranked or include_unranked)
    ]


def size_figure(
    rows: list[Row],
    figure: SizeFigure,
    png: Path | None = None,
    svg: Path | None = None,
    include_unranked: bool = False,
) -> str:
    """Draw the figure; write PNG/SVG where asked; return the SVG text (for inlining in HTML)."""
    fig, labels = draw_size_figure(rows, figure, include_unranked)
    import matplotlib
    import matplotlib.pyplot as plt

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


def draw_size_figure(
    rows: list[Row], figure: SizeFigure, include_unranked: bool = False
) -> tuple[Any, list[Any]]:
    """The matplotlib figure and its label texts (tests read their boxes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from adjustText import adjust_text
    from matplotlib.lines import Line2D

    points = figure_rows(rows, figure, include_unranked)
    sized = [row for row in points if row.params_b]
    undisclosed = [row for row in points if not row.params_b]
    fig = plt.figure(figsize=(10, 6.2), layout="constrained")
    if undisclosed:
        axis, strip = fig.subplots(1, 2, sharey=True, width_ratios=[5, 1])
    else:
        axis, strip = fig.subplots(1, 1), None
    labels = _draw(axis, _dodged(sized, figure), figure)
    axis.set_xscale("log")
    _size_ticks(axis, [float(row.params_b or 0) for row in sized])
    axis.set_xlabel("parameters (billions, log scale)")
    axis.set_ylabel(figure.y_label)
    axis.grid(alpha=0.3)
    if strip is not None:
        ordered = sorted(undisclosed, key=lambda row: float(row.values[figure.value] or 0), reverse=True)
        labels += _draw(strip, [(row, float(index)) for index, row in enumerate(ordered)], figure)
        strip.set_xlim(-0.8, len(ordered) - 0.2)
        strip.set_xticks([])
        strip.set_xlabel("size not disclosed")
        strip.grid(alpha=0.3, axis="y")
        strip.tick_params(axis="y", labelleft=False)
    fig.suptitle(figure.title)
    drawn = {row.category for row in points}
    categories = [c for c in dict.fromkeys((*CATEGORY_ORDER, *sorted(drawn))) if c in drawn]
    handles = [
        Line2D(
            [], [], linestyle="", marker=MARKERS.get(c, "o"), color=COLOURS.get(c, "#333333"), markersize=8
        )
        for c in categories
    ]
    fig.legend(
        handles,
        [category_title(c) for c in categories],
        loc="outside lower center",
        ncol=min(len(handles), 6),
        fontsize=8,
        frameon=False,
    )
    fig.canvas.draw()  # the layout fixes the axes' sizes; labels are placed in them after
    for target in (axis, strip):
        own = [text for text in labels if text.axes is target]
        if own:
            # labels keep off the markers and off every point of an error bar
            avoid = [(float(text.xy[0]), float(text.xy[1])) for text in own] + _bar_points(target)
            xs, ys = [x for x, _ in avoid], [y for _, y in avoid]
            adjust_text(own, x=xs, y=ys, ax=target, expand=(1.1, 1.3), ensure_inside_axes=True, iter_lim=500)
    return fig, labels


def _dodged(rows: list[Row], figure: SizeFigure) -> list[tuple[Row, float]]:
    """(row, x) with x moved sideways by DODGE_DEX steps where the marker would sit on another
    marker or on another run's error bar (a 14B model under a 14B star)."""
    values = [float(row.values[figure.value] or 0.0) for row in rows]
    span = (max(values) - min(values)) or 1.0

    def reach(row: Row, y: float) -> tuple[float, float]:
        interval = row.intervals.get(figure.value)
        low, high = (interval[0], interval[1]) if interval and not row.is_reference else (y, y)
        return low - NEAR_SHARE * span, high + NEAR_SHARE * span

    placed: list[tuple[Row, float, float, tuple[float, float]]] = []  # row, log10 x, y, its reach
    for row, y in sorted(
        zip(rows, values, strict=True), key=lambda pair: (float(pair[0].params_b or 0), -pair[1])
    ):
        home = math.log10(float(row.params_b or 1))
        low, high = reach(row, y)
        for step in (0, 1, -1, 2, -2, 3, -3, 4, -4):
            x = home + step * DODGE_DEX
            clash = any(
                abs(x - other_x) < NEAR_DEX and (low <= other_y <= high or other_low <= y <= other_high)
                for _, other_x, other_y, (other_low, other_high) in placed
            )
            if not clash:
                break
        placed.append((row, x, y, (low, high)))
    order = {id(row): n for n, row in enumerate(rows)}
    return [(row, 10**x) for row, x, _, _ in sorted(placed, key=lambda item: order[id(item[0])])]


def _size_ticks(axis: Any, sizes: list[float]) -> None:
    """Ticks at the model sizes in SIZE_TICKS that the data spans, labelled 7B, 14B, ..."""
    from matplotlib.ticker import FixedLocator, NullLocator

    if not sizes:
        return
    shown = [t for t in SIZE_TICKS if min(sizes) / 2 <= t <= max(sizes) * 2]
    axis.xaxis.set_major_locator(FixedLocator(shown))
    axis.xaxis.set_minor_locator(NullLocator())
    axis.set_xticks(shown, [f"{t:g}B" for t in shown])


def _bar_points(axis: Any) -> list[tuple[float, float]]:
    """Points along each error bar drawn in `axis` (ten per bar)."""
    points = []
    for container in axis.containers:
        if container.__class__.__name__ != "ErrorbarContainer":
            continue
        for segments in container.lines[2]:
            for (x0, y0), (x1, y1) in segments.get_segments():
                points += [(x0 + (x1 - x0) * k / 9, y0 + (y1 - y0) * k / 9) for k in range(10)]
    return points


def _draw(axis: Any, placed: list[tuple[Row, float]], figure: SizeFigure) -> list[Any]:
    texts = []
    for row, x in placed:
        y = float(row.values[figure.value] or 0.0)
        category = row.category
        marker, colour = MARKERS.get(category, "o"), COLOURS.get(category, "#333333")
        interval = row.intervals.get(figure.value)
        if interval and not row.is_reference:
            axis.errorbar(
                [x],
                [y],
                yerr=[[y - interval[0]], [interval[1] - y]],
                fmt="none",
                ecolor=colour,
                capsize=3,
                lw=1,
            )
        big = marker == "*"
        axis.scatter(  # the big star under the small markers, so it never hides one
            [x], [y], marker=marker, color=colour, s=110 if big else 50, zorder=2.5 if big else 3, alpha=0.85
        )
        label = row.label if row.is_reference else f"{row.label} (ours)"
        texts.append(axis.annotate(label, (x, y), fontsize=7, ha="center", va="bottom"))
    return texts
