"""The speed benchmarks behind `ablation bench`: an epoch, a pack, a whole study."""
