"""Which digits each configuration confuses, summed over its seeds.

The per-run test confusion matrices come from the training jobs
(``results/confusion.parquet``: ``run_id``, ``true``, ``predicted``, ``count``; the
model a run leaves behind, i.e. the last finite one for a diverged run). A
configuration's matrix is the sum over its seeds; the rate of a pair is
``count / true_total``, the share of test images of class ``true`` predicted as
``predicted`` (summed over seeds on both sides, so it is the seeds' pooled rate).

Output tables:

``results/stats/confusion_by_config.parquet`` (`confusion_by_config`), one row per
configuration, true and predicted class: configuration keys, ``true``, ``predicted``,
``count``, ``true_total``, ``rate``, ``n_runs``.

``results/stats/confused_pairs.{parquet,csv}`` (`confused_pairs`), the ``top``
off-diagonal pairs of every configuration by rate (ties: by true, then predicted
class): configuration keys, ``rank`` (1 = most confused), ``true``, ``predicted``,
``count``, ``true_total``, ``rate``.
"""

from __future__ import annotations

import pandas as pd

from ablation.aggregate import CONFIG_KEYS

CELL = ["true", "predicted"]


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
    tagged = confusion.merge(run_keys[["run_id", *CONFIG_KEYS]], on="run_id", how="inner")
    summed = tagged.groupby([*CONFIG_KEYS, *CELL], sort=True)["count"].sum().reset_index()
    totals = summed.groupby([*CONFIG_KEYS, "true"])["count"].transform("sum")
    runs = tagged.groupby(CONFIG_KEYS)["run_id"].nunique().rename("n_runs").reset_index()
    summed["true_total"] = totals
    summed["rate"] = summed["count"] / totals.where(totals > 0)
    return summed.merge(runs, on=CONFIG_KEYS, how="left")


def confused_pairs(by_config: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """The `top` most-confused (true, predicted) pairs of each configuration, by rate.

    Returns
    -------
    The ``confused_pairs`` table described in this module's docstring.
    """
    wrong = by_config[(by_config["true"] != by_config["predicted"]) & (by_config["count"] > 0)]
    wrong = wrong.sort_values(
        [*CONFIG_KEYS, "rate", *CELL], ascending=[True] * len(CONFIG_KEYS) + [False, True, True]
    )
    wrong = wrong.assign(rank=wrong.groupby(CONFIG_KEYS).cumcount() + 1)
    out = wrong[wrong["rank"] <= top]
    columns = [*CONFIG_KEYS, "rank", *CELL, "count", "true_total", "rate"]
    return out[columns].reset_index(drop=True)
