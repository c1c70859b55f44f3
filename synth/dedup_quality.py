"""How well the pool's near-duplicate grouping finds copies and keeps distinct questions apart,
measured on a labelled corpus: a bank's real questions in families, and lightly edited copies of
each (characters changed, options reordered, both) in its family. Two bank questions are one family
when they are the same question by a stricter test that also reads the answer key, which the
grouping never sees: nearly the same text (edit similarity >= SAME_TEXT of the normalised case and
of what is asked) with nearly the same correct answer (>= SAME_ANSWER). "是环境决定论者" and
"是遗传决定论者" over the same options are two families; "综合症"/"综合征" spellings of one question
are one. Pairs are counted as in clustering evaluation: precision is the share of joined pairs that
are one family, recall the share of same-family pairs joined."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from datasketch import MinHashLSH
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.cluster import pair_confusion_matrix

from synth.config import Dedup
from synth.near_duplicates import (
    CANDIDATE_THRESHOLD,
    edit_similarity,
    group_labels,
    linked_groups,
    normalise,
    signatures,
)
from synth.records import Question, question_parts
from synth.stages.pool import question_groups

SAME_TEXT, SAME_ANSWER = 0.9, 0.8
EDITS = ("1 char", "2 chars", "options reordered", "2 chars + reordered")
_FILLER = "的了是在有和就不人都一上也很到说要去你会着没看好自己这"


@dataclass(frozen=True)
class LabelledCorpus:
    questions: list[Question]
    families: list[int]  # one label per question: its source's family
    edits: list[str]  # "" for a source question, else one of EDITS


@dataclass(frozen=True)
class Quality:
    threshold: float
    edit_cutoff: float | None  # None: the edit-similarity check off
    precision: float
    recall: float
    adjusted_rand: float
    distinct_joined: int  # source questions grouped with another family's question
    recall_by_edit: dict[str, float]

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def labelled_corpus(sources: Sequence[Question], seed: int = 0) -> LabelledCorpus:
    """Every source once, then one copy of each per kind of edit (`EDITS`), labelled by family."""
    families = bank_families(sources)
    rng = random.Random(seed)
    questions, labels, edits = list(sources), list(families), [""] * len(sources)
    for edit in EDITS:
        for source, family in zip(sources, families, strict=True):
            questions.append(edited(source, edit, rng))
            labels.append(family)
            edits.append(edit)
    return LabelledCorpus(questions, labels, edits)


def bank_families(sources: Sequence[Question]) -> list[int]:
    """A family label per bank question: the same question (see the module's note) shares one."""
    parts = [tuple(normalise(part) for part in question_parts(q)) for q in sources]
    answers = [normalise(" ".join(sorted(q.options.get(letter, "") for letter in q.answer))) for q in sources]
    index = MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=128)
    links = []
    for i, signature in enumerate(signatures([asked for _, asked in parts], 128, 3, 1)):
        for j in (int(j) for j in index.query(signature)):
            if (
                edit_similarity(parts[i][0], parts[j][0]) >= SAME_TEXT
                and edit_similarity(parts[i][1], parts[j][1]) >= SAME_TEXT
                and edit_similarity(answers[i], answers[j]) >= SAME_ANSWER
            ):
                links.append((i, j))
        index.insert(i, signature)
    return group_labels(linked_groups(len(sources), links), len(sources))


def edited(question: Question, edit: str, rng: random.Random) -> Question:
    text = question.question
    for _ in range(2 if edit.startswith("2 chars") else 1 if edit == "1 char" else 0):
        text = _change_one_character(text, rng)
    options = question.options
    if "reordered" in edit:
        values = list(options.values())
        rng.shuffle(values)
        options = dict(zip(options, values, strict=True))
    return replace(question, id=f"{question.id}~{edit}", question=text, options=options)


