"""The report page from hand-made tables: sections, sentences from the numbers, partial grids."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ablation.config import run_path
from ablation.report import ReportInputs, build_html, headline_findings, render_report
from ablation.report.build import partial_report
from ablation.report.explorer import VENDOR, vendor_code
from ablation.report.figures import FIGURES
from ablation.report.inputs import finished_digest, finished_runs
from ablation.report.provenance import config_yaml, data_checksums, job_wall_seconds
from report_helpers import SMALL_GRID, cells, hand_tables

# Figures of sections a study only has with more axes (paired effects: its tables; more
# data: a varying train_size; transfer: several datasets); the hand-made tables have none.
AXES_ONLY = ("paired_changes", "datasize", "transfer")
SHOWN = [name for name in FIGURES if name not in AXES_ONLY]
SECTIONS = (
    "findings", "leaderboard", "factors", "cost", "overfitting", "learning-curves", "details",
    "anomalies", "confusion", "provenance",
)  # fmt: skip
STUDY = {
    "grid": SMALL_GRID,
    "training": {"epochs": 20, "hidden_size": 128, "milestones": [1, 2, 3, 10, 20]},
    "data": {"dataset": "mnist"},
    "analysis": {"confidence": 0.95, "alpha": 0.05},
}
EXPECTED = [run_path(c) for c in cells()]


@pytest.fixture(scope="module")
def tables():
    return hand_tables()


def inputs_of(tables: dict, drop_runs: set[str] = frozenset()) -> ReportInputs:
    """The report's tables, without the runs in `drop_runs` (and configurations left empty)."""
    kept = {}
    for name in ReportInputs.fields():
        table = tables.get(name, pd.DataFrame())
        if "run_id" in table:
            table = table[~table["run_id"].isin(drop_runs)]
        kept[name] = table
    return ReportInputs(**kept)


def rows_of(html: str, table_id: str) -> list[str]:
    body = html.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", body, re.S)


def test_every_section_and_figure(tables, tmp_path):
    figures = {}
    for name in FIGURES:
        path = tmp_path / f"{name}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n fake")  # the page only inlines the bytes
        figures[name] = path
    out = tmp_path / "reports" / "summary.html"
    render_report(inputs_of(tables), figures, STUDY, EXPECTED, out, {"train_images": "ab" * 32})
    html = out.read_text()
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert html.count('src="data:image/png;base64,') == len(SHOWN)
    assert all(f'alt="{FIGURES[name].alt}"' in html for name in SHOWN)
    # self-contained: nothing fetched from anywhere
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    # the inlined Vega libraries name URLs (the SVG namespace, their home page) in strings;
    # the page's CSP and the browser tests show that nothing is fetched
    page = html
    for library in VENDOR:
        assert vendor_code(library) in page
        page = page.replace(vendor_code(library), "")
    assert "http://" not in page and "https://" not in page.replace("https://json-schema", "")
    assert "<script>" in html and "<style>" in html
    assert "ab" * 32 in html  # data checksum in provenance
    assert len(rows_of(html, "leaderboard-table")) == len(tables["leaderboard"])


def test_findings_come_from_the_tables(tables):
    board = tables["leaderboard"]
    sentences = headline_findings(inputs_of(tables), len(EXPECTED))
    best = board.iloc[0]
    assert sentences[0] == f"All {len(EXPECTED)} planned runs finished."
    assert f"{best['activation']} / {best['optimizer']}" in sentences[1]
    assert f"{best['mean'] * 100:.2f}%" in sentences[1]
    assert f"{best['ci_low'] * 100:.2f}\u2013{best['ci_high'] * 100:.2f}%" in sentences[1]
    # change the numbers, the sentences follow
    changed = dict(tables, leaderboard=board.assign(mean=board["mean"] - 0.1))
    again = headline_findings(inputs_of(changed), len(EXPECTED))
    assert f"{(best['mean'] - 0.1) * 100:.2f}%" in again[1]
    n_tied = int(board["indistinguishable_from_best"].sum()) - 1
    assert any(
        s.startswith(f"{n_tied} other configurations cannot be told apart") for s in sentences
    )
    assert any("activation matters most" in s for s in sentences)
    assert any(
        s.startswith("Dropout 0.2 changed final test accuracy by +0.50 pp") for s in sentences
    )
    assert any("1 training anomaly was flagged in 1 run: 1 loss spike" in s for s in sentences)


