"""Stage "decontaminate" (not in the paper): every produced question or dialogue is checked against
every evaluation benchmark the harness knows, by MinHash similarity and by shared runs of
characters; hits are dropped and listed with the benchmark item they match."""

from __future__ import annotations

from typing import Any

from harness.data.location import resolve_data_dir
from synth.benchmark_texts import benchmark_texts
from synth.config import SynthConfig
from synth.estimate import Counts, StageEstimate
from synth.near_duplicates import BenchmarkIndex
from synth.records import Record, record_text
from synth.stage import Drop, StageContext, StageOutput
from synth.stage_settings import DecontaminateSettings


class Decontaminate:
    section = DecontaminateSettings  # its settings (synth/stage_settings.py)
    version = 2  # 2: options compared as a set

    def __init__(self, name: str) -> None:
        self.name = name

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        return []  # no model call

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        settings = context.settings(self.name, DecontaminateSettings)
        return settings.fingerprint() | {"data_dir": str(resolve_data_dir(settings.data_dir))}

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput:
        index, missing = benchmark_index(context)
        items = index.items
        kept: list[Record] = []
        dropped: list[Drop] = []
        for record, hit in zip(inputs, index.hits([record_text(r) for r in inputs]), strict=True):
            if hit is None:
                kept.append(record)
            else:
                text = record_text(record)
                dropped.append(
                    Drop(
                        getattr(record, "id", ""),
                        f"filtered: benchmark item ({hit.benchmark_item}, {hit.how}; "
                        f"source {getattr(record, 'source', '') or 'generated'}): {text[:120]}",
                    )
                )
        return StageOutput(kept, dropped, notes={"benchmark_items": len(items), "not_checked": missing})


def benchmark_index(context: StageContext) -> tuple[BenchmarkIndex, list[str]]:
    """Every benchmark's texts, indexed once per run (shared by every decontamination check), and
    the benchmarks that could not be read."""
    settings, dedup = context.config.decontamination, context.config.dedup
    data_dir = resolve_data_dir(context.config.data_dir)

    def build() -> tuple[BenchmarkIndex, list[str]]:
        items, missing = benchmark_texts(data_dir, list(settings.benchmarks))
        index = BenchmarkIndex(
            items, settings.threshold, settings.overlap_chars, dedup.num_perm, dedup.ngram, dedup.seed
        )
        return index, missing

    key = (
        "benchmark index",
        str(data_dir),
        tuple(settings.benchmarks),
        settings.threshold,
        settings.overlap_chars,
    )
    return context.once(key + (dedup.num_perm, dedup.ngram, dedup.seed), build)
