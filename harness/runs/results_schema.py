"""results.json as a pydantic model: what a run folder's results file holds, checked when it is
written and when it is read. Its JSON Schema is exported to schemas/results.schema.json (`harness
schema` prints it); files of schema versions 1 and 2 are read by upgrading them to this one.

Per task, each metric the task reports (`metrics`) stands at the top level under its name, in the
unit its declaration reports (harness/scoring/metric_registry.py): accuracies in percent."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

from harness.errors import HarnessError, describe_validation_error
from harness.scoring.metric_registry import BUILTIN_METRICS

SCHEMA_VERSION = 3
READABLE_SCHEMAS = (1, 2, 3)


class _TaskRecord(BaseModel):
    """What every task entry records: coverage and where its numbers come from."""

    model_config = ConfigDict(extra="allow")

    n_expected: int = Field(description="docs the task has (before --limit)")
    n: int = Field(description="docs run")
    n_scored: int
    n_failed: int = 0
    n_missing: int = 0
    complete: bool = Field(description="every doc run and scored, no limit: the only results that rank")
    version: str | None = Field(None, description="the task file's version")
    n_shot: int | None = Field(None, description="exemplars shown before each question")
    prompt_hash: str | None = None
    docs_hash: str | None = Field(None, description="hash of every doc, gold answers included")
    data_files: dict[str, str] = Field(default_factory=dict, description="sha256 of each data file read")
    split: str | None = None
    limit: int | None = None
    subset: dict[str, str] | None = Field(
        None,
        description="the labelled subset the items were restricted to: name, labels folder, labels sha256",
    )
    finished_at: str | None = None
    provenance: dict[str, Any] = Field(default_factory=dict)


class BenchmarkBlock(BaseModel):
    """A task scored by its benchmark's own protocol (harness/scoring/protocols.py): accuracy over answered
    items, in percent, beside the strict metrics."""

    model_config = ConfigDict(extra="forbid")

    protocol: str
    acc: float | None
    acc_elastic: float | None
    n_answered: int
    n_unanswered: int
    n_without_response: int = Field(
        0, description="items whose request failed or was never made: answered and wrong, never unanswered"
    )
    exact: dict[str, tuple[int, int]] = Field(default_factory=dict)
    by_subject: dict[str, tuple[int, int]] | None = Field(None, description="[right, answered] per subject")
    n_repeated_ids: int | None = None
    official: dict[str, Any] | None = Field(None, description="CPsyExam's evaluate_submission.py numbers")

    def value(self, metric: str) -> Any:
        """A protocol metric's value (acc, acc_elastic), or None."""
        return getattr(self, metric, None) if metric in type(self).model_fields else None


class ScoredTask(_TaskRecord):
    """A task scored by answer extraction and metrics; each reported metric is a top-level number."""

    metrics: list[str] = Field(description="the metrics reported, each a top-level key")
    exact: dict[str, tuple[int, int]] = Field(
        default_factory=dict, description="exact metrics as [numerator, denominator] of a fraction"
    )
    scoring: dict[str, str] = Field(default_factory=dict, description="extractor and metric versions")
    benchmark: BenchmarkBlock | None = Field(
        None, description="the benchmark's own protocol, where it has one"
    )

    def value(self, metric: str) -> Any:
        """A reported metric's value (a top-level number, or None)."""
        return (self.model_extra or {}).get(metric)

    @model_validator(mode="after")
    def _metrics_are_numbers(self) -> ScoredTask:
        extra = self.model_extra or {}
        for name in self.metrics:
            value = extra.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ValueError(f"metric {name!r} should be a number or null, got {value!r}")
        return self


class JudgedTask(_TaskRecord):
    """A task scored by LLM judges: each dimension's mean and interval, per judge, and agreement."""

    dimensions: list[str]
    judge: str
    aggregate: str
    n_judged: int
    judge_failures: dict[str, int] = Field(default_factory=dict)

    def value(self, key: str) -> Any:
        """A dimension's mean, its `_ci95` interval, or another summary field (by_judge, agreement)."""
        return (self.model_extra or {}).get(key)

    def to_summary(self) -> dict[str, Any]:
        """The entry as results.json holds it (a judge's summary, as `by_judge` holds each)."""
        summary: dict[str, Any] = self.model_dump(mode="json", exclude_unset=True)
        return summary


def _task_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "judged" if "dimensions" in value else "scored"
    return "judged" if isinstance(value, JudgedTask) else "scored"


TaskRecord = ScoredTask | JudgedTask

TaskEntry = Annotated[
    Annotated[ScoredTask, Tag("scored")] | Annotated[JudgedTask, Tag("judged")], Discriminator(_task_kind)
]