def test_regularization_findings_quote_the_holm_p_at_the_study_level(tables):
    """The sentence quotes the adjusted p the table shows (0.04, raw 0.01), against alpha."""
    dropout = [s for s in headline_findings(inputs_of(tables), len(EXPECTED)) if "Dropout 0.2" in s]
    assert "12 paired runs and 3 seeds" in dropout[0]
    assert "Holm-adjusted p = 0.040)" in dropout[0]  # below the default 0.05: nothing added
    strict = headline_findings(inputs_of(tables), len(EXPECTED), alpha=0.01)
    dropout = [s for s in strict if "Dropout 0.2" in s]
    assert "Holm-adjusted p = 0.040, not significant at 0.01)" in dropout[0]


def test_partial_grid_marks_missing_runs_and_configurations(tables):
    runs = tables["runs"]
    gone_config = runs[
        (runs["activation"] == "tanh")
        & (runs["optimizer"] == "sgd")
        & (runs["weight_decay"] == 0.0)
        & (runs["dropout"] == 0.2)
    ]
    gone = set(gone_config["run_id"]) | {runs["run_id"].iloc[0]}  # one config, one more seed
    partial = dict(tables)
    board = tables["leaderboard"]
    partial["leaderboard"] = board[
        ~(
            (board["activation"] == "tanh")
            & (board["optimizer"] == "sgd")
            & (board["weight_decay"] == 0.0)
            & (board["dropout"] == 0.2)
        )
    ]
    first = runs.iloc[0]
    own = (
        partial["leaderboard"][["activation", "optimizer", "weight_decay", "dropout"]]
        == first[["activation", "optimizer", "weight_decay", "dropout"]].to_numpy()
    ).all(axis=1)
    partial["leaderboard"] = partial["leaderboard"].assign(
        n=partial["leaderboard"]["n"].mask(own, 2)
    )
    html = build_html(inputs_of(partial, gone), {}, STUDY, EXPECTED)
    assert 'id="missing-warning"' in html
    assert f"{len(gone)} of {len(EXPECTED)}" in html
    missing = re.findall(r"<li><code>(.*?)</code></li>", html)
    assert sorted(missing) == sorted(gone)
    rows = rows_of(html, "leaderboard-table")
    assert len(rows) == len(board)  # the configuration without runs is still listed
    not_run = [r for r in rows if "not run" in r]
    assert len(not_run) == 1 and ">tanh<" in not_run[0] and ">sgd<" in not_run[0]
    short = next(
        r
        for r in rows
        if f">{first['activation']}<" in r
        and f">{first['optimizer']}<" in r
        and "0.0001" not in r
        and ">0.2<" not in r
    )
    assert "2 of 3" in short  # a configuration missing one seed says so
    assert html.count("is not available in this build") == len(SHOWN)
    assert f"Only {len(EXPECTED) - len(gone)} of {len(EXPECTED)} planned runs" in html


def test_no_finished_run_still_renders():
    html = build_html(ReportInputs(), {}, STUDY, EXPECTED)
    assert f"0 of {len(EXPECTED)} planned runs finished" in html
    assert html.count("not run") >= len(EXPECTED) // 3


