"""Training plugins of the harness (optional extra `train`): SFT then GRPO with trl, producing
candidate models that `harness eval --model <run-name>` picks up by name."""
