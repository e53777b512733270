"""What the command line shows: progress only on a terminal, durations, JSON, argument types."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from ablation.console import format_duration, positive_int, print_json, progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal_and_nothing_in_a_pipe_or_log():
    for stream, drawn in ((Terminal(), True), (io.StringIO(), False)):
        with progress("reading runs", total=2, stream=stream) as bar:
            bar.delay = 0  # as if the work had taken longer than a second
            bar.update(2)
            bar.refresh()
        assert ("reading runs" in stream.getvalue() and "2/2" in stream.getvalue()) == drawn


def test_quick_work_stays_silent_on_a_terminal():
    out = Terminal()
    with progress("quick", total=3, stream=out) as bar:
        bar.update(3)
    assert out.getvalue() == ""


def test_durations_read_as_a_clock():
    assert [format_duration(s) for s in (0.2, 42, 185, 7800, -1)] == [
        "00:00", "00:42", "03:05", "2:10:00", "00:00",
    ]  # fmt: skip


def test_json_has_no_nan(capsys):
    import numpy as np

    print_json({"a": float("nan"), "b": [np.float32(0.5), float("inf")], "c": np.int64(3)})
    assert json.loads(capsys.readouterr().out) == {"a": None, "b": [0.5, None], "c": 3}


def test_positive_int_names_the_problem():
    assert positive_int("3") == 3
    for text, problem in (("0", "below 1"), ("x", "not a whole number")):
        with pytest.raises(argparse.ArgumentTypeError, match=problem):
            positive_int(text)
