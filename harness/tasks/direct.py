"""Leaf tasks built straight from their task files, without lm-eval's TaskManager or a `datasets`
Dataset, when a file uses only what that takes: docs from a `custom_dataset` function, a string
`description` and `doc_to_text` (Jinja), `generation_kwargs`. Building them this way takes
milliseconds where importing lm-eval and `datasets` alone takes about a second; the docs and the
rendered messages are lm-eval's (tested equal on every shipped task, on the fixtures and the real
data). Any other file (few-shot sampling, choices, process_docs, filters, a hub dataset) is built by
lm-eval (harness/tasks/catalog.py)."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from harness.data.records import DocRow, doc_rows
from harness.errors import HarnessError
from harness.tasks.index import FunctionTag, TaskEntry

# The settings a directly built task may use; any other key sends the task to lm-eval.
DIRECT_KEYS = frozenset(
    {
        "task",
        "tag",
        "custom_dataset",
        "dataset_kwargs",
        "test_split",
        "output_type",
        "description",
        "doc_to_text",
        "doc_to_target",
        "process_results",
        "generation_kwargs",
        "metric_list",
        "metadata",
    }
)


def can_build_directly(entry: TaskEntry) -> bool:
    config = entry.config
    return (
        set(config) <= DIRECT_KEYS
        and config.get("output_type") == "generate_until"
        and isinstance(config.get("custom_dataset"), FunctionTag)
        and isinstance(config.get("doc_to_text"), str)
        and not isinstance(config.get("doc_to_text"), FunctionTag)
        and isinstance(config.get("description", ""), str)
        and not isinstance(config.get("description"), FunctionTag)
    )


def direct_docs(entry: TaskEntry, run_metadata: dict[str, Any]) -> list[DocRow]:
    """The task's docs as lm-eval's eval_docs holds them: its custom_dataset called with the task's
    metadata, the run's and the file's path (as lm-eval's TaskFactory merges them), then its
    dataset_kwargs; the `test_split` rows."""
    config = entry.config
    loader = imported_function(config["custom_dataset"])
    metadata = dict(config.get("metadata") or {}) | run_metadata | {"config_source": str(entry.path)}
    dataset_kwargs = dict(config.get("dataset_kwargs") or {})
    split = str(config.get("test_split", "test"))
    rows_of = getattr(loader, "rows", None)
    what = f"{entry.path}: {config['custom_dataset'].reference}"
    try:
        if rows_of is not None and split == "test":
            rows = rows_of(**metadata, **dataset_kwargs)
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise HarnessError(f"{what} returned {type(rows).__name__}, not a list of docs (dicts)")
            if _uniform(rows):
                return doc_rows(rows, what)
        dataset = loader(**metadata, **dataset_kwargs)
        return doc_rows([dict(row) for row in dataset[split]], what)
    except HarnessError:
        raise
    except Exception as error:  # noqa: BLE001 - a task module's own failure, named in one line
        raise HarnessError(f"{what} failed ({type(error).__name__}: {str(error)[:200]})") from None


def _uniform(rows: list[dict[str, Any]]) -> bool:
    """Every row has the same fields (a Dataset gives missing ones as None; such rows go through it)."""
    return all(row.keys() == rows[0].keys() for row in rows[1:])


def imported_function(tag: FunctionTag) -> Callable[..., Any]:
    """The function a `!function module.name` tag names, its module imported from the folder of the
    file that wrote the tag (once per process, as lm-eval does)."""
    module_name, _, function_name = tag.reference.rpartition(".")
    path = tag.folder / f"{module_name.replace('.', '/')}.py"
    key = "harness_task_module_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    module = sys.modules.get(key)
    if module is None:
        spec = importlib.util.spec_from_file_location(key, path)
        if not path.is_file() or spec is None or spec.loader is None:
            raise HarnessError(f"{tag}: no module {path} to import it from")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except HarnessError:
            raise
        except Exception as error:  # noqa: BLE001 - a syntax error or a failing import in a task's module
            raise HarnessError(
                f"{path}: importing it failed ({type(error).__name__}: {str(error)[:200]})"
            ) from None
        sys.modules[key] = module
    function = getattr(module, function_name, None)
    if not callable(function):
        raise HarnessError(f"{tag}: {path} defines no function {function_name!r}")
    return function  # type: ignore[no-any-return]


def jinja_environment() -> Any:
    """A Jinja environment configured as lm-eval's (lm_eval.utils.env): strict undefined names,
    trailing newlines kept, the regex_replace filter."""
    from jinja2 import BaseLoader, Environment, StrictUndefined

    environment = Environment(loader=BaseLoader(), undefined=StrictUndefined, keep_trailing_newline=True)
    environment.filters["regex_replace"] = lambda string, pattern, repl, count=0: re.sub(
        pattern, repl, string, count=count
    )
    return environment


def stop_strings(config: Mapping[str, Any]) -> tuple[str, ...]:
    until = (config.get("generation_kwargs") or {}).get("until") or ()
    return (until,) if isinstance(until, str) else tuple(until)
