"""Hooks named by the PCEB task files; the logic lives in the harness package."""

from harness.lmeval_tasks import pceb_dataset, process_mcq, process_open, total

__all__ = ["pceb_dataset", "process_mcq", "process_open", "total"]
