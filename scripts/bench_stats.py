"""Simulated error rates and coverage of the statistics (docs/statistics.md, "Measured").

    python scripts/bench_stats.py --studies 2000            # every section
    python scripts/bench_stats.py --section mcb --studies 500

Sections of this part (comparisons with the best, `ablation.stats.best`):

- ``mcb``: family-wise error under a global null (24 configurations x 3 seeds, the best
  chosen from the data): our claims against the old paired t-tests with Holm; also
  with run noise that differs between configurations (MCB pools it).
- ``equivalence``: how often a configuration exactly one margin below the best is
  called equivalent (must be at most alpha), and how often true twins are.
- ``mcb_coverage``: simultaneous coverage of the bounds of every configuration.
- ``improvement``: coverage of the P(improvement) interval with ties (10,000 test
  images), and its value under a null on validation and on test.

Sections of the seed as the replicate and of power:

- ``paired``: one change at a time under a seed x choice interaction (no true effect):
  the false-positive rate over seeds against the old pairs-as-replicates test.
- ``power``: the simulated power at the exact detectable effect, n = 2-10, alpha/m
  down to 0.05/100.

Section of the transfer between datasets (`ablation.stats.transfer`):

- ``tau``: coverage and width of the rank agreement's interval for the Kendall tau of the
  true configuration means, against the old percentile bootstrap over seeds, on
  structured grids (effects of a few axes, one reversed or null on the second dataset)
  and on correlated random means, with run noise of equal and of unequal sd.

Each line prints the rate, its Monte Carlo standard error and the promise.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ablation.stats.best import comparisons, improvement_interval, mcb  # noqa: E402
from ablation.stats.compare import holm, paired_p  # noqa: E402

ALPHA = 0.05
PP = 0.01  # one percentage point, as a fraction


def _study(rng, means, seeds, run_sd, seed_sd=0.3 * PP):
    """Scores of one study: configuration mean + seed effect + run noise (seed x config)."""
    k = len(means)
    run_sd = np.broadcast_to(run_sd, (k,))
    y = means[:, None] + rng.normal(0, seed_sd, seeds)[None, :]
    return y + rng.normal(0, 1, (k, seeds)) * run_sd[:, None]


def _frame(y):
    k, seeds = y.shape
    return pd.DataFrame(
        {
            "config": np.repeat(np.arange(k), seeds),
            "seed": np.tile(np.arange(seeds), k),
            "score": y.ravel(),
        }
    )


def _claims(y, margin):
    table = mcb(_frame(y), ALPHA)
    best = int(np.argmax(y.mean(axis=1)))
    return table, best, comparisons(table, best, margin)


def _old_holm_worse(y):
    """The previous rule: paired t-tests of each against the arg-max, Holm, any rejection."""
    best = int(np.argmax(y.mean(axis=1)))
    d = y[best][None, :] - np.delete(y, best, axis=0)
    p = paired_p(d.mean(axis=1), d.std(axis=1, ddof=1), np.full(len(d), y.shape[1]))
    return bool((holm(p) < ALPHA).any())


def _rate(hits, n):
    rate = hits / n
    return rate, np.sqrt(max(rate * (1 - rate), 1e-12) / n)


def _line(name, hits, n, promise):
    rate, se = _rate(hits, n)
    print(f"  {name:<62} {rate:6.3f} (MC se {se:.3f})   {promise}")


def bench_mcb(rng, studies, configs=24, seeds=3):
    """Family-wise error of the comparisons with the best under a global null."""
    print(f"[mcb] global null, {configs} configurations x {seeds} seeds, {studies} studies")
    margin = 0.5 * PP
    for label, run_sd in [
        ("run noise sd 0.1 pp, equal", 0.1 * PP),
        ("run noise sd 0.05-0.2 pp, unequal", np.linspace(0.05, 0.2, configs) * PP),
    ]:
        mcb_errors = old_errors = 0
        for _ in range(studies):
            y = _study(rng, np.zeros(configs), seeds, run_sd)
            _, best, claim = _claims(y, margin)
            mcb_errors += bool((claim == "worse").any() or claim[best] == "better")
            old_errors += _old_holm_worse(y)
        _line(f"ours: any 'worse' or 'better' ({label})", mcb_errors, studies, f"<= {ALPHA}")
        _line(f"old paired t + Holm: any 'worse' ({label})", old_errors, studies, "(was 0.10-0.12)")


def bench_equivalence(rng, studies, configs=24, seeds=3):
    """Equivalence claims at the margin's edge (false) and between twins (true)."""
    margin, run_sd = 0.5 * PP, 0.1 * PP  # the default analysis.equivalence_margin
    print(f"[equivalence] margin {margin / PP:g} pp, run noise sd 0.1 pp, {studies} studies")
    edge = twins = 0
    for _ in range(studies):
        means = np.full(configs, -margin)
        means[0] = 0.0  # one best, every other exactly one margin below it
        _, best, claim = _claims(_study(rng, means, seeds, run_sd), margin)
        edge += bool((claim.drop(0, errors="ignore") == "equivalent").any()) if best == 0 else 0
        means = np.zeros(configs)
        means[2:] = -2 * PP  # two twins ahead, the rest far behind
        _, best, claim = _claims(_study(rng, means, seeds, run_sd), margin)
        twins += bool(claim[1 - best] == "equivalent") if best in (0, 1) else 0
    _line("any configuration one margin below called 'equivalent'", edge, studies, f"<= {ALPHA}")
    _line("the true twin of the best called 'equivalent' (power)", twins, studies, "as high")


