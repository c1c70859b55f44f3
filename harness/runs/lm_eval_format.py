"""A run's results in lm-eval's own results-file shape, written beside results.json as
`results_lm-eval.json`, so that lm-eval's tooling (`lm_eval.utils.make_table`, its result-file
finders, leaderboards that read lm-eval output) reads our runs.

What changes from results.json: metrics under "<metric>,<filter>" keys as fractions (lm-eval's
unit; ours are percent), with "<metric>_stderr,<filter>"; the benchmark's own protocol appears as
the filter "benchmark" beside the strict "none"; versions, n-shot, higher_is_better, n-samples and
the run's config in lm-eval's places. results.json stays the record; this file is derived from it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from harness.scoring.metric_registry import BUILTIN_METRICS, MetricSpec

FILE_NAME = "results_lm-eval.json"  # lm-eval finds result files by "/results_" and ".json"
STRICT, BENCHMARK = "none", "benchmark"


def lm_eval_results(
    results: Mapping[str, Any], metrics: Mapping[str, MetricSpec] | None = None
) -> dict[str, Any]:
    """The lm-eval-shaped dict of one results.json (as read or as written)."""
    known = dict(metrics or {spec.name: spec for spec in BUILTIN_METRICS})
    tasks: Mapping[str, Any] = results.get("tasks", {})
    scored = {name: task for name, task in tasks.items() if "metrics" in task}
    model = results.get("model", {})
    generation = results.get("generation", {})
    return {
        "results": {name: _task_numbers(name, task, known) for name, task in scored.items()},
        "groups": {
            name: _group_numbers(name, group, known)
            for name, group in results.get("groups", {}).items()
            if group.get("complete")
        },
        "group_subtasks": {
            **{name: list(group["subtasks"]) for name, group in results.get("groups", {}).items()},
            **{name: [] for name in scored},
        },
        "configs": {
            name: {
                "task": name,
                "num_fewshot": task.get("n_shot", 0),
                "test_split": task.get("split"),
                "generation_kwargs": _gen_kwargs(generation),
                "metadata": {"version": task.get("version")},
            }
            for name, task in scored.items()
        },
        "versions": {name: _version(task.get("version")) for name, task in scored.items()},
        "n-shot": {name: task.get("n_shot", 0) for name, task in scored.items()},
        "higher_is_better": {
            name: {metric: known[metric].higher_is_better for metric in task["metrics"] if metric in known}
            for name, task in scored.items()
        },
        "n-samples": {
            name: {"original": task["n_expected"], "effective": task["n"]} for name, task in scored.items()
        },
        "config": {
            "model": model.get("backend"),
            "model_args": f"pretrained={model.get('weights') or model.get('api_model') or model.get('name')}",
            "batch_size": model.get("batch_size"),
            "limit": results.get("spec", {}).get("limit"),
            "gen_kwargs": _gen_kwargs(generation),
        },
        "model_name": model.get("name"),
        "model_name_sanitized": str(model.get("name", "")).replace("/", "__"),
        "date": _timestamp(results.get("started_at")),
        "start_time": _timestamp(results.get("started_at")),
        "end_time": _timestamp(results.get("finished_at")),
        "total_evaluation_time_seconds": str(
            _duration(results.get("started_at"), results.get("finished_at"))
        ),
        "harness": {"name": "psyche-harness", "spec_hash": results.get("spec_hash")},
    }


def _task_numbers(name: str, task: Mapping[str, Any], known: Mapping[str, MetricSpec]) -> dict[str, Any]:
    numbers: dict[str, Any] = {"alias": name}
    for metric in task["metrics"]:
        numbers |= _metric(metric, task.get(metric), STRICT, known, task.get("n_scored", 0))
    block = task.get("benchmark") or {}
    for metric in ("acc", "acc_elastic"):
        if metric in block:
            numbers |= _metric(metric, block[metric], BENCHMARK, known, block.get("n_answered", 0))
    return numbers


def _group_numbers(name: str, group: Mapping[str, Any], known: Mapping[str, MetricSpec]) -> dict[str, Any]:
    numbers: dict[str, Any] = {"alias": name}
    for metric in known:
        if metric in group:
            numbers |= _metric(metric, group[metric], STRICT, known, 0)
    for metric, value in (group.get("benchmark") or {}).items():
        if metric in known:
            numbers |= _metric(metric, value, BENCHMARK, known, 0)
    return numbers


def _metric(metric: str, value: Any, where: str, known: Mapping[str, MetricSpec], n: int) -> dict[str, Any]:
    spec = known.get(metric)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return {f"{metric},{where}": None, f"{metric}_stderr,{where}": "N/A"}
    fraction = value / spec.factor if spec else value
    # lm-eval's mean_stderr (sample standard deviation / sqrt n) of 0/1 items; other metrics: N/A
    binary = metric == "acc" and n > 1
    stderr = math.sqrt(fraction * (1 - fraction) / (n - 1)) if binary else "N/A"
    return {f"{metric},{where}": fraction, f"{metric}_stderr,{where}": stderr}


def _gen_kwargs(generation: Mapping[str, Any]) -> dict[str, Any]:
    kwargs = {key: value for key, value in generation.items() if key != "max_new_tokens"}
    if "max_new_tokens" in generation:
        kwargs["max_gen_toks"] = generation["max_new_tokens"]
    kwargs["do_sample"] = bool(generation.get("temperature"))
    return kwargs


def _version(version: Any) -> Any:
    try:
        return float(version)
    except (TypeError, ValueError):
        return version


def _timestamp(when: Any) -> float | None:
    return datetime.fromisoformat(when).timestamp() if isinstance(when, str) else None


def _duration(start: Any, end: Any) -> float | None:
    first, last = _timestamp(start), _timestamp(end)
    return round(last - first, 3) if first is not None and last is not None else None
