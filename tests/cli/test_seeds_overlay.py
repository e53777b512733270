"""`ablation seeds-overlay`: the overlay it writes is a valid study with the seeds planned."""

from __future__ import annotations

import pandas as pd
import yaml

from ablation.cli.parser import main
from ablation.stats import leaderboard
from ablation.stats.power import seeds_needed, seeds_to_separate
from ablation.study import load_study
from conftest import REPO
from stats_helpers import final_accuracy_run, per_run, study


def board_of(accuracies: dict[str, list[float]]) -> pd.DataFrame:
    runs = [
        final_accuracy_run(acc, activation=act, seed=seed)
        for act, values in accuracies.items()
        for seed, acc in enumerate(values)
    ]
    return leaderboard(per_run(study(*runs)))


def test_overlay_adds_the_seeds_that_resolve_the_leading_difference(tmp_path, capsys):
    # tanh is 0.2 pp behind relu on average with a 0.1 pp spread: not resolved by 3 seeds
    board = board_of({"relu": [0.980, 0.981, 0.982], "tanh": [0.979, 0.978, 0.981]})
    row = board.set_index("activation").loc["tanh"]
    assert row["indistinguishable_from_best"] and row["tested"]
    expected = int(seeds_needed([row["diff_from_best"]], [row["diff_std"]], 0.05)[0])
    assert 3 < expected <= 30
    path = tmp_path / "leaderboard.parquet"
    board.to_parquet(path)
    out = tmp_path / "more_seeds.yaml"
    config = REPO / "config" / "config.yaml"
    args = ["seeds-overlay", "--config", str(config), "--leaderboard", str(path), "-o", str(out)]
    assert main(args) == 0
    assert f"-> {expected}" in capsys.readouterr().out
    overlay = yaml.safe_load(out.read_text())
    seeds = yaml.safe_load(config.read_text())["grid"]["seed"]
    assert overlay["grid"]["seed"][: len(seeds)] == seeds  # existing runs reused
    assert len(overlay["grid"]["seed"]) == expected
    assert "every configuration" in out.read_text()
    merged, _ = load_study([config, out])  # a valid study, as snakemake --configfile sees it
    assert merged["grid"]["seed"] == overlay["grid"]["seed"]


def test_plan_with_one_seed_asks_for_a_first_spread():
    plan = seeds_to_separate(board_of({"relu": [0.98], "tanh": [0.97]}))
    assert not plan["tested"] and plan["seeds_total"] == 3 and len(plan["leading"]) == 1


def test_missing_leaderboard_is_a_usage_error(tmp_path, capsys):
    assert main(["seeds-overlay", "-d", str(tmp_path), "--config", "x.yaml"]) == 2
    assert "leaderboard.parquet: no such file" in capsys.readouterr().err
