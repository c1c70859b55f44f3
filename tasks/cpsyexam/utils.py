"""Hooks named by the CPsyExam task files; the logic lives in the harness package."""

from harness.lmeval_tasks import cpsyexam_dataset, process_mcq, total

__all__ = ["cpsyexam_dataset", "process_mcq", "total"]
