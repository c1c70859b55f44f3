"""Hooks named by the PsyDT task file; the logic lives in the harness package."""

from harness.lmeval_tasks import process_judged, psydt_dataset

__all__ = ["process_judged", "psydt_dataset"]
