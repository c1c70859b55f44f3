"""A run: planned, its responses fetched (cache first), scored, and written as a run folder
(spec.json, results.json, samples); the run folders listed and read back."""
