"""`harness train sft`: supervised fine-tuning with trl's SFTTrainer on rationale QA and dialogues,
loss on the completion (assistant) tokens only."""

from __future__ import annotations

from pathlib import Path

from train.config import SFTRunConfig, load_config
from train.data import sft_rows
from train.model_io import base_spec, load_base
from train.stage import Candidate, lora_config, run_folder, train_and_finish, trainer_arguments


def run_sft(config_path: Path) -> Candidate | None:
    config = load_config(config_path, SFTRunConfig)
    data = sft_rows(config.data, config.data_dir)
    base = base_spec(config.base_model)
    folder = run_folder(config)

    from datasets import Dataset
    from trl.trainer.sft_config import SFTConfig
    from trl.trainer.sft_trainer import SFTTrainer

    model, tokenizer = load_base(base)
    arguments = SFTConfig(
        **trainer_arguments(config, folder),
        max_length=config.max_length,
        completion_only_loss=True,
    )
    trainer = SFTTrainer(
        model=model,
        args=arguments,
        train_dataset=Dataset.from_list(data.rows),
        processing_class=tokenizer,
        peft_config=lora_config(config),
    )
    return train_and_finish(trainer, tokenizer, config, folder, base, "sft", data.hashes, len(data.rows))
