"""`python -m train sft|grpo --config FILE` (what `accelerate launch -m train ...` runs)."""

from train.cli import main

main()
