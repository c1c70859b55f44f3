"""The task catalog: lm-eval's TaskManager over tasks/, flattened into leaf tasks and groups."""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.backends.base import Message
from harness.errors import HarnessError
from harness.judge.rubric import Rubric, rubric_from_metadata
from harness.lmeval_tasks import TASKS_DIR


@dataclass(frozen=True)
class LeafTask:
    """One scored task: its docs (rows) and how to ask about them."""

    name: str
    version: str
    scorer: str
    stop: tuple[str, ...]
    docs: list[dict[str, Any]]
    lm_task: Any = field(repr=False)
    rubric: Rubric | None = None  # judge-scored tasks only

    def messages(self, doc: dict[str, Any]) -> list[Message]:
        """The chat messages for a doc, rendered by lm-eval from the task file. Dialogue docs are
        their history as real chat turns, after the task's description as system message unless
        the history brings its own."""
        if doc.get("history"):
            history: list[Message] = [{"role": m["role"], "content": m["content"]} for m in doc["history"]]
            description = self.lm_task.config.description
            if description and history[0]["role"] != "system":
                history.insert(0, {"role": "system", "content": description})
            return history
        rendered = self.lm_task.fewshot_context(
            doc,
            0,
            apply_chat_template=True,
            fewshot_as_multiturn=True,
            chat_template=lambda messages, add_generation_prompt=True: json.dumps(
                messages, ensure_ascii=False
            ),
        )
        loaded: list[Message] = json.loads(rendered)
        return loaded


@dataclass(frozen=True)
class GroupSpec:
    """A group of tasks and how its metrics aggregate (lm-eval's aggregate_metric_list)."""

    name: str
    subtasks: tuple[str, ...]
    metrics: tuple[tuple[str, bool], ...]  # (metric, weight_by_size)


def task_manager(metadata: dict[str, Any] | None = None, tasks_dir: Path = TASKS_DIR) -> Any:
    from lm_eval.tasks import TaskManager

    logging.getLogger("lm_eval").setLevel(logging.ERROR)
    _memoise_template_compilation()
    return TaskManager(include_path=str(tasks_dir), include_defaults=False, metadata=metadata)


def _memoise_template_compilation() -> None:
    """lm-eval compiles a task's Jinja template again for every doc (most of prompt building time);
    memoising the compile of identical template strings renders the same text, several times faster."""
    from lm_eval import utils

    if not hasattr(utils.env.from_string, "cache_info"):
        utils.env.from_string = functools.lru_cache(maxsize=512)(utils.env.from_string)  # type: ignore[method-assign]


def load_tasks(names: list[str], metadata: dict[str, Any]) -> tuple[list[LeafTask], list[GroupSpec]]:
    """Leaf tasks and groups for the requested names (groups expand to their subtasks)."""
    manager = task_manager(metadata)
    unknown = [name for name in names if name not in manager.all_tasks]
    if unknown:
        raise HarnessError(
            f"unknown task(s) {', '.join(unknown)}: available are {', '.join(sorted(manager.all_tasks))}"
        )
    loaded = manager.load(names)
    leaves = [_leaf(name, task) for name, task in loaded["tasks"].items()]
    groups = [
        GroupSpec(
            name=name,
            subtasks=tuple(task.task_name for task in group.get_all_tasks()),
            metrics=tuple(
                (agg.metric, bool(agg.weight_by_size)) for agg in (group.aggregate_metric_list or [])
            ),
        )
        for name, group in loaded["groups"].items()
    ]
    return leaves, groups


def _leaf(name: str, task: Any) -> LeafTask:
    config = task.config
    metadata = config.metadata or {}
    stop = tuple((config.generation_kwargs or {}).get("until") or ())
    scorer = str(metadata.get("scorer", "mcq"))
    return LeafTask(
        name=name,
        version=str(metadata.get("version", "0")),
        scorer=scorer,
        stop=stop,
        docs=list(task.eval_docs),
        lm_task=task,
        rubric=rubric_from_metadata(name, metadata) if scorer == "judge" else None,
    )