def test_full_default_study_stays_small():
    """The default grid (108 runs, 100 epochs) with every figure drawn: well under 10 MB."""
    from ablation.config import grid_cells, validate_config
    from synthetic import synthetic_study

    study = validate_config({"grid": {
        "activation": ["relu", "sigmoid", "tanh"], "optimizer": ["sgd", "adam", "rmsprop"],
        "weight_decay": [0.0, 1e-4], "dropout": [0.0, 0.2], "seed": [0, 1, 2],
    }})  # fmt: skip
    metrics, confusion = synthetic_study()
    expected = [run_path(c) for c in grid_cells(study)]
    assert set(metrics["run_id"]) == set(expected)
    html = partial_report(metrics, confusion, study, expected)
    assert len(html.encode()) < 10_000_000
    # one training-set size, one dataset: no more-data and transfer sections
    assert html.count('src="data:image/png;base64,') == len(FIGURES) - 2
    assert "All 108 planned runs finished." in html
    assert len(rows_of(html, "leaderboard-table")) == 36
    assert "1 run diverged" in html


def test_finished_runs_need_every_output(tmp_path):
    done, half = EXPECTED[0], EXPECTED[1]
    for run, names in (
        (done, ("metrics.parquet", "confusion.parquet", "model.pt")),
        (half, ("metrics.parquet",)),
    ):
        for name in names:
            (tmp_path / run).mkdir(parents=True, exist_ok=True)
            (tmp_path / run / name).write_bytes(b"x")
    assert finished_runs(tmp_path, EXPECTED) == [done]
    before = finished_digest(tmp_path, EXPECTED)
    assert before.startswith(f"1 of {len(EXPECTED)} runs finished")
    (tmp_path / half / "confusion.parquet").write_bytes(b"x")
    (tmp_path / half / "model.pt").write_bytes(b"x")
    assert finished_digest(tmp_path, EXPECTED) != before


def test_provenance_helpers(tmp_path, mnist_file):
    sha = data_checksums(mnist_file)
    assert set(sha) == {"train_images", "train_labels", "test_images", "test_labels"}
    assert all(len(v) == 64 for v in sha.values())
    assert data_checksums(tmp_path / "absent.pt") == {}
    bench = tmp_path / "benchmarks" / "train_model" / f"{EXPECTED[0]}.tsv"
    bench.parent.mkdir(parents=True)
    bench.write_text("s\th:m:s\tmax_rss\n12.5\t0:00:12\t300\n")
    wall = job_wall_seconds([bench, tmp_path / "missing.tsv"])
    assert wall == {EXPECTED[0]: 12.5}
    text = config_yaml({"grid": {"seed": [0, 1]}, "training": {"epochs": 2}})
    assert "seed: [0, 1]" in text and "epochs: 2" in text


def _board_of(per_run_table):
    from ablation.stats import leaderboard

    return leaderboard(per_run_table)


def test_findings_with_one_seed_say_nothing_was_tested():
    from stats_helpers import final_accuracy_run, per_run, study

    scores = [("relu", 0.98), ("tanh", 0.97), ("sigmoid", 0.9)]
    runs = per_run(study(*(final_accuracy_run(a, activation=act, seed=0) for act, a in scores)))
    text = " ".join(headline_findings(ReportInputs(leaderboard=_board_of(runs)), 3))
    assert "One seed, not tested" in text and "cannot be told apart" not in text
    assert "one seed, so no interval, n = 1 seed" in text
    assert "probability" not in text  # no probability of improvement from one seed


def test_findings_say_when_selection_is_optimistic_and_report_flags_it():
    from stats_helpers import curve_run, per_run, study

    runs = per_run(
        study(
            *(
                curve_run(None, activation=a, seed=s, test_accuracy=[0.9] * 5 + [acc])
                for a, acc in [("relu", 0.98), ("tanh", 0.97)]
                for s in range(2)
            )
        )
    )
    inputs = ReportInputs(leaderboard=_board_of(runs))
    text = " ".join(headline_findings(inputs, 4))
    assert "chosen on the test set itself" in text and "optimistic" in text
    html = build_html(inputs, {}, STUDY, EXPECTED)
    assert 'id="optimistic-warning"' in html


