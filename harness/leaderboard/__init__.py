"""Leaderboards: pure functions of the paper's reference CSVs and of run folders."""
