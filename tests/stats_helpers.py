"""Hand-built metrics tables for the statistics tests: every number chosen, none trained."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ablation.aggregate import run_summary
from ablation.stats.overfitting import milestone_gaps, run_overfitting
from synthetic import run_metrics

MILESTONES = (1, 2, 3, 10, 20, 30)


def curve_run(
    val_loss: Sequence[float] | None,
    train_loss: Sequence[float] | None = None,
    *,
    milestones: Sequence[int] = MILESTONES,
    test_accuracy: Sequence[float] | None = None,
    train_accuracy: float | Sequence[float] = 0.99,
    epochs: int | None = None,
    **cell,
) -> pd.DataFrame:
    """One run whose milestone curves are given; other values are plausible constants.

    `val_loss` None means no validation split. Test loss follows validation loss.
    """
    m = len(milestones)
    train_loss = np.linspace(0.5, 0.01, m) if train_loss is None else np.asarray(train_loss)
    reference = np.asarray(val_loss) if val_loss is not None else train_loss + 0.05
    test_accuracy = np.full(m, 0.97) if test_accuracy is None else np.asarray(test_accuracy)
    train_accuracy = np.broadcast_to(np.asarray(train_accuracy, dtype=float), (m,))
    epochs = epochs or max(milestones)
    return run_metrics(
        **cell,
        running_loss=np.linspace(1.0, 0.02, epochs),
        milestones=milestones,
        train=(train_loss, train_accuracy),
        validation=None if val_loss is None else (reference, test_accuracy),
        test=(reference, test_accuracy),
    )


def final_accuracy_run(accuracy: float, **cell) -> pd.DataFrame:
    """A two-milestone run whose final test accuracy is `accuracy`."""
    return curve_run(
        [0.3, 0.2], [0.3, 0.1], milestones=(1, 2), test_accuracy=[0.5, accuracy], **cell
    )


def study(*runs: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(runs, ignore_index=True)


def per_run(metrics: pd.DataFrame, **thresholds) -> pd.DataFrame:
    """The per-run overfitting table of `metrics`, as the workflow computes it."""
    return run_overfitting(metrics, run_summary(metrics), milestone_gaps(metrics), **thresholds)
