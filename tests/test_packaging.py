"""A built wheel is the harness: installed into a fresh environment, it lists its tasks and runs a
mock evaluation from another directory, reading the task files and models.yaml it carries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import FIXTURE_DATA

PROJECT = Path(__file__).resolve().parents[1]
SHIPPED = (
    "harness",
    "train",
    "synth",
    "sweep",
    "tasks",
    "models.yaml",
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
)


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_the_wheel_installed_elsewhere_lists_tasks_and_runs_a_mock_eval(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in SHIPPED:  # a copy, so that building leaves the checkout untouched
        if (PROJECT / name).is_dir():
            shutil.copytree(
                PROJECT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "_bundled")
            )
        else:
            shutil.copy2(PROJECT / name, source / name)
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        tmp_path / "dist",
        ".",
        cwd=source,
    )
    [wheel] = (tmp_path / "dist").glob("psyche_harness-*.whl")
    import zipfile

    carried = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "sweep/configs/tiny_sft.yaml",
        "sweep/configs/table3_paper.csv",
        "synth/configs/examples/dialogues.jsonl",
        "synth/configs/paper.yaml",
    } <= carried
    shutil.rmtree(source)  # nothing of the checkout copy is left to read from

    fresh = tmp_path / "fresh"
    run(sys.executable, "-m", "venv", "--without-pip", fresh, cwd=tmp_path)
    python = fresh / "bin" / "python"
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        wheel,
        cwd=tmp_path,
    )
    # the dependencies come from this environment; the harness itself only from the wheel
    site = Path(
        run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env |= {"PSYCHE_DATA_DIR": str(FIXTURE_DATA), "PSYCHE_CACHE_DIR": str(tmp_path / "cache")}
    where = run(python, "-c", "import harness; print(harness.__file__)", cwd=elsewhere, env=env)
    assert where.startswith(str(fresh))
    hint = run(
        python,
        "-c",
        "from harness.packages import install_hint; print(install_hint('train'))",
        cwd=elsewhere,
        env=env,
    )
    assert hint.strip() == "pip install 'psyche-harness[train]'"  # not the checkout's `pip install -e`
    harness = fresh / "bin" / "harness"
    listed = run(harness, "tasks", cwd=elsewhere, env=env)
    assert "pceb_case_qa" in listed and "cpsyexam_5shot_case_multi" in listed and "psydt" in listed

    (elsewhere / "models.yaml").write_text(
        "models:\n  always-b:\n    backend: mock\n    mock_response: '答案：B'\n    category: candidate\n",
        encoding="utf-8",
    )
    run(harness, "eval", "--model", "always-b", "--tasks", "pceb_moral_smcq,cpsyexam_5shot_case_single",
        "--models-file", "models.yaml", "--output-dir", "out", cwd=elsewhere, env=env)  # fmt: skip
    results = json.loads(
        (elsewhere / "out" / "always-b" / "latest" / "results.json").read_text(encoding="utf-8")
    )
    assert set(results["tasks"]) == {"pceb_moral_smcq", "cpsyexam_5shot_case_single"}
    assert results["provenance"]["git"] == {"commit": None, "dirty": None}  # installed, not a checkout
    table = run(harness, "leaderboard", "--benchmark", "pceb", "--results-dir", "out", cwd=elsewhere, env=env)
    assert "Psyche-R1" in table  # the paper's reference rows travel with the wheel
    # the shipped examples, copied into a folder of the user's and planned from there
    run(harness, "sweep", "init", "tiny", "--to", "sweeps", cwd=elsewhere, env=env)
    planned = run(
        harness, "sweep", "run", "--config", "sweeps/tiny.yaml", "--dry-run", cwd=elsewhere, env=env
    )
    assert planned.count("would run") == 7  # Base, +GRPO, +SFT, +SFT+GRPO: 4 evals, SFT once, GRPO twice
    run(harness, "synth", "init", "smoke", cwd=elsewhere, env=env)
    estimated = run(harness, "synth", "run", "--config", "smoke.yaml", "--dry-run", cwd=elsewhere, env=env)
    assert "dialogues" in estimated or "calls" in estimated
    written_there = [*site.glob("**/sweep-runs"), *site.glob("**/synth-runs"), *site.glob("*/configs/runs")]
    assert not written_there  # nothing written into site-packages
