"""Judge throughput: 200 judge calls to a local fake OpenAI-compatible judge with 200 ms latency at
concurrency 32 (the server runs in its own process, as a remote API would). Prints the judging stage's wall time against the ideal 200 x 0.2 / 32 = 1.25 s, the
whole `harness eval --tasks psydt` (a subprocess: start-up, generation by a mock model, judging,
writing), and the one-call-at-a-time pattern (a synchronous call per response, as an lm-eval
process_results judge does) on the same server and prompts.

With concurrency 32, 200 calls need at least 7 rounds of 200 ms = 1.4 s (1.12x the ideal). The
openai import (about 0.5 s, once per process) is timed apart from the judging stage.

Run: python benchmarks/judge_throughput.py
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fake_openai import FakeOpenAI  # noqa: E402

from harness.backends.openai_chat import OpenAIChatBackend  # noqa: E402
from harness.cache import ResponseCache  # noqa: E402
from harness.catalog import load_tasks  # noqa: E402
from harness.judge.run import JudgeItem, run_judge  # noqa: E402
from harness.models import ModelSpec  # noqa: E402

CALLS, LATENCY_S, CONCURRENCY = 200, 0.2, 32
VERDICT = json.dumps(
    {
        "emotional_empathy": 2,
        "cognitive_empathy": 2,
        "conversation_strategy": 2,
        "state_attitude": 2,
        "safety": 1,
    }
)


def write_psydt(path: Path, count: int) -> Path:
    records = [
        {
            "id": i,
            "normalizedTag": "工作",
            "messages": [
                {"role": "user", "content": f"第{i}位来访者：最近工作压力很大，晚上睡不着。"},
                {"role": "assistant", "content": "听起来你很辛苦，能多说一些吗？"},
            ],
        }
        for i in range(count)
    ]
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def _serve(pipe: multiprocessing.connection.Connection) -> None:
    with FakeOpenAI(reply=lambda messages: VERDICT, latency_s=LATENCY_S) as server:
        pipe.send(server.base_url)
        pipe.recv()  # until the parent is done
        pipe.send(sum(server.attempts.values()))


def main() -> None:
    ideal = CALLS * LATENCY_S / CONCURRENCY
    parent, child = multiprocessing.get_context("fork").Pipe()
    server_process = multiprocessing.get_context("fork").Process(target=_serve, args=(child,), daemon=True)
    server_process.start()
    base_url = parent.recv()
    start = time.perf_counter()
    import openai  # noqa: F401 - timed apart: a once-per-process cost

    import_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PSYCHE_PSYDT_FILE"] = str(write_psydt(Path(tmp) / "psydt.json", CALLS))
        os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
        leaves, _ = load_tasks(["psydt"], {"sample_size": CALLS})
        task = leaves[0]
        assert task.rubric is not None
        items = [
            JudgeItem(f"psydt/{doc['doc_id']}", task.rubric, task.rubric.messages(doc["history"], "我在听。"))
            for doc in task.docs
        ]
        if base_url:
            spec = ModelSpec(
                name="bench-judge",
                backend="openai",
                api_model="judge",
                base_url=base_url,
                category="closed-source",
                concurrency=CONCURRENCY,
            )
            cache = ResponseCache(Path(tmp) / "stage" / "cache.sqlite")
            backend = OpenAIChatBackend(spec)  # setup, built before generation in a real run
            start = time.perf_counter()
            verdicts = run_judge(spec, backend, items, cache)
            stage = time.perf_counter() - start
            cache.close()
            assert len(verdicts) == CALLS and all(v.status == "ok" for v in verdicts.values())

            models = Path(tmp) / "models.yaml"
            models.write_text(
                "models:\n  counselor:\n    backend: mock\n    mock_response: 我在听。\n    category: candidate\n"
                f"  bench-judge:\n    backend: openai\n    api_model: judge\n    base_url: {base_url}\n"
                f"    category: closed-source\n    concurrency: {CONCURRENCY}\n",
                encoding="utf-8",
            )
            command = [sys.executable, "-m", "harness", "eval", "--model", "counselor", "--tasks", "psydt"]
            command += ["--sample", str(CALLS), "--judges", "bench-judge", "--models-file", str(models)]
            command += ["--output-dir", str(Path(tmp) / "out")]
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=os.environ.copy())
            whole = time.perf_counter() - start

            from openai import OpenAI

            client = OpenAI(api_key="sk-bench", base_url=base_url)
            start = time.perf_counter()
            for item in items:
                client.chat.completions.create(model="judge", messages=item.messages, temperature=0.0)  # type: ignore[arg-type]
            sequential = time.perf_counter() - start

    parent.send("done")
    served = parent.recv()
    server_process.join(timeout=5)
    assert served == 3 * CALLS, served
    print(
        f"{CALLS} judge calls, {LATENCY_S * 1000:.0f} ms latency, concurrency {CONCURRENCY}: ideal {ideal:.2f} s"
    )
    print(f"  harness judging stage          {stage:6.2f} s = {stage / ideal:.2f}x ideal (target <= 1.3x)")
    print(f"  (openai import, once per process: {import_s:.2f} s)")
    print(
        f"  harness eval, whole process    {whole:6.2f} s = {whole / ideal:.2f}x ideal (start-up, generation, writing included)"
    )
    print(f"  one call at a time (sync)      {sequential:6.2f} s = {sequential / ideal:.2f}x ideal")


if __name__ == "__main__":
    main()
