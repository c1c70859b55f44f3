"""Fetch the benchmarks from their public sources into a local cache (for machines that are online).

The sources are the commits named in each benchmark's SOURCE.md; each URL can be overridden by an
environment variable (a mirror, or a local server in tests).
"""

from __future__ import annotations

import io
import os
import tarfile
import urllib.request
import zipfile
from pathlib import Path

from harness.errors import HarnessError

PCEB_URL = (
    "https://codeload.github.com/MindIntLab-HFUT/PsycoLLM/tar.gz/131bb2d928891eb6c3d137e706512768c8d910a3"
)
CPSYEXAM_URL = "https://huggingface.co/datasets/CAS-SIAT-XinHai/CPsyExam/resolve/main/cpsyexam.zip"
PSYDT_URL = "https://huggingface.co/datasets/YIRONGCHEN/PsyDTCorpus/resolve/main/PsyDTCorpus_test_single_turn_split.json"
CACHE_ENV = "PSYCHE_CACHE_DIR"


def cache_root() -> Path:
    """Where fetched data lives: $PSYCHE_CACHE_DIR or ~/.cache/psyche-harness."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "psyche-harness")


def fetch_public_data(timeout: float = 30.0) -> Path:
    """A data directory holding PCEB/ and CPsyExam/, downloaded once from the public sources."""
    target = cache_root() / "data"
    if (target / "PCEB" / "benchmark").is_dir() and (target / "CPsyExam" / "cpsyexam").is_dir():
        return target
    pceb_url = os.environ.get("PSYCHE_PCEB_URL", PCEB_URL)
    cpsyexam_url = os.environ.get("PSYCHE_CPSYEXAM_URL", CPSYEXAM_URL)
    try:
        if not (target / "PCEB" / "benchmark").is_dir():
            _extract_pceb(_download(pceb_url, timeout), target / "PCEB")
        if not (target / "CPsyExam" / "cpsyexam").is_dir():
            with zipfile.ZipFile(io.BytesIO(_download(cpsyexam_url, timeout))) as archive:
                archive.extractall(target / "CPsyExam")
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as error:
        raise HarnessError(
            f"no data directory given (--data-dir or PSYCHE_DATA_DIR) and fetching the public sources failed: {error}"
        ) from None
    return target


def _download(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - fixed https sources
        data: bytes = response.read()
        return data


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
    """PsyDTCorpus's single-turn test file, downloaded once into the cache."""
    target = cache_root() / "data" / "PsyDTCorpus" / "PsyDTCorpus_test_single_turn_split.json"
    if target.is_file():
        return target
    try:
        data = _download(os.environ.get("PSYCHE_PSYDT_URL", PSYDT_URL), timeout)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as error:
        raise HarnessError(str(error)) from None
    return target
