"""The factorial model: a textbook example, statsmodels itself, unbalanced and saturated grids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from ablation.stats.anova import anova_table, factorial_anova

# Montgomery, Design and Analysis of Experiments, Example 5.1: battery life (hours) by
# plate material (1-3) and temperature (15, 70, 125 F), four batteries per cell.
BATTERY = {
    (1, 15): [130, 155, 74, 180], (1, 70): [34, 40, 80, 75], (1, 125): [20, 70, 82, 58],
    (2, 15): [150, 188, 159, 126], (2, 70): [136, 122, 106, 115], (2, 125): [25, 70, 58, 45],
    (3, 15): [138, 110, 168, 160], (3, 70): [174, 120, 150, 139], (3, 125): [96, 104, 82, 60],
}  # fmt: skip
# Its published ANOVA table (Table 5.5): sums of squares, degrees of freedom, F
PUBLISHED = {
    "material": (10683.72, 2, 7.91),
    "temperature": (39118.72, 2, 28.97),
    "material:temperature": (9613.78, 4, 3.56),
    "residual": (18230.75, 27, None),
}


def battery() -> pd.DataFrame:
    rows = [(m, t, life) for (m, t), lives in BATTERY.items() for life in lives]
    return pd.DataFrame(rows, columns=["material", "temperature", "life"])


def test_textbook_two_way_example():
    table = factorial_anova(battery(), "life", ["material", "temperature"]).set_index("term")
    for term, (ss, df, f) in PUBLISHED.items():
        assert table.loc[term, "sum_sq"] == pytest.approx(ss, abs=0.01), term
        assert table.loc[term, "df"] == df
        if f is not None:
            assert table.loc[term, "F"] == pytest.approx(f, abs=0.005)
    assert table.loc["material:temperature", "p_value"] == pytest.approx(0.0186, abs=1e-4)
    # partial eta-squared of temperature: 39118.72 / (39118.72 + 18230.75)
    assert table.loc["temperature", "partial_eta_sq"] == pytest.approx(0.6821, abs=1e-4)


def per_run_study(rng, drop: int = 0) -> pd.DataFrame:
    """A 3 x 2 x 2 grid with 3 seeds: activation matters, optimizer x dropout interact."""
    rows = []
    for act in ("relu", "sigmoid", "tanh"):
        for opt in ("adam", "sgd"):
            for dropout in (0.0, 0.2):
                for seed in range(3):
                    acc = 0.97 + {"relu": 0.01, "sigmoid": -0.02, "tanh": 0.0}[act]
                    acc += 0.01 * (opt == "sgd") * (dropout > 0) + 0.002 * seed
                    rows.append(dict(activation=act, optimizer=opt, weight_decay=0.0,
                                     dropout=dropout, seed=seed, status="completed",
                                     final_test_accuracy=acc + rng.normal(0, 0.002)))  # fmt: skip
    table = pd.DataFrame(rows)
    return table.drop(rng.choice(len(table), drop, replace=False)) if drop else table


@pytest.mark.parametrize("drop", [0, 7])
def test_same_as_statsmodels_type2(rng, drop):
    data = per_run_study(rng, drop)
    ours = anova_table(data).set_index("term")
    fit = smf.ols(
        "final_test_accuracy ~ C(activation) + C(optimizer) + C(dropout) + C(seed)"
        " + C(activation):C(optimizer) + C(activation):C(dropout) + C(optimizer):C(dropout)",
        data=data,
    ).fit()
    theirs = anova_lm(fit, typ=2)
    theirs.index = [i.replace("C(", "").replace(")", "") for i in theirs.index]
    theirs = theirs.rename(index={"Residual": "residual"})
    assert set(ours.index) == set(theirs.index)  # weight_decay has one level: not a factor
    for column, their in [("sum_sq", "sum_sq"), ("df", "df"), ("F", "F"), ("p_value", "PR(>F)")]:
        np.testing.assert_allclose(
            ours[column].astype(float), theirs.loc[ours.index, their], rtol=1e-7, atol=1e-12
        )
    main = ours[ours["kind"] == "main"].sort_values("partial_omega_sq", ascending=False)
    assert main.index[0] == "activation"
    assert ours.loc["optimizer:dropout", "p_holm"] < 0.05
    assert (ours["note"] == "").all() and ours["response"].eq("final_test_accuracy").all()


def test_missing_cells_and_diverged_runs_cost_no_phantom_degrees_of_freedom(rng):
    data = per_run_study(rng)
    gone = (data["activation"] == "tanh") & (data["optimizer"] == "sgd")
    data = data[~gone].copy()
    data.loc[data.index[0], "status"] = "diverged"
    table = anova_table(data).set_index("term")
    assert table.loc["activation:optimizer", "df"] == 1  # 2 x 1 estimable, not 2 x 1 + 1
    assert table.loc["residual", "n_runs"] == len(data) - 1


def test_saturated_models_say_so(rng):
    data = per_run_study(rng)
    one_seed = data[(data["seed"] == 0) & (data["dropout"] == 0)]  # 3 x 2, one run each
    table = anova_table(one_seed)
    assert "interactions left out" in table["note"].iloc[0]
    assert set(table["term"]) == {"activation", "optimizer", "residual"}
    tiny = anova_table(one_seed.iloc[:2])
    assert len(tiny) == 1 and "too few runs" in tiny["note"].iloc[0]
    flat = anova_table(one_seed[one_seed["activation"] == "relu"].iloc[:1])
    assert "nothing to model" in flat["note"].iloc[0]


def test_per_dataset(rng):
    a, b = per_run_study(rng), per_run_study(rng)
    table = anova_table(pd.concat([a.assign(dataset="mnist"), b.assign(dataset="kmnist")]))
    assert table["dataset"].value_counts().to_dict() == {
        "kmnist": 8,
        "mnist": 8,
    }  # 3 axes, seed, 3 pairs, residual
    assert table.groupby("dataset")["n_runs"].first().tolist() == [36, 36]
