"""Reading what the models answer: JSON objects anywhere in a reply, a reasonable/unreasonable
verdict, and a generated question checked into a Question (or the reason it is invalid)."""

from __future__ import annotations

import json
import re
from typing import Any

from harness.replies import json_objects, without_fence
from synth.records import Question, content_id

__all__ = ["chosen_index", "json_objects", "question_from", "strip_fences", "verdict"]

_OPTION_MARK = re.compile(r"(?:^|\s|；|;)([A-H])\s*[\.．、:：\)）]\s*")


def verdict(text: str) -> bool | None:
    """True for "reasonable" (合理), False for "unreasonable" (不合理), None when it says neither."""
    lowered = text.strip().lower()
    if "不合理" in lowered or "unreasonable" in lowered:
        return False
    if "合理" in lowered or "reasonable" in lowered:
        return True
    return None


def question_from(data: dict[str, Any], origin: str, source: str) -> tuple[Question | None, str]:
    """A generated question checked: a non-empty stem, at least two lettered options, an answer
    naming some of them, a kind that fits the answer. (question, "") or (None, reason)."""
    stem = data.get("question")
    if not isinstance(stem, str) or not stem.strip():
        return None, "no question text"
    options = _options(data.get("options"))
    if len(options) < 2:
        return None, "fewer than two options"
    answer = "".join(sorted(set(re.sub(r"[^A-Za-z]", "", str(data.get("answer", ""))).upper())))
    if not answer or set(answer) - set(options):
        return None, f"answer {data.get('answer')!r} names no given option"
    stated = str(data.get("type", ""))
    multi = len(answer) > 1 or any(word in stated.lower() for word in ("多", "multi"))
    question = Question(
        id=content_id(stem.strip(), json.dumps(options, ensure_ascii=False, sort_keys=True)),
        question=stem.strip(),
        options=options,
        answer=answer,
        kind="multi" if multi else "single",
        origin=origin,
        source=source,
    )
    return question, ""


def _options(raw: Any) -> dict[str, str]:
    """Options given as {"A": ...}, ["A. ...", ...] or "A. ... B. ..." as a letter -> text map."""
    if isinstance(raw, dict):
        return {str(k).strip().upper()[:1]: str(v).strip() for k, v in raw.items() if str(v).strip()}
    if isinstance(raw, list):
        raw = "\n".join(str(item) for item in raw)
    if not isinstance(raw, str):
        return {}
    marks = list(_OPTION_MARK.finditer(raw))
    if not marks:
        return {}
    options = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        text = raw[mark.end() : following.start() if following else len(raw)].strip()
        if text:
            options[mark.group(1)] = text
    return options


def strip_fences(text: str) -> str:
    """A free-text reply without a surrounding code fence or quotes."""
    return without_fence(text).strip('"“”')


def chosen_index(text: str, size: int, keys: tuple[str, ...]) -> int | None:
    """The 0-based index a selection reply names under one of `keys` (1-based in the reply)."""
    for data in json_objects(text):
        for key in keys:
            try:
                index = int(str(data.get(key)).strip().strip("[]"))
            except ValueError:
                continue
            if 1 <= index <= size:
                return index - 1
    return None
