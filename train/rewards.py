"""The paper's GRPO rewards (section 2.5), R = R_fmt + R_acc, as trl reward functions: each takes
the batch's completions (plain strings or [{"role": "assistant", "content": ...}]) and the dataset
columns as keyword arguments, and returns one float per completion.

    from train.rewards import format_reward, accuracy_reward
    GRPOTrainer(..., reward_funcs=[format_reward, accuracy_reward])

Answers are read with the harness's own extraction (harness.scoring.answers.extract_choices), so training
and evaluation parse a reply the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from harness.scoring.answers import extract_choices
from harness.scoring.metrics import elastic_accuracy

FORMAT_OK, FORMAT_BAD = 1.25, -1.0
WRONG = -1.0
DEFAULT_LETTERS = "ABCDEFGH"
_THINK_THEN_ANSWER = re.compile(r"^\s*<think>(?P<thinking>.*?)</think>(?P<answer>.*)$", re.DOTALL)


def format_reward(completions: Sequence[Any], options: Sequence[str] | None = None, **_: Any) -> list[float]:
    """R_fmt: +1.25 when the completion is one <think>...</think> block (with some reasoning)
    followed by a final answer the harness can parse, else -1."""
    rewards = []
    for index, completion in enumerate(completions):
        text = _text(completion)
        match = _THINK_THEN_ANSWER.match(text)
        well_formed = (
            match is not None
            and match.group("thinking").strip() != ""
            and "<think>" not in match.group("thinking")
            and "<think>" not in match.group("answer")
            and "</think>" not in match.group("answer")
            and extract_choices(match.group("answer"), _letters(options, index)) is not None
        )
        rewards.append(FORMAT_OK if well_formed else FORMAT_BAD)
    return rewards


def accuracy_reward(
    completions: Sequence[Any], answer: Sequence[str], options: Sequence[str] | None = None, **_: Any
) -> list[float]:
    """R_acc (Eq. 2): +1 when the predicted set equals the gold set; |pred| / |gold| when the
    prediction is a proper non-empty subset of the gold set; -1 otherwise (wrong, superset,
    unparsable, or no gold)."""
    rewards = []
    for index, completion in enumerate(completions):
        predicted = extract_choices(_text(completion), _letters(options, index))
        # the evaluation's own elastic accuracy: 1 for the gold set, |pred|/|gold| for a subset
        credit = elastic_accuracy(predicted, answer[index] or "")
        rewards.append(credit if credit > 0 else WRONG)
    return rewards


def _text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content") or "")
    return ""


def _letters(options: Sequence[str] | None, index: int) -> str:
    return options[index] if options and options[index] else DEFAULT_LETTERS
