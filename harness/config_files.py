"""User-written YAML configuration files (training runs, synthesis runs), validated by a pydantic
model: a bad key or value is one line naming the file and the line it sits on."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import HarnessError, describe_validation_error

Config = TypeVar("Config", bound=BaseModel)


def read_yaml_config(path: Path, kind: type[Config]) -> Config:
    """The configuration in `path`, validated as `kind`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise HarnessError(f"{path}: cannot read the config ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise HarnessError(f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise HarnessError(f"{where}: invalid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(raw, dict):
        raise HarnessError(f"{path}: expected a mapping of settings")
    try:
        return kind.model_validate(raw)
    except ValidationError as error:
        location = tuple(error.errors()[0]["loc"])
        raise HarnessError(f"{path}:{_line_of(text, location)}: {describe_validation_error(error)}") from None


def _line_of(text: str, location: tuple[Any, ...]) -> int:
    """The 1-based line of a key path in YAML text (the deepest key that exists)."""
    node = yaml.compose(text)
    line = 1
    for part in location:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            key_node = next((k for k, v in node.value if k.value == part), None)
            if key_node is None:
                break
            line, node = key_node.start_mark.line + 1, match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def copy_example(shipped: Path, example: str, target: Path) -> list[Path]:
    """Copy a shipped example config (`<shipped>/<example>.yaml`) into `target`, with every shipped
    file of its folder it names (training configs, paper tables, example inputs), its output_dir
    made `runs/<example>` beside the copy; files it names outside its folder (`../../train/...`)
    by their full path. Nothing is overwritten: a file already there stops it with
    one line. Returns the files written."""
    import re

    from harness.files import write_text_atomically

    source = shipped / f"{example}.yaml"
    if not source.is_file():
        offered = sorted(
            p.stem for p in shipped.glob("*.yaml") if "output_dir:" in p.read_text(encoding="utf-8")
        )
        raise HarnessError(f"no example {example!r}: shipped are {', '.join(offered)}")
    text = source.read_text(encoding="utf-8")
    companions = sorted(
        path.relative_to(shipped)
        for path in shipped.rglob("*")
        if path.is_file()
        and path != source
        and path.suffix in (".yaml", ".csv", ".jsonl")
        and str(path.relative_to(shipped)) in text
    )

    def outside(found: re.Match[str]) -> str:  # a shipped file outside the folder: named by its full path
        named = (shipped / found.group(0)).resolve()
        return str(named) if named.exists() else found.group(0)

    copied = re.sub(r"(?m)^output_dir: .*$", f"output_dir: runs/{example}", text)
    copied = "\n".join(
        line if line.lstrip().startswith("#") else re.sub(r"(?<![\w/.])(?:\.\./)+[\w./-]+", outside, line)
        for line in copied.split("\n")
    )
    copies = {target / f"{example}.yaml": copied}
    copies |= {target / name: (shipped / name).read_text(encoding="utf-8") for name in companions}
    there = [str(path) for path in copies if path.exists()]
    if there:
        raise HarnessError(
            f"{', '.join(there)}: already there; nothing copied (move it away or pick another folder)"
        )
    for path, content in copies.items():
        write_text_atomically(path, content)
    return list(copies)


def init_from_example(shipped: Path, example: str, target: Path, command: str) -> None:
    """`harness <command> init`: copy the example, then say what was written and how to run it."""
    import sys

    written = copy_example(shipped, example, target)
    sys.stdout.write(f"wrote {', '.join(str(path) for path in written)}\n")
    sys.stdout.write(f"run it: harness {command} run --config {written[0]}\n")
