"""The OpenAI-compatible backend against a fake server: faults lose no sample, failures are
recorded and resumed, a killed run resumes, and the API key never reaches the results."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import read_jsonl
from fake_openai import FakeOpenAI, one_prompt_always_fails

from harness.errors import HarnessError
from harness.models import ModelSpec
from harness.runs.runner import RunOptions, evaluate

SECRET = "sk-test-never-written-4242"


def api_spec(base_url: str, **overrides: object) -> ModelSpec:
    settings: dict[str, object] = {
        "name": "fake-api",
        "backend": "openai",
        "api_model": "fake-model",
        "base_url": base_url,
        "category": "closed-source",
        "concurrency": 4,
        "max_retries": 4,
        "timeout_s": 0.5,
    }
    return ModelSpec.model_validate(settings | overrides)


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)


def test_injected_429_500_and_timeouts_lose_no_sample(tmp_path: Path) -> None:
    script = {1: "429", 2: "500", 3: "stall"}
    with FakeOpenAI(faults=lambda prompt, attempt: script.get(attempt, "ok"), stall_s=1.5) as server:
        results = evaluate(api_spec(server.base_url), ["pceb"], RunOptions(output_dir=tmp_path))
    assert all(task["n_failed"] == 0 for task in results["tasks"].values())
    assert (
        server.outcomes["429"] == server.outcomes["500"] == server.outcomes["stall"] == 16
    )  # fixture pceb: 16 prompts
    samples = read_jsonl(tmp_path / "fake-api" / "latest" / "samples" / "pceb_theory_smcq.jsonl")
    assert [s["response"] for s in samples] == ["答案：B"] * 3
    assert results["tasks"]["pceb_theory_smcq"]["acc"] == pytest.approx(100 / 3)


def test_api_key_never_appears_in_results_samples_or_cache(tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        evaluate(api_spec(server.base_url), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    assert any(SECRET in str(h) for h in server.headers_seen)  # it was sent...
    for path in (tmp_path / "fake-api").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path  # ...and never written


def test_permanent_failures_are_recorded_and_a_rerun_retries_only_them(tmp_path: Path) -> None:
    faults = one_prompt_always_fails()
    spec = api_spec("", max_retries=1)
    with FakeOpenAI(faults=faults) as server:
        spec = api_spec(server.base_url, max_retries=1)
        with pytest.raises(HarnessError, match="1 request\\(s\\) failed after retries"):
            evaluate(spec, ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    samples = read_jsonl(tmp_path / "fake-api" / "latest" / "samples" / "pceb_moral_smcq.jsonl")
    assert sorted(s["response"] is None for s in samples) == [False, True]

    with FakeOpenAI() as healed:
        results = evaluate(api_spec(healed.base_url), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    assert sum(healed.attempts.values()) == 1
    assert results["tasks"]["pceb_moral_smcq"]["n_failed"] == 0


def slow_api_eval(folder: Path, base_url: str, tasks: str) -> list[str]:
    """`harness eval` of a one-at-a-time API model at `base_url` (its models file written in `folder`)."""
    models = folder / "models.yaml"
    models.write_text(
        f"models:\n  slow-api:\n    backend: openai\n    api_model: m\n    base_url: {base_url}\n"
        "    category: closed-source\n    concurrency: 1\n",
        encoding="utf-8",
    )
    return [sys.executable, "-m", "harness", "eval", "--model", "slow-api", "--tasks", tasks,
            "--models-file", str(models), "--output-dir", str(folder / "out")]  # fmt: skip


def test_kill_minus_nine_then_rerun_generates_only_what_is_missing(tmp_path: Path) -> None:
    with FakeOpenAI(latency_s=0.3) as server:
        command = slow_api_eval(tmp_path, server.base_url, "pceb")
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy()
        )
        deadline = time.monotonic() + 60
        while sum(server.attempts.values()) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        first_run = sum(server.attempts.values())
        assert 4 <= first_run < 16
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
        assert done.returncode == 0, done.stderr
        second_run = sum(server.attempts.values()) - first_run
    # at most the one request in flight at the kill is asked again
    assert 16 - first_run <= second_run <= 16 - first_run + 1
    results = read_jsonl(tmp_path / "out" / "slow-api" / "latest" / "samples" / "pceb_case_qa.jsonl")
    assert all(s["response"] == "答案：B" for s in results)


def test_missing_api_key_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    from harness.backends.openai_chat import OpenAIChatBackend

    with pytest.raises(HarnessError, match="OPENAI_API_KEY"):
        OpenAIChatBackend(api_spec("http://127.0.0.1:1/v1"))


def test_several_endpoints_share_the_requests_and_a_faster_one_takes_more(tmp_path: Path) -> None:
    with FakeOpenAI(latency_s=0.002) as fast, FakeOpenAI(latency_s=0.05) as slow:
        spec = api_spec(fast.base_url, extra_base_urls=[slow.base_url], concurrency=2)
        results = evaluate(spec, ["pceb_theory_smcq", "pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
        served_fast, served_slow = sum(fast.attempts.values()), sum(slow.attempts.values())
    assert results["tasks"]["pceb_theory_smcq"]["n_scored"] == 3
    assert served_fast + served_slow == 5 and served_fast > served_slow >= 1
    assert results["backend"]["extra_base_urls"] == [slow.base_url]


def test_a_bad_extra_endpoint_is_a_one_line_error() -> None:
    with pytest.raises(ValueError, match="extra_base_urls"):
        api_spec("http://127.0.0.1:9/v1", extra_base_urls=["not a url"])


def test_what_is_sent_to_the_endpoint_and_read_from_its_answer() -> None:
    from harness.backends.base import GenerationRequest
    from harness.backends.openai_chat import OpenAIChatBackend

    request = GenerationRequest(
        key="k1",
        messages=(("system", "你是助手"), ("user", "问题")),
        prompt="",
        stop=("a", "b", "c", "d", "e"),
        max_new_tokens=64,
        temperature=0.0,
        top_p=1.0,
    )
    answers: dict[str, str] = {}
    with FakeOpenAI(message_extra={"reasoning_content": "先想想"}) as server:
        spec = api_spec(
            server.base_url.replace("http://", "http://user:pw@") + "?api-version=2024-06-01",
            chat_template_kwargs={"enable_thinking": True},
        )
        backend = OpenAIChatBackend(spec)
        backend.generate([request], lambda r, text: answers.__setitem__(r.key, text), pytest.fail)
    path, body = server.requests_seen[0]
    assert path == "/v1/chat/completions?api-version=2024-06-01"  # the query kept, credentials dropped
    assert server.headers_seen[0]["Authorization"] == f"Bearer {SECRET}"
    assert body == {
        "model": "fake-model",
        "messages": [{"role": "system", "content": "你是助手"}, {"role": "user", "content": "问题"}],
        "max_tokens": 64,
        "temperature": 0.0,
        "top_p": 1.0,
        "stop": ["a", "b", "c", "d"],  # the API takes four
        "chat_template_kwargs": {"enable_thinking": True},
    }
    assert answers == {"k1": "<think>先想想</think>答案：B"}  # reasoning kept before the answer
    assert backend.usage["k1"][:2] == (1, 1)


def test_an_answer_that_is_not_json_is_a_recorded_failure_not_a_crash(tmp_path: Path) -> None:
    garbled_first = one_prompt_always_fails()

    def faults(prompt: str, attempt: int) -> str:
        return "garbled" if garbled_first(prompt, attempt) == "500" else "ok"

    with FakeOpenAI(faults=faults) as server:
        with pytest.raises(
            HarnessError, match="1 request\\(s\\) failed after retries \\(first: EndpointError: not JSON"
        ):
            evaluate(api_spec(server.base_url), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    samples = read_jsonl(tmp_path / "fake-api" / "latest" / "samples" / "pceb_moral_smcq.jsonl")
    assert sorted(s["response"] is None for s in samples) == [False, True]


def test_a_request_that_keeps_timing_out_is_sent_twice_then_fails_with_one_line(tmp_path: Path) -> None:
    with FakeOpenAI(faults=lambda prompt, attempt: "stall", stall_s=1.0) as server:
        with pytest.raises(HarnessError, match="failed after retries") as raised:
            evaluate(
                api_spec(server.base_url, max_retries=6), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path)
            )
    assert server.outcomes["stall"] == 2 * 2  # two prompts, each sent twice: not max_retries + 1 times
    assert "no answer within timeout_s=0.5 s, 2 time(s)" in str(raised.value)
    samples = read_jsonl(tmp_path / "fake-api" / "latest" / "samples" / "pceb_moral_smcq.jsonl")
    assert [s["response"] for s in samples] == [None, None]


def test_an_endpoint_that_takes_no_key_is_asked_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with FakeOpenAI() as server:
        evaluate(
            api_spec(server.base_url, api_key_env=None), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path)
        )
    assert server.headers_seen and not any("Authorization" in headers for headers in server.headers_seen)


def test_a_rerun_whose_requests_fail_keeps_the_answers_the_run_already_held(tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        first = evaluate(api_spec(server.base_url), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
        run = tmp_path / "fake-api" / "latest"
        samples_before = (run / "samples" / "pceb_moral_smcq.jsonl").read_text(encoding="utf-8")
        server.faults = lambda prompt, attempt: "garbled"  # now it answers HTML to everything
        again = evaluate(
            api_spec(server.base_url), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path, use_cache=False)
        )
    assert server.outcomes["garbled"] >= 2  # it did ask again (each prompt, with its retries)...
    assert (run / "samples" / "pceb_moral_smcq.jsonl").read_text(encoding="utf-8") == samples_before
    task_before, task_after = first["tasks"]["pceb_moral_smcq"], again["tasks"]["pceb_moral_smcq"]
    assert task_after["n_failed"] == 0 and task_after["acc"] == task_before["acc"]


@pytest.mark.parametrize("protocol", ["benchmark", "strict"])
def test_a_failed_request_never_raises_a_shown_accuracy_and_every_interval_holds_its_value(
    tmp_path: Path, protocol: str
) -> None:
    from harness.leaderboard.build import leaderboard_rows

    with FakeOpenAI(reply=lambda messages: "答案：A") as server:  # the golds: D, A; the first (wrong) fails
        complete = evaluate(
            api_spec(server.base_url), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path / "a")
        )
        server.faults = one_prompt_always_fails()
        with pytest.raises(HarnessError, match="failed after retries"):
            evaluate(
                api_spec(server.base_url, max_retries=0),
                ["pceb_moral_smcq"],
                RunOptions(output_dir=tmp_path / "b"),
            )
    assert complete["tasks"]["pceb_moral_smcq"]["benchmark"]["acc"] == 50.0
    failed = read_jsonl(
        tmp_path
        / "b"
        / "fake-api"
        / "latest"
        / "results.json".replace("results.json", "samples/pceb_moral_smcq.jsonl")
    )
    assert sum(sample["response"] is None for sample in failed) == 1
    for folder in ("a", "b"):
        row = next(
            row
            for row in leaderboard_rows("pceb", tmp_path / folder, protocol=protocol)
            if not row.is_reference
        )
        value = float(row.values["moral_smcq"] or 0)
        assert value <= 50.0  # a failure is wrong, never left out of the denominator
        low, high = row.intervals["moral_smcq"]
        assert low <= value <= high


def test_a_malformed_answer_is_sent_again_like_a_dropped_connection(tmp_path: Path) -> None:
    with FakeOpenAI(faults=lambda prompt, attempt: "garbled" if attempt == 1 else "ok") as server:
        results = evaluate(api_spec(server.base_url), ["pceb_moral_smcq"], RunOptions(output_dir=tmp_path))
    assert server.outcomes["garbled"] == 2 and server.outcomes["ok"] == 2  # each prompt: HTML, then an answer
    assert results["tasks"]["pceb_moral_smcq"]["n_failed"] == 0


def test_piped_output_gets_a_progress_line_at_least_every_few_seconds_from_a_slow_model(
    tmp_path: Path,
) -> None:
    """stderr a pipe, not a terminal; each answer takes 1.2 s: lines keep coming while it works."""
    import threading

    with FakeOpenAI(latency_s=1.2) as server:
        command = slow_api_eval(tmp_path, server.base_url, "pceb_moral_smcq,pceb_theory_smcq")
        env = os.environ | {"PSYCHE_PROGRESS_S": "0.5"}
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        arrivals: list[tuple[float, str]] = []

        def read() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                arrivals.append((time.monotonic(), line))

        reader = threading.Thread(target=read)
        reader.start()
        assert process.wait(timeout=120) == 0, arrivals
        reader.join()
    progress = [(at, line) for at, line in arrivals if line.startswith("generating:")]
    assert progress[-1][1].startswith("generating: 5/5")
    gaps = [later - earlier for (earlier, _), (later, _) in zip(progress, progress[1:], strict=False)]
    assert len(progress) >= 8 and max(gaps) < 1.5, progress  # never silent for long, though answers are slow
