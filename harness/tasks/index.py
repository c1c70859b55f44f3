"""The task files, indexed without lm-eval: names, groups, scorer, version, metrics and metadata,
read straight from the YAML (with `include:` templates) in a few milliseconds; a module a file
names as its scorer is imported (as lm-eval imports it). Listing tasks, finding a benchmark's
leaderboard layout or a metric's declaration needs no data and no network.

lm-eval's TaskManager indexes the same files when a task is loaded to run (harness/tasks/catalog.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from harness.errors import HarnessError, describe_validation_error, did_you_mean
from harness.resources import builtin_tasks_dir
from harness.scoring.metric_registry import MetricRegistry, MetricSpec, declared_metric

if TYPE_CHECKING:
    from harness.scoring.scorers import Scorer


class FunctionTag(str):
    """lm-eval's `!function module.name` tag, as its text, remembering the folder of the file that
    wrote it (lm-eval imports the module from there)."""

    folder: Path

    def __new__(cls, reference: str, folder: Path) -> FunctionTag:
        tag = super().__new__(cls, f"!function {reference}")
        tag.folder = folder
        return tag

    @property
    def reference(self) -> str:
        return self.removeprefix("!function ")


class _TaskFileLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A YAML loader (libyaml's where PyYAML has it) that reads lm-eval's `!function module.name`
    tags as FunctionTags of the file it reads."""

    task_file: Path


