"""When and why a run overfits: generalization gaps, early stopping, onset and verdict.

Definitions (all at milestone epochs, losses and accuracies measured in inference
mode; ``train`` is the full training split, not the running minibatch mean):

- Gaps: ``gap_accuracy_test = train_accuracy - test_accuracy``,
  ``gap_loss_test = test_loss - train_loss``, and the same against validation.
  Positive means the model does better on what it was trained on.
- Early stopping: the epoch of lowest validation loss (``best_val_epoch``, first one
  on ties, from `ablation.aggregate.run_summary`) and the test accuracy there,
  against the final test accuracy: ``early_stopping_gain`` = accuracy at the best
  validation epoch minus final accuracy.
- Overfitting onset: the onset is the run's best-validation epoch e* (lowest
  validation loss v*, first on ties), so a verdict never contradicts it. It counts
  only when validation loss then rose in a *sustained* way while training loss did
  not rise with it (its last value at most ``(1 + tol) t_{e*}``; ``tol`` =
  ``analysis.onset_tolerance``), by one of:

  - an episode: `EPISODE` (3) consecutive milestones after e* with
    ``v_j > (1 + tol) * v*``;
  - a trend: a one-sided Kendall (Mann-Kendall) test over the milestones after e*
    says validation loss rises (p < ``TREND_ALPHA``) and its Theil-Sen line rises at
    least ``tol / 2 * v*`` from e* to the last milestone (a steady small rise);
  - with fewer than `EPISODE` milestones after e*, neither can be judged: the last
    milestone above the band decides.

  ``onset_detected_epoch`` is where the rise shows: the first milestone above the band
  (of the episode, or anywhere for a trend; for a trend without one, the first above
  half the band). In words: the last epoch at which the model still generalized best,
  before a rise of validation loss that training did not share and that lasted.
- Noisy plateau: validation loss rose more than ``tol`` above its running minimum
  at some milestone (``v_j > (1 + tol) min(v_1..v_{j-1})`` with training loss lower
  than at that minimum), but the rise was not sustained: the curve is flat and noisy
  rather than overfitting. The first such j is ``noisy_rise_epoch``. No validation
  split: neither (NA).
- Still learning (`still_learning`): validation loss falls over the milestones of the
  later half of training (one-sided Kendall test, p < ``TREND_ALPHA``) to a new low at
  the last milestone: more epochs would help. The test needs ``TREND_POINTS`` = 4
  milestones there (its least p over n points is 1/n!, 1/6 for 3); with fewer, as with
  milestones 1, 2, 3, 5, 10, ``learning_judged`` is False and the verdict cannot say it.
- Underfitting threshold (``underfit_threshold``): the best final training accuracy of
  any run of the same dataset (diverged runs excluded) minus ``analysis.underfit_margin``
  (percentage points), and at least ``analysis.underfit_train_accuracy`` where that
  absolute floor is set. Relative, so right for MNIST, Fashion-MNIST and KMNIST alike.
- Verdict, the first rule that applies:
  1. ``diverged``: status ``diverged`` or a non-finite loss anywhere in the run;
  2. ``still learning``: as above (needs a validation split);
  3. ``underfitting``: final training accuracy below ``underfit_threshold``;
  4. ``not available``: no validation split (``training.validation_size: 0``), so
     overfitting cannot be judged; the test set is never used to judge it, since
     that would make it part of model selection;
  5. ``overfitting``: a sustained onset was found (onset epoch k in ``onset_epoch``);
  6. ``noisy plateau``: a rise that came back (``noisy_rise_epoch``);
  7. ``good fit``: otherwise.

Output tables:

``results/stats/gaps.parquet`` (`milestone_gaps`), one row per run and milestone:
``run_id``, configuration keys, ``seed``, ``status``, ``epoch``, ``train_loss``,
``train_accuracy``, ``validation_loss``, ``validation_accuracy``, ``test_loss``,
``test_accuracy``, ``gap_accuracy_test``, ``gap_loss_test``, ``gap_accuracy_validation``,
``gap_loss_validation`` (validation columns NaN without a validation split).

``results/stats/overfitting.{parquet,csv}`` (`run_overfitting`), one row per run,
diverged runs included: ``run_id``, configuration keys, ``seed``, ``status``,
``diverged_epoch``, ``validation_available``, ``final_epoch``, ``final_train_accuracy``,
``final_test_accuracy``, ``final_test_loss``, ``final_gap_accuracy``, ``final_gap_loss``,
``best_val_epoch``, ``test_accuracy_at_best_val``, ``test_loss_at_best_val``,
``early_stopping_gain``, ``final_val_loss_rise`` (final validation loss relative to its
minimum, minus 1), ``onset_epoch``, ``onset_detected_epoch``, ``noisy_rise_epoch``
(nullable integers), ``final_validation_accuracy`` and ``validation_accuracy_at_best_val``
(what configurations are selected on, `ablation.stats.compare`),
``underfit_threshold``, ``learning_judged`` (whether the later half of training has the
milestones to tell "still learning"), ``verdict``, ``reason`` (one sentence).

``results/stats/overfitting_configs.{parquet,csv}`` (`config_overfitting`), one row
per configuration: keys, ``n_runs``, ``n_diverged``, ``n_underfitting``,
``n_overfitting``, ``n_still_learning``, ``n_noisy_plateau``, ``n_good_fit``,
``n_not_available``, ``verdict`` (most common over seeds; ties go to the first in the
order diverged, underfitting, overfitting, still learning, noisy plateau, good fit,
not available), ``onset_epoch_median``, ``onset_epoch_min``,
``best_val_epoch_median``, ``early_stopping_gain_mean``.

``results/stats/regularization_pairs.parquet`` (`regularization_pairs`): each run
with dropout (weight decay) > 0 paired with the run of the same activation,
optimizer, other regularizer and seed but dropout (weight decay) 0:
``regularizer``, ``level``, ``baseline_level``, the regularized run's configuration
keys, ``seed``, ``metric``, ``treated``, ``baseline``, ``delta`` (treated - baseline).
Metrics: ``final_gap_accuracy``, ``final_gap_loss``, ``onset_epoch``, ``overfits``
(1 for verdict overfitting, 0 for good fit or underfitting), ``final_test_accuracy``,
``test_accuracy_at_best_val``. Pairs where either value is missing are left out.

``results/stats/regularization_effects.{parquet,csv}`` (`regularization_effects`):
``regularizer``, ``level``, ``baseline_level``, ``metric``, ``n_pairs``, ``n_seeds``,
``mean_treated``, ``mean_baseline``, ``mean_delta``, ``ci_low``, ``ci_high``,
``has_interval``, ``p_value``, ``p_holm``: as `ablation.stats.paired.paired_effects`
(the t-test over the seeds' mean deltas; Holm over this table's rows).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ablation.aggregate import milestone_wide, run_keys
from ablation.axes import config_keys
from ablation.stats.paired import PAIR_METRICS, paired_effects, paired_runs  # noqa: F401

VERDICTS = (
    "diverged", "underfitting", "overfitting", "still learning", "noisy plateau", "good fit",
    "not available",
)  # fmt: skip
REGULARIZERS = ("dropout", "weight_decay")
_SPLIT_COLUMNS = [f"{s}_{v}" for s in ("train", "validation", "test") for v in ("loss", "accuracy")]


def run_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per run of the metrics table, every run included (even one with no milestone).

    Columns: run keys, ``status``, ``diverged_epoch``, ``validation_size``,
    ``first_non_finite_epoch`` (first epoch with a non-finite loss, any split; NA if none).
    """
    keys = run_keys(metrics)
    extra = [c for c in ("status", "diverged_epoch", "validation_size") if c not in keys]
    runs = metrics.drop_duplicates("run_id")[[*keys, *extra]].set_index("run_id")
    bad = metrics[~np.isfinite(metrics["loss"].astype(float))]
    runs["first_non_finite_epoch"] = bad.groupby("run_id")["epoch"].min().astype("Int64")
    runs["diverged_epoch"] = runs["diverged_epoch"].astype("Int64")
    return runs.reset_index().sort_values(keys, ignore_index=True)


