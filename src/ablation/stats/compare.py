"""Which configuration wins, by how much, and which others we cannot tell apart from it.

Select on validation, report on test. A configuration's *selection score* is its
final validation accuracy (view ``final``) or its validation accuracy at each
run's epoch of lowest validation loss (view ``early_stopping``, the model early
stopping keeps). The ranking, the best configuration and the "indistinguishable
from the best" flags are decided on that score only; the test accuracy of the same
runs (final, or at the early-stopping epoch) is the reported estimate. Choosing on
the test set and reporting the same test numbers would make the winner's score
optimistic (the winner's curse). Without a validation split (``validation_size: 0``)
the selection falls back to the test score and ``selected_on`` says it is optimistic.

What each configuration is next to the best is decided by comparisons with the best
over seeds (`ablation.stats.best`): simultaneous bounds on ``mu_i - max_{j != i} mu_j``
that stay valid although the best is the arg-max of the same validation scores, and
an equivalence margin (``analysis.equivalence_margin``) for "as good as". A paired
t-test over seeds of each configuration against the best, Holm-corrected, is kept as
a description (``p_value``, ``p_holm``); it ignores the choice of the best, so no
claim rests on it. Studies with several datasets get one
leaderboard per dataset (accuracies of different datasets are never pooled).
A run that diverged scores ``DIVERGED_SCORE`` (0 accuracy, the lowest any run can
score) on validation and test, whenever it diverged: its last finite milestone would
flatter configurations that sometimes diverge. ``n_diverged`` counts them.

Output tables ``results/stats/leaderboard.{parquet,csv}`` (view ``final``) and
``results/stats/leaderboard_early_stopping.{parquet,csv}``, one row per
configuration, best first:

- ``rank``: by mean selection score, 1 = best; ties share the lower rank.
- the configuration keys (`ablation.axes.config_keys`: the axes that vary, and
  always activation, optimizer, weight decay and dropout).
- ``view``, ``selected_on``: ``"validation"``, or ``"test (optimistic)"`` without
  a validation split.
- ``n``: seeds with a test score; ``n_diverged``: seeds whose training diverged.
- ``selection_mean``, ``selection_ci_low``, ``selection_ci_high``: the selection
  score over seeds (t-interval).
- ``mean``, ``std``, ``ci_low``, ``ci_high``, ``has_interval``: the reported test
  accuracy over seeds (t-interval, see `ablation.stats.seeds`).
- ``test_rank``: rank by mean test accuracy; shown, never used to choose.
- ``diff_from_best``, ``diff_std``, ``diff_ci_low``, ``diff_ci_high``: mean, std and
  t-interval of the paired differences of the selection score, best minus this
  configuration, over the ``n_pairs`` seeds both have (0 for the best itself).
- ``test_diff_from_best``: the mean paired difference of test accuracy.
- ``p_value``: two-sided paired t-test of the selection differences; 1.0 when every
  difference is exactly zero; NaN for the best itself and when ``n_pairs < 2``.
- ``p_holm``: Holm-adjusted ``p_value`` (over the configurations with a p-value).
- ``tested``: a p-value exists (``n_pairs >= 2``); with one seed nothing is tested.
- ``mcb_low``, ``mcb_high``: simultaneous bounds (family-wise ``alpha``, all
  configurations together) on this configuration's selection score minus the best of
  the others'.
- ``comparison``: ``better`` (the chosen one, when every other is resolved worse),
  ``worse``, ``equivalent`` (within ``equivalence_margin`` of the best), ``unresolved``,
  or ``not tested`` (one seed, or no score); see `ablation.stats.best`.
- ``equivalence_margin``: the margin, as a fraction of accuracy.
- ``indistinguishable_from_best``: True for the best itself, for every configuration
  MCB does not resolve worse (``equivalent`` or ``unresolved``), and when the comparison
  cannot be tested (read ``tested``); False for a configuration without any score.
- ``is_best``: the reference configuration.
- ``p_improvement``, ``p_improvement_low``, ``p_improvement_high``: probability
  that the best beats this configuration on a new seed, counted on the paired *test*
  scores (not used to choose), ties half, with an exact interval that counts the ties
  as lost for the lower bound and as won for the upper one
  (`ablation.stats.best.improvement_interval`);
  ``mdd``: the smallest difference the paired test detects with 80 % power at
  these seeds; ``seeds_needed``: seeds that would resolve the observed difference
  (``inf``: more than `ablation.stats.power.MAX_SEEDS`). See `ablation.stats.power`.
- ``diff_shrunk``: ``diff_from_best`` shrunk towards zero (empirical Bayes), since the
  best was chosen from the same data; ``mdd_low``, ``mdd_high`` and
  ``seeds_needed_low``, ``seeds_needed_high``: the detectable difference and the seeds
  that resolve ``diff_shrunk``, over the 95 % interval of the differences' sd.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

import ablation.stats.power as power
from ablation.axes import config_keys
from ablation.stats.best import comparisons, improvement_interval, mcb
from ablation.stats.seeds import describe

DIVERGED_SCORE = 0.0  # a diverged run's accuracy in the rankings: the lowest there is

# view -> (selection score, reported score): validation chooses, test reports
VIEWS = {
    "final": ("final_validation_accuracy", "final_test_accuracy"),
    "early_stopping": ("validation_accuracy_at_best_val", "test_accuracy_at_best_val"),
}
OPTIMISTIC = "test (optimistic)"
PAIRED_COLUMNS = (
    "diff_from_best", "diff_std", "diff_ci_low", "diff_ci_high", "n_pairs", "p_value",
    "test_diff_from_best", "wins", "ties", "n_test_pairs",
)  # fmt: skip


def holm(p_values: np.ndarray | pd.Series) -> np.ndarray:
    """Holm's step-down adjusted p-values; NaN entries stay NaN and do not count in m.

    With the m finite p-values sorted ascending, ``p_(i)`` becomes
    ``max_{j <= i} min(1, (m - j + 1) p_(j))``.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m = len(order)
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out


