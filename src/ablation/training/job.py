"""One training job, from a config to the files it leaves: metrics, confusion, checkpoint."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ablation import environment, provenance
from ablation.config import TrainConfig, run_path
from ablation.data import load_dataset
from ablation.io import write_text_atomic
from ablation.metrics import write_frame, write_metrics
from ablation.training.checkpoint import save_checkpoint
from ablation.training.loop import RunResult, select_device, set_threads, train
from ablation.training.pack import current_run, train_pack, working_on

log = logging.getLogger("ablation")
# A pack member's epoch lines: its own logs only (`_member_logs`), never the pack's, which
# has one line per pack epoch with the pack's time left (`_log_pack_epoch`).
member_log = logging.getLogger("ablation.member")


def run_job(
    cfg: TrainConfig,
    dataset: str | Path,
    metrics: str | Path,
    model: str | Path,
    confusion: str | Path,
    state: str | Path,
    threads: int = 1,
    device: str = "auto",
) -> RunResult:
    """Train one grid cell and write its outputs atomically; resumes from `state` if present."""
    set_threads(threads)
    torch_device = select_device(device)
    Path(state).parent.mkdir(parents=True, exist_ok=True)
    if Path(state).exists():
        log.info("resuming from %s", state)
    data = load_dataset(dataset)
    result = train(cfg, data, torch_device, state_path=state, on_epoch=_log_epoch(cfg))
    _write_outputs(result, _meta(cfg, torch_device, threads), metrics, confusion, model)
    Path(state).unlink(missing_ok=True)
    log.info("%s: %s after %d epochs", run_path(cfg.cell()), result.status, _last_epoch(result))
    return result


def run_pack_job(
    members: Sequence[dict[str, Any]],
    dataset: str | Path,
    threads: int = 1,
    device: str = "auto",
    stacked: bool | None = None,
) -> list[RunResult]:
    """Train a pack of grid cells in one process (`ablation.training.pack.train_pack`) and write
    each member's files as `run_job` would; each resumes from its own state if present.

    Each member is a dict: `config` (a TrainConfig) and the paths `metrics`,
    `confusion`, `model`, `state`, and optionally `logs` (files for the member's
    progress lines), `benchmark` (its share of the job's time, in Snakemake's
    benchmark format) and `trained` (a stamp written when its files are). Outputs
    are written once every member is done, then the stamps, then the resume states
    are removed: a job killed at any point leaves every member resumable. `stacked`:
    see `train_pack` (None: stacked on a GPU).
    """
    entered = time.time()
    set_threads(threads)
    torch_device = select_device(device)
    cfgs = [m["config"] for m in members]
    for member in members:
        Path(member["state"]).parent.mkdir(parents=True, exist_ok=True)
    names = ", ".join(run_path(cfg.cell()) for cfg in cfgs)
    log.info("training a pack of %d runs: %s", len(cfgs), names)
    with _member_logs(members):
        results, timing = _train_and_write(members, dataset, torch_device, threads, stacked)
    # Where the job's time went, for `ablation bench --study` (a JSON line in the job's log).
    timing["start_up"] += entered - _process_started()
    log.info("job timing: %s", json.dumps(timing))
    return results


def _train_and_write(members, dataset, device: torch.device, threads: int, stacked=None):
    for member in members:
        if Path(member["state"]).exists():
            with working_on(member["config"]):
                log.info("resuming from %s", member["state"])
    started = time.time()
    data = load_dataset(dataset)
    loaded = time.time()
    results = train_pack(
        [m["config"] for m in members],
        data,
        device,
        state_paths=[m["state"] for m in members],
        on_epoch=lambda cfg, summary: _log_epoch(cfg, member_log, time_left=False)(summary),
        stacked=stacked,
        on_pack_epoch=_log_pack_epoch,
    )
    trained = time.time()
    for member, result in zip(members, results, strict=True):
        meta = _meta(result.config, device, threads)
        _write_outputs(result, meta, member["metrics"], member["confusion"], member["model"])
    _write_benchmarks(members, results)
    for member, result in zip(members, results, strict=True):
        if member.get("trained") is not None:
            stamp = {"run": run_path(result.config.cell()), "config_hash": result.config.hash()}
            write_text_atomic(member["trained"], json.dumps(stamp) + "\n")
    training = sum(r.train_seconds for r in results)
    timing = {
        "start_up": loaded - started,  # + the imports before, added by the caller
        "training": training,
        "evaluation": trained - loaded - training,  # milestones, final test, set-up
        "writing": time.time() - trained,
        "started": _process_started(),
        "ended": time.time(),
        "runs": len(results),
    }
    for member, result in zip(members, results, strict=True):
        Path(member["state"]).unlink(missing_ok=True)
        with working_on(result.config):
            log.info(
                "%s: %s after %d epochs",
                run_path(result.config.cell()),
                result.status,
                _last_epoch(result),
            )
    return results, timing


def _process_started() -> float:
    import psutil  # a dependency of Snakemake

    return psutil.Process().create_time()


def _meta(cfg: TrainConfig, device: torch.device, threads: int) -> dict[str, Any]:
    return {
        "device": provenance.device_name(device),
        "threads": threads,
        "torch_version": provenance.version("torch"),
        "ablation_version": provenance.version("ablation"),
        "config_hash": cfg.hash(),
        "git_commit": provenance.git_commit(),
    }


def _write_outputs(result: RunResult, meta: dict, metrics, confusion, model) -> None:
    write_metrics(metrics_rows(result, meta), metrics)
    write_frame(confusion_frame(result), confusion)
    save_checkpoint(result.model, checkpoint_info(result, meta), model)


@contextlib.contextmanager
def _member_logs(members: Sequence[dict[str, Any]]):
    """Each member's `logs` get the lines logged while the pack works on that member, its
    epoch lines (`member_log`) included."""
    handlers = []
    for member in members:
        for path in member.get("logs", []):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, mode="a")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            handler.addFilter(lambda record, cfg=member["config"]: current_run.get() is cfg)
            handlers.append(handler)
    for handler in handlers:
        log.addHandler(handler)
        member_log.addHandler(handler)
    # Not set once at import: a logging configuration (dictConfig) may reset it.
    propagated, member_log.propagate = member_log.propagate, False
    try:
        yield
    finally:
        member_log.propagate = propagated
        for handler in handlers:
            log.removeHandler(handler)
            member_log.removeHandler(handler)
            handler.close()


def _write_benchmarks(members: Sequence[dict[str, Any]], results: list[RunResult]) -> None:
    """Each member's share of the job's wall and CPU time so far (start-up included),
    in proportion to its training time, as Snakemake's benchmark TSV."""
    import psutil

    wall = time.time() - _process_started()
    cpu = sum(psutil.Process().cpu_times()[:2])
    seconds = [max(r.train_seconds, 1e-9) for r in results]
    for member, own in zip(members, seconds, strict=True):
        if member.get("benchmark") is None:
            continue
        share = own / sum(seconds)
        s = wall * share
        hms = time.strftime("%H:%M:%S", time.gmtime(s))
        text = f"s\th:m:s\tcpu_time\tpack_size\n{s:.4f}\t{hms}\t{cpu * share:.2f}\t{len(members)}\n"
        write_text_atomic(member["benchmark"], text)


