"""Tasks loaded to run: each task's docs and prompt template, built straight from the task files
(harness/tasks/direct.py) or, for files that need it, by lm-eval's TaskManager; the task index
(harness/tasks/index.py) says what the files declare (metrics, scorer, split)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from harness.backends.base import Message
from harness.data.records import DocRow, doc_rows
from harness.errors import HarnessError, did_you_mean
from harness.judge.rubric import Rubric, rubric_from_metadata
from harness.scoring.metric_registry import MetricSpec
from harness.scoring.scorers import Scorer
from harness.tasks.direct import can_build_directly, direct_docs, stop_strings
from harness.tasks.index import TaskEntry, TaskIndex, index_tasks


@dataclass(frozen=True)
class PromptTemplate:
    """A task's description and doc_to_text, compiled once in a Jinja environment configured as
    lm-eval's. lm-eval compiles the template again for every doc (most of prompt building time);
    compiling once renders the same messages (tested against lm-eval's fewshot_context on every
    fixture doc) without patching lm-eval."""

    system: Any  # jinja2.Template | None
    user: Any  # jinja2.Template, or the name of a doc field holding the text
    user_field: str | None = None
    exemplar_turns: tuple[Any, Any] | None = None  # (user, assistant) templates of a chat few-shot turn

    @classmethod
    def compile(
        cls,
        description: str | None,
        doc_to_text: str,
        fields: Collection[str],
        fewshot_as_chat: dict[str, str] | None = None,
    ) -> PromptTemplate:
        """`fewshot_as_chat` (task metadata: user and assistant templates, the exemplar as `e`)
        renders a doc's stored exemplars as chat turns before its question; a doc_to_text that
        names a doc field is that field's text (as in lm-eval)."""
        from harness.tasks.direct import jinja_environment

        env = jinja_environment()
        system = env.from_string(description) if description else None
        turns = None
        if fewshot_as_chat:
            turns = (env.from_string(fewshot_as_chat["user"]), env.from_string(fewshot_as_chat["assistant"]))
        if doc_to_text in fields:
            return cls(system, None, doc_to_text, turns)
        return cls(system, env.from_string(doc_to_text), None, turns)

    @classmethod
    def of(cls, lm_task: Any, fewshot_as_chat: dict[str, str] | None = None) -> PromptTemplate | None:
        """The compiled template of an lm-eval task, or None where the task needs lm-eval's general
        path (few-shot sampling, choices, a generation prefix, a callable doc_to_text)."""
        config = lm_task.config
        if config.num_fewshot or config.doc_to_choice or config.gen_prefix or lm_task.prompt is not None:
            return None
        text, description = config.doc_to_text, config.description
        if not isinstance(text, str) or not isinstance(description, (str, type(None))):
            return None
        return cls.compile(description, text, lm_task.features, fewshot_as_chat)

    def messages(self, doc: DocRow) -> list[Message]:
        messages: list[Message] = []
        if self.system is not None:
            system = self.system.render(**doc)
            if system:
                messages.append({"role": "system", "content": system})
        if self.exemplar_turns is not None:
            for exemplar in doc.get("exemplars") or []:
                user_turn, assistant_turn = (
                    template.render(**doc, e=exemplar) for template in self.exemplar_turns
                )
                messages += [
                    {"role": "user", "content": user_turn},
                    {"role": "assistant", "content": assistant_turn},
                ]
        user = (
            str(cast(Mapping[str, Any], doc)[self.user_field]) if self.user_field else self.user.render(**doc)
        )
        messages.append({"role": "user", "content": user})
        return messages


