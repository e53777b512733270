"""The headline findings, verdict reasons and axis labels in Russian: whole Russian
sentences with the right plural forms, from a synthetic study's real statistics; the
English texts unchanged.

The sentences of `ablation.report.choice` (the comparisons with the best, the cheapest
equivalent configuration, the cost) are another area's: here they are a stand-in, so that
the test reads only these modules' sentences (and that a dataset's name leads them).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from test_russian_report import CODE_NAMES, english_words

from ablation import i18n, steps
from ablation.aggregate import config_summary, run_summary
from ablation.axes import FASHION_NAMES, class_label, config_label, label
from ablation.report import findings
from ablation.report.explorer import confusion_matrices
from ablation.report.findings_runs import divergence
from ablation.report.inputs import ReportInputs
from ablation.report.render import build_html
from ablation.report.table_texts import anomaly_kind, anova_note, finding_state, reason, reason_text
from ablation.stats.analyze import analysis_defaults
from ablation.stats.overfitting import _verdicts
from ablation.stats.power import plan_sentences
from synthetic import synthetic_study

GRID = {
    "dataset": ["mnist", "fashion_mnist"],
    "activation": ["relu", "tanh"],
    "weight_decay": [0.0, 1e-4],
    "dropout": [0.0, 0.2],
    "train_size": [5000, 20000],
    "seed": [0, 1],
}
ONE_SEED = {"activation": ["relu", "tanh"], "optimizer": ["adam", "sgd"], "seed": [0]}
# Statistical symbols a Russian text writes in Latin letters, as an English one does.
SYMBOLS = {"n", "p", "f"}
SCIENTIFIC = re.compile(r"\d+e[-+]\d+")  # 1e-04: a grid value as the config writes it
STAND_IN = "Сравнение с лучшей."


def allowed(grid: dict) -> set[str]:
    names = CODE_NAMES | SYMBOLS | {"fashion_mnist"}
    for key, levels in grid.items():
        names |= {key.lower(), *(str(v).lower() for v in levels)}
    return names


def english(sentences: list[str], grid: dict) -> list[str]:
    text = SCIENTIFIC.sub("", " ".join(sentences))
    text = re.sub(r"`[^`]*`", "", text)  # code, shown as code in the page
    return english_words(text, allowed(grid))


def study_inputs(grid: dict) -> ReportInputs:
    metrics, confusion = synthetic_study(grid, epochs=20, milestones=[1, 2, 5, 10, 20])
    runs = run_summary(metrics)
    tables = {"metrics": metrics, "runs": runs, "confusion": confusion}
    made = steps.run_all({**tables, "summary": config_summary(runs)}, analysis_defaults(), False)
    return ReportInputs(**{k: v for k, v in made.items() if k in ReportInputs.fields()})


@pytest.fixture(scope="module")
def studies() -> dict[str, ReportInputs]:
    return {"two datasets": study_inputs(GRID), "one seed": study_inputs(ONE_SEED)}


@pytest.fixture
def stand_in(monkeypatch):
    """The sentences of report/choice.py replaced by one Russian stand-in each."""
    for name in ("versus_best", "cheapest_equivalent", "cost"):
        monkeypatch.setattr(findings, name, lambda *args: [STAND_IN])


def russian_findings(inputs: ReportInputs) -> list[str]:
    with i18n.use("ru"):
        return findings.headline_findings(inputs, len(inputs.runs) + 1)


@pytest.mark.parametrize("name, grid", [("two datasets", GRID), ("one seed", ONE_SEED)])
def test_russian_findings_hold_no_english_word(studies, stand_in, name, grid):
    sentences = russian_findings(studies[name])
    assert len(sentences) > 8
    assert not english(sentences, grid), sentences
    assert all(re.search("[А-Яа-яЁё]", s) for s in sentences)
    assert not [s for s in sentences if s.endswith("п. п..")]  # one full stop after "п. п."


def test_russian_findings_name_the_dataset_once_and_read_its_numbers(studies, stand_in):
    sentences = russian_findings(studies["two datasets"])
    assert f"Датасет mnist. {STAND_IN}" in sentences  # another area's sentence, led by its dataset
    best = [s for s in sentences if s.startswith("На mnist лучшая конфигурация")]
    assert len(best) == 1 and "затухание весов" in best[0] and "дропаут" in best[0]
    assert re.search(r"\d,\d\d\u00a0%", best[0])  # a decimal comma, a spaced percent sign
    assert any("с 5\u202f000 до 20\u202f000 изображений" in s for s in sentences)
    assert any("рейтинги конфигураций на fashion_mnist и mnist" in s.lower() for s in sentences)


def test_the_english_findings_are_unchanged_by_the_translation(studies, stand_in):
    sentences = findings.headline_findings(studies["one seed"], 5)
    assert sentences[0] == (
        "Only 4 of 5 planned runs have finished; every number below describes the finished "
        "runs only, and the missing ones are listed at the end."
    )
    assert any("(one seed, so no interval, n = 1 seed)" in s for s in sentences)
    assert "None of the 4 runs diverged." in sentences


def test_counts_take_their_russian_plural_forms():
    with i18n.use("ru"):
        done = {n: findings.coverage(pd.DataFrame(index=range(n)), n)[0] for n in (1, 21)}
        partial = findings.coverage(pd.DataFrame(index=range(3)), 22)[0]
        runs = {n: _diverged_sentence(n) for n in (1, 3, 5)}
        flagged = {n: _anomaly_sentence(n) for n in (1, 2, 5)}
        needed = {n: plan_sentences(_plan(n))[0] for n in (1, 2, 5)}
    assert done[21] == "Все запланированные запуски (21) завершены."
    assert partial.startswith("Завершено только 3 из 22 запланированных запусков;")
    assert runs[1].startswith("В 1 запуске обучение разошлось") and "он отмечен" in runs[1]
    assert runs[3].startswith("В 3 запусках") and runs[5].startswith("В 5 запусках")
    assert flagged[1] == "1 аномалия обучения отмечена в 1 запуске: 1 скачок функции потерь."
    assert flagged[2] == "2 аномалии обучения отмечены в 2 запусках: 2 скачка функции потерь."
    assert flagged[5] == "5 аномалий обучения отмечено в 5 запусках: 5 скачков функции потерь."
    assert needed[1].startswith("При 1 сиде от лучшей не отличима 1 конфигурация.")
    assert needed[2].startswith("При 1 сиде от лучшей не отличимы 2 конфигурации.")
    assert needed[5].startswith("При 1 сиде от лучшей не отличимы 5 конфигураций.")


def _diverged_sentence(n: int) -> str:
    per_run = pd.DataFrame({"status": ["diverged"] * n + ["completed"]})
    return divergence(per_run, pd.DataFrame())[0]


def _anomaly_sentence(n: int) -> str:
    anomalies = pd.DataFrame({"kind": ["loss_spike"] * n, "run_id": [f"r{i}" for i in range(n)]})
    return divergence(pd.DataFrame(), anomalies)[0]


def _plan(n_leading: int) -> dict:
    leading = pd.DataFrame({"n": range(n_leading)})
    return {
        "seeds_run": 1, "seeds_total": 1, "leading": leading, "tested": True,
        "resolved": leading.iloc[:0], "beyond": leading.iloc[:0], "max_seeds": 30,
    }  # fmt: skip


def test_axis_labels_are_russian_and_keep_keys_and_levels():
    row = {"activation": "relu", "optimizer": "adam", "weight_decay": 1e-4, "dropout": 0.2}
    assert config_label(row) == "relu / adam / wd 1e-04 / dropout 0.2"
    assert label("hidden_size") == "hidden units"
    with i18n.use("ru"):
        assert config_label(row) == "relu / adam / затухание весов 1e-04 / дропаут 0,2"
        assert label("hidden_size") == "нейроны скрытого слоя"
        assert label("weight_decay") == "затухание весов" and label("dropout") == "дропаут"


# ------------------------------------------------------------------ verdict reasons

VERDICT_ROWS = pd.DataFrame(
    {
        "status": ["diverged", "completed", "completed", "completed", "completed", "completed",
                   "completed", "completed"],
        "first_non_finite_epoch": [None, 7, None, None, None, None, None, None],
        "diverged_epoch": [12, None, None, None, None, None, None, None],
        "still_learning": [False, False, True, False, False, False, False, False],
        "final_train_accuracy": [0.5, 0.5, 0.99, 0.81234, 0.99, 0.99, 0.99, 0.99],
        "underfit_threshold": [0.9] * 8,
        "validation_available": [True, True, True, True, False, True, True, True],
        "onset_epoch": [None, None, None, None, None, 10, None, None],
        "onset_detected_epoch": [None, None, None, None, None, 20, None, None],
        "final_val_loss_rise": [None, None, None, None, None, 0.123, None, None],
        "noisy_rise_epoch": [None, None, None, None, None, None, 15, None],
        "best_val_epoch": [3, 3, 20, 20, 20, 10, 10, 20],
    }
).astype(
    {
        c: "Int64"
        for c in (
            "first_non_finite_epoch", "diverged_epoch", "onset_epoch", "onset_detected_epoch",
            "noisy_rise_epoch", "best_val_epoch",
        )
    }
)  # fmt: skip


@pytest.fixture(scope="module")
def verdict_rows() -> list[dict]:
    verdict, why = _verdicts(VERDICT_ROWS, 0.05)
    table = VERDICT_ROWS.assign(verdict=verdict, reason=why)
    assert set(table["verdict"]) == {
        "diverged", "still learning", "underfitting", "not available", "overfitting",
        "noisy plateau", "good fit",
    }  # fmt: skip
    return [
        {k: (None if pd.isna(v) else v) for k, v in row.items()} for row in table.to_dict("records")
    ]


def test_rebuilt_reasons_read_as_the_table_writes_them(verdict_rows):
    for row in verdict_rows:
        assert reason_text(row, 0.05) == row["reason"]
        assert reason(row, 0.05) == row["reason"]  # English shows the table's own text


def test_russian_reasons_are_whole_russian_sentences(verdict_rows):
    with i18n.use("ru"):
        reasons = {row["verdict"]: reason(row, 0.05) for row in verdict_rows}
    assert not english(list(reasons.values()), {}), reasons
    assert "на эпохе 7" in reasons["diverged"]
    assert "0,8123" in reasons["underfitting"] and "+12\u00a0%" in reasons["overfitting"]
    assert "5\u00a0%" in reasons["good fit"]


def test_a_reason_without_its_columns_falls_back_to_the_table_text():
    row = {"verdict": "overfitting", "reason": "as the table says"}
    with i18n.use("ru"):
        assert reason(row) == "as the table says"


def test_table_words_in_russian():
    notes = [
        "fewer than two levels of every axis: nothing to model",
        "too few runs (4) for a model of 2 axes: 1 residual degree of freedom",
        "two-way interactions left out: with them only 3 residual degrees of freedom remain "
        "(12 runs)",
    ]
    assert [anova_note(n) for n in notes] == notes
    assert finding_state("unresolved on mnist, kmnist") == "unresolved on mnist, kmnist"
    with i18n.use("ru"):
        assert anova_note(notes[1]) == (
            "слишком мало запусков (4) для модели с 2 осями: 1 остаточная степень свободы"
        )
        assert "3 остаточные степени свободы" in anova_note(notes[2])
        assert finding_state("unresolved on mnist, kmnist") == "не определено на mnist, kmnist"
        assert finding_state("holds") == "подтверждается"
        assert anomaly_kind("accuracy_drop") == "падение точности"


def test_a_russian_report_names_the_fashion_classes_in_russian(studies):
    inputs = studies["two datasets"]
    study = {"report": {"language": "ru"}, "data": {"dataset": "fashion_mnist"}}
    page = build_html(inputs, {}, study, list(inputs.runs["run_id"]))
    fashion = inputs.confused_pairs.query("dataset == 'fashion_mnist'")
    assert not fashion.empty
    with i18n.use("ru"):
        shown = {class_label(n) for n in fashion["true_name"]}
    assert all(re.fullmatch(r"[А-ЯЁ][а-яё/]+", name) for name in shown), shown
    assert any(f"<td>{name}</td>" in page for name in shown)
    assert not [n for n in FASHION_NAMES if f"<td>{n}</td>" in page]
    with i18n.use("ru"):
        matrices = confusion_matrices(inputs.confusion_by_config, lambda row, keys: row["dataset"])
    assert matrices["fashion_mnist"]["classes"][6] == "Рубашка"
    assert matrices["mnist"]["classes"] == [str(d) for d in range(10)]
