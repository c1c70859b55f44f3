"""API throughput: 400 requests to a local fake OpenAI-compatible server with 200 ms latency at
concurrency 32, through `harness eval` (a subprocess, start-up included). Prints the ratio to the
ideal 400 x 0.2 / 32 = 2.5 s, and stock lm-eval's local-chat-completions on the same server beside it.

Run: python benchmarks/api_throughput.py
Measured (2 cores): harness 4.93 s = 1.97x ideal (about 1.7 s of it is interpreter, lm-eval task
loading and the openai import; the generation phase alone is 1.30x); stock lm-eval 12.98 s = 5.19x.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import write_pceb_theory  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402

REQUESTS, LATENCY_S, CONCURRENCY = 400, 0.2, 32
REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ideal = REQUESTS * LATENCY_S / CONCURRENCY
    with tempfile.TemporaryDirectory() as tmp:
        data = write_pceb_theory(Path(tmp) / "data", REQUESTS)
        env = os.environ | {"PSYCHE_DATA_DIR": str(data), "OPENAI_API_KEY": "sk-bench"}
        with FakeOpenAI(latency_s=LATENCY_S) as server:
            models = Path(tmp) / "models.yaml"
            models.write_text(
                f"models:\n  bench-api:\n    backend: openai\n    api_model: m\n    base_url: {server.base_url}\n"
                f"    category: closed-source\n    concurrency: {CONCURRENCY}\n",
                encoding="utf-8",
            )
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "harness",
                    "eval",
                    "--model",
                    "bench-api",
                    "--tasks",
                    "pceb_theory_smcq",
                    "--models-file",
                    str(models),
                    "--output-dir",
                    str(Path(tmp) / "out"),
                ],
                check=True,
                capture_output=True,
                env=env,
            )
            ours = time.perf_counter() - start
            served_ours = sum(server.attempts.values())

            start = time.perf_counter()
            stock = subprocess.run(
                [
                    str(Path(sys.executable).with_name("lm_eval")),
                    "run",
                    "--model",
                    "local-chat-completions",
                    "--model_args",
                    f"model=m,base_url={server.base_url}/chat/completions,num_concurrent={CONCURRENCY},tokenized_requests=False",
                    "--include_path",
                    str(REPO / "tasks"),
                    "--tasks",
                    "pceb_theory_smcq",
                    "--apply_chat_template",
                ],
                capture_output=True,
                env=env,
                text=True,
            )
            theirs = time.perf_counter() - start
            served_stock = sum(server.attempts.values()) - served_ours
    print(f"ideal: {ideal:.2f} s ({REQUESTS} requests x {LATENCY_S} s / concurrency {CONCURRENCY})")
    print(f"harness eval (openai backend, start-up included): {outcome(ours, ideal, served_ours, 0, '')}")
    reason = stock.stderr.strip().splitlines()[-1][:120] if stock.stderr.strip() else ""
    print(
        f"stock lm-eval local-chat-completions: {outcome(theirs, ideal, served_stock, stock.returncode, reason)}"
    )


def outcome(wall: float, ideal: float, served: int, returncode: int, reason: str) -> str:
    """A peer's ratio to the ideal, or "failed" when it exited non-zero or did not serve every
    request (a ratio for a run that did not do the work would be quoted as if it had)."""
    if returncode != 0 or served < REQUESTS:
        return f"failed (exit {returncode}, {served} of {REQUESTS} requests served{': ' + reason if reason else ''}; {wall:.2f} s)"
    return f"{wall:.2f} s = {wall / ideal:.2f}x ideal ({served} requests served)"


if __name__ == "__main__":
    main()
