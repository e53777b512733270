"""Training: SimpleNet, its deterministic loop and fast path, packs trained in one
process, resume state, checkpoints and the training job."""
