"""Which configuration wins, by how much, and which others we cannot tell apart from it.

Every configuration is compared with the best one (highest mean final test
accuracy over seeds) by a paired t-test over seeds: runs with the same seed
share their data order and, within an architecture, their initialisation, so
pairing removes that shared noise. The p-values of all comparisons are
corrected together by Holm's step-down method (family-wise error at ``alpha``).

The score of a run is its final test accuracy as `ablation.aggregate.run_summary`
reports it: the test accuracy at the last measured milestone (for a diverged run,
the last finite milestone before the divergence, which is also the model its
``model.pt`` holds). Runs that diverged before any milestone have no score and
count only in ``n_diverged``.

Output table ``results/stats/leaderboard.{parquet,csv}`` (`leaderboard`), one row
per configuration, best first:

- ``rank``: 1 = best mean; ties share the lower rank.
- ``activation``, ``optimizer``, ``weight_decay``, ``dropout``: the configuration.
- ``n``: seeds with a score; ``n_diverged``: seeds whose training diverged.
- ``mean``, ``std``, ``ci_low``, ``ci_high``, ``has_interval``: final test accuracy
  over seeds (t-interval, see `ablation.stats.seeds`).
- ``diff_from_best``, ``diff_ci_low``, ``diff_ci_high``: mean and t-interval of the
  paired differences best minus this configuration, over the ``n_pairs`` seeds
  both have (0 for the best itself).
- ``p_value``: two-sided paired t-test of those differences; 1.0 when every
  difference is exactly zero; NaN for the best itself and when ``n_pairs < 2``.
- ``p_holm``: Holm-adjusted ``p_value`` (over the configurations with a p-value).
- ``indistinguishable_from_best``: True for the best itself, when ``p_holm >= alpha``,
  and when the comparison cannot be tested (``n_pairs < 2``: without replicates no
  difference can be shown); False for a configuration without any score.
- ``is_best``: the reference configuration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ablation.axes import config_keys
from ablation.stats.seeds import describe

SCORE = "final_test_accuracy"
PAIRED_COLUMNS = ("diff_from_best", "diff_ci_low", "diff_ci_high", "n_pairs", "p_value")


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
    per_run: pd.DataFrame, confidence: float = 0.95, alpha: float = 0.05
) -> pd.DataFrame:
    """Rank configurations by mean final test accuracy and test each against the best.

    Parameters
    ----------
    per_run : one row per run with the configuration keys, ``seed``, ``status`` and
        ``final_test_accuracy`` (`ablation.stats.overfitting.run_overfitting`).
    confidence : coverage of the intervals.
    alpha : family-wise significance level of the Holm-corrected tests.

    Returns
    -------
    The ``leaderboard`` table described in this module's docstring.
    """
    keys = config_keys(per_run)
    board = describe(per_run, keys, SCORE, confidence)
    diverged = per_run.assign(d=per_run["status"].eq("diverged")).groupby(keys)["d"].sum()
    board = board.merge(diverged.rename("n_diverged").reset_index(), on=keys)
    board = board.sort_values("mean", ascending=False, kind="stable", ignore_index=True)
    board["is_best"] = (board.index == 0) & board["mean"].notna()
    if board["is_best"].any():
        best = board.loc[0, keys]
        board = board.merge(_paired_against(per_run, best, keys, confidence), on=keys, how="left")
    else:  # no run has a score: nothing to compare with
        board = board.assign(**dict.fromkeys(PAIRED_COLUMNS, np.nan))
    board["n_pairs"] = board["n_pairs"].fillna(0).astype("int64")
    board["p_holm"] = holm(board["p_value"])
    untestable = board["p_value"].isna() & (board["n"] > 0)
    board["indistinguishable_from_best"] = (
        board["is_best"] | (board["p_holm"] >= alpha) | untestable
    )
    board.insert(0, "rank", board["mean"].rank(ascending=False, method="min").astype("Int64"))
    columns = [
        "rank", *keys, "n", "n_diverged", "mean", "std", "ci_low", "ci_high",
        "has_interval", "diff_from_best", "diff_ci_low", "diff_ci_high", "n_pairs",
        "p_value", "p_holm", "indistinguishable_from_best", "is_best",
    ]  # fmt: skip
    return board[columns]


def _paired_against(
    per_run: pd.DataFrame, best: pd.Series, keys: list[str], confidence: float
) -> pd.DataFrame:
    """Paired differences (best minus each configuration) over shared seeds, with t-test."""
    scores = per_run.dropna(subset=[SCORE])
    is_best = np.logical_and.reduce([scores[k] == best[k] for k in keys])
    reference = scores[is_best].set_index("seed")[SCORE]
    diffs = scores.assign(diff=scores["seed"].map(reference) - scores[SCORE]).dropna(
        subset=["diff"]
    )
    out = describe(diffs, keys, "diff", confidence).rename(
        columns={
            "n": "n_pairs",
            "mean": "diff_from_best",
            "ci_low": "diff_ci_low",
            "ci_high": "diff_ci_high",
        }
    )
    out["p_value"] = paired_p(out["diff_from_best"], out["std"], out["n_pairs"])
    own = np.logical_and.reduce([out[k] == best[k] for k in keys])
    out.loc[own, "p_value"] = np.nan
    return out.drop(columns=["std", "has_interval"])
