"""The task catalog: lm-eval's TaskManager over tasks/, flattened into leaf tasks and groups."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.backends.base import Message
from harness.errors import HarnessError
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

    def messages(self, doc: dict[str, Any]) -> list[Message]:
        """The chat messages for a doc, rendered by lm-eval from the task file."""
        rendered = self.lm_task.fewshot_context(
            doc,
            0,
            apply_chat_template=True,
            fewshot_as_multiturn=True,
            chat_template=lambda messages, add_generation_prompt=True: json.dumps(messages, ensure_ascii=False),
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
    return TaskManager(include_path=str(tasks_dir), include_defaults=False, metadata=metadata)


def available_tasks(tasks_dir: Path = TASKS_DIR) -> list[str]:
    return sorted(task_manager(tasks_dir=tasks_dir).all_tasks)


def load_tasks(names: list[str], metadata: dict[str, Any]) -> tuple[list[LeafTask], list[GroupSpec]]:
    """Leaf tasks and groups for the requested names (groups expand to their subtasks)."""
    from lm_eval.tasks import get_task_dict

    manager = task_manager(metadata)
    unknown = [name for name in names if name not in manager.all_tasks]
    if unknown:
        raise HarnessError(f"unknown task(s) {', '.join(unknown)}: available are {', '.join(sorted(manager.all_tasks))}")
    tree = get_task_dict(names, manager)
    leaves: dict[str, LeafTask] = {}
    groups: list[GroupSpec] = []
    _walk(tree, leaves, groups)
    return list(leaves.values()), groups


def _walk(tree: dict[Any, Any], leaves: dict[str, LeafTask], groups: list[GroupSpec]) -> list[str]:
    names: list[str] = []
    for key, value in tree.items():
        if isinstance(value, dict):
            children = _walk(value, leaves, groups)
            config = key.config if isinstance(key.config, dict) else key.config.to_dict()
            metrics = tuple(
                (str(agg["metric"]), bool(agg.get("weight_by_size", False)))
                for agg in (config.get("aggregate_metric_list") or [])
            )
            groups.append(GroupSpec(name=str(config["group"]), subtasks=tuple(children), metrics=metrics))
            names.extend(children)
        else:
            leaf = _leaf(str(key), value)
            leaves[leaf.name] = leaf
            names.append(leaf.name)
    return names


def _leaf(name: str, task: Any) -> LeafTask:
    config = task.config
    metadata = config.metadata or {}
    stop = tuple((config.generation_kwargs or {}).get("until") or ())
    return LeafTask(
        name=name,
        version=str(metadata.get("version", "0")),
        scorer=str(metadata.get("scorer", "mcq")),
        stop=stop,
        docs=list(task.eval_docs),
        lm_task=task,
    )
