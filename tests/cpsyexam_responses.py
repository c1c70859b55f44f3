"""A varied set of model replies to CPsyExam questions, the same for every reader: JSON with a string
"ans" and with other values, letters, sentences, several letters, letters that are no option,
garbage, nothing. Each reply depends only on the item (seeded by split, subject and id), so the
reference readings in fixtures/cpsyexam_reference.json (made by the benchmark's own code) line up."""

from __future__ import annotations

import json
import random


def varied_response(split: str, subject: str, question_id: str, gold: str) -> str:
    rng = random.Random(f"{split}:{subject}:{question_id}")
    letters = [c for c in gold.upper() if c in "ABCDE"] or ["A"]
    other = rng.choice([c for c in "ABCD" if c not in letters] or ["A"])
    right = "".join(letters)
    kinds = [
        lambda: json.dumps({"ans": right}),
        lambda: json.dumps({"ans": right.lower()}),
        lambda: json.dumps({"ans": ",".join(reversed(letters + [other]))}),
        lambda: json.dumps({"ans": list(letters)}),
        lambda: json.dumps({"ans": None}),
        lambda: json.dumps({"ans": 2}),
        lambda: json.dumps({"ans": {"choice": right}}),
        lambda: json.dumps({"ans": ""}),
        lambda: json.dumps({"ans": right + other}),
        lambda: json.dumps({"ans": f" {right} "}),
        lambda: json.dumps({"answer": right}),
        lambda: right,
        lambda: f"答案是{right}。",
        lambda: f"({other}) 因为这一选项最符合题意。",
        lambda: f"The answer is {right}",
        lambda: "、".join(letters + [other]),
        lambda: "我不确定。",
        lambda: "",
        lambda: f'好的：{{"ans": "{right}"}}',
        lambda: "答案：E",
        lambda: f"答案：{other}，不是{right}",
    ]
    return str(rng.choice(kinds)())


def made_up_answer(subject: str, question_id: str, options: dict[str, str]) -> str:
    """An answer for a test item (the benchmark withholds them): a stand-in key, seeded by item, among
    the options that have text."""
    rng = random.Random(f"key:{subject}:{question_id}")
    letters = sorted(label for label, text in options.items() if str(text).strip())
    if "多项" in subject and len(letters) > 1:
        return "".join(sorted(rng.sample(letters, 2)))
    return rng.choice(letters)
