"""Training plugins: the paper's rewards on a table of cases, one SFT and one GRPO step on a tiny
random model, the candidate evaluated by name, and one-line errors for bad configs and records."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURE_DATA, eval_by_name, read_jsonl, train_command

from harness.errors import HarnessError
from train.config import GRPORunConfig, SFTRunConfig, load_config
from train.data import grpo_rows, sft_rows
from train.rewards import accuracy_reward, format_reward

# --- rewards (Eq. 2 and the format reward) ------------------------------------------------------


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("<think>先分析题干。</think>答案：A", 1.25),
        ("<think>\n逐项排除。\n</think>\n\n答案：AC", 1.25),
        ("答案：A", -1.0),  # no reasoning block
        ("<think>分析到一半，答案：A", -1.0),  # missing </think>
        ("<think></think>答案：A", -1.0),  # empty reasoning
        ("<think>分析</think>我不确定。", -1.0),  # no parsable final answer
        ("<think>分析</think>答案：A<think>再想想</think>", -1.0),  # a second block after the answer
        ("前言<think>分析</think>答案：A", -1.0),  # text before the reasoning
    ],
)
def test_format_reward(completion: str, expected: float) -> None:
    assert format_reward([completion], options=["ABCD"]) == [expected]


@pytest.mark.parametrize(
    ("completion", "gold", "expected"),
    [
        ("<think>分析</think>答案：AC", "AC", 1.0),  # exact set
        ("<think>分析</think>答案：CA", "AC", 1.0),  # order does not matter
        ("<think>分析</think>答案：A", "AC", 0.5),  # proper subset: |pred| / |gold|
        ("<think>分析</think>答案：B", "ABC", pytest.approx(1 / 3)),
        ("<think>分析</think>答案：ABC", "AC", -1.0),  # superset
        ("<think>分析</think>答案：BD", "AC", -1.0),  # disjoint
        ("<think>分析</think>答案：A", "", -1.0),  # empty gold
        ("<think>分析</think>说不清。", "A", -1.0),  # unparsable
        ("<think>分析到一半，答案：A", "A", -1.0),  # missing </think>: cut off inside the reasoning
        ("答案：A", "A", 1.0),  # accuracy does not judge the format
    ],
)
def test_accuracy_reward(completion: str, gold: str, expected: float) -> None:
    assert accuracy_reward([completion], answer=[gold], options=["ABCD"]) == [expected]


def test_rewards_take_trl_conversational_completions_and_extra_columns() -> None:
    completions = [[{"role": "assistant", "content": "<think>分析</think>答案：B"}]] * 2
    columns = {
        "prompts": [[], []],
        "completion_ids": [[1], [2]],
        "multi": [False, True],
        "trainer_state": None,
    }
    assert format_reward(completions, options=["ABCD", "ABCD"], **columns) == [1.25, 1.25]
    assert accuracy_reward(completions, answer=["B", "BD"], options=["ABCD", "ABCD"], **columns) == [1.0, 0.5]


# --- configs and data: one line naming file and line ----------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_config_key_names_the_file_and_line(tmp_path: Path) -> None:
    config = write(
        tmp_path / "sft.yaml",
        "run_name: x\nbase_model: m\ndata:\n  - path: d.jsonl\n    format: dialogue\nlearnig_rate: 1e-5\n",
    )
    with pytest.raises(HarnessError, match=re.escape(f"{config}:6: unknown setting 'learnig_rate'")):
        load_config(config, SFTRunConfig)
    nested = write(
        tmp_path / "grpo.yaml", "run_name: x\nbase_model: m\ndata:\n  - path: d.jsonl\n    fromat: mcq\n"
    )
    with pytest.raises(HarnessError, match=re.escape(f"{nested}:5: unknown setting 'data.0.fromat'")):
        load_config(nested, GRPORunConfig)


def test_a_bad_config_value_names_the_file_and_line(tmp_path: Path) -> None:
    config = write(
        tmp_path / "grpo.yaml",
        "run_name: x\nbase_model: m\ndata:\n  - source: cpsyexam\nbeta: -1\nnum_generations: 8\n",
    )
    with pytest.raises(
        HarnessError,
        match=re.escape(f"{config}:5: setting 'beta': Input should be greater than or equal to 0"),
    ):
        load_config(config, GRPORunConfig)


def test_paper_defaults_are_the_configs_defaults(tmp_path: Path) -> None:
    sft = load_config(
        write(tmp_path / "s.yaml", "run_name: a\nbase_model: m\ndata: [{path: d, format: dialogue}]\n"),
        SFTRunConfig,
    )
    assert (sft.learning_rate, sft.effective_batch_size, sft.num_train_epochs) == (1e-5, 256, 2.0)
    assert (sft.adam_epsilon, sft.lr_scheduler_type, sft.warmup_ratio) == (1e-8, "cosine", 0.1)
    grpo = load_config(
        write(tmp_path / "g.yaml", "run_name: a\nbase_model: m\ndata: [{source: cpsyexam}]\n"), GRPORunConfig
    )
    assert (grpo.learning_rate, grpo.effective_batch_size, grpo.num_train_epochs, grpo.beta) == (
        1e-6,
        128,
        2.0,
        1e-3,
    )
    shipped = Path(__file__).parents[1] / "train" / "configs"
    assert load_config(shipped / "sft_paper.yaml", SFTRunConfig).effective_batch_size == 256
    assert load_config(shipped / "grpo_paper.yaml", GRPORunConfig).beta == 1e-3


@pytest.mark.parametrize(
    ("fmt", "lines", "message"),
    [
        (
            "rationale_qa",
            ['{"question": "q", "rationale": "r", "answer": "A"}', "{oops"],
            ", line 2: invalid JSON",
        ),
        (
            "rationale_qa",
            ['{"question": "q", "answer": "A"}'],
            ", line 1: 'rationale' should be a non-empty string",
        ),
        (
            "dialogue",
            ['{"messages": [{"role": "user", "content": "hi"}]}'],
            ", line 1: no assistant turn follows a user turn",
        ),
        (
            "dialogue",
            ['{"messages": [{"role": "bot", "content": "hi"}]}'],
            ", line 1: message 0 needs a role",
        ),
        (
            "mcq",
            ['{"question": "q", "options": {"A": "x", "B": "y"}, "answer": "C"}'],
            ", line 1: answer 'C' should name options among AB",
        ),
    ],
)
def test_a_bad_data_record_names_the_file_and_line(
    tmp_path: Path, fmt: str, lines: list[str], message: str
) -> None:
    data = write(tmp_path / "d.jsonl", "\n".join(lines) + "\n")
    config = write(
        tmp_path / "c.yaml", f"run_name: a\nbase_model: m\ndata: [{{path: d.jsonl, format: {fmt}}}]\n"
    )
    kind = GRPORunConfig if fmt == "mcq" else SFTRunConfig
    loaded = load_config(config, kind)
    with pytest.raises(HarnessError, match=re.escape(f"{data}{message}")):
        (grpo_rows if fmt == "mcq" else sft_rows)(loaded.data, None)


def test_sft_rows_put_the_rationale_in_think_tags_and_split_dialogues_per_counselor_turn(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "qa.jsonl",
        json.dumps(
            {"question": "题", "rationale": "推理", "answer": "B", "options": {"A": "甲", "B": "乙"}},
            ensure_ascii=False,
        )
        + "\n",
    )
    dialogue = {
        "messages": [
            {"role": "system", "content": "你是咨询师"},
            {"role": "user", "content": "我很累"},
            {"role": "assistant", "content": "辛苦了"},
            {"role": "user", "content": "嗯"},
            {"role": "assistant", "content": "说说看"},
        ]
    }
    dialogues = write(tmp_path / "dlg.jsonl", json.dumps(dialogue, ensure_ascii=False) + "\n")
    config = write(
        tmp_path / "c.yaml",
        "run_name: a\nbase_model: m\ndata: [{path: qa.jsonl, format: rationale_qa}, {path: dlg.jsonl, format: dialogue}]\n",
    )
    rows = sft_rows(load_config(config, SFTRunConfig).data, None).rows
    assert rows[0]["completion"] == [{"role": "assistant", "content": "<think>\n推理\n</think>\n\n答案：B"}]
    assert rows[0]["prompt"][0]["content"] == "题\nA. 甲\nB. 乙"
    assert [len(row["prompt"]) for row in rows[1:]] == [2, 4]  # each counselor turn after its history
    assert [row["completion"][0]["content"] for row in rows[1:]] == ["辛苦了", "说说看"]
    assert dialogues.exists()


def test_grpo_reads_cpsyexam_from_the_data_directory() -> None:
    config = GRPORunConfig.model_validate(
        {"run_name": "a", "base_model": "m", "data": [{"source": "cpsyexam", "split": "dev"}]}
    )
    loaded = grpo_rows(config.data, str(FIXTURE_DATA))
    assert loaded.rows and all(
        row["answer"] and set(row["answer"]) <= set(row["options"]) for row in loaded.rows
    )
    assert all("<think>" in row["prompt"][0]["content"] for row in loaded.rows)
    assert loaded.hashes and all(len(digest) == 64 for digest in loaded.hashes.values())


def test_sft_reads_cpsyexam_as_questions_answered_directly() -> None:
    config = SFTRunConfig.model_validate(
        {
            "run_name": "a",
            "base_model": "m",
            "learning_rate": 1e-4,
            "data": [{"source": "cpsyexam", "split": "dev", "limit": 3}],
        }
    )
    loaded = sft_rows(config.data, str(FIXTURE_DATA))
    assert len(loaded.rows) == 3 and loaded.hashes
    for row in loaded.rows:
        [question] = row["prompt"]  # no think-first system prompt: the completion has no rationale
        assert question["role"] == "user" and "A. " in question["content"]
        [answer] = row["completion"]
        assert answer["role"] == "assistant" and answer["content"].startswith("答案：")


# --- one step of each, on the tiny model, then evaluated by name -------------------------------------


def test_one_sft_step_produces_a_candidate_that_harness_eval_runs_by_name(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    write(
        tmp_path / "qa.jsonl",
        "\n".join(
            json.dumps({"question": f"题{i}", "rationale": "推理", "answer": "答"}, ensure_ascii=False)
            for i in range(4)
        )
        + "\n",
    )
    config = write(
        tmp_path / "sft.yaml",
        f"run_name: tiny-sft\nbase_model: {tiny_model_dir}\ndata: [{{path: qa.jsonl, format: rationale_qa}}]\n"
        "effective_batch_size: 2\nper_device_train_batch_size: 2\nmax_steps: 1\nmax_length: 128\n",
    )
    done = train_command(tmp_path, "sft", config)
    assert done.returncode == 0, done.stderr
    assert "harness eval --model tiny-sft" in done.stdout
    run = tmp_path / "runs" / "tiny-sft"
    assert (run / "model" / "config.json").exists() and (run / "metrics.png").read_bytes()[:4] == b"\x89PNG"
    metrics = read_jsonl(run / "metrics.jsonl")
    assert any("loss" in record for record in metrics)
    info = json.loads((run / "run_info.json").read_text(encoding="utf-8"))
    assert info["stage"] == "sft" and info["config"]["learning_rate"] == 1e-5 and info["steps"] == 1
    assert list(info["data_sha256"]) == [str(tmp_path / "qa.jsonl")] and info["packages"]["trl"]
    entry = yaml.safe_load((tmp_path / "models.local.yaml").read_text(encoding="utf-8"))["models"]["tiny-sft"]
    assert entry["backend"] == "hf" and entry["weights"] == str(run / "model")
    results = eval_by_name(tmp_path, "tiny-sft")
    assert results["tasks"]["pceb_moral_smcq"]["n"] == 2 and results["model"]["category"] == "candidate"


def write_grpo_run(folder: Path, model: Path, name: str, questions: int, batches: str) -> Path:
    """A GRPO run config on `questions` two-option MCQs (answers A, B, A, ...), two completions of
    at most 8 tokens each, LoRA; `batches` gives the batch and step settings."""
    records = [
        {"question": f"第{i}题", "options": {"A": "甲", "B": "乙"}, "answer": "AB"[i % 2]}
        for i in range(questions)
    ]
    write(folder / "mcq.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    return write(
        folder / "grpo.yaml",
        f"run_name: {name}\nbase_model: {model}\ndata: [{{path: mcq.jsonl, format: mcq}}]\n{batches}"
        "num_generations: 2\nmax_completion_length: 8\nmax_prompt_length: 512\nlora: {r: 4, alpha: 8}\n",
    )


def test_one_grpo_step_logs_rewards_and_kl_and_its_candidate_is_evaluated(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    config = write_grpo_run(
        tmp_path,
        tiny_model_dir,
        "tiny-grpo",
        4,
        "effective_batch_size: 4\nper_device_train_batch_size: 4\nmax_steps: 1\n",
    )
    done = train_command(tmp_path, "grpo", config)
    assert done.returncode == 0, done.stderr
    metrics = read_jsonl(tmp_path / "runs" / "tiny-grpo" / "metrics.jsonl")
    logged = {key for record in metrics for key in record}
    assert {"reward", "rewards/format_reward/mean", "rewards/accuracy_reward/mean", "kl"} <= logged
    rewards = [record["reward"] for record in metrics if "reward" in record]
    assert all(-2.0 <= value <= 2.25 for value in rewards)  # R_fmt + R_acc bounds
    model_files = {path.name for path in (tmp_path / "runs" / "tiny-grpo" / "model").iterdir()}
    assert "adapter_config.json" not in model_files  # LoRA merged: a plain checkpoint
    assert eval_by_name(tmp_path, "tiny-grpo")["tasks"]["pceb_moral_smcq"]["n"] == 2


def test_bad_config_through_the_command_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = write(
        tmp_path / "sft.yaml",
        "run_name: x\nbase_model: m\ndata: [{path: d.jsonl, format: dialogue}]\nepochs: 3\n",
    )
    done = train_command(tmp_path, "sft", config)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: {config}:4: unknown setting 'epochs'"]


def test_an_effective_batch_that_does_not_divide_is_a_one_line_error(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    write(
        tmp_path / "mcq.jsonl",
        json.dumps({"question": "q", "options": {"A": "x", "B": "y"}, "answer": "A"}) + "\n",
    )
    config = write(
        tmp_path / "grpo.yaml",
        f"run_name: t\nbase_model: {tiny_model_dir}\ndata: [{{path: mcq.jsonl, format: mcq}}]\neffective_batch_size: 6\nnum_generations: 4\n",
    )
    done = train_command(tmp_path, "grpo", config)
    assert done.returncode == 2 and "must be a multiple of num_generations 4" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_evaluation_core_never_imports_the_training_libraries() -> None:
    code = (
        "import sys, harness.cli, harness.runs.runner, harness.leaderboard.build\n"
        "print(sorted(m for m in ('trl', 'peft', 'train.sft', 'train.grpo') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_without_the_train_extra_the_command_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from train import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "trl" else real(name, *a)
    )
    with pytest.raises(HarnessError, match=re.escape("pip install -e '.[train]'")):
        cli._require_extra()


def test_grpo_leaves_out_prompts_longer_than_max_prompt_length(tiny_model_dir: Path) -> None:
    """A long case question in a group of generations can exhaust memory: it is left out, counted."""
    from transformers import AutoTokenizer

    from train.data import mcq_prompt
    from train.grpo import _prompts_that_fit

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    rows = [
        {"prompt": mcq_prompt("短题", {"A": "甲", "B": "乙"}, False)},
        {"prompt": mcq_prompt("长" * 3000, {"A": "甲", "B": "乙"}, False)},
    ]
    assert _prompts_that_fit(rows, tokenizer, 1024) == rows[:1]
    with pytest.raises(HarnessError, match="no prompt fits max_prompt_length 5"):
        _prompts_that_fit(rows, tokenizer, 5)


def test_accelerate_launch_runs_the_training_module(tmp_path: Path, tiny_model_dir: Path) -> None:
    """The scale-out path: `accelerate launch -m train ...` (here one CPU process)."""
    accelerate = Path(sys.executable).with_name("accelerate")
    launch_config = write(
        tmp_path / "cpu.yaml",
        'compute_environment: LOCAL_MACHINE\ndistributed_type: "NO"\nmixed_precision: "no"\n'
        "num_machines: 1\nnum_processes: 1\nuse_cpu: true\n",
    )
    write(
        tmp_path / "qa.jsonl",
        json.dumps({"question": "题", "rationale": "推理", "answer": "答"}, ensure_ascii=False) + "\n",
    )
    config = write(
        tmp_path / "sft.yaml",
        f"run_name: launched\nbase_model: {tiny_model_dir}\ndata: [{{path: qa.jsonl, format: rationale_qa}}]\n"
        "effective_batch_size: 1\nmax_steps: 1\nmax_length: 64\n",
    )
    done = subprocess.run(
        [
            str(accelerate),
            "launch",
            "--config_file",
            str(launch_config),
            "-m",
            "train",
            "sft",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (
        "launched" in yaml.safe_load((tmp_path / "models.local.yaml").read_text(encoding="utf-8"))["models"]
    )


def test_grpo_batches_in_verls_terms_generate_one_rollout_for_several_optimizer_steps(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    """The paper's GRPO batch sizes are VeRL's: prompts per rollout (128) and prompts per optimizer
    step (its PPO mini-batch, 32). In miniature: 4 prompts per rollout, 2 per optimizer step, 2
    completions each: one generation round feeds two optimizer steps of 4 completions."""
    from train.config import GRPORunConfig

    settings = {"run_name": "v", "base_model": "m", "data": [{"source": "cpsyexam", "split": "train"}]}
    paper = GRPORunConfig.model_validate(settings | {"rollout_batch_prompts": 128, "mini_batch_prompts": 32})
    assert (paper.effective_batch_size, paper.generation_batch_size) == (32 * 8, 128 * 8)
    with pytest.raises(ValueError, match="disagrees with mini_batch_prompts"):
        GRPORunConfig.model_validate(settings | {"mini_batch_prompts": 32, "effective_batch_size": 128})
    config = write_grpo_run(
        tmp_path,
        tiny_model_dir,
        "verl",
        8,
        "rollout_batch_prompts: 4\nmini_batch_prompts: 2\nper_device_train_batch_size: 2\nmax_steps: 2\n",
    )
    done = train_command(tmp_path, "grpo", config)
    assert done.returncode == 0, done.stderr
    logged = [m for m in read_jsonl(tmp_path / "runs" / "verl" / "metrics.jsonl") if "loss" in m]
    assert [m["step"] for m in logged] == [1, 2]  # two optimizer steps...
    # ...from one rollout of 4 prompts x 2 completions: rewards come with the generation, at step 1 only
    assert ["reward" in m for m in logged] == [True, False]
