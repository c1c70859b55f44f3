"""The stages' prompt templates: one text file per prompt and language (`<name>.zh.txt`, with the
English of the paper's Appendix D beside it as `<name>.en.txt`), filled with `${field}`s."""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

SHIPPED = Path(__file__).parent / "prompts"


@dataclass(frozen=True)
class Template:
    name: str
    text: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    def fill(self, **values: object) -> str:
        try:
            return string.Template(self.text).substitute({key: str(value) for key, value in values.items()})
        except (KeyError, ValueError) as error:
            raise HarnessError(
                f"prompt {self.name!r}: cannot fill it ({error}); check its ${{fields}}"
            ) from None


@dataclass(frozen=True)
class PromptSet:
    """Where the templates come from: a folder (the shipped one unless the config names another)
    and a language."""

    folder: Path
    language: str

    def get(self, name: str) -> Template:
        path = self.folder / f"{name}.{self.language}.txt"
        if not path.exists():
            path = SHIPPED / f"{name}.{self.language}.txt"
        try:
            return Template(name, path.read_text(encoding="utf-8").strip())
        except OSError as error:
            raise HarnessError(f"{path}: cannot read the prompt ({error.strerror})") from None

    def digest(self, *names: str) -> str:
        return hashlib.sha256("".join(self.get(name).digest for name in names).encode()).hexdigest()[:16]
