"""Fetching the public sources (served here from 127.0.0.1) into the cache when no data dir is set."""

from __future__ import annotations

import io
import tarfile
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import FIXTURE_DATA

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


def test_data_is_fetched_once_into_the_cache_when_no_data_dir_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = tmp_path / "served"
    served.mkdir()
    _archives(served)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.delenv("PSYCHE_DATA_DIR")
    monkeypatch.setenv("PSYCHE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PSYCHE_PCEB_URL", f"{base}/pceb.tar.gz")
    monkeypatch.setenv("PSYCHE_CPSYEXAM_URL", f"{base}/cpsyexam.zip")
    try:
        data_dir = resolve_data_dir(None)
    finally:
        server.shutdown()
    assert data_dir == tmp_path / "cache" / "data"
    assert len(load_pceb_mcq(data_dir, "moral", "single").docs) == 2
    assert (data_dir / "CPsyExam" / "cpsyexam" / "dev").is_dir()
    assert not (data_dir / "PCEB" / "README.md").exists()
    assert resolve_data_dir(None) == data_dir  # the second call uses the cache (server is down)


def test_offline_without_a_data_dir_says_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSYCHE_DATA_DIR")
    monkeypatch.setenv("PSYCHE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PSYCHE_PCEB_URL", "http://127.0.0.1:9/unreachable.tar.gz")
    with pytest.raises(HarnessError, match="--data-dir or PSYCHE_DATA_DIR"):
        resolve_data_dir(None)
