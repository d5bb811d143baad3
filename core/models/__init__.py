"""The attribute networks: the batched bank, checkpoints, training, evaluation, metrics."""
