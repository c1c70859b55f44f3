"""The pipeline's stages, one module each (paper sections 2.1-2.4)."""