def bench_mcb_coverage(rng, studies, configs=24, seeds=3):
    """Simultaneous coverage of mu_i - max_{j != i} mu_j by the MCB intervals."""
    print(f"[mcb_coverage] {configs} configurations spread over 1 pp, {seeds} seeds")
    means = np.linspace(-1, 0, configs) * PP
    means[-3:] = 0.0  # three tied at the top
    truth = np.array([means[i] - np.delete(means, i).max() for i in range(configs)])
    covered = 0
    for _ in range(studies):
        table = mcb(_frame(_study(rng, means, seeds, 0.1 * PP)), ALPHA).sort_index()
        low, high = table["mcb_low"].to_numpy(), table["mcb_high"].to_numpy()
        covered += bool(((low <= truth + 1e-15) & (truth <= high + 1e-15)).all())
    _line("all intervals cover at once", covered, studies, f">= {1 - ALPHA - 0.02:.2f}")


def bench_improvement(rng, studies, seeds=3, images=10_000):
    """P(improvement): coverage with ties, and its level under a null, validation vs test."""
    print(f"[improvement] test accuracy on {images} images (ties happen), {seeds} seeds")
    for gap in (0.0, 0.1 * PP, 0.3 * PP):
        # per seed: shared model quality (sd 0.1 pp) + evaluation noise of each split
        quality = rng.normal(0, 0.1 * PP, (studies, seeds, 2))
        p = 0.98 + quality + np.array([gap, 0.0])
        test = rng.binomial(images, np.clip(p, 0, 1)) / images
        d = test[..., 0] - test[..., 1]
        big = rng.normal(0, 0.1 * PP, (200_000, 2)) + np.array([gap, 0.0])
        big = rng.binomial(images, np.clip(0.98 + big, 0, 1)) / images
        diff = big[:, 0] - big[:, 1]
        theta = (diff > 0).mean() + 0.5 * (diff == 0).mean()
        wins, ties = (d > 0).sum(axis=1), (d == 0).sum(axis=1)
        _, low, high = improvement_interval(wins, ties, np.full(studies, seeds), 1 - ALPHA)
        covered = int(((low <= theta) & (theta <= high)).sum())
        _line(f"interval covers P(win)+P(tie)/2 = {theta:.3f} (gap {gap / PP:g} pp)",
              covered, studies, f">= {1 - ALPHA - 0.02:.2f}")  # fmt: skip
    configs = 24
    on_validation = on_test = 0.0
    for _ in range(studies):
        quality = rng.normal(0, 0.1 * PP, (configs, seeds))
        val = rng.binomial(images, 0.98 + quality) / images
        test = rng.binomial(images, 0.98 + quality) / images
        best = int(np.argmax(val.mean(axis=1)))
        others = np.delete(np.arange(configs), best)
        dv, dt = val[best] - val[others], test[best] - test[others]
        on_validation += ((dv > 0) + 0.5 * (dv == 0)).mean() / studies
        on_test += ((dt > 0) + 0.5 * (dt == 0)).mean() / studies
    print(f"  null, mean P(improvement) counted on validation {on_validation:.3f}, "
          f"on test {on_test:.3f}   (truth 0.5; test shares each model's quality)")  # fmt: skip