@dataclass(frozen=True)
class LeafTask:
    """One scored task: its docs (rows), how to ask about them and what it reports."""

    name: str
    version: str
    scorer: str
    stop: tuple[str, ...]
    docs: list[DocRow]
    lm_task: Any = field(default=None, repr=False)  # the lm-eval task, where lm-eval built it
    metrics: tuple[MetricSpec, ...] = ()
    rubric: Rubric | None = None  # judge-scored tasks only
    split: str = "test"  # the split its docs come from, as recorded with its results
    submission: str | None = None  # the official submission format it writes, if any
    shots: int = 0  # exemplars shown before each question (its loader's `shots`)
    template: PromptTemplate | None = field(default=None, repr=False)
    prompt_layout: str = "system_user"  # the task's default: joined or system_user
    benchmark_protocol: dict[str, Any] | None = None  # the benchmark's own scoring (protocols.py)
    description: str | None = None  # the task's system text (a dialogue doc's first message)
    scoring: Scorer | None = field(default=None, repr=False)  # what scores a response (None: judged)

    def messages(self, doc: DocRow, layout: str | None = None) -> list[Message]:
        """The chat messages for a doc, rendered from the task file, in the task's layout unless
        `layout` (a model's choice) says otherwise: joined sends the system and user texts as one
        user message. Dialogue docs are their history as real chat turns, after the task's
        description as system message unless the history brings its own."""
        if doc.get("history"):
            history: list[Message] = [{"role": m["role"], "content": m["content"]} for m in doc["history"]]
            if self.description and history[0]["role"] != "system":
                history.insert(0, {"role": "system", "content": self.description})
            return history
        messages = (
            self.template.messages(doc) if self.template is not None else lmeval_messages(self.lm_task, doc)
        )
        if (layout or self.prompt_layout) == "joined" and [m["role"] for m in messages] == ["system", "user"]:
            return [{"role": "user", "content": messages[0]["content"] + messages[1]["content"]}]
        return messages


