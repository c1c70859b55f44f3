"""Run configurations (YAML), validated: an unknown or bad key is one line naming the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.config_files import read_yaml_config


class LoraSettings(BaseModel):
    """LoRA adapters (peft); merged into the weights when the candidate is saved."""

    model_config = ConfigDict(extra="forbid")
    r: int = Field(16, gt=0)
    alpha: int = Field(32, gt=0)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: str | list[str] = "all-linear"


class DataSource(BaseModel):
    """One training data source: a JSONL file in a documented format, or a benchmark's train split."""

    model_config = ConfigDict(extra="forbid")
    path: str | None = None  # JSONL file, relative to the config file
    format: Literal["rationale_qa", "dialogue", "mcq"] | None = None
    source: Literal["cpsyexam"] | None = None  # read from the data directory
    split: str = "train"
    limit: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_kind(self) -> DataSource:
        if (self.path is None) == (self.source is None):
            raise ValueError("give either 'path' (with 'format') or 'source'")
        if self.path is not None and self.format is None:
            raise ValueError("a 'path' needs its 'format': rationale_qa, dialogue or mcq")
        return self


class RunConfig(BaseModel):
    """What SFT and GRPO share. `effective_batch_size` = per-device batch x gradient accumulation x
    devices; the accumulation is derived from it."""

    model_config = ConfigDict(extra="forbid")
    run_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    base_model: str  # a models.yaml name, a local model folder, or embedded:smollm2
    data: list[DataSource] = Field(min_length=1)
    data_dir: str | None = None  # for benchmark sources (default: PSYCHE_DATA_DIR)
    output_dir: str = "runs"
    models_file: str | None = None  # where the candidate's entry goes (default: ./models.local.yaml)
    learning_rate: float = Field(gt=0)
    effective_batch_size: int = Field(gt=0)
    per_device_train_batch_size: int = Field(1, gt=0)
    num_train_epochs: float = Field(2.0, gt=0)
    max_steps: int = -1
    adam_epsilon: float = 1e-8
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = Field(0.1, ge=0.0, lt=1.0)
    weight_decay: float = 0.0
    logging_steps: int = Field(1, gt=0)
    seed: int = 42
    bf16: bool | Literal["auto"] = "auto"
    gradient_checkpointing: bool = False
    lora: LoraSettings | None = None


class SFTRunConfig(RunConfig):
    """Paper defaults (section 2.5): learning rate 1e-5, effective batch 256, 2 epochs, AdamW eps
    1e-8, cosine schedule, warm-up ratio 0.1."""

    learning_rate: float = Field(1e-5, gt=0)
    effective_batch_size: int = Field(256, gt=0)
    max_length: int = Field(4096, gt=0)


class VllmGenerationSettings(BaseModel):
    """How trl's GRPOTrainer runs vLLM for generation (its `vllm_*` arguments, without the prefix)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    gpu_memory_utilization: float = Field(0.3, gt=0.0, le=1.0)  # colocate: the share vLLM may take
    max_model_length: int | None = Field(None, gt=0)
    tensor_parallel_size: int = Field(1, gt=0)
    enable_sleep_mode: bool = False  # colocate: vLLM frees its memory while the model trains


class GRPORunConfig(RunConfig):
    """Paper defaults: learning rate 1e-6, 2 epochs, KL coefficient 1e-3 (trl's k3 estimator of KL
    to the reference model, VeRL's low_var_kl); the paper's batch sizes are VeRL's (prompts), given
    by rollout_batch_prompts and mini_batch_prompts; without them effective_batch_size counts
    completions per optimizer step."""

    learning_rate: float = Field(1e-6, gt=0)
    effective_batch_size: int = Field(128, gt=0)
    beta: float = Field(1e-3, ge=0.0)
    num_generations: int = Field(8, ge=2)
    max_completion_length: int = Field(1024, gt=0)
    max_prompt_length: int = Field(1024, gt=0)  # longer prompts (tokens) are left out, with a count
    temperature: float = Field(1.0, gt=0.0)
    loss_type: Literal["grpo", "dapo", "dr_grpo", "bnpo"] = "grpo"
    use_vllm: bool | Literal["auto"] = "auto"
    vllm_mode: Literal["colocate", "server"] = "colocate"
    vllm: VllmGenerationSettings = VllmGenerationSettings()
    # VeRL's batch vocabulary (the paper's GRPO trainer, Appendix C.3): prompts per rollout batch
    # (data.train_batch_size, "batch size 128") and prompts per optimizer step (ppo_mini_batch_size,
    # 32). Given, they decide the rest: effective_batch_size = mini_batch_prompts x num_generations
    # completions per optimizer step, and each rollout batch feeds rollout / mini optimizer steps.
    rollout_batch_prompts: int | None = Field(None, gt=0)
    mini_batch_prompts: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _verl_batches(self) -> GRPORunConfig:
        if self.mini_batch_prompts is None:
            if self.rollout_batch_prompts is not None:
                raise ValueError(
                    "rollout_batch_prompts needs mini_batch_prompts (prompts per optimizer step)"
                )
            return self
        completions = self.mini_batch_prompts * self.num_generations
        if "effective_batch_size" in self.model_fields_set and self.effective_batch_size != completions:
            raise ValueError(
                f"effective_batch_size {self.effective_batch_size} disagrees with mini_batch_prompts x "
                f"num_generations = {completions}: give one or the other"
            )
        self.effective_batch_size = completions
        if self.rollout_batch_prompts is not None and self.rollout_batch_prompts % self.mini_batch_prompts:
            raise ValueError("rollout_batch_prompts must be a multiple of mini_batch_prompts")
        return self

    @property
    def generation_batch_size(self) -> int | None:
        """Completions generated per rollout (trl's generation_batch_size), when VeRL's are given."""
        if self.rollout_batch_prompts is None:
            return None
        return self.rollout_batch_prompts * self.num_generations


Config = TypeVar("Config", bound=RunConfig)


def load_config(path: Path, kind: type[Config]) -> Config:
    """The run configuration in `path`; relative data paths are resolved against its folder."""
    config = read_yaml_config(path, kind)
    for source in config.data:
        if source.path is not None:
            source.path = str((Path(path).parent / source.path).resolve())
    return config