def paired_p(mean: np.ndarray, std: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p-value of a paired t-test from the differences' mean, std (ddof 1) and count.

    Identical to `scipy.stats.ttest_rel` on the pairs, vectorized; in addition all-zero
    differences give 1.0 (scipy: NaN) and ``n < 2`` gives NaN.
    """
    mean, std, n = (np.asarray(a, dtype=float) for a in (mean, std, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / (std / np.sqrt(n))
        p = 2 * stats.t.sf(np.abs(t), n - 1)
    p = np.where((std == 0) & (mean == 0), 1.0, p)
    return np.where(n >= 2, p, np.nan)


def leaderboard(
    per_run: pd.DataFrame,
    confidence: float = 0.95,
    alpha: float = 0.05,
    view: str = "final",
    equivalence_margin: float = 0.5,
) -> pd.DataFrame:
    """Rank configurations on validation, report their test accuracy, compare each with the best.

    Parameters
    ----------
    per_run : one row per run with the configuration keys, ``seed``, ``status`` and the
        scores of `VIEWS` (`ablation.stats.overfitting.run_overfitting`).
    confidence : coverage of the intervals.
    alpha : family-wise level of the comparisons with the best (MCB) and of Holm's tests.
    view : ``"final"`` (last epoch) or ``"early_stopping"`` (each run's best-validation epoch).
    equivalence_margin : in percentage points (0.5 = half a point of accuracy).

    Returns
    -------
    The ``leaderboard`` table described in this module's docstring, per dataset.
    """
    keys = config_keys(per_run)
    margin = equivalence_margin / 100  # the tables hold accuracies as fractions
    if "dataset" in keys:  # one leaderboard per dataset, never pooled
        parts = [
            _board(part, keys, confidence, alpha, view, margin)
            for _, part in per_run.groupby("dataset", sort=True)
        ]
        return pd.concat(parts, ignore_index=True)
    return _board(per_run, keys, confidence, alpha, view, margin)


def _board(
    per_run: pd.DataFrame,
    keys: list[str],
    confidence: float,
    alpha: float,
    view: str,
    margin: float,
) -> pd.DataFrame:
    select, report = VIEWS[view]
    has_validation = select in per_run and per_run[select].notna().any()
    scores = per_run.assign(
        _select=per_run[select] if has_validation else per_run[report], _report=per_run[report]
    )
    # a diverged run delivered no model: it scores the lowest accuracy, never its last
    # finite milestone, so a configuration that sometimes diverges ranks by what it delivers
    diverged = scores["status"].eq("diverged")
    scores.loc[diverged, ["_select", "_report"]] = DIVERGED_SCORE
    chosen = describe(scores, keys, "_select", confidence)[[*keys, "mean", "ci_low", "ci_high"]]
    chosen.columns = [*keys, "selection_mean", "selection_ci_low", "selection_ci_high"]
    board = describe(scores, keys, "_report", confidence).merge(chosen, on=keys)
    diverged = scores.assign(d=scores["status"].eq("diverged")).groupby(keys)["d"].sum()
    board = board.merge(diverged.rename("n_diverged").reset_index(), on=keys)
    board = board.sort_values("selection_mean", ascending=False, kind="stable", ignore_index=True)
    board["is_best"] = (board.index == 0) & board["selection_mean"].notna()
    if board["is_best"].any():
        paired = _paired_against(scores, keys, board.loc[0, keys], confidence)
        board = board.merge(paired, on=keys, how="left")
    else:  # no run has a score: nothing to compare with
        board = board.assign(**dict.fromkeys(PAIRED_COLUMNS, np.nan))
    board["n_pairs"] = board["n_pairs"].fillna(0).astype("int64")
    board["p_holm"] = holm(board["p_value"])
    board["tested"] = board["p_value"].notna()
    # too few shared seeds to test; a configuration without validation score is unranked, not tied
    untestable = ~board["tested"] & (board["n"] > 0) & board["selection_mean"].notna()
    board = _with_mcb(board, scores, keys, alpha, margin)
    board["indistinguishable_from_best"] = (
        board["is_best"] | board["comparison"].isin(["equivalent", "unresolved"]) | untestable
    )
    board = _with_power(board, confidence, alpha)
    board.insert(0, "rank", _rank(board["selection_mean"]))
    board["test_rank"] = _rank(board["mean"])
    board["view"] = view
    board["selected_on"] = "validation" if has_validation else OPTIMISTIC
    columns = [
        "rank", *keys, "view", "selected_on", "n", "n_diverged", "selection_mean",
        "selection_ci_low", "selection_ci_high", "mean", "std", "ci_low", "ci_high",
        "has_interval", "test_rank", "diff_from_best", "diff_std", "diff_ci_low",
        "diff_ci_high", "test_diff_from_best", "n_pairs", "p_value", "p_holm", "tested",
        "mcb_low", "mcb_high", "comparison", "equivalence_margin",
        "indistinguishable_from_best", "is_best", "p_improvement", "p_improvement_low",
        "p_improvement_high", "mdd", "seeds_needed", "diff_shrunk", "mdd_low", "mdd_high",
        "seeds_needed_low", "seeds_needed_high",
    ]  # fmt: skip
    return board[columns]


def _rank(values: pd.Series) -> pd.Series:
    return values.rank(ascending=False, method="min").astype("Int64")


def _paired_against(
    scores: pd.DataFrame, keys: list[str], best: pd.Series, confidence: float
) -> pd.DataFrame:
    """Paired differences (best minus each configuration) over shared seeds, with t-test."""
    scores = scores.dropna(subset=["_select"])
    is_best = np.logical_and.reduce([scores[k] == best[k] for k in keys])
    reference = scores[is_best].set_index("seed")
    diff = scores["seed"].map(reference["_select"]) - scores["_select"]
    test_diff = scores["seed"].map(reference["_report"]) - scores["_report"]
    diffs = scores.assign(diff=diff, test_diff=test_diff).dropna(subset=["diff"])
    # wins on test: the seeds' test scores took no part in choosing the best
    diffs["win"] = (diffs["test_diff"] > 0).astype(float).where(diffs["test_diff"].notna())
    diffs["tie"] = (diffs["test_diff"] == 0).astype(float).where(diffs["test_diff"].notna())
    out = describe(diffs, keys, "diff", confidence).rename(
        columns={
            "n": "n_pairs",
            "mean": "diff_from_best",
            "std": "diff_std",
            "ci_low": "diff_ci_low",
            "ci_high": "diff_ci_high",
        }
    )
    grouped = diffs.groupby(keys, sort=True, dropna=False)
    extra = pd.DataFrame(
        {
            "test_diff_from_best": grouped["test_diff"].mean(),
            "wins": grouped["win"].sum(),
            "ties": grouped["tie"].sum(),
            "n_test_pairs": grouped["win"].count(),
        }
    )
    out = out.merge(extra.reset_index(), on=keys, how="left")
    out["p_value"] = paired_p(out["diff_from_best"], out["diff_std"], out["n_pairs"])
    own = np.logical_and.reduce([out[k] == best[k] for k in keys])
    out.loc[own, "p_value"] = np.nan
    out.loc[own, ["wins", "ties", "n_test_pairs"]] = np.nan
    return out.drop(columns=["has_interval"])


def _with_mcb(
    board: pd.DataFrame, scores: pd.DataFrame, keys: list[str], alpha: float, margin: float
) -> pd.DataFrame:
    """Comparisons with the best and each configuration's claim against it."""
    scored = scores.dropna(subset=["_select"])
    scored = scored[np.isfinite(scored["_select"].astype(float))]
    board = board.assign(equivalence_margin=margin)
    if scored.empty or not board["is_best"].any():
        return board.assign(mcb_low=np.nan, mcb_high=np.nan, comparison="not tested")
    table = mcb(
        pd.DataFrame(
            {
                "config": scored[keys].astype(str).agg("|".join, axis=1),
                "seed": scored["seed"],
                "score": scored["_select"].astype(float),
            }
        ),
        alpha,
    )
    row_label = board[keys].astype(str).agg("|".join, axis=1)
    best = row_label[board["is_best"]].iloc[0]
    claim = comparisons(table, best, margin)
    board["mcb_low"] = row_label.map(table["mcb_low"])
    board["mcb_high"] = row_label.map(table["mcb_high"])
    board["comparison"] = row_label.map(claim).fillna("not tested")
    return board


def _with_power(board: pd.DataFrame, confidence: float, alpha: float) -> pd.DataFrame:
    """Probability of improvement, minimum detectable difference and seeds needed."""
    level = alpha / max(int(board["tested"].sum()), 1)  # Bonferroni: Holm's strictest step
    others = ~board["is_best"] & board["n_pairs"].gt(0)
    n = board["n_test_pairs"].where(others, 0).fillna(0)
    estimate, low, high = improvement_interval(
        board["wins"].fillna(0), board["ties"].fillna(0), n, confidence
    )
    board["p_improvement"], board["p_improvement_low"], board["p_improvement_high"] = (
        estimate, low, high
    )  # fmt: skip
    tested = board["tested"]
    board["mdd"] = np.where(
        tested, power.min_detectable_difference(board["diff_std"], board["n_pairs"], level), np.nan
    )
    board["seeds_needed"] = np.where(
        tested, power.seeds_needed(board["diff_from_best"], board["diff_std"], level), np.nan
    )
    return _with_planning_ranges(board, tested, level, confidence)


def _with_planning_ranges(
    board: pd.DataFrame, tested: pd.Series, level: float, confidence: float
) -> pd.DataFrame:
    """The detectable difference and seeds needed as ranges over the sd's interval.

    Seeds needed plan for the shrunk difference (`power.shrunk_differences`), not the
    observed gap to a best chosen from the same data.
    """
    sd_low, sd_high = power.sd_interval(board["diff_std"], board["n_pairs"], confidence)
    se = board["diff_std"] / np.sqrt(board["n_pairs"].where(board["n_pairs"] > 0))
    others = tested & ~board["is_best"].astype(bool)
    shrunk = power.shrunk_differences(board["diff_from_best"].where(others), se.where(others))
    board["diff_shrunk"] = shrunk
    for end, sd in (("low", sd_low), ("high", sd_high)):
        board[f"mdd_{end}"] = np.where(
            tested, power.min_detectable_difference(sd, board["n_pairs"], level), np.nan
        )
        board[f"seeds_needed_{end}"] = np.where(
            others, power.seeds_needed(shrunk, sd, level), np.nan
        )
    return board.drop(columns=["wins", "ties", "n_test_pairs"])
