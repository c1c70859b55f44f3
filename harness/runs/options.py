"""How to run: where data and results live, and what to limit or override (checked as it is made)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.data.location import DATA_DIR_ENV
from harness.errors import HarnessError

SPLITS = ("dev", "test", "train")


SPLIT_ENV = "PSYCHE_CPSYEXAM_SPLIT"


MAX_COUNT = 10_000_000  # beyond any benchmark's size: a larger --limit is a typo


@dataclass(frozen=True)
class RunOptions:
    """How to run: where data and results live, and what to limit or override."""

    data_dir: str | None = None
    output_dir: Path = Path("results")
    limit: int | None = None
    use_cache: bool = True
    split: str | None = None
    answer_key: str | None = None
    max_new_tokens: int | None = None
    sample: int | None = None  # PsyDT: size of the fixed-seed sample (task default 200)
    judges: tuple[str, ...] = ()  # judge models for judge-scored tasks (default: the task's)
    models_files: tuple[Path, ...] | None = None  # where judge names are looked up
    include_paths: tuple[Path, ...] = ()  # task folders beyond the built-in ones (--include-path)
    subset: str | None = None  # challenging / non-challenging (harness.tasks.subsets), with `labels`
    labels: Path | None = None

    def __post_init__(self) -> None:
        for name, value in (
            ("--limit", self.limit),
            ("--max-new-tokens", self.max_new_tokens),
            ("--sample", self.sample),
        ):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_COUNT
            ):
                raise HarnessError(f"{name} must be a whole number from 1 to {MAX_COUNT:,}, got {value!r}")
        if self.split is not None and self.split not in SPLITS:
            raise HarnessError(f"--split {self.split!r}: use one of {', '.join(SPLITS)}")
        if (self.subset is None) != (self.labels is None):
            raise HarnessError("--subset and --labels go together: --subset challenging --labels DIR")
        env = os.environ.get(SPLIT_ENV)
        if self.split is None and env is not None and env not in SPLITS:
            raise HarnessError(f"{SPLIT_ENV}={env!r}: use one of {', '.join(SPLITS)}")

    @property
    def chosen_split(self) -> str:
        """The split that tasks reading the run's split (CPsyExam) load and record (one decision,
        made here)."""
        return self.split or os.environ.get(SPLIT_ENV) or "dev"

    @property
    def data_path(self) -> str | None:
        """The data directory as an absolute path (None: PSYCHE_DATA_DIR or a fetch decides)."""
        chosen = self.data_dir or os.environ.get(DATA_DIR_ENV)
        return str(Path(chosen).expanduser().resolve()) if chosen else None

    def metadata(self) -> dict[str, Any]:
        """What the task files' custom_dataset receives."""
        extra = {
            "data_dir": self.data_dir,
            "split": self.chosen_split,
            "answer_key": self.answer_key,
            "sample_size": self.sample,
        }
        return {key: value for key, value in extra.items() if value is not None}
