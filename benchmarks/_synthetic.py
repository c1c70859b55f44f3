"""A synthetic data directory in the PCEB schema, for benchmarks that need many distinct prompts."""

from __future__ import annotations

import json
from pathlib import Path


def write_pceb_theory(root: Path, count: int) -> Path:
    """PCEB/benchmark/theory/single/second/bench.json with `count` distinct questions."""
    folder = root / "PCEB" / "benchmark" / "theory" / "single" / "second"
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {
            "id": i,
            "question": f"第{i}题：下列关于心理学的说法中，正确的是（　　）。",
            "answer": "ABCD"[i % 4],
            "options": {"A": "选项一", "B": "选项二", "C": "选项三", "D": "选项四"},
            "analysis": "",
        }
        for i in range(count)
    ]
    (folder / "bench.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return root
