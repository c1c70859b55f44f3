"""psyche-harness: evaluation harness for Chinese psychological LLMs."""

__version__ = "0.1.0"
