"""A sweep as a DAG of memoised steps: synthesis -> data -> SFT -> GRPO -> eval. A step's digest is
the hash of its kind, its settings and the digests of the steps it needs, so variants share every
step they have in common (each variant without training shares one Base eval), and editing one
variant changes only the digests of its own steps."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from sweep.config import SweepFile, Variant

KINDS = ("synth", "data", "sft", "grpo", "eval")


@dataclass(frozen=True)
class Step:
    kind: str
    digest: str
    settings: dict[str, Any]
    needs: tuple[str, ...]  # digests of the steps whose outputs it reads

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.digest[:12]}"


@dataclass
class Plan:
    steps: dict[str, Step] = field(default_factory=dict)  # digest -> step, in a runnable order
    chains: dict[str, list[str]] = field(default_factory=dict)  # variant -> its steps' digests
    evals: dict[str, str] = field(default_factory=dict)  # variant -> its eval step's digest

    def users(self, digest: str) -> list[str]:
        return [name for name, chain in self.chains.items() if digest in chain]


def plan_sweep(sweep: SweepFile) -> Plan:
    plan = Plan()
    for name, variant in sweep.expand().items():
        builder = _ChainBuilder(plan, name)
        model: dict[str, Any] = {"base": variant.model}
        data = _data_steps(sweep, variant, builder.add)
        for kind in ("sft", "grpo"):
            step = getattr(variant, kind)
            if step is None:
                continue
            settings = {
                "config": str(sweep.resolve(step.config)),
                "config_sha256": _file_hash(sweep.resolve(step.config)),
                "data_sha256": _data_hashes(sweep.resolve(step.config), step.overrides),
                "overrides": step.overrides,
                **_accelerate(sweep, step.accelerate),
                "model": model,
                "name": f"{sweep.name}-{kind}",
            }
            needs = (*([data[kind]] if kind in data else []), *([model["step"]] if "step" in model else []))
            model = {"step": builder.add(kind, settings, needs)}
        eval_settings = variant.eval.model_dump() | {"model": model}
        plan.evals[name] = builder.add(
            "eval", eval_settings, tuple(v for v in model.values() if v in plan.steps)
        )
    return plan


class _ChainBuilder:
    """Adds a variant's steps to the plan (a step already there is shared, not repeated)."""

    def __init__(self, plan: Plan, variant: str) -> None:
        self.plan = plan
        self.chain = plan.chains.setdefault(variant, [])

    def add(self, kind: str, settings: dict[str, Any], needs: tuple[str, ...]) -> str:
        digest = _digest(kind, settings, needs)
        self.plan.steps.setdefault(digest, Step(kind, digest, settings, needs))
        self.chain.append(digest)
        return digest


def _data_steps(sweep: SweepFile, variant: Variant, add: Any) -> dict[str, str]:
    """A data step per training step that needs one: SFT's depends only on the SFT settings of the
    recipe, so variants that differ in GRPO data share their SFT step."""
    recipe = variant.data
    if recipe.synth is None or (variant.sft is None and variant.grpo is None):
        return {}
    path = sweep.resolve(recipe.synth)
    synth = add("synth", {"config": str(path), "config_sha256": _file_hash(path)}, ())
    fields = {"sft": ("sft_parts", "rationales"), "grpo": ("grpo_parts", "challenging", "seed")}
    return {
        kind: add("data", {"for": kind} | recipe.model_dump(include=set(names)), (synth,))
        for kind, names in fields.items()
        if getattr(variant, kind) is not None
    }


def _accelerate(sweep: SweepFile, config: str | None) -> dict[str, str]:
    if config is None:
        return {}
    path = sweep.resolve(config)
    return {"accelerate": str(path), "accelerate_sha256": _file_hash(path)}


# Settings that are paths: a step is its files' contents (their sha256 sit beside), so moving the
# sweep's folder keeps every step's digest, and an edited file changes it.
PATH_SETTINGS = ("config", "accelerate")


def _data_hashes(config: Path, overrides: dict[str, Any]) -> dict[str, str]:
    """The sha256 of each data file a training step names (`data: [{path: ...}]`, overrides
    included), by the path as written: a file cut or edited makes the step new."""
    from sweep.config import training_settings

    try:
        sources = training_settings(config, overrides).get("data") or []
    except HarnessError:
        return {}  # the sweep's load-time check names an unreadable config
    hashes = {}
    for source in sources if isinstance(sources, list) else []:
        if isinstance(source, dict) and source.get("path"):
            file = config.parent / str(source["path"])
            # not there yet (a data step's output replaces it, or the user adds it): a later file changes the step
            hashes[str(source["path"])] = _file_hash(file) if file.is_file() else "absent"
    return hashes


def _digest(kind: str, settings: dict[str, Any], needs: tuple[str, ...]) -> str:
    contents = {key: value for key, value in settings.items() if key not in PATH_SETTINGS}
    payload = json.dumps([kind, contents, list(needs)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise HarnessError(f"{path}: cannot read it ({error.strerror})") from None
