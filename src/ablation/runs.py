"""One training job, from a config to the files it leaves: metrics, confusion, checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from ablation import provenance
from ablation.checkpoint import save_checkpoint
from ablation.config import TrainConfig, run_path
from ablation.data import load_dataset
from ablation.metrics import write_frame, write_metrics
from ablation.train import RunResult, select_device, set_threads, train

log = logging.getLogger("ablation")


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
    meta = {
        "device": provenance.device_name(torch_device),
        "threads": threads,
        "torch_version": provenance.version("torch"),
        "ablation_version": provenance.version("ablation"),
        "config_hash": cfg.hash(),
        "git_commit": provenance.git_commit(),
    }
    write_metrics(metrics_rows(result, meta), metrics)
    write_frame(confusion_frame(result), confusion)
    save_checkpoint(result.model, checkpoint_info(result, meta), model)
    Path(state).unlink(missing_ok=True)
    log.info("%s: %s after %d epochs", run_path(cfg.cell()), result.status, _last_epoch(result))
    return result


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
    return [{**common, **row} for row in result.history]


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


def _log_epoch(cfg: TrainConfig):
    """One progress line per epoch for the job's log: loss, time so far and time left."""
    from ablation.console import format_duration

    def log_epoch(summary: dict[str, Any]) -> None:
        epoch, seconds = summary["epoch"], summary["train_seconds"]
        left = seconds / epoch * (cfg.epochs - epoch)  # training time only, evaluation excluded
        eta = f", about {format_duration(left)} left" if epoch < cfg.epochs else ""
        log.info(
            "epoch %d/%d  train loss %.4f  trained %s%s",
            epoch,
            cfg.epochs,
            summary["loss"],
            format_duration(seconds),
            eta,
        )

    return log_epoch
