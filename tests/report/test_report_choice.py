"""The choice sentences: claims against the best, the cheapest equivalent, cost by CPU time."""

from __future__ import annotations

import pandas as pd

from ablation.report.choice import cheapest_equivalent, comparison_badge, cost, versus_best
from ablation.stats import leaderboard
from stats_helpers import final_accuracy_run, per_run, study

SCORES = {  # activation -> final accuracy per seed (validation = test in this helper)
    "relu": [0.980, 0.982, 0.981, 0.983],
    "gelu": [0.9799, 0.9818, 0.9809, 0.9828],  # a twin of relu: equivalent within 0.5 pp
    "tanh": [0.950, 0.951, 0.952, 0.950],  # clearly worse
}


def _board_and_runs(cpu: dict[str, float]):
    metrics = study(
        *(
            final_accuracy_run(acc, activation=act, seed=seed)
            for act, values in SCORES.items()
            for seed, acc in enumerate(values)
        )
    )
    runs = per_run(metrics)
    board = leaderboard(runs, equivalence_margin=0.5)
    times = runs[["activation", "optimizer", "weight_decay", "dropout", "seed"]].assign(
        train_cpu_seconds=runs["activation"].map(cpu),
        train_seconds=runs["activation"].map(cpu) * 7,  # a loaded machine: wall time lies
    )
    return board, times


def test_claims_and_the_cheapest_equivalent_configuration():
    board, runs = _board_and_runs({"relu": 30.0, "gelu": 12.0, "tanh": 5.0})
    claims = board.set_index("activation")["comparison"]
    assert claims["gelu"] == "equivalent" and claims["tanh"] == "worse"
    others, best = board.iloc[1:], board.iloc[0]
    text = " ".join(versus_best(others, best, 0.05))
    assert "equivalent to it within 0.50 pp" in text and "gelu" in text
    assert "worse on validation" in text and "cannot be told apart" not in text
    choice = cheapest_equivalent(board, runs)
    assert len(choice) == 1 and "gelu" in choice[0] and "12.0 s of CPU time" in choice[0]
    assert "tanh" not in choice[0]  # cheaper still, but worse: never the choice


def test_the_best_is_the_choice_when_nothing_cheaper_is_equivalent():
    board, runs = _board_and_runs({"relu": 10.0, "gelu": 20.0, "tanh": 1.0})
    assert "The best is also the cheapest" in cheapest_equivalent(board, runs)[0]


def test_without_an_equivalent_the_best_is_the_choice_and_cheaper_unresolved_are_named():
    board, runs = _board_and_runs({"relu": 30.0, "gelu": 12.0, "tanh": 5.0})
    board["comparison"] = board["comparison"].replace("equivalent", "unresolved")
    text = cheapest_equivalent(board, runs)[0]
    assert text.startswith("No configuration is shown equivalent to the best within 0.50 pp")
    assert "1 cheaper one is unresolved" in text  # gelu; tanh is cheaper but worse


def test_cost_is_read_in_cpu_time_and_falls_back_to_wall_time():
    _, runs = _board_and_runs({"relu": 30.0, "gelu": 12.0, "tanh": 5.0})
    text = cost(runs)[0]
    assert "CPU time" in text and "5.0 s" in text and "30.0 s" in text
    assert "35.0 s" not in text  # the wall times (x 7) are not the ranking
    old = cost(runs.assign(train_cpu_seconds=float("nan")))[0]
    assert "wall time" in old and "load of the machine" in old


def test_badges_say_the_claim():
    board, _ = _board_and_runs({"relu": 30.0, "gelu": 12.0, "tanh": 5.0})
    rows = {r["activation"]: r for r in board.to_dict("records")}
    assert ">equivalent<" in comparison_badge(rows["gelu"])
    assert ">worse<" in comparison_badge(rows["tanh"])
    assert "best" in comparison_badge(rows["relu"])
    old = pd.Series({"is_best": False, "tested": True, "indistinguishable_from_best": True})
    assert ">unresolved<" in comparison_badge(old)  # a board from before the comparisons
