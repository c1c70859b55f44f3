"""A judge rubric, as written in a task file's `metadata.judge`: the dimensions and their integer
scales, the judge's prompt, and the strict-JSON verdict it must return."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from string import Template
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from harness.backends.base import Message
from harness.data.records import TurnRow
from harness.errors import HarnessError, describe_validation_error
from harness.replies import json_objects, without_fence

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

    def messages(self, history: Sequence[TurnRow], response: str) -> list[Message]:
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
        text = without_fence(answer)
        try:
            verdict = json.loads(text)
        except json.JSONDecodeError as error:
            if json_objects(text):
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


class InvalidVerdict(ValueError):
    """A judge answer that is not the JSON object the rubric asks for."""


class _DimensionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    name: str
    min: StrictInt
    max: StrictInt
    criteria: str

    @model_validator(mode="after")
    def _ordered(self) -> _DimensionConfig:
        if self.min >= self.max:
            raise ValueError("min and max should be integers with min < max")
        return self


class _JudgeConfig(BaseModel):
    """`metadata.judge` of a task file; unknown keys are errors, so a typo cannot pass silently."""

    model_config = ConfigDict(extra="forbid")

    system: str
    template: str
    correction: str
    dimensions: list[_DimensionConfig] = Field(min_length=1)
    default_judge: str = "gpt-4o"
    max_attempts: StrictInt = Field(3, ge=1)
    max_new_tokens: StrictInt = Field(512, ge=1)
    aggregate: Literal["sample", "dialogue_then_topic"] = "sample"

    @model_validator(mode="after")
    def _placeholders(self) -> _JudgeConfig:
        missing = [p for p in ("$history", "$response", "$rubric", "$json_format") if p not in self.template]
        if missing:
            raise ValueError(f"template lacks {', '.join(missing)}")
        return self


def rubric_from_metadata(task: str, metadata: dict[str, Any]) -> Rubric:
    """The rubric of a task file's `metadata.judge`, validated (one line naming the setting)."""
    where = f"task {task}: metadata.judge"
    if not isinstance(metadata.get("judge"), dict):
        raise HarnessError(f"{where} is missing (a judge-scored task needs its rubric)")
    try:
        config = _JudgeConfig.model_validate(metadata["judge"])
    except ValidationError as error:
        raise HarnessError(f"{where}: {describe_validation_error(error)}") from None
    return Rubric(
        task=task,
        dimensions=tuple(Dimension(d.key, d.name, d.min, d.max, d.criteria) for d in config.dimensions),
        system=config.system,
        template=config.template,
        correction=config.correction,
        default_judge=config.default_judge,
        max_attempts=config.max_attempts,
        max_new_tokens=config.max_new_tokens,
        aggregate=config.aggregate,
    )