def bench_paired(rng, studies, seeds_options=(3, 5)):
    """One change at a time under a seed x choice interaction and no true effect."""
    import itertools

    from ablation.stats.paired import paired_effects, paired_runs

    grid = {"activation": ("relu", "tanh"), "hidden_size": (64, 128, 256),
            "dropout": (0.0, 0.5), "train_size": (1000, 4000)}  # fmt: skip
    for n_seeds in seeds_options:
        print(f"[paired] 24 configurations x {n_seeds} seeds, seed x activation sd 0.1 pp, "
              f"no true effect, {studies} studies")  # fmt: skip
        cells = pd.DataFrame(
            list(itertools.product(*grid.values(), range(n_seeds))), columns=[*grid, "seed"]
        )
        frames = []
        for study in range(studies):
            pull = cells["seed"].map(dict(enumerate(rng.normal(0, 0.1 * PP, n_seeds))))
            accuracy = 0.95 + cells["activation"].eq("tanh") * pull
            accuracy = accuracy + rng.normal(0, 0.02 * PP, len(cells))
            frames.append(cells.assign(
                dataset=f"s{study}", optimizer="adam", weight_decay=0.0,
                final_test_accuracy=accuracy, test_accuracy_at_best_val=accuracy,
                final_gap_accuracy=0.02, final_gap_loss=0.1, onset_epoch=np.nan,
                verdict="good fit",
            ))  # fmt: skip
        pairs = paired_runs(pd.concat(frames, ignore_index=True))
        effects = paired_effects(pairs)
        rows = effects[(effects["axis"] == "activation")
                       & (effects["metric"] == "final_test_accuracy")]  # fmt: skip
        _line("false positives, over seeds (p < 0.05)", int((rows["p_value"] < ALPHA).sum()),
              len(rows), "promise <= 0.05 + MC error")  # fmt: skip
        old = paired_p(rows["mean_delta"], _pair_sd(pairs, rows), rows["n_pairs"])
        _line("false positives, pairs as replicates (old)", int((old < ALPHA).sum()), len(rows),
              "(what the report used to do)")  # fmt: skip


def _pair_sd(pairs, rows):
    """The sd of the per-pair deltas of each study's activation effect (the old test's)."""
    mine = pairs[(pairs["axis"] == "activation") & (pairs["metric"] == "final_test_accuracy")]
    return mine.groupby("dataset")["delta"].std().reindex(rows["dataset"]).to_numpy()


def bench_power(rng, studies):
    """The detectable effect's simulated power, n = 2-10, alpha/m down to 0.05/100."""
    from scipy import stats

    from ablation.stats.power import detectable_effect

    print(f"[power] simulated power at the exact detectable effect, {studies} studies a cell")
    worst = 0.0
    for m in (1, 15, 100):
        for n in range(2, 11):
            effect = detectable_effect(n, ALPHA / m)
            diffs = rng.normal(effect, 1.0, size=(studies, n))
            t = diffs.mean(axis=1) / (diffs.std(axis=1, ddof=1) / np.sqrt(n))
            power = float(np.mean(2 * stats.t.sf(np.abs(t), n - 1) < ALPHA / m))
            worst = max(worst, abs(power - 0.8))
        print(f"  alpha/m = 0.05/{m:<3}  n = 2-10: last power {power:.3f}")
    se = np.sqrt(0.16 / studies)
    print(f"  worst |power - 0.80| over 27 cells {worst:.3f} (MC se {se:.3f})   promise <= 3 se")


