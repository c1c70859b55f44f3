"""Dedup at the paper's scale: a pool of N Chinese questions (default 210,000) made from CPsyExam's
questions with random character edits (each source question gives a family of near-duplicates),
clustered by synth.near_duplicates.clusters and by a plain datasketch baseline (one MinHash
update per shingle, MinHashLSH insert then query) on the same corpus. Prints seconds for each,
their ratio, and the agreement of the two clusterings (adjusted Rand index) and with the families.
Target: under 60 s on 2 cores.

    python benchmarks/dedup.py [--items 210000] [--data-dir ../shared/data] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from datasketch import MinHash, MinHashLSH
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rounds import load_average, spread  # noqa: E402

from synth.near_duplicates import clusters, linked_groups, shingles  # noqa: E402

THRESHOLD, NUM_PERM, NGRAM, SEED = 0.7, 128, 3, 1


def source_questions(data_dir: Path) -> list[str]:
    texts = []
    for path in sorted((data_dir / "CPsyExam" / "cpsyexam").glob("*/*.json")):
        for record in json.loads(path.read_text(encoding="utf-8")):
            options = " ".join(str(v) for v in (record.get("options") or {}).values() if v)
            texts.append(f"{record.get('question', '')} {options}".strip())
    return sorted(set(texts))


def corpus(sources: list[str], items: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """`items` texts: each a source question with 0-3 random character edits; labels = source index."""
    rng = random.Random(seed)
    alphabet = "的了是在有和就不人都一上也很到说要去你会着没看好自己这"
    texts, labels = [], []
    for n in range(items):
        source = n % len(sources)
        chars = list(sources[source])
        for _ in range(rng.randint(0, 3) if n >= len(sources) else 0):
            position = rng.randrange(len(chars) or 1)
            edit = rng.choice(("delete", "insert", "replace"))
            if edit == "delete" and len(chars) > 1:
                del chars[position]
            elif edit == "insert":
                chars.insert(position, rng.choice(alphabet))
            elif chars:
                chars[position] = rng.choice(alphabet)
        texts.append("".join(chars))
        labels.append(source)
    return texts, labels


def baseline(texts: list[str]) -> list[int]:
    """Plain datasketch: a MinHash per text, one update per shingle; LSH insert, then query; the
    same grouping of the links as ours."""
    signatures = []
    for text in texts:
        minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
        for shingle in shingles(text, NGRAM):
            minhash.update(shingle)
        signatures.append(minhash)
    index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for i, minhash in enumerate(signatures):
        index.insert(i, minhash)
    links = ((i, int(j)) for i, minhash in enumerate(signatures) for j in index.query(minhash))
    return as_labels(linked_groups(len(texts), links), len(texts))


def as_labels(groups: list[list[int]], size: int) -> list[int]:
    labels = [0] * size
    for number, members in enumerate(groups):
        for member in members:
            labels[member] = number
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=210_000)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=1, help="interleaved rounds (each takes minutes at 210k)"
    )
    args = parser.parse_args()
    sources = source_questions(args.data_dir)
    texts, families = corpus(sources, args.items)
    print(f"corpus: {len(texts)} questions from {len(sources)} CPsyExam questions", flush=True)
    ours_times: list[float] = []
    plain_times: list[float] = []
    for number in range(1, args.rounds + 1):
        start = time.perf_counter()
        ours = as_labels(clusters(texts, THRESHOLD, NUM_PERM, NGRAM, SEED), len(texts))
        ours_times.append(time.perf_counter() - start)
        print(
            f"round {number}: synth.near_duplicates.clusters {ours_times[-1]:.1f} s, {len(set(ours))} clusters; "
            f"agreement with the source families (adjusted Rand) {adjusted_rand_score(families, ours):.4f}",
            flush=True,
        )
        if args.no_baseline:
            continue
        start = time.perf_counter()
        plain = baseline(texts)
        plain_times.append(time.perf_counter() - start)
        print(
            f"round {number}: plain datasketch baseline {plain_times[-1]:.1f} s, {len(set(plain))} clusters; "
            f"agreement ours vs baseline (adjusted Rand) {adjusted_rand_score(plain, ours):.4f}",
            flush=True,
        )
    print(f"ours: {spread(ours_times, 's', 1)} (min / median / max of {args.rounds}; target < 60 s)")
    if plain_times:
        ratios = [o / b for o, b in zip(ours_times, plain_times, strict=True)]
        print(f"baseline: {spread(plain_times, 's', 1)}; ours / baseline {spread(ratios, '', 3)}")
    print(load_average())


if __name__ == "__main__":
    main()