def milestone_gaps(metrics: pd.DataFrame) -> pd.DataFrame:
    """Train-test and train-validation gaps of every run at every milestone.

    Returns
    -------
    The ``gaps`` table described in this module's docstring.
    """
    wide = milestone_wide(metrics)
    for column in _SPLIT_COLUMNS:  # no validation split: its columns are absent
        if column not in wide:
            wide[column] = np.nan
    status = metrics.drop_duplicates("run_id").set_index("run_id")["status"]
    keys = run_keys(metrics)
    wide.insert(len(keys), "status", wide["run_id"].map(status))
    wide = wide[[*keys, "status", "epoch", *_SPLIT_COLUMNS]]
    return wide.assign(
        gap_accuracy_test=wide["train_accuracy"] - wide["test_accuracy"],
        gap_loss_test=wide["test_loss"] - wide["train_loss"],
        gap_accuracy_validation=wide["train_accuracy"] - wide["validation_accuracy"],
        gap_loss_validation=wide["validation_loss"] - wide["train_loss"],
    )


def overfitting_onset(gaps: pd.DataFrame, tolerance: float = 0.05) -> pd.DataFrame:
    """The sustained overfitting onset and the transient rises of every run.

    Parameters
    ----------
    gaps : rows per run and milestone with ``run_id``, ``epoch``, ``validation_loss``
        and ``train_loss``.
    tolerance : relative rise of validation loss above its minimum that counts.

    Returns
    -------
    One row per run whose validation loss rose (definitions in the module docstring):
    ``run_id``, ``onset_epoch`` and ``onset_detected_epoch`` (NA unless the rise is
    sustained), ``noisy_rise_epoch`` (NA when it is).
    """
    g = gaps[np.isfinite(gaps["validation_loss"])].sort_values(["run_id", "epoch"])
    onset = _sustained_onset(g, tolerance)
    noisy = _first_rise(g, tolerance).drop(onset.index, errors="ignore")
    out = pd.DataFrame(
        {
            "onset_epoch": onset["onset_epoch"],
            "onset_detected_epoch": onset["onset_detected_epoch"],
            "noisy_rise_epoch": noisy,
        }
    )
    out = out.astype("Int64").rename_axis("run_id").sort_index()
    return out.reset_index()


