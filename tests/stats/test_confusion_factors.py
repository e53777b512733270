"""Confusion per configuration, most-confused pairs, marginal means and interactions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablation.stats import confused_pairs, confusion_by_config, interactions, marginal_means
from ablation.stats.overfitting import run_table
from stats_helpers import final_accuracy_run, per_run, study


def confusion(run_id: str, errors: dict[tuple[int, int], int]) -> pd.DataFrame:
    counts = np.diag(np.full(10, 100))
    for (true, predicted), n in errors.items():
        counts[true, predicted] = n
    return pd.DataFrame(
        {
            "run_id": run_id,
            "true": np.repeat(np.arange(10), 10),
            "predicted": np.tile(np.arange(10), 10),
            "count": counts.ravel(),
        }
    )


def test_confusion_is_summed_over_seeds_and_pairs_ranked_by_rate():
    metrics = study(final_accuracy_run(0.9, seed=0), final_accuracy_run(0.9, seed=1))
    ids = sorted(metrics["run_id"].unique())
    table = pd.concat(
        [
            confusion(ids[0], {(4, 9): 10, (7, 1): 5}),
            confusion(ids[1], {(4, 9): 30, (3, 5): 20}),
        ]
    )
    by_config = confusion_by_config(table, run_table(metrics))
    cell = by_config.set_index(["true", "predicted"])
    assert cell.loc[(4, 9), "count"] == 40 and cell.loc[(4, 9), "true_total"] == 240
    assert cell.loc[(4, 9), "rate"] == pytest.approx(40 / 240)
    assert (by_config["n_runs"] == 2).all() and len(by_config) == 100
    top = confused_pairs(by_config, top=2)
    assert top[["rank", "true", "predicted"]].values.tolist() == [[1, 4, 9], [2, 3, 5]]
    assert len(confused_pairs(by_config, top=5)) == 3  # only three pairs were ever confused


def test_marginal_means_pool_configurations_and_seeds():
    # activation x optimizer, two seeds each; relu rows: 0.90, 0.92 (adam), 0.80, 0.82 (sgd)
    values = {("relu", "adam"): [0.90, 0.92], ("relu", "sgd"): [0.80, 0.82],
              ("sigmoid", "adam"): [0.88, 0.90], ("sigmoid", "sgd"): [0.50, 0.52]}  # fmt: skip
    metrics = study(
        *(
            final_accuracy_run(acc, activation=act, optimizer=opt, seed=seed)
            for (act, opt), accs in values.items()
            for seed, acc in enumerate(accs)
        )
    )
    table = per_run(metrics)
    marginal = marginal_means(table)
    acc = marginal[marginal["metric"] == "final_test_accuracy"].set_index(["axis", "level"])
    relu = acc.loc[("activation", "relu")]
    assert relu["mean"] == pytest.approx(0.86) and relu["n"] == 4 and relu["n_configs"] == 2
    assert relu["std"] == pytest.approx(np.std([0.90, 0.92, 0.80, 0.82], ddof=1))
    assert acc.loc[("optimizer", "sgd"), "mean"] == pytest.approx(0.66)
    assert acc.loc[("weight_decay", "0.0"), "n"] == 8  # levels written as in run folders
    pairs = interactions(table)
    assert len(pairs[["axis_a", "axis_b"]].drop_duplicates()) == 6
    two_way = pairs[
        (pairs["metric"] == "final_test_accuracy")
        & (pairs["axis_a"] == "activation")
        & (pairs["axis_b"] == "optimizer")
    ].set_index(["level_a", "level_b"])
    # sigmoid costs SGD 0.30, Adam only 0.02: the interaction is visible in the table
    assert two_way.loc[("sigmoid", "sgd"), "mean"] == pytest.approx(0.51)
    assert two_way.loc[("sigmoid", "adam"), "mean"] == pytest.approx(0.89)
    assert two_way.loc[("relu", "sgd"), "n"] == 2 and two_way.loc[("relu", "sgd"), "n_configs"] == 1
