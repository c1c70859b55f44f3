"""Commands that show the tasks: tasks (names, sizes, scorers, metrics), docs (the rendered prompts) and schema (of results.json)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from harness.cli.app import app
from harness.cli.options import (
    DataDirOption,
    IncludeOption,
    LimitOption,
    SplitOption,
    TasksOption,
    split_names,
    write_lines,
)
from harness.console_tables import console
from harness.errors import HarnessError


@app.command("tasks")
def tasks_command(
    data_dir: DataDirOption = None,
    split: SplitOption = None,
    include_path: IncludeOption = None,
    sizes: Annotated[
        bool, typer.Option("--sizes", help="Count the docs of tasks not counted yet (loads their data)")
    ] = False,
) -> None:
    """List tasks and groups from the task files (no data is read unless --sizes): docs, scorer,
    version, metrics. Counts are cached by the data files' sizes and dates."""
    from rich.table import Table

    from harness.runs.options import RunOptions
    from harness.tasks.catalog import load_tasks
    from harness.tasks.index import index_tasks
    from harness.tasks.sizes import data_fingerprint, read_sizes, size_key, store_sizes

    options = RunOptions(data_dir=data_dir, split=split, include_paths=tuple(include_path or ()))
    index = index_tasks(options.include_paths)
    metadata = options.metadata()
    fingerprint = data_fingerprint(options.data_path)
    keys = {name: size_key(entry, metadata, fingerprint) for name, entry in index.entries.items()}
    counts = read_sizes()
    members = {sub for entry in index.entries.values() for sub in entry.subtasks}
    tops = [name for name in index.entries if name not in members]
    problems: dict[str, str] = {}
    if sizes:
        for name in tops:
            leaves = [leaf.name for leaf in index.leaves(name)]
            if all(keys[leaf] in counts for leaf in leaves):
                continue
            try:
                loaded, _ = load_tasks([name], metadata, options.include_paths)
            except HarnessError as error:
                problems[name] = str(error)
                continue
            found = {keys[leaf.name]: len(leaf.docs) for leaf in loaded}
            counts |= found
            store_sizes(found)

    def docs(name: str) -> str:
        values = [counts.get(keys[leaf.name]) for leaf in index.leaves(name)]
        return "" if any(value is None for value in values) else str(sum(v for v in values if v is not None))

    table = Table("task", "docs", "scorer", "version", "metrics")
    for top in tops:
        for name in _walk(index, top):
            entry = index.entries[name]
            if entry.is_group:
                table.add_row(f"[bold]{name}[/] (group)", docs(name), "", entry.version, "")
            else:
                table.add_row(name, docs(name), entry.scorer, entry.version, ", ".join(entry.metrics))
    console().print(table)
    for top, problem in problems.items():
        console().print(f"{top}: not counted ({problem})")
    if any(not docs(name) for name in tops if name not in problems):
        console().print(
            "docs left blank are not counted yet: `harness tasks --sizes` counts them (reads the data)"
        )


def _walk(index: Any, name: str) -> list[str]:
    """A task or group, then (for a group) its members, depth first."""
    entry = index.entries[name]
    return [name] + [sub for member in entry.subtasks for sub in _walk(index, member)]


@app.command("docs")
def docs_command(
    tasks: TasksOption,
    data_dir: DataDirOption = None,
    limit: LimitOption = None,
    split: SplitOption = None,
    include_path: IncludeOption = None,
) -> None:
    """Print each doc's id, rendered prompt (chat messages) and gold as JSONL."""
    import json

    from harness.runs.options import RunOptions
    from harness.tasks.catalog import load_tasks

    options = RunOptions(data_dir=data_dir, split=split, include_paths=tuple(include_path or ()))
    leaves, _ = load_tasks(split_names(tasks), options.metadata(), options.include_paths)
    rows = (
        {
            "task": leaf.name,
            "doc_id": doc["doc_id"],
            # a doc_id can repeat across subjects (CPsyExam test): a prediction may name its subject
            **({"subject": doc["subject"]} if doc.get("subject") else {}),
            "messages": leaf.messages(doc),
            "gold": doc.get("answer") or doc.get("reference") or None,
        }
        for leaf in leaves
        for doc in (leaf.docs[:limit] if limit else leaf.docs)
    )
    write_lines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of results.json (also in schemas/results.schema.json)."""
    from harness.runs.results_schema import json_schema

    sys.stdout.write(json_schema())
