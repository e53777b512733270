"""A study read from its config files as `snakemake --configfile` reads them."""

from __future__ import annotations

import pytest
import yaml

from ablation.config import ConfigError
from ablation.study import load_study
from conftest import REPO


def test_overlays_merge_as_snakemake_merges_them(tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        yaml.safe_dump({"grid": {"seed": [5]}, "training": {"epochs": 2, "milestones": [1, 2]}})
    )
    study, source = load_study([REPO / "config" / "config.yaml", overlay])
    assert study["grid"]["seed"] == [5]  # lists replace
    assert study["grid"]["activation"] == ["relu", "sigmoid", "tanh"]  # mappings merge
    assert study["training"]["epochs"] == 2 and study["training"]["batch_size"] == 64
    assert source == f"{REPO / 'config' / 'config.yaml'} + {overlay}"


def test_a_bad_key_is_reported_in_the_file_that_sets_it(tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("training:\n  epoch: 3\n")
    with pytest.raises(ConfigError) as err:
        load_study([REPO / "config" / "config.yaml", overlay])
    assert err.value.source.endswith("overlay.yaml") and "training.epoch" in str(err.value)


@pytest.mark.parametrize(
    ("text", "problem"), [("grid: [", "not valid YAML"), ("- a list", "not a mapping")]
)
def test_unreadable_files_are_named(tmp_path, text, problem):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=problem) as err:
        load_study([bad])
    assert err.value.source == str(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_study([tmp_path / "absent.yaml"])
