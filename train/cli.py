"""`harness train sft|grpo --config FILE`, added to the harness command through the
`psyche_harness.commands` entry point. Imports nothing heavy until a command runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from harness.errors import HarnessError
from harness.packages import install_hint

if TYPE_CHECKING:
    from train.stage import Candidate

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Train candidate models: SFT, then GRPO (optional extra).",
)
ConfigOption = Annotated[Path, typer.Option("--config", help="Run configuration (YAML); see train/configs/")]


def _require_extra() -> None:
    missing = [name for name in ("trl", "peft", "accelerate") if importlib.util.find_spec(name) is None]
    if missing:
        raise HarnessError(
            f"training needs the train extra ({', '.join(missing)} missing): {install_hint('train')}"
        )


@app.command("sft")
def sft_command(config: ConfigOption) -> None:
    """Supervised fine-tuning (trl SFTTrainer); writes the candidate and its models entry."""
    _require_extra()
    from train.sft import run_sft

    _report(run_sft(config))


@app.command("grpo")
def grpo_command(config: ConfigOption) -> None:
    """GRPO (trl GRPOTrainer) with R = R_fmt + R_acc; writes the candidate and its models entry."""
    _require_extra()
    from train.grpo import run_grpo

    _report(run_grpo(config))


def _report(candidate: Candidate | None) -> None:
    if candidate is None:  # not the main process
        return
    sys.stdout.write(
        f"candidate {candidate.name}: {candidate.folder} (registered in {candidate.models_file})\n"
        f"evaluate it with: harness eval --model {candidate.name} --tasks pceb\n"
    )


def main() -> None:
    """`python -m train ...`: the same commands with the harness's one-line errors."""
    try:
        app()
    except HarnessError as error:
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)
