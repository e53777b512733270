"""How many seeds are enough, and how likely the best is to win again.

For each comparison of a configuration with the best (paired differences over the
seeds both have, `ablation.stats.compare`):

- Minimum detectable difference (``mdd``): the smallest true mean difference that
  a two-sided paired t-test over the ``n`` seeds run would detect with probability
  ``power`` (80 %), given the observed standard deviation of the differences:
  ``mdd = d(n) * sd`` where ``d(n)`` is the effect size (Cohen's d of the pairs) at
  which the exact power (noncentral t, both tails) reaches 80 %, found by a checked
  root finder (`detectable_effect`).
- Seeds needed (``seeds_needed``): the smallest number of seeds at which the same
  test would detect the *observed* mean difference with that power (observed
  difference and spread taken as the truth: a planning figure, not a promise).
  Infinite when the observed difference is zero; NaN when fewer than two pairs give
  no spread.
- The test level is ``alpha / m`` for ``m`` comparisons (Bonferroni, the strictest
  step of Holm's procedure that the leaderboard applies), so the planned seeds are
  enough whichever step of Holm's procedure the comparison ends up at.
- Probability of improvement (Bouthillier et al., "Accounting for variance in
  machine learning benchmarks", MLSys 2021): the probability that the best beats
  the other configuration on a new seed, estimated by the share of paired seeds on
  which it did (a tie counts half), with an exact Clopper-Pearson interval. With 3
  seeds a percentile bootstrap would collapse to [1, 1] after three wins; the exact
  interval stays honest about how little three seeds say.
"""

from __future__ import annotations

import functools
import math
import textwrap

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ablation.i18n import ngettext, percent

POWER = 0.8
MAX_SEEDS = 1000  # beyond this, `seeds_needed` is reported as infinite


@functools.lru_cache(maxsize=256)
def detectable_effect(n: int, alpha: float, power: float = POWER) -> float:
    """Cohen's d a two-sided paired t-test over `n` pairs detects with `power` (NaN if n < 2).

    The root of the exact power (`ttest_power`) found by Brent's method on a bracket
    that holds it, then checked: a root whose power misses `power` raises instead of
    being reported (statsmodels' solver returns such roots silently, e.g. d = 5.5 for
    n = 3 at alpha = 0.05/15, where the exact answer is 12.7).
    """
    if n < 2:
        return math.nan

    def gap(effect: float) -> float:
        return float(ttest_power(np.array(effect), np.array(float(n)), alpha)) - power

    high = 1.0
    while gap(high) < 0:  # power rises with the effect: double until it brackets
        high *= 2
        if high > 1e6:
            raise ArithmeticError(f"no effect reaches power {power} at n={n}, alpha={alpha}")
    effect = optimize.brentq(gap, 0.0, high, xtol=1e-10, rtol=1e-12)
    if abs(gap(effect)) > 1e-6:
        raise ArithmeticError(f"power root check failed at n={n}, alpha={alpha}: d={effect}")
    return float(effect)


def min_detectable_difference(
    sd: np.ndarray | pd.Series,
    n: np.ndarray | pd.Series,
    alpha: float,
    power: float = POWER,
) -> np.ndarray:
    """The smallest mean paired difference detectable with `power`, element-wise.

    Parameters
    ----------
    sd : standard deviation (ddof 1) of the paired differences.
    n : number of pairs (seeds).
    alpha : two-sided level of the test.
    power : probability of detecting a true difference of that size.
    """
    sd, n = np.asarray(sd, dtype=float), np.asarray(n)
    effect = np.array([detectable_effect(int(k), alpha, power) for k in n.ravel()])
    return effect.reshape(n.shape) * sd


def ttest_power(effect: np.ndarray, n: np.ndarray, alpha: float) -> np.ndarray:
    """Exact power of a two-sided one-sample (paired) t-test: the noncentral t's two tails.

    The lower tail P(T < -c | nc) is computed as P(T > c | -nc), which scipy evaluates
    where its cdf far in the tail returns NaN; no tail falls back to a normal
    approximation (a whole-power fallback was wrong both ways at 3-5 seeds).
    """
    effect, n = np.asarray(effect, dtype=float), np.asarray(n, dtype=float)
    df = n - 1.0
    crit = stats.t.isf(alpha / 2, df)
    nc = effect * np.sqrt(n)
    return stats.nct.sf(crit, df, nc) + stats.nct.sf(crit, df, -nc)


