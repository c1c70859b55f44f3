"""Fetching the public sources (served here from 127.0.0.1) into the cache when no data dir is set."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import FIXTURE_DATA

from harness.data.fetch import CPSYEXAM, PCEB, content_digest
from harness.data.location import resolve_data_dir
from harness.data.pceb import load_pceb_mcq
from harness.errors import HarnessError


def _archives(folder: Path) -> None:
    """A repository tarball (<repo>-<commit>/benchmark/...) and CPsyExam's zip (cpsyexam/<split>/...)."""
    with tarfile.open(folder / "pceb.tar.gz", "w:gz") as archive:
        archive.add(FIXTURE_DATA / "PCEB" / "benchmark", arcname="PsycoLLM-abc/benchmark")
        readme = io.BytesIO(b"not data")
        info = tarfile.TarInfo("PsycoLLM-abc/README.md")
        info.size = len(readme.getvalue())
        archive.addfile(info, readme)
    with zipfile.ZipFile(folder / "cpsyexam.zip", "w") as archive:
        for path in (FIXTURE_DATA / "CPsyExam").rglob("*.json"):
            archive.write(path, path.relative_to(FIXTURE_DATA / "CPsyExam").as_posix())


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The two archives on a local server, their digests set as a mirror's would be."""
    folder = tmp_path / "served"
    folder.mkdir()
    _archives(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.delenv("PSYCHE_DATA_DIR")
    monkeypatch.setenv("PSYCHE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PSYCHE_PCEB_URL", f"{base}/pceb.tar.gz")
    monkeypatch.setenv("PSYCHE_CPSYEXAM_URL", f"{base}/cpsyexam.zip")
    monkeypatch.setenv("PSYCHE_PCEB_SHA256", content_digest(FIXTURE_DATA / "PCEB" / "benchmark"))
    monkeypatch.setenv(
        "PSYCHE_CPSYEXAM_SHA256", hashlib.sha256((folder / "cpsyexam.zip").read_bytes()).hexdigest()
    )
    yield folder
    server.shutdown()


def test_data_is_fetched_once_into_the_cache_when_no_data_dir_is_set(tmp_path: Path, served: Path) -> None:
    data_dir = resolve_data_dir(None)
    for archive in served.iterdir():
        archive.unlink()  # the second call must not need the server
    assert data_dir == tmp_path / "cache" / "data"
    assert len(load_pceb_mcq(data_dir, "moral", "single").docs) == 2
    assert (data_dir / "CPsyExam" / "cpsyexam" / "dev").is_dir()
    assert not (data_dir / "PCEB" / "README.md").exists()
    assert resolve_data_dir(None) == data_dir  # the second call uses the cache
    assert (data_dir / "PCEB" / ".complete").read_text().startswith("MindIntLab-HFUT/PsycoLLM@131bb2d")


def test_data_with_another_digest_than_the_pinned_one_is_refused_and_not_kept(
    tmp_path: Path, served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSYCHE_CPSYEXAM_SHA256", "0" * 64)
    with pytest.raises(HarnessError, match="CPsyExam: the data from .* has sha256 .*, not the pinned 0000"):
        resolve_data_dir(None)
    assert not (tmp_path / "cache" / "data" / "CPsyExam").exists()
    assert not list((tmp_path / "cache" / "data").glob(".*.part"))


def test_a_half_extracted_folder_is_fetched_again(tmp_path: Path, served: Path) -> None:
    half = tmp_path / "cache" / "data" / "PCEB" / "benchmark" / "moral"
    half.mkdir(parents=True)  # a crash mid-extraction left this, without the completion marker
    data_dir = resolve_data_dir(None)
    assert len(load_pceb_mcq(data_dir, "moral", "single").docs) == 2
    assert content_digest(data_dir / "PCEB") == content_digest(FIXTURE_DATA / "PCEB")


def test_the_pinned_digests_are_those_of_the_benchmark_files() -> None:
    from conftest import REAL_DATA

    if not (REAL_DATA / "PCEB").is_dir():
        pytest.skip("real benchmark files not present")
    assert content_digest(REAL_DATA / "PCEB" / "benchmark") == PCEB.digest
    assert (
        hashlib.sha256((REAL_DATA / "CPsyExam" / "cpsyexam.zip").read_bytes()).hexdigest() == CPSYEXAM.digest
    )


def test_offline_without_a_data_dir_says_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSYCHE_DATA_DIR")
    monkeypatch.setenv("PSYCHE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PSYCHE_PCEB_URL", "http://127.0.0.1:9/unreachable.tar.gz")
    with pytest.raises(HarnessError, match="--data-dir or PSYCHE_DATA_DIR"):
        resolve_data_dir(None)
