"""A model of the factorial design: which choices matter, and which interact.

The final test accuracy of every run is modelled by ordinary least squares on
every axis that varies (a categorical factor each), all their two-way
interactions, and the seed as a block (a categorical main effect: runs sharing a
seed share data order and initialisation):

    accuracy ~ C(a) + C(b) + ... + C(a):C(b) + ... + C(seed)

The response is the *test* accuracy: this model chooses nothing (the leaderboard
chooses on validation), it describes what each choice does to accuracy on unseen
images, the quantity the report estimates. Diverged runs are left out (their
accuracy is a collapse, not a level of the response; the leaderboard counts them),
as are runs without a score, so the grid may be unbalanced.

Sums of squares are type II: each term is tested after every other term that
does not contain it (nested least-squares fits; the same numbers as
`statsmodels.stats.anova.anova_lm` with ``typ=2`` on a full-rank design, and, unlike
it, degrees of freedom that account for cells a grid is missing). It respects
marginality (a main effect is not adjusted for its own interactions), does not
depend on how the factors are coded, and is the more powerful choice when
interactions are small; type III would test main effects averaged over cells with
equal weights, which with missing runs and present interactions answers a question
nobody asked. On a balanced grid types I, II and III agree.

Effect sizes per term, with ``MS_res`` the residual mean square and N the runs:
partial eta-squared ``SS / (SS + SS_res)`` and partial omega-squared
``(SS - df MS_res) / (SS + (N - df) MS_res)``, the less biased one with few seeds
(clipped at 0). "Which choice matters most" is the main effect with the largest
partial omega-squared; "which choices interact" are the interactions whose Holm
p-value (over the factor and interaction terms) is below ``alpha``.

Guard: a model needs residual degrees of freedom. When the full model leaves fewer
than `MIN_RESIDUAL_DF` (e.g. one seed of a two-axis grid: one run per cell), the
two-way interactions are left out and ``note`` says so; when even the main effects
cannot be estimated, the table has one row whose ``note`` says why.

Output table ``results/stats/anova.{parquet,csv}`` (`anova_table`), one row per
term (per dataset when the study has several): ``dataset`` (when present),
``term`` (``"activation"``, ``"activation:optimizer"``, ``"seed"``, ``"residual"``),
``kind`` (``main``, ``interaction``, ``block``, ``residual``), ``df``, ``sum_sq``,
``mean_sq``, ``F``, ``p_value``, ``p_holm``, ``partial_eta_sq``, ``partial_omega_sq``,
``response``, ``n_runs``, ``residual_df``, ``note`` (empty when the model is complete).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats

from ablation.axes import config_keys
from ablation.stats.compare import holm

RESPONSE = "final_test_accuracy"
MIN_RESIDUAL_DF = 2
COLUMNS = [
    "term", "kind", "df", "sum_sq", "mean_sq", "F", "p_value", "p_holm", "partial_eta_sq",
    "partial_omega_sq", "response", "n_runs", "residual_df", "note",
]  # fmt: skip


def anova_table(per_run: pd.DataFrame, response: str = RESPONSE) -> pd.DataFrame:
    """Type II ANOVA of `response` on every varying axis, their two-way interactions and the seed.

    Parameters
    ----------
    per_run : one row per run with the configuration keys, ``seed``, ``status`` and
        `response` (`ablation.stats.overfitting.run_overfitting`).
    response : the column modelled.

    Returns
    -------
    The ``anova`` table described in this module's docstring.
    """
    keys = config_keys(per_run)
    if "dataset" in keys:  # accuracies of different datasets are never pooled
        parts = [
            _anova(part, [k for k in keys if k != "dataset"], response).assign(dataset=name)
            for name, part in per_run.groupby("dataset", sort=True)
        ]
        out = pd.concat(parts, ignore_index=True)
        return out[["dataset", *COLUMNS]]
    return _anova(per_run, keys, response)


def _anova(per_run: pd.DataFrame, keys: list[str], response: str) -> pd.DataFrame:
    data = per_run[per_run["status"].ne("diverged") & per_run[response].notna()]
    blocks = ["seed"] if data["seed"].nunique() > 1 else []
    return factorial_anova(data, response, keys, blocks)


def factorial_anova(
    data: pd.DataFrame, response: str, factors: list[str], blocks: list[str] = ()
) -> pd.DataFrame:
    """Type II ANOVA of `response` on `factors`, their two-way interactions and `blocks`.

    Factors with a single level are left out; see the module docstring for the
    guard against saturated models. Returns the table's ``COLUMNS``.
    """
    factors = [k for k in factors if data[k].nunique() > 1]
    if not factors:
        return _note(response, len(data), "fewer than two levels of every axis: nothing to model")
    y = data[response].to_numpy(float)
    columns = {name: _dummies(data[name]) for name in (*factors, *blocks)}
    pairs = {f"{a}:{b}": (a, b) for a, b in itertools.combinations(factors, 2)}
    for name, (a, b) in pairs.items():
        columns[name] = np.einsum("ni,nj->nij", columns[a], columns[b]).reshape(len(y), -1)
    note = ""
    residual_df = len(y) - _fit(columns, y)[1]
    if pairs and residual_df < MIN_RESIDUAL_DF:
        note = (
            f"two-way interactions left out: with them only {residual_df} residual "
            f"degrees of freedom remain ({len(y)} runs)"
        )
        columns = {k: v for k, v in columns.items() if k not in pairs}
        pairs = {}
        residual_df = len(y) - _fit(columns, y)[1]
    if residual_df < MIN_RESIDUAL_DF:
        return _note(
            response,
            len(y),
            f"too few runs ({len(y)}) for a model of {len(factors)} "
            f"{'axis' if len(factors) == 1 else 'axes'}: "
            f"{residual_df} residual degree{'' if residual_df == 1 else 's'} of freedom",
        )
    kinds = {f: "main" for f in factors} | {b: "block" for b in blocks}
    kinds |= dict.fromkeys(pairs, "interaction")
    table = _type2(columns, kinds, pairs, y)
    return table.assign(response=response, n_runs=len(y), note=note)[COLUMNS]


def _dummies(values: pd.Series) -> np.ndarray:
    """Treatment coding: one 0/1 column per level but the first."""
    codes, levels = pd.factorize(values, sort=True)
    return (codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float)


def _fit(columns: dict[str, np.ndarray], y: np.ndarray) -> tuple[float, int]:
    """Residual sum of squares and rank of the model with an intercept and `columns`."""
    x = np.column_stack([np.ones(len(y)), *columns.values()])
    coef, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    return float(residual @ residual), int(rank)


def _type2(columns, kinds, pairs, y) -> pd.DataFrame:
    """Type II sums of squares by nested fits: each term after all terms not containing it.

    Least squares with the rank of each design, so aliased columns (missing cells of
    an unbalanced grid) cost no degree of freedom.
    """
    ss_res, rank = _fit(columns, y)
    residual_df = len(y) - rank
    ms_res = ss_res / residual_df
    rows = []
    for term, kind in kinds.items():
        containing = {name for name, pair in pairs.items() if term in pair}
        base = {k: v for k, v in columns.items() if k not in containing and k != term}
        ss_without, rank_without = _fit(base, y)
        ss_with, rank_with = _fit(base | {term: columns[term]}, y)
        rows.append((term, kind, rank_with - rank_without, max(ss_without - ss_with, 0.0)))
    out = pd.DataFrame(rows, columns=["term", "kind", "df", "sum_sq"])
    out.loc[len(out)] = ["residual", "residual", residual_df, ss_res]
    out["df"] = out["df"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["mean_sq"] = out["sum_sq"] / out["df"]
        out["F"] = out["mean_sq"] / ms_res
        ss, df = out["sum_sq"], out["df"]
        out["partial_eta_sq"] = ss / (ss + ss_res)
        omega = (ss - df * ms_res) / (ss + (len(y) - df) * ms_res)
    out["partial_omega_sq"] = omega.clip(lower=0)
    out["p_value"] = stats.f.sf(out["F"], out["df"], residual_df)
    effects = out["kind"].isin(["main", "interaction"]) & out["df"].gt(0)
    out["p_holm"] = holm(out["p_value"].where(effects))
    residual = out["kind"].eq("residual")
    out.loc[residual | out["df"].eq(0), ["F", "p_value", "mean_sq"]] = np.nan
    out.loc[residual, ["F", "p_value", "partial_eta_sq", "partial_omega_sq"]] = np.nan
    out.loc[residual, "mean_sq"] = ms_res
    out["residual_df"] = residual_df
    return out


def _note(response: str, n_runs: int, why: str) -> pd.DataFrame:
    row = dict.fromkeys(COLUMNS, np.nan) | {
        "term": pd.NA, "kind": pd.NA, "response": response, "n_runs": n_runs, "note": why,
    }  # fmt: skip
    return pd.DataFrame([row])[COLUMNS]
