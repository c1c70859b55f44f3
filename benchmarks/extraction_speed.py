"""Answer extraction on adversarial inputs: milliseconds per input, the slowest case, and the
target (any 1 MB input under 50 ms). Usage: python benchmarks/extraction_speed.py [--size-mb 1] [--rounds 5]"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from harness.scoring.answers import extract_choices


def adversarial_inputs(size: int) -> dict[str, str]:
    """Inputs of about `size` characters built from patterns that made the first extractor quadratic."""
    units = {
        "unclosed answer tags": "<answer>",
        "unclosed json answer lists": '"ans": [',
        "answer markers without letters": "答案",
        "weak markers without letters": "选择",
        "markers that are also lead-ins": "应选",
        "answer tag pairs without letters": "<answer>x</answer>",
        "answer tag pairs with letters": "<answer>A</answer>",
        "unclosed boxes": "\\boxed{",
        "letter lists": "A、",
        "markers with letters": "答案A ",
        "english markers": "answer: ",
        "said right": "A正确，",
        "letters and the word and": "A and ",
        "bare answer words": "答：",
    }
    inputs = {name: unit * (size // len(unit)) for name, unit in units.items()}
    inputs["a marker and spaces"] = "答案" + " " * size
    inputs["reasoning then answer"] = "这是分析。" * (size // 5) + "故答案为C。"
    inputs["a letter list said right"] = "A、" * (size // 2) + "正确"
    return inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    size = int(args.size_mb * (1 << 20))
    print(f"load average {os.getloadavg()[0]:.2f}; {args.rounds} rounds per input; median (min-max) ms")
    slowest = ("", 0.0)
    for name, text in adversarial_inputs(size).items():
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            extract_choices(text, "ABCD", multi=True)
            times.append(1000 * (time.perf_counter() - started))
        median = statistics.median(times)
        print(f"{name:36s} {len(text) / 1e6:5.2f} M chars  {median:7.1f} ({min(times):.1f}-{max(times):.1f})")
        slowest = max(slowest, (name, median), key=lambda pair: pair[1])
    print(f"slowest: {slowest[0]} {slowest[1]:.1f} ms = {slowest[1] / 50:.2f}x the 50 ms target")


if __name__ == "__main__":
    main()
