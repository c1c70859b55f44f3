"""Ablation sweeps (paper section 3.3): `harness sweep`."""
