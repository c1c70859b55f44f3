"""Answer extraction: a model's raw text -> the option letters it chose.

The rules are conservative on purpose: a letter only counts when the response states it as an
answer (after a marker such as 答案/故选/Answer, inside <answer>, \\boxed{} or a JSON "ans" field,
or as the whole reply / its leading token). Letters inside words (ABC理论, CBT, A型人格, SCL-90)
and letters in an explanation that follows the stated answer are never read.
"""

from __future__ import annotations

import json
import re

_FULL_WIDTH = str.maketrans(
    {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
    | {"：": ":", "（": "(", "）": ")", "｛": "{", "｝": "}", "＂": '"'}
)

# What may stand between a marker and the letters: copulas, "选项", brackets, quotes.
_LEAD = (
    r"(?:\s|:|是|为|应为|应该是|应该为|应当是|应选|可能是|选项|选|option|options|\(|\[|【|\{|「|\"|'|“|‘|\*)*"
)
# What may separate the letters of a list.
_SEP = r"(?:\s|、|,|，|和|与|及|/|\+|&|\"|'|“|”|‘|’)*"
# A run of letters ends at the end of the text, punctuation, white space, or one of a few CJK
# characters that follow a stated answer (C项, A选项, B正确); any other letter, digit, hyphen or CJK
# character means the letters were part of a word.
_BOUNDARY = r"(?=$|[^A-Za-z0-9_\-\u3400-\u9fff]|[项选正和或都均])"

_STRONG_MARKERS = re.compile(
    r"正确答案|最终答案|参考答案|答案|final answer|the answer is|answer", re.IGNORECASE
)
_WEAK_MARKERS = re.compile(r"故选|应选|因此选|所以选|我选|选择")
_OPTIONS_LISTING = re.compile(r"^(?:选项|options?)\s*[:：]", re.IGNORECASE)
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_JSON_ANS = re.compile(r"\"(?:ans|answer|answers|答案)\"\s*:\s*(\[[^\]]*\]|\"[^\"]*\")")


def extract_choices(response: str, options: str = "ABCD", multi: bool = False) -> str | None:
    """Return the letters the response chose, sorted and joined ("AC"), or None if it states none.

    `multi` says the question allows several answers; a single-answer question answered with
    several letters still returns them all (and scores as wrong).
    """
    del multi  # the stated letters are returned either way; scoring decides what they are worth
    text = _final_part(response)
    if text is None:
        return None
    text = text.translate(_FULL_WIDTH)
    letters = options.upper()
    for finder in (_from_answer_tag, _from_boxed, _from_json, _from_markers, _from_whole_reply):
        found = finder(text, letters)
        if found:
            return "".join(sorted(set(found)))
    return None


def _final_part(response: str) -> str | None:
    """Drop a reasoning block; None when the response was cut off inside its thinking."""
    if not isinstance(response, str):
        return None
    closing = response.rfind("</think>")
    if closing >= 0:
        return response[closing + len("</think>") :]
    if "<think>" in response:
        return None
    return response


def _letter_run(text: str, letters: str, allow_lower: bool) -> str | None:
    """Letters stated at the very start of `text` (after lead-in words), or None."""
    if not letters:
        return None
    cls = re.escape(letters) + (re.escape(letters.lower()) if allow_lower else "")
    pattern = rf"^{_LEAD}([{cls}](?:{_SEP}[{cls}])*){_BOUNDARY}"
    match = re.match(pattern, text, flags=0)
    if not match:
        return None
    return "".join(ch.upper() for ch in match.group(1) if ch.upper() in letters)


def _from_answer_tag(text: str, letters: str) -> str | None:
    for inner in reversed(_ANSWER_TAG.findall(text)):
        found = _letter_run(inner.strip(), letters, True) or _from_markers(inner, letters)
        if found:
            return found
    return None


def _from_boxed(text: str, letters: str) -> str | None:
    for inner in reversed(_BOXED.findall(text)):
        found = _letter_run(inner.replace("\\text", "").strip(), letters, True)
        if found:
            return found
    return None


def _from_json(text: str, letters: str) -> str | None:
    for raw in reversed(_JSON_ANS.findall(text)):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            continue
        joined = (
            "".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else value
        )
        if isinstance(joined, str):
            found = _letter_run(joined.strip(), letters, True)
            if found:
                return found
    return None


def _from_markers(text: str, letters: str) -> str | None:
    """Letters right after the last answer marker that is followed by letters."""
    for markers in (_STRONG_MARKERS, _WEAK_MARKERS):
        found = None
        for match in markers.finditer(text):
            candidate = _letter_run(text[match.end() :], letters, True)
            if candidate:
                found = candidate
        if found:
            return found
    return None


def _from_whole_reply(text: str, letters: str) -> str | None:
    """A reply that is, or starts with, a list of upper-case letters: "C", "A、C", "B. 间脑".
    A reply that lists the options ("选项：A、B、C、D") restates the question and states no answer."""
    reply = text.strip().lstrip("*#>").strip()
    if _OPTIONS_LISTING.match(reply):
        return None
    return _letter_run(reply, letters, False)
