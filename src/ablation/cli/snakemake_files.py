"""What Snakemake itself leaves in a project folder, read without running Snakemake.

- ``.snakemake/incomplete/``: one marker per output of a job that started and has not
  finished (removed when the job ends or is cleaned up);
- ``.snakemake/locks/``: the outputs a running Snakemake process has locked;
- ``benchmarks/<rule>/...tsv``: the wall time and memory of each finished job (the
  rule's ``benchmark:`` directive).
"""

from __future__ import annotations

import base64
import csv
import os
from pathlib import Path

_NAME_MAX = 254  # longer marker names are split into folders named `@<chunk>`


def incomplete_markers(root: Path) -> set[str]:
    """Output paths (relative to `root`) that Snakemake has marked incomplete."""
    folder = root / ".snakemake" / "incomplete"
    marked = set()
    if not folder.is_dir():
        return marked
    for dirpath, _, files in os.walk(folder):
        rel = Path(dirpath).relative_to(folder).parts
        prefix = "".join(part.removeprefix("@") for part in rel)
        for name in files:
            try:
                marked.add(base64.urlsafe_b64decode(prefix + name).decode())
            except (ValueError, UnicodeDecodeError):
                continue  # migration_underway and other bookkeeping
    return marked


def marker_file(root: Path, output: str) -> Path:
    """Where Snakemake keeps the incomplete marker of `output` (a path relative to `root`)."""
    name = base64.urlsafe_b64encode(output.encode()).decode()
    chunks = [name[i : i + _NAME_MAX] for i in range(0, len(name), _NAME_MAX)]
    return (
        root / ".snakemake" / "incomplete" / "/".join(["@" + c for c in chunks[:-1]] + chunks[-1:])
    )


def locked_outputs(root: Path) -> set[str]:
    """Output paths listed in Snakemake's lock files (held while a Snakemake process runs)."""
    locked = set()
    for lock in (root / ".snakemake" / "locks").glob("*.output.lock"):
        try:
            locked.update(line.strip() for line in lock.read_text().splitlines() if line.strip())
        except OSError:
            continue  # released while we read
    return locked


def job_seconds(benchmark: Path) -> float | None:
    """Wall seconds of the job a benchmark file records (its last repeat); None if unreadable."""
    try:
        with benchmark.open(newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        return float(rows[-1]["s"])
    except (OSError, KeyError, IndexError, ValueError):
        return None
