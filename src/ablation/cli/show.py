"""Text views of the `ablation` commands' results: a study's status, a checkpoint's scores."""

from __future__ import annotations

from typing import Any

from ablation import layout
from ablation.config import AXES, format_value, run_path
from ablation.console import format_duration, print_table


def run_label(info: dict) -> str:
    """`activation=relu/... (completed, 10 epochs)` from a checkpoint's metadata."""
    cfg = info.get("config", {})
    try:
        # Older checkpoints lack the axes added since; run_path leaves those out anyway.
        label = run_path({axis: cfg[axis] for axis in AXES if axis in cfg})
    except KeyError:
        return "unknown"
    epochs = info.get("final_epoch")
    return f"{label} ({info.get('status', '?')}, {epochs} epochs)" if epochs else label


def print_predictions(results: list[dict[str, Any]]) -> None:
    for r in results:
        p = r["probabilities"]
        print(f"{r['image']}: {r['class']}  ({p[r['class']]:.1%})")
        for half in (range(0, 5), range(5, 10)):
            print("    " + "  ".join(f"{c}: {p[c]:.4f}" for c in half))


def print_evaluation(checkpoint: str, info: dict, result, stored: float | None) -> None:
    print(f"checkpoint  {checkpoint}")
    print(f"run         {run_label(info)}")
    print(f"data        {result.dataset}, {result.split} split, {result.images} images")
    print(f"loss        {result.loss:.4f}")
    at_training = f"  (at training: {stored:.4f})" if stored is not None else ""
    print(f"accuracy    {result.accuracy:.4f}{at_training}")
    print("\nconfusion matrix (rows: true class, columns: predicted class)")
    matrix = result.confusion
    width = max(5, len(str(int(matrix.max()))) + 1)
    print("true " + "".join(f"{c:>{width}}" for c in range(matrix.shape[1])) + "   accuracy")
    for c, (row, acc) in enumerate(zip(matrix, result.per_class_accuracy(), strict=True)):
        cells = "".join(f"{int(v):>{width}}" for v in row)
        print(f"{c:>4} {cells}   {acc:.4f}" if acc is not None else f"{c:>4} {cells}   -")


def print_status(status, cores: int, states: list[str], show_all: bool) -> None:
    """The study's state in a few lines, then a table of the cells asked for."""
    study = status.study
    grid = study["grid"]
    shape = " x ".join(f"{len(values)} {axis}" for axis, values in grid.items())
    counts = status.counts()
    print(f"study   {status.sources}")
    print(f"grid    {len(status.cells)} runs = {shape}; {study['training']['epochs']} epochs each")
    print("state   " + ", ".join(f"{n} {state}" for state, n in counts.items() if n))
    print(f"left    {_left_line(status, cores)}")
    for warning in status.warnings:
        print(f"warning {warning}")
    if status.outside_grid:
        print(
            f"note    {len(status.outside_grid)} finished runs under {layout.RUNS}/ are not in "
            "this grid (kept on disk, left out of the aggregate)"
        )
    drifted = status.drifted()
    if drifted:
        print(
            f"note    {len(drifted)} runs were trained by other training code than the checkout's "
            "(git); Snakemake does not rerun them by itself: `snakemake --forcerun train_model` "
            "retrains every run"
        )
    if states:
        shown = [c for c in status.cells if c.state in states]
    else:
        shown = [c for c in status.cells if show_all or c.state != "done"]
    if shown:
        print()
        _print_cells(shown, grid)
    elif status.cells and not states:
        print("\nevery run is done; `--all` lists them")


def _left_line(status, cores: int) -> str:
    remaining = status.remaining()
    if not remaining:
        return "nothing: every run is trained"
    running = sum(c.state == "running" for c in remaining)
    runs = f"{len(remaining)} runs" + (f" ({running} running now)" if running else "")
    serial = status.seconds_left()
    if serial is None:
        return f"{runs}; time unknown until a run has been measured"
    estimate = f"about {format_duration(serial)} one job at a time"
    if cores > 1:
        estimate += f", about {format_duration(status.seconds_left(cores))} with --cores {cores}"
    basis = f"training speed of {status.measured_runs} runs"
    if status.measured_jobs:
        basis += f", start-up and evaluation of {status.measured_jobs} jobs"
    else:
        basis += "; start-up and evaluation not yet measured (no benchmark files)"
    return f"{runs}; {estimate} ({basis})"


def _print_cells(cells: list, grid: dict) -> None:
    varying = [axis for axis, values in grid.items() if len(values) > 1] or list(grid)
    rows = []
    for c in cells:
        epoch = f"{c.epoch}/{c.epochs}" if c.epoch is not None else "-"
        notes = list(c.reasons)
        if c.state in ("done", "diverged") and c.test_accuracy is not None:
            notes.insert(0, f"test accuracy {c.test_accuracy:.4f}")
        if c.code == "changed":
            notes.append("trained by other training code (git)")
        rows.append([c.state, epoch, *(format_value(c.cell[a]) for a in varying), "; ".join(notes)])
    print_table(["state", "epoch", *varying, "note"], rows)