def _change_one_character(text: str, rng: random.Random) -> str:
    chars = list(text)
    position = rng.randrange(len(chars) or 1)
    how = rng.choice(("delete", "insert", "replace"))
    if how == "delete" and len(chars) > 1:
        del chars[position]
    elif how == "insert" or not chars:
        chars.insert(position, rng.choice(_FILLER))
    else:
        chars[position] = rng.choice(_FILLER)
    return "".join(chars)


def quality(corpus: LabelledCorpus, dedup: Dedup) -> Quality:
    """The pool's grouping (`synth.stages.pool.question_groups`) scored against the families."""
    predicted = group_labels(question_groups(corpus.questions, dedup), len(corpus.questions))
    pairs = pair_confusion_matrix(corpus.families, predicted)  # [[-, joined wrongly], [missed, joined]]
    joined, wrongly, missed = int(pairs[1][1]), int(pairs[0][1]), int(pairs[1][0])
    families_in: dict[int, set[int]] = {}
    for family, group in zip(corpus.families, predicted, strict=True):
        families_in.setdefault(group, set()).add(family)
    sources = [i for i, edit in enumerate(corpus.edits) if not edit]
    by_edit: dict[str, list[bool]] = {}
    first_of_family = {corpus.families[i]: predicted[i] for i in reversed(sources)}
    for i, edit in enumerate(corpus.edits):
        if edit:
            by_edit.setdefault(edit, []).append(predicted[i] == first_of_family[corpus.families[i]])
    return Quality(
        threshold=dedup.threshold,
        edit_cutoff=dedup.edit_similarity,
        precision=joined / (joined + wrongly) if joined + wrongly else 1.0,
        recall=joined / (joined + missed) if joined + missed else 1.0,
        adjusted_rand=float(adjusted_rand_score(corpus.families, predicted)),
        distinct_joined=sum(1 for i in sources if len(families_in[predicted[i]]) > 1),
        recall_by_edit={edit: sum(found) / len(found) for edit, found in by_edit.items()},
    )


def threshold_table(
    corpus: LabelledCorpus,
    thresholds: Sequence[float],
    edit_cutoffs: Sequence[float | None] = (0.85, 0.9, 0.95, None),
    dedup: Dedup | None = None,
) -> list[Quality]:
    """One row per (MinHash threshold, edit-similarity cutoff), the other settings `dedup`'s."""
    dedup = dedup or Dedup()
    return [
        quality(corpus, dedup.model_copy(update={"threshold": t, "edit_similarity": c}))
        for c in edit_cutoffs
        for t in thresholds
    ]


def best_settings(rows: Sequence[Quality]) -> tuple[float, float | None]:
    """(threshold, edit cutoff) with the best F1 of pairwise precision and recall, to three places;
    on a tie the higher threshold and cutoff (fewer pairs to compare). A bank holds distinct
    questions that differ from each other as little as a lightly edited copy does (the same four
    options under "自我意识在行为上的表现是" and "...在情感上的表现是"), so no setting has both near 1:
    F1 weighs a question lost from the pool (a false join) the same as a copy left in it (a miss)."""
    best = max(rows, key=lambda r: (round(r.f1, 3), r.threshold, r.edit_cutoff or 2.0))
    return best.threshold, best.edit_cutoff


def format_table(rows: Sequence[Quality]) -> str:
    header = ["threshold", "edit check", "precision", "recall", "F1", "ARI", "distinct joined", *EDITS]
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    for r in rows:
        check = "off" if r.edit_cutoff is None else f">= {r.edit_cutoff:.2f}"
        cells = [f"{r.threshold:.2f}", check, f"{r.precision:.4f}", f"{r.recall:.4f}", f"{r.f1:.4f}"]
        cells += [f"{r.adjusted_rand:.4f}", str(r.distinct_joined)]
        cells += [f"{r.recall_by_edit.get(edit, float('nan')):.3f}" for edit in EDITS]
        lines.append(" | ".join(cells))
    return "\n".join(lines)
