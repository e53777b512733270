"""Which digits each configuration confuses, summed over its seeds.

The per-run test confusion matrices come from the training jobs
(``results/confusion.parquet``: ``run_id``, ``true``, ``predicted``, ``count``; the
model a run leaves behind, i.e. the last finite one for a diverged run). A
configuration's matrix is the sum over its seeds; the rate of a pair is
``count / true_total``, the share of test images of class ``true`` predicted as
``predicted`` (summed over seeds on both sides, so it is the seeds' pooled rate).

Output tables:

``results/stats/confusion_by_config.parquet`` (`confusion_by_config`), one row per
configuration, true and predicted class: ``dataset``, configuration keys, ``true``,
``predicted``, ``count``, ``true_total``, ``rate``, ``n_runs``, ``true_name``,
``predicted_name`` (the classes' names, `ablation.axes.CLASS_NAMES`: "Shirt" for Fashion-MNIST's 6).

``results/stats/confused_pairs.{parquet,csv}`` (`confused_pairs`), the ``top``
off-diagonal pairs of every configuration by rate (ties: by true, then predicted
class): configuration keys, ``rank`` (1 = most confused), ``true``, ``predicted``,
``true_name``, ``predicted_name``, ``count``, ``true_total``, ``rate``.
"""

from __future__ import annotations

import pandas as pd

from ablation.axes import CLASS_NAMES, config_keys

CELL = ["true", "predicted"]


def class_name(dataset: str, label: int) -> str:
    """The name of class `label` of `dataset` (the label itself for an unknown dataset)."""
    names = CLASS_NAMES.get(str(dataset), [])  # one home: ablation.axes
    return names[int(label)] if 0 <= int(label) < len(names) else str(label)


def _with_names(table: pd.DataFrame) -> pd.DataFrame:
    """``true_name`` and ``predicted_name`` columns from the ``dataset`` column (if any)."""
    dataset = table["dataset"] if "dataset" in table else pd.Series("mnist", index=table.index)
    return table.assign(
        true_name=[class_name(d, t) for d, t in zip(dataset, table["true"], strict=True)],
        predicted_name=[class_name(d, p) for d, p in zip(dataset, table["predicted"], strict=True)],
    )


def confusion_by_config(confusion: pd.DataFrame, run_keys: pd.DataFrame) -> pd.DataFrame:
    """Sum the per-run confusion matrices over the seeds of each configuration.

    Parameters
    ----------
    confusion : tidy per-run matrices (``run_id``, ``true``, ``predicted``, ``count``).
    run_keys : ``run_id`` and the configuration keys of each run.

    Returns
    -------
    The ``confusion_by_config`` table described in this module's docstring.
    """
    keys = config_keys(run_keys)
    if "dataset" in run_keys and "dataset" not in keys:  # one dataset: kept for class names
        keys = ["dataset", *keys]
    tagged = confusion.merge(run_keys[["run_id", *keys]], on="run_id", how="inner")
    summed = tagged.groupby([*keys, *CELL], sort=True)["count"].sum().reset_index()
    totals = summed.groupby([*keys, "true"])["count"].transform("sum")
    runs = tagged.groupby(keys)["run_id"].nunique().rename("n_runs").reset_index()
    summed["true_total"] = totals
    summed["rate"] = summed["count"] / totals.where(totals > 0)
    return _with_names(summed.merge(runs, on=keys, how="left"))


def confused_pairs(by_config: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """The `top` most-confused (true, predicted) pairs of each configuration, by rate.

    Returns
    -------
    The ``confused_pairs`` table described in this module's docstring.
    """
    keys = config_keys(by_config)
    wrong = by_config[(by_config["true"] != by_config["predicted"]) & (by_config["count"] > 0)]
    wrong = wrong.sort_values(
        [*keys, "rate", *CELL], ascending=[True] * len(keys) + [False, True, True]
    )
    wrong = wrong.assign(rank=wrong.groupby(keys).cumcount() + 1)
    out = wrong[wrong["rank"] <= top]
    names = ["true_name", "predicted_name"] if "true_name" in wrong else []
    columns = [*keys, "rank", *CELL, *names, "count", "true_total", "rate"]
    return out[columns].reset_index(drop=True)
