"""The defaults of the config's ``analysis:`` section.

The statistics steps themselves are wired once, in `ablation.steps`: the workflow runs
each as a rule, the partial report and the benchmarks run them all in order.
"""

from __future__ import annotations

from ablation.config import load_schema


def analysis_defaults() -> dict:
    """The defaults of the config's ``analysis:`` section, from the schema (their one source)."""
    section = load_schema()["properties"]["analysis"]["properties"]
    return {key: spec["default"] for key, spec in section.items()}
