"""Running one step of a sweep in its own folder (`<output_dir>/steps/<kind>-<digest>/`): the
synthesis pipeline, composing a variant's training data, `harness train sft|grpo`, `harness eval`.
A step is finished when its done.json (written last, atomically) names its digest."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import yaml

from harness.done_records import done_record as read_done
from harness.done_records import mark_done
from harness.errors import HarnessError
from harness.files import write_text_atomically
from sweep.config import training_settings
from sweep.plan import Plan, Step


def step_folder(output: Path, step: Step) -> Path:
    return output / "steps" / step.label


def done_record(output: Path, step: Step) -> dict[str, Any] | None:
    """What a finished step left (its outputs), or None when it has not finished."""
    return read_done(step_folder(output, step) / "done.json", step.digest)


def run_step(output: Path, plan: Plan, step: Step) -> dict[str, Any]:
    """Run a step whose needs are finished; returns and records its outputs."""
    folder = step_folder(output, step)
    folder.mkdir(parents=True, exist_ok=True)
    needed = {digest: done_record(output, plan.steps[digest]) for digest in step.needs}
    if any(record is None for record in needed.values()):
        raise HarnessError(f"step {step.label}: a step it needs has not finished")
    inputs = {plan.steps[digest].kind: record["outputs"] for digest, record in needed.items() if record}
    started = time.monotonic()
    runner = {"synth": _synth, "data": _data, "sft": _train, "grpo": _train, "eval": _eval}[step.kind]
    outputs = runner(step, folder, inputs)
    record = {"kind": step.kind, "outputs": outputs, "seconds": round(time.monotonic() - started, 1)}
    return mark_done(folder / "done.json", step.digest, record)


def _synth(step: Step, folder: Path, inputs: dict[str, Any]) -> dict[str, Any]:
    from harness.progress import ProgressDisplay
    from synth.config import load_synth_config
    from synth.pipeline import run_pipeline

    with ProgressDisplay() as progress:  # each stage's line and progress on stderr
        result = run_pipeline(load_synth_config(Path(step.settings["config"])), progress)
    return {"dataset": str(result.dataset.folder)}


def _data(step: Step, folder: Path, inputs: dict[str, Any]) -> dict[str, Any]:
    """A training step's files from the dataset's parts, per the variant's recipe."""
    parts = Path(inputs["synth"]["dataset"]) / "parts"
    recipe = step.settings

    def read(name: str) -> list[dict[str, Any]]:
        path = parts / f"{name}.jsonl"
        if not path.exists():
            raise HarnessError(f"{path}: missing; re-run the synthesis (harness synth run)")
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    files = _sft_files(recipe, read) if recipe["for"] == "sft" else {"grpo_mcq": _grpo_rows(recipe, read)}
    outputs: dict[str, Any] = {}
    for name, rows in files.items():
        if rows:
            path = folder / f"{name}.jsonl"
            write_text_atomically(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
            outputs[name] = str(path)
    return outputs


def _sft_files(recipe: dict[str, Any], read: Any) -> dict[str, list[dict[str, Any]]]:
    qa: list[dict[str, Any]] = []
    dialogues: list[dict[str, Any]] = []
    for part in recipe["sft_parts"]:
        if part in ("D_pr", "D_pc"):
            qa += [_with_rationale(row, recipe["rationales"]) for row in read(part)]
        elif part == "D_em":
            dialogues += read("D_em")
        elif part == "D_ps":
            qa += read("D_ps_rationale_qa")
            dialogues += read("D_ps_dialogue")
        else:
            raise HarnessError(f"sft_parts: {part} is multiple-choice data for GRPO, not SFT")
    dialogues += [_qa_dialogue(row) for row in qa if "rationale" not in row]
    return {"sft_rationale_qa": [row for row in qa if "rationale" in row], "sft_dialogue": dialogues}


def _grpo_rows(recipe: dict[str, Any], read: Any) -> list[dict[str, Any]]:
    mcq: list[dict[str, Any]] = []
    for part in recipe["grpo_parts"]:
        if part == "D_pc" and recipe["challenging"] == "random":
            challenging = read("D_pc")
            pool = read("D_pr") + challenging
            mcq += random.Random(recipe["seed"]).sample(pool, len(challenging))
        elif part in ("D_pc", "D_pr", "D_cp"):
            mcq += read(part)
        else:
            raise HarnessError(f"grpo_parts: {part} has no questions with answers for GRPO")
    return mcq


def _with_rationale(row: dict[str, Any], rationales: str) -> dict[str, Any]:
    if rationales == "none":
        return {key: value for key, value in row.items() if key not in ("rationale", "first_rationale")}
    if rationales == "first":
        return row | {"rationale": row.get("first_rationale", row["rationale"])}
    return row


def _qa_dialogue(row: dict[str, Any]) -> dict[str, Any]:
    """A question answered without a rationale (Table 3's +QA): the options, then the answer."""
    options = "\n".join(f"{label}. {text}" for label, text in sorted(row["options"].items()))
    return {
        "messages": [
            {"role": "user", "content": f"{row['question']}\n{options}"},
            {"role": "assistant", "content": f"答案：{row['answer']}"},
        ]
    }


def _train(step: Step, folder: Path, inputs: dict[str, Any]) -> dict[str, Any]:
    """`harness train sft|grpo` on the step's config with the sweep's overrides, its data and base."""
    settings = step.settings
    config = training_settings(Path(settings["config"]), settings["overrides"])
    model = settings["model"]
    config["base_model"] = inputs[_model_step_kind(inputs)]["model"] if "step" in model else model["base"]
    config["run_name"] = f"{settings['name']}-{step.digest[:8]}"
    config["output_dir"] = str(folder)
    config["models_file"] = str(folder / "models.yaml")
    data = inputs.get("data", {})
    files = (
        [(data.get("sft_rationale_qa"), "rationale_qa"), (data.get("sft_dialogue"), "dialogue")]
        if step.kind == "sft"
        else [(data.get("grpo_mcq"), "mcq")]
    )
    chosen = [{"path": path, "format": kind} for path, kind in files if path]
    if chosen:
        config["data"] = chosen
    else:  # no synthesis recipe: the config's own data, read against its own folder
        for source in config.get("data", []):
            if source.get("path"):
                source["path"] = str((Path(settings["config"]).parent / source["path"]).resolve())
    path = folder / "config.yaml"
    write_text_atomically(path, yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    if settings.get("accelerate"):
        return _launch(step, settings["accelerate"], path, folder / config["run_name"] / "model")
    if step.kind == "sft":
        from train.sft import run_sft as run
    else:
        from train.grpo import run_grpo as run
    candidate = run(path)
    if candidate is None:
        raise HarnessError(f"step {step.label}: training gave no candidate")
    return {"model": str(candidate.folder)}


def _launch(step: Step, accelerate_config: str, config: Path, model: Path) -> dict[str, Any]:
    """`accelerate launch --config_file C -m train sft|grpo --config F`, output shown as it comes."""
    import subprocess
    import sys

    command = [
        str(Path(sys.executable).with_name("accelerate")),
        "launch",
        "--config_file",
        accelerate_config,
    ]
    from sweep.children import dies_with_this_process

    done = subprocess.run(
        [*command, "-m", "train", step.kind, "--config", str(config)],
        cwd=config.parent,
        preexec_fn=dies_with_this_process(),  # noqa: PLW1509 - it only makes one system call
    )
    if done.returncode != 0 or not (model / "config.json").exists():
        raise HarnessError(
            f"step {step.label}: accelerate launch exited {done.returncode} without a model in {model}"
        )
    return {"model": str(model)}


def _model_step_kind(inputs: dict[str, Any]) -> str:
    return "grpo" if "grpo" in inputs else "sft"


def _eval(step: Step, folder: Path, inputs: dict[str, Any]) -> dict[str, Any]:
    from harness.models import resolve_model
    from harness.runs.runner import RunOptions, evaluate

    model = step.settings["model"]
    spec = resolve_model(inputs[_model_step_kind(inputs)]["model"] if "step" in model else model["base"])
    options = RunOptions(
        output_dir=folder / "results",
        limit=step.settings["limit"],
        max_new_tokens=step.settings["max_new_tokens"],
        split=step.settings["split"],
    )
    from harness.progress import ProgressDisplay

    with ProgressDisplay() as progress:
        evaluate(spec, list(step.settings["tasks"]), options, progress)
    from harness.runs.results import resolve_run

    return {"run": str(resolve_run(folder / "results", spec.name))}
