"""Time the analysis and the report of a synthetic study of about 1,000 runs over 7 axes.

    python scripts/bench_analysis_axes.py [--seeds 4] [--epochs 100]

Prints, side by side with the default 108-run grid as the baseline (same call, same
machine), the seconds of every statistics and figure step (`ablation.steps`), of
turning the figures into PNG and of the page, the
totals, the report size and the ratios; and the 7-axis study against the targets of
10 s for its statistics and 10 MB for its report. The study: 2
datasets x 2 activations x 2 optimizers x 2 weight decays x 2 dropouts x 2 widths
x 4 training-set sizes x 4 seeds = 1,024 runs of 100 epochs (`synthetic_study` of
tests/synthetic.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ablation import steps
from ablation.aggregate import config_summary, run_summary
from ablation.report.figures import FIGURES
from ablation.report.inputs import ReportInputs
from ablation.report.render import build_html
from ablation.stats.analyze import analysis_defaults

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the synthetic study
from synthetic import DEFAULT_GRID, synthetic_study  # noqa: E402

GRID = {
    "dataset": ["mnist", "fashion_mnist"],
    "activation": ["relu", "tanh"],
    "optimizer": ["adam", "sgd"],
    "weight_decay": [0.0, 1e-4],
    "dropout": [0.0, 0.2],
    "hidden_size": [64, 128],
    "train_size": [5000, 10000, 25000, 50000],
}
TARGET_SECONDS, TARGET_MB = 10.0, 10.0


def measure(grid: dict, epochs: int) -> tuple[dict[str, float], float, int]:
    """Seconds of every step (`ablation.steps`), of the PNGs and the page; megabytes; runs."""
    from ablation import plots

    metrics, confusion = synthetic_study(grid, epochs=epochs)
    started = time.perf_counter()
    runs = run_summary(metrics)
    aggregates = {
        "metrics": metrics, "runs": runs, "confusion": confusion, "summary": config_summary(runs),
    }  # fmt: skip
    seconds = {"aggregate (run_summary)": time.perf_counter() - started}
    made = steps.run_all(aggregates, analysis_defaults(), seconds=seconds)
    begun = time.perf_counter()
    figures = {name: plots.figure_bytes(made[name]) for name in FIGURES}
    seconds["figures as PNG"] = time.perf_counter() - begun
    begun = time.perf_counter()
    inputs = ReportInputs(**{k: v for k, v in made.items() if k in ReportInputs.fields()})
    html = build_html(inputs, figures, {"analysis": {}}, sorted(runs["run_id"]))
    seconds["page"] = time.perf_counter() - begun
    analysis = [k for k in seconds if k.startswith(("aggregate", "analyze_"))]
    drawing = [k for k in seconds if k.startswith("plot_") or k == "figures as PNG"]
    totals = {
        "= statistics": sum(seconds[k] for k in analysis),
        "= figures": sum(seconds[k] for k in drawing),
    }
    totals["= analysis and report"] = totals["= statistics"] + totals["= figures"] + seconds["page"]
    return {**seconds, **totals}, len(html.encode()) / 1e6, metrics["run_id"].nunique()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    base, base_mb, base_runs = measure(DEFAULT_GRID, args.epochs)
    wide, wide_mb, wide_runs = measure({**GRID, "seed": list(range(args.seeds))}, args.epochs)
    print(f"{'step':34s} {'default':>9s} {'7 axes':>9s} {'ratio':>7s}")
    print(f"{'runs':34s} {base_runs:9d} {wide_runs:9d} {wide_runs / base_runs:7.1f}")
    for name in dict.fromkeys([*base, *wide]):
        b, w = base.get(name, float("nan")), wide.get(name, float("nan"))
        print(f"{name:34s} {b:8.2f}s {w:8.2f}s {w / b if b else float('nan'):7.1f}")
    print(f"{'report size (MB)':34s} {base_mb:9.2f} {wide_mb:9.2f} {wide_mb / base_mb:7.1f}")
    print(
        f"targets for the 7-axis study: statistics {wide['= statistics']:.1f} s "
        f"(< {TARGET_SECONDS:g} s), report {wide_mb:.1f} MB (< {TARGET_MB:g} MB)"
    )


if __name__ == "__main__":
    main()
