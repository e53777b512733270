"""`training_packs`, the one call of train.smk: the runs still to train planned into packs
and saved; a cluster job's pack read back; bad knobs refused before anything is written."""

from __future__ import annotations

import json

import pytest

from ablation import layout
from ablation.config import TrainConfig
from ablation.packs.plan import CPU
from ablation.packs.workflow import training_packs

CONFIGS = [
    TrainConfig(activation=a, optimizer=o, seed=s, train_size=300)
    for a in ("relu", "tanh")
    for o in ("adam", "sgd")
    for s in (0, 1)
]


def data_file(cfg: TrainConfig) -> str:
    return layout.data_file("results/data", cfg.dataset)


def packs_of(root, device="cpu", **kwargs):
    return training_packs(CONFIGS, data_file, slots=2, device=device, root=root, **kwargs)


def test_unfinished_runs_are_planned_in_packs_of_one_data_order_and_saved(tmp_path):
    packs = packs_of(tmp_path)
    assert sorted(c.hash() for p in packs for c in p.configs) == sorted(c.hash() for c in CONFIGS)
    assert all(len({c.seed for c in p.configs}) == 1 and p.device == CPU for p in packs)
    for pack in packs:
        saved = json.loads((tmp_path / layout.plan_file(pack.id)).read_text())
        assert [TrainConfig.from_dict(d) for d in saved["configs"]] == list(pack.configs)


def test_a_dry_run_writes_no_plan(tmp_path):
    assert packs_of(tmp_path, save=False)
    assert not list(tmp_path.rglob("*.json"))


def test_a_cluster_job_reads_the_pack_its_submitter_planned(tmp_path):
    planned = packs_of(tmp_path)
    argv = ["snakemake", "--target-jobs", f"train_pack_{planned[1].id}:", "--cores", "all"]
    # Planning anew would see other slots and finished runs: the job reads the saved plan.
    assert training_packs([], data_file, slots=7, device="cpu", cluster_job=argv,
                          root=tmp_path) == [planned[1]]  # fmt: skip


@pytest.mark.parametrize(
    ("knob", "value"),
    [("ABLATION_PACK_SIZE", "0"), ("ABLATION_STACK", "maybe"), ("ABLATION_GPUS", "two")],
)
def test_a_bad_knob_is_named_before_any_plan_is_written(tmp_path, monkeypatch, knob, value):
    monkeypatch.setenv(knob, value)
    with pytest.raises(ValueError, match=f"{knob}={value!r}"):
        packs_of(tmp_path, device="auto")
    assert not list(tmp_path.rglob("*"))
