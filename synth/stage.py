"""What every stage shares: its context (config, model calls, prompts), its output (kept records,
drops with reasons, items left in error), and how an output is stored and reused: a stage is done
when the hash of its inputs and settings matches a finished output, content and not file
existence deciding."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from harness.ask_until_read import Attempt, NoReply, Unread
from harness.ask_until_read import ask_until_read as shared_ask_until_read
from harness.done_records import done_record, mark_done, read_record
from harness.files import write_text_atomically
from harness.models import ModelSpec
from synth.calls import Ask, CallLayer, StageCall
from synth.config import Decoding, SynthConfig, settings_hash
from synth.estimate import Counts, StageEstimate
from synth.prompts import PromptSet
from synth.records import Record, from_json, to_json
from synth.stage_settings import Section, StageSettings


@dataclass(frozen=True)
class Drop:
    item: str
    reason: str  # "invalid: ...", "filtered: ...", "error: ..." (errors are retried on the next run)


@dataclass
class StageOutput:
    kept: list[Record]
    dropped: list[Drop] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)  # named subsets of kept ids
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(1 for drop in self.dropped if drop.reason.startswith("error"))


@dataclass
class StageContext:
    config: SynthConfig
    calls: CallLayer
    prompts: PromptSet
    resolve: Any  # name -> ModelSpec
    built: dict[Any, Any] = field(default_factory=dict, repr=False)  # what stages of one run share

    def once(self, key: Any, build: Callable[[], Value]) -> Value:
        """What `build` makes, made once per run for each key (e.g. the benchmark index the two
        decontamination stages both check against)."""
        if key not in self.built:
            self.built[key] = build()
        value: Value = self.built[key]
        return value

    def settings(self, stage: str, section: type[Section]) -> Section:
        """The stage's typed section of the config (synth/stage_settings.py), read once per run."""
        return self.once(("settings", stage), lambda: section.of(self.config, stage))

    def call(self, stage: Named, model: str, templates: tuple[str, ...], decoding: Decoding) -> StageCall:
        return StageCall(
            stage=stage.name,
            version=stage.version,
            template=self.prompts.digest(*templates),
            model=model,
            decoding=decoding,
        )

    def model_fingerprint(self, name: str) -> dict[str, Any]:
        spec: ModelSpec = self.resolve(name)
        return spec.fingerprint()


Item = TypeVar("Item")
Value = TypeVar("Value")


@dataclass
class Asked(Generic[Item, Value]):
    """What asking gave: items with the value read from their reply, items whose call failed (with
    the reason), items still unread after every attempt."""

    read: list[tuple[Item, Value]] = field(default_factory=list)
    errors: list[tuple[Item, str]] = field(default_factory=list)
    unread: list[Item] = field(default_factory=list)


def ask_until_read(
    context: StageContext,
    call: StageCall,
    items: Sequence[Item],
    item_id: Callable[[Item], str],
    messages: Callable[[Item], tuple[tuple[str, str], ...]],
    read: Callable[[str, Item], Value | None],
    attempts: int,
) -> Asked[Item, Value]:
    """Ask about each item; an item whose reply `read` cannot use (None) is asked again afresh, a
    new attempt (a distinct cached call), up to `attempts` times (harness/ask_until_read.py)."""

    def ask(round_: Sequence[Attempt[Item]]) -> list[str | NoReply]:
        asks = [Ask(item_id(a.item), messages(a.item), a.number - 1) for a in round_]
        replies = context.calls.ask(call, asks)
        return [reply.text if reply.text is not None else NoReply(str(reply.error)) for reply in replies]

    def read_or_say_why(text: str, item: Item) -> Value | Unread:
        value = read(text, item)
        return Unread("unreadable") if value is None else value

    asked: Asked[Item, Value] = Asked()
    outcomes = shared_ask_until_read(items, ask, read_or_say_why, attempts)
    # in the order they ended (by round, then item order): the stored outputs' order is unchanged
    for outcome in sorted(outcomes, key=lambda outcome: outcome.attempts):
        if outcome.failure is not None:
            asked.errors.append((outcome.item, outcome.failure))
        elif outcome.unread is not None:
            asked.unread.append(outcome.item)
        else:
            assert outcome.value is not None
            asked.read.append((outcome.item, outcome.value))
    return asked


def judged(
    asked: Asked[Item, bool], item_id: Callable[[Item], str], rejected: str
) -> tuple[list[Item], list[Drop]]:
    """What a reasonable/unreasonable judge keeps, and a drop for every other item: judged
    unreasonable (`rejected`), in error, or without a verdict after every attempt."""
    kept = [item for item, reasonable in asked.read if reasonable]
    dropped = [
        Drop(item_id(item), f"filtered: {rejected}") for item, reasonable in asked.read if not reasonable
    ]
    dropped += [Drop(item_id(item), f"error: {reason}") for item, reason in asked.errors]
    dropped += [Drop(item_id(item), "invalid: no reasonable/unreasonable verdict") for item in asked.unread]
    return kept, dropped


class Named(Protocol):
    """What keys a stage's calls: its name and version."""

    name: str
    version: int


class Stage(Named, Protocol):
    @property
    def section(self) -> type[StageSettings]:
        """Its typed section of the config."""
        ...

    def fingerprint(self, context: StageContext) -> dict[str, Any]:
        """Everything besides its input that decides the output: settings, templates, models."""
        ...

    def run(self, context: StageContext, inputs: list[Record]) -> StageOutput: ...

    def estimate(self, config: SynthConfig, counts: Counts) -> list[StageEstimate]:
        """Its calls before a run (at least, at most) and their size; none for a stage that asks
        no model."""
        ...


@dataclass(frozen=True)
class StoredStage:
    folder: Path

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    def manifest(self) -> dict[str, Any] | None:
        return read_record(self.manifest_path)

    def load_if_current(self, digest: str) -> StageOutput | None:
        """The stored output when it was made from the same inputs and settings with no errors."""
        manifest = done_record(self.manifest_path, digest)
        if not manifest or manifest.get("errors"):
            return None
        dropped = [Drop(**json.loads(line)) for line in _lines(self.folder / "dropped.jsonl")]
        return StageOutput(self.kept(), dropped, manifest.get("groups", {}), manifest.get("notes", {}))

    def kept(self) -> list[Record]:
        """The records the stage's last stored output kept."""
        return [from_json(json.loads(line)) for line in _lines(self.folder / "kept.jsonl")]

    def save(self, name: str, digest: str, n_in: int, output: StageOutput) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text_atomically(
            self.folder / "kept.jsonl",
            "".join(json.dumps(to_json(r), ensure_ascii=False) + "\n" for r in output.kept),
        )
        write_text_atomically(
            self.folder / "dropped.jsonl",
            "".join(json.dumps(d.__dict__, ensure_ascii=False) + "\n" for d in output.dropped),
        )
        reasons = Counter(_reason_class(drop.reason) for drop in output.dropped)
        manifest = {
            "stage": name,
            "in": n_in,
            "out": len(output.kept),
            "errors": output.errors,
            "drops": dict(sorted(reasons.items())),
            "groups": output.groups,
            "notes": output.notes,
        }
        mark_done(self.manifest_path, digest, manifest)  # last: it is what marks the stage finished


def stage_digest(stage: Stage, context: StageContext, input_fingerprint: str) -> str:
    return settings_hash(
        {"stage": stage.name, "version": stage.version, "input": input_fingerprint}
        | {"settings": stage.fingerprint(context)}
    )


def _reason_class(reason: str) -> str:
    """The reason without item-specific detail, for counting (text before the first '(')."""
    return reason.split(" (")[0]


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
