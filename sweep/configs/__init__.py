"""The shipped sweep files and the paper's Tables 3 and 4 (transcribed)."""

from pathlib import Path

SHIPPED = Path(__file__).parent