def _function_tag(loader: _TaskFileLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return FunctionTag(str(loader.construct_scalar(node)), loader.task_file.parent)


_TaskFileLoader.add_constructor("!function", _function_tag)


@dataclass(frozen=True)
class TaskEntry:
    """One task or group as its file declares it (includes resolved)."""

    name: str
    path: Path
    is_group: bool
    subtasks: tuple[str, ...] = ()
    scorer: str = ""  # the scorer's name ("judge" for judge-scored tasks)
    version: str = "0"
    metrics: tuple[str, ...] = ()  # the metric_list names, in order
    metadata: Mapping[str, Any] = field(default_factory=dict)
    config_hash: str = ""  # of the resolved config: changes when the file or a template does
    config: Mapping[str, Any] = field(default_factory=dict, repr=False)  # resolved, includes merged
    # the scorer object (harness/tasks/task_scorer.py), None for judge-scored tasks and groups
    scoring: Scorer | None = field(default=None, repr=False)

    @property
    def aggregates(self) -> tuple[tuple[str, bool], ...]:
        """A group's aggregate_metric_list as (metric, weight_by_size), lm-eval's default True."""
        return tuple(
            (str(item["metric"]), bool(item.get("weight_by_size", True)))
            for item in self.config.get("aggregate_metric_list") or []
        )


@dataclass(frozen=True)
class TaskIndex:
    """Every task and group under the task folders, and the metrics they may report."""

    entries: Mapping[str, TaskEntry]
    registry: MetricRegistry
    folders: tuple[Path, ...]

    def leaves(self, name: str) -> list[TaskEntry]:
        """The leaf tasks of a task or group name (groups expand recursively, in file order)."""
        entry = self.entry(name)
        if not entry.is_group:
            return [entry]
        return [leaf for sub in entry.subtasks for leaf in self.leaves(sub)]

    def entry(self, name: str) -> TaskEntry:
        if name not in self.entries:
            raise HarnessError(
                f"unknown task {name!r}{did_you_mean(name, self.entries)}: available are {', '.join(sorted(self.entries))}"
            )
        return self.entries[name]

    def metrics_of(self, name: str) -> list[MetricSpec]:
        """The declared metrics a leaf task reports (judge dimensions are the rubric's)."""
        return [self.registry[metric] for metric in self.entry(name).metrics]

    def with_metadata(self, key: str) -> list[TaskEntry]:
        """Entries whose metadata has `key` (e.g. a leaderboard layout), in name order."""
        return [entry for _, entry in sorted(self.entries.items()) if key in entry.metadata]


def task_folders(include_paths: Sequence[Path | str] = ()) -> tuple[Path, ...]:
    """The built-in task folder, then each --include-path folder (which must exist)."""
    folders = [builtin_tasks_dir()]
    for raw in include_paths:
        path = Path(raw).expanduser().resolve()
        if not path.is_dir():
            raise HarnessError(f"--include-path {raw}: no such folder")
        folders.append(path)
    return tuple(dict.fromkeys(folders))


def index_tasks(include_paths: Sequence[Path | str] = ()) -> TaskIndex:
    """Index every *.yaml under the task folders. A name defined twice, a broken file or an unknown
    metric stops with one line naming the file."""
    folders = task_folders(include_paths)
    entries: dict[str, TaskEntry] = {}
    declared: list[tuple[str, MetricSpec]] = []
    for folder in folders:
        for path in sorted(folder.rglob("*.yaml")):
            config = _resolved(path, ())
            for entry in _entries(path, config):
                if entry.name in entries:
                    raise HarnessError(
                        f"{path}: task {entry.name!r} is already defined in {entries[entry.name].path}"
                    )
                entries[entry.name] = entry
            declared += [(str(path), spec) for spec in _declared_metrics(path, config)]
    registry = MetricRegistry.with_declared(declared)
    for entry in entries.values():
        for metric in entry.metrics:
            if metric not in registry:
                raise HarnessError(
                    f"{entry.path}: metric {metric!r} is not declared (known: {', '.join(registry.metrics)}); "
                    "declare it under metadata.metrics"
                )
        for sub in entry.subtasks:
            if sub not in entries:
                raise HarnessError(f"{entry.path}: group {entry.name!r} names unknown task {sub!r}")
    from harness.scoring.scorers import JUDGE
    from harness.tasks.task_scorer import scorer_of

    for name, entry in entries.items():
        if not entry.is_group:
            scoring = scorer_of(entry)
            entries[name] = replace(entry, scorer=scoring.name if scoring else JUDGE, scoring=scoring)
    return TaskIndex(entries, registry, folders)


def _resolved(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """A task file's config with its `include:` template merged underneath (as lm-eval does)."""
    if path in seen:
        raise HarnessError(f"{path}: include cycle through {', '.join(str(p) for p in seen)}")
    try:
        loader = _TaskFileLoader(path.read_text(encoding="utf-8"))
        loader.task_file = path
        try:
            config = loader.get_single_data()
        finally:
            loader.dispose()
    except OSError as error:
        raise HarnessError(f"{path}: cannot read the task file ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise HarnessError(f"{path}: invalid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(config, dict):
        raise HarnessError(f"{path}: a task file holds a mapping of settings")
    include = config.pop("include", None)
    if include is None:
        return config
    base = _resolved((path.parent / str(include)).resolve(), (*seen, path))
    return base | config


def _entries(path: Path, config: Mapping[str, Any]) -> Iterable[TaskEntry]:
    metadata = config.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise HarnessError(f"{path}: metadata should be a mapping")
    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]
    version = str(metadata.get("version", "0"))
    if "group" in config:
        subtasks = config.get("task") or []
        if not isinstance(subtasks, list):
            raise HarnessError(f"{path}: a group's task: should be a list of task names")
        names = tuple(str(sub["task"]) if isinstance(sub, dict) else str(sub) for sub in subtasks)
        yield TaskEntry(str(config["group"]), path, True, names, "", version, (), metadata, digest, config)
        return
    if "task" not in config:
        return  # not a task file (lm-eval skips these too)
    metric_list = config.get("metric_list") or []
    metrics = tuple(
        str(item["metric"]) for item in metric_list if isinstance(item, dict) and "metric" in item
    )
    yield TaskEntry(str(config["task"]), path, False, (), "", version, metrics, metadata, digest, config)


def _declared_metrics(path: Path, config: Mapping[str, Any]) -> list[MetricSpec]:
    raw = (config.get("metadata") or {}).get("metrics") or []
    if not isinstance(raw, list):
        raise HarnessError(f"{path}: metadata.metrics should be a list of metric declarations")
    specs = []
    for index, item in enumerate(raw):
        try:
            specs.append(declared_metric(item))
        except ValidationError as error:
            raise HarnessError(
                f"{path}: metadata.metrics[{index}]: {describe_validation_error(error)}"
            ) from None
    return specs
