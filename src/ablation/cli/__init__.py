"""The `ablation` command: its parser, each subcommand's work and text output."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The `ablation` console script (`ablation.cli:main`); returns the exit status.

    Imports the parser only when called, so that importing a module of `ablation.cli`
    (status, drift, ...) costs no more than that module.
    """
    from ablation.cli.parser import main as run

    return run(argv)
