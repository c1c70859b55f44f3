"""Dedup quality and speed at the paper's scale.

1. The precision/recall table: CPsyExam train's questions in families (synth.dedup_quality: the
   same question by a stricter test that reads the answer key) plus lightly edited copies of each,
   grouped as the pool stage groups them at each MinHash threshold and edit-similarity cutoff;
   pairwise precision, recall, F1, adjusted Rand against the families, recall per kind of edit, and
   the setting with the best F1 beside the shipped default.
2. Speed: a pool of N questions (default 210,000) made from the bank with random edits, grouped by
   the pool (synth.stages.pool.question_groups), by a plain datasketch baseline (one MinHash per
   whole question text, one update per shingle, MinHashLSH insert then query at the same
   threshold) and by the pool's comparison on rensa's MinHash and LSH. Seconds, ratios, and
   agreement with the families. Target: under 60 s on 2 cores.

    python benchmarks/dedup.py [--items 210000] [--data-dir ../shared/data] [--no-table] [--no-baseline]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from datasketch import MinHash, MinHashLSH
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rounds import load_average, spread  # noqa: E402

from synth.config import Dedup  # noqa: E402
from synth.dedup_quality import (  # noqa: E402
    EDITS,
    bank_families,
    best_settings,
    edited,
    format_table,
    labelled_corpus,
    threshold_table,
)
from synth.inputs import cpsyexam_questions  # noqa: E402
from synth.near_duplicates import (  # noqa: E402
    CLUSTER_CANDIDATES,
    edit_similarity,
    group_labels,
    linked_groups,
    normalise,
    shingles,
)
from synth.records import Question, question_parts, record_text  # noqa: E402
from synth.stages.pool import question_groups  # noqa: E402

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def pool(
    bank: Sequence[Question], families: Sequence[int], items: int, seed: int = 0
) -> tuple[list[Question], list[int]]:
    """`items` questions: the bank once, then copies with a random kind of edit, cycling."""
    rng = random.Random(seed)
    questions, labels = [], []
    for n in range(items):
        source = n % len(bank)
        edit = rng.choice(EDITS) if n >= len(bank) else ""
        questions.append(edited(bank[source], edit, rng) if edit else bank[source])
        labels.append(families[source])
    return questions, labels


def plain_datasketch(questions: Sequence[Question], dedup: Dedup) -> list[int]:
    """A MinHash per whole question text (case, stem and options), one update per shingle; LSH
    insert, then query; the same grouping of the links."""
    signatures = []
    for question in questions:
        minhash = MinHash(num_perm=dedup.num_perm, seed=dedup.seed)
        for shingle in shingles(record_text(question), dedup.ngram):
            minhash.update(shingle)
        signatures.append(minhash)
    index = MinHashLSH(threshold=dedup.threshold, num_perm=dedup.num_perm)
    for i, minhash in enumerate(signatures):
        index.insert(i, minhash)
    links = ((i, int(j)) for i, minhash in enumerate(signatures) for j in index.query(minhash))
    return group_labels(linked_groups(len(questions), links), len(questions))


def pool_on_rensa(questions: Sequence[Question], dedup: Dedup) -> list[int]:
    """The pool's comparison (what is asked, beside its case; Jaccard or edit similarity) with
    rensa's MinHash and LSH in place of datasketch's."""
    from rensa import RMinHash, RMinHashLSH

    def signed(texts: Sequence[str]) -> list[RMinHash]:
        out = []
        for text in texts:
            minhash = RMinHash(dedup.num_perm, dedup.seed)
            minhash.update(sorted(s.decode() for s in shingles(text, dedup.ngram)))
            out.append(minhash)
        return out

    parts = [question_parts(q) for q in questions]
    asked, cases = [a for _, a in parts], [c for c, _ in parts]
    signatures, around = signed(asked), signed(cases)
    plain = [normalise(text) for text in asked]
    cutoff = dedup.edit_similarity
    index = RMinHashLSH(min(dedup.threshold, CLUSTER_CANDIDATES), dedup.num_perm, 32)
    links = []
    for i, signature in enumerate(signatures):
        if not plain[i]:
            continue
        for j in index.query(signature):
            near = signature.jaccard(signatures[j]) >= dedup.threshold or (
                cutoff is not None and edit_similarity(plain[i], plain[j], cutoff) >= cutoff
            )
            same_case = (not cases[i] and not cases[j]) or (
                bool(cases[i]) and bool(cases[j]) and around[i].jaccard(around[j]) >= dedup.threshold
            )
            if near and same_case:
                links.append((i, j))
        index.insert(i, signature)
    return group_labels(linked_groups(len(questions), links), len(questions))


def timed(label: str, run, questions, families, reference=None) -> tuple[float, list[int]]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    labels = run(questions)
    seconds = time.perf_counter() - start
    line = f"{label}: {seconds:.1f} s, {len(set(labels))} groups, adjusted Rand vs families {adjusted_rand_score(families, labels):.4f}"
    if reference is not None:
        line += f", vs the pool's {adjusted_rand_score(reference, labels):.4f}"
    print(line, flush=True)
    return seconds, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=210_000)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--no-table", action="store_true", help="skip the precision/recall table")
    parser.add_argument("--no-baseline", action="store_true", help="time the pool only")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved timing rounds")
    args = parser.parse_args()
    bank = cpsyexam_questions(str(args.data_dir), "train")
    shipped = Dedup()
    if not args.no_table:
        corpus = labelled_corpus(bank)
        print(
            f"labelled corpus: {len(corpus.questions)} questions, {len(set(corpus.families))} families "
            f"(CPsyExam train and one copy per edit: {', '.join(EDITS)})",
            flush=True,
        )
        rows = threshold_table(corpus, THRESHOLDS)
        print(format_table(rows))
        threshold, cutoff = best_settings(rows)
        print(
            f"best F1: threshold {threshold}, edit similarity {cutoff}; "
            f"shipped default: threshold {shipped.threshold}, edit similarity {shipped.edit_similarity}",
            flush=True,
        )
    questions, families = pool(bank, bank_families(bank), args.items)
    print(f"pool: {len(questions)} questions from {len(bank)} CPsyExam train questions", flush=True)
    times: dict[str, list[float]] = {"pool": [], "datasketch": [], "rensa": []}
    for number in range(1, args.rounds + 1):
        seconds, ours = timed(
            f"round {number}: pool (datasketch)",
            lambda q: group_labels(question_groups(q, shipped), len(q)),
            questions,
            families,
        )
        times["pool"].append(seconds)
        if args.no_baseline:
            continue
        seconds, _ = timed(
            f"round {number}: plain datasketch",
            lambda q: plain_datasketch(q, shipped),
            questions,
            families,
            ours,
        )
        times["datasketch"].append(seconds)
        seconds, _ = timed(
            f"round {number}: pool on rensa", lambda q: pool_on_rensa(q, shipped), questions, families, ours
        )
        times["rensa"].append(seconds)
    print(f"pool: {spread(times['pool'], 's', 1)} (min / median / max of {args.rounds}; target < 60 s)")
    for name in ("datasketch", "rensa"):
        if times[name]:
            ratios = [o / b for o, b in zip(times["pool"], times[name], strict=True)]
            print(f"{name}: {spread(times[name], 's', 1)}; pool / {name} {spread(ratios, '', 3)}")
    print(load_average())


if __name__ == "__main__":
    main()
