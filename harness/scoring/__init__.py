"""Scoring: answers read from responses, per-item metrics and their declarations, the benchmarks'
own protocols, task summaries and the statistics behind intervals."""
