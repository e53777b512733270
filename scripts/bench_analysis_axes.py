"""Time the analysis and the report of a synthetic study of about 1,000 runs over 7 axes.

    python scripts/bench_analysis_axes.py [--seeds 4] [--epochs 100]

Prints the seconds of every statistics step and every figure, the total, and the
size of the report page, against the targets of 10 s and 10 MB. The study: 2
datasets x 2 activations x 2 optimizers x 2 weight decays x 2 dropouts x 2 widths
x 4 training-set sizes x seeds (`ablation.stats.synthetic.synthetic_study`).
"""

from __future__ import annotations

import argparse
import time

from ablation.aggregate import config_summary, run_summary
from ablation.report.axes_sections import figure_applies
from ablation.report.build import FIGURE_MAKERS
from ablation.report.inputs import ReportInputs
from ablation.report.render import build_html
from ablation.stats.analyze import analyze_all, timed_all
from ablation.stats.synthetic import synthetic_study

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    from ablation import plots

    grid = {**GRID, "seed": list(range(args.seeds))}
    metrics, confusion = synthetic_study(grid, epochs=args.epochs)
    n_runs = metrics["run_id"].nunique()
    print(f"synthetic study: {n_runs} runs over 7 axes, {len(metrics)} metric rows")
    started = time.perf_counter()
    runs = run_summary(metrics)
    steps = {"run_summary": time.perf_counter() - started}
    steps.update(timed_all(metrics, runs, confusion))
    tables = {
        "metrics": metrics, "runs": runs, "summary": config_summary(runs),
        **analyze_all(metrics, runs, confusion),
    }  # fmt: skip
    analysis = sum(steps.values())
    figures, drawing = {}, {}
    for name, make in FIGURE_MAKERS.items():
        if figure_applies(name, tables):
            begun = time.perf_counter()
            figures[name] = plots.figure_bytes(make(tables, 0.95))
            drawing[name] = time.perf_counter() - begun
    begun = time.perf_counter()
    inputs = ReportInputs(**{k: v for k, v in tables.items() if k in ReportInputs.fields()})
    html = build_html(inputs, figures, {"analysis": {}}, sorted(runs["run_id"]))
    page = time.perf_counter() - begun
    for name, seconds in {**steps, **drawing}.items():
        print(f"  {name:28s} {seconds:6.2f} s")
    total = analysis + sum(drawing.values()) + page
    megabytes = len(html.encode()) / 1e6
    print(f"analysis (statistics) {analysis:6.2f} s   target < {TARGET_SECONDS:g} s")
    print(f"figures               {sum(drawing.values()):6.2f} s")
    print(f"page                  {page:6.2f} s")
    print(f"analysis and report   {total:6.2f} s")
    print(f"report size           {megabytes:6.2f} MB  target < {TARGET_MB:g} MB")


if __name__ == "__main__":
    main()
