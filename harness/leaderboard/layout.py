"""A benchmark's leaderboard layout, as its task file declares it under `metadata.leaderboard`:
column groups, which (task, metric) each column shows, the averages the harness computes (never
transcribed) and the paper's reference table beside the file. Headers default to the metric's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import HarnessError, describe_validation_error
from harness.scoring.metric_registry import MetricSpec
from harness.tasks.index import TaskEntry, TaskIndex

LAYOUT_KEY = "leaderboard"


@dataclass(frozen=True)
class Column:
    key: str  # also the reference CSV's column name
    header: str
    group: str
    task: str
    metric: str
    spec: MetricSpec | None  # None for a judge dimension (its interval is stored with the run)
    has_protocol: bool = False  # the task has a benchmark protocol block beside its strict metrics


@dataclass(frozen=True)
class Average:
    key: str
    header: str
    parts: tuple[str, ...]  # column keys
    weighted: bool  # micro average weighted by item counts, else unweighted mean
    printed: str | None  # the reference CSV column holding the paper's printed value (checked, not trusted)
    beside: str | None = None  # LaTeX prints it in parentheses after this average: "51.75 (57.01)"


@dataclass(frozen=True)
class SizeFigure:
    """A scatter of one value against parameter count (the paper's Figure 1)."""

    file_stem: str
    value: str  # a column or average key
    title: str
    y_label: str


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    file_stem: str
    columns: tuple[Column, ...]
    averages: tuple[Average, ...]
    averages_after: str  # the column key the averages follow in printed tables
    reference_file: Path | None
    reference_sizes: dict[str, int]  # item counts of the paper's columns (to weigh micro averages)
    split_matters: bool  # paper numbers are on one split (CPsyExam: test)
    interval_digits: int
    figure: SizeFigure | None


class _ColumnConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    task: str
    metric: str
    group: str = ""
    header: str | None = None


class _AverageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    header: str
    parts: list[str] = Field(min_length=1)
    weighting: Literal["macro", "micro"]
    printed: str | None = None
    beside: str | None = None


class _FigureConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_stem: str
    value: str
    title: str
    y_label: str


class _LayoutConfig(BaseModel):
    """`metadata.leaderboard` of a task or group file (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid")

    title: str
    file_stem: str
    columns: list[_ColumnConfig] = Field(min_length=1)
    averages: list[_AverageConfig] = []
    averages_after: str | None = None
    reference: str | None = None  # a CSV beside the task file: model,param,category,<column keys>,source
    reference_sizes: dict[str, int] = {}
    split_matters: bool = False
    interval_digits: int = 1
    figure: _FigureConfig | None = None

    @model_validator(mode="after")
    def _keys_exist(self) -> _LayoutConfig:
        columns = [column.key for column in self.columns]
        known = set(columns) | {average.key for average in self.averages}
        for average in self.averages:
            unknown = [part for part in average.parts if part not in columns]
            if unknown:
                raise ValueError(f"average {average.key!r} names unknown column(s) {', '.join(unknown)}")
        averages = [average.key for average in self.averages]
        for average in self.averages:
            if average.beside is not None and average.beside not in averages:
                raise ValueError(f"average {average.key!r}: beside names unknown average {average.beside!r}")
        if self.averages_after is not None and self.averages_after not in columns:
            raise ValueError(f"averages_after names unknown column {self.averages_after!r}")
        if self.figure is not None and self.figure.value not in known:
            raise ValueError(f"figure.value names unknown column {self.figure.value!r}")
        return self


def benchmarks(index: TaskIndex) -> dict[str, Benchmark]:
    """Every benchmark with a leaderboard layout, by its task or group name."""
    return {entry.name: _benchmark(entry, index) for entry in index.with_metadata(LAYOUT_KEY)}


def benchmark(index: TaskIndex, name: str) -> Benchmark:
    found = benchmarks(index)
    if name not in found:
        raise HarnessError(f"unknown benchmark {name!r}: use {', '.join(found)} or all")
    return found[name]


def _benchmark(entry: TaskEntry, index: TaskIndex) -> Benchmark:
    where = f"{entry.path}: metadata.{LAYOUT_KEY}"
    try:
        config = _LayoutConfig.model_validate(entry.metadata[LAYOUT_KEY])
    except ValidationError as error:
        raise HarnessError(f"{where}: {describe_validation_error(error)}") from None
    columns = tuple(_column(column, index, where) for column in config.columns)
    return Benchmark(
        name=entry.name,
        title=config.title,
        file_stem=config.file_stem,
        columns=columns,
        averages=tuple(
            Average(a.key, a.header, tuple(a.parts), a.weighting == "micro", a.printed, a.beside)
            for a in config.averages
        ),
        averages_after=config.averages_after or columns[-1].key,
        reference_file=entry.path.parent / config.reference if config.reference else None,
        reference_sizes=dict(config.reference_sizes),
        split_matters=config.split_matters,
        interval_digits=config.interval_digits,
        figure=SizeFigure(**config.figure.model_dump()) if config.figure else None,
    )


def _column(config: _ColumnConfig, index: TaskIndex, where: str) -> Column:
    if config.task not in index.entries:
        raise HarnessError(f"{where}: column {config.key!r} names unknown task {config.task!r}")
    task = index.entries[config.task]
    if config.metric in task.metrics:
        spec = index.registry[config.metric]
        header = config.header or spec.header
        protocol = bool(task.metadata.get("benchmark_protocol"))
        return Column(config.key, header, config.group, config.task, config.metric, spec, protocol)
    dimensions = {d.get("key"): d for d in (task.metadata.get("judge") or {}).get("dimensions", [])}
    if config.metric in dimensions:
        header = config.header or str(dimensions[config.metric].get("name", config.metric))
        return Column(config.key, header, config.group, config.task, config.metric, None)
    raise HarnessError(
        f"{where}: column {config.key!r}: task {config.task} reports no metric {config.metric!r} "
        f"(it reports {', '.join(task.metrics) or 'judge dimensions only'})"
    )