def test_findings_and_tables_of_the_factorial_model_and_seeds(tables):
    html = build_html(inputs_of(tables), {}, STUDY, EXPECTED)
    sentences = headline_findings(inputs_of(tables), len(EXPECTED))
    model = next(s for s in sentences if "type II ANOVA" in s)
    assert "the activation matters most" in model and "n = 48 runs" in model
    assert "partial \u03c9\u00b2" in model and "F(1, " in model
    assert len(rows_of(html, "anova-table")) == len(tables["anova"])
    assert 'id="seed-plan"' in html and "seeds in total would resolve" in html
    assert (
        ">unresolved<" in html
        and "\u2248 best" not in html
        and ">not tested<" not in rows_of(html, "leaderboard-table")[1]
    )


def test_anova_says_why_the_paired_effects_may_disagree_only_next_to_them(tables):
    """A choice clear in the ANOVA (runs as replicates) may be unresolved as a paired
    effect (seeds as replicates, Holm over the table): the report says why, next to the
    ANOVA, when it shows both, and not without the ANOVA or without the paired effects."""
    paired = pd.DataFrame(
        [
            {"axis": "optimizer", "level": "sgd", "baseline_level": "adam", "metric": m,
             "n_pairs": 12, "n_seeds": 3, "mean_treated": 0.95, "mean_baseline": 0.96,
             "mean_delta": -0.01, "ci_low": -0.03, "ci_high": 0.01, "has_interval": True,
             "p_value": 0.11, "p_holm": 0.22}
            for m in ("final_test_accuracy", "final_gap_accuracy")
        ]
    )  # fmt: skip
    both = inputs_of({**tables, "paired_effects": paired})
    html = build_html(both, {}, STUDY, EXPECTED)
    assert len(rows_of(html, "anova-table")) == len(tables["anova"])
    assert len(rows_of(html, "paired-table")) == 1
    note = html.split('id="anova-vs-paired">', 1)[1].split("</p>", 1)[0]
    assert html.index('id="anova-table"') < html.index(note) < html.index('id="paired-table"')
    assert "counts each run as a replicate" in note and "(seeds − 1 degrees of freedom)" in note
    assert "Holm-adjusted over every row of its table" in note and "new seeds" in note
    assert "rest a claim on the paired effect, and add seeds" in note
    assert '<a href="#paired">One change at a time</a>' in note
    russian = build_html(both, {}, {**STUDY, "report": {"language": "ru"}}, EXPECTED)
    note = russian.split('id="anova-vs-paired">', 1)[1].split("</p>", 1)[0]
    assert "повторением служит каждый запуск" in note and "число сидов − 1" in note
    no_anova = inputs_of({**tables, "paired_effects": paired, "anova": pd.DataFrame()})
    without_anova = build_html(no_anova, {}, STUDY, EXPECTED)
    assert 'id="paired-table"' in without_anova and 'id="anova-table"' not in without_anova
    assert 'id="anova-vs-paired"' not in without_anova and "as a replicate" not in without_anova
    without_paired = build_html(inputs_of(tables), {}, STUDY, EXPECTED)
    assert 'id="anova-table"' in without_paired and 'id="paired-table"' not in without_paired
    assert 'id="anova-vs-paired"' not in without_paired


def test_regularization_table_reads_accuracies_in_percent_and_points(tables):
    html = build_html(inputs_of(tables), {}, STUDY, EXPECTED)
    accuracy = next(r for r in rows_of(html, "regularization-table") if "final test accuracy" in r)
    assert "95.50%" in accuracy and "96.00%" in accuracy and "+0.50 pp" in accuracy
    assert "[+0.10, +0.90] pp" in accuracy and "0.9" + "55" not in accuracy
    assert "0.040" in accuracy and "0.010" not in accuracy  # the Holm p, not the raw one