class GroupResult(BaseModel):
    """A group's aggregates: present only when every subtask is complete."""

    model_config = ConfigDict(extra="allow")

    subtasks: list[str]
    n: int = 0
    complete: bool = False
    incomplete: list[str] = Field(default_factory=list)

    def value(self, key: str) -> Any:
        """An aggregate's value (a metric, its weighting, the benchmark block), or None."""
        return (self.model_extra or {}).get(key)


class ResultsFile(BaseModel):
    """results.json of a run folder."""

    model_config = ConfigDict(extra="forbid", title="psyche-harness results.json")

    schema_version: Literal[3]
    upgraded_from: int | None = Field(None, description="the schema version of the file as read")
    spec_hash: str | None = Field(description="the run's name: a hash of spec.json")
    spec: dict[str, Any] = Field(description="what was frozen: model, decoding, data selection, protocol")
    model: dict[str, Any] = Field(description="the models.yaml entry, secrets redacted")
    backend: dict[str, Any] | None = None
    judges: dict[str, Any] | None = None
    generation: dict[str, Any] = Field(default_factory=dict)
    tasks: dict[str, TaskEntry]
    groups: dict[str, GroupResult] = Field(default_factory=dict)
    provenance: dict[str, Any] = Field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None
    timings: dict[str, float] | None = Field(
        None,
        description="seconds spent by the command that last wrote this file, per phase: setup (tasks, "
        "prompts, backend), generation, judging, scoring, writing (samples and submission files)",
    )

    def scored(self) -> dict[str, ScoredTask]:
        """The tasks scored by extraction and metrics."""
        return {name: task for name, task in self.tasks.items() if isinstance(task, ScoredTask)}

    def judged(self) -> dict[str, JudgedTask]:
        """The tasks scored by LLM judges."""
        return {name: task for name, task in self.tasks.items() if isinstance(task, JudgedTask)}

    def to_json(self) -> dict[str, Any]:
        """The file's JSON data: every field that was set (as built or as read), nothing added."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude_unset=True)
        return data


def validate_results(data: Any, where: str) -> dict[str, Any]:
    """A results mapping checked against the schema (older versions upgraded first); returns it as
    plain JSON data. A HarnessError names the file and the first problem."""
    parse_results(data, where)
    return upgrade(data)


def parse_results(data: Any, where: str) -> ResultsFile:
    """A results mapping read into the model (older versions upgraded first). A HarnessError names
    the file and the first problem."""
    if not isinstance(data, dict) or data.get("schema_version") not in READABLE_SCHEMAS:
        versions = " or ".join(map(str, READABLE_SCHEMAS))
        raise HarnessError(f"{where}: not a psyche-harness results file (schema_version {versions})")
    for section in ("tasks", "groups"):
        value = data.get(section, {})
        if not isinstance(value, dict) or not all(isinstance(entry, dict) for entry in value.values()):
            raise HarnessError(f"{where}: '{section}' should map names to objects; the file is damaged")
    try:
        return ResultsFile.model_validate(upgrade(data))
    except ValidationError as error:
        raise HarnessError(f"{where}: {describe_validation_error(error)}; the file is damaged") from None


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A version 1 or 2 results mapping in this version's shape (unknown provenance left null)."""
    version = data["schema_version"]
    if version == SCHEMA_VERSION:
        return data
    known = [spec.name for spec in BUILTIN_METRICS]
    tasks = {}
    for name, task in data.get("tasks", {}).items():
        entry = dict(task)
        n = int(entry.get("n", 0))
        entry.setdefault("n_expected", n)
        entry.setdefault("n_failed", 0)
        entry.setdefault("n_missing", 0)
        entry.setdefault("n_scored", n - entry["n_failed"] - entry["n_missing"])
        entry.setdefault("complete", not entry["n_failed"] and not entry.get("limit"))
        if "dimensions" not in entry:
            entry.setdefault("metrics", [metric for metric in known if metric in entry])
        tasks[name] = entry
    groups = {
        name: {"subtasks": [], **group, "complete": group.get("complete", all(
            tasks.get(sub, {}).get("complete", False) for sub in group.get("subtasks", [])
        ))}
        for name, group in data.get("groups", {}).items()
    }  # fmt: skip
    return {
        "spec_hash": None,
        "spec": {},
        "model": {},
        **data,
        "schema_version": SCHEMA_VERSION,
        "upgraded_from": version,
        "tasks": tasks,
        "groups": groups,
    }


def json_schema() -> str:
    """The JSON Schema of results.json, as exported to schemas/results.schema.json."""
    return json.dumps(ResultsFile.model_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
