"""Logging for rule scripts and the CLI: to a file (the rule's log) and to stderr."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def setup(log_file: str | Path | None = None, level: int = logging.INFO) -> logging.Logger:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="a"))
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(message)s", handlers=handlers, force=True
    )
    return logging.getLogger("ablation")
