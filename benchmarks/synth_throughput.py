"""Synthesis throughput: N questions through the rationale stage against a local fake
OpenAI-compatible server with fixed latency, at a given concurrency. Prints wall time / ideal
(ideal = N x latency / concurrency) for each of several rounds (fresh cache each), then
min/median/max. Target: <= 1.15 at 2,000 items, 200 ms, concurrency 64.

    python benchmarks/synth_throughput.py [--items 2000] [--latency 0.2] [--concurrency 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fake_openai import FakeOpenAI  # noqa: E402

from synth.config import load_synth_config  # noqa: E402
from synth.pipeline import open_context  # noqa: E402
from synth.records import Question  # noqa: E402
from synth.stages.rationale import Rationale  # noqa: E402

REPLY = json.dumps({"rationale": "逐步分析：排除其余选项。", "prediction": "A"}, ensure_ascii=False)


def one_round(items: int, latency: float, concurrency: int) -> tuple[float, int]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeOpenAI(reply=lambda messages: REPLY, latency_s=latency) as server,
    ):
        folder = Path(tmp)
        (folder / "models.yaml").write_text(
            f"models:\n  bench:\n    backend: openai\n    api_model: m\n    base_url: {server.base_url}\n"
            f"    category: general\n    concurrency: {concurrency}\n",
            encoding="utf-8",
        )
        names = dict.fromkeys(
            ("clean", "generate", "rank", "control", "rationale", "refine", "compare", "empathy"), "bench"
        )
        config_path = folder / "synth.yaml"
        config_path.write_text(
            json.dumps(
                {
                    "output_dir": "out",
                    "models_file": "models.yaml",
                    "inputs": {},
                    "models": names | {"select": ["bench"]},
                }
            ),
            encoding="utf-8",
        )
        questions = [
            Question(
                f"q{i}",
                f"第{i}题：下列哪一项正确？",
                {"A": "甲", "B": "乙", "C": "丙", "D": "丁"},
                "A",
                "single",
                "II",
                "bench",
            )
            for i in range(items)
        ]
        context = open_context(load_synth_config(config_path), None)
        start = time.perf_counter()
        output = Rationale().run(context, list(questions))
        wall = time.perf_counter() - start
        context.calls.close()
        served = sum(server.attempts.values())
    if len(output.kept) != items:
        raise SystemExit(f"failed: {len(output.kept)} of {items} questions got a rationale")
    return wall, served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    ideal = args.items * args.latency / args.concurrency
    ratios = []
    for number in range(1, args.rounds + 1):
        wall, served = one_round(args.items, args.latency, args.concurrency)
        if served != args.items:
            raise SystemExit(f"failed: the server answered {served} requests, expected {args.items}")
        ratios.append(wall / ideal)
        print(
            f"round {number}: {wall:.2f} s for {served} calls = {wall / ideal:.3f}x ideal ({ideal:.2f} s)",
            flush=True,
        )
    load = os.getloadavg()[0]
    print(
        f"rationale stage, {args.items} items, {args.latency * 1000:.0f} ms, concurrency {args.concurrency}: "
        f"min {min(ratios):.3f}x, median {statistics.median(ratios):.3f}x, max {max(ratios):.3f}x ideal "
        f"(target <= 1.15; load average {load:.2f})"
    )


if __name__ == "__main__":
    main()
