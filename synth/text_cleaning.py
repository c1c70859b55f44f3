"""Text cleaning (the paper's section 2.1): one punctuation style (full-width in Chinese text,
full-width letters and digits made half-width), no emojis (the `emoji` package's list), no
emoticons or links, whitespace tidied; and chunking text into pieces of at most N characters."""

from __future__ import annotations

import re

import emoji

_LINK = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\uff00-\uffef]+", flags=re.IGNORECASE)
_EMOTICON = re.compile(
    r"(?:(?<![\w])[:;=8][\-o\*']?[\)\]\(\[dDpP/\\|@](?![\w]))"  # :) ;-( =D :P
    r"|(?:\^[_\-o]?\^)|(?:[Tt]_[Tt])|(?:\b(?:QAQ|QwQ|orz|OTZ)\b)|(?:[（(][^()（）\w\s]{1,6}[）)])"
)
_CJK = r"\u4e00-\u9fff\u3400-\u4dbf"
_TO_FULL = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；", "(": "（", ")": "）"}
_HALF_PUNCT_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s*([,?!:;])|([,?!:;])\s*(?=[{_CJK}])")
_PERIOD_AFTER_CJK = re.compile(rf"(?<=[{_CJK}])\.(?!\d)")
_PARENS_AROUND_CJK = re.compile(rf"\(([^()]*[{_CJK}][^()]*)\)")
_FULL_WIDTH_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """The text with links, emojis and emoticons removed and punctuation made consistent."""
    text = _LINK.sub("", text)
    text = emoji.replace_emoji(text, replace="")
    text = _EMOTICON.sub("", text)
    text = _FULL_WIDTH_ALNUM.sub(lambda m: chr(ord(m.group()) - 0xFEE0), text)
    text = _PARENS_AROUND_CJK.sub(r"（\1）", text)
    text = _HALF_PUNCT_NEAR_CJK.sub(lambda m: _TO_FULL[m.group(1) or m.group(2)], text)
    text = _PERIOD_AFTER_CJK.sub("。", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", text).strip()


def chunks(text: str, max_chars: int) -> list[str]:
    """The text cut into pieces of at most `max_chars`, at paragraph ends where possible, else at
    sentence ends, else anywhere; no piece is empty."""
    pieces: list[str] = []
    current = ""
    for unit in _units(text, max_chars):
        if current and len(current) + 1 + len(unit) > max_chars:
            pieces.append(current)
            current = ""
        current = f"{current}\n{unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


def _units(text: str, max_chars: int) -> list[str]:
    units: list[str] = []
    for paragraph in (p.strip() for p in text.split("\n")):
        if not paragraph:
            continue
        if len(paragraph) <= max_chars:
            units.append(paragraph)
            continue
        for sentence in re.split(r"(?<=[。！？!?；])", paragraph):
            while len(sentence) > max_chars:
                units.append(sentence[:max_chars])
                sentence = sentence[max_chars:]
            if sentence.strip():
                units.append(sentence.strip())
    return units
