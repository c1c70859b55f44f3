"""Answer extraction: a model's raw text -> the option letters it chose.

The rules are conservative on purpose: a letter only counts when the response states it as an
answer (after a marker such as 答案/故选/Answer, inside <answer>, \\boxed{} or a JSON "ans" field,
or as the whole reply / its leading token). Letters inside words (ABC理论, CBT, A型人格, SCL-90)
and letters in an explanation that follows the stated answer are never read.
"""

from __future__ import annotations

import functools
import json
import re

_FULL_WIDTH = str.maketrans(
    {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
    | {"：": ":", "（": "(", "）": ")", "｛": "{", "｝": "}", "＂": '"'}
)

# Bump when a change can alter what is extracted from any response: results record it, and runs
# scored under another version are marked until `harness score --run` re-scores them.
EXTRACTOR_VERSION = "2"  # 2: selection verbs, answer phrases, English sentences, (A)(C), stated non-options

# Every pattern below is bounded (no unbounded repetition that can be retried from many starting
# points), and markers are found in one regex pass in C: extraction is linear in the response length.

# What may stand between a marker and the letters: copulas, "选项", brackets, quotes.
_LEAD = (
    r"(?:\s|:|是|为|应为|应该是|应该为|应当是|应选|可能是|选项|选|(?i:options?|is|are|be)|\(|\[|【|】|\]|\{|「|\"|'|“|‘|\*)"
    r"{0,16}+"
)
# What may separate the letters of a list.
# Not a line break: a letter on the next line starts another statement ("A. 错误").
_SEP = r"(?:[ \t]|、|,|，|和|与|及|/|\+|&|\"|'|“|”|‘|’|\(|\)|\*|(?i:and)){0,10}+"
# A run of letters ends at the end of the text, punctuation, white space, or one of a few CJK
# characters that follow a stated answer (C项, A选项, B正确); any other letter, digit, hyphen or CJK
# character means the letters were part of a word.
_BOUNDARY = r"(?=$|[^A-Za-z0-9_\-\u3400-\u9fff]|[项选正和或都均两三四共是为])"
# Capital letters that read as option labels even where the question has no such option: a stated
# "E" on a four-option question is kept (and scores as wrong), never dropped.
LABEL_LIKE = "ABCDEFGH"
_MAX_LETTERS = 26
# Responses longer than this are read at their first WINDOW_HEAD and last WINDOW_TAIL characters.
WINDOW_HEAD = 4_096
WINDOW_TAIL = 60_000  # a stated answer is a short run of letters, never a page of them

_STRONG_MARKERS = (
    r"正确答案|最终答案|参考答案|答案|答(?=\s*:)|正确选项|正确的选项|正确的是|正确的有"
    r"|(?i:final answer|the answer is|answers?)"
)
_WEAK_MARKERS = (
    r"故选|应选|因此选|所以选|我选|我会选|(?<!可以)(?<!可)选择|本题选|应该选|应当选|则选|即选"
    r"|综上[,，:\s]{0,3}选|综上所述[,，:\s]{0,3}选"
)
# After a run of letters: commentary on the letters after its last comma ("答案是A，B与D是干扰项"),
# which are then not part of the answer.
_REJECTED_TAIL = re.compile(
    r"\s*(?:选项|项)?\s*(?:是|为|都|均|也|的说法|说法){0,2}\s*(?:干扰|错|不|混淆|排除|无关|过于)"
)
_CLAUSE_BREAK = re.compile(r"[,，;；]")
_LINE_LABEL = re.compile(r"^[ \t*#>\-]{0,8}([A-Z])[ \t*]{0,4}(?:[.．:：、)]|$)", re.MULTILINE)
_AND = re.compile(r"(?i)and")
# "正确"/"对的" after letters states them right; the letters are looked for in the stretch before
# the last few such words only, which bounds the work on any input.
_SAID_RIGHT = re.compile(r"正确|对的")
_STATEMENT_REACH = 80
_MAX_STATEMENTS = 20
_OPTIONS_LISTING = re.compile(r"^(?:选项|options?)\s*[:：]", re.IGNORECASE)
_ANSWER_TAGS = re.compile(r"<answer>|</answer>", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{([^{}]{0,200})\}")
_JSON_ANS = re.compile(r"\"(?:ans|answer|answers|答案)\"\s*:\s*(\[[^\]]{0,200}\]|\"[^\"]{0,200}\")")


def extract_choices(response: str, options: str = "ABCD", multi: bool = False) -> str | None:
    """Return the letters the response chose, sorted and joined ("AC"), or None if it states none.

    `multi` says the question allows several answers; a single-answer question answered with
    several letters still returns them all (and scores as wrong).
    """
    del multi  # the stated letters are returned either way; scoring decides what they are worth
    text = _final_part(response)
    if text is None:
        return None
    text = _window(text).translate(_FULL_WIDTH)
    letters = options.upper()
    if not letters:
        return None
    for finder in (
        _from_answer_tag,
        _from_boxed,
        _from_json,
        _from_markers,
        _from_stated_correct,
        _from_whole_reply,
    ):
        found = finder(text, letters)
        if found:
            return "".join(sorted(set(found)))
    return None


def _window(text: str) -> str:
    """The parts of a very long response that can state its answer: the start (a reply that opens
    with the letters) and the end (the last marker, tag or box). Bounds the work on any input."""
    if len(text) <= WINDOW_HEAD + WINDOW_TAIL:
        return text
    return text[:WINDOW_HEAD] + "\n" + text[-WINDOW_TAIL:]


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


@functools.lru_cache(maxsize=64)
def _patterns(letters: str) -> tuple[re.Pattern[str], ...]:
    """(lower-case allowed run, upper-case only run, strong-marker run, weak-marker run, stated-
    correct run) for a label set."""
    upper_letters = "".join(dict.fromkeys(letters + LABEL_LIKE))
    lower = re.escape(upper_letters) + re.escape(letters.lower())
    upper = re.escape(upper_letters)

    def letters_run(cls: str) -> str:
        return rf"(?P<run>[{cls}](?:{_SEP}[{cls}]){{0,{_MAX_LETTERS}}}){_BOUNDARY}"

    def run(cls: str) -> str:
        return _LEAD + letters_run(cls)

    return (
        re.compile(run(lower)),
        re.compile(run(upper)),
        # The greedy (?s:.*) makes one match find the last marker followed by letters.
        re.compile(rf"(?s:.*)(?:{_STRONG_MARKERS}){run(lower)}"),
        re.compile(rf"(?s:.*)(?:{_WEAK_MARKERS}){run(lower)}"),
        # "B、D正确", "我认为A和C是正确的", "选项C正确": letters said to be right, read in the short
        # stretch before each 正确 / 对的
        re.compile(
            rf"(?<![A-Za-z0-9]){letters_run(upper)}\s*(?:选项|项)?\s*(?::\s*)?(?:是|为|都是|均为|都|均)?\s*\Z"
        ),
    )


def _letters_of(match: re.Match[str] | None, letters: str) -> str | None:
    """The upper-case letters of a matched run; letters after its last comma are dropped when the
    text goes on to reject them ("答案是A，B与D是干扰项" states A)."""
    if not match:
        return None
    run = match.group("run")
    clauses = _CLAUSE_BREAK.split(run)
    if len(clauses) > 1 and _REJECTED_TAIL.match(match.string, match.end("run")):
        run = "".join(clauses[:-1])
    allowed = set(letters) | set(LABEL_LIKE)
    run = _AND.sub(" ", run)  # the separator word, not the letters a and d
    return "".join(ch.upper() for ch in run if ch.upper() in allowed) or None


def _letter_run(text: str, letters: str, allow_lower: bool) -> str | None:
    """Letters stated at the very start of `text` (after lead-in words), or None."""
    pattern = _patterns(letters)[0 if allow_lower else 1]
    return _letters_of(pattern.match(text), letters)


def _answer_tag_contents(text: str) -> list[str]:
    """The text inside each <answer>...</answer> (from the last opening tag before each closing one)."""
    contents = []
    opened: int | None = None
    for tag in _ANSWER_TAGS.finditer(text):
        if tag.group(0)[1] != "/":
            opened = tag.end()
        elif opened is not None:
            contents.append(text[opened : tag.start()])
            opened = None
    return contents


def _from_answer_tag(text: str, letters: str) -> str | None:
    for inner in reversed(_answer_tag_contents(text)):
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
    """Letters right after the last answer marker that is followed by letters (strong markers
    first, then weak ones)."""
    for pattern in _patterns(letters)[2:]:
        found = _letters_of(pattern.match(text), letters)
        if found:
            return found
    return None


def _from_stated_correct(text: str, letters: str) -> str | None:
    """Letters said to be right where no answer marker stands: "以上说法中，B、D正确，A、C错误"
    states BD. Every such statement counts."""
    pattern = _patterns(letters)[4]
    ends = [word.start() for word in _SAID_RIGHT.finditer(text)][-_MAX_STATEMENTS:]
    found = [_letters_of(pattern.search(text, max(0, end - _STATEMENT_REACH), end), letters) for end in ends]
    return "".join(letter for letters_ in found if letters_ for letter in letters_) or None


def _from_whole_reply(text: str, letters: str) -> str | None:
    """A reply that is, or starts with, a list of upper-case letters: "C", "A、C", "B. 间脑".
    A reply that lists the options ("选项：A、B、C、D") restates the question and states no answer."""
    reply = text.strip().lstrip("*#>").strip()
    if _OPTIONS_LISTING.match(reply.replace("*", "")) or _lists_every_option(text, letters):
        return None
    return _letter_run(reply, letters, False)


def _lists_every_option(text: str, letters: str) -> bool:
    """Whether the reply restates the options, each label opening a line ("A.大脑和小脑", "**B**"):
    an echo of the question, not an answer."""
    labels = {match.group(1) for match in _LINE_LABEL.finditer(text)}
    return len(letters) >= 3 and set(letters) <= labels
