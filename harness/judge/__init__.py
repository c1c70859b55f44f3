"""LLM-as-judge scoring: rubrics from the task files, judge runs, summaries and judge agreement."""
