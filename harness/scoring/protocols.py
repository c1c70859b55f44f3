"""Benchmark protocols: each benchmark's own way of reading an answer and giving credit, kept beside
the harness's strict protocol (answers.py and metrics.py) so that a result can be set beside the
paper's numbers, which were made this way. A task file names its protocol under
`metadata.benchmark_protocol`.

PCEB (MACLAB-HFUT/Evaluation at 8ff40f3, QuestionHandler.model_answer_processing and
main.correct_rate_compute), restated:
- single-answer questions: the answer is the last letter A-D anywhere in the response;
- multiple-answer and case questions: the answer is the letters of the leftmost stretch that ends at
  the last letter A-D and is made only of letters, each optionally quoted and followed by a separator
  (、 , ， 和), spaces, the characters 选/项 (up to four letters in all);
- no letter A-D at all: unanswered ('E'), left out of the denominator;
- credit compares letter strings: the same string is right (type 0); letters that are a subset of
  the gold's earn |pred| / |gold| (type 1); anything else 0 (type 2). Accuracy = type-0 items over
  answered items; elastic accuracy = the summed credit over answered items.

CPsyExam (CAS-SIAT-XinHai/CPsyExam at 2cb3af8, evaluations/evaluate_api.py, merge_answers.py,
evaluate_submission.py), restated:
- a JSON object {"ans": ...} is read first: for single-answer questions its upper-cased value if it
  is one of the record's option letters, for multiple-answer ones its letters that are options,
  sorted; an "ans" that is not a string (a list, number, null, object) makes its code fail on
  .upper(), ask again and stop the run: nothing is read (unanswered); otherwise, in the upper-cased response, single: the first capital letter (optionally in
  parentheses) if it is an option letter; multiple: every capital letter that is an option letter,
  in order (repeats kept);
- nothing read: unanswered, left out of the submission and of the denominator (its code asks the
  model again up to five times first; the harness reads the one response it has);
- credit: the prediction string equals the answer string. Official numbers: accuracy per subject,
  their mean over single-answer subjects (MCQA) and over multiple-answer subjects (MRQA), and the
  mean of the two (Avg); a question id repeated within a subject counts once (its last entry).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from harness.data.records import DocRow
from harness.errors import HarnessError

PROTOCOL_VERSION = "1"  # bump when any protocol's per-item result can change
UNANSWERED = "E"

_LETTER = "[ABCD]"
_AFTER_LETTER = r"['\"]?\s*[、,，和]?\s*[选项]*['\"]?"  # a quote, a separator, spaces, 选项
_PCEB_RUN = re.compile((_LETTER + "?" + _AFTER_LETTER) * 3 + _LETTER + r"\Z", re.S)
_LAST_LETTER = re.compile(_LETTER)


@dataclass(frozen=True)
class BenchmarkCredit:
    """What the benchmark's own code makes of one response."""

    extracted: str  # the letters read (PCEB writes 'E' when it reads none)
    type: int  # 0 right, 1 a subset of the gold, 2 otherwise
    rate: float  # its elastic credit
    answered: bool = True  # False: left out of the denominator

    def to_json(self) -> dict[str, Any]:
        return {"extracted": self.extracted, "type": self.type, "rate": self.rate, "answered": self.answered}

    @classmethod
    def from_json(cls, reading: Mapping[str, Any]) -> BenchmarkCredit:
        """A stored reading (older ones lack `answered`: PCEB's 'E' meant unanswered)."""
        extracted = str(reading["extracted"])
        answered = bool(reading.get("answered", extracted != UNANSWERED))
        return cls(extracted, int(reading["type"]), float(reading["rate"]), answered)

    def credit(self, metric: str) -> float:
        """Its credit for a metric: standard (acc) is 1 or 0, elastic its rate."""
        return float(self.type == 0) if metric == "acc" else self.rate


# An item whose request failed or was never made: wrong, and in the denominator (never "unanswered",
# which the benchmarks reserve for a response they could not read).
NO_RESPONSE = BenchmarkCredit("", 2, 0.0)


def pceb_extract(response: str, extraction: Literal["single", "multiple", "case"]) -> str:
    """The letters PCEB's code reads from a response ('E' when it has no letter A-D)."""
    last = max((response.rfind(letter) for letter in "ABCD"), default=-1)
    if last < 0:
        return UNANSWERED
    if extraction == "single":
        return response[last]
    # The stretch must end at the last letter; the leftmost start wins (as the first regex match).
    match = _PCEB_RUN.search(response, 0, last + 1)
    assert match is not None  # the last letter alone always matches
    return "".join(re.findall("[ABCD]+", match.group()))


def pceb_credit(extracted: str, gold_as_written: str) -> tuple[int, float]:
    """PCEB's (type, credit) of an answer against the gold as its file writes it."""
    if extracted == gold_as_written:
        return 0, 1.0
    chosen, gold = set(extracted), set(gold_as_written)
    if chosen <= gold:
        return 1, len(chosen) / len(gold)
    return 2, 0.0


