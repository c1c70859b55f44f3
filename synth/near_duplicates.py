"""Near-duplicate detection for Chinese text: MinHash over character n-grams and LSH (datasketch),
for clustering a question pool and for finding benchmark items in produced data; plus exact
shared runs of characters (long n-gram overlap)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from datasketch import LeanMinHash, MinHash, MinHashLSH
from rapidfuzz.distance import Indel

_NOISE = re.compile(r"[\s\W_]+", flags=re.UNICODE)
CANDIDATE_THRESHOLD = 0.3  # the looser index's Jaccard threshold (decontamination): candidates only
CLUSTER_CANDIDATES = 0.5  # the same for clustering a pool: looser costs more than it finds there
EDIT_SIMILARITY = 0.85  # edit similarity at which a candidate is an edited copy of a benchmark item


def normalise(text: str) -> str:
    """Text as compared: no whitespace or punctuation, Latin letters lower-cased."""
    return _NOISE.sub("", text).lower()


def shingles(text: str, ngram: int) -> set[bytes]:
    """The character n-grams of the normalised text (the whole text when it is shorter)."""
    plain = normalise(text)
    if len(plain) <= ngram:
        return {plain.encode("utf-8")} if plain else set()
    return {plain[i : i + ngram].encode("utf-8") for i in range(len(plain) - ngram + 1)}


def signatures(texts: Sequence[str], num_perm: int, ngram: int, seed: int) -> list[LeanMinHash]:
    """One MinHash signature per text (the same seed gives the same signatures)."""
    hashes = MinHash.bulk([sorted(shingles(text, ngram)) for text in texts], num_perm=num_perm, seed=seed)
    return [LeanMinHash(minhash) for minhash in hashes]


def clusters(
    texts: Sequence[str],
    threshold: float,
    num_perm: int,
    ngram: int,
    seed: int,
    contexts: Sequence[str] | None = None,
    edit_cutoff: float | None = EDIT_SIMILARITY,
) -> list[list[int]]:
    """Groups of indices whose texts are near-duplicates (estimated Jaccard >= threshold, linked
    transitively); every index is in exactly one group, groups and members in input order. With
    `contexts` (e.g. the case a case question asks about, "" for none), two texts are linked only
    when their contexts are near-duplicates too: different questions about one case stay apart, and
    one question over two different cases too. `edit_cutoff` None turns the edit-similarity check
    off."""
    signed = signatures(texts, num_perm, ngram, seed)
    around = signatures(contexts, num_perm, ngram, seed) if contexts is not None else None
    # Candidates from a looser index; a pair is linked when its estimated Jaccard reaches the
    # threshold or, for lightly edited copies of short texts, its edit similarity does.
    index = MinHashLSH(threshold=min(threshold, CLUSTER_CANDIDATES), num_perm=num_perm)
    plain = [normalise(text) for text in texts]
    links: list[tuple[int, int]] = []
    for i, signature in enumerate(signed):
        if not shingles(texts[i], ngram):
            continue
        for j in (int(j) for j in index.query(signature)):
            near = signature.jaccard(signed[j]) >= threshold or (
                edit_cutoff is not None and edit_similarity(plain[i], plain[j], edit_cutoff) >= edit_cutoff
            )
            if near and (around is None or _same_context(contexts, around, i, j, threshold)):  # type: ignore[arg-type]
                links.append((i, j))
        index.insert(i, signature)
    return linked_groups(len(texts), links)


def edit_similarity(a: str, b: str, cutoff: float = 0.0) -> float:
    """1 - the insertions and deletions that turn one normalised text into the other, over their
    total length (rapidfuzz's Indel ratio, difflib's ratio computed exactly; 1.0: the same). Below
    `cutoff` it is 0 (faster)."""
    return float(Indel.normalized_similarity(a, b, score_cutoff=cutoff))


def _same_context(
    contexts: Sequence[str], signed: Sequence[LeanMinHash], i: int, j: int, threshold: float
) -> bool:
    if not contexts[i] or not contexts[j]:
        return not contexts[i] and not contexts[j]
    return bool(signed[i].jaccard(signed[j]) >= threshold)


def linked_groups(size: int, links: Iterable[tuple[int, int]]) -> list[list[int]]:
    """The groups of 0..size-1 that `links` join, transitively (scipy's connected components of
    the link graph); groups and members in index order."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    pairs = np.array(list(links), dtype=np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(index)
    return list(groups.values())  # first seen in index order: ordered by each group's first member


