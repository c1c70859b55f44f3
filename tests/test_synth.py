"""The synthesis pipeline (`harness synth`): each stage's behaviour, the whole pipeline against a
scripted OpenAI-compatible server (exact funnel, T and R loops, resume, errors, reuse,
decontamination), and its outputs feeding the training plugins."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURE_DATA, REAL_DATA, eval_by_name, read_jsonl, train_command
from fake_openai import FakeOpenAI
from synth_script import SynthScript

pytest.importorskip("datasketch")

from harness.errors import HarnessError  # noqa: E402
from synth.config import SynthConfig, load_synth_config  # noqa: E402
from synth.near_duplicates import BenchmarkIndex, clusters  # noqa: E402
from synth.replies import json_objects, question_from, verdict  # noqa: E402
from synth.text_cleaning import chunks, clean_text  # noqa: E402

PANEL = ("panel-a", "panel-b", "panel-c")

BANK = [
    {
        "question": "【难】来访者反复洗手且无法控制，最可能的诊断是？",
        "options": {"A": "强迫症", "B": "抑郁症", "C": "恐惧症", "D": "疑病症"},
        "answer": "A",
    },
    {
        "question": "【改】艾宾浩斯遗忘曲线表明遗忘的进程是？",
        "options": {"A": "先慢后快", "B": "匀速", "C": "先快后慢", "D": "不变"},
        "answer": "C",
    },
    {
        "question": "【退】马斯洛需要层次理论中最高层次的需要是？",
        "options": {"A": "安全需要", "B": "自我实现需要", "C": "尊重需要", "D": "生理需要"},
        "answer": "B",
    },
    {
        "question": "【挑战】在经典条件反射中，消退是指条件刺激单独呈现后反应逐渐减弱的现象吗？",
        "options": {"A": "是", "B": "否", "C": "不确定", "D": "视情况"},
        "answer": "A",
    },
    {
        "question": "皮亚杰认知发展理论中，儿童获得守恒概念的阶段是哪个阶段？",
        "options": {"A": "感知运动", "B": "前运算", "C": "具体运算", "D": "形式运算"},
        "answer": "C",
    },
    {
        "question": "皮亚杰认知发展理论中，儿童获得守恒概念的阶段是哪一个阶段？",
        "options": {"A": "感知运动", "B": "前运算", "C": "具体运算", "D": "形式运算"},
        "answer": "C",
    },
    {
        "question": "根据上文，作者认为该实验支持哪种理论？",
        "options": {"A": "双因素", "B": "认知评价", "C": "詹姆斯-兰格", "D": "坎农-巴德"},
        "answer": "B",
    },
    # Planted benchmark items: PCEB (exact) and CPsyExam dev (lightly edited).
    {
        "question": "情绪的ABC理论由谁提出（　　）。",
        "options": {"A": "弗洛伊德", "B": "艾利斯", "C": "罗杰斯", "D": "华生"},
        "answer": "B",
    },
    {
        "question": "验证题0:发展心理学的问题()",
        "options": {"A": "选项一", "B": "选项二", "C": "选项三", "D": "选项四"},
        "answer": "B",
    },
    {
        "question": "社会助长作用指的是他人在场时个体的哪种变化？",
        "options": {"A": "活动效率提高", "B": "动机消失", "C": "记忆减退", "D": "情绪低落"},
        "answer": "A",
    },
]
# D_cp: three exam questions of no benchmark, and two that are benchmark items (PCEB exact, CPsyExam
# dev with its punctuation changed and options reordered).
EXAMS = [
    {"question": "艾宾浩斯遗忘曲线说明遗忘的进程是？", "options": {"A": "先快后慢", "B": "先慢后快", "C": "匀速", "D": "不遗忘"}, "answer": "A"},
    {"question": "马斯洛需要层次中最高的一层是？", "options": {"A": "生理需要", "B": "安全需要", "C": "尊重需要", "D": "自我实现需要"}, "answer": "D"},
    {"question": "斯金纳箱实验研究的是哪种学习？", "options": {"A": "经典条件反射", "B": "操作条件反射", "C": "观察学习", "D": "顿悟学习"}, "answer": "B"},
    {"question": "情绪的ABC理论由谁提出（　　）。", "options": {"A": "弗洛伊德", "B": "艾利斯", "C": "罗杰斯", "D": "华生"}, "answer": "B"},
    {"question": "验证题0:发展心理学的问题()", "options": {"A": "选项二", "B": "选项一", "C": "选项三", "D": "选项四"}, "answer": "A"},
]  # fmt: skip
DIALOGUES = [
    {
        "question": "最近失眠很焦虑😭怎么办",
        "description": "工作压力大,每天两点才睡",
        "answer": "先别急,可以试试规律作息。",
    },
    {"question": "和父母总吵架", "answer": "一切都会好起来的。"},
    {
        "question": "考试前总是紧张",
        "description": "见 https://example.com/post/1",
        "answer": "紧张是正常的，可以做深呼吸练习。",
    },
]
TEXTBOOK = "情绪调节是个体管理情绪的过程，包括认知重评和表达抑制等策略。\n\n【乱】记忆的加工水平理论认为，加工越深，保持越久。"


def write_inputs(folder: Path, server_url: str, **settings: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bank.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in BANK), encoding="utf-8"
    )
    (folder / "dialogues.jsonl").write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in DIALOGUES), encoding="utf-8"
    )
    (folder / "extra.jsonl").write_text(
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "你好"},
                    {"role": "assistant", "content": "你好，我在。"},
                ]
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    (folder / "book.txt").write_text(TEXTBOOK, encoding="utf-8")
    (folder / "exams.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in EXAMS), encoding="utf-8"
    )
    (folder / "public_qa.jsonl").write_text(
        json.dumps(  # a public SFT row that is a PCEB item: it must not reach D_sft
            {
                "question": "情绪的ABC理论由谁提出（　　）。",
                "options": {"A": "弗洛伊德", "B": "艾利斯", "C": "罗杰斯", "D": "华生"},
                "rationale": "艾利斯。",
                "answer": "B",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    entries = "".join(
        f"  {name}: {{backend: openai, api_model: {name}, base_url: '{server_url}', category: candidate, max_retries: 0, concurrency: 4}}\n"
        for name in ("writer", *PANEL)
    )
    (folder / "models.yaml").write_text("models:\n" + entries, encoding="utf-8")
    config = {
        "output_dir": "out",
        "models_file": "models.yaml",
        "inputs": {
            "textbooks": [{"path": "book.txt"}],
            "subfields": [{"name": "运动心理学", "questions": 2}],
            "question_banks": [{"path": "bank.jsonl"}],
            "dialogues": ["dialogues.jsonl"],
            "sft_extra": [
                {"path": "extra.jsonl", "format": "dialogue"},
                {"path": "public_qa.jsonl", "format": "rationale_qa"},
            ],
            "grpo_exams": [{"path": "exams.jsonl"}],
        },
        "models": {
            "clean": "writer",
            "generate": "writer",
            "rank": "writer",
            "control": "writer",
            "rationale": "writer",
            "refine": "writer",
            "compare": "writer",
            "empathy": "writer",
            "select": list(PANEL),
        },
        "chunk_chars": 40,
        "rationale_attempts": 3,
        "refine_rounds": 2,
        "prices": {"writer": {"input": 1.0, "output": 2.0}},
    } | settings
    config = {key: value for key, value in config.items() if value is not None}  # None: left out
    path = folder / "synth.yaml"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return path


def script() -> SynthScript:
    return SynthScript({q["question"]: q["answer"] for q in BANK})


def run(config_path: Path) -> object:
    from synth.pipeline import run_pipeline

    return run_pipeline(load_synth_config(config_path), say=lambda line: None)


def ledger(folder: Path) -> list[dict]:
    return read_jsonl(folder / "out" / "calls" / "ledger.jsonl")


def fresh_calls(entries: list[dict], stage: str | None = None) -> list[dict]:
    return [e for e in entries if not e["cache_hit"] and (stage is None or e["stage"].split(".")[0] == stage)]


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")


# --- stages in isolation ---------------------------------------------------------------------


def test_cleaning_removes_emojis_emoticons_and_links_and_makes_punctuation_full_width() -> None:
    assert (
        clean_text("最近失眠,很焦虑!怎么办?😭 :) 见 https://x.com/a?b=1 (急)。ＡＢ１ ^_^")
        == "最近失眠，很焦虑！怎么办？ 见 （急）。AB1"
    )
    assert clean_text("Use CBT, then rest.") == "Use CBT, then rest."  # English keeps its punctuation


def test_chunks_hold_at_most_the_limit_and_cut_at_paragraphs_then_sentences() -> None:
    pieces = chunks("甲乙丙。丁戊己。\n\n庚辛壬癸子丑寅卯辰巳。", 8)
    assert pieces == ["甲乙丙。丁戊己。", "庚辛壬癸子丑寅卯", "辰巳。"]
    assert all(len(piece) <= 8 for piece in pieces)


def test_json_questions_are_read_from_fenced_lists_and_bare_objects_and_checked() -> None:
    reply = '好的：\n```json\n[{"question": "Q1", "options": "A. 甲 B. 乙", "answer": "B", "type": "单项"}]\n```\n另外 {"question": "Q2", "options": {"A": "x", "B": "y", "C": "z"}, "answer": "A,C", "type": "多项"}'
    found = [question_from(data, "I", "s") for data in json_objects(reply)]
    assert [(q.question, q.options, q.answer, q.kind) for q, _ in found if q] == [
        ("Q1", {"A": "甲", "B": "乙"}, "B", "single"),
        ("Q2", {"A": "x", "B": "y", "C": "z"}, "AC", "multi"),
    ]
    assert question_from({"question": "Q", "options": "A. x B. y", "answer": "E"}, "I", "s") == (
        None,
        "answer 'E' names no given option",
    )
    for options in ("", "no letters here", None, 3, ["甲", "乙"]):  # what a small model writes
        assert question_from({"question": "Q", "options": options, "answer": "A"}, "I", "s") == (
            None,
            "fewer than two options",
        )


def test_a_verdict_of_unreasonable_is_never_read_as_reasonable() -> None:
    assert (verdict("不合理"), verdict("合理。"), verdict("Unreasonable"), verdict("我不确定")) == (
        False,
        True,
        False,
        None,
    )


def test_near_duplicate_questions_cluster_together_and_the_same_seed_gives_the_same_clusters() -> None:
    options = " 感知运动 前运算 具体运算 形式运算"
    texts = [
        BANK[4]["question"] + options,
        "完全不同的一道关于社会心理学从众效应的题目内容",
        BANK[5]["question"] + options,
        "另一题：记忆的编码特异性原则",
    ]
    assert clusters(texts, 0.7, 128, 3, seed=1) == [[0, 2], [1], [3]]
    assert clusters(texts, 0.7, 128, 3, seed=1) == clusters(texts, 0.7, 128, 3, seed=1)


def test_benchmark_items_are_found_exact_lightly_edited_or_sharing_a_long_run() -> None:
    benchmark = [
        ("pceb/1", "情绪的ABC理论由谁提出（　　）。 弗洛伊德 艾利斯 罗杰斯 华生"),
        (
            "case/1",
            "求助者，女性，35岁，某公司职员，近三个月来情绪低落，睡眠差，食欲下降，对以往喜欢的活动失去兴趣。",
        ),
    ]
    index = BenchmarkIndex(benchmark, threshold=0.6, overlap_chars=25)
    hits = index.hits(
        [
            "情绪的ABC理论由谁提出？ 弗洛伊德 艾利斯 罗杰斯 华生",  # edited punctuation
            "案例：近三个月来情绪低落，睡眠差，食欲下降，对以往喜欢的活动失去兴趣。该求助者最可能的问题是？",  # shares a run
            "认知失调理论由费斯廷格提出，用于解释态度改变。",
        ]
    )
    assert [hit.benchmark_item if hit else None for hit in hits] == ["pceb/1", "case/1", None]


def test_a_shared_run_counts_at_overlap_chars_not_below() -> None:
    """`overlap_chars: 25` drops a text sharing 25 characters in a row with a benchmark item and
    keeps one sharing 24 (the index stores shorter pieces; the run is measured around the piece)."""
    item = "".join(chr(0x4E00 + 7 * k) for k in range(60))  # 60 distinct characters
    filler = "".join(chr(0x5E00 + 3 * k) for k in range(80))
    index = BenchmarkIndex([("item", item)], threshold=0.9, overlap_chars=25)
    shares = [filler[:40] + item[10 : 10 + n] + filler[40:] for n in (24, 25, 31)]
    hits = index.hits(shares)
    assert hits[0] is None
    assert hits[1] is not None and hits[1].how == "shares a run of 25 characters"
    assert hits[2] is not None and hits[2].how == "shares a run of 31 characters"


def test_chunks_fill_the_generation_models_context_and_identical_chunks_are_asked_once(
    tmp_path: Path,
) -> None:
    """Without chunk_chars a chunk is as long as the generation model's context_window holds beside
    the reply and the instructions; a window too small for any text is one line; a chunk repeated
    (the same page in two files) is kept once, the copy listed."""
    from harness.errors import HarnessError
    from harness.models import ModelSpec
    from synth.config import PROMPT_TOKENS
    from synth.records import Passage
    from synth.stage import StageContext
    from synth.stages.clean import CleanTexts

    settings = json.loads(write_inputs(tmp_path, "http://127.0.0.1:9/v1").read_text(encoding="utf-8"))
    settings.pop("chunk_chars")
    settings["decoding"] = {"max_new_tokens": 1000}
    config = SynthConfig.model_validate(settings)
    assert config.chunk_size(4096) == 4096 - 1000 - PROMPT_TOKENS
    assert config.chunk_size(None) == 3000
    with pytest.raises(HarnessError, match="context_window .2048 tokens. leaves 24 for text"):
        config.chunk_size(2048)
    writer = ModelSpec(
        name="writer", backend="mock", category="general", context_window=1000 + PROMPT_TOKENS + 200
    )
    context = StageContext(config, None, None, lambda name: writer)  # type: ignore[arg-type]
    page = "".join(f"第{n}条：认知行为疗法关注想法、情绪与行为之间的联系。" for n in range(16))  # 3 chunks
    texts = [
        Passage("a", page, "a.txt"),
        Passage("b", page, "b.txt"),
        Passage("c", "另一段不同的文字。", "c.txt"),
    ]
    output = CleanTexts().run(context, texts)  # type: ignore[arg-type]
    assert [len(p.text) <= 200 for p in output.kept] == [True] * 4
    assert [p.source for p in output.kept] == ["a.txt#chunk0", "a.txt#chunk1", "a.txt#chunk2", "c.txt#chunk0"]
    assert [d.reason.split(" (")[0] for d in output.dropped] == ["filtered: identical chunk"] * 3
    assert CleanTexts().fingerprint(context) == {"chunk_chars": 200}


# --- the whole pipeline against a scripted server -----------------------------------------------


def test_the_pipeline_produces_the_expected_funnel_and_training_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synth.stages import decontaminate

    indexes: list[object] = []
    build_index = decontaminate.BenchmarkIndex
    monkeypatch.setattr(
        decontaminate, "BenchmarkIndex", lambda *args: indexes.append(build_index(*args)) or indexes[-1]
    )
    story = script()
    with FakeOpenAI(reply_by_model=story) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        result = run(config_path)
    assert len(indexes) == 1  # both decontamination stages check against one index, built once
    funnel = {
        name: (len(output.kept), dict(Counter(d.reason.split(" (")[0] for d in output.dropped)))
        for name, output in result.outputs.items()
    }  # type: ignore[attr-defined]
    assert funnel == {
        "clean_texts": (2, {}),
        "clean_dialogues": (2, {"filtered: answer judged unreasonable": 1}),
        "generate": (12, {"invalid: no question text": 6}),
        "pool": (21, {"filtered: near-duplicate": 1}),
        "decontaminate_questions": (19, {"filtered: benchmark item": 2}),
        "control": (18, {"filtered: question judged not self-contained": 1}),
        "review": (18, {}),
        "rationale": (17, {"filtered: no correct prediction in 3 attempts": 1}),
        "refine": (17, {}),
        "select": (17, {}),
        "empathy": (2, {}),
        "decontaminate_dialogues": (2, {}),
        "decontaminate_exams": (3, {"filtered: benchmark item": 2}),
    }
    contaminated = read_jsonl(tmp_path / "out" / "stages" / "05-decontaminate_questions" / "dropped.jsonl")
    reasons = sorted(drop["reason"] for drop in contaminated)  # each hit: matched item, how, source, text
    assert [reason.split("; source")[0] for reason in reasons] == [
        "filtered: benchmark item (cpsyexam/dev/发展心理学-single-100, near-duplicate",
        "filtered: benchmark item (pceb/theory/single/second/01 理论单选.json#0, near-duplicate",
    ]
    assert "bank.jsonl" in reasons[0] and reasons[0].endswith(
        "验证题0:发展心理学的问题() 选项一 选项三 选项二 选项四"
    )
    entries = ledger(tmp_path)
    rationale_calls = Counter(e["item"] for e in fresh_calls(entries, "rationale"))
    hard, fixed = question_id(marked("【难】")), question_id(marked("【改】"))
    assert (
        rationale_calls[hard] == 3 and rationale_calls[fixed] == 2
    )  # T attempts, then pruned; right at the 2nd
    assert sum(rationale_calls.values()) == 18 + 2 + 1
    refine = fresh_calls(entries, "refine")
    assert len([e for e in refine if e["stage"] == "refine"]) == 2 * 17  # a candidate prompt per round
    assert len([e for e in refine if e["stage"] == "refine.revise"]) == 2 * 17
    assert len([e for e in refine if e["stage"] == "refine.compare"]) == 16  # not the reverted one
    assert len(fresh_calls(entries, "select")) == 3 * 17
    kept = {r.id: r for r in result.outputs["refine"].kept}  # type: ignore[attr-defined]
    reverted = kept[question_id(marked("【退】"))]
    assert reverted.rounds == (reverted.rationale,) and reverted.rationale.startswith("初始推理")
    assert kept[fixed].rationale.startswith("改进推理") and kept[fixed].prompt.startswith("改进的提示词")
    challenging = result.outputs["select"].groups["challenging"]  # type: ignore[attr-defined]
    assert challenging == [question_id(marked("【挑战】"))]

    dataset = tmp_path / "out" / "dataset"
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"] == {"D_pr": 16, "D_em": 2, "D_pc": 1, "D_ps": 1, "D_cp": 3}
    assert len(read_jsonl(dataset / "d_grpo_mcq.jsonl")) == 1 + 3
    # every part is checked against every benchmark: the planted exam items and the public row are out
    training_text = "".join(path.read_text(encoding="utf-8") for path in dataset.glob("d_*.jsonl"))
    assert "情绪的ABC理论" not in training_text and "验证题0" not in training_text
    from synth.benchmark_texts import benchmark_texts
    from synth.split import row_text

    items, _ = benchmark_texts(FIXTURE_DATA, ["pceb", "cpsyexam", "cpsycoune"])
    rows = [row for path in sorted(dataset.glob("d_*.jsonl")) for row in read_jsonl(path)]
    assert BenchmarkIndex(items, 0.6, 25).hits([row_text(row) for row in rows]) == [None] * len(rows)
    [public] = read_jsonl(dataset / "decontaminated.jsonl")
    assert public["part"] == "D_ps_rationale_qa" and public["benchmark_item"].startswith("pceb/")
    assert "public_qa.jsonl, line 1" in public["source"] and manifest["D_ps_decontaminated"] == 1
    dialogue = read_jsonl(dataset / "d_sft_dialogue.jsonl")[0]["messages"]
    assert dialogue[0]["content"].startswith("我最近总是失眠") and "拥抱" in dialogue[1]["content"]

    from train.config import DataSource
    from train.data import grpo_rows, sft_rows

    sft = sft_rows(
        [
            DataSource(path=str(dataset / "d_sft_rationale_qa.jsonl"), format="rationale_qa"),
            DataSource(path=str(dataset / "d_sft_dialogue.jsonl"), format="dialogue"),
        ],
        None,
    )
    grpo = grpo_rows([DataSource(path=str(dataset / "d_grpo_mcq.jsonl"), format="mcq")], None)
    assert len(sft.rows) == 16 + 3 and len(grpo.rows) == 1 + 3
    assert sft.rows[0]["completion"][0]["content"].startswith("<think>\n")


def marked(marker: str) -> dict:
    return next(q for q in BANK if q["question"].startswith(marker))


def question_id(record: dict) -> str:
    from synth.replies import question_from

    question, _ = question_from(record, "II", "")
    assert question is not None
    return question.id


def test_a_second_run_makes_no_call_and_reuses_every_stage(tmp_path: Path) -> None:
    story = script()
    with FakeOpenAI(reply_by_model=story) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        run(config_path)
        served = sum(server.attempts.values())
        lines: list[str] = []
        from synth.pipeline import run_pipeline

        run_pipeline(load_synth_config(config_path), say=lines.append)
        assert sum(server.attempts.values()) == served
    assert all(line.endswith("(reused)") for line in lines) and len(lines) == 13


def test_changing_a_downstream_stage_reruns_only_it_and_what_follows(tmp_path: Path) -> None:
    story = script()
    with FakeOpenAI(reply_by_model=story) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        run(config_path)
        before = len(ledger(tmp_path))
        write_inputs(tmp_path, server.base_url, refine_rounds=3)
        lines: list[str] = []
        from synth.pipeline import run_pipeline

        run_pipeline(load_synth_config(config_path), say=lines.append)
    reused = [line.split(":")[0] for line in lines if line.endswith("(reused)")]
    assert reused == [
        "clean_texts",
        "clean_dialogues",
        "generate",
        "pool",
        "decontaminate_questions",
        "control",
        "review",
        "rationale",
        "empathy",
        "decontaminate_dialogues",
        "decontaminate_exams",
    ]
    new = fresh_calls(ledger(tmp_path)[before:])
    assert {e["stage"].split(".")[0] for e in new} == {"refine"}  # select's calls are all cached
    assert len([e for e in new if e["stage"] == "refine"]) == 17  # only the third round is new


def test_failed_calls_leave_items_in_error_and_a_rerun_retries_only_those(tmp_path: Path) -> None:
    from synth.pipeline import open_context
    from synth.stages.control import KIND_NAMES

    broken: set[str] = set()
    with FakeOpenAI(
        reply_by_model=script(), faults=lambda prompt_id, attempt: "500" if prompt_id in broken else "ok"
    ) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        # The control call for one bank question fails (HTTP 500, no retries) during the first run.
        question, _ = question_from(marked("社会助长"), "II", "")
        assert question is not None
        context = open_context(load_synth_config(config_path), None)
        prompt = context.prompts.get("question_control").fill(
            examples=context.prompts.get("question_control_examples").text,
            type=KIND_NAMES["zh"]["single"],
            question=question.as_text(),
        )
        context.calls.close()
        broken.add(
            hashlib.sha1(
                json.dumps([{"role": "user", "content": prompt}], ensure_ascii=False).encode()
            ).hexdigest()
        )
        first = run(config_path)
        assert first.outputs["control"].errors == 1  # type: ignore[attr-defined]
        assert [
            d.reason.split(":")[0] for d in first.outputs["control"].dropped if d.item == question.id
        ] == ["error"]  # type: ignore[attr-defined]
        manifest = json.loads(
            (tmp_path / "out" / "stages" / "06-control" / "manifest.json").read_text(encoding="utf-8")
        )
        assert manifest["errors"] == 1  # not finished: the next run runs it again
        before = len(ledger(tmp_path))
        broken.clear()
        second = run(config_path)
    assert second.outputs["control"].errors == 0 and len(second.outputs["control"].kept) == 18  # type: ignore[attr-defined]
    control_calls = fresh_calls(ledger(tmp_path)[before:], "control")
    assert [e["item"] for e in control_calls] == [question.id]  # only the failed call is made again


def test_the_report_gives_the_funnel_calls_tokens_and_cost_with_unknown_prices_shown_as_unknown(
    tmp_path: Path,
) -> None:
    with FakeOpenAI(reply_by_model=script()) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        run(config_path)
    from synth.report import build_report, write_report

    config = load_synth_config(config_path)
    report = build_report(config)
    usage = {(row["stage"], row["model"]): row for row in report["usage"]}
    assert usage[("rationale", "writer")]["calls"] == 21 and usage[("rationale", "writer")]["tokens_in"] == 21
    assert usage[("rationale", "writer")]["cost"] == pytest.approx(21 * (1.0 + 2.0) / 1e6)
    assert usage[("select", "panel-b")]["cost"] is None  # no price given: unknown, not zero
    markdown = write_report(config).read_text(encoding="utf-8")
    assert "| decontaminate_questions | 21 | 19 | filtered: benchmark item: 2 | 0 |" in markdown
    assert "| select | panel-b | 17 | 0 | 0 | 17 | 17 | unknown |" in markdown
    assert (tmp_path / "out" / "funnel.png").read_bytes()[:4] == b"\x89PNG"


def test_the_cost_limit_stops_cleanly_and_a_higher_limit_goes_on(tmp_path: Path) -> None:
    from synth.calls import BudgetReached

    with FakeOpenAI(reply_by_model=script()) as server:
        every_price = {name: {"input": 1.0, "output": 2.0} for name in ("writer", *PANEL)}
        config_path = write_inputs(tmp_path, server.base_url, max_cost=0.00002, prices=every_price)
        with pytest.raises(BudgetReached, match="every answer so far is kept"):
            run(config_path)
        spent = len(fresh_calls(ledger(tmp_path)))
        write_inputs(tmp_path, server.base_url)
        run(config_path)
    assert spent > 0
    keys = [e["key"] for e in fresh_calls(ledger(tmp_path))]
    assert len(keys) == len(set(keys))  # nothing answered before the stop was asked again


def test_human_review_decisions_drop_questions_and_a_bad_decision_is_one_line(tmp_path: Path) -> None:
    with FakeOpenAI(reply_by_model=script()) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        run(config_path)
        sheet = tmp_path / "review.csv"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "harness",
                "synth",
                "review",
                "export",
                "--config",
                str(config_path),
                "--out",
                str(sheet),
            ],
            capture_output=True,
            text=True,
            env=os.environ | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA)},
        )
        assert done.returncode == 0, done.stderr
        with sheet.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == ["id", "question", "answer", "origin", "decision", "note"] and len(rows) == 1 + 18
        assert {row[4] for row in rows[1:]} == {"keep"}
        rows[1][4:6] = ["drop", "太简单"]
        with sheet.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
        write_inputs(tmp_path, server.base_url, review_file="review.csv")
        result = run(config_path)
        assert [d.reason for d in result.outputs["review"].dropped] == ["filtered: human review (太简单)"]  # type: ignore[attr-defined]
        sheet.write_text("id,question,answer,origin,decision,note\nabc,q,A,I,maybe,\n", encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "harness", "synth", "run", "--config", str(config_path)],
            capture_output=True,
            text=True,
            env=os.environ | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA)},
        )
    assert (
        done.returncode != 0
        and done.stderr.strip().splitlines()[-1]
        == f"error: {sheet}, line 2: needs an id and a decision of keep or drop, not 'maybe'"
    )


def test_a_bad_setting_is_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "synth.yaml"
    path.write_text("inputs: {}\nmodels: {clean: a}\nrationale_attempts: 0\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "harness", "synth", "status", "--config", str(path)],
        capture_output=True,
        text=True,
    )
    assert (
        done.returncode == 2 and done.stderr.startswith(f"error: {path}:") and "Traceback" not in done.stderr
    )


def test_kill_9_mid_stage_then_resume_repeats_no_answered_call(tmp_path: Path) -> None:
    with FakeOpenAI(reply_by_model=script(), latency_s=0.02) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        env = os.environ | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA)}
        command = [sys.executable, "-m", "harness", "synth", "run", "--config", str(config_path)]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ledger_path = tmp_path / "out" / "calls" / "ledger.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (
                ledger_path.exists()
                and sum(1 for e in read_ledger_safely(ledger_path) if e["stage"] == "rationale") >= 5
            ):
                break
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL  # killed mid-run, not finished
        assert not (tmp_path / "out" / "dataset" / "manifest.json").exists()
        killed_at = len(read_ledger_safely(ledger_path))
        done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    entries = read_ledger_safely(ledger_path)
    assert any(e["cache_hit"] for e in entries[killed_at:])  # the resumed run found the answered calls
    fresh_ok = [e["key"] for e in entries if not e["cache_hit"] and e["status"] == "ok"]
    assert len(fresh_ok) == len(set(fresh_ok))  # no answered call was made twice
    assert (
        json.loads((tmp_path / "out" / "dataset" / "manifest.json").read_text(encoding="utf-8"))["counts"][
            "D_pr"
        ]
        == 16
    )


def read_ledger_safely(path: Path) -> list[dict]:
    from synth.calls import read_ledger

    return read_ledger(path)


def test_the_config_resolves_paths_against_its_own_folder(tmp_path: Path) -> None:
    path = write_inputs(tmp_path, "http://127.0.0.1:9/v1")
    config: SynthConfig = load_synth_config(path)
    assert (
        config.output_path == (tmp_path / "out").resolve()
        and config.resolve("bank.jsonl") == (tmp_path / "bank.jsonl").resolve()
    )


def test_the_produced_data_trains_one_sft_and_one_grpo_step_and_the_candidate_evaluates_by_name(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    with FakeOpenAI(reply_by_model=script()) as server:
        run(write_inputs(tmp_path, server.base_url))
    dataset = tmp_path / "out" / "dataset"
    sft = tmp_path / "sft.yaml"
    sft.write_text(
        f"run_name: synth-sft\nbase_model: {tiny_model_dir}\n"
        f"data: [{{path: {dataset / 'd_sft_rationale_qa.jsonl'}, format: rationale_qa}}, {{path: {dataset / 'd_sft_dialogue.jsonl'}, format: dialogue}}]\n"
        "effective_batch_size: 2\nper_device_train_batch_size: 2\nmax_steps: 1\nmax_length: 128\n",
        encoding="utf-8",
    )
    done = train_command(tmp_path, "sft", sft)
    assert done.returncode == 0, done.stderr[-2000:]
    grpo = tmp_path / "grpo.yaml"
    grpo.write_text(
        f"run_name: synth-grpo\nbase_model: {tmp_path / 'runs' / 'synth-sft' / 'model'}\n"
        f"data: [{{path: {dataset / 'd_grpo_mcq.jsonl'}, format: mcq}}]\n"
        "effective_batch_size: 4\nper_device_train_batch_size: 4\nnum_generations: 2\n"
        "max_completion_length: 8\nmax_prompt_length: 512\nmax_steps: 1\nlora: {r: 4, alpha: 8}\n",
        encoding="utf-8",
    )
    done = train_command(tmp_path, "grpo", grpo)
    assert done.returncode == 0, done.stderr[-2000:]
    assert eval_by_name(tmp_path, "synth-grpo")["tasks"]["pceb_moral_smcq"]["n"] == 2


@pytest.mark.realdata
@pytest.mark.skipif(not (REAL_DATA / "CPsyExam").is_dir(), reason="real benchmark files not present")
def test_on_real_cpsyexam_text_every_stage_finishes_and_planted_benchmark_items_are_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSYCHE_DATA_DIR", str(REAL_DATA))
    planted = [
        {
            "question": "关于听觉特性的错误说法是（）。",
            "answer": "B",
            "options": {
                "A": "声音有音调、响度和音色三种特性",
                "B": "声波的频率越低，音调就越高",
                "C": "声波的振幅越大，声音就越响",
                "D": "日常生活的声音大多是声波混合的结果",
            },
        },
        {
            "question": "发展性心理咨询的主要目的是什么",
            "answer": "D",
            "options": {
                "A": "解决不适或痛苦",
                "B": "纠正错误观念",
                "C": "去除心理社会刺激",
                "D": "全面提高生活质量",
            },
        },
    ]
    story = script()
    story.gold |= {q["question"]: q["answer"] for q in planted}
    with FakeOpenAI(reply_by_model=story) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        (tmp_path / "bank.jsonl").write_text(
            "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in planted), encoding="utf-8"
        )
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config["inputs"] |= {
            "textbooks": [{"source": "cpsyexam_explanations", "split": "train", "limit": 20}],
            "question_banks": [{"path": "bank.jsonl"}, {"source": "cpsyexam", "split": "train", "limit": 20}],
            "grpo_exams": [{"source": "cpsyexam", "split": "train", "limit": 10}],
        }
        config["chunk_chars"] = 3000
        config_path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
        from synth.inputs import bank_questions

        loaded = load_synth_config(config_path)
        story.gold |= {q.question: q.answer for q in bank_questions(loaded, loaded.inputs.question_banks)}
        result = run(config_path)
    outputs = result.outputs  # type: ignore[attr-defined]
    assert all(output.errors == 0 for output in outputs.values())
    assert (
        len(outputs["clean_texts"].kept) == 20
        and len(fresh_calls(ledger(tmp_path), "generate")) == (20 + 1) * 2
    )
    caught = sorted(d.reason for d in outputs["decontaminate_questions"].dropped)
    assert any("pceb/theory/single/second/14 理论单选.json#3" in reason for reason in caught), caught
    assert any("cpsyexam/test/" in reason for reason in caught), caught
    counts = result.dataset.counts  # type: ignore[attr-defined]
    assert counts["D_pr"] + counts["D_pc"] == len(outputs["select"].kept) > 0
    assert counts["D_cp"] + len(outputs["decontaminate_exams"].dropped) == 10  # D_cp checked too


def test_label_splits_a_benchmark_into_challenging_and_not_by_the_panels_answers(tmp_path: Path) -> None:
    from synth.labels import benchmark_questions

    letters = {"panel-a": "答案：A", "panel-b": "A", "panel-c": "C"}
    with FakeOpenAI(reply_by_model=lambda model, messages: letters[model]) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "harness",
                "synth",
                "label",
                "--config",
                str(config_path),
                "--tasks",
                "pceb_theory_smcq,pceb_case_mmcq",
            ],
            capture_output=True,
            text=True,
            env=os.environ | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA)},
        )
    assert done.returncode == 0, done.stderr
    for task, questions in benchmark_questions(["pceb_theory_smcq", "pceb_case_mmcq"], None, None).items():
        labels = json.loads((tmp_path / "out" / "labels" / f"{task}.json").read_text(encoding="utf-8"))
        expected = {q.id: q.answer not in ("A", "C") for q in questions}  # all three wrong
        assert {doc: item["challenging"] for doc, item in labels["items"].items()} == expected
        assert labels["panel"] == list(PANEL) and labels["rule"] == "all_wrong"
        assert f"{task}: {sum(expected.values())} of {len(expected)} challenging" in done.stdout


def test_status_shows_each_stage_and_dry_run_counts_calls_and_bounds_cost_without_calling(
    tmp_path: Path,
) -> None:
    env = os.environ | {"PSYCHE_DATA_DIR": str(FIXTURE_DATA)}
    with FakeOpenAI(reply_by_model=script()) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        harness = [sys.executable, "-m", "harness", "synth"]
        dry = subprocess.run(
            [*harness, "run", "--config", str(config_path), "--dry-run"],
            capture_output=True,
            text=True,
            env=env,
        )
        assert dry.returncode == 0, dry.stderr
        assert sum(server.attempts.values()) == 0 and not (tmp_path / "out" / "calls").exists()
        pending = subprocess.run(
            [*harness, "status", "--config", str(config_path)], capture_output=True, text=True, env=env
        )
        run(config_path)
    rows = {line.split()[0]: line for line in dry.stdout.splitlines()[1:-1]}
    assert rows["generate"].split()[2:5] == [
        "6",
        "-",
        "12",
    ]  # (2 chunks + 1 subfield) x 2 kinds, up to 2 attempts each
    assert rows["clean_dialogues"].split()[2:5] == ["3", "-", "6"] and "unknown (no price)" in rows["select"]
    assert dry.stdout.splitlines()[-1] == "total cost at most: unknown (a model has no price)"
    assert pending.stdout.splitlines()[0].split() == [
        "clean_texts",
        "pending;",
        "calls",
        "0,",
        "cache",
        "hits",
        "0",
    ]
    done = subprocess.run(
        [*harness, "status", "--config", str(config_path)], capture_output=True, text=True, env=env
    )
    states = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert "finished: 3 in, 2 out, 0 in error; calls 3, cache hits 0" in states["clean_dialogues"]
    assert "finished: 18 in, 17 out, 0 in error; calls 21, cache hits 0" in states["rationale"]


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_cost_limit_with_an_unpriced_model_is_refused_before_any_call(
    tmp_path: Path, dry_run: bool
) -> None:
    with FakeOpenAI(reply_by_model=script()) as server:
        config_path = write_inputs(tmp_path, server.base_url)  # prices: writer only; the panel has none
        done = subprocess.run(
            [sys.executable, "-m", "harness", "synth", "run", "--config", str(config_path), "--max-cost", "0.0001",
             *(["--dry-run"] if dry_run else [])],
            capture_output=True, text=True, cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 2 and not server.requests_seen
    [line] = done.stderr.strip().splitlines()
    assert "max_cost $0.0001 cannot be kept: no price for " in line and PANEL[0] in line


@pytest.mark.parametrize(
    ("mistake", "said"),
    [
        ("unknown model in the last stage", "unknown model 'nope'"),
        ("malformed exam bank line", "exams.jsonl"),
        ("endpoint refusing connections", "refuses connections"),
    ],
)
def test_a_mistake_anywhere_in_the_run_is_found_before_the_first_call(
    tmp_path: Path, mistake: str, said: str
) -> None:
    with FakeOpenAI(reply_by_model=script()) as server:
        config_path = write_inputs(tmp_path, server.base_url)
        config = json.loads(config_path.read_text(encoding="utf-8"))
        if mistake == "unknown model in the last stage":
            config["models"]["empathy"] = "nope"
        elif mistake == "malformed exam bank line":
            with (tmp_path / "exams.jsonl").open("a", encoding="utf-8") as bank:
                bank.write("{not json\n")
        else:
            closed = socket.socket()
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
            closed.close()  # nothing listens there now
            (tmp_path / "models.yaml").write_text(
                (tmp_path / "models.yaml")
                .read_text(encoding="utf-8")
                .replace(server.base_url, f"http://127.0.0.1:{port}/v1"),
                encoding="utf-8",
            )
        config_path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
        runs = [["--dry-run"], []] if mistake != "endpoint refusing connections" else [[]]
        for extra in runs:
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "harness", "synth", "run", "--config", str(config_path), *extra],
                capture_output=True, text=True, cwd=tmp_path,
            )  # fmt: skip
            assert done.returncode == 2 and said in done.stderr, (extra, done.stderr)
            assert len(done.stderr.strip().splitlines()) == 1 and time.monotonic() - started < 30
    assert not server.requests_seen  # nothing was called, for any of them


CLEAN_QUESTIONS = [
    "在一项关于城市噪音的田野研究中，研究者最应当控制的额外变量是什么？",
    "一名新入职的外卖骑手总在雨天接单更多，这最可能体现了哪种强化程序？",
    "为评估一款冥想应用对大学生睡眠的作用，下列哪种设计的内部效度最高？",
    "某社区开展的广场舞活动使老人孤独感下降，这一结果最能由哪种理论解释？",
    "儿童在搭积木时自言自语，维果茨基会如何理解这种现象的功能？",
    "一位程序员连续加班后对代码错误视而不见，这最接近哪种注意现象？",
    "在电竞选手的训练中引入呼吸放松，主要是为了调节哪种唤醒水平？",
    "研究者用眼动仪记录读者阅读网络小说时的回视次数，这一指标主要反映什么？",
    "高铁乘务员面对乘客投诉时保持微笑，这种情绪劳动属于哪种策略？",
    "某品牌在短视频中反复出现后销量上升，这最可能利用了哪种效应？",
]


@pytest.mark.realdata
@pytest.mark.skipif(not (REAL_DATA / "CPsyExam").is_dir(), reason="real benchmark files not present")
def test_lightly_edited_benchmark_items_are_caught_and_clean_questions_kept() -> None:
    import random

    from harness.data.cpsyexam import load_cpsyexam
    from synth.benchmark_texts import benchmark_texts
    from synth.config import Decontamination, Dedup
    from synth.near_duplicates import BenchmarkIndex
    from synth.records import Question, record_text

    settings, dedup = Decontamination(), Dedup()
    items, _ = benchmark_texts(REAL_DATA, ["pceb", "cpsyexam"])
    index = BenchmarkIndex(
        items, settings.threshold, settings.overlap_chars, dedup.num_perm, dedup.ngram, dedup.seed
    )
    rng = random.Random(7)
    docs = rng.sample(load_cpsyexam(REAL_DATA, "test", "KG", "single", strict=False).docs, 100)
    filler = "的是在了和有为"

    def edited(text: str, changes: int) -> str:
        chars = list(text)
        for _ in range(changes):
            at = rng.randrange(len(chars))
            chars[at] = rng.choice(filler)
        return "".join(chars)

    def as_question(question: str, options: list[str]) -> Question:
        return Question("x", question, dict(zip("ABCD", options, strict=False)), "A", "single", "II", "plant")

    plants: dict[str, list[str]] = {
        "1 character": [],
        "2 characters": [],
        "options reordered": [],
        "both": [],
    }
    for doc in docs:
        options = [option.text for option in doc.options]
        shuffled = options[1:] + options[:1]
        plants["1 character"].append(record_text(as_question(edited(doc.question, 1), options)))
        plants["2 characters"].append(record_text(as_question(edited(doc.question, 2), options)))
        plants["options reordered"].append(record_text(as_question(doc.question, shuffled)))
        plants["both"].append(record_text(as_question(edited(doc.question, 2), shuffled)))
    caught = {kind: sum(hit is not None for hit in index.hits(texts)) for kind, texts in plants.items()}
    print("caught of 100:", caught)
    assert all(count >= 98 for count in caught.values()), caught  # of 100 each
    clean = [record_text(as_question(q, ["选项甲", "选项乙", "选项丙", "选项丁"])) for q in CLEAN_QUESTIONS]
    assert index.hits(clean) == [None] * len(clean)


@pytest.mark.realdata
@pytest.mark.skipif(not (REAL_DATA / "CPsyExam").is_dir(), reason="real benchmark files not present")
def test_distinct_questions_about_one_case_stay_apart_and_edited_copies_join() -> None:
    import random

    from harness.data.cpsyexam import load_cpsyexam
    from synth.config import Dedup
    from synth.records import Question
    from synth.stages.pool import question_groups

    docs = [
        doc
        for kind in ("single", "multi")
        for doc in load_cpsyexam(REAL_DATA, "train", "CA", kind, strict=False).docs  # type: ignore[arg-type]
    ]
    distinct = list({(d.question, tuple(o.text for o in d.options)): d for d in docs}.values())
    questions = [
        Question(
            f"q{i}", d.question, {o.label: o.text for o in d.options}, d.answer or "A", "single", "II", "t"
        )
        for i, d in enumerate(distinct)
    ]
    rng = random.Random(3)
    originals = rng.sample(range(len(questions)), 30)
    for n, i in enumerate(originals):  # a copy with two characters of what it asks changed
        text = questions[i].question
        at = [len(text) - 8, len(text) - 5]
        edited = "".join("的" if k in at else c for k, c in enumerate(text))
        questions.append(Question(f"copy{n}", edited, dict(questions[i].options), "A", "single", "II", "t"))
    groups = question_groups(questions, Dedup())
    group_of = {member: g for g, members in enumerate(groups) for member in members}
    merged_distinct = len(distinct) - len({group_of[i] for i in range(len(distinct))})
    # was 504 of 735 (one per case); what still joins are copies in other formatting ("多选:38、...")
    assert merged_distinct <= len(distinct) * 4 // 100, (merged_distinct, len(distinct))
    joined = sum(group_of[i] == group_of[len(distinct) + n] for n, i in enumerate(originals))
    assert joined >= 29, joined


@pytest.mark.realdata
@pytest.mark.skipif(not (REAL_DATA / "CPsyExam").is_dir(), reason="real benchmark files not present")
def test_the_default_dedup_setting_is_the_best_of_a_measured_precision_recall_table() -> None:
    """800 CPsyExam train questions in families (the answer key decides which near-identical
    questions are one) and a copy of each per kind of light edit: the shipped threshold and edit
    similarity have the table's best F1, find >= 99% of copies and join <= 1% wrong pairs; without
    the edit check two changed characters are missed > 10% of the time."""
    import random

    from synth.config import Dedup
    from synth.dedup_quality import best_settings, format_table, labelled_corpus, threshold_table
    from synth.inputs import cpsyexam_questions

    bank = random.Random(0).sample(cpsyexam_questions(str(REAL_DATA), "train"), 800)
    corpus = labelled_corpus(bank)
    rows = threshold_table(corpus, (0.7, 0.8, 0.9), (0.85, 0.9, None))
    shipped = Dedup()
    assert best_settings(rows) == (shipped.threshold, shipped.edit_similarity), format_table(rows)
    default = next(
        r for r in rows if (r.threshold, r.edit_cutoff) == (shipped.threshold, shipped.edit_similarity)
    )
    assert default.precision >= 0.99 and default.recall >= 0.99, format_table(rows)
    assert min(default.recall_by_edit.values()) >= 0.98
    without_check = next(r for r in rows if r.threshold == shipped.threshold and r.edit_cutoff is None)
    assert without_check.recall_by_edit["2 chars"] < 0.9


def test_dedup_quality_counts_distinct_questions_joined_and_copies_found() -> None:
    """Two questions over the same options that ask different things (different answers) are two
    families, however alike; grouping them is a wrong pair, and each light edit is a found copy."""
    from synth.config import Dedup
    from synth.dedup_quality import bank_families, labelled_corpus, quality
    from synth.records import Question

    options = {"A": "自我体验", "B": "自我控制", "C": "自我观察", "D": "自我认知"}
    bank = [
        Question("a", "自我意识在行为上的表现是哪一项", options, "B", "single", "II", "t"),
        Question("b", "自我意识在情感上的表现是哪一项", options, "A", "single", "II", "t"),
        Question("c", "自我意识在情感上的表现是哪一项？", options, "A", "single", "II", "t"),
        Question("d", "艾宾浩斯遗忘曲线表明遗忘的进程是怎样的", {"A": "先慢后快", "B": "匀速", "C": "先快后慢", "D": "不变"}, "C", "single", "II", "t"),
    ]  # fmt: skip
    assert bank_families(bank) == [0, 1, 1, 2]
    corpus = labelled_corpus(bank, seed=1)
    assert len(corpus.questions) == 4 * 5 and corpus.families[4:8] == [0, 1, 1, 2]
    loose = quality(corpus, Dedup(threshold=0.5, edit_similarity=0.8))
    assert loose.distinct_joined >= 2 and loose.precision < 1.0  # "a" and "b" joined
    strict = quality(corpus, Dedup(threshold=0.9, edit_similarity=None))
    assert strict.distinct_joined == 0 and strict.precision == 1.0
    assert strict.recall_by_edit["options reordered"] == 1.0


def test_the_shipped_training_configs_read_what_the_paper_synthesis_writes() -> None:
    """sft_paper.yaml reads D_sft and grpo_paper.yaml D_grpo from where `harness synth run --config
    synth/configs/paper.yaml` writes them, each in the format that file is written in."""
    from synth.split import FILES
    from train.config import GRPORunConfig, SFTRunConfig, load_config

    root = Path(__file__).resolve().parents[1]
    dataset = load_synth_config(root / "synth" / "configs" / "paper.yaml").output_path / "dataset"
    written = {(dataset / name).resolve(): kind for kind, name in FILES.items()}
    for name, kind in (("sft_paper.yaml", SFTRunConfig), ("grpo_paper.yaml", GRPORunConfig)):
        path = root / "train" / "configs" / name
        sources = load_config(path, kind).data
        assert sources and all(s.path for s in sources), name
        assert {(path.parent / s.path).resolve(): s.format for s in sources}.items() <= written.items(), name


def test_init_copies_the_smoke_config_with_its_example_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import harness_in_process

    monkeypatch.chdir(tmp_path)
    done = harness_in_process("synth", "init")
    assert done.returncode == 0, done.stderr
    config = load_synth_config(tmp_path / "smoke.yaml")
    assert config.output_path == tmp_path / "runs" / "smoke"
    assert (tmp_path / "examples" / "dialogues.jsonl").read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("command", ["status", "report"])
def test_without_the_synth_extra_every_command_says_how_to_add_it(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import harness_in_process

    for name in ("datasketch", "synth.near_duplicates", "synth.pipeline", "synth.report"):
        monkeypatch.setitem(sys.modules, name, None)  # as if the extra were not installed
    done = harness_in_process("synth", command, "--config", str(tmp_path / "any.yaml"))
    assert done.returncode == 2 and "synthesis needs the synth extra (datasketch missing)" in done.stderr
    assert "Traceback" not in done.stderr


NO_SERVER = "http://127.0.0.1:9"  # settings are read, no model is asked


def stage_fingerprints(config_path: Path) -> dict[str, str]:
    from synth.pipeline import PIPELINE, open_context

    context = open_context(load_synth_config(config_path), None)
    try:
        return {step.stage.name: json.dumps(step.stage.fingerprint(context)) for step in PIPELINE}
    finally:
        context.calls.close()


def test_a_stage_reads_its_own_section_and_a_setting_there_reruns_that_stage_alone(tmp_path: Path) -> None:
    """The top-level spelling of a stage's own setting reads as its section; a shared setting in a
    stage's section (decoding) is that stage's alone: only its fingerprint changes."""
    flat = stage_fingerprints(write_inputs(tmp_path / "flat", NO_SERVER))
    sections = stage_fingerprints(
        write_inputs(
            tmp_path / "sections",
            NO_SERVER,
            rationale_attempts=None,
            refine_rounds=None,
            stages={"rationale": {"rationale_attempts": 3}, "refine": {"refine_rounds": 2}},
        )
    )
    own = stage_fingerprints(
        write_inputs(tmp_path / "own", NO_SERVER, stages={"generate": {"decoding": {"temperature": 0}}})
    )
    assert sections == flat
    assert [name for name in flat if own[name] != flat[name]] == ["generate"]


def test_one_default_model_serves_every_stage_not_named(tmp_path: Path) -> None:
    config = load_synth_config(
        write_inputs(tmp_path, NO_SERVER, models={"default": "writer", "select": list(PANEL)})
    )
    assert config.models.generate == config.models.empathy == "writer"
    assert config.models.select == list(PANEL)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"stages": {"genrate": {}}}, "stages.genrate: no such stage (did you mean generate?)"),
        (
            {"stages": {"generate": {"questions_per_chunk": 0}}},
            "stages.generate: setting 'questions_per_chunk'",
        ),
        (
            {"stages": {"rationale": {"refine_rounds": 2}}},
            "stages.rationale: unknown setting 'refine_rounds'",
        ),
        ({"stages": {"rationale": {"rationale_attempts": 2}}}, "rationale_attempts is set twice"),
        ({"models": {"clean": "writer"}}, "no model for generate"),
    ],
)
def test_a_bad_stage_section_is_one_line_naming_the_file(
    tmp_path: Path, settings: dict[str, object], message: str
) -> None:
    path = write_inputs(tmp_path, NO_SERVER, **settings)
    with pytest.raises(HarnessError, match=re.escape(message)) as raised:
        load_synth_config(path)
    assert str(path) in str(raised.value)


def test_a_new_stage_is_its_module_and_one_pipeline_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its own setting, with its default, is declared in its section: no change to SynthConfig, to
    the config files or to the other stages; `stages.<name>` sets it."""
    from synth import pipeline
    from synth.stage import StageOutput
    from synth.stage_settings import StageSettings

    class KeepShortSettings(StageSettings):
        max_chars: int = 400

    class KeepShort:
        name, version, section = "keep_short", 1, KeepShortSettings

        def fingerprint(self, context):
            return context.settings(self.name, KeepShortSettings).fingerprint()

        def run(self, context, inputs):
            limit = context.settings(self.name, KeepShortSettings).max_chars
            return StageOutput([r for r in inputs if len(r.question) <= limit])

        def estimate(self, config, counts):
            return []

    step = pipeline.Step(KeepShort(), pipeline._after("select"))
    monkeypatch.setattr(pipeline, "PIPELINE", (*pipeline.PIPELINE, step))
    config = load_synth_config(write_inputs(tmp_path, NO_SERVER, stages={"keep_short": {"max_chars": 30}}))
    context = pipeline.open_context(config, None)
    try:
        assert KeepShort().fingerprint(context) == {"max_chars": 30}
        assert KeepShort().run(context, []).kept == []
    finally:
        context.calls.close()
    bad = write_inputs(tmp_path / "bad", NO_SERVER, stages={"keep_short": {"max_chars": "x"}})
    with pytest.raises(HarnessError, match=re.escape("stages.keep_short: setting 'max_chars'")):
        load_synth_config(bad)
