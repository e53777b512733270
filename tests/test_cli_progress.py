"""The progress display: a bar on a terminal, plain lines in logs and pipes."""

from __future__ import annotations

import io

from ablation.progress import Progress, format_duration


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_when_piped():
    out = io.StringIO()
    with Progress("reading runs", total=4, stream=out, delay=0, interval=0) as bar:
        for _ in range(4):
            bar.advance()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("reading runs: 1/4 (")
    assert lines[-1].startswith("reading runs: 4/4 (")
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_a_bar_on_a_terminal():
    out = Terminal()
    with Progress("predicting", total=2, stream=out, delay=0) as bar:
        bar.advance(2)
    text = out.getvalue()
    assert text.startswith("\rpredicting [") and "2/2" in text and text.endswith("\n")
    assert "#" * 24 in text  # the bar is full


def test_quick_work_stays_silent():
    out = Terminal()
    with Progress("quick", total=3, stream=out, delay=60) as bar:
        bar.advance(3)
    assert out.getvalue() == ""


def test_durations_read_naturally():
    assert [format_duration(s) for s in (0.2, 42, 185, 7800, 93600)] == [
        "<1s", "42s", "3m 05s", "2h 10m", "1d 2h",
    ]  # fmt: skip
