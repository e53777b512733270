"""More data: what the training-set size does to test accuracy and the gap, next to regularizers.

Only for a study whose ``train_size`` varies (smaller training sets are nested
subsets of the larger ones, the validation split fixed). Two tables answer the
tutorial's question "is more data a remedy for overfitting?":

- The curve: mean final test accuracy and mean final train-test accuracy gap per
  training-set size, separately for every regularization setting (weight decay x
  dropout levels, "with and without each regularizer"), pooled over the other
  axes and the seeds (t-interval over those runs, as a marginal mean).
- The worth: the paired effects (`ablation.stats.paired`) of each larger training
  set against the smallest, next to those of each dropout and weight-decay level
  against none, on the same two metrics: what more data buys in percentage points,
  beside what a regularizer buys, each with everything else fixed.

A study of several datasets gets both per dataset (a leading ``dataset`` column).

Output tables:

``results/stats/datasize_curve.{parquet,csv}`` (`datasize_curve`): ``dataset`` (when
several), ``train_size``, ``weight_decay``, ``dropout`` (those that exist), ``metric``
(``final_test_accuracy`` | ``final_gap_accuracy``), ``n``, ``mean``, ``std``, ``ci_low``,
``ci_high``, ``has_interval``.

``results/stats/datasize_worth.{parquet,csv}`` (`datasize_worth`): the rows of
``paired_effects`` for ``train_size``, ``dropout`` and ``weight_decay`` on those two
metrics (same columns).
"""

from __future__ import annotations

import pandas as pd

from ablation.axes import strata_and_factors
from ablation.stats.seeds import DESCRIBE_COLUMNS, describe

DATASIZE_METRICS = ("final_test_accuracy", "final_gap_accuracy")
REMEDIES = ("train_size", "dropout", "weight_decay")


def varies_train_size(per_run: pd.DataFrame) -> bool:
    """True when the study has more than one training-set size."""
    return "train_size" in per_run and per_run["train_size"].nunique() > 1


def datasize_curve(per_run: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean test accuracy and gap per training-set size and regularization setting.

    Returns
    -------
    The ``datasize_curve`` table described in this module's docstring (empty when
    ``train_size`` does not vary).
    """
    strata, _ = strata_and_factors(per_run)
    settings = [k for k in ("weight_decay", "dropout") if k in per_run]
    by = [*strata, "train_size", *settings]
    if not varies_train_size(per_run):
        return pd.DataFrame(columns=[*by, "metric", *DESCRIBE_COLUMNS])
    long = per_run.melt(id_vars=by, value_vars=list(DATASIZE_METRICS), var_name="metric")
    return describe(long, [*by, "metric"], "value", confidence)


def datasize_worth(paired_effects: pd.DataFrame) -> pd.DataFrame:
    """The paired effects of more data, dropout and weight decay on accuracy and gap.

    Returns
    -------
    The ``datasize_worth`` table described in this module's docstring (empty when
    ``train_size`` is not among the axes of `paired_effects`).
    """
    if paired_effects.empty or "train_size" not in set(paired_effects["axis"]):
        return paired_effects.iloc[:0]
    rows = paired_effects[
        paired_effects["axis"].isin(REMEDIES) & paired_effects["metric"].isin(DATASIZE_METRICS)
    ]
    return rows.reset_index(drop=True)