def bench_tau(rng, studies):
    """Coverage of the rank agreement's interval for the true tau, against the old bootstrap."""
    from scipy import stats

    from ablation.stats.transfer import _agreement

    print(f"[tau] 95% interval for Kendall's tau of the true means, {studies} studies a line")
    for name, k, means in _tau_designs(rng):
        for seeds in (3, 5):
            for unequal in (False, True):
                hits = old_hits = 0
                width = 0.0
                a_true, b_true = means()
                truth = stats.kendalltau(a_true, b_true).statistic
                for _ in range(studies):
                    run_sd = rng.uniform(0.1, 0.4, k) * PP if unequal else 0.2 * PP
                    a = _study(rng, a_true, seeds, run_sd)
                    b = _study(rng, b_true, seeds, run_sd)
                    row = _agreement("a", "b", pd.DataFrame(a), pd.DataFrame(b), 0.95)
                    hits += row["ci_low"] - 1e-12 <= truth <= row["ci_high"] + 1e-12
                    width += (row["ci_high"] - row["ci_low"]) / studies
                    low, high = _old_tau_bootstrap(rng, a, b)
                    old_hits += low - 1e-12 <= truth <= high + 1e-12
                noise = "run sd 0.1-0.4 pp" if unequal else "run sd 0.2 pp"
                label = f"{name}, {k} configs x {seeds} seeds, {noise}, tau {truth:+.2f}"
                print(f"  {label}")
                _line(f"    coverage (mean width {width:.2f})", int(hits), studies,
                      "promise >= 0.93")  # fmt: skip
                _line("    old bootstrap over seeds", int(old_hits), studies,
                      "(what the report used to do)")  # fmt: skip


def _tau_designs(rng):
    """(name, configurations, a function giving the true means of both datasets)."""
    import itertools

    # 24 configurations: optimizer 2 pp, activation 0.8 pp, hidden size 0.3 pp a step,
    # dropout 0.3 pp; on the second dataset the activation's effect is reversed and
    # dropout's is none (true ties).
    grid = np.array(list(itertools.product((0, 1), (0, 1), (0, 1, 2), (0, 1))), float)

    def structured():
        a = grid @ np.array([2.0, 0.8, 0.3, 0.3]) * PP
        b = grid @ np.array([3.0, -0.8, 0.3, 0.0]) * PP
        return 0.95 + a, 0.88 + b

    def correlated(k, rho=0.7):
        def means():
            a = rng.normal(0, 0.5 * PP, k)
            b = rho * a + np.sqrt(1 - rho**2) * rng.normal(0, 0.5 * PP, k)
            return 0.95 + a, 0.88 + b

        return means

    return [("structured", 24, structured), ("correlated 0.7", 8, correlated(8)),
            ("correlated 0.7", 24, correlated(24))]  # fmt: skip


def _old_tau_bootstrap(rng, a, b, n_boot=1000):
    """The previous interval: a percentile bootstrap over seeds (the same draw for both)."""
    draws = rng.integers(0, a.shape[1], size=(n_boot, a.shape[1]))
    x, y = a[:, draws].mean(axis=2).T, b[:, draws].mean(axis=2).T  # (draws, configs)
    i, j = np.triu_indices(x.shape[1], k=1)
    sx, sy = np.sign(x[:, i] - x[:, j]), np.sign(y[:, i] - y[:, j])
    with np.errstate(invalid="ignore", divide="ignore"):
        taus = (sx * sy).sum(axis=1) / np.sqrt((sx != 0).sum(axis=1) * (sy != 0).sum(axis=1))
    return np.nanpercentile(taus, 2.5), np.nanpercentile(taus, 97.5)


SECTIONS = {
    "mcb": bench_mcb,
    "equivalence": bench_equivalence,
    "mcb_coverage": bench_mcb_coverage,
    "improvement": bench_improvement,
    "paired": bench_paired,
    "power": bench_power,
    "tau": bench_tau,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=2000, help="simulated studies per line")
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    for name in args.section or SECTIONS:
        started = time.perf_counter()
        SECTIONS[name](rng, args.studies)
        print(f"  ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
