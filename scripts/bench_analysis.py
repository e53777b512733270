"""Time the whole analysis of a study of the default size: 108 runs x 13 milestones.

    python scripts/bench_analysis.py [--repeat 3]

Prints the seconds of every statistics step (best of ``--repeat``), the total
against the 5 s target, and, side by side, the steps the choice on validation
adds (the early-stopping leaderboard, the ANOVA; the power columns live inside
the leaderboard) as a ratio to the rest of the analysis.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ablation import steps
from ablation.aggregate import config_summary, run_summary
from ablation.stats.analyze import analysis_defaults

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the synthetic study
from synthetic import synthetic_study  # noqa: E402

TARGET_SECONDS = 5.0
ADDED = ("analyze_leaderboard", "analyze_anova")  # selection, power, model


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    metrics, confusion = synthetic_study()
    print(f"synthetic study: {metrics['run_id'].nunique()} runs, {len(metrics)} metric rows")
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        started = time.perf_counter()
        runs = run_summary(metrics)
        seconds = {"run_summary": time.perf_counter() - started}
        aggregates = {"metrics": metrics, "runs": runs, "confusion": confusion}
        tables = {**aggregates, "summary": config_summary(runs)}
        steps.run_all(tables, analysis_defaults(), draw=False, seconds=seconds)
        best = {k: min(v, best.get(k, v)) for k, v in seconds.items()}
    for step, seconds in best.items():
        print(f"  {step:28s} {seconds:7.3f} s{'   (selection / model)' if step in ADDED else ''}")
    total = sum(best.values())
    added = sum(best[k] for k in ADDED)
    verdict = "met" if total < TARGET_SECONDS else "MISSED"
    print(f"whole analysis: {total:.2f} s, target {TARGET_SECONDS:g} s {verdict} "
          f"({total / TARGET_SECONDS:.2f} of it)")  # fmt: skip
    print(f"selection, power and model: {added:.2f} s | the rest: {total - added:.2f} s | "
          f"ratio {added / (total - added):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