TREND_ALPHA = 0.05  # one-sided level of the Kendall (Mann-Kendall) trend tests
TREND_POINTS = 4  # the fewest points whose one-sided Kendall p can fall below 0.05 (1/4!)
EPISODE = 3  # consecutive milestones above the band that make a rise sustained


def _sustained_onset(g: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Per run with a sustained rise after its best-validation epoch: onset and detection."""
    rows = {}
    for run, curve in g.groupby("run_id", sort=True):
        detected = _sustained_rise(curve, tolerance)
        if detected is not None:
            best = curve.loc[curve["validation_loss"].idxmin()]
            rows[run] = (best["epoch"], detected)
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["onset_epoch", "onset_detected_epoch"]
    )


def _sustained_rise(curve: pd.DataFrame, tolerance: float) -> float | None:
    """Epoch at which a sustained rise after the minimum shows, or None (module docstring)."""
    best = curve["validation_loss"].idxmin()
    v_best, t_best, e_best = curve.loc[best, ["validation_loss", "train_loss", "epoch"]]
    later = curve[curve["epoch"] > e_best]
    if later.empty or later["train_loss"].iloc[-1] > (1 + tolerance) * t_best:
        return None  # nothing after the minimum, or training loss rose with it: not overfitting
    above = (later["validation_loss"] > (1 + tolerance) * v_best).to_numpy()
    first_above = later["epoch"][above].iloc[0] if above.any() else None
    if len(later) < EPISODE:  # too few milestones for an episode or a trend: the end decides
        return first_above if above[-1] else None
    episode = _first_run_of(above, EPISODE)
    if episode is not None:
        return later["epoch"].iloc[episode]
    if _trend(later, "greater") and _fitted_rise(later, e_best) >= tolerance / 2 * v_best:
        half = later["epoch"][later["validation_loss"] > (1 + tolerance / 2) * v_best]
        if first_above is not None:
            return first_above
        return half.iloc[0] if len(half) else later["epoch"].iloc[-1]
    return None


def _first_run_of(flags: np.ndarray, length: int) -> int | None:
    """Index where the first run of `length` consecutive True starts, or None."""
    count = 0
    for i, flag in enumerate(flags):
        count = count + 1 if flag else 0
        if count == length:
            return i - length + 1
    return None


def _trend(points: pd.DataFrame, alternative: str) -> bool:
    """One-sided Kendall (Mann-Kendall) test of validation loss against the epoch."""
    if len(points) < 3:
        return False
    test = stats.kendalltau(points["epoch"], points["validation_loss"], alternative=alternative)
    return bool(test.pvalue < TREND_ALPHA)


def _fitted_rise(later: pd.DataFrame, e_best: float) -> float:
    """Theil-Sen rise of validation loss from the minimum's epoch to the last milestone."""
    slope = stats.theilslopes(later["validation_loss"], later["epoch"]).slope
    return float(slope * (later["epoch"].iloc[-1] - e_best))


def still_learning(g: pd.DataFrame) -> pd.Index:
    """Runs whose validation loss still falls at the end: a significant downward trend over
    the milestones of the later half of training and a new minimum at the last."""
    out = []
    for run, curve in g.groupby("run_id", sort=True):
        half = _later_half(curve)
        values = curve["validation_loss"].to_numpy()
        new_low = len(values) > 1 and values[-1] < values[:-1].min()
        if new_low and _trend(half, "less"):
            out.append(run)
    return pd.Index(out, name="run_id")


def learning_judged(g: pd.DataFrame) -> pd.Index:
    """Runs whose later half of training has the `TREND_POINTS` milestones a trend needs."""
    last = g.groupby("run_id")["epoch"].transform("max")
    counts = (g["epoch"] >= last / 2).groupby(g["run_id"]).sum()
    return pd.Index(counts.index[counts >= TREND_POINTS], name="run_id")


def _later_half(curve: pd.DataFrame) -> pd.DataFrame:
    return curve[curve["epoch"] >= curve["epoch"].iloc[-1] / 2]


def _first_rise(g: pd.DataFrame, tolerance: float) -> pd.Series:
    """Per run, the first milestone whose validation loss rose above the running minimum."""
    run = g["run_id"]
    val, train = g["validation_loss"], g["train_loss"]
    prev_min = val.groupby(run).cummin().groupby(run).shift(1)
    new_min = prev_min.isna() | (val < prev_min)
    train_at_min = train.where(new_min).groupby(run).ffill().groupby(run).shift(1)
    rose = (val > (1 + tolerance) * prev_min) & (train < train_at_min)
    return g[rose].groupby("run_id", sort=True)["epoch"].first()


def run_overfitting(
    metrics: pd.DataFrame,
    runs: pd.DataFrame,
    gaps: pd.DataFrame,
    onset_tolerance: float = 0.05,
    underfit_train_accuracy: float | None = None,
    underfit_margin: float = 3.0,
) -> pd.DataFrame:
    """One row per run: final and early-stopping numbers, onset, verdict and its reason.

    Parameters
    ----------
    metrics : the tidy metrics table (for the list of runs and their status).
    runs : `ablation.aggregate.run_summary` of the same metrics (final and best-validation
        numbers are taken from it, not recomputed).
    gaps : `milestone_gaps` of the same metrics.
    onset_tolerance, underfit_train_accuracy : thresholds (see the module docstring).
    underfit_margin : percentage points below the best final training accuracy of the
        same dataset that count as underfitting.

    Returns
    -------
    The ``overfitting`` table described in this module's docstring.
    """
    out = run_table(metrics)
    summary = runs.set_index("run_id")[
        ["final_epoch", "final_test_accuracy", "final_test_loss", "final_gap",
         "best_val_epoch", "test_accuracy_at_best_val"]
    ].rename(columns={"final_gap": "final_gap_accuracy"})  # fmt: skip
    out = out.join(summary, on="run_id")
    at = gaps.set_index([gaps["run_id"], gaps["epoch"].astype(float)])
    final = _lookup(
        at, out, "final_epoch",
        ["train_accuracy", "gap_loss_test", "validation_loss", "validation_accuracy"],
    )  # fmt: skip
    best = _lookup(
        at, out, "best_val_epoch", ["test_loss", "validation_loss", "validation_accuracy"]
    )
    out["validation_available"] = out["validation_size"] > 0
    out = out.assign(
        final_train_accuracy=final["train_accuracy"],
        final_gap_loss=final["gap_loss_test"],
        final_validation_accuracy=final["validation_accuracy"],
        validation_accuracy_at_best_val=best["validation_accuracy"],
        test_loss_at_best_val=best["test_loss"],
        early_stopping_gain=out["test_accuracy_at_best_val"] - out["final_test_accuracy"],
        final_val_loss_rise=final["validation_loss"] / best["validation_loss"] - 1,
    )
    onset = overfitting_onset(gaps, onset_tolerance).set_index("run_id")
    out = out.join(onset, on="run_id")
    out["underfit_threshold"] = _underfit_threshold(
        out, metrics, underfit_margin / 100, underfit_train_accuracy
    )
    judged = gaps[np.isfinite(gaps["validation_loss"])].sort_values(["run_id", "epoch"])
    out["still_learning"] = out["run_id"].isin(still_learning(judged))
    out["learning_judged"] = out["run_id"].isin(learning_judged(judged))
    out["verdict"], out["reason"] = _verdicts(out, onset_tolerance)
    columns = [
        *run_keys(metrics), "status", "diverged_epoch", "validation_available", "final_epoch",
        "final_train_accuracy", "final_test_accuracy", "final_test_loss", "final_gap_accuracy",
        "final_gap_loss", "best_val_epoch", "test_accuracy_at_best_val", "test_loss_at_best_val",
        "early_stopping_gain", "final_val_loss_rise", "onset_epoch", "onset_detected_epoch",
        "noisy_rise_epoch", "final_validation_accuracy", "validation_accuracy_at_best_val",
        "underfit_threshold", "learning_judged", "verdict", "reason",
    ]  # fmt: skip
    out[["final_epoch", "best_val_epoch"]] = out[["final_epoch", "best_val_epoch"]].astype("Int64")
    return out[columns]


def _lookup(at: pd.DataFrame, runs: pd.DataFrame, epoch: str, columns: list[str]) -> pd.DataFrame:
    """Values of `columns` of each run at its own epoch `epoch` (NaN where it has none)."""
    keys = pd.MultiIndex.from_arrays([runs["run_id"], runs[epoch].astype(float)])
    return at[columns].reindex(keys).set_axis(runs.index)


def _underfit_threshold(
    runs: pd.DataFrame, metrics: pd.DataFrame, margin: float, floor: float | None
) -> pd.Series:
    """Per run: the best final training accuracy of its dataset minus `margin`, at least `floor`."""
    dataset = metrics.drop_duplicates("run_id").set_index("run_id").get("dataset")
    group = runs["run_id"].map(dataset) if dataset is not None else pd.Series(0, runs.index)
    finished = runs["final_train_accuracy"].where(runs["status"].ne("diverged"))
    reached = finished.groupby(group.fillna("")).transform("max")
    threshold = reached - margin
    return threshold if floor is None else np.maximum(threshold.fillna(floor), floor)


def _verdicts(runs: pd.DataFrame, tolerance: float):
    non_finite = runs["first_non_finite_epoch"].notna()
    diverged = runs["status"].eq("diverged") | non_finite
    learning = ~diverged & runs["still_learning"]
    underfit = ~diverged & ~learning & (runs["final_train_accuracy"] < runs["underfit_threshold"])
    no_validation = ~diverged & ~underfit & ~runs["validation_available"]
    judged = ~diverged & ~learning & ~underfit & ~no_validation
    overfit = judged & runs["onset_epoch"].notna()
    noisy = judged & ~overfit & runs["noisy_rise_epoch"].notna()
    verdict = np.select(
        [diverged, learning, underfit, no_validation, overfit, noisy],
        ["diverged", "still learning", "underfitting", "not available", "overfitting",
         "noisy plateau"],
        default="good fit",
    )  # fmt: skip
    bad_epoch = runs["diverged_epoch"].fillna(runs["first_non_finite_epoch"])
    reasons = {
        "diverged": "non-finite loss at epoch " + bad_epoch.astype("string").fillna("?"),
        "still learning": pd.Series(
            "validation loss still fell over the later half of training (Kendall trend, "
            f"p < {TREND_ALPHA:g}) to a new low at the last milestone: more epochs would help",
            index=runs.index,
        ),
        "underfitting": "final training accuracy "
        + runs["final_train_accuracy"].map("{:.4f}".format)
        + " is below "
        + runs["underfit_threshold"].map("{:.4f}".format)
        + " (the best run of its dataset less the underfit margin)",
        "not available": pd.Series(
            "no validation split (training.validation_size is 0): overfitting not judged",
            index=runs.index,
        ),
        "overfitting": "validation loss rose after its minimum at epoch "
        + runs["onset_epoch"].astype("string")
        + ", a sustained rise from epoch "
        + runs["onset_detected_epoch"].astype("string")
        + f" (several milestones more than {tolerance:.0%} above it, or a significant "
        + "upward trend) while training loss did not rise; at the end "
        + runs["final_val_loss_rise"].map("{:+.0%}".format)
        + " above the minimum",
        "noisy plateau": "validation loss rose more than "
        + f"{tolerance:.0%} above its running minimum at epoch "
        + runs["noisy_rise_epoch"].astype("string")
        + " but came back (lowest at epoch "
        + runs["best_val_epoch"].astype("string")
        + "): a flat, noisy curve, not overfitting",
        "good fit": pd.Series(
            f"validation loss never rose more than {tolerance:.0%} above its minimum "
            "while training loss fell",
            index=runs.index,
        ),
    }
    reason = pd.Series(pd.NA, index=runs.index, dtype="string")
    for name, text in reasons.items():
        pick = verdict == name
        reason[pick] = text[pick]
    return verdict, reason


def config_overfitting(per_run: pd.DataFrame) -> pd.DataFrame:
    """Verdict counts, typical onset and early-stopping gain of each configuration.

    Returns
    -------
    The ``overfitting_configs`` table described in this module's docstring.
    """
    keys = config_keys(per_run)
    counts = pd.crosstab([per_run[k] for k in keys], per_run["verdict"])
    counts = counts.reindex(columns=list(VERDICTS), fill_value=0)
    # most common verdict; ties go to the first (most severe) in VERDICTS
    verdict = counts.idxmax(axis=1).rename("verdict")
    counts.columns = [f"n_{v.replace(' ', '_')}" for v in counts.columns]
    grouped = per_run.groupby(keys, sort=True)
    stats = pd.DataFrame(
        {
            "n_runs": grouped.size(),
            "onset_epoch_median": grouped["onset_epoch"].median().astype(float),
            "onset_epoch_min": grouped["onset_epoch"].min().astype(float),
            "best_val_epoch_median": grouped["best_val_epoch"].median().astype(float),
            "early_stopping_gain_mean": grouped["early_stopping_gain"].mean(),
        }
    )
    out = stats.join(counts).join(verdict).reset_index()
    columns = [
        *keys, "n_runs", *counts.columns, "verdict", "onset_epoch_median",
        "onset_epoch_min", "best_val_epoch_median", "early_stopping_gain_mean",
    ]  # fmt: skip
    return out[columns]


def regularization_pairs(per_run: pd.DataFrame, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """The paired runs of `ablation.stats.paired.paired_runs` that change dropout or weight decay.

    `pairs`: that table when already computed (else it is computed from `per_run`).

    Returns
    -------
    The ``regularization_pairs`` table described in this module's docstring (empty
    when no regularizer has both 0 and a positive level).
    """
    pairs = paired_runs(per_run) if pairs is None else pairs
    pairs = pairs[pairs["axis"].isin(REGULARIZERS) & (pairs["baseline_level"] == "0.0")]
    return _as_regularizer(pairs, float)


def regularization_effects(pairs: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean paired change that each regularizer level makes to each metric, with CI and p.

    Returns
    -------
    The ``regularization_effects`` table described in this module's docstring.
    """
    generic = pairs.rename(columns={"regularizer": "axis"})
    return _as_regularizer(paired_effects(generic, confidence), float)


def _as_regularizer(table: pd.DataFrame, kind: type) -> pd.DataFrame:
    """A table of `ablation.stats.paired` with ``regularizer`` for ``axis``, levels as numbers."""
    out = table.rename(columns={"axis": "regularizer"})
    return out.astype({"level": kind, "baseline_level": kind})
