"""Each metric declared once: its display header, scale, how it aggregates and how its interval is
computed. The task summaries, results.json, the CLI tables, the leaderboard columns and `compare`
read these declarations; a task file may declare more under `metadata.metrics`.

The per-item values come from the task's scorer (harness/scoring/scorers.py); this module says what they
mean. How a *group* combines its subtasks (micro or macro) is the group file's choice, in lm-eval's
`aggregate_metric_list`; a group that declares none reports no aggregate of its own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import ConfigDict, TypeAdapter

from harness.errors import HarnessError

Scale = Literal["fraction", "percent", "points", "count"]


@dataclass(frozen=True)
class MetricSpec:
    """What a metric is. `scale` is that of the per-item values: fractions (0-1) are reported in
    percent; percent, points and counts as they are."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # as a task file's metadata.metrics entry

    name: str
    header: str
    scale: Scale
    over_items: Literal["mean", "sum"] = "mean"
    higher_is_better: bool = True
    interval: Literal["bootstrap", "none"] = "bootstrap"
    exact: bool = False  # item values are small fractions (k/m): aggregates are kept exactly

    @property
    def factor(self) -> int:
        """What a per-item value is multiplied by to be reported (fractions in percent)."""
        return 100 if self.scale == "fraction" else 1


BUILTIN_METRICS = (
    MetricSpec("acc", "Acc.", "fraction", exact=True),
    MetricSpec("acc_elastic", "Acc. (el.)", "fraction", exact=True),
    MetricSpec("n_unparsed", "unparsed", "count", over_items="sum", higher_is_better=False, interval="none"),
    MetricSpec("rouge1", "R-1", "percent"),
    MetricSpec("rougeL", "R-L", "percent"),
    MetricSpec("bleu4", "B-4", "percent"),
    MetricSpec("response_chars", "reply chars", "count", interval="none"),
)


def declared_metric(raw: object) -> MetricSpec:
    """A metric as a task file declares it under `metadata.metrics`, validated against MetricSpec's
    fields (unknown keys are errors; pydantic's ValidationError says which)."""
    return TypeAdapter(MetricSpec).validate_python(raw)


@dataclass(frozen=True)
class MetricRegistry:
    """The metrics known to a catalog: the built-in ones plus those its task files declare."""

    metrics: Mapping[str, MetricSpec]

    @classmethod
    def with_declared(cls, declared: Iterable[tuple[str, MetricSpec]]) -> MetricRegistry:
        """The built-ins plus (where, spec) declarations; a name declared twice differently stops."""
        metrics = {spec.name: spec for spec in BUILTIN_METRICS}
        origin = {spec.name: "the built-in metrics" for spec in BUILTIN_METRICS}
        for where, spec in declared:
            if spec.name in metrics and metrics[spec.name] != spec:
                raise HarnessError(
                    f"{where}: metric {spec.name!r} is already declared differently in {origin[spec.name]}"
                )
            metrics[spec.name] = spec
            origin.setdefault(spec.name, where)
        return cls(metrics)

    def __getitem__(self, name: str) -> MetricSpec:
        try:
            return self.metrics[name]
        except KeyError:
            raise HarnessError(
                f"unknown metric {name!r}: known are {', '.join(self.metrics)} "
                "(declare a new one under a task file's metadata.metrics)"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.metrics

    def in_order(self, names: Iterable[str]) -> list[MetricSpec]:
        """The known metrics among `names`, in declaration order (for table columns)."""
        wanted = set(names)
        return [spec for name, spec in self.metrics.items() if name in wanted]
