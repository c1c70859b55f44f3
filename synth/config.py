"""The synthesis run configuration (one YAML file): inputs, the model for each stage, the loop
counts T and R, thresholds, seeds, prices. Relative paths are read against the file's folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.config_files import read_yaml_config
from harness.errors import HarnessError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextSource(_Strict):
    """Type I: text files (.txt/.md, or a folder of them), or CPsyExam explanations as text."""

    path: str | None = None
    source: Literal["cpsyexam_explanations"] | None = None
    split: str = "train"
    limit: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_kind(self) -> TextSource:
        if (self.path is None) == (self.source is None):
            raise ValueError("give either 'path' or 'source'")
        return self


class BankSource(_Strict):
    """Type II (and D_cp): an existing question bank, CPsyExam's split or an mcq JSONL file
    ({question, options: {A: ...}, answer})."""

    path: str | None = None
    source: Literal["cpsyexam"] | None = None
    split: str = "train"
    limit: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_kind(self) -> BankSource:
        if (self.path is None) == (self.source is None):
            raise ValueError("give either 'path' or 'source'")
        return self


class SubfieldInput(_Strict):
    """Type III: an under-represented subfield and how many questions to generate for it."""

    name: str = Field(min_length=1)
    questions: int = Field(5, gt=0)


class SftFile(_Strict):
    """D_ps: a public dialogue or QA file passed through to D_sft after validation."""

    path: str
    format: Literal["rationale_qa", "dialogue"]


class Inputs(_Strict):
    textbooks: list[TextSource] = []
    question_banks: list[BankSource] = []
    subfields: list[SubfieldInput] = []
    dialogues: list[str] = []  # Type IV: JSONL of {question, answer, description?}
    sft_extra: list[SftFile] = []
    grpo_exams: list[BankSource] = []  # D_cp


class StageModels(_Strict):
    """A models.yaml name for each stage that calls a model, or `default` for every stage not
    named; `select` names the cross-selection panel (the paper's is three different model
    families; default: the default model alone)."""

    default: str | None = None
    clean: str = ""
    generate: str = ""
    rank: str = ""
    control: str = ""
    rationale: str = ""
    refine: str = ""
    compare: str = ""
    select: list[str] = []
    empathy: str = ""

    @model_validator(mode="after")
    def _every_stage_has_a_model(self) -> StageModels:
        for role in ROLES:
            if not getattr(self, role):
                if not self.default:
                    raise ValueError(f"no model for {role}: name one, or a default for every stage")
                setattr(self, role, self.default)
        if not self.select:
            if not self.default:
                raise ValueError("no model for select: name a panel, or a default")
            self.select = [self.default]
        return self

    def names(self) -> list[str]:
        """Every model the run calls, each once, in stage order."""
        named = [getattr(self, role) for role in ROLES[:-1]]
        return list(dict.fromkeys([*named, *self.select, self.empathy]))


ROLES = ("clean", "generate", "rank", "control", "rationale", "refine", "compare", "empathy")


class Decoding(_Strict):
    temperature: float = Field(0.7, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_new_tokens: int = Field(2048, gt=0)


class Dedup(_Strict):
    """MinHash-LSH over character n-grams; a pair is joined at `threshold` estimated Jaccard, or
    at `edit_similarity` (Indel similarity of the normalised texts; null: off) among the candidates a
    looser index proposes. Defaults chosen from the precision/recall table of benchmarks/dedup.py."""

    threshold: float = Field(0.9, gt=0, lt=1)
    edit_similarity: float | None = Field(0.9, gt=0, le=1)
    num_perm: int = Field(128, gt=0)
    ngram: int = Field(3, gt=0)
    seed: int = 1


class Decontamination(_Strict):
    """A produced item is dropped when it is near a benchmark item (MinHash) or shares a run of
    `overlap_chars` characters with one."""

    benchmarks: list[Literal["pceb", "cpsyexam", "cpsycoune"]] = ["pceb", "cpsyexam", "cpsycoune"]
    threshold: float = Field(0.6, gt=0, lt=1)
    overlap_chars: int = Field(25, gt=5)


class Price(_Strict):
    """US dollars per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


# A stage's own settings that files may give at the top level (as before the stage sections).
STAGE_KEYS_AT_TOP_LEVEL = {
    "questions_per_chunk": "generate",
    "question_kinds": "generate",
    "rationale_attempts": "rationale",
    "refine_rounds": "refine",
    "select_decoding": "select",
    "challenging_rule": "select",
    "review_file": "review",
}
FALLBACK_CHUNK_CHARS = 3000  # a model entry without context_window
PROMPT_TOKENS = 1024  # the generation prompt's instructions, with room to spare (Appendix D: ~600)
MIN_CHUNK_CHARS = 200


