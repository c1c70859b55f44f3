"""A judge rubric, as written in a task file's `metadata.judge`: the dimensions and their integer
scales, the judge's prompt, and the strict-JSON verdict it must return."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from string import Template
from typing import Any, Literal

from harness.backends.base import Message
from harness.errors import HarnessError

_FENCED = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.DOTALL | re.IGNORECASE)
SPEAKERS = {"user": "来访者", "assistant": "咨询师"}


@dataclass(frozen=True)
class Dimension:
    key: str  # the JSON key the judge answers with
    name: str  # its Chinese name, as the judge reads it
    low: int
    high: int
    criteria: str  # what each score means

    def scale(self) -> range:
        return range(self.low, self.high + 1)


@dataclass(frozen=True)
class Rubric:
    task: str
    dimensions: tuple[Dimension, ...]
    system: str
    template: str  # string.Template with $history, $response, $rubric, $json_format
    correction: str  # sent after an invalid answer; $reason
    default_judge: str
    max_attempts: int
    max_new_tokens: int
    aggregate: Literal["sample", "dialogue_then_topic"]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dimension.key for dimension in self.dimensions)

    def digest(self) -> str:
        """A short hash of everything the judge is told (recorded in results.json)."""
        payload = json.dumps(
            [self.system, self.template, self.correction, [d.__dict__ for d in self.dimensions]],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def messages(self, history: list[dict[str, str]], response: str) -> list[Message]:
        """The judge's prompt for one counselor turn written after `history`."""
        transcript = "\n".join(
            f"{SPEAKERS[turn['role']]}：{turn['content']}" for turn in history if turn["role"] in SPEAKERS
        )
        rubric = "\n".join(
            f"- {d.key}（{d.name}，{d.low}-{d.high}分的整数）：{d.criteria}" for d in self.dimensions
        )
        json_format = json.dumps(
            {d.key: f"<{d.low}-{d.high}的整数>" for d in self.dimensions} | {"reason": "<一句话理由>"},
            ensure_ascii=False,
        )
        user = Template(self.template).substitute(
            history=transcript, response=response, rubric=rubric, json_format=json_format
        )
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def correction_messages(self, answer: str, reason: str) -> list[Message]:
        """Appended to the prompt for the next attempt after an invalid answer."""
        return [
            {"role": "assistant", "content": answer},
            {"role": "user", "content": Template(self.correction).substitute(reason=reason)},
        ]

    def parse(self, answer: str) -> dict[str, int]:
        """The scores of a strict-JSON verdict, or InvalidVerdict saying what is wrong with it."""
        text = answer.strip()
        fenced = _FENCED.match(text)
        if fenced:
            text = fenced.group(1).strip()
        try:
            verdict = json.loads(text)
        except json.JSONDecodeError as error:
            if _embeds_object(text):
                raise InvalidVerdict(
                    "a JSON object with other text around it; answer only the object"
                ) from None
            raise InvalidVerdict(f"not valid JSON ({error.msg} at char {error.pos})") from None
        if not isinstance(verdict, dict):
            raise InvalidVerdict(f"expected a JSON object, got {type(verdict).__name__}")
        scores = {}
        for dimension in self.dimensions:
            if dimension.key not in verdict:
                raise InvalidVerdict(f"missing key {dimension.key!r}")
            value = verdict[dimension.key]
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidVerdict(f"{dimension.key} should be an integer, got {value!r}")
            if value not in dimension.scale():
                raise InvalidVerdict(f"{dimension.key}={value} is outside {dimension.low}-{dimension.high}")
            scores[dimension.key] = value
        return scores


def _embeds_object(text: str) -> bool:
    """Whether a JSON object starts somewhere inside the text (a verdict wrapped in prose)."""
    start = text.find("{")
    if start < 0:
        return False
    try:
        json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError:
        return False
    return True


class InvalidVerdict(ValueError):
    """A judge answer that is not the JSON object the rubric asks for."""


def rubric_from_metadata(task: str, metadata: dict[str, Any]) -> Rubric:
    """The rubric of a task file's `metadata.judge`, checked field by field."""
    where = f"task {task}: metadata.judge"
    config = metadata.get("judge")
    if not isinstance(config, dict):
        raise HarnessError(f"{where} is missing (a judge-scored task needs its rubric)")

    def field(key: str, kind: type, default: Any = None) -> Any:
        value = config.get(key, default)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            raise HarnessError(f"{where}.{key} should be a {kind.__name__}, got {value!r}")
        return value

    dimensions = []
    for index, raw in enumerate(field("dimensions", list)):
        at = f"{where}.dimensions[{index}]"
        if not isinstance(raw, dict) or not {"key", "name", "min", "max", "criteria"} <= raw.keys():
            raise HarnessError(f"{at} needs key, name, min, max and criteria")
        if not isinstance(raw["min"], int) or not isinstance(raw["max"], int) or raw["min"] >= raw["max"]:
            raise HarnessError(f"{at}: min and max should be integers with min < max")
        dimensions.append(
            Dimension(str(raw["key"]), str(raw["name"]), raw["min"], raw["max"], str(raw["criteria"]))
        )
    if not dimensions:
        raise HarnessError(f"{where}.dimensions is empty")
    aggregate = field("aggregate", str, "sample")
    if aggregate not in ("sample", "dialogue_then_topic"):
        raise HarnessError(f"{where}.aggregate should be sample or dialogue_then_topic, got {aggregate!r}")
    template = field("template", str)
    for placeholder in ("$history", "$response", "$rubric", "$json_format"):
        if placeholder not in template:
            raise HarnessError(f"{where}.template lacks {placeholder}")
    return Rubric(
        task=task,
        dimensions=tuple(dimensions),
        system=field("system", str),
        template=template,
        correction=field("correction", str),
        default_judge=field("default_judge", str, "gpt-4o"),
        max_attempts=max(1, field("max_attempts", int, 3)),
        max_new_tokens=field("max_new_tokens", int, 512),
        aggregate=aggregate,
    )
