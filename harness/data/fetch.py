"""Fetch the benchmarks from their public sources into a local cache (for machines that are online).

Each source names a fixed revision and a sha256: CPsyExam's zip is checked byte for byte; PCEB
comes as a GitHub archive of a commit, whose bytes GitHub does not promise to keep, so the files
extracted from it are checked (a digest over each file's path and sha256). A download is extracted
into a temporary folder, verified, then renamed into place with a completion marker: a folder left
half-extracted by a crash has no marker and is fetched again. A URL can be overridden by an
environment variable (a mirror, or a local server in tests), and then its digest too.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.files import write_bytes_atomically

CACHE_ENV = "PSYCHE_CACHE_DIR"
COMPLETE_MARKER = ".complete"


@dataclass(frozen=True)
class Source:
    """A pinned public source: where it is, which revision, and the digest its content must have."""

    name: str
    url: str
    revision: str
    digest: str  # sha256 of the archive bytes, or of the extracted content (see digest_of)
    digest_of: str  # "archive", or "content" (of the extracted `content_root` folder)
    folder: str  # under the cache's data/ folder
    url_env: str
    digest_env: str
    content_root: str = ""

    def resolved(self) -> tuple[str, str]:
        """The URL and expected digest, as overridden by the environment."""
        return os.environ.get(self.url_env, self.url), os.environ.get(self.digest_env, self.digest)


PCEB = Source(
    name="PCEB",
    url="https://codeload.github.com/MindIntLab-HFUT/PsycoLLM/tar.gz/131bb2d928891eb6c3d137e706512768c8d910a3",
    revision="MindIntLab-HFUT/PsycoLLM@131bb2d928891eb6c3d137e706512768c8d910a3",
    digest="36275f2b16524cbaffa4256abcaf86cd6c83f9d7773bd3c9e160ee92bdb04df9",
    digest_of="content",
    folder="PCEB",
    url_env="PSYCHE_PCEB_URL",
    digest_env="PSYCHE_PCEB_SHA256",
    content_root="benchmark",
)
CPSYEXAM = Source(
    name="CPsyExam",
    url="https://github.com/CAS-SIAT-XinHai/CPsyExam/raw/2cb3af80851659303020bb7480e662dddf806456/"
    "evaluations/llmeval/cpsyexam/cpsyexam.zip",
    revision="CAS-SIAT-XinHai/CPsyExam@2cb3af80851659303020bb7480e662dddf806456",
    digest="c4f2f30f657a026af137937273832ae6047a528fbc4934b58201c1c1b6c378ed",
    digest_of="archive",
    folder="CPsyExam",
    url_env="PSYCHE_CPSYEXAM_URL",
    digest_env="PSYCHE_CPSYEXAM_SHA256",
)
# PsyDTCorpus is published only on the Hugging Face hub / ModelScope; no revision of it could be
# hashed from here, so its file is not pinned: set PSYCHE_PSYDT_SHA256 to check one. Every run
# records the sha256 of the file it read.
PSYDT_URL = "https://huggingface.co/datasets/YIRONGCHEN/PsyDTCorpus/resolve/main/PsyDTCorpus_test_single_turn_split.json"


def cache_root() -> Path:
    """Where fetched data lives: $PSYCHE_CACHE_DIR or ~/.cache/psyche-harness."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "psyche-harness")


def content_digest(folder: Path) -> str:
    """sha256 over every file under `folder`: its relative path and the sha256 of its bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != COMPLETE_MARKER):
        file_digest = hashlib.sha256(path.read_bytes()).hexdigest()
        digest.update(f"{path.relative_to(folder).as_posix()}\0{file_digest}\n".encode())
    return digest.hexdigest()


def fetch_public_data(timeout: float = 30.0) -> Path:
    """A data directory holding PCEB/ and CPsyExam/, downloaded once from the pinned sources."""
    target = cache_root() / "data"
    try:
        _fetch(PCEB, target, _extract_pceb, timeout)
        _fetch(CPSYEXAM, target, _extract_zip, timeout)
    except OSError as error:
        raise HarnessError(
            f"no data directory given (--data-dir or PSYCHE_DATA_DIR) and fetching the public sources failed: {error}"
        ) from None
    return target


def _fetch(source: Source, data_root: Path, extract: Callable[[bytes, Path], None], timeout: float) -> None:
    """Download, extract into a temporary folder, verify, and move into place with a marker."""
    destination = data_root / source.folder
    if (destination / COMPLETE_MARKER).is_file():
        return
    url, expected = source.resolved()
    archive = _download(url, timeout)
    if source.digest_of == "archive":
        _check(source, url, hashlib.sha256(archive).hexdigest(), expected)
    data_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=data_root, prefix=f".{source.folder}.", suffix=".part"))
    try:
        try:
            extract(archive, staging)
        except (tarfile.TarError, zipfile.BadZipFile) as error:
            raise HarnessError(
                f"{source.name}: the archive from {url} is damaged ({error}); nothing was kept"
            ) from None
        if source.digest_of == "content":
            _check(source, url, content_digest(staging / source.content_root), expected)
        (staging / COMPLETE_MARKER).write_text(f"{source.revision}\n{expected}\n", encoding="utf-8")
        if destination.exists():  # a half-extracted folder from an earlier, interrupted fetch
            shutil.rmtree(destination)
        staging.rename(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check(source: Source, url: str, found: str, expected: str) -> None:
    if found != expected:
        raise HarnessError(
            f"{source.name}: the data from {url} has sha256 {found}, not the pinned {expected} "
            f"({source.revision}); nothing was kept (a mirror with other files needs {source.digest_env})"
        )


def _download(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - fixed https sources
        data: bytes = response.read()
        return data


def _extract_zip(archive_bytes: bytes, destination: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        archive.extractall(destination)


def _extract_pceb(archive_bytes: bytes, destination: Path) -> None:
    """Keep only <repo>/benchmark/** of the repository archive, as PCEB/benchmark/**."""
    with tarfile.open(fileobj=io.BytesIO(archive_bytes), mode="r:gz") as archive:
        members = []
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if len(parts) > 1 and parts[1] == "benchmark" and (member.isfile() or member.isdir()):
                member.name = str(Path(*parts[1:]))
                members.append(member)
        if not members:
            raise tarfile.TarError("the PCEB archive has no benchmark/ folder")
        archive.extractall(destination, members=members, filter="data")


def fetch_psydt(timeout: float = 60.0) -> Path:
    """PsyDTCorpus's single-turn test file, downloaded once into the cache (checked against
    PSYCHE_PSYDT_SHA256 when set)."""
    target = cache_root() / "data" / "PsyDTCorpus" / "PsyDTCorpus_test_single_turn_split.json"
    if target.is_file():
        return target
    url = os.environ.get("PSYCHE_PSYDT_URL", PSYDT_URL)
    try:
        data = _download(url, timeout)
    except OSError as error:
        raise HarnessError(str(error)) from None
    expected = os.environ.get("PSYCHE_PSYDT_SHA256")
    found = hashlib.sha256(data).hexdigest()
    if expected and found != expected:
        raise HarnessError(
            f"PsyDT: the file from {url} has sha256 {found}, not {expected} (PSYCHE_PSYDT_SHA256)"
        )
    write_bytes_atomically(target, data)
    return target
