"""Judge throughput: N judge calls to a local fake OpenAI-compatible judge (fixed latency; the server
runs in its own process, as a remote API would) at a given concurrency. Per round it times the
judging stage alone (in this process, against the ideal N x latency / concurrency) and the whole
`harness eval --tasks psydt` (a subprocess: start-up, generation by a mock model, judging, writing),
rounds interleaved; with --sequential, also one synchronous call at a time (as an lm-eval
process_results judge makes them) on the same server and prompts.

With 200 calls at concurrency 32 the floor is 7 waves of 200 ms = 1.4 s (1.12x the ideal).

    python benchmarks/judge_throughput.py [--calls 200] [--concurrency 32] [--latency 0.2] [--rounds 3] [--sequential]
Target: judging stage <= 1.15x ideal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rounds import load_average, spread  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402

from harness.backends.openai_chat import OpenAIChatBackend  # noqa: E402
from harness.judge.run import JudgeItem, run_judge  # noqa: E402
from harness.models import ModelSpec  # noqa: E402
from harness.runs.cache import ResponseCache  # noqa: E402
from harness.tasks.catalog import load_tasks  # noqa: E402

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


def _serve(pipe: multiprocessing.connection.Connection, latency_s: float) -> None:
    with FakeOpenAI(reply=lambda messages: VERDICT, latency_s=latency_s) as server:
        pipe.send(server.base_url)
        pipe.recv()  # until the parent is done
        pipe.send(sum(server.attempts.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sequential", action="store_true", help="also one synchronous call at a time")
    args = parser.parse_args()
    ideal = args.calls * args.latency / args.concurrency
    waves = -(-args.calls // args.concurrency)
    parent, child = multiprocessing.get_context("fork").Pipe()
    server_process = multiprocessing.get_context("fork").Process(
        target=_serve, args=(child, args.latency), daemon=True
    )
    server_process.start()
    base_url = parent.recv()
    print(
        f"{args.calls} judge calls, {args.latency * 1000:.0f} ms latency, concurrency {args.concurrency}: "
        f"ideal {ideal:.2f} s; floor {waves * args.latency:.2f} s ({waves * args.latency / ideal:.3f}x: {waves} waves)"
    )
    stages: list[float] = []
    raws: list[float] = []  # the client floor: bare aiohttp, the same prompts and concurrency
    wholes: list[float] = []
    expected_calls = 0
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PSYCHE_PSYDT_FILE"] = str(write_psydt(Path(tmp) / "psydt.json", args.calls))
        os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
        leaves, _ = load_tasks(["psydt"], {"sample_size": args.calls})
        task = leaves[0]
        assert task.rubric is not None
        items = [
            JudgeItem(f"psydt/{doc['doc_id']}", task.rubric, task.rubric.messages(doc["history"], "我在听。"))
            for doc in task.docs
        ]
        spec = ModelSpec(
            name="bench-judge",
            backend="openai",
            api_model="judge",
            base_url=base_url,
            category="closed-source",
            concurrency=args.concurrency,
        )
        models = Path(tmp) / "models.yaml"
        models.write_text(
            "models:\n  counselor:\n    backend: mock\n    mock_response: 我在听。\n    category: candidate\n"
            f"  bench-judge:\n    backend: openai\n    api_model: judge\n    base_url: {base_url}\n"
            f"    category: closed-source\n    concurrency: {args.concurrency}\n",
            encoding="utf-8",
        )
        for number in range(1, args.rounds + 1):
            cache = ResponseCache(Path(tmp) / f"stage{number}" / "cache.sqlite")
            backend = OpenAIChatBackend(spec)  # setup, built before generation in a real run
            start = time.perf_counter()
            verdicts = run_judge(spec, backend, items, cache)
            stages.append(time.perf_counter() - start)
            cache.close()
            assert len(verdicts) == args.calls and all(v.status == "ok" for v in verdicts.values())

            start = time.perf_counter()
            asyncio.run(raw_aiohttp(base_url, [item.messages for item in items], args.concurrency))
            raws.append(time.perf_counter() - start)

            command = [sys.executable, "-m", "harness", "eval", "--model", "counselor", "--tasks", "psydt"]
            command += ["--sample", str(args.calls), "--judges", "bench-judge", "--models-file", str(models)]
            command += ["--output-dir", str(Path(tmp) / f"out{number}")]
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=os.environ.copy())
            wholes.append(time.perf_counter() - start)
            expected_calls += 3 * args.calls
            print(
                f"round {number}: judging stage {stages[-1]:.3f} s = {stages[-1] / ideal:.3f}x ideal; "
                f"raw aiohttp {raws[-1]:.3f} s = {raws[-1] / ideal:.3f}x; whole harness eval {wholes[-1]:.2f} s",
                flush=True,
            )
        if args.sequential:
            start = time.perf_counter()
            for item in items:
                one_call(base_url, item.messages)
            sequential = time.perf_counter() - start
            expected_calls += args.calls

    parent.send("done")
    served = parent.recv()
    server_process.join(timeout=5)
    assert served == expected_calls, (served, expected_calls)
    print(
        f"harness judging stage: {spread([s / ideal for s in stages], 'x', 3)} ideal (min / median / max of "
        f"{args.rounds} rounds; {spread(stages, 's', 3)}; target <= 1.15x)"
    )
    print(
        f"raw aiohttp (no cache, no parsing: the client floor on this server): {spread([r / ideal for r in raws], 'x', 3)} "
        f"ideal; harness stage / raw aiohttp {spread([s / r for s, r in zip(stages, raws, strict=True)], '', 3)}"
    )
    print(
        f"harness eval, whole process (start-up, generation, judging, writing): {spread(wholes)} = "
        f"{spread([w / ideal for w in wholes], 'x', 3)} ideal"
    )
    if args.sequential:
        print(f"one call at a time (sync): {sequential:.2f} s = {sequential / ideal:.2f}x ideal")
    print(load_average())


async def raw_aiohttp(base_url: str, prompts: list[list[dict[str, str]]], concurrency: int) -> None:
    """The same calls with bare aiohttp and a semaphore: what any client needs on this server."""
    import aiohttp

    limit = asyncio.Semaphore(concurrency)
    headers = {"Authorization": "Bearer sk-bench"}
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), headers=headers
    ) as session:

        async def call(messages: list[dict[str, str]]) -> None:
            async with limit:
                body = {"model": "judge", "messages": messages, "temperature": 0.0}
                async with session.post(f"{base_url}/chat/completions", json=body) as answer:
                    await answer.json()

        await asyncio.gather(*(call(messages) for messages in prompts))


def one_call(base_url: str, messages: list[dict[str, str]]) -> str:
    """One synchronous chat completion (what a judge inside lm-eval's process_results does per doc)."""
    request = urllib.request.Request(
        f"{base_url}/chat/completions",
        data=json.dumps({"model": "judge", "messages": messages, "temperature": 0.0}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-bench"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - a local fake server
        return str(json.loads(answer.read())["choices"][0]["message"]["content"])


if __name__ == "__main__":
    main()
