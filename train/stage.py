"""What SFT and GRPO runs share: the run folder, trainer arguments derived from the config, and
the end of a run (save the candidate, register it, plot and record)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.models import ModelSpec
from train.config import RunConfig
from train.model_io import register_candidate, save_candidate
from train.records import MetricsRecorder, plot_metrics, write_run_info


@dataclass(frozen=True)
class RunFolder:
    root: Path

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"


@dataclass(frozen=True)
class Candidate:
    name: str
    folder: Path
    models_file: Path


def run_folder(config: RunConfig) -> RunFolder:
    folder = RunFolder(Path(config.output_dir).resolve() / config.run_name)
    folder.root.mkdir(parents=True, exist_ok=True)
    if folder.metrics.exists():
        folder.metrics.unlink()  # a new run of the same name starts its metrics afresh
    return folder


def world_size() -> int:
    """Processes of this run (accelerate sets WORLD_SIZE; a plain run is one)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def trainer_arguments(config: RunConfig, folder: RunFolder) -> dict[str, Any]:
    """TrainingArguments shared by SFTConfig and GRPOConfig, from the run config."""
    import torch

    devices = world_size()
    per_step = config.per_device_train_batch_size * devices
    if config.effective_batch_size % per_step:
        raise HarnessError(
            f"effective_batch_size {config.effective_batch_size} is not a multiple of "
            f"per_device_train_batch_size {config.per_device_train_batch_size} x {devices} device(s)"
        )
    cuda = torch.cuda.is_available()
    bf16 = (cuda and torch.cuda.is_bf16_supported()) if config.bf16 == "auto" else bool(config.bf16)
    if bf16 and not cuda and config.bf16 is True:
        raise HarnessError("bf16: true needs a GPU; use bf16: auto (float32 on CPU)")
    return {
        "output_dir": str(folder.checkpoints),
        "run_name": config.run_name,
        "learning_rate": config.learning_rate,
        "per_device_train_batch_size": config.per_device_train_batch_size,
        "gradient_accumulation_steps": config.effective_batch_size // per_step,
        "num_train_epochs": config.num_train_epochs,
        "max_steps": config.max_steps,
        "adam_epsilon": config.adam_epsilon,
        "lr_scheduler_type": config.lr_scheduler_type,
        "warmup_steps": config.warmup_ratio,  # a float below 1 is a ratio of the total steps
        "weight_decay": config.weight_decay,
        "logging_steps": config.logging_steps,
        "seed": config.seed,
        "bf16": bf16,
        "use_cpu": not cuda,
        "gradient_checkpointing": config.gradient_checkpointing,
        "save_strategy": "no",
        "report_to": "none",
    }


def lora_config(config: RunConfig) -> Any:
    if config.lora is None:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora.r,
        lora_alpha=config.lora.alpha,
        lora_dropout=config.lora.dropout,
        target_modules=config.lora.target_modules,
        task_type="CAUSAL_LM",
    )


def train_and_finish(
    trainer: Any,
    tokenizer: Any,
    config: RunConfig,
    folder: RunFolder,
    base: ModelSpec,
    stage: str,
    data_hashes: dict[str, str],
    examples: int,
) -> Candidate | None:
    """Train with the metrics recorder attached, then save and register the candidate (main
    process only; None on the others)."""
    recorder = MetricsRecorder(folder.metrics)
    recorder.trainer = trainer
    trainer.add_callback(recorder)
    trainer.train()
    # Save and register the candidate on the main process only (others return None).
    trainer.accelerator.wait_for_everyone()
    model = trainer.accelerator.unwrap_model(trainer.model)
    if trainer.is_deepspeed_enabled:  # ZeRO-3 shards the weights: gather them for saving
        trainer.save_model(str(folder.model))
    if not trainer.is_world_process_zero():
        return None
    if not trainer.is_deepspeed_enabled:
        save_candidate(model, tokenizer, folder.model)
    else:
        tokenizer.save_pretrained(folder.model)
    notes = f"{stage.upper()} of {base.name} ({base.weights}); run folder {folder.root}"
    models_file = register_candidate(config.run_name, folder.model, base, notes, config.models_file)
    if folder.metrics.exists():
        plot_metrics(folder.metrics, folder.root / "metrics.png")
    write_run_info(
        folder.root,
        stage,
        config.model_dump(mode="json"),
        data_hashes,
        {
            "base_model": base.model_dump(mode="json"),
            "examples": examples,
            "steps": trainer.state.global_step,
        },
    )
    return Candidate(config.run_name, folder.model, models_file)
