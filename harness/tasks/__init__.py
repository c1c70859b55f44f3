"""The task catalog: the task files indexed (names, groups, metrics, scorers, layouts) without
reading data, and tasks built from them (docs, prompts) directly or through lm-eval."""
