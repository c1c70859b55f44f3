"""Bad input, as a user can give it: one line naming the file or setting, a non-zero exit, no
traceback, and every file that was there before left byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import harness_in_process
from test_extending import MODULE, QUESTIONS, TASK_FILE

EVAL_MOCK = ["eval", "--model", "always-b", "--models-file", "models.yaml", "--tasks", "pceb"]
MOCK = "models:\n  always-b:\n    backend: mock\n    mock_response: '答案：B'\n    category: candidate\n"


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def eval_moral_smcq(tmp: Path, model: str, *more: str) -> list[str]:
    """`harness eval` of one small task with the models file in `tmp`."""
    return [
        "eval",
        "--model",
        model,
        "--tasks",
        "pceb_moral_smcq",
        "--models-file",
        str(tmp / "models.yaml"),
        *more,
    ]


def models_in_gbk(tmp: Path) -> list[str]:
    (tmp / "models.yaml").write_bytes(
        ("models:\n  模型:\n    backend: mock\n    category: candidate\n").encode("gbk")
    )
    return eval_moral_smcq(tmp, "模型")


def generation_not_a_mapping(tmp: Path) -> list[str]:
    (tmp / "models.yaml").write_text(MOCK + "    generation: fast\n", encoding="utf-8")
    return eval_moral_smcq(tmp, "always-b")


def default_generation_a_list(tmp: Path) -> list[str]:
    (tmp / "models.yaml").write_text("defaults: {generation: [1]}\n" + MOCK, encoding="utf-8")
    return eval_moral_smcq(tmp, "always-b")


def cache_of_another_program(tmp: Path) -> list[str]:
    (tmp / "models.yaml").write_text(MOCK, encoding="utf-8")
    (tmp / "out" / "always-b").mkdir(parents=True)
    with sqlite3.connect(tmp / "out" / "always-b" / "cache.sqlite") as other:
        other.execute("CREATE TABLE notes (id INTEGER, text TEXT)")
        other.execute("INSERT INTO notes VALUES (1, 'mine')")
    return ["eval", "--model", "always-b", "--tasks", "pceb_moral_smcq", "--models-file", str(tmp / "models.yaml"),
            "--output-dir", str(tmp / "out")]  # fmt: skip


def output_dir_is_a_file(tmp: Path) -> list[str]:
    (tmp / "models.yaml").write_text(MOCK, encoding="utf-8")
    (tmp / "out").write_text("not a folder", encoding="utf-8")
    return ["eval", "--model", "always-b", "--tasks", "pceb_moral_smcq", "--models-file", str(tmp / "models.yaml"),
            "--output-dir", str(tmp / "out")]  # fmt: skip


def leaderboard_out_dir_is_a_file(tmp: Path) -> list[str]:
    (tmp / "tables").write_text("not a folder", encoding="utf-8")
    return ["leaderboard", "--benchmark", "pceb", "--results-dir", str(tmp), "--out-dir", str(tmp / "tables")]


def synth_config_in_gbk(tmp: Path) -> list[str]:
    (tmp / "synth.yaml").write_bytes("output_dir: 输出\n".encode("gbk"))
    return ["synth", "run", "--config", str(tmp / "synth.yaml")]


def include_path_whose_module_fails(kind: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        folder = tmp / "toy"
        folder.mkdir()
        (folder / "toy.yaml").write_text(TASK_FILE, encoding="utf-8")
        (folder / "questions.jsonl").write_text(
            "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8"
        )
        module = {
            "raises": MODULE.replace(
                "    return mcq_dataset(", "    raise RuntimeError('boom')\n    return mcq_dataset("
            ),
            "syntax": MODULE + "\ndef broken(:\n",
            "returns an int": MODULE.replace(
                '    return mcq_dataset(Path(__file__).with_name("questions.jsonl"))', "    return 7"
            ),
        }[kind]
        (folder / "utils.py").write_text(module, encoding="utf-8")
        (tmp / "models.yaml").write_text(MOCK, encoding="utf-8")
        return ["eval", "--model", "always-b", "--tasks", "toy_mcq", "--include-path", str(folder),
                "--models-file", str(tmp / "models.yaml"), "--output-dir", str(tmp / "out")]  # fmt: skip

    return make


CASES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "a models file in GBK": (models_in_gbk, "models.yaml: not UTF-8 text"),
    "generation: fast": (generation_not_a_mapping, "generation must be a mapping"),
    "defaults: {generation: [1]}": (default_generation_a_list, "defaults.generation must be a mapping"),
    "cache.sqlite of another program": (cache_of_another_program, "not a response cache"),
    "--output-dir a file": (output_dir_is_a_file, "out"),
    "leaderboard --out-dir a file": (leaderboard_out_dir_is_a_file, "tables"),
    "a synth config in GBK": (synth_config_in_gbk, "synth.yaml: not UTF-8 text"),
    "a task module that raises": (
        include_path_whose_module_fails("raises"),
        "utils.toy_dataset failed (RuntimeError: boom)",
    ),
    "a task module with a syntax error": (
        include_path_whose_module_fails("syntax"),
        "utils.py: importing it failed (SyntaxError",
    ),
    "a task module whose dataset is an int": (
        include_path_whose_module_fails("returns an int"),
        "toy_dataset",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_a_non_zero_exit_and_nothing_changed(tmp_path: Path, case: str) -> None:
    make, named = CASES[case]
    command = make(tmp_path)
    before = fingerprint(tmp_path)
    done = harness_in_process(*command)
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("warning:")]
    assert done.returncode != 0, done.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert fingerprint(tmp_path) == before


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (
            ["leaderboard", "--benchmark", "pceb", "--results-dir", "nope"],
            "--results-dir nope: no such folder",
        ),
        (["runs", "--results-dir", "nope"], "--results-dir nope: no such folder"),
        (["runs", "--results-dir", "FILE"], "a file, not a folder of run folders"),
        ([*EVAL_MOCK, "--limit", "0"], "--limit"),
        (
            [*EVAL_MOCK, "--limit", "100000000000000000000000"],
            "--limit must be a whole number from 1 to 10,000,000",
        ),
        (["synth", "run", "--config", "synth.yaml", "--max-cost", "-5"], "--max-cost"),
    ],
)
def test_settings_that_would_show_nothing_or_mean_nothing_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], named: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("x", encoding="utf-8")
    (tmp_path / "models.yaml").write_text(MOCK, encoding="utf-8")
    done = harness_in_process(*command)
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("warning:")]
    assert done.returncode == 2 and len(lines) == 1 and named in lines[0], done.stderr


def test_a_submission_file_that_is_not_one_stops_the_run_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "models.yaml").write_text(MOCK, encoding="utf-8")
    command = ["eval", "--model", "always-b", "--tasks", "cpsyexam", "--split", "test",
               "--models-file", str(tmp_path / "models.yaml"), "--output-dir", str(tmp_path / "out")]  # fmt: skip
    assert harness_in_process(*command).returncode == 0
    submission = tmp_path / "out" / "always-b" / "latest" / "cpsyexam_submission.json"
    submission.write_text('{"zero_shot": [1, 2]}', encoding="utf-8")
    before = fingerprint(tmp_path)
    done = harness_in_process(*command)
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("warning:")]
    assert done.returncode == 2 and len(lines) == 1 and "not a CPsyExam submission" in lines[0], done.stderr
    assert fingerprint(tmp_path) == before


def _after_one_run(tmp_path: Path) -> list[str]:
    (tmp_path / "models.yaml").write_text(MOCK, encoding="utf-8")
    command = ["eval", "--model", "always-b", "--tasks", "pceb_moral_smcq", "--models-file",
               str(tmp_path / "models.yaml"), "--output-dir", str(tmp_path / "out")]  # fmt: skip
    assert harness_in_process(*command).returncode == 0
    return command


def test_a_run_lock_that_is_a_folder_is_one_line(tmp_path: Path) -> None:
    command = _after_one_run(tmp_path)
    lock = tmp_path / "out" / "always-b" / "latest" / ".lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()
    done = harness_in_process(*command, "--no-cache")
    lines = [line for line in done.stderr.strip().splitlines() if line.startswith("error:")]
    assert "Traceback" not in done.stderr and done.returncode == 2
    assert len(lines) == 1 and ".lock" in lines[0] and "Is a directory" in lines[0], lines


def test_a_damaged_cache_page_is_one_line(tmp_path: Path) -> None:
    command = _after_one_run(tmp_path)
    cache = tmp_path / "out" / "always-b" / "cache.sqlite"
    data = bytearray(cache.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page overwritten
    cache.write_bytes(bytes(data))
    for stale in cache.parent.glob("cache.sqlite-*"):
        stale.unlink()
    done = harness_in_process(*command)
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("warning:")]
    assert done.returncode == 2 and len(lines) == 1 and "cache.sqlite" in lines[0], lines


def test_a_sweep_whose_output_dir_is_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("a file", encoding="utf-8")
    (tmp_path / "sweep.yaml").write_text(
        "name: s\noutput_dir: out\nbase:\n  model: smollm2-135m\n  eval: {tasks: [pceb_moral_smcq], limit: 1}\n"
        "variants:\n  Base: {}\n",
        encoding="utf-8",
    )
    done = harness_in_process("sweep", "run", str(tmp_path / "sweep.yaml"))
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("warning:")]
    assert done.returncode == 2 and len(lines) == 1 and "out" in lines[0], lines
    assert (tmp_path / "out").read_text(encoding="utf-8") == "a file"