class SynthConfig(_Strict):
    output_dir: str = "synth-runs/run"
    data_dir: str | None = None  # benchmark data (default: PSYCHE_DATA_DIR)
    models_file: str | None = None  # besides the shipped models.yaml
    language: Literal["zh", "en"] = "zh"  # which prompt files the stages use
    prompts_dir: str | None = None  # prompt files that replace the shipped ones (same names)
    inputs: Inputs
    models: StageModels
    # Settings every stage that names them shares; a stage's section (`stages:`) may set its own.
    decoding: Decoding = Decoding()
    # Characters of source text per generation call; None: as much as the generation model's
    # context_window holds beside the prompt and the reply (see chunk_size).
    chunk_chars: int | None = Field(None, ge=20)
    format_attempts: int = Field(2, gt=0)  # a malformed reply is asked again, then recorded invalid
    dedup: Dedup = Dedup()
    decontamination: Decontamination = Decontamination()
    # Each stage's own settings, by stage name (synth/stage_settings.py): questions_per_chunk and
    # question_kinds (generate), rationale_attempts (rationale, the paper's T), refine_rounds
    # (refine, the paper's R), select_decoding and challenging_rule (select), review_file (review),
    # and any shared setting above for that stage alone. Checked against the stages when loaded.
    stages: dict[str, dict[str, Any]] = {}
    prices: dict[str, Price] = {}
    max_cost: float | None = Field(None, gt=0)
    seed: int = 0
    config_path: str = Field("", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _stage_settings_at_top_level(cls, data: Any) -> Any:
        """Files written before the sections give a stage's own settings at the top level: they
        are read into that stage's section (set in both places, it is one line)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        stages = {name: dict(section or {}) for name, section in (data.get("stages") or {}).items()}
        for key, stage in STAGE_KEYS_AT_TOP_LEVEL.items():
            if key in data:
                if key in stages.get(stage, {}):
                    raise ValueError(f"{key} is set twice: at the top level and under stages.{stage}")
                stages.setdefault(stage, {})[key] = data.pop(key)
        if stages:
            data["stages"] = stages
        return data

    def chunk_size(self, context_window: int | None) -> int:
        """`chunk_chars`, or what the generation model's context holds: its window less the reply
        (decoding.max_new_tokens) and the instructions (PROMPT_TOKENS), one character per token
        (Chinese text runs about 1.4 characters per Qwen token: a margin); FALLBACK_CHUNK_CHARS when
        the model states no window."""
        if self.chunk_chars is not None:
            return self.chunk_chars
        if context_window is None:
            return FALLBACK_CHUNK_CHARS
        room = context_window - self.decoding.max_new_tokens - PROMPT_TOKENS
        if room < MIN_CHUNK_CHARS:
            raise HarnessError(
                f"{self.config_path or 'synth config'}: the generation model's context_window "
                f"({context_window} tokens) leaves {room} for text beside a {self.decoding.max_new_tokens}-token "
                f"reply; set chunk_chars or lower decoding.max_new_tokens"
            )
        return room

    def check_budget(self) -> None:
        """A cost limit needs a price for every model the run calls: without one its calls would
        cost nothing in the ledger and the limit would never stop the run."""
        if self.max_cost is None:
            return
        unpriced = [name for name in self.models.names() if name not in self.prices]
        if unpriced:
            raise HarnessError(
                f"{self.config_path}: max_cost ${self.max_cost:g} cannot be kept: no price for "
                f"{', '.join(unpriced)} (add them under prices: {{input: ..., output: ...}} USD per million "
                "tokens, or run without a cost limit)"
            )

    def resolve(self, path: str) -> Path:
        """A path as the config file means it."""
        return (Path(self.config_path).parent / path).resolve()

    @property
    def output_path(self) -> Path:
        from harness.resources import output_folder

        return output_folder(Path(self.config_path), self.output_dir)


def load_synth_config(path: Path) -> SynthConfig:
    """The config, each stage's section checked against the stage (one line naming the file)."""
    from synth.pipeline import check_stage_sections

    config = read_yaml_config(path, SynthConfig)
    config.config_path = str(Path(path).resolve())
    check_stage_sections(config)
    return config


def settings_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
