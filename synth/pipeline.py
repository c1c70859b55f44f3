"""The synthesis pipeline: inputs -> clean -> generate -> pool (dedup, ranking) -> decontaminate ->
control -> review -> rationale -> refine -> select, and QA pairs -> clean -> empathy ->
decontaminate; then the split into D_sft and D_grpo. Each stage's output is stored with a digest of
its inputs and settings and reused while that digest holds; every model call is cached."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, did_you_mean
from harness.models import ModelSpec, load_models, resolve_model
from harness.resources import default_models_file
from harness.runs.responses import ProgressFactory
from synth.calls import CallLayer
from synth.config import SynthConfig
from synth.inputs import bank_questions, qa_pairs, source_texts, subfields
from synth.preflight import check_before_any_call
from synth.prompts import SHIPPED, PromptSet
from synth.records import Record, fingerprint
from synth.split import DatasetSummary, write_dataset
from synth.stage import Stage, StageContext, StageOutput, StoredStage, stage_digest
from synth.stages.clean import CleanDialogues, CleanTexts
from synth.stages.control import Control, Review
from synth.stages.decontaminate import Decontaminate, benchmark_index
from synth.stages.empathy import Empathy
from synth.stages.generate import Generate
from synth.stages.pool import Pool
from synth.stages.rationale import Rationale, Refine
from synth.stages.select import Select

Outputs = dict[str, list[Record]]  # each finished stage's kept records, by stage name


@dataclass(frozen=True)
class Step:
    """One stage of the pipeline and what it reads: records from the config's inputs and from the
    kept output of stages before it."""

    stage: Stage
    inputs: Callable[[SynthConfig, Outputs], list[Record]]


def _after(*names: str) -> Callable[[SynthConfig, Outputs], list[Record]]:
    return lambda config, kept: [record for name in names for record in kept[name]]


# The pipeline, declared once: stages run in this order, their folders are numbered by it, each
# step's section of the config is checked against its stage (check_stage_sections).
PIPELINE: tuple[Step, ...] = (
    Step(CleanTexts(), lambda config, kept: list(source_texts(config))),
    Step(CleanDialogues(), lambda config, kept: list(qa_pairs(config))),
    Step(Generate(), lambda config, kept: [*kept["clean_texts"], *subfields(config)]),
    Step(
        Pool(),
        lambda config, kept: [*kept["generate"], *bank_questions(config, config.inputs.question_banks)],
    ),
    Step(Decontaminate("decontaminate_questions"), _after("pool")),
    Step(Control(), _after("decontaminate_questions")),
    Step(Review(), _after("control")),
    Step(Rationale(), _after("review")),
    Step(Refine(), _after("rationale")),
    Step(Select(), _after("refine")),
    Step(Empathy(), _after("clean_dialogues")),
    Step(Decontaminate("decontaminate_dialogues"), _after("empathy")),
    # D_cp: the GRPO exam bank, checked like everything the pipeline makes
    Step(
        Decontaminate("decontaminate_exams"),
        lambda config, kept: list(bank_questions(config, config.inputs.grpo_exams)),
    ),
)
STAGE_ORDER = tuple(step.stage.name for step in PIPELINE)


def check_stage_sections(config: SynthConfig) -> None:
    """Each `stages:` section names a stage of the pipeline and holds only settings of its own:
    one line naming the file otherwise, before anything runs."""
    sections = {step.stage.name: step.stage.section for step in PIPELINE}
    for name in config.stages:
        if name not in sections:
            raise HarnessError(
                f"{config.config_path}: stages.{name}: no such stage{did_you_mean(name, sections)} "
                f"(stages: {', '.join(sections)})"
            )
    for name, section in sections.items():
        section.of(config, name)


@dataclass(frozen=True)
class PipelineResult:
    outputs: dict[str, StageOutput]
    dataset: DatasetSummary


def model_resolver(config: SynthConfig) -> Callable[[str], ModelSpec]:
    """Model names to their entries, the models files read once per run (stages resolve per batch)."""
    paths = [default_models_file(), config.resolve(config.models_file)] if config.models_file else None
    known = load_models(paths)
    return lambda name: known[name] if name in known else resolve_model(name, paths)


def open_context(config: SynthConfig, progress: ProgressFactory | None) -> StageContext:
    resolve = model_resolver(config)
    calls = CallLayer(config.output_path / "calls", resolve, config.prices, config.max_cost, progress)
    prompts = PromptSet(
        config.resolve(config.prompts_dir) if config.prompts_dir else SHIPPED, config.language
    )
    return StageContext(config, calls, prompts, resolve)


def stage_folder(config: SynthConfig, name: str) -> StoredStage:
    return StoredStage(config.output_path / "stages" / f"{STAGE_ORDER.index(name) + 1:02d}-{name}")


def run_pipeline(
    config: SynthConfig, progress: ProgressFactory | None = None, say: Callable[[str], None] | None = None
) -> PipelineResult:
    """Run (or resume) every stage and write the dataset."""
    tell = say or (lambda line: sys.stderr.write(line + "\n"))
    context = open_context(config, progress)
    check_before_any_call(config, context.resolve)
    outputs: dict[str, StageOutput] = {}

    kept: Outputs = {}
    try:
        for step in PIPELINE:
            stage = step.stage
            inputs = step.inputs(config, kept)
            stored = stage_folder(config, stage.name)
            digest = stage_digest(stage, context, fingerprint(inputs))
            output = stored.load_if_current(digest)
            reused = output is not None
            if output is None:
                output = stage.run(context, inputs)
                stored.save(stage.name, digest, len(inputs), output)
            outputs[stage.name], kept[stage.name] = output, output.kept
            state = (
                "reused"
                if reused
                else f"{output.errors} in error (re-run to retry them)"
                if output.errors
                else "done"
            )
            tell(f"{stage.name}: {len(inputs)} in, {len(output.kept)} out ({state})")
        index, _ = benchmark_index(context)  # D_ps, the public files, is checked as it is read
        dataset = write_dataset(
            config,
            kept["select"],
            outputs["select"].groups,
            kept["decontaminate_dialogues"],
            kept["decontaminate_exams"],
            index.hits,
        )
    finally:
        context.calls.close()
    return PipelineResult(outputs, dataset)


def stage_manifests(config: SynthConfig) -> dict[str, dict[str, Any] | None]:
    """Each stage's stored manifest (None when it has not finished yet), in pipeline order."""
    return {name: stage_folder(config, name).manifest() for name in STAGE_ORDER}


def dataset_folder(config: SynthConfig) -> Path:
    return config.output_path / "dataset"
