"""`ablation seeds-overlay`: the config overlay that adds the seeds a study needs.

Reads the leaderboard the workflow wrote (``results/stats/leaderboard.parquet``),
works out how many seeds would separate the leading configurations from the best
(`ablation.stats.power.seeds_to_separate`) and writes a config overlay that extends
the grid's seeds to that number, for `snakemake --configfile`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

SUMMARY = "write the config overlay that adds the seeds to separate the leading configurations"
EXAMPLES = """\
  ablation seeds-overlay -o config/more_seeds.yaml       # from results/stats/leaderboard.parquet
  snakemake --configfile config/more_seeds.yaml          # train only the new seeds' runs
  ablation seeds-overlay --max-seeds 10                  # print it; plan at most 10 seeds
"""


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ablation import layout
    from ablation.cli.commands import _config_paths, _under
    from ablation.console import UsageError
    from ablation.io import write_text_atomic
    from ablation.stats.power import seeds_overlay, seeds_to_separate
    from ablation.study import load_study

    root = Path(args.directory)
    board_path = _under(root, args.leaderboard)
    if not board_path.exists():
        raise UsageError(
            f"--leaderboard {board_path}: no such file; run `snakemake "
            f"{layout.csv_path('leaderboard')}` first, or pass the leaderboard of the study"
        )
    study, _ = load_study(_config_paths(args, root))
    plan = seeds_to_separate(pd.read_parquet(board_path), args.max_seeds)
    text = seeds_overlay(study["grid"]["seed"], plan, source=str(args.leaderboard))
    if args.output:
        write_text_atomic(_under(root, args.output), text)
        print(f"wrote {args.output}: grid seeds {plan['seeds_run']} -> {plan['seeds_total']}")
    else:
        print(text, end="")
    return 0
