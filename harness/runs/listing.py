"""What the run folders under a results directory hold, one line per run (`harness runs`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.runs.results import find_runs, read_results_file
from harness.runs.results_schema import ScoredTask, TaskRecord
from harness.scoring.scorers import SCORING_VERSIONS


@dataclass(frozen=True)
class RunSummary:
    model: str
    name: str  # the spec hash (or the folder name of a first-layout run)
    tasks: str
    split: str
    limit: str
    coverage: str  # "complete" or what is missing
    scoring: str  # "current" or the versions it was scored under
    finished: str


def stale_scoring(task: TaskRecord) -> str | None:
    """The scoring versions a task was scored under when they are not the current ones (judge-scored
    tasks carry none and are never stale)."""
    if not isinstance(task, ScoredTask) or task.scoring == SCORING_VERSIONS:
        return None
    if not task.scoring:
        return "unversioned"
    return ", ".join(f"{key} v{value}" for key, value in sorted(task.scoring.items()))


def list_runs(results_dir: Path) -> list[RunSummary]:
    """Every run under results_dir, sorted by model then date."""
    summaries = []
    for folder in find_runs(results_dir):
        results = read_results_file(folder / "results.json")
        tasks = results.tasks  # every task has its coverage (older files are upgraded on reading)
        incomplete = [name for name, task in tasks.items() if not task.complete]
        stale = sorted({version for task in tasks.values() if (version := stale_scoring(task))})
        spec = results.spec
        splits = sorted({task.split or "" for task in tasks.values()})
        summaries.append(
            RunSummary(
                model=str(results.model.get("name", folder.parent.name)),
                name=folder.name,
                tasks=f"{len(tasks)}: " + ", ".join(sorted(tasks)[:4]) + (" ..." if len(tasks) > 4 else ""),
                split="/".join(splits),
                limit=str(spec.get("limit") or ""),
                coverage="complete" if not incomplete else f"incomplete: {', '.join(sorted(incomplete)[:3])}",
                scoring="current" if not stale else "re-score: " + "; ".join(stale),
                finished=(results.finished_at or "")[:19],
            )
        )
    return sorted(summaries, key=lambda run: (run.model, run.finished))
