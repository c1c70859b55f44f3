"""CPsyCounE: 45 counseling dialogues in 9 topics, each a JSON list of strings alternating
"求助者：..." (client) and "支持者：..." (counselor). Turn-based evaluation: every counselor turn
becomes one doc whose history is the real dialogue before it.

Layout under the data directory: CPsyCounE/<topic>/<n>.json.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.records import DialogueDoc
from harness.errors import HarnessError

CLIENT, COUNSELOR = "求助者", "支持者"
_ROLE_OF = {CLIENT: "user", COUNSELOR: "assistant"}


def load_cpsycoune(data_dir: Path) -> list[DialogueDoc]:
    """One doc per counselor turn of every dialogue, ordered by topic, dialogue and turn."""
    root = Path(data_dir) / "CPsyCounE"
    if not root.is_dir():
        raise HarnessError(
            f"CPsyCounE not found: {root} does not exist (set --data-dir or PSYCHE_DATA_DIR to the folder holding CPsyCounE/)"
        )
    files = sorted(root.glob("*/*.json"), key=lambda path: (path.parent.name, _number(path)))
    if not files:
        raise HarnessError(f"{root}: no <topic>/<n>.json dialogue files found")
    docs: list[DialogueDoc] = []
    for path in files:
        docs.extend(_dialogue_docs(path))
    return docs


def _dialogue_docs(path: Path) -> list[DialogueDoc]:
    import json

    try:
        utterances = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HarnessError(f"{path}: cannot be read as JSON ({error})") from None
    if not isinstance(utterances, list) or not all(isinstance(u, str) for u in utterances):
        raise HarnessError(f"{path}: expected a JSON list of strings")
    topic, dialogue = path.parent.name, f"{path.parent.name}/{path.stem}"
    history: list[tuple[str, str]] = []
    docs: list[DialogueDoc] = []
    for index, utterance in enumerate(utterances):
        speaker, _, text = utterance.partition("：")
        role = _ROLE_OF.get(speaker.strip())
        if role is None or not text.strip():
            raise HarnessError(
                f"{path}: utterance {index} should start with '{CLIENT}：' or '{COUNSELOR}：', got {utterance[:20]!r}"
            )
        if role == "assistant" and history and history[-1][0] == "user":
            docs.append(
                DialogueDoc(
                    doc_id=f"{dialogue}#{len(docs) + 1}",
                    topic=topic,
                    dialogue_id=dialogue,
                    turn=len(docs) + 1,
                    history=tuple(history),
                    reference=text.strip(),
                    source=str(path),
                )
            )
        history.append((role, text.strip()))
    if not docs:
        raise HarnessError(f"{path}: no counselor turn follows a client turn")
    return docs


def _number(path: Path) -> tuple[int, str]:
    return (int(path.stem), "") if path.stem.isdigit() else (10**9, path.stem)
