"""Help as a reader wants it: docstrings reflowed into sentences (a line break inside a paragraph is
a space, not a cut), no type tag after a flag, click's plain words (TEXT, INTEGER, PATH) after an
option that takes a value (typer 0.29 shows `<bool>`, `<str>` after every option)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

_VALUE_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "list[Path]": "PATH"}


def tidy_help(command: Any) -> None:
    """Reflow the help of `command` and every command under it; set each option's shown value word."""
    for text_field in ("help", "short_help"):
        text = getattr(command, text_field, None)
        if text:
            setattr(command, text_field, reflow(text))
    # typer builds its commands on a click of its own (typer._click), hence attributes, not classes
    for param in command.params:
        if hasattr(param, "is_flag"):
            if param.metavar is None:
                param.metavar = "" if param.is_flag else _value_word(param)
        elif hasattr(param, "type_descriptor"):  # an argument: its type shown as an option's is
            word = _value_word(param)
            param.display_type_rich = lambda ctx, word=word: word
    command.get_help_option = _flag_shown_bare(command.get_help_option)  # --help is made per context
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)


def _flag_shown_bare(make_option: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def help_option(context: Any) -> Any:
        option = make_option(context)
        if option is not None:
            option.metavar = ""
        return option

    return help_option


def reflow(text: str) -> str:
    """Single line breaks inside a paragraph become spaces; paragraphs stay apart."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(re.sub(r"\s*\n\s*", " ", paragraph) for paragraph in paragraphs)


def _value_word(option: Any) -> str:
    described = option.type_descriptor
    if described.is_choice:
        return "|".join(str(choice) for choice in described.choices or ())
    shown = "path" if described.is_path else option.bare_type()
    return _VALUE_WORDS.get(shown, shown.upper())
