"""The JSON schema of a study config: every key, its default and its allowed values."""

from __future__ import annotations

import functools
from importlib import resources

import yaml


def load_schema() -> dict:
    """The schema as a fresh dict (callers may change it)."""
    return yaml.safe_load(_text())


@functools.cache
def _text() -> str:
    return resources.files("ablation").joinpath("schemas/config.schema.yaml").read_text()
