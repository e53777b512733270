"""A dependency-free progress display for long command-line work.

On a terminal it draws one self-updating bar; when the output is piped or logged
it writes plain lines instead (at most one every few seconds), so logs stay
readable. Nothing is shown for work that finishes within `delay` seconds.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 24


def format_duration(seconds: float) -> str:
    """`seconds` as a short human duration: `<1s`, `42s`, `3m 05s`, `2h 10m`, `1d 3h`."""
    if seconds < 0.5:
        return "<1s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


class Progress:
    """Count finished steps of `total` and show how far the work is.

    Parameters
    ----------
    label : what is being done, e.g. ``"predicting"``.
    total : the number of steps, or None when unknown (then only a count is shown).
    stream : where to draw; stderr by default, so stdout stays clean for results.
    delay : seconds before anything is shown (quick work stays silent).
    interval : seconds between plain lines when `stream` is not a terminal.

    Examples
    --------
    >>> with Progress("reading runs", total=3, stream=sys.stdout, delay=0) as bar:
    ...     for _ in range(3):
    ...         bar.advance()  # doctest: +SKIP
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        stream: TextIO | None = None,
        delay: float = 1.0,
        interval: float = 5.0,
    ):
        self.label, self.total = label, total
        self.stream = stream if stream is not None else sys.stderr
        self.delay, self.interval = delay, interval
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = float("-inf")
        self._drawn = False
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def advance(self, steps: int = 1) -> None:
        """Record `steps` finished steps and redraw when it is time."""
        self.done += steps
        now = time.monotonic()
        if now - self.started < self.delay:
            return
        if self.tty and now - self._last_draw >= 0.1:
            self._draw(now, end="")
        elif not self.tty and now - self._last_draw >= self.interval:
            self._draw(now, end="\n")

    def close(self) -> None:
        """Finish the display: a last bar or line, only if anything was shown."""
        if self._drawn:
            self._draw(time.monotonic(), end="\n")

    def _draw(self, now: float, end: str) -> None:
        elapsed = now - self.started
        if self.total:
            fraction = min(1.0, self.done / self.total)
            # Early steps are often slow (imports, caches): no guess before a tenth is done.
            left = elapsed / fraction - elapsed if fraction >= 0.1 else None
            eta = f", {format_duration(left)} left" if left is not None and fraction < 1 else ""
            count = f"{self.done}/{self.total}"
            if self.tty:
                filled = int(round(BAR_WIDTH * fraction))
                bar = "#" * filled + "." * (BAR_WIDTH - filled)
                text = f"\r{self.label} [{bar}] {count} ({format_duration(elapsed)}{eta})"
            else:
                text = f"{self.label}: {count} ({format_duration(elapsed)}{eta})"
        else:
            text = f"{self.label}: {self.done} ({format_duration(elapsed)})"
            text = ("\r" + text) if self.tty else text
        self.stream.write(text + ("\x1b[K" if self.tty else "") + end)
        self.stream.flush()
        self._last_draw, self._drawn = now, True


def note(message: str, stream: TextIO | None = None) -> None:
    """One line about a slow step that is about to start (e.g. preparing the dataset)."""
    stream = stream if stream is not None else sys.stderr
    stream.write(message + "\n")
    stream.flush()