def seeds_needed(
    diff: np.ndarray | pd.Series,
    sd: np.ndarray | pd.Series,
    alpha: float,
    power: float = POWER,
    max_seeds: int = MAX_SEEDS,
) -> np.ndarray:
    """Seeds at which a paired t-test detects `diff` (given `sd`) with `power`, element-wise.

    Returns
    -------
    Float array: the integer number of seeds, ``inf`` when more than `max_seeds` (or
    a zero difference) would be needed, NaN where `sd` is unknown.
    """
    diff, sd = np.abs(np.asarray(diff, dtype=float)), np.asarray(sd, dtype=float)
    out = np.full(diff.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        effect = diff / sd
    out[np.isfinite(sd) & (sd == 0) & (diff > 0)] = 2.0  # the same difference every seed
    todo = np.flatnonzero(np.isfinite(effect) & (sd > 0))
    if len(todo):
        out[todo] = _first_n(effect[todo], alpha, power, max_seeds)
    return out


def _first_n(effect: np.ndarray, alpha: float, power: float, max_seeds: int) -> np.ndarray:
    """Smallest n in 2..max_seeds with `power` (power rises with n): bisection, all at once."""
    low, high = np.ones_like(effect), np.full_like(effect, float(max_seeds))
    enough = ttest_power(effect, high, alpha) >= power
    while np.any(high - low > 1):
        mid = np.floor((low + high) / 2)
        ok = ttest_power(effect, mid, alpha) >= power
        high, low = np.where(ok, mid, high), np.where(ok, low, mid)
    return np.where(enough, high, np.inf)


def sd_interval(
    sd: np.ndarray | pd.Series, n: np.ndarray | pd.Series, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """The chi-square interval of a standard deviation estimated from `n` values, element-wise.

    With 3 seeds the sd has 2 degrees of freedom and its 95 % interval spans about x0.5
    to x6 of the estimate: a plan from the estimate alone hides that.
    """
    sd, df = np.asarray(sd, dtype=float), np.asarray(n, dtype=float) - 1
    tail = (1 - confidence) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        low = sd * np.sqrt(df / stats.chi2.isf(tail, df))
        high = sd * np.sqrt(df / stats.chi2.ppf(tail, df))
    return np.where(df > 0, low, np.nan), np.where(df > 0, high, np.nan)


def shrunk_differences(diff: np.ndarray | pd.Series, se: np.ndarray | pd.Series) -> np.ndarray:
    """Differences from the best shrunk towards zero (positive-part James-Stein, normal means).

    The observed gaps to a best chosen from the same data are inflated by the choice;
    an empirical-Bayes estimate pulls each towards zero by its share of noise,
    ``tau^2 / (tau^2 + se_i^2)`` with ``tau^2 = max(0, mean(diff^2 - se^2))``, so a plan
    built on it errs towards more seeds, not fewer.
    """
    diff, se = np.asarray(diff, dtype=float), np.asarray(se, dtype=float)
    known = np.isfinite(diff) & np.isfinite(se)
    if not known.any():
        return np.full(diff.shape, np.nan)
    tau2 = max(float(np.mean(diff[known] ** 2 - se[known] ** 2)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(se > 0, tau2 / (tau2 + se**2), 1.0)
    return np.where(known, diff * factor, np.nan)


def probability_of_improvement(
    wins: np.ndarray | pd.Series, n: np.ndarray | pd.Series, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of seeds won and its exact (Clopper-Pearson) interval, element-wise.

    Parameters
    ----------
    wins : seeds on which the best beat the other (ties count half).
    n : paired seeds.
    confidence : coverage of the interval.

    Returns
    -------
    (estimate, low, high); NaN where ``n`` is 0.
    """
    wins, n = np.asarray(wins, dtype=float), np.asarray(n, dtype=float)
    tail = (1 - confidence) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(n > 0, wins / n, np.nan)
        low = np.where(wins > 0, stats.beta.ppf(tail, wins, n - wins + 1), 0.0)
        high = np.where(wins < n, stats.beta.ppf(1 - tail, wins + 1, n - wins), 1.0)
    missing = ~(n > 0)
    low[missing] = high[missing] = np.nan
    return estimate, low, high


MAX_OVERLAY_SEEDS = 30  # a study plan beyond this many seeds is not a plan
MIN_SEEDS = 3  # fewer give no useful spread to plan with


def seeds_to_separate(board: pd.DataFrame, max_seeds: int = MAX_OVERLAY_SEEDS) -> dict:
    """How many seeds in total would separate the best from the configurations tied with it.

    Parameters
    ----------
    board : a leaderboard (`ablation.stats.compare.leaderboard`), one or several datasets.
    max_seeds : differences that need more seeds than this are left unresolved.

    Returns
    -------
    dict with ``seeds_run`` (seeds of the best configuration), ``seeds_total`` (what
    the study would need, at least ``seeds_run``), ``leading`` (the leaderboard rows
    not yet told apart from the best, tested or not), ``resolved`` (of those, the rows
    ``seeds_total`` resolves), ``beyond`` (rows needing more than `max_seeds`),
    ``tested`` (whether any comparison had a spread to plan with), ``max_seeds``.
    """
    others = board[~board["is_best"].astype(bool) & board["n"].gt(0)]
    leading = others[others["indistinguishable_from_best"].astype(bool)]
    seeds_run = int(board.loc[board["is_best"].astype(bool), "n"].min()) if len(board) else 0
    needed = leading["seeds_needed"].where(leading["tested"].astype(bool))
    resolved = needed[needed <= max_seeds]
    tested = bool(leading["tested"].any()) if len(leading) else True
    total = int(resolved.max()) if len(resolved) else seeds_run
    if not tested:  # one seed: no spread to plan with; first get enough to estimate one
        total = MIN_SEEDS
    return {
        "seeds_run": seeds_run,
        "seeds_total": max(total, seeds_run),
        "leading": leading,
        "resolved": leading.loc[resolved.index],
        "beyond": leading[needed > max_seeds],
        "tested": tested,
        "max_seeds": max_seeds,
    }


def seeds_overlay(seeds: list[int], plan: dict, source: str = "the leaderboard") -> str:
    """A config overlay (YAML text) that extends the grid's seeds to ``plan['seeds_total']``.

    The grid's seeds apply to every configuration, so the new seeds go to all of
    them; the runs of the existing seeds are reused, not retrained.
    """
    seeds = sorted(int(s) for s in seeds)
    start = max(seeds, default=-1) + 1
    new = list(range(start, start + max(plan["seeds_total"] - len(seeds), 0)))
    lines = [
        f"# Seeds overlay written by `ablation seeds-overlay` from {source}.",
        *(f"# {line}" for text in plan_sentences(plan) for line in textwrap.wrap(text, 86)),
        "# Seeds are a grid axis, so the new seeds go to every configuration; the runs",
        "# of the existing seeds are reused, not retrained.",
        "# Use: snakemake --configfile <this file>   (laid over config/config.yaml)",
        "grid:",
        "  seed: [" + ", ".join(str(s) for s in seeds + new) + "]",
    ]
    return "\n".join(lines) + "\n"


def plan_sentences(plan: dict) -> list[str]:
    """The plan in words (the report and the overlay's header say the same), in the active
    language (`ablation.i18n`)."""
    run, total, leading = plan["seeds_run"], plan["seeds_total"], plan["leading"]
    if leading.empty:
        return [
            ngettext(  # English keeps its plural for every count, as it always read
                "With {n} seeds every other configuration is already told apart from the best.",
                "With {n} seeds every other configuration is already told apart from the best.",
                run,
            ).format(n=run)
        ]
    if not plan["tested"]:
        first = ngettext(
            "{n} seed gives a first estimate of the spread between seeds",
            "{n} seeds give a first estimate of the spread between seeds",
            total,
        ).format(n=total)
        return [
            ngettext(
                "With {n} seed nothing was tested, so the seeds needed cannot be estimated; "
                "{first}.",
                "With {n} seeds nothing was tested, so the seeds needed cannot be estimated; "
                "{first}.",
                run,
            ).format(n=run, first=first)
        ]
    with_seeds = ngettext("With {n} seed", "With {n} seeds", run).format(n=run)
    text = [
        ngettext(
            "{with_seeds}, {n} configuration is not told apart from the best.",
            "{with_seeds}, {n} configurations are not told apart from the best.",
            len(leading),
        ).format(with_seeds=with_seeds, n=len(leading))
    ]
    if not plan["resolved"].empty:
        text.append(
            ngettext(  # English keeps its plural for every count, as it always read
                "{n} seeds in total would resolve the observed differences of {k} of them at "
                "{power} power (paired t-test at the strictest level of Holm's correction).",
                "{n} seeds in total would resolve the observed differences of {k} of them at "
                "{power} power (paired t-test at the strictest level of Holm's correction).",
                total,
            ).format(n=total, k=len(plan["resolved"]), power=percent(f"{POWER * 100:.0f}"))
        )
    if not plan["beyond"].empty:
        more = ngettext("more than {n} seed", "more than {n} seeds", plan["max_seeds"])
        text.append(
            ngettext(  # English keeps its plural for every count, as it always read
                "{n} would need {more}: their observed differences are too small to resolve "
                "at a sensible cost.",
                "{n} would need {more}: their observed differences are too small to resolve "
                "at a sensible cost.",
                len(plan["beyond"]),
            ).format(n=len(plan["beyond"]), more=more.format(n=plan["max_seeds"]))
        )
    return text
