"""A sweep file: a base variant (model, data recipe, training steps, evaluation) and named variants
as overrides of it (a variant is a transform of the base, as HELM's run expanders are). Relative
paths are read against the sweep file's folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.config_files import read_yaml_config
from harness.errors import HarnessError, describe_validation_error

Part = Literal["D_pr", "D_pc", "D_em", "D_ps", "D_cp"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataRecipe(_Strict):
    """Which data the training steps get: parts of a synthesis run's dataset, and how."""

    synth: str | None = None  # a synthesis config (run, or reused, before training)
    sft_parts: list[Part] = ["D_pr", "D_em", "D_ps"]
    grpo_parts: list[Part] = ["D_pc", "D_cp"]
    # Table 3: rationales after the refinement rounds (iterated), before them (first), or none (QA only)
    rationales: Literal["iterated", "first", "none"] = "iterated"
    # Figure 3: GRPO's questions by cross-selection, or as many drawn at random from D_pr and D_pc
    challenging: Literal["cross_selection", "random"] = "cross_selection"
    seed: int = 0


class TrainStep(_Strict):
    """A training step: a `harness train` config and the settings a sweep replaces in it; with an
    accelerate config it runs as `accelerate launch -m train ...` (several GPUs, DeepSpeed)."""

    config: str
    overrides: dict[str, Any] = {}
    accelerate: str | None = None  # e.g. ../../train/accelerate/multi_gpu_zero3.yaml


class EvalStep(_Strict):
    tasks: list[str] = Field(min_length=1)
    limit: int | None = Field(None, gt=0)
    max_new_tokens: int | None = Field(None, gt=0)
    split: str | None = None


class Variant(_Strict):
    model: str  # the base model: a models.yaml name, a local folder, or embedded:smollm2
    data: DataRecipe = DataRecipe()
    sft: TrainStep | None = None
    grpo: TrainStep | None = None
    eval: EvalStep


class Report(_Strict):
    kind: Literal["table3", "table4", "figure3", "figure4", "none"] = "none"
    base: str = "Base"  # the variant every other is compared with (tables)
    reference: str | None = None  # the paper's rows (CSV), beside the sweep file (tables)
    labels: str | None = None  # figure4: the folder `harness synth label` wrote
    pairs: list[tuple[str, str]] = []  # tables: variants compared with each other besides the base


class Executor(_Strict):
    """Where steps run: here, one at a time (local), or as Slurm jobs (slurm)."""

    kind: Literal["local", "slurm"] = "local"
    slurm: dict[str, Any] = {}  # sweep.slurm.SlurmSettings: partition, timeout_min, train_gpus, ...


class SweepFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    output_dir: str
    base: dict[str, Any]
    variants: dict[str, dict[str, Any] | None] = Field(min_length=1)
    report: Report = Report()
    executor: Executor = Executor()
    path: str = Field("", exclude=True)

    def resolve(self, path: str) -> Path:
        return (Path(self.path).parent / path).resolve()

    @property
    def output_path(self) -> Path:
        from harness.resources import output_folder

        return output_folder(Path(self.path), self.output_dir)

    def expand(self) -> dict[str, Variant]:
        """Each variant: the base with its overrides merged in (a null removes a setting)."""
        variants = {}
        for name, overrides in self.variants.items():
            merged = merge(self.base, overrides or {})
            try:
                variants[name] = Variant.model_validate(merged)
            except ValidationError as error:
                raise HarnessError(
                    f"{self.path}: variant {name!r}: {describe_validation_error(error)}"
                ) from None
        return variants


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` merged in, mappings recursively; None deletes the key."""
    merged = dict(base)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_sweep(path: Path) -> SweepFile:
    sweep = read_yaml_config(path, SweepFile)
    sweep.path = str(Path(path).resolve())
    variants = sweep.expand()  # every variant checked now, not when its turn comes
    for name, variant in variants.items():
        _check_model_and_training(sweep, name, variant)
    report = sweep.report
    named = ([report.base] if report.kind in ("table3", "table4") else []) + [
        v for pair in report.pairs for v in pair
    ]
    unknown = [name for name in named if name not in variants]
    if unknown:  # found now, not when the report is written hours later (or a pair silently dropped)
        raise HarnessError(
            f"{path}: report names {', '.join(repr(n) for n in unknown)}, not a variant of this sweep "
            f"({', '.join(variants)})"
        )
    return sweep


def _check_model_and_training(sweep: SweepFile, name: str, variant: Variant) -> None:
    """The variant's model resolves, and each training step's config with the sweep's overrides is a
    valid `harness train` config, checked through train's own config models (a typo in an override
    or an unknown base model is found before the first step, naming the sweep file)."""
    from harness.models import resolve_model
    from train.config import GRPORunConfig, SFTRunConfig
    from train.model_io import base_spec

    where = f"{sweep.path}: variant {name!r}"
    trained = [(kind, step) for kind, step in (("sft", variant.sft), ("grpo", variant.grpo)) if step]
    try:
        base_spec(variant.model) if trained else resolve_model(variant.model)
    except HarnessError as error:
        raise HarnessError(f"{where}: model: {error}") from None
    for kind, step in trained:
        path = sweep.resolve(step.config)
        try:
            settings = training_settings(path, step.overrides)
        except HarnessError as error:
            raise HarnessError(f"{where}: {kind}.config {error}") from None
        if step.accelerate and not sweep.resolve(step.accelerate).is_file():
            raise HarnessError(f"{where}: {kind}.accelerate {sweep.resolve(step.accelerate)}: no such file")
        # as the step will write it, with the variant's base model
        merged = settings | {"base_model": variant.model, "run_name": f"{sweep.name}-{kind}"}
        try:
            (SFTRunConfig if kind == "sft" else GRPORunConfig).model_validate(merged)
        except ValidationError as error:
            bad = describe_validation_error(error)
            raise HarnessError(
                f"{where}: {kind} step ({path.name} with the sweep's overrides): {bad}"
            ) from None


def training_settings(path: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """A training step's settings: its `harness train` config with the sweep's overrides on top
    (what the step writes and runs, and what the sweep is checked against when read)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise HarnessError(f"{path}: cannot read it ({error})") from None
    if not isinstance(raw, dict):
        raise HarnessError(f"{path}: not a mapping of settings")
    return raw | dict(overrides)