def metrics_rows(result: RunResult, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's history as rows of the metrics schema."""
    cfg = result.config
    common = {
        "run_id": run_path(cfg.cell()),
        **cfg.cell(),
        "status": result.status,
        "diverged_epoch": result.diverged_epoch,
        "optimizer_class": cfg.optimizer_class,
        "lr": cfg.lr,
        "epochs": cfg.epochs,
        "train_size": result.train_size,  # the count, also where the axis says null (all)
        **meta,
    }
    # rows of a history resumed from a state saved before CPU time was measured lack it
    return [{**common, "train_cpu_seconds": float("nan"), **row} for row in result.history]


def confusion_frame(result: RunResult) -> pd.DataFrame:
    """The final model's test confusion matrix, tidy: one row per (true, predicted)."""
    counts = result.confusion
    rows = [
        {"true": t, "predicted": p, "count": int(counts[t, p])}
        for t in range(counts.shape[0])
        for p in range(counts.shape[1])
    ]
    frame = pd.DataFrame(rows)
    frame.insert(0, "run_id", run_path(result.config.cell()))
    return frame


def checkpoint_info(result: RunResult, meta: dict[str, Any]) -> dict[str, Any]:
    final = {
        f"{row['split']}_{name}": row[name]
        for row in result.history
        if row["epoch"] == _last_epoch(result) and row["split"] != "train_running"
        for name in ("loss", "accuracy")
    }
    return {
        "config": result.config.to_dict(),
        "status": result.status,
        "diverged_epoch": result.diverged_epoch,
        "final_epoch": _last_epoch(result),
        "final_metrics": final,
        **meta,
    }


def _last_epoch(result: RunResult) -> int:
    measured = [r["epoch"] for r in result.history if r["split"] != "train_running"]
    return max(measured, default=0)


def _log_epoch(cfg: TrainConfig, logger: logging.Logger = log, time_left: bool = True):
    """One progress line per epoch for the job's log: loss, time so far and (for a run
    trained alone: a pack member's ends with its pack) time left."""
    from ablation.console import format_duration

    def log_epoch(summary: dict[str, Any]) -> None:
        epoch, seconds = summary["epoch"], summary["train_seconds"]
        left = seconds / epoch * (cfg.epochs - epoch)  # training time only, evaluation excluded
        eta = f", about {format_duration(left)} left" if time_left and epoch < cfg.epochs else ""
        logger.info(
            "epoch %d/%d  train loss %.4f  trained %s%s",
            epoch,
            cfg.epochs,
            summary["loss"],
            format_duration(seconds),
            eta,
        )

    return log_epoch


def _log_pack_epoch(progress: dict[str, Any], logger: logging.Logger = log) -> None:
    """The pack's line for the job's log after each pack epoch: its epoch, the members that
    trained it, its time so far and left (`ablation.training.pack.pack_progress`)."""
    from ablation.console import format_duration

    left = progress["seconds_left"]
    eta = f", about {format_duration(left)} left" if left > 0 else ""
    logger.info(
        "pack epoch %d/%d  %d of %d runs  %s so far%s",
        progress["epoch"],
        progress["epochs"],
        progress["trained"],
        progress["runs"],
        format_duration(progress["seconds"]),
        eta,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m ablation.training.job CONFIG_JSON DATA METRICS MODEL CONFUSION STATE LOG THREADS`:
    `run_job` of one cell, for a run that Snakemake retrains outside any pack."""
    import sys

    from ablation import logs

    config, data, metrics, model, confusion, state, log_file, threads = (
        sys.argv[1:] if argv is None else argv
    )
    logs.setup(log_file)
    cfg = TrainConfig.from_dict(json.loads(config))
    device = environment.device()
    run_job(cfg, data, metrics, model, confusion, state, threads=int(threads), device=device)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
