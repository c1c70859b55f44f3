"""What every table format shows the same way: the columns in the paper's order with their header
groups (a column's `group` may have levels, "Zero-shot / Knowledge"), the size cell, the category
section titles and the numbered notes of flagged rows."""

from __future__ import annotations

from dataclasses import dataclass

from harness.leaderboard.layout import Benchmark
from harness.leaderboard.rows import Row

# The paper's section titles for its categories; ours for the harness's own.
CATEGORY_TITLES = {
    "general": "General LLMs",
    "reasoning": "Reasoning-Augmented LLMs",
    "closed-source": "Closed-Source LLMs",
    "psychological": "Psychological LLMs",
    "embedded": "Embedded model (first run)",
    "candidate": "Candidate models",
}


@dataclass(frozen=True)
class Shown:
    """One shown column: a benchmark column or an average, its header and its group levels."""

    key: str
    header: str
    levels: tuple[str, ...]
    is_average: bool = False

    @property
    def flat_header(self) -> str:
        """The header as one line: group levels, then the header ("Zero-shot Knowledge SMCQ")."""
        return " ".join([*self.levels, self.header]).strip()


def shown_columns(bench: Benchmark) -> list[Shown]:
    """The columns in the paper's order: the averages follow the column the layout names."""
    columns = [
        Shown(c.key, c.header, tuple(level.strip() for level in c.group.split("/") if level.strip()))
        for c in bench.columns
    ]
    cut = [column.key for column in columns].index(bench.averages_after) + 1
    averages = [Shown(a.key, a.header, (), is_average=True) for a in bench.averages]
    return columns[:cut] + averages + columns[cut:]


def header_levels(columns: list[Shown]) -> list[list[tuple[str, int, int]]]:
    """Grouped header rows above the headers: per level, (text, first column, span) runs of equal
    groups (levels padded so every column has as many); empty text where a column has none."""
    depth = max((len(column.levels) for column in columns), default=0)
    rows = []
    for level in range(depth):
        runs: list[tuple[str, int, int]] = []
        for index, column in enumerate(columns):
            path = _path(column, level)
            text = column.levels[level] if path else ""
            if runs and path and runs[-1][0] == text and _path(columns[runs[-1][1]], level) == path:
                runs[-1] = (text, runs[-1][1], runs[-1][2] + 1)
            else:
                runs.append((text, index, 1))
        rows.append(runs)
    return rows


def _path(column: Shown, level: int) -> tuple[str, ...] | None:
    return column.levels[: level + 1] if len(column.levels) > level else None


def params_text(row: Row) -> str:
    return "UNK" if row.params_b is None else f"{row.params_b:g}B"


def category_title(category: str) -> str:
    return CATEGORY_TITLES.get(category, category.replace("-", " ").capitalize())


def numbered_notes(rows: list[Row]) -> tuple[list[list[int]], list[tuple[int, str]]]:
    """For each row the numbers of its notes, and every note as (number, "label: note")."""
    marks: list[list[int]] = []
    notes: list[tuple[int, str]] = []
    for row in rows:
        marks.append([])
        for note in row.notes:
            notes.append((len(notes) + 1, f"{row.label}: {note}"))
            marks[-1].append(len(notes))
    return marks, notes
