"""A study read from its config files the way Snakemake reads them, for use outside Snakemake."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from snakemake.utils import update_config

from ablation.config import ConfigError, validate_config


def load_study(paths: Iterable[str | Path]) -> tuple[dict, str]:
    """Read config files, lay each over the ones before it as ``snakemake --configfile``
    does (`snakemake.utils.update_config`: mappings merge, other values replace), validate.

    Returns
    -------
    The validated study config and its sources as one string (for messages).

    Raises
    ------
    ConfigError
        On a missing or unreadable file, or an invalid merged config; a bad key is
        reported in the file that sets it.
    """
    merged: dict = {}
    layers = []
    names = []
    for path in map(Path, paths):
        names.append(str(path))
        raw = _read(path)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            raise ConfigError(str(path), "-", "the file is not a mapping", "write keys like grid:")
        update_config(merged, raw)
        layers.insert(0, (str(path), raw))  # highest precedence first
    source = " + ".join(names)
    return validate_config(merged, source=source, layers=layers), source


def _read(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(
            str(path),
            "-",
            "file not found",
            "run in the project folder (or pass -d/--directory), or pass an existing file",
        ) from None
    except yaml.YAMLError as err:
        raise ConfigError(str(path), "-", f"not valid YAML ({err})", "fix the YAML") from None
    except OSError as err:
        raise ConfigError(
            str(path), "-", f"cannot be read ({err.strerror})", "pass a readable YAML file"
        ) from None
