"""Statistics for any axes on constructed studies: answers known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablation.axes import config_keys, strata_and_factors
from ablation.config import format_value
from ablation.stats.compare import leaderboard
from ablation.stats.confusion import confused_pairs, confusion_by_config
from ablation.stats.datasize import datasize_curve, datasize_worth
from ablation.stats.factors import interaction_strength, interactions, marginal_means
from ablation.stats.paired import paired_effects, paired_runs
from ablation.stats.transfer import rank_agreement, transfer_findings
from axes_helpers import BASE, EFFECTS, constructed_runs, expected_marginal

N_SEEDS = 3


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    return constructed_runs()


def test_config_keys_are_the_varying_axes_and_the_core_four(runs):
    assert config_keys(runs) == [
        "dataset", "activation", "optimizer", "weight_decay", "dropout", "hidden_size",
        "train_size",
    ]  # fmt: skip
    assert strata_and_factors(runs)[0] == ["dataset"]


def test_marginal_means_of_every_axis_per_dataset(runs):
    table = marginal_means(runs)
    acc = table[table["metric"] == "final_test_accuracy"]
    assert set(acc["dataset"]) == set(BASE)  # never pooled across datasets
    for axis, levels in EFFECTS.items():
        for level in levels:
            for dataset in BASE:
                row = acc[
                    (acc["dataset"] == dataset)
                    & (acc["axis"] == axis)
                    & (acc["level"] == format_value(level))
                ]
                assert len(row) == 1, (dataset, axis, level)
                assert row["mean"].iloc[0] == pytest.approx(
                    expected_marginal(dataset, axis, level), abs=1e-12
                )
                assert row["n"].iloc[0] == 8 * N_SEEDS  # the other three axes' cells x seeds
                assert row["n_configs"].iloc[0] == 8
    # levels in their order: numbers ascending
    sizes = acc[(acc["axis"] == "train_size") & (acc["dataset"] == "mnist")]["level"]
    assert list(sizes) == ["1000", "4000"]


def test_paired_effects_of_every_axis_against_its_first_level(runs):
    pairs = paired_runs(runs)
    effects = paired_effects(pairs)
    acc = effects[effects["metric"] == "final_test_accuracy"].set_index(["dataset", "axis"])
    for dataset in BASE:
        for axis, levels in EFFECTS.items():
            row = acc.loc[(dataset, axis)]
            first, second = list(levels)
            assert row["baseline_level"] == format_value(first)
            expected = levels[second] - levels[first]
            if axis == "dropout":  # +0.02 with 1000 images and +0.00 with 4000: +0.01 on average
                expected = 0.01
            if axis == "train_size":  # +0.04, and dropout's help shrinks by 0.02 at 4000
                expected = 0.04 - 0.01
            assert row["mean_delta"] == pytest.approx(expected, abs=1e-12)
            assert row["n_pairs"] == 8 * N_SEEDS
    # a paired difference shares the seed: the seed offsets cancel, zero spread where no
    # interaction moves the effect
    hidden = acc.loc[("mnist", "hidden_size")]
    assert hidden["ci_low"] == pytest.approx(hidden["ci_high"], abs=1e-12)
    assert not set(pairs["axis"]) & {"dataset", "optimizer", "weight_decay"}


def test_interaction_strength_finds_the_constructed_pair(runs):
    strength = interaction_strength(interactions(runs))
    for dataset in BASE:
        mine = strength[strength["dataset"] == dataset]
        top = mine.iloc[0]
        assert (top["axis_a"], top["axis_b"]) == ("dropout", "train_size")
        # cell means depart from additivity by +-0.005 (half the +-0.01 interaction)
        assert top["strength"] == pytest.approx(0.005, abs=1e-12)
        assert mine.iloc[1:]["strength"].max() == pytest.approx(0.0, abs=1e-12)


def test_datasize_tables_answer_more_data_with_and_without_dropout(runs):
    curve = datasize_curve(runs)
    acc = curve[(curve["metric"] == "final_test_accuracy") & (curve["dataset"] == "mnist")]
    at = acc.set_index(["train_size", "dropout"])["mean"]
    # mean over activation and hidden size (-0.01 and +0.005) and seeds (0)
    rest = np.mean([0.0, -0.02]) + np.mean([0.0, 0.01])
    assert at[(1000, 0.0)] == pytest.approx(0.90 + rest, abs=1e-12)
    assert at[(1000, 0.5)] == pytest.approx(0.90 + rest + 0.02, abs=1e-12)
    assert at[(4000, 0.5)] == pytest.approx(0.90 + rest + 0.04, abs=1e-12)
    worth = datasize_worth(paired_effects(paired_runs(runs)))
    assert set(worth["axis"]) == {"train_size", "dropout"}
    assert set(worth["metric"]) == {"final_test_accuracy", "final_gap_accuracy"}
    assert datasize_curve(runs[runs["train_size"] == 1000]).empty  # one size: no table


def test_leaderboard_per_dataset_never_pools(runs):
    board = leaderboard(runs)  # one leaderboard per dataset, by itself
    for dataset, part in board.groupby("dataset"):
        assert part["rank"].min() == 1 and part["is_best"].sum() == 1
        assert len(part) == 16  # 2 x 2 x 2 x 2 configurations
        best = part[part["is_best"]].iloc[0]
        assert (best["activation"], best["hidden_size"], best["train_size"]) == ("relu", 128, 4000)
        assert best["mean"] == pytest.approx(BASE[dataset] + 0.01 + 0.04, abs=1e-12)


def test_kendall_tau_of_constructed_ranks():
    same = constructed_runs()
    agreement = rank_agreement(same)
    row = agreement.iloc[0]
    assert (row["dataset_a"], row["dataset_b"]) == ("fashion_mnist", "mnist")
    assert row["n_configs"] == 16 and row["n_seeds"] == N_SEEDS
    # Same effects on both datasets, but configurations tie in pairs on each
    # (e.g. tanh + 128 = relu + 64 - 0.01 ...): tau-b of identical orders is 1
    assert row["tau"] == pytest.approx(1.0)
    assert row["ci_low"] == pytest.approx(1.0) and row["ci_high"] == pytest.approx(1.0)
    # Reverse the activation effect on one dataset: four configurations, hand-counted
    flipped = constructed_runs(flip_activation_on="fashion_mnist")
    few = flipped[(flipped["train_size"] == 4000) & (flipped["dropout"] == 0.0)]
    row = rank_agreement(few).iloc[0]
    # mnist order: relu128 > relu64 > tanh128 > tanh64 (0.95, 0.94, 0.93, 0.92);
    # fashion: tanh128 > tanh64 > relu128 > relu64: 2 of 6 pairs agree -> tau = -1/3
    assert row["tau"] == pytest.approx(-1 / 3)
    # no run noise (seed offsets only): the means are exact, and so is the interval
    assert row["has_interval"]
    assert row["ci_low"] == pytest.approx(-1 / 3) and row["ci_high"] == pytest.approx(-1 / 3)


def test_transfer_findings_hold_only_where_they_agree():
    flipped = constructed_runs(flip_activation_on="fashion_mnist")
    findings = (
        transfer_findings(marginal_means(flipped), paired_effects(paired_runs(flipped)))
        .set_index(["finding", "axis", "dataset"])
        .sort_index()
    )
    assert not findings.loc[("best level", "activation", "mnist"), "holds"]
    assert findings.loc[("best level", "activation", "mnist"), "level"] == "relu"
    assert findings.loc[("best level", "activation", "fashion_mnist"), "level"] == "tanh"
    assert findings.loc[("best level", "hidden_size", "mnist"), "holds"]
    effect = findings.xs("paired effect", level="finding")
    assert not effect.loc[("activation", "mnist"), "holds"]
    assert effect.loc[("train_size", "fashion_mnist"), "holds"]
    assert findings.loc[("best level", "activation", "mnist"), "state"] == "reversed"
    assert effect.loc[("hidden_size", "mnist"), "state"] == "holds"
    assert rank_agreement(constructed_runs(("mnist",))).empty  # one dataset: nothing


def test_agreement_of_sign_alone_is_not_transfer():
    # hidden 128 vs 64 is +1 pp on mnist; on fashion_mnist it is drowned in seed noise
    # of its own sign: the same sign, but unresolved there, so it does not "hold"
    runs = constructed_runs()
    fashion = runs["dataset"] == "fashion_mnist"
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.03, len(runs)) * fashion
    wide = (runs["hidden_size"] == 128) & fashion
    runs["final_test_accuracy"] = runs["final_test_accuracy"] + noise - 0.009 * wide
    findings = transfer_findings(marginal_means(runs), paired_effects(paired_runs(runs)))
    findings = findings.set_index(["finding", "axis", "dataset"]).sort_index()
    hidden = findings.loc[("paired effect", "hidden_size")]
    assert bool(hidden.loc["mnist", "resolved"]) and not bool(
        hidden.loc["fashion_mnist", "resolved"]
    )
    assert set(hidden["state"]) == {"unresolved on fashion_mnist"}
    assert not hidden["holds"].any()
    best = findings.loc[("best level", "hidden_size")]
    assert set(best["state"]) == {"unresolved on fashion_mnist"}


def test_confusion_names_classes_of_their_dataset(runs):
    two = runs[(runs["seed"] == 0)].drop_duplicates(["dataset"])
    confusion = pd.DataFrame(
        [
            {"run_id": r, "true": t, "predicted": p, "count": c}
            for r in two["run_id"]
            for t, p, c in ((6, 6, 90), (6, 0, 10), (0, 0, 100))
        ]
    )
    by_config = confusion_by_config(confusion, two)
    pairs = confused_pairs(by_config, top=1).set_index("dataset")
    assert pairs.loc["fashion_mnist", ["true_name", "predicted_name"]].tolist() == [
        "Shirt",
        "T-shirt/top",
    ]
    assert pairs.loc["mnist", ["true_name", "predicted_name"]].tolist() == ["6", "0"]
    assert pairs.loc["mnist", "rate"] == pytest.approx(0.1)


def _two_datasets(means_a, means_b, noise_sd, seeds=3, seed=0):
    """Runs of configurations (hidden sizes) x seeds on two datasets, with run noise."""
    rng = np.random.default_rng(seed)
    rows = [
        dict(dataset=name, activation="relu", optimizer="adam", weight_decay=0.0,
             dropout=0.0, hidden_size=64 * (c + 1), seed=s,
             final_test_accuracy=mean + 0.001 * s + rng.normal(0, noise_sd))
        for name, means in (("mnist", means_a), ("fashion_mnist", means_b))
        for c, mean in enumerate(means)
        for s in range(seeds)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_tau_bounds_count_unresolved_pairs_either_way():
    # mnist: four configurations 2 pp apart, all six pairs resolved. fashion_mnist: the
    # first two tie, the rest 5 pp apart: 5 pairs agree, 1 cannot be ordered
    runs = _two_datasets([0.90, 0.92, 0.94, 0.96], [0.80, 0.80, 0.85, 0.90], noise_sd=0.0005)
    row = rank_agreement(runs).iloc[0]
    assert (row["n_configs"], row["n_seeds"]) == (4, 3)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((4 / 6, 1.0))
    assert row["ci_low"] <= row["tau"] <= row["ci_high"]
    # reversed on one dataset, every pair resolved: tau is -1 and known to be
    row = rank_agreement(_two_datasets([0.90, 0.92, 0.94], [0.90, 0.85, 0.80], 0.0005)).iloc[0]
    assert (row["tau"], row["ci_low"], row["ci_high"]) == pytest.approx((-1, -1, -1))
    # noise far above the differences: nothing resolved, anything possible
    row = rank_agreement(_two_datasets([0.90, 0.91, 0.92], [0.90, 0.91, 0.92], 0.05)).iloc[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((-1, 1))


def test_tau_interval_needs_two_shared_seeds_and_skips_incomplete_configurations():
    runs = _two_datasets([0.90, 0.92, 0.94], [0.90, 0.92, 0.94], 0.0005)
    one_seed = rank_agreement(runs[runs["seed"] == 0]).iloc[0]
    assert not one_seed["has_interval"] and np.isnan(one_seed["ci_low"])
    missing = runs.drop(runs.index[(runs["hidden_size"] == 64) & (runs["seed"] == 1)][:1])
    row = rank_agreement(missing).iloc[0]
    assert row["n_configs"] == 2 and row["tau"] == pytest.approx(1.0)


def test_tau_bounds_cover_the_true_tau_of_a_noisy_study():
    # 8 configurations 0.5 pp apart on both datasets (true tau 1), run noise 0.2 pp,
    # 3 seeds, 200 studies: the interval holds the truth in at least 95 % of them
    means = 0.9 + 0.005 * np.arange(8)
    held = [
        rank_agreement(_two_datasets(means, means, 0.002, seed=s)).iloc[0]["ci_high"] == 1.0
        for s in range(200)
    ]
    assert np.mean(held) >= 0.95
