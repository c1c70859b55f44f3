"""API throughput: N requests to a local fake OpenAI-compatible server (fixed latency) at a given
concurrency, through `harness eval` as a user runs it (a fresh process: start-up included), against
the ideal N x latency / concurrency; stock lm-eval's local-chat-completions on the same server and
prompts beside it (--stock). Rounds are interleaved. Each peer's exit status and served count are
checked: a peer that fails prints "failed", never a ratio.

The phases of each harness run: start-up (process start to the first request reaching the server),
generation (first request to last answer), and after it scoring and writing as the run's
results.json records them (the rest is process exit).

    python benchmarks/api_throughput.py --requests 400 --concurrency 32 [--latency 0.2] [--rounds 3] [--stock]
    python benchmarks/api_throughput.py --requests 4000 --concurrency 64
Targets: wall / ideal <= 1.30 at 400 x 32 and <= 1.10 at 4,000 x 64, start-up under 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rounds import load_average, spread  # noqa: E402
from _synthetic import write_pceb_theory  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TASK = "pceb_theory_smcq"


@dataclass(frozen=True)
class Outcome:
    wall_s: float
    served: int
    returncode: int
    reason: str = ""
    startup_s: float = 0.0  # process start to the first request at the server
    generation_s: float = 0.0  # first request to last answer
    timings: dict[str, float] | None = None  # results.json's phases

    def failed(self, requests: int) -> bool:
        return self.returncode != 0 or self.served < requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the fake server takes per answer")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stock", action="store_true", help="also run stock lm-eval local-chat-completions")
    args = parser.parse_args()
    ideal = args.requests * args.latency / args.concurrency
    floor = -(-args.requests // args.concurrency) * args.latency
    print(
        f"ideal {ideal:.2f} s ({args.requests} requests x {args.latency} s / concurrency {args.concurrency}); "
        f"floor {floor:.2f} s ({floor / ideal:.3f}x: {-(-args.requests // args.concurrency)} rounds of {args.latency} s)"
    )
    ours: list[Outcome] = []
    stock: list[Outcome] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = write_pceb_theory(Path(tmp) / "data", args.requests)
        env = os.environ | {"PSYCHE_DATA_DIR": str(data), "OPENAI_API_KEY": "sk-bench"}
        for number in range(1, args.rounds + 1):
            with FakeOpenAI(latency_s=args.latency) as server:
                ours.append(harness_run(server, Path(tmp) / f"round{number}", args.concurrency, env))
            print(f"round {number}: harness eval {describe(ours[-1], ideal, args.requests)}", flush=True)
            if args.stock:
                with FakeOpenAI(latency_s=args.latency) as server:
                    stock.append(stock_run(server, args.concurrency, env))
                print(
                    f"round {number}: stock lm-eval {describe(stock[-1], ideal, args.requests)}", flush=True
                )
    summarize("harness eval (start-up included)", ours, ideal, args.requests)
    if args.stock:
        summarize("stock lm-eval local-chat-completions", stock, ideal, args.requests)
    print(load_average())


def harness_run(server: FakeOpenAI, folder: Path, concurrency: int, env: dict[str, str]) -> Outcome:
    models = folder / "models.yaml"
    folder.mkdir(parents=True)
    models.write_text(
        f"models:\n  bench-api:\n    backend: openai\n    api_model: m\n    base_url: {server.base_url}\n"
        f"    category: closed-source\n    concurrency: {concurrency}\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "harness", "eval", "--model", "bench-api", "--tasks", TASK]
    command += ["--models-file", str(models), "--output-dir", str(folder / "out")]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    results = folder / "out" / "bench-api" / "latest" / "results.json"
    timings = json.loads(results.read_text(encoding="utf-8")).get("timings") if results.exists() else None
    return Outcome(
        wall,
        sum(server.attempts.values()),
        done.returncode,
        last_line(done.stderr),
        startup_s=min(server.arrived_at) - start if server.arrived_at else 0.0,
        generation_s=max(server.answered_at) - min(server.arrived_at) if server.answered_at else 0.0,
        timings=timings,
    )


def stock_run(server: FakeOpenAI, concurrency: int, env: dict[str, str]) -> Outcome:
    command = [str(Path(sys.executable).with_name("lm_eval")), "run", "--model", "local-chat-completions"]
    command += [
        "--model_args",
        f"model=m,base_url={server.base_url}/chat/completions,num_concurrent={concurrency},tokenized_requests=False",
        "--include_path",
        str(REPO / "tasks"),
        "--tasks",
        TASK,
        "--apply_chat_template",
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    return Outcome(wall, sum(server.attempts.values()), done.returncode, last_line(done.stderr))


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1][:120] if lines else ""


def describe(outcome: Outcome, ideal: float, requests: int) -> str:
    """One round: its ratio and phases, or "failed" when the peer did not do the work (a ratio for a
    run that did not serve every request would be quoted as if it had)."""
    if outcome.failed(requests):
        reason = f": {outcome.reason}" if outcome.reason else ""
        return (
            f"failed (exit {outcome.returncode}, {outcome.served} of {requests} requests served{reason}; "
            f"{outcome.wall_s:.2f} s)"
        )
    text = f"{outcome.wall_s:.2f} s = {outcome.wall_s / ideal:.3f}x ideal"
    if outcome.startup_s:
        after = outcome.wall_s - outcome.startup_s - outcome.generation_s
        phases = f"start-up {outcome.startup_s:.3f} s, generation {outcome.generation_s:.2f} s, after {after:.3f} s"
        if outcome.timings:
            phases += (
                f" (scoring {outcome.timings['scoring']:.3f} s, writing {outcome.timings['writing']:.3f} s)"
            )
        text += f"; {phases}"
    return text


def summarize(name: str, outcomes: list[Outcome], ideal: float, requests: int) -> None:
    good = [o for o in outcomes if not o.failed(requests)]
    if len(good) < len(outcomes):
        print(f"{name}: failed in {len(outcomes) - len(good)} of {len(outcomes)} rounds; no ratio")
        return
    print(
        f"{name}: wall / ideal {spread([o.wall_s / ideal for o in good], 'x', 3)} (min / median / max of "
        f"{len(good)} rounds); wall {spread([o.wall_s for o in good])}"
    )
    if good[0].startup_s:
        print(
            f"  start-up to first request {spread([o.startup_s for o in good], 's', 3)}; generation "
            f"{spread([o.generation_s for o in good])} = {spread([o.generation_s / ideal for o in good], 'x', 3)} ideal; "
            f"scoring {spread([(o.timings or {}).get('scoring', 0.0) for o in good], 's', 3)}; "
            f"writing {spread([(o.timings or {}).get('writing', 0.0) for o in good], 's', 3)}"
        )


if __name__ == "__main__":
    main()
