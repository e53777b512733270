"""One change at a time, known answers: the seed, not the pair, is the replicate.

Simulated studies of 24 configurations x 3 seeds in which each seed favours one
activation by chance (a seed x choice interaction, sd 0.1 percentage points) but
activation has no true effect. Pairs of one seed share that draw, so a test over
configurations x seeds as independent pairs finds "effects" in a large share of
studies; the test over the seeds' mean deltas keeps to its level.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from ablation.stats.compare import paired_p
from ablation.stats.paired import paired_effects, paired_runs

SEEDS = (0, 1, 2)
GRID = {  # 2 x 3 x 2 x 2 = 24 configurations
    "activation": ("relu", "tanh"),
    "hidden_size": (64, 128, 256),
    "dropout": (0.0, 0.5),
    "train_size": (1000, 4000),
}
N_STUDIES = 400
INTERACTION_SD = 0.001  # 0.1 percentage points
RUN_SD = 0.0002  # what is left to each run once seed and configuration are fixed


def simulated_studies(n: int, activation_effect: float, seed: int) -> pd.DataFrame:
    """`n` independent studies in one per-run table, each a value of ``dataset``.

    Statistics never pool datasets, so every study is paired and tested on its own.
    """
    rng = np.random.default_rng(seed)
    cells = pd.DataFrame(list(itertools.product(*GRID.values(), SEEDS)), columns=[*GRID, "seed"])
    frames = []
    for study in range(n):
        # each seed's own pull towards tanh: shared by all of that seed's configurations
        pull = dict(zip(SEEDS, rng.normal(0, INTERACTION_SD, len(SEEDS)), strict=True))
        is_tanh = cells["activation"].eq("tanh")
        accuracy = (
            0.95
            + is_tanh * (activation_effect + cells["seed"].map(pull))
            + rng.normal(0, RUN_SD, len(cells))
        )
        frames.append(_per_run(cells, f"study{study:03d}", accuracy))
    return pd.concat(frames, ignore_index=True)


def _per_run(cells: pd.DataFrame, dataset: str, accuracy: pd.Series) -> pd.DataFrame:
    return cells.assign(
        dataset=dataset, optimizer="adam", weight_decay=0.0, final_test_accuracy=accuracy,
        test_accuracy_at_best_val=accuracy, final_gap_accuracy=0.02, final_gap_loss=0.1,
        onset_epoch=np.nan, verdict="good fit",
    )  # fmt: skip


def activation_accuracy(table: pd.DataFrame) -> pd.DataFrame:
    rows = table[(table["axis"] == "activation") & (table["metric"] == "final_test_accuracy")]
    assert len(rows) > 0
    return rows


@pytest.fixture(scope="module")
def null_pairs() -> pd.DataFrame:
    return paired_runs(simulated_studies(N_STUDIES, 0.0, seed=20))


def test_seed_by_choice_interaction_gives_few_false_positives(null_pairs):
    effects = activation_accuracy(paired_effects(null_pairs))
    assert len(effects) == N_STUDIES
    assert (effects["n_seeds"] == 3).all() and (effects["n_pairs"] == 36).all()
    false_positive_rate = float((effects["p_value"] < 0.05).mean())
    assert false_positive_rate <= 0.08


def test_pairs_as_replicates_would_find_effects_that_are_not_there(null_pairs):
    """The old analysis (df = pairs - 1) on the same studies: the contrast is real."""
    pairs = activation_accuracy(null_pairs)
    by_study = pairs.groupby("dataset")["delta"].agg(["mean", "std", "count"])
    p = paired_p(by_study["mean"], by_study["std"], by_study["count"])
    assert float((p < 0.05).mean()) >= 0.3


def test_a_real_effect_is_detected_over_seeds():
    studies = simulated_studies(40, activation_effect=0.01, seed=21)  # +1 point, seeds agree
    effects = activation_accuracy(paired_effects(paired_runs(studies)))
    assert effects["mean_delta"].to_numpy() == pytest.approx(0.01, abs=0.003)
    assert float((effects["p_value"] < 0.05).mean()) >= 0.9
    assert (effects["ci_low"] > 0).mean() >= 0.9


def test_holm_runs_over_the_whole_table():
    effects = paired_effects(paired_runs(simulated_studies(1, 0.01, seed=22)))
    tested = effects["p_value"].notna()
    m = int(tested.sum())
    assert m > 1  # every axis, level and metric with a test counts in m
    smallest = effects.loc[tested, "p_value"].idxmin()
    assert effects.loc[smallest, "p_holm"] == pytest.approx(
        min(1.0, m * effects.loc[smallest, "p_value"])
    )
    assert (effects.loc[tested, "p_holm"] >= effects.loc[tested, "p_value"]).all()


def test_a_change_is_resolved_by_its_holm_p_and_a_nonzero_mean():
    from ablation.stats.paired import resolved

    effects = pd.DataFrame(
        {
            "mean_delta": [0.01, 0.01, 0.0, -0.02, np.nan],
            "p_value": [0.001, 0.001, 0.001, 0.001, 0.001],
            "p_holm": [0.01, 0.2, 0.01, 0.049, np.nan],
        }
    )
    assert resolved(effects, 0.05).tolist() == [True, False, False, True, False]
    # Holm's p decides where there is one; the raw p only in a table without it
    assert resolved(effects, 0.01).tolist() == [False, False, False, False, False]
    raw = effects.drop(columns="p_holm")
    assert resolved(raw, 0.05).tolist() == [True, True, False, True, False]
