"""The analysis/report tail of a trained study: this checkout's workflow against another's.

    python scripts/bench_tail.py --baseline cd44c46 [--study config/quick.yaml] [--repeats 2]

Trains the study once (3 epochs, milestones 1-3) in a temporary folder with this
checkout's workflow, copies the trained runs beside a copy of the baseline commit's
workflow (`git archive REV Snakefile workflow config profiles`), then, alternating
between the two, deletes every table, figure and the report and times `snakemake --cores N`
back to the report. Both run the installed `ablation` library: what differs is how the
workflow runs its jobs. Prints each wall time and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = ("Snakefile", "workflow", "config", "profiles", "envs")
SHORT = "training:\n  epochs: 3\n  milestones: [1, 2, 3]\n"
MADE = ("results/metrics.parquet", "results/confusion.parquet", "results/runs.parquet",
        "results/summary.csv", "results/summary.parquet", "results/stats", "results/plots",
        "reports/summary.html")  # fmt: skip


def snakemake(folder: Path, study: str, cores: int) -> float:
    command = [sys.executable, "-m", "snakemake", "--cores", str(cores), "-q",
               "--configfile", study, "short.yaml"]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, cwd=folder, check=True, capture_output=True)
    return time.perf_counter() - started


def copy_workflow(into: Path, rev: str | None) -> Path:
    into.mkdir(parents=True)
    if rev is None:
        for name in WORKFLOW:
            copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
            copy(REPO / name, into / name)
    else:
        archive = subprocess.run(["git", "archive", rev, *WORKFLOW], cwd=REPO, check=True,
                                 capture_output=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "short.yaml").write_text(SHORT)
    return into


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="a git revision of this repository")
    parser.add_argument("--study", default="config/quick.yaml")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        this = copy_workflow(Path(tmp, "this"), None)
        base = copy_workflow(Path(tmp, "base"), args.baseline)
        ways = {"this checkout": this, f"baseline {args.baseline}": base}
        trained = snakemake(this, args.study, args.cores)
        print(f"{args.study} (3 epochs) from scratch, to the report: {trained:.1f} s")
        for name in ("results", "logs", "benchmarks", ".snakemake"):
            shutil.copytree(this / name, base / name, dirs_exist_ok=True)
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.repeats):
            for name, folder in ways.items():
                for made in MADE:
                    shutil.rmtree(folder / made, ignore_errors=True)
                    (folder / made).unlink(missing_ok=True)
                times[name].append(snakemake(folder, args.study, args.cores))
                print(f"  {name:<28} {times[name][-1]:6.1f} s")
        mine, theirs = (statistics.median(t) for t in times.values())
        print(f"tail, median: {mine:.1f} s against {theirs:.1f} s: {mine / theirs:.2f}x")


if __name__ == "__main__":
    main()
