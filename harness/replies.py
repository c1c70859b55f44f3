"""Reading JSON out of what a model answered: the one reader that judges and synthesis stages share.
A reply may wrap its JSON in a code fence, or in prose; what each caller accepts (a strict verdict,
any object) is its own rule, built on these two."""

from __future__ import annotations

import json
import re
from typing import Any

_DECODER = json.JSONDecoder()
_FENCE = re.compile(r"```[a-zA-Z]*\n?(.*?)\n?```", flags=re.DOTALL)


def without_fence(text: str) -> str:
    """The reply without one code fence around all of it (```json ... ```), stripped."""
    text = text.strip()
    fenced = _FENCE.fullmatch(text)
    return (fenced.group(1) if fenced else text).strip()


def json_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object in the reply, in order (fenced or bare, amid prose; a top-level list is
    unpacked)."""
    found: list[dict[str, Any]] = []
    index = 0
    while index < len(text):
        start = min((i for i in (text.find("{", index), text.find("[", index)) if i >= 0), default=-1)
        if start < 0:
            break
        try:
            value, end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError:
            index = start + 1
            continue
        if isinstance(value, dict):
            found.append(value)
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, dict))
        index = end
    return found
