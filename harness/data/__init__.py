"""Benchmark loaders: each reads its benchmark's original files from a data directory."""
