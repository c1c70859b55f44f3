"""Each stage's typed section of the synthesis config: the settings its output depends on, and
nothing else. A section is read from the config file's top-level keys of the same names (shared by
the stages that name them: decoding, format_attempts, language, ...), then from the file's
`stages: {<stage>: {...}}`, which sets any of them for that stage alone; a setting only one stage
has is declared, with its default, in that stage's section. A stage's fingerprint holds its
section whole, so a setting it reads is a setting that re-runs it when changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import HarnessError, describe_validation_error

if TYPE_CHECKING:
    from synth.config import SynthConfig

from synth.config import Decoding, Decontamination, Dedup

Section = TypeVar("Section", bound="StageSettings")


class StageSettings(BaseModel):
    """A stage without settings of its own; stages extend it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def of(cls: type[Section], config: SynthConfig, stage: str) -> Section:
        """This stage's section of `config`: its top-level keys, then `stages.<stage>` over them."""
        shared = config.model_dump(
            mode="json", include=set(cls.model_fields) & set(type(config).model_fields)
        )
        own: Mapping[str, Any] = config.stages.get(stage, {})
        try:
            return cls.model_validate(shared | dict(own))
        except ValidationError as error:
            where = f"{config.config_path or 'synth config'}: stages.{stage}"
            raise HarnessError(f"{where}: {describe_validation_error(error)}") from None

    def fingerprint(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Decoded(StageSettings):
    decoding: Decoding = Decoding()


class Formatted(Decoded):
    format_attempts: int = Field(2, gt=0)  # a malformed reply is asked again, then recorded invalid


class Worded(Formatted):
    language: Literal["zh", "en"] = "zh"


class GenerateSettings(Worded):
    questions_per_chunk: int = Field(5, gt=0)
    question_kinds: list[Literal["single", "multi"]] = ["single", "multi"]


class PoolSettings(Formatted):
    dedup: Dedup = Dedup()


class DecontaminateSettings(StageSettings):
    decontamination: Decontamination = Decontamination()
    dedup: Dedup = Dedup()
    data_dir: str | None = None


class RationaleSettings(Decoded):
    rationale_attempts: int = Field(3, gt=0)  # the paper's T


class RefineSettings(Formatted):
    refine_rounds: int = Field(3, ge=0)  # the paper's R


class SelectSettings(StageSettings):
    select_decoding: Decoding = Decoding(temperature=0.0, max_new_tokens=16)
    challenging_rule: Literal["all_wrong", "majority_wrong", "any_wrong"] = "all_wrong"


class ReviewSettings(StageSettings):
    review_file: str | None = None  # human review decisions (CSV from `harness synth review export`)