def cpsyexam_extract(response: str, choices: str, multi: bool) -> str:
    """The prediction CPsyExam's code reads from a response ('' when it reads none)."""
    try:
        parsed = json.loads(response)
    except (json.JSONDecodeError, RecursionError):
        parsed = None
    if isinstance(parsed, dict) and "ans" in parsed and not isinstance(parsed["ans"], str):
        # Its code calls .upper() on the value: a list, number, null or object raises, it asks again
        # (the same prompt, greedy) and stops the run after five tries. Nothing is read.
        return ""
    stated = parsed.get("ans") if isinstance(parsed, dict) else None
    if isinstance(stated, str):
        answer = stated.upper()
        if not multi and answer in choices and len(answer) == 1:
            return answer
        letters = [letter for letter in answer if letter in choices]
        if multi and letters:
            return "".join(sorted(letters))
    capitals = re.findall(r"\(?([A-Z])\)?", response.upper())
    if not multi:
        return capitals[0] if capitals and capitals[0] in choices else ""
    return "".join(letter for letter in capitals if letter in choices)


def benchmark_credit(protocol: Mapping[str, Any], doc: DocRow, response: str) -> BenchmarkCredit:
    """One response scored by the task's benchmark protocol."""
    name = protocol.get("name")
    gold = str(doc.get("answer_as_written") or doc.get("answer") or "")
    if name == "pceb":
        extracted = pceb_extract(response, protocol.get("extraction", "multiple"))
        kind, rate = pceb_credit(extracted, gold)
        return BenchmarkCredit(extracted, kind, rate, extracted != UNANSWERED)
    if name == "cpsyexam":
        choices = str(doc.get("option_keys") or "".join(o["label"] for o in doc.get("options") or []))
        predicted = cpsyexam_extract(response, choices, bool(doc.get("multi")))
        if not predicted:
            return BenchmarkCredit("", 2, 0.0, answered=False)
        right = predicted == gold
        return BenchmarkCredit(predicted, 0 if right else 2, float(right))
    raise HarnessError(f"unknown benchmark protocol {name!r} (known: pceb, cpsyexam)")


def subject_keys(
    protocol: Mapping[str, Any], docs: Sequence[Mapping[str, Any]]
) -> list[tuple[str, str]] | None:
    """(subject, question id) per doc where the protocol counts per subject (CPsyExam), else None."""
    if protocol.get("name") != "cpsyexam":
        return None
    return [(str(doc["subject"]), str(doc["doc_id"])) for doc in docs]


def summarize_protocol(
    credits: Sequence[BenchmarkCredit | None],
    name: str,
    keys: Sequence[tuple[str, str]] | None = None,
    has_gold: bool = True,
) -> dict[str, Any]:
    """The task's `benchmark` block: accuracy and elastic accuracy over answered items (percent,
    with exact fractions). Only what the model answered unreadably is left out: an item without a
    response (None: its request failed, or a predictions file had none for it) counts as answered
    and wrong, so a failure never raises a score. With `keys` ((subject, question id) per item, CPsyExam), an
    id repeated within a subject counts once (its last entry) and `by_subject` gives [right,
    answered] per subject. Without gold answers (`has_gold` false) there is no accuracy to give."""
    repeated = 0
    if keys is not None:
        last: dict[tuple[str, str], BenchmarkCredit | None] = {}
        for key, credit in zip(keys, credits, strict=True):
            repeated += key in last
            last[key] = credit
        credits = list(last.values())
    without_response = sum(credit is None for credit in credits)
    read = [credit if credit is not None else NO_RESPONSE for credit in credits]
    answered = [credit for credit in read if credit.answered]
    block: dict[str, Any] = {
        "protocol": f"{name} v{PROTOCOL_VERSION}",
        "n_answered": len(answered),
        "n_unanswered": len(read) - len(answered),
        "n_without_response": without_response,
    }
    if not has_gold:
        return block | {"acc": None, "acc_elastic": None}
    if keys is not None:
        by_subject: dict[str, list[int]] = {}
        for (subject, _), credit in last.items():
            credit = credit if credit is not None else NO_RESPONSE
            if credit.answered:
                counts = by_subject.setdefault(subject, [0, 0])
                counts[0] += credit.type == 0
                counts[1] += 1
        block |= {
            "by_subject": by_subject,
            "n_repeated_ids": repeated,
            "official": official_numbers(by_subject),
        }
    if not answered:
        return block | {"acc": None, "acc_elastic": None}
    acc = Fraction(sum(1 for credit in answered if credit.type == 0), len(answered))
    elastic = sum((Fraction(credit.rate).limit_denominator(1000) for credit in answered), Fraction(0)) / len(
        answered
    )
    return block | {
        "acc": 100 * float(acc),
        "acc_elastic": 100 * float(elastic),
        "exact": {
            "acc": [acc.numerator, acc.denominator],
            "acc_elastic": [elastic.numerator, elastic.denominator],
        },
    }


def official_numbers(by_subject: Mapping[str, Sequence[int]]) -> dict[str, Any]:
    """CPsyExam's evaluate_submission.py numbers: accuracy per subject (percent), their mean over
    single-answer subjects (MCQA) and over multiple-answer subjects (MRQA; 0 when there are none),
    and the mean of the two (Avg)."""
    accuracy = {
        name: 100 * right / answered for name, (right, answered) in sorted(by_subject.items()) if answered
    }
    single = [value for name, value in accuracy.items() if "单项选择题" in name]
    multiple = [value for name, value in accuracy.items() if "单项选择题" not in name]
    mcqa = sum(single) / len(single) if single else 0.0
    mrqa = sum(multiple) / len(multiple) if multiple else 0.0
    return {"MCQA": mcqa, "MRQA": mrqa, "Avg": (mcqa + mrqa) / 2, "by_subject": accuracy}
