"""Anomalies of training: loss spikes, non-finite losses, sudden accuracy drops.

Definitions:

- ``loss_spike``: at epoch e, the mean training loss of that epoch (split
  ``train_running``) against the previous ``window`` epochs: with their median M
  and median absolute deviation MAD, the robust score is
  ``z = (loss - M) / (1.4826 * MAD)`` (1.4826 makes MAD estimate a standard deviation
  of normal noise). A spike needs ``z > threshold``, ``loss > (1 + min_rise) * M``
  (so a perfectly flat history, MAD 0, does not flag a rounding-size step) and at
  least 3 finite previous epochs. Only rises count: a falling loss is training.
- ``non_finite_loss``: a NaN or infinite loss at any split and epoch (a diverged
  run records its non-finite training loss at ``diverged_epoch``).
- ``accuracy_drop``: between two consecutive milestones of the same split (train,
  validation, test), accuracy fell by more than ``accuracy_drop`` (absolute).

Output table ``results/stats/anomalies.{parquet,csv}`` (`find_anomalies`), one row
per anomaly (no rows when there are none): ``run_id``, configuration keys, ``seed``,
``epoch``, ``kind``, ``split``, ``value`` (the loss or accuracy at that epoch),
``reference`` (the rolling median for a spike, the previous milestone's accuracy for
a drop, NaN for a non-finite loss) and ``size`` (the robust score ``z`` of a spike,
the accuracy lost by a drop, NaN for a non-finite loss).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from ablation.aggregate import run_keys
from ablation.stats.overfitting import run_table

ANOMALY_COLUMNS = ["epoch", "kind", "split", "value", "reference", "size"]  # after the run keys
MAD_TO_SD = 1.4826
MIN_HISTORY = 3


def loss_spikes(
    metrics: pd.DataFrame, window: int = 10, threshold: float = 5.0, min_rise: float = 0.25
) -> pd.DataFrame:
    """Epochs whose training loss jumps above the median of the previous `window` epochs.

    All runs at once: one runs x epochs matrix, its trailing windows as a strided view.

    Returns
    -------
    Columns ``run_id``, ``epoch``, ``kind``, ``split``, ``value``, ``reference``, ``size``.
    """
    running = metrics[metrics["split"] == "train_running"]
    loss = running.pivot(index="run_id", columns="epoch", values="loss").astype(float)
    x = loss.to_numpy()
    x = np.where(np.isfinite(x), x, np.nan)  # non-finite losses are their own anomaly
    padded = np.concatenate([np.full((x.shape[0], window), np.nan), x], axis=1)
    history = sliding_window_view(padded, window, axis=1)[:, : x.shape[1]]  # epochs before e
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN histories at the start
        median = np.nanmedian(history, axis=2)
        mad = np.nanmedian(np.abs(history - median[..., None]), axis=2)
        z = (x - median) / (MAD_TO_SD * mad)
    enough = (~np.isnan(history)).sum(axis=2) >= min(MIN_HISTORY, window)
    spike = enough & (z > threshold) & (x > (1 + min_rise) * median)
    rows, cols = np.nonzero(spike)
    return pd.DataFrame(
        {
            "run_id": loss.index[rows],
            "epoch": loss.columns[cols].astype("int64"),
            "kind": "loss_spike",
            "split": "train_running",
            "value": x[rows, cols],
            "reference": median[rows, cols],
            "size": z[rows, cols],
        }
    )


def non_finite_losses(metrics: pd.DataFrame) -> pd.DataFrame:
    """Every (run, epoch, split) whose loss is NaN or infinite."""
    bad = metrics[~np.isfinite(metrics["loss"].astype(float))]
    return pd.DataFrame(
        {
            "run_id": bad["run_id"],
            "epoch": bad["epoch"].astype("int64"),
            "kind": "non_finite_loss",
            "split": bad["split"],
            "value": bad["loss"].astype(float),
            "reference": np.nan,
            "size": np.nan,
        }
    )


def accuracy_drops(metrics: pd.DataFrame, drop: float = 0.02) -> pd.DataFrame:
    """Milestones where a split's accuracy fell by more than `drop` since the previous one."""
    measured = metrics[metrics["split"] != "train_running"].sort_values(
        ["run_id", "split", "epoch"]
    )
    previous = measured.groupby(["run_id", "split"])["accuracy"].shift(1)
    lost = previous - measured["accuracy"]
    hit = lost > drop
    return pd.DataFrame(
        {
            "run_id": measured["run_id"][hit],
            "epoch": measured["epoch"][hit].astype("int64"),
            "kind": "accuracy_drop",
            "split": measured["split"][hit],
            "value": measured["accuracy"][hit].astype(float),
            "reference": previous[hit].astype(float),
            "size": lost[hit].astype(float),
        }
    )


def find_anomalies(
    metrics: pd.DataFrame,
    spike_window: int = 10,
    spike_threshold: float = 5.0,
    spike_min_rise: float = 0.25,
    accuracy_drop: float = 0.02,
) -> pd.DataFrame:
    """All anomalies of all runs in one tidy table (see the module docstring).

    Returns
    -------
    The ``anomalies`` table, sorted by run and epoch.
    """
    found = pd.concat(
        [
            loss_spikes(metrics, spike_window, spike_threshold, spike_min_rise),
            non_finite_losses(metrics),
            accuracy_drops(metrics, accuracy_drop),
        ],
        ignore_index=True,
    )
    keys = run_keys(metrics)
    out = run_table(metrics)[keys].merge(found, on="run_id", how="inner")
    out = out.astype({"epoch": "int64", "value": float, "reference": float, "size": float})
    return out[[*keys, *ANOMALY_COLUMNS]].sort_values([*keys, "epoch", "kind"], ignore_index=True)
