"""What a training run leaves beside its model: metrics as JSONL (one line per log), a PNG of
them, and run_info.json (config, data hashes, package versions); plus the progress bar's
loss/reward read-out."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

PLOTTED = (
    ("loss", "loss"),
    ("reward", "mean reward"),
    ("rewards/format_reward/mean", "R_fmt"),
    ("rewards/accuracy_reward/mean", "R_acc"),
    ("kl", "KL"),
)
TRAIN_PACKAGES = ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "deepspeed", "vllm")


class MetricsRecorder(TrainerCallback):  # type: ignore[misc,unused-ignore]
    """Appends every log to metrics.jsonl (main process only) and shows loss/reward on the bar."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.trainer: Any = None

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if not logs or not state.is_world_process_zero:
            return
        record = {"step": state.global_step, "epoch": state.epoch, "time": time.time()} | logs
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        shown = {key: round(float(logs[key]), 4) for key in ("loss", "reward") if key in logs}
        bar = _training_bar(self.trainer)
        if shown and bar is not None:
            bar.set_postfix(shown)


def _training_bar(trainer: Any) -> Any:
    if trainer is None:
        return None
    for callback in trainer.callback_handler.callbacks:
        bar = getattr(callback, "training_bar", None)
        if bar is not None:
            return bar
    return None


def plot_metrics(jsonl: Path, png: Path) -> None:
    """One panel per recorded metric (loss, mean reward, reward components, KL) against the step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from harness.runs.results import read_jsonl_lines

    records = [record for _, record in read_jsonl_lines(jsonl, "the training log")]
    present = [(key, label) for key, label in PLOTTED if any(key in r for r in records)]
    if not present:
        return
    figure, axes = plt.subplots(1, len(present), figsize=(4 * len(present), 3.2), squeeze=False)
    for axis, (key, label) in zip(axes[0], present, strict=True):
        points = [(r["step"], r[key]) for r in records if key in r]
        axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3)
        axis.set_title(label)
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(png, dpi=120)
    plt.close(figure)


def write_run_info(
    folder: Path, stage: str, config: dict[str, Any], data_hashes: dict[str, str], extra: dict[str, Any]
) -> None:
    from harness.provenance import git_state, package_versions
    from harness.resources import checkout_root

    versions = package_versions(TRAIN_PACKAGES)
    info = {
        "stage": stage,
        "config": config,
        "data_sha256": data_hashes,
        "packages": versions,
        "git": git_state(checkout_root()),
    } | extra
    (folder / "run_info.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