def lmeval_messages(lm_task: Any, doc: DocRow) -> list[Message]:
    """The chat messages lm-eval itself renders for a doc (zero-shot, as chat turns)."""
    import json

    rendered = lm_task.fewshot_context(
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
    metrics: tuple[tuple[MetricSpec, bool], ...]  # (metric, weight_by_size)


@contextlib.contextmanager
def _quiet_lm_eval() -> Iterator[None]:
    """lm-eval logs every task it indexes; quiet only while it loads ours, then as it was."""
    logger = logging.getLogger("lm_eval")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def load_tasks(
    names: list[str],
    metadata: dict[str, Any],
    include_paths: Sequence[Path | str] = (),
    through_lm_eval: bool = False,
) -> tuple[list[LeafTask], list[GroupSpec]]:
    """Leaf tasks and groups for the requested names (groups expand to their subtasks, depth first).
    Built straight from the task files where every one allows it (harness/tasks/direct.py), else, or
    when `through_lm_eval`, by lm-eval's TaskManager; both give the same tasks."""
    index = index_tasks(include_paths)
    unknown = [name for name in names if name not in index.entries]
    if unknown:
        named = ", ".join(f"{name}{did_you_mean(name, index.entries)}" for name in unknown)
        raise HarnessError(f"unknown task(s) {named}: available are {', '.join(sorted(index.entries))}")
    group_entries = _groups_under(names, index)
    leaf_entries = list({leaf.name: leaf for name in names for leaf in index.leaves(name)}.values())
    if (
        not through_lm_eval
        and all(map(_plain_group, group_entries))
        and all(map(can_build_directly, leaf_entries))
    ):
        leaves = [_direct_leaf(entry, index, metadata) for entry in leaf_entries]
        groups = [
            GroupSpec(
                name=entry.name,
                subtasks=tuple(dict.fromkeys(leaf.name for leaf in index.leaves(entry.name))),
                metrics=tuple((index.registry[metric], weighted) for metric, weighted in entry.aggregates),
            )
            for entry in group_entries
        ]
        return leaves, groups
    return _load_through_lm_eval(names, metadata, index)


def _groups_under(names: list[str], index: TaskIndex) -> list[TaskEntry]:
    """The groups among `names` and under them, depth first, each once."""
    found: dict[str, TaskEntry] = {}

    def visit(name: str) -> None:
        entry = index.entry(name)
        if entry.is_group and name not in found:
            found[name] = entry
            for sub in entry.subtasks:
                visit(sub)

    for name in names:
        visit(name)
    return list(found.values())


def _plain_group(entry: TaskEntry) -> bool:
    """A group that only names its subtasks (no inline task settings, which lm-eval applies)."""
    items = entry.config.get("task") or []
    return all(isinstance(item, str) or set(item) == {"task"} for item in items)


def _load_through_lm_eval(
    names: list[str], metadata: dict[str, Any], index: TaskIndex
) -> tuple[list[LeafTask], list[GroupSpec]]:
    from lm_eval.tasks import TaskManager

    with _quiet_lm_eval():
        manager = TaskManager(
            include_path=[str(folder) for folder in index.folders], include_defaults=False, metadata=metadata
        )
        try:
            loaded = manager.load(names)
        except (AttributeError, ImportError, OSError) as error:  # a task file naming what is not there
            raise HarnessError(f"lm-eval could not build {', '.join(names)}: {error}") from None
    leaves = []
    for name, task in loaded["tasks"].items():
        config = task.config
        entry = index.entry(name)
        leaves.append(
            _leaf(
                entry,
                index,
                metadata,
                docs=doc_rows(list(task.eval_docs), str(entry.path)),
                stop=tuple((config.generation_kwargs or {}).get("until") or ()),
                template=PromptTemplate.of(task, _fewshot_as_chat(name, dict(entry.metadata))),
                description=config.description if isinstance(config.description, str) else None,
                lm_task=task,
            )
        )
    groups = [
        GroupSpec(
            name=name,
            subtasks=tuple(task.task_name for task in group.get_all_tasks()),
            metrics=tuple(
                (index.registry[agg.metric], bool(agg.weight_by_size))
                for agg in (group.aggregate_metric_list or [])
            ),
        )
        for name, group in loaded["groups"].items()
    ]
    return leaves, groups


def _direct_leaf(entry: TaskEntry, index: TaskIndex, run_metadata: dict[str, Any]) -> LeafTask:
    config = entry.config
    docs = direct_docs(entry, run_metadata)
    description = config.get("description") or None
    return _leaf(
        entry,
        index,
        run_metadata,
        docs=docs,
        stop=stop_strings(config),
        template=PromptTemplate.compile(
            description,
            config["doc_to_text"],
            docs[0].keys() if docs else (),
            _fewshot_as_chat(entry.name, dict(entry.metadata)),
        ),
        description=description,
    )


def _leaf(
    entry: TaskEntry,
    index: TaskIndex,
    run_metadata: dict[str, Any],
    docs: list[DocRow],
    stop: tuple[str, ...],
    template: PromptTemplate | None,
    description: str | None,
    lm_task: Any = None,
) -> LeafTask:
    metadata = dict(entry.metadata)
    scorer = entry.scorer
    # A task whose loader reads the run's split (metadata docs_split: from_run) records that split.
    split = str(metadata.get("docs_split", "test"))
    if split == "from_run":
        split = str(run_metadata.get("split", "dev"))
    return LeafTask(
        name=entry.name,
        version=entry.version,
        scorer=scorer,
        stop=stop,
        docs=docs,
        lm_task=lm_task,
        scoring=entry.scoring,
        metrics=tuple(index.metrics_of(entry.name)) if scorer != "judge" else (),
        rubric=rubric_from_metadata(entry.name, metadata) if scorer == "judge" else None,
        split=split,
        submission=metadata.get("submission"),
        shots=int((entry.config.get("dataset_kwargs") or {}).get("shots", 0)),
        template=template,
        prompt_layout=_layout(entry.name, metadata),
        benchmark_protocol=dict(metadata["benchmark_protocol"])
        if metadata.get("benchmark_protocol")
        else None,
        description=description,
    )


def _fewshot_as_chat(task: str, metadata: dict[str, Any]) -> dict[str, str] | None:
    turns = metadata.get("fewshot_as_chat")
    if turns is None:
        return None
    if not isinstance(turns, dict) or not all(isinstance(turns.get(k), str) for k in ("user", "assistant")):
        raise HarnessError(f"task {task}: metadata.fewshot_as_chat needs a user and an assistant template")
    return {"user": turns["user"], "assistant": turns["assistant"]}


def _layout(task: str, metadata: dict[str, Any]) -> str:
    layout = str(metadata.get("prompt_layout", "system_user"))
    if layout not in ("joined", "system_user"):
        raise HarnessError(f"task {task}: metadata.prompt_layout {layout!r}: use joined or system_user")
    return layout
