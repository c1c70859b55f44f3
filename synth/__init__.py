"""Data synthesis producer (paper sections 2.1-2.4): `harness synth`."""