def group_labels(groups: Sequence[Sequence[int]], size: int) -> list[int]:
    """Per index 0..size-1, the number of the group it is in (a clustering as labels)."""
    labels = [0] * size
    for number, members in enumerate(groups):
        for member in members:
            labels[member] = number
    return labels


@dataclass(frozen=True)
class Hit:
    benchmark_item: str
    how: str  # "near-duplicate" or "shared run of N characters"


class BenchmarkIndex:
    """Benchmark texts, indexed for near-duplicate (MinHash-LSH) and shared-run lookups. A run of
    `overlap_chars` characters shared with a benchmark text is always found: the benchmark's
    `gram`-character pieces are stored every `stride` characters, and every piece of a candidate
    is looked up."""

    def __init__(
        self,
        items: Iterable[tuple[str, str]],
        threshold: float,
        overlap_chars: int,
        num_perm: int = 128,
        ngram: int = 3,
        seed: int = 1,
    ) -> None:
        self.items = list(items)
        self.ngram, self.num_perm, self.seed = ngram, num_perm, seed
        self.stride = max(overlap_chars // 4, 1)
        self.gram = overlap_chars - self.stride + 1  # found at least once in any shared run of overlap_chars
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        # Lightly edited copies of short questions fall below the Jaccard threshold (two changed
        # characters remove up to six of a few dozen shingles): a looser index proposes candidates
        # and the edit similarity of the normalised texts decides.
        self.candidates = MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=num_perm)
        texts = [text for _, text in self.items]
        self.plain = [normalise(text) for text in texts]
        for position, signature in enumerate(signatures(texts, num_perm, ngram, seed)):
            if shingles(texts[position], ngram):
                self.lsh.insert(position, signature)
                self.candidates.insert(position, signature)
        self.overlap_chars = overlap_chars
        self.pieces: dict[str, list[tuple[int, int]]] = {}  # piece -> (benchmark item, where)
        for position, plain in enumerate(self.plain):
            for start in range(0, len(plain) - self.gram + 1, self.stride):
                self.pieces.setdefault(plain[start : start + self.gram], []).append((position, start))

    def hits(self, texts: Sequence[str]) -> list[Hit | None]:
        """For each text, the first benchmark item it matches, or None."""
        found: list[Hit | None] = []
        for text, signature in zip(
            texts, signatures(texts, self.num_perm, self.ngram, self.seed), strict=True
        ):
            near = self.lsh.query(signature) if shingles(text, self.ngram) else []
            if near:
                found.append(Hit(self.items[int(min(near))][0], "near-duplicate"))
                continue
            plain = normalise(text)
            found.append(self._edited_copy(plain, signature) or self._shared_run(plain))
        return found

    def _edited_copy(self, plain: str, signature: LeanMinHash) -> Hit | None:
        """The benchmark item `plain` is a lightly edited copy of, by edit similarity."""
        if not plain:
            return None
        for position in sorted(int(p) for p in self.candidates.query(signature)):
            similarity = edit_similarity(plain, self.plain[position], EDIT_SIMILARITY)
            if similarity >= EDIT_SIMILARITY:
                return Hit(self.items[position][0], f"edited copy (similarity {similarity:.2f})")
        return None

    def _shared_run(self, plain: str) -> Hit | None:
        """The first benchmark item `plain` shares a run of at least `overlap_chars` characters
        with: a stored piece found, then the run measured around it."""
        for start in range(len(plain) - self.gram + 1):
            for position, where in self.pieces.get(plain[start : start + self.gram], ()):
                length = _run_length(plain, start, self.plain[position], where, self.gram)
                if length >= self.overlap_chars:
                    return Hit(self.items[position][0], f"shares a run of {length} characters")
        return None


def _run_length(a: str, at_a: int, b: str, at_b: int, length: int) -> int:
    """The length of the common run of `a` and `b` that contains a[at_a:at_a+length] ==
    b[at_b:at_b+length]."""
    before = 0
    while at_a - before > 0 and at_b - before > 0 and a[at_a - before - 1] == b[at_b - before - 1]:
        before += 1
    after = 0
    end_a, end_b = at_a + length, at_b + length
    while end_a + after < len(a) and end_b + after < len(b) and a[end_a + after] == b[end_b + after]:
        after += 1
    return before + length + after
