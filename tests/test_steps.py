"""The one wiring of the analysis and figure steps, shared by the rules and the partial report."""

from __future__ import annotations

import pytest

from ablation.layout import AGGREGATES
from ablation.report.figures import FIGURES
from ablation.report.inputs import TABLES
from ablation.steps import STEPS, step
from conftest import snakemake


def test_each_step_reads_only_what_comes_before_it():
    available = set(AGGREGATES)
    for s in STEPS:
        assert set(s.reads) <= available, s.name
        assert not set(s.makes) & available, f"{s.name} remakes a table"
        available |= set(s.makes)
    assert set(TABLES) <= available  # everything the report shows is made
    assert {name for s in STEPS if s.draws for name in s.makes} == set(FIGURES)


def test_a_step_must_make_exactly_what_it_says():
    broken = step("plot_cost").__class__(
        "analyze_broken", ("runs",), (), ("expected",), lambda t, s: {"other": t["runs"]}
    )
    with pytest.raises(AssertionError, match="analyze_broken"):
        broken.run({"runs": None}, {})


@pytest.mark.workflow
def test_a_partial_report_of_a_complete_grid_is_the_full_report(tiny_study):
    snakemake(tiny_study, "reports/partial/summary.html", "--configfile", "config/study.yaml")
    full = (tiny_study / "reports" / "summary.html").read_bytes()
    partial = (tiny_study / "reports" / "partial" / "summary.html").read_bytes()
    assert b"All 8 planned runs finished." in full
    assert partial == full
