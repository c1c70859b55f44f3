"""The leaderboard columns of each benchmark, each tied to the (task, metric) it shows, and the
averages the harness computes (never transcribed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str  # also the reference CSV's column name
    header: str
    group: str
    task: str
    metric: str


@dataclass(frozen=True)
class Average:
    key: str
    header: str
    parts: tuple[str, ...]  # column keys
    weighted: bool  # micro average weighted by item counts, else unweighted mean
    printed: str  # the reference CSV column holding the paper's printed value (checked, not trusted)


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    columns: tuple[Column, ...]
    averages: tuple[Average, ...]
    reference_file: str
    split_matters: bool  # CPsyExam: paper numbers are on the test split
    interval_digits: int = 1  # decimals of printed intervals (judge scales are 0-3, not percent)


def _pceb() -> Benchmark:
    columns = []
    for area, label in (("case", "Case"), ("moral", "Moral"), ("theory", "Theory")):
        columns.append(Column(f"{area}_smcq", "SMCQ", label, f"pceb_{area}_smcq", "acc"))
        columns.append(Column(f"{area}_mmcq", "MMCQ", label, f"pceb_{area}_mmcq", "acc"))
        columns.append(
            Column(f"{area}_mmcq_elastic", "MMCQ (el.)", label, f"pceb_{area}_mmcq", "acc_elastic")
        )
    for key, header in (("rouge1", "R-1"), ("rougeL", "R-L"), ("bleu4", "B-4")):
        columns.append(Column(key, header, "Case (QA)", "pceb_case_qa", key))
    standard = ("case_smcq", "case_mmcq", "moral_smcq", "moral_mmcq", "theory_smcq", "theory_mmcq")
    elastic = (
        "case_smcq",
        "case_mmcq_elastic",
        "moral_smcq",
        "moral_mmcq_elastic",
        "theory_smcq",
        "theory_mmcq_elastic",
    )
    return Benchmark(
        name="pceb",
        title="Table 1: PCEB",
        columns=tuple(columns),
        averages=(
            Average("avg", "Avg.", standard, False, "printed_avg"),
            Average("avg_elastic", "Avg. (el.)", elastic, False, "printed_avg_elastic"),
        ),
        reference_file="pceb_table1.csv",
        split_matters=False,
    )


def _cpsyexam() -> Benchmark:
    columns = []
    for shots, task_prefix, group in (
        ("zero", "cpsyexam", "Zero-shot"),
        ("five", "cpsyexam_5shot", "Five-shot"),
    ):
        for area, area_label in (("knowledge", "Knowledge"), ("case", "Case")):
            for kind, kind_label in (("single", "SMCQ"), ("multi", "MMCQ")):
                columns.append(
                    Column(
                        f"{shots}_{area}_{'smcq' if kind == 'single' else 'mmcq'}",
                        kind_label,
                        f"{group} {area_label}",
                        f"{task_prefix}_{area}_{kind}",
                        "acc",
                    )
                )
    zero = tuple(c.key for c in columns if c.key.startswith("zero_"))
    return Benchmark(
        name="cpsyexam",
        title="Table 2: CPsyExam",
        columns=tuple(columns),
        averages=(Average("avg", "Avg. (zero-shot, micro)", zero, True, "printed_avg"),),
        reference_file="cpsyexam_table2.csv",
        split_matters=True,
    )


# Item counts of the CPsyExam test split (counted from the files), to weigh the paper's columns.
CPSYEXAM_TEST_SIZES = {
    "zero_knowledge_smcq": 2321,
    "zero_knowledge_mmcq": 781,
    "zero_case_smcq": 600,
    "zero_case_mmcq": 200,
}


def _psydt() -> Benchmark:
    columns = tuple(
        Column(key, header, group, "psydt", key)
        for key, header, group in (
            ("emotional_empathy", "EmoE.", "Paper"),
            ("cognitive_empathy", "CogE.", "Paper"),
            ("conversation_strategy", "Con.", "Paper"),
            ("state_attitude", "Sta.", "Paper"),
            ("safety", "Safety (0-1)", "Beyond the paper"),
        )
    )
    return Benchmark(
        name="psydt",
        title="Table 5: PsyDT counseling (LLM judge, 0-3)",
        columns=columns,
        averages=(),
        reference_file="psydt_table5.csv",
        split_matters=False,
        interval_digits=2,
    )


BENCHMARKS = {"pceb": _pceb(), "cpsyexam": _cpsyexam(), "psydt": _psydt()}
