"""PsyDTCorpus's single-turn test split: records {"id", "normalizedTag", "messages"}, each a dialogue
history ending in a client turn followed by the counselor turn to predict (the reference).

The file is found at $PSYCHE_PSYDT_FILE, else under the data directory as
PsyDTCorpus/PsyDTCorpus_test_single_turn_split.json, else (online) fetched from its public source.
"""

from __future__ import annotations

import os
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.data.location import DATA_DIR_ENV, resolve_data_dir
from harness.data.records import DialogueDoc, read_json_list, require
from harness.errors import HarnessError

FILE_ENV = "PSYCHE_PSYDT_FILE"
DEFAULT_RELATIVE = Path("PsyDTCorpus") / "PsyDTCorpus_test_single_turn_split.json"
SOURCE = "huggingface.co/datasets/YIRONGCHEN/PsyDTCorpus"
DEFAULT_SAMPLE = 200  # the paper's 200 randomly sampled instances
DEFAULT_SEED = 20250801
ROLES = ("system", "user", "assistant")


def locate_psydt(data_dir: str | None) -> Path:
    """The PsyDT test file: $PSYCHE_PSYDT_FILE, else <data dir>/PsyDTCorpus/..., else downloaded."""
    chosen = os.environ.get(FILE_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise HarnessError(f"PsyDT test file {path} (from {FILE_ENV}) does not exist")
        return path
    if data_dir or os.environ.get(DATA_DIR_ENV):
        path = resolve_data_dir(data_dir) / DEFAULT_RELATIVE
        if path.is_file():
            return path
    from harness.data.fetch import fetch_psydt

    try:
        return fetch_psydt()
    except HarnessError as error:
        raise HarnessError(
            f"PsyDT test file not found under the data directory ({DEFAULT_RELATIVE}) nor set in {FILE_ENV}, "
            f"and fetching it from {SOURCE} failed ({error})"
        ) from None


def load_psydt(path: Path) -> list[DialogueDoc]:
    """Every record of the file as a doc, in file order."""
    docs = []
    seen: set[str] = set()
    for index, record in enumerate(read_json_list(path)):
        where = f"{path}: record {index}"
        doc = replace(_doc(record, where), source=str(path))
        if doc.doc_id in seen:
            raise HarnessError(f"{where}: duplicate id {doc.doc_id!r}")
        seen.add(doc.doc_id)
        docs.append(doc)
    if not docs:
        raise HarnessError(f"{path}: the file holds no records")
    return docs


def sample_docs(docs: list[DialogueDoc], size: int | None, seed: int = DEFAULT_SEED) -> list[DialogueDoc]:
    """A fixed-seed random sample (file order kept); all docs when size is None or >= their count."""
    if size is None or size >= len(docs):
        return list(docs)
    if size <= 0:
        raise HarnessError(f"--sample must be positive, got {size}")
    chosen = sorted(random.Random(seed).sample(range(len(docs)), size))
    return [docs[index] for index in chosen]


def _doc(record: dict[str, Any], where: str) -> DialogueDoc:
    if "id" not in record:
        raise HarnessError(f"{where}: missing 'id'")
    messages = require(record, "messages", where, list)
    turns: list[tuple[str, str]] = []
    for position, message in enumerate(messages):
        at = f"{where}, message {position}"
        if not isinstance(message, dict):
            raise HarnessError(f"{at}: expected an object with 'role' and 'content'")
        role = require(message, "role", at)
        if role not in ROLES:
            raise HarnessError(f"{at}: role {role!r} is not one of {', '.join(ROLES)}")
        turns.append((role, require(message, "content", at)))
    reference = ""
    if turns and turns[-1][0] == "assistant":
        reference = turns.pop()[1]
    if not turns or turns[-1][0] != "user":
        raise HarnessError(
            f"{where}: the dialogue must end with a client (user) turn, optionally followed by the reference counselor turn"
        )
    counselor_turns = sum(1 for role, _ in turns if role == "assistant")
    return DialogueDoc(
        doc_id=str(record["id"]),
        topic=str(record.get("normalizedTag") or ""),
        dialogue_id=str(record["id"]),
        turn=counselor_turns + 1,
        history=tuple(turns),
        reference=reference,
    )
