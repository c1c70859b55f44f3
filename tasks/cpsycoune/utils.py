"""Hooks named by the CPsyCounE task file; the logic lives in the harness package."""

from harness.lmeval_tasks import cpsycoune_dataset, process_judged

__all__ = ["cpsycoune_dataset", "process_judged"]
