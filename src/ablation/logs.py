"""Logging for rule scripts and the CLI: to a file (the rule's log) and to stderr."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(message)s"


def setup(log_file: str | Path | None = None, level: int = logging.INFO) -> logging.Logger:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="a"))
    logging.basicConfig(level=level, format=FORMAT, handlers=handlers, force=True)
    return logging.getLogger("ablation")


@contextlib.contextmanager
def thread_log(log_file: str | Path, level: int = logging.INFO) -> Iterator[logging.Logger]:
    """The package's records of this thread to `log_file`, within the block: jobs that run
    in threads of one process (Snakemake's `run:` jobs) each keep their own log."""
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, mode="a")
    handler.setFormatter(logging.Formatter(FORMAT))
    thread = threading.get_ident()
    handler.addFilter(lambda record: record.thread == thread)
    logger = logging.getLogger("ablation")
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > level:
        logger.setLevel(level)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        handler.close()
