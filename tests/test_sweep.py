"""Ablation sweeps (`harness sweep`): variants as overrides of a base, a DAG of memoised steps that
variants share, resume after a kill, and Tables 3 and 4 in the paper's layout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURE_DATA

from sweep.config import load_sweep, merge
from sweep.plan import plan_sweep
from sweep.report import delta, micro, read_reference

SHIPPED = Path(__file__).resolve().parents[1] / "sweep" / "configs"
PCEB_SIZES = {
    "pceb_case_smcq": 748,
    "pceb_case_mmcq": 878,
    "pceb_moral_smcq": 152,
    "pceb_moral_mmcq": 158,
    "pceb_theory_smcq": 1143,
    "pceb_theory_mmcq": 784,
}


def write_sweep(folder: Path, tiny_model_dir: Path, variants: str | None = None) -> Path:
    (folder / "sft.jsonl").write_text(
        "".join(
            json.dumps({"question": f"题{i}", "rationale": "推理", "answer": "答"}, ensure_ascii=False) + "\n"
            for i in range(4)
        ),
        encoding="utf-8",
    )
    (folder / "sft.yaml").write_text(
        "run_name: s\nbase_model: x\ndata: [{path: sft.jsonl, format: rationale_qa}]\nlearning_rate: 1.0e-5\n"
        "effective_batch_size: 2\nper_device_train_batch_size: 2\nmax_steps: 1\nmax_length: 128\n",
        encoding="utf-8",
    )
    (folder / "grpo.yaml").write_text(
        "run_name: g\nbase_model: x\ndata: [{source: cpsyexam, split: train, limit: 4}]\nlearning_rate: 1.0e-6\n"
        "effective_batch_size: 4\nper_device_train_batch_size: 4\nnum_generations: 2\nmax_completion_length: 8\n"
        "max_prompt_length: 512\nmax_steps: 1\nlora: {r: 4, alpha: 8}\n",
        encoding="utf-8",
    )
    path = folder / "sweep.yaml"
    path.write_text(
        f"name: t\noutput_dir: out\nbase:\n  model: {tiny_model_dir}\n  sft: {{config: sft.yaml}}\n"
        "  grpo: {config: grpo.yaml}\n  eval: {tasks: [pceb_moral_smcq, pceb_moral_mmcq], limit: 2, max_new_tokens: 4}\n"
        + (
            variants
            or "variants:\n  Base: {sft: null, grpo: null}\n  +GRPO: {sft: null}\n  +SFT: {grpo: null}\n  +SFT+GRPO: {}\n"
        )
        + "report: {kind: table3, base: Base, pairs: [[+SFT+GRPO, +SFT]]}\n",
        encoding="utf-8",
    )
    return path


def write_api_sweep(folder: Path, base_url: str, task: str, entry_extra: str = "") -> dict[str, str]:
    """A sweep of two untrained API models (variants A and B) on one task, with their models file;
    returns the environment to run it in."""
    entries = "".join(
        f"  {name}: {{backend: openai, api_model: {name}, base_url: '{base_url}', category: general{entry_extra}}}\n"
        for name in ("api-a", "api-b")
    )
    (folder / "models.local.yaml").write_text("models:\n" + entries, encoding="utf-8")
    (folder / "sweep.yaml").write_text(
        f"name: apis\noutput_dir: out\nbase:\n  model: api-a\n  eval: {{tasks: [{task}]}}\n"
        "variants:\n  A: {}\n  B: {model: api-b}\n",
        encoding="utf-8",
    )
    return os.environ | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA), "OPENAI_API_KEY": "k"}


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA)}
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_an_override_replaces_merges_mappings_and_null_removes() -> None:
    base = {"model": "m", "sft": {"config": "a", "overrides": {"lr": 1}}, "grpo": {"config": "b"}}
    assert merge(base, {"sft": {"overrides": {"steps": 2}}, "grpo": None}) == {
        "model": "m",
        "sft": {"config": "a", "overrides": {"lr": 1, "steps": 2}},
    }


def test_variants_share_the_steps_they_have_in_common(tmp_path: Path, tiny_model_dir: Path) -> None:
    plan = plan_sweep(load_sweep(write_sweep(tmp_path, tiny_model_dir)))
    kinds = [step.kind for step in plan.steps.values()]
    assert sorted(kinds) == ["eval"] * 4 + ["grpo"] * 2 + ["sft"]  # +SFT and +SFT+GRPO share one SFT step
    sft = next(d for d, s in plan.steps.items() if s.kind == "sft")
    assert plan.users(sft) == ["+SFT", "+SFT+GRPO"]


def test_editing_one_variant_changes_only_its_own_steps(tmp_path: Path, tiny_model_dir: Path) -> None:
    before = plan_sweep(load_sweep(write_sweep(tmp_path, tiny_model_dir)))
    edited = write_sweep(
        tmp_path,
        tiny_model_dir,
        "variants:\n  Base: {sft: null, grpo: null}\n  +GRPO: {sft: null, grpo: {overrides: {beta: 0.01}}}\n"
        "  +SFT: {grpo: null}\n  +SFT+GRPO: {}\n",
    )
    after = plan_sweep(load_sweep(edited))
    changed = {name for name in before.chains if before.chains[name] != after.chains[name]}
    assert changed == {"+GRPO"}
    assert set(before.chains["+GRPO"]) & set(after.chains["+GRPO"]) == set()


def test_a_data_file_named_in_a_variants_overrides_is_part_of_its_step(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    path = write_sweep(
        tmp_path,
        tiny_model_dir,
        "variants:\n  Base: {sft: null, grpo: null}\n"
        "  Other: {grpo: null, sft: {overrides: {data: [{path: other.jsonl, format: rationale_qa}]}}}\n"
        "  +SFT: {grpo: null}\n  +SFT+GRPO: {}\n",
    )
    other = tmp_path / "other.jsonl"
    other.write_text((tmp_path / "sft.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    before = plan_sweep(load_sweep(path)).chains["Other"]
    other.write_text(
        other.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8"
    )  # cut to 1 row
    assert plan_sweep(load_sweep(path)).chains["Other"] != before


def test_a_bad_variant_is_one_line_naming_the_file_and_variant(tmp_path: Path, tiny_model_dir: Path) -> None:
    path = write_sweep(tmp_path, tiny_model_dir, "variants:\n  Broken: {eval: {tasks: []}}\n")
    done = harness("sweep", "status", str(path), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert (
        done.stderr.strip()
        == f"error: {path}: variant 'Broken': setting 'eval.tasks': List should have at least 1 item after validation, not 0"
    )


def test_table3_base_recomputes_from_table1s_qwen_row_and_the_printed_deltas_hold() -> None:
    qwen = {
        "pceb_case_smcq": 47.57,
        "pceb_case_mmcq": 31.64,
        "pceb_moral_smcq": 87.83,
        "pceb_moral_mmcq": 59.50,
    }
    qwen |= {"pceb_theory_smcq": 78.46, "pceb_theory_mmcq": 42.45}
    values = {task: (accuracy, PCEB_SIZES[task]) for task, accuracy in qwen.items()}
    case = micro(values, ("pceb_case_smcq", "pceb_case_mmcq"))
    moral = micro(values, ("pceb_moral_smcq", "pceb_moral_mmcq"))
    theory = micro(values, ("pceb_theory_smcq", "pceb_theory_mmcq"))
    assert case == pytest.approx(38.97, abs=0.01) and moral == pytest.approx(73.39, abs=0.01)
    # 63.81 over PCEB's 1,143 + 784 items; the paper prints 63.83 (its denominators are not all items)
    assert theory == pytest.approx(63.83, abs=0.03)
    rows = read_reference(SHIPPED / "table3_paper.csv")
    base = rows[0]
    for row in rows[1:]:
        for category in ("case", "moral", "theory"):
            computed = delta(float(row[category]), float(base[category]))
            assert computed == pytest.approx(float(row[f"{category}_delta"]), abs=0.006), (
                row["setting"],
                category,
            )


def test_table4s_printed_averages_are_the_mean_of_its_six_columns() -> None:
    for row in read_reference(SHIPPED / "table4_paper.csv"):
        six = [
            float(row[key])
            for key in ("case_smcq", "case_mmcq", "moral_smcq", "moral_mmcq", "theory_smcq", "theory_mmcq")
        ]
        assert sum(six) / 6 == pytest.approx(float(row["avg"]), abs=0.006), row["setting"]


def test_the_shipped_sweeps_plan_without_running_anything() -> None:
    for name in ("tiny", "table3", "table4"):
        plan = plan_sweep(load_sweep(SHIPPED / f"{name}.yaml"))
        assert plan.evals and all(plan.steps[d].kind == "eval" for d in plan.evals.values())
    table3 = plan_sweep(load_sweep(SHIPPED / "table3.yaml"))
    data = {step.settings.get("rationales") for step in table3.steps.values() if step.kind == "data"}
    assert data == {"iterated", "first", "none", None}  # None: GRPO's data step
    synth = next(d for d, step in table3.steps.items() if step.kind == "synth")
    assert "Base" not in table3.users(synth)  # an untrained variant needs no synthesis
    figure3 = plan_sweep(load_sweep(SHIPPED / "figure3.yaml"))
    assert [step.kind for step in figure3.steps.values()].count("sft") == 1  # MLCS and RS share the SFT


def test_init_copies_a_shipped_sweep_that_plans_the_same_steps_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import harness_in_process

    monkeypatch.chdir(tmp_path)
    for example in ("tiny", "table3"):
        done = harness_in_process("sweep", "init", example, "--to", example)
        assert done.returncode == 0, done.stderr
        copied, shipped = (
            plan_sweep(load_sweep(path))
            for path in (tmp_path / example / f"{example}.yaml", SHIPPED / f"{example}.yaml")
        )
        assert set(copied.steps) == set(shipped.steps)  # contents hashed, not paths: the same steps
        assert (
            load_sweep(tmp_path / example / f"{example}.yaml").output_path
            == tmp_path / example / "runs" / example
        )
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == [
        "tiny.yaml",
        "tiny_grpo.yaml",
        "tiny_sft.yaml",
    ]
    again = harness_in_process("sweep", "init", "tiny", "--to", "tiny")
    assert again.returncode == 2 and "already there; nothing copied" in again.stderr


def test_an_example_config_read_from_site_packages_writes_under_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sysconfig

    site = tmp_path / "site-packages"
    (site / "sweep" / "configs").mkdir(parents=True)
    for name in ("tiny.yaml", "tiny_sft.yaml", "tiny_grpo.yaml"):
        (site / "sweep" / "configs" / name).write_text(
            (SHIPPED / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    paths = sysconfig.get_paths() | {"purelib": str(site), "platlib": str(site)}
    monkeypatch.setattr(sysconfig, "get_paths", lambda *args, **kwargs: paths)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    sweep = load_sweep(site / "sweep" / "configs" / "tiny.yaml")
    assert sweep.output_path == work / "sweep-runs" / "tiny"  # '../../sweep-runs/tiny' would be inside site


def test_a_tiny_sweep_runs_each_step_once_resumes_after_a_kill_and_writes_table3(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    path = write_sweep(tmp_path, tiny_model_dir)
    env = os.environ | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA)}
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "sweep", "run", str(path)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # killed while the first training step runs
        if line.startswith("grpo-") and line.rstrip().endswith("running (+GRPO)"):
            time.sleep(1.0)
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait()
    status = harness("sweep", "status", str(path), cwd=tmp_path).stdout
    assert status.splitlines()[0].startswith("Base: eval-") and status.splitlines()[0].endswith(" done")
    assert "pending" in status.splitlines()[1]  # the killed step is not done
    first_eval = next((tmp_path / "out" / "steps").glob("eval-*/done.json"))
    stamp = first_eval.stat().st_mtime_ns

    done = harness("sweep", "run", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].endswith("done (Base)") and first_eval.stat().st_mtime_ns == stamp  # not run again
    ran = [line.split(":")[0] for line in lines if line.endswith(")") and ": running (" in line]
    assert len(ran) == 6 and ran[0].startswith("grpo-")  # the rest: 2 GRPO, 1 shared SFT, 3 evals

    again = harness("sweep", "run", str(path), cwd=tmp_path)
    assert [
        line.split(": ")[1].split(" (")[0]
        for line in again.stdout.splitlines()
        if line.startswith(("eval-", "sft-", "grpo-"))
    ] == ["done"] * 7
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "| Base | ours |" in report and "| +SFT+GRPO | ours |" in report
    assert "| +SFT+GRPO | paper | 67.07 | 72.11% |" in report
    assert "+SFT vs Base, moral:" in report and "+SFT+GRPO vs +SFT, theory:" in report
    out = tmp_path / "out"
    rows = (out / "table3.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "source,group,setting,Case,Δ,Moral,Δ,Theory,Δ" and rows[1].startswith("ours,,Base,")
    assert "paper,Ablation study on training stage,+SFT+GRPO,67.07,72.11%,86.06,17.26%,79.10,23.92%" in rows
    latex = (out / "table3.tex").read_text(encoding="utf-8")
    assert "\\toprule" in latex and "\\textit{67.07} & \\textit{72.11\\%} & \\textit{86.06}" in latex
    assert "$\\Delta$" in latex and "\\textbf{Ablation study on training stage}" in latex
    assert '<tr class="paper"><td>+SFT+GRPO</td><td>paper</td><td>67.07</td>' in (
        out / "table3.html"
    ).read_text(encoding="utf-8")


def write_parts(dataset: Path) -> None:
    parts = dataset / "parts"
    parts.mkdir(parents=True)

    def row(n: int, answer: str = "A") -> dict:
        options = {"A": "甲", "B": "乙"}
        return {
            "id": f"q{n}",
            "question": f"题{n}",
            "options": options,
            "answer": answer,
            "rationale": f"精炼推理{n}",
            "first_rationale": f"初始推理{n}",
            "multi": False,
        }

    files = {
        "D_pr": [row(1), row(2), row(3)],
        "D_pc": [row(4, "B")],
        "D_em": [
            {"messages": [{"role": "user", "content": "失眠"}, {"role": "assistant", "content": "抱抱你"}]}
        ],
        "D_ps_rationale_qa": [{"question": "公开题", "rationale": "公开推理", "answer": "答"}],
        "D_ps_dialogue": [],
        "D_cp": [
            {"id": "c1", "question": "考题", "options": {"A": "x", "B": "y"}, "answer": "A", "multi": False}
        ],
    }
    for name, rows in files.items():
        (parts / f"{name}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )


@pytest.mark.parametrize(
    ("recipe", "expected"),
    [
        (
            {},
            {
                "sft_rationale_qa": ["精炼推理1", "精炼推理2", "精炼推理3", "公开推理"],
                "sft_dialogue": 1,
                "grpo_mcq": ["q4", "c1"],
            },
        ),
        (
            {"rationales": "first"},
            {
                "sft_rationale_qa": ["初始推理1", "初始推理2", "初始推理3", "公开推理"],
                "sft_dialogue": 1,
                "grpo_mcq": ["q4", "c1"],
            },
        ),
        ({"rationales": "none", "sft_parts": ["D_pr"]}, {"sft_dialogue": 3, "grpo_mcq": ["q4", "c1"]}),
        ({"sft_parts": ["D_em"], "grpo_parts": []}, {"sft_dialogue": 1}),
    ],
)
def test_the_data_step_composes_a_variants_training_files_from_the_dataset_parts(
    tmp_path: Path, recipe: dict, expected: dict
) -> None:
    from sweep.config import DataRecipe
    from sweep.plan import Step
    from sweep.steps import _data

    write_parts(tmp_path / "dataset")
    settings = DataRecipe.model_validate(recipe).model_dump(exclude={"synth"})
    outputs = {}
    for kind in ("sft", "grpo"):
        step = Step("data", kind * 32, settings | {"for": kind}, ())
        outputs |= _data(step, tmp_path, {"synth": {"dataset": str(tmp_path / "dataset")}})
    assert sorted(outputs) == sorted(expected)
    rows = {
        name: [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
        for name, path in outputs.items()
    }
    if "sft_rationale_qa" in expected:
        assert [r["rationale"] for r in rows["sft_rationale_qa"]] == expected["sft_rationale_qa"]
    assert len(rows.get("sft_dialogue", [])) == expected["sft_dialogue"]
    if recipe.get("rationales") == "none":  # +QA: the answer alone, no rationale
        assert rows["sft_dialogue"][0]["messages"][1]["content"] == "答案：A"
    if "grpo_mcq" in expected:
        assert [r["id"] for r in rows["grpo_mcq"]] == expected["grpo_mcq"]


def test_random_selection_draws_as_many_questions_as_cross_selection_found(tmp_path: Path) -> None:
    from sweep.config import DataRecipe
    from sweep.plan import Step
    from sweep.steps import _data

    write_parts(tmp_path / "dataset")
    settings = DataRecipe(challenging="random", grpo_parts=["D_pc"], seed=3).model_dump(exclude={"synth"})
    outputs = _data(
        Step("data", "e" * 64, settings | {"for": "grpo"}, ()),
        tmp_path,
        {"synth": {"dataset": str(tmp_path / "dataset")}},
    )
    drawn = [
        json.loads(line)["id"] for line in Path(outputs["grpo_mcq"]).read_text(encoding="utf-8").splitlines()
    ]
    assert len(drawn) == 1 and drawn[0] in {"q1", "q2", "q3", "q4"}


def test_the_slurm_executor_submits_one_job_per_step_chained_by_afterok(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("submitit")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "sbatch.log"
    sbatch = bin_dir / "sbatch"
    sbatch.write_text(
        "#!/bin/sh\n"
        f'n=$(($(cat "{tmp_path}/count" 2>/dev/null || echo 100) + 1)); echo $n > "{tmp_path}/count"\n'
        f'echo "=== job $n" >> "{log}"; cat "$1" >> "{log}"\n'
        'echo "Submitted batch job $n"\n',
        encoding="utf-8",
    )
    sbatch.chmod(0o755)
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")  # submitit looks for it
    (bin_dir / "srun").chmod(0o755)
    path = write_sweep(tmp_path, tiny_model_dir)
    path.write_text(
        path.read_text(encoding="utf-8")
        + "executor: {kind: slurm, slurm: {partition: gpu, timeout_min: 60, train_gpus: 2}}\n",
        encoding="utf-8",
    )
    env = os.environ | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "harness", "sweep", "run", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    submitted = {line.split(":")[0]: line for line in done.stdout.splitlines() if "submitted as job" in line}
    assert len(submitted) == 7
    plan = plan_sweep(load_sweep(path))
    job_of = {label: line.split("job ")[1].split()[0] for label, line in submitted.items()}
    scripts = {
        block.split("\n", 1)[0]: block for block in log.read_text(encoding="utf-8").split("=== job ")[1:]
    }
    for step in plan.steps.values():
        script = scripts[job_of[step.label]]
        needs = [job_of[plan.steps[d].label] for d in step.needs]
        if needs:
            assert f"#SBATCH --dependency=afterok:{':'.join(needs)}" in script
        else:
            assert "--dependency" not in script
        assert (
            "#SBATCH --partition=gpu" in script
            and f"#SBATCH --output={tmp_path}/out/steps/{step.label}/slurm/" in script
        )
        if step.kind in ("sft", "grpo"):
            assert "#SBATCH --gpus-per-node=2" in script


def test_figure4_draws_the_papers_two_panels_with_elastic_accuracy_asterisked(tmp_path: Path) -> None:
    """As the paper's Figure 4: (a) challenging and (b) non-challenging items, each with every model's
    standard accuracy per task and, asterisked, elastic accuracy on the MMCQ tasks."""
    (tmp_path / "models.local.yaml").write_text(
        "models:\n  says-b: {backend: mock, mock_response: '答案：B', category: candidate}\n"
        "  says-c: {backend: mock, mock_response: '答案：C', category: candidate}\n",
        encoding="utf-8",
    )
    labels = tmp_path / "labels"
    labels.mkdir()
    (tmp_path / "sweep.yaml").write_text(
        "name: f4\noutput_dir: out\nbase:\n  model: says-b\n  eval: {tasks: [pceb_theory_smcq, pceb_theory_mmcq]}\n"
        "variants:\n  B: {}\n  C: {model: says-c}\nreport: {kind: figure4, labels: labels}\n",
        encoding="utf-8",
    )
    status = harness("sweep", "run", str(tmp_path / "sweep.yaml"), "--dry-run", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    # Fixture theory SMCQ answers: B, C, A (the first challenging); MMCQ: ACD, AB (the second).
    from synth.labels import benchmark_questions

    questions = benchmark_questions(["pceb_theory_smcq", "pceb_theory_mmcq"], str(FIXTURE_DATA), None)
    for task, challenging in (("pceb_theory_smcq", 0), ("pceb_theory_mmcq", 1)):
        items = {q.id: {"challenging": n == challenging} for n, q in enumerate(questions[task][:3])}
        (labels / f"{task}.json").write_text(json.dumps({"items": items}), encoding="utf-8")
    done = harness("sweep", "run", str(tmp_path / "sweep.yaml"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    header = "| model | Case SMCQ | Case MMCQ | Case MMCQ* | Moral SMCQ | Moral MMCQ | Moral MMCQ* | Theory SMCQ | Theory MMCQ | Theory MMCQ* |"
    challenging, rest = report.split("(a) Challenging:")[1].split("(b) Non-Challenging:")
    assert header in challenging and header in rest
    empty = "|  " * 6
    # B: SMCQ right on the challenging item; on AB it picked B: no standard credit, half the elastic
    assert f"| B {empty}| 100.00 | 0.00 | 50.00 |" in challenging
    assert f"| B {empty}| 0.00 | 0.00 | 0.00 |" in rest
    # C: right on one of the two other SMCQ items; C of ACD is a third of the elastic credit
    assert f"| C {empty}| 0.00 | 0.00 | 0.00 |" in challenging
    assert f"| C {empty}| 50.00 | 0.00 | 33.33 |" in rest
    assert "Theory SMCQ 1 challenging, 2 non-challenging" in report
    assert (tmp_path / "out" / "figure4.png").read_bytes()[:4] == b"\x89PNG"
    svg = (tmp_path / "out" / "figure4.svg").read_text(encoding="utf-8")
    assert "(a) Challenging" in svg and "(b) Non-Challenging" in svg and "Theory MMCQ*" in svg


def test_figure3_puts_each_variants_six_accuracies_side_by_side(tmp_path: Path) -> None:
    from sweep.figures import figure3
    from sweep.report import TaskResult

    runs = {
        "MLCS": {"pceb_case_smcq": TaskResult((1.0, 0.0), {}), "pceb_theory_mmcq": TaskResult((1.0,), {})},
        "RS": {"pceb_case_smcq": TaskResult((0.0, 0.0), {})},
    }
    table = figure3(runs, tmp_path / "figure3")
    assert "| MLCS | 50.00 |  |  |  |  | 100.00 |" in table and "| RS | 0.00 |" in table
    assert (tmp_path / "figure3.png").exists() and (tmp_path / "figure3.svg").exists()


def test_a_training_step_with_an_accelerate_config_runs_through_accelerate_launch(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    (tmp_path / "cpu.yaml").write_text(
        'compute_environment: LOCAL_MACHINE\ndistributed_type: "NO"\nmixed_precision: "no"\n'
        "num_machines: 1\nnum_processes: 1\nuse_cpu: true\n",
        encoding="utf-8",
    )
    path = write_sweep(
        tmp_path, tiny_model_dir, "variants:\n  +SFT: {grpo: null, sft: {accelerate: cpu.yaml}}\n"
    )
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "report: {kind: table3, base: Base, pairs: [[+SFT+GRPO, +SFT]]}\n", ""
        ),
        encoding="utf-8",
    )
    done = harness("sweep", "run", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    plan = plan_sweep(load_sweep(path))
    sft = next(step for step in plan.steps.values() if step.kind == "sft")
    assert sft.settings["accelerate"] == str((tmp_path / "cpu.yaml").resolve())
    record = json.loads((tmp_path / "out" / "steps" / sft.label / "done.json").read_text(encoding="utf-8"))
    assert (Path(record["outputs"]["model"]) / "config.json").exists()
    assert done.stdout.count(": done in ") == 2  # the SFT, then its eval


def test_eval_steps_of_api_models_run_side_by_side(tmp_path: Path) -> None:
    from fake_openai import FakeOpenAI

    answered: dict[str, list[float]] = {}

    def reply(model: str, messages: list[dict[str, str]]) -> str:
        answered.setdefault(model, []).append(time.monotonic())
        return "答案：B"

    with FakeOpenAI(reply_by_model=reply, latency_s=1.5) as server:
        env = write_api_sweep(tmp_path, server.base_url, "pceb_theory_smcq")
        done = subprocess.run(
            [sys.executable, "-m", "harness", "sweep", "run", "sweep.yaml"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("2 API eval steps at once: eval-")
    windows = {model: (min(times) - 1.5, max(times)) for model, times in answered.items()}
    assert max(start for start, _ in windows.values()) < min(
        end for _, end in windows.values()
    )  # they overlapped
    assert [line.split(": ")[1] for line in done.stdout.splitlines()[1:3]] == ["done (A)", "done (B)"]


def test_a_sweep_with_a_synthesis_recipe_trains_on_the_parts_each_variant_asks_for(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    from fake_openai import FakeOpenAI
    from test_synth import script, write_inputs

    with FakeOpenAI(reply_by_model=script()) as server:
        synth_config = write_inputs(tmp_path / "synth", server.base_url)
        path = write_sweep(
            tmp_path,
            tiny_model_dir,
            "variants:\n  +Rat.: {grpo: null, data: {rationales: first}}\n"
            "  +QA: {grpo: null, data: {rationales: none}}\n  +SFT+GRPO: {}\n",
        )
        text = path.read_text(encoding="utf-8").replace(
            "report: {kind: table3, base: Base, pairs: [[+SFT+GRPO, +SFT]]}\n", ""
        )
        path.write_text(
            text.replace(
                "  sft: {config: sft.yaml}\n",
                f"  data: {{synth: {synth_config}}}\n  sft: {{config: sft.yaml}}\n",
            ),
            encoding="utf-8",
        )
        env = os.environ | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA), "OPENAI_API_KEY": "k"}
        done = subprocess.run(
            [sys.executable, "-m", "harness", "sweep", "run", str(path)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    plan = plan_sweep(load_sweep(path))
    kinds = sorted(step.kind for step in plan.steps.values())
    assert kinds == ["data"] * 4 + ["eval"] * 3 + ["grpo"] + ["sft"] * 3 + [
        "synth"
    ]  # +Rat. and +SFT+GRPO differ in rationales
    data = {
        step.settings.get("rationales", "grpo"): step for step in plan.steps.values() if step.kind == "data"
    }
    outputs = {
        name: json.loads((tmp_path / "out" / "steps" / step.label / "done.json").read_text(encoding="utf-8"))[
            "outputs"
        ]
        for name, step in data.items()
    }
    first = [
        json.loads(line)["rationale"]
        for line in Path(outputs["first"]["sft_rationale_qa"]).read_text(encoding="utf-8").splitlines()
    ]
    refined = [
        json.loads(line)["rationale"]
        for line in Path(outputs["iterated"]["sft_rationale_qa"]).read_text(encoding="utf-8").splitlines()
    ]
    assert all(r.startswith("初始推理") for r in first) and any(r.startswith("改进推理") for r in refined)
    assert "sft_rationale_qa" not in outputs["none"] and outputs["none"]["sft_dialogue"]  # +QA: answers only
    grpo_rows = Path(outputs["grpo"]["grpo_mcq"]).read_text(encoding="utf-8").splitlines()
    counts = json.loads(
        (tmp_path / "synth" / "out" / "dataset" / "manifest.json").read_text(encoding="utf-8")
    )["counts"]
    assert (
        counts["D_pc"] == 1 and len(grpo_rows) == counts["D_pc"] + counts["D_cp"]
    )  # the challenging one + D_cp


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM])
def test_killing_a_sweep_stops_its_step_processes_and_a_rerun_asks_nothing_twice(
    tmp_path: Path, stop: signal.Signals
) -> None:
    from fake_openai import FakeOpenAI

    with FakeOpenAI(latency_s=0.3) as server:
        env = write_api_sweep(tmp_path, server.base_url, "pceb", ", concurrency: 2")
        command = [sys.executable, "-m", "harness", "sweep", "run", "sweep.yaml"]
        errors = (tmp_path / "stderr.txt").open("w", encoding="utf-8")
        sweep = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        deadline = time.monotonic() + 60
        while len(server.requests_seen) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        steps = [int(json.loads(p.read_text())["pid"]) for p in (tmp_path / "out").rglob("running.json")]
        assert steps, "no step was running"
        sweep.send_signal(stop)
        sweep.wait(timeout=30)
        errors.close()
        time.sleep(2.0)
        if stop == signal.SIGTERM:  # each stop says where it stopped, in one line, no traceback
            said = (tmp_path / "stderr.txt").read_text(encoding="utf-8").strip().splitlines()
            assert sweep.returncode == 130
            assert any(
                line.startswith("interrupted: `harness sweep run sweep.yaml` stopped") for line in said
            )
            assert not any("Traceback" in line or "failed" in line for line in said), said
        for pid in steps:  # the step processes went with the sweep
            try:
                os.kill(pid, 0)
                os.waitpid(pid, os.WNOHANG)
                alive = (
                    Path(f"/proc/{pid}").exists()
                    and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
                )
            except (ProcessLookupError, ChildProcessError):
                alive = False
            assert not alive, f"step process {pid} outlived the sweep"
        asked_at_stop = len(server.requests_seen)
        time.sleep(1.0)
        assert len(server.requests_seen) == asked_at_stop  # nothing goes on asking
        again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert again.returncode == 0, again.stderr[-2000:]
    sent = Counter(json.dumps(body["messages"]) + body["model"] for _, body in server.requests_seen)
    # Only what was in flight when it stopped (at most `concurrency` per step) is asked again.
    assert sum(count - 1 for count in sent.values()) <= 2 * 2
    assert max(sent.values()) <= 2


def test_the_shipped_ablations_are_the_papers_recipes() -> None:
    table3 = plan_sweep(load_sweep(SHIPPED / "table3.yaml"))
    table4 = plan_sweep(load_sweep(SHIPPED / "table4.yaml"))
    # +Rat.+Iter. is +SFT+GRPO in the paper (67.07 / 86.06 / 79.10): one model, trained once
    assert table3.chains["+Rat.+Iter."] == table3.chains["+SFT+GRPO"]
    kinds = {name: [table3.steps[d].kind for d in chain] for name, chain in table3.chains.items()}
    assert "grpo" in kinds["+QA"] and "grpo" in kinds["+Rat."]  # the rationale rows run SFT then GRPO

    # Table 4's full recipe is Table 3's +SFT+GRPO: the same data, the same training settings (each
    # sweep names its own runs)
    def recipe(plan, variant):  # type: ignore[no-untyped-def]
        steps = [plan.steps[d] for d in plan.chains[variant]]
        return [
            step.digest
            if step.kind in ("synth", "data")
            else {k: v for k, v in step.settings.items() if k not in ("name", "model")}
            for step in steps
            if step.kind != "eval"
        ]

    assert recipe(table4, "+ED+PRD+APD") == recipe(table3, "+SFT+GRPO")
    sft_parts = {
        name: table4.steps[table4.chains[name][1]].settings.get("sft_parts") for name in ("+PRD", "+ED+PRD")
    }
    assert sft_parts == {"+PRD": ["D_pr"], "+ED+PRD": ["D_pr", "D_em"]}  # D_pc is GRPO's, never SFT's


def test_table3s_report_flags_where_the_paper_disagrees_with_its_own_table_1() -> None:
    from sweep.report import paper_inconsistencies

    flags = paper_inconsistencies(read_reference(SHIPPED / "table3_paper.csv"))
    # Psyche-R1's case in Table 1: (63.31 x 748 + 56.26 x 878) / 1,626 = 59.50, not Table 3's 67.07;
    # its moral (86.06) and theory (79.10) agree
    assert len(flags) == 1 and "case (67.07)" in flags[0] and "(59.50," in flags[0]


def test_steps_are_their_files_contents_not_their_paths(tmp_path: Path, tiny_model_dir: Path) -> None:
    import shutil

    first = tmp_path / "here"
    first.mkdir()
    path = write_sweep(first, tiny_model_dir)
    before = {step.kind: digest for digest, step in plan_sweep(load_sweep(path)).steps.items()}
    moved = tmp_path / "elsewhere"
    shutil.copytree(first, moved)
    after_move = {
        step.kind: digest for digest, step in plan_sweep(load_sweep(moved / "sweep.yaml")).steps.items()
    }
    assert after_move == before  # moving the sweep's folder leaves every step done
    data = moved / "sft.jsonl"
    data.write_text(data.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")  # 4 rows -> 1
    after_edit = {
        step.kind: digest for digest, step in plan_sweep(load_sweep(moved / "sweep.yaml")).steps.items()
    }
    assert (
        after_edit["sft"] != before["sft"] and after_edit["eval"] != before["eval"]
    )  # the SFT and what follows


@pytest.mark.parametrize(
    "report", ["{kind: table3, base: Nope}", "{kind: table3, base: Base, pairs: [[+SFT, +SFTT]]}"]
)
def test_a_report_naming_no_variant_is_refused_before_any_step(
    tmp_path: Path, tiny_model_dir: Path, report: str
) -> None:
    path = write_sweep(tmp_path, tiny_model_dir)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("report:")] + f"report: {report}\n", encoding="utf-8")
    done = harness("sweep", "run", str(path), "--dry-run", cwd=tmp_path)
    assert done.returncode == 2 and "not a variant of this sweep" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("variants", "says"),
    [
        (  # a typo in a training step's overrides
            "variants:\n  Base: {sft: null, grpo: null}\n  +SFT: {grpo: null, sft: {overrides: {learning_rat: 1.0e-5}}}\n",
            "variant '+SFT': sft step (sft.yaml with the sweep's overrides): unknown setting 'learning_rat'",
        ),
        (  # a bad value in one
            "variants:\n  Base: {sft: null, grpo: null}\n  +GRPO: {sft: null, grpo: {overrides: {num_generations: 0}}}\n",
            "variant '+GRPO': grpo step (grpo.yaml with the sweep's overrides): setting 'num_generations'",
        ),
        (  # an unknown model in a trained variant, found before the Base eval
            "variants:\n  Base: {sft: null, grpo: null}\n  +SFT: {grpo: null, model: no-such-model}\n",
            "variant '+SFT': model: unknown model 'no-such-model'",
        ),
        (  # a training config that is not there
            "variants:\n  Base: {sft: null, grpo: null}\n  +SFT: {grpo: null, sft: {config: sft_typo.yaml}}\n",
            "variant '+SFT': sft.config",
        ),
    ],
)
def test_every_step_of_a_sweep_is_checked_by_dry_run_before_any_step(
    tmp_path: Path, tiny_model_dir: Path, variants: str, says: str
) -> None:
    """What used to fail hours in (after the Base eval, naming a generated config) is one line from
    `--dry-run` and from `run`, naming the sweep file and the variant, before any step."""
    path = write_sweep(tmp_path, tiny_model_dir, variants)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("report:")] + "report: {kind: none}\n", encoding="utf-8")
    for command in (("--dry-run",), ()):
        done = harness("sweep", "run", str(path), *command, cwd=tmp_path)
        assert done.returncode == 2 and says in done.stderr and str(path) in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_a_report_with_unfinished_variants_says_which_and_a_figure_draws_no_missing_bar_as_zero(
    tmp_path: Path,
) -> None:
    """Variant C has no finished eval: the report says it is partial and names C (report.md and the
    command's warning), and Figure 3 leaves the tasks a run did not evaluate empty, marked n/a."""
    from fake_openai import FakeOpenAI

    with FakeOpenAI(reply_by_model=lambda model, messages: "答案：B") as server:
        env = write_api_sweep(tmp_path, server.base_url, "pceb_theory_smcq")
        run = [sys.executable, "-m", "harness", "sweep"]
        done = subprocess.run(
            [*run, "run", "sweep.yaml"], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
    sweep_file = tmp_path / "sweep.yaml"
    text = sweep_file.read_text(encoding="utf-8")
    sweep_file.write_text(text.replace("  B: {model: api-b}\n", "  B: {model: api-b}\n  C: {model: api-b, eval: {limit: 1}}\n") + "report: {kind: figure3}\n", encoding="utf-8")  # fmt: skip
    done = subprocess.run(
        [*run, "report", "sweep.yaml"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "Partial report: 1 of 3 variants" in report and "(C)" in report
    assert "Partial report" in done.stderr
    svg = (tmp_path / "out" / "figure3.svg").read_text(encoding="utf-8")
    assert svg.count("n/a") == 2 * 5  # A and B evaluated one of Figure 3's six tasks


def test_table4s_interval_is_for_the_avg_column_it_stands_beside_and_each_column_has_its_own() -> None:
    """Table 4's Avg. is the mean of six task accuracies, so its paired difference is the mean of the
    six differences (not the pooled items'); every column gets its own difference and interval."""
    import random

    from sweep.report import SUBTASKS, TaskResult, build_table

    rng = random.Random(5)
    sizes = dict(zip(SUBTASKS, (40, 10, 10, 30, 60, 20), strict=True))  # unequal: pooled != mean

    def run(rate: dict[str, float]) -> dict[str, TaskResult]:
        out = {}
        for task, n in sizes.items():
            strict = {f"{task}-{i}": float(rng.random() < rate[task]) for i in range(n)}
            out[task] = TaskResult(tuple(strict.values()), strict)
        return out

    base = run(dict.fromkeys(SUBTASKS, 0.5))
    better = run({task: 0.9 if task == "pceb_case_mmcq" else 0.5 for task in SUBTASKS})
    table = build_table("table4", {"Base": base, "+X": better}, "Base", [])
    averages = {row.cells[0]: float(row.cells[-1]) for row in table.rows}
    avg_note = next(note for note in table.notes if note.startswith("+X vs Base, Avg.:"))
    assert float(avg_note.split(": ")[1].split(" ")[0]) == pytest.approx(
        averages["+X"] - averages["Base"], abs=0.006
    )
    columns = [
        note.split(", ")[1].split(":")[0]
        for note in table.notes
        if note.startswith("+X vs Base, ") and "Avg." not in note
    ]
    assert columns == list(table.header[1:7])


def test_our_rows_stand_beside_the_papers_under_its_group_headings() -> None:
    """Each of the paper's settings: our row, then the paper's, under the paper's heading; a variant
    the paper has not comes last under a heading of its own; a setting we did not run shows the
    paper's row alone."""
    from harness.table_formats import to_markdown
    from sweep.report import SUBTASKS, TaskResult, build_table

    def run(credit: float) -> dict[str, TaskResult]:
        return {task: TaskResult((credit,), {"d": credit}) for task in SUBTASKS}

    runs = {"+Mine": run(1.0), "+SFT": run(1.0), "Base": run(0.0)}
    table = build_table("table3", runs, "Base", read_reference(SHIPPED / "table3_paper.csv"))
    order = [(row.group, row.cells[0], row.source) for row in table.rows]
    assert order[:5] == [
        ("", "Base", "ours"),
        ("", "Base", "paper"),
        ("Ablation study on training stage", "+GRPO", "paper"),
        ("Ablation study on training stage", "+SFT", "ours"),
        ("Ablation study on training stage", "+SFT", "paper"),
    ]
    assert order[-1] == ("not in the paper", "+Mine", "ours")
    lines = to_markdown(table).splitlines()
    heading = lines.index("| **Ablation study on training stage** | | | | | | | |")
    assert lines[heading + 1].startswith("| +GRPO | paper | 36.69 |")
    assert lines[heading + 2].startswith("| +SFT | ours | 100.00 |")
    assert "| **Ablation study on rationale optimization** |" in "\n".join(lines)


def test_table3s_categories_are_pcebs_own_layout() -> None:
    """Case, Moral and Theory come from tasks/pceb/pceb.yaml's leaderboard columns, not a copy."""
    from sweep.report import CATEGORIES, SUBTASKS, pceb_categories

    assert (
        pceb_categories()
        == CATEGORIES
        == {
            "case": ("pceb_case_smcq", "pceb_case_mmcq"),
            "moral": ("pceb_moral_smcq", "pceb_moral_mmcq"),
            "theory": ("pceb_theory_smcq", "pceb_theory_mmcq"),
        }
    )
    assert len(SUBTASKS) == 6
