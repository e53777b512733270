"""What the command line shows: errors by exit status, argument types, progress, durations, JSON.

Shared by the `ablation` subcommands and `ablation bench`; imports nothing of the library,
so any module may use it without a circle.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from tqdm import tqdm


class UsageError(ValueError):
    """A wrong argument or input file: exit status 2, message says which and the fix."""


class Failure(RuntimeError):
    """The work could not be done: exit status 1."""


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def format_duration(seconds: float) -> str:
    """`seconds` as a clock reading, `00:42`, `03:05`, `2:10:00` (tqdm's format)."""
    from tqdm import tqdm  # deferred, as below: `ablation --help` stays quick

    return tqdm.format_interval(max(0.0, seconds))


def progress(label: str, total: int | None = None, stream: TextIO | None = None) -> tqdm:
    """A progress bar on stderr for work that takes more than a second.

    Drawn only on a terminal: piped or logged output stays free of bar redraws.
    Use as a context manager and call ``update()`` per finished step.
    """
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=label,
        file=stream if stream is not None else sys.stderr,
        delay=1.0,
        disable=None,  # None: off unless the stream is a terminal
        leave=False,
    )


def note(message: str, stream: TextIO | None = None) -> None:
    """One line about a slow step that is about to start (e.g. preparing the dataset)."""
    print(message, file=stream if stream is not None else sys.stderr, flush=True)


def print_json(data: Any) -> None:
    """`data` as one JSON document on stdout; NaN and infinities as null."""
    json.dump(_finite(data), sys.stdout, indent=2, allow_nan=False, default=_jsonable)
    sys.stdout.write("\n")


def print_table(header: list[str], rows: list[list[Any]]) -> None:
    """Columns padded to their widest cell; the last column is left ragged."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = "  ".join(f"{v!s:<{w}}" for v, w in zip(row, widths, strict=False))
        print(f"{cells}  {row[-1]}".rstrip())


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
