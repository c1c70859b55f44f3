"""A refactor changes no number: results.json of a fixed run (PCEB and CPsyExam zero- and
five-shot on the fixture data, a mock model) is byte for byte the stored one, once the fields
that record when and where it ran are set aside. A deliberate change of results.json
regenerates the stored file:

    python tests/test_results_unchanged.py   (writes tests/fixtures/golden_results.json)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden_results.json"
TASKS = ["pceb", "cpsyexam", "cpsyexam_5shot"]
VOLATILE = {"started_at", "finished_at", "timings", "provenance"}


def fixed_run(folder: Path) -> str:
    """The run's results.json, timestamps and provenance removed, as canonical JSON text."""
    from harness.models import ModelSpec
    from harness.runs.runner import RunOptions, evaluate

    spec = ModelSpec(name="golden", backend="mock", mock_response="答案：B。因为……", category="candidate")
    evaluate(spec, TASKS, RunOptions(output_dir=folder))
    results: dict[str, Any] = json.loads(
        (folder / "golden" / "latest" / "results.json").read_text(encoding="utf-8")
    )
    return json.dumps(_stable(results), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _stable(item) for key, item in value.items() if key not in VOLATILE}
    if isinstance(value, list):
        return [_stable(item) for item in value]
    return value


def test_results_json_of_a_fixed_run_is_unchanged(tmp_path: Path) -> None:
    assert fixed_run(tmp_path) == GOLDEN.read_text(encoding="utf-8"), (
        "results.json changed; if deliberately, regenerate: python tests/test_results_unchanged.py"
    )


if __name__ == "__main__":
    import os
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conftest import FIXTURE_DATA, FIXTURES

    os.environ |= {
        "PSYCHE_DATA_DIR": str(FIXTURE_DATA),
        "PSYCHE_CPSYEXAM_EXEMPLARS": str(FIXTURES / "cpsyexam_exemplars.json"),
    }
    os.environ.pop("PSYCHE_CPSYEXAM_SPLIT", None)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["PSYCHE_CACHE_DIR"] = scratch
        GOLDEN.write_text(fixed_run(Path(scratch) / "out"), encoding="utf-8")
    print(f"wrote {GOLDEN}")
