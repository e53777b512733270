"""Packed training: planning, bitwise equality with runs alone, divergence, kill -9 and resume."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
from dataclasses import replace

import pandas as pd
import pytest
import torch

from ablation import layout
from ablation.config import TrainConfig, load_config, run_config, run_path
from ablation.packs.devices import job_device, planned_gpus
from ablation.packs.plan import (
    CPU,
    DATA_ORDER,
    LOCKSTEP,
    MEMBER_FIELDS,
    Pack,
    _schedule,
    estimated_seconds,
    gpu_slots_per_gpu,
    load_plan,
    pack_key,
    plan_packs,
    save_plans,
)
from ablation.training.job import run_job, run_pack_job
from ablation.training.loop import train
from ablation.training.model import ACTIVATIONS
from ablation.training.pack import train_pack
from conftest import REPO, planned_runs, snakemake, write_config
from robustness_helpers import (  # one_thread: a fixture
    ONE_CELL,
    one_thread,  # noqa: F401
    run_of,
    saved_epoch,
    start_snakemake,
    state_file,
    study,
    valid,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = TrainConfig(epochs=1, milestones=(), train_size=300, validation_size=500)
OPTIMIZERS = {  # the study's presets, and one that steps through optimizer.step()
    "sgd": ("SGD", {"lr": 0.1}),
    "adam": ("Adam", {"lr": 1e-3}),
    "rmsprop": ("RMSprop", {"lr": 1e-3}),
    "nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
}
TIMING = ("train_seconds", "train_cpu_seconds")
NOT_COMPARED = [*TIMING, "device", "threads", "torch_version", "ablation_version"]
NOT_COMPARED += ["git_commit"]


def every_combination(base: TrainConfig) -> list[TrainConfig]:
    return [
        replace(base, activation=activation, optimizer=name, optimizer_class=cls,
                optimizer_kwargs=kwargs, dropout=dropout, weight_decay=weight_decay)
        for activation in sorted(ACTIVATIONS)
        for name, (cls, kwargs) in OPTIMIZERS.items()
        for dropout in (0.0, 0.2)
        for weight_decay in (0.0, 1e-4)
    ]  # fmt: skip


def assert_same_result(alone, packed) -> None:
    where = run_path(alone.config.cell())
    assert packed.config == alone.config, where
    assert packed.status == alone.status and packed.diverged_epoch == alone.diverged_epoch, where
    strip = lambda h: [{k: v for k, v in r.items() if k not in TIMING} for r in h]  # noqa: E731
    assert strip(packed.history) == strip(alone.history), where
    for name, weight in alone.model.state_dict().items():
        assert torch.equal(weight, packed.model.state_dict()[name]), (where, name)
    assert torch.equal(alone.confusion, packed.confusion), where


# ---------------------------------------------------------------------------- equivalence


@pytest.fixture(scope="module")
def small(mnist):
    """MNIST with 1,000 test images: evaluation is most of a tiny run's time."""
    return replace(
        mnist, test_images=mnist.test_images[:1000], test_labels=mnist.test_labels[:1000]
    )


def test_packed_runs_equal_runs_alone_for_every_combination(small):
    """8 activations x 4 optimizers x 2 dropouts x 2 weight decays, in one pack, bitwise."""
    cfgs = every_combination(TINY)
    assert len({pack_key(cfg) for cfg in cfgs}) == 1
    alone = [train(cfg, small) for cfg in cfgs]
    for single, packed in zip(alone, train_pack(cfgs, small), strict=True):
        assert_same_result(single, packed)


def diverging_pack() -> list[TrainConfig]:
    """Three runs of one data order; the second (identity, SGD at lr 1e4) turns NaN
    within epoch 1."""
    base = replace(TINY, epochs=3, milestones=(1, 3))
    blowup = replace(
        base, activation="identity", optimizer="sgd", optimizer_class="SGD",
        optimizer_kwargs={"lr": 1e4},
    )  # fmt: skip
    return [base, blowup, replace(base, activation="tanh", dropout=0.2)]


def test_a_diverging_member_stops_alone(small):
    cfgs = diverging_pack()
    results = train_pack(cfgs, small)
    assert [r.status for r in results] == ["completed", "diverged", "completed"]
    for cfg, packed in zip(cfgs, results, strict=True):
        assert_same_result(train(cfg, small), packed)


def test_a_pack_reports_its_progress_once_a_pack_epoch(small):
    """The diverging member trains the first pack epoch only; the pack's time left counts
    the epochs its slowest member has to go."""
    seen = []
    train_pack(diverging_pack(), small, on_pack_epoch=seen.append)
    assert [(p["epoch"], p["epochs"], p["trained"], p["runs"]) for p in seen] == [
        (1, 3, 3, 3),
        (2, 3, 2, 3),
        (3, 3, 2, 3),
    ]
    assert [p["seconds_left"] > 0 for p in seen] == [True, True, False]
    first = seen[0]
    assert first["seconds_left"] == pytest.approx(first["seconds"] * 2)  # 2 more at this pace


def test_a_packs_log_has_one_line_per_pack_epoch_and_each_member_its_own(
    mnist_file, tmp_path, caplog
):
    """The job's log (the pack's): a line per pack epoch with the pack's time left, no
    member's epoch line; each member's log: its own epoch lines, without a time left of
    its own (it finishes with its pack)."""
    base = replace(TINY, epochs=3, milestones=(3,))
    cfgs = [base, replace(base, activation="tanh")]
    members = []
    for i, cfg in enumerate(cfgs):
        names = ("metrics.parquet", "confusion.parquet", "model.pt", "state.pt", "run.log")
        paths = {name.split(".")[0]: str(tmp_path / str(i) / name) for name in names}
        members.append({"config": cfg, **paths, "logs": [paths.pop("run")]})
    with caplog.at_level("INFO", logger="ablation"):
        run_pack_job(members, mnist_file, device="cpu")
    pack_lines = [r.getMessage() for r in caplog.records if "epoch" in r.getMessage()]
    progress = [line for line in pack_lines if line.startswith("pack epoch")]
    assert [line.split("  ")[0] for line in progress] == [f"pack epoch {e}/3" for e in (1, 2, 3)]
    assert all("2 of 2 runs" in line for line in progress)
    assert ["left" in line for line in progress] == [True, True, False]
    assert not any("train loss" in line for line in pack_lines)
    for member in members:
        lines = (tmp_path / member["logs"][0]).read_text().splitlines()
        epochs = [line for line in lines if "train loss" in line]
        assert [line.split("INFO ")[1].split("  ")[0] for line in epochs] == [
            "epoch 1/3",
            "epoch 2/3",
            "epoch 3/3",
        ]
        assert not any("left" in line or "pack epoch" in line for line in lines)


class Interrupt(Exception):
    """Stands in for a kill between two members' epochs."""


def test_members_resume_from_different_epochs(small, tmp_path):
    """Cut after the first member's second epoch: it resumes at 2, the other at 1."""
    base = replace(TINY, epochs=3, milestones=(1, 3), dropout=0.2)
    cfgs = [base, replace(base, optimizer="rmsprop", optimizer_class="RMSprop")]
    states = [tmp_path / "a.pt", tmp_path / "b.pt"]

    def stop(cfg, summary):
        if cfg is cfgs[0] and summary["epoch"] == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        train_pack(cfgs, small, state_paths=states, on_epoch=stop)
    assert [saved_epoch(s) for s in states] == [2, 1]
    for cfg, resumed in zip(cfgs, train_pack(cfgs, small, state_paths=states), strict=True):
        assert_same_result(train(cfg, small), resumed)


def test_a_pack_holds_one_data_order(small):
    with pytest.raises(ValueError, match="one data order"):
        train_pack([TINY, replace(TINY, seed=1)], small)


# ---------------------------------------------------------------------------- planning


def test_every_field_is_classified():
    """A new TrainConfig field keeps runs apart until it is listed here (safe by default)."""
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    classified = set(DATA_ORDER) | set(LOCKSTEP) | set(MEMBER_FIELDS)
    assert fields <= classified
    assert pack_key(TINY) != pack_key(replace(TINY, seed=1))
    assert pack_key(TINY) == pack_key(replace(TINY, activation="tanh", dropout=0.5))


def default_study_configs() -> list[TrainConfig]:
    from ablation.config import grid_cells, validate_config

    config = validate_config(load_config(REPO / "config" / "config.yaml"))
    return [run_config(config, cell) for cell in grid_cells(config)]


@pytest.mark.parametrize(
    ("slots", "max_size", "sizes"),
    [
        (2, None, [18] * 6),  # not 3 x 36: one of two cores would idle for a third
        (1, None, [36] * 3),  # one worker: one pack per data order
        (2, 1, [1] * 108),  # ABLATION_PACK_SIZE=1: one job per run
        (16, None, [1] * 108),  # many cores: start-up is cheap next to 100 epochs
    ],
)
def test_plan_keeps_every_worker_busy_to_the_end(slots, max_size, sizes):
    cfgs = default_study_configs()
    plan = plan_packs(cfgs, slots=slots, max_size=max_size)
    assert sorted(len(p.configs) for p in plan) == sizes
    assert sorted(c.hash() for p in plan for c in p.configs) == sorted(c.hash() for c in cfgs)
    assert all(len({pack_key(c) for c in p.configs}) == 1 for p in plan)
    assert len({p.id for p in plan}) == len(plan)


def test_scaled_study_packs_more_when_start_up_dominates():
    cfgs = [
        replace(c, epochs=2, milestones=(1, 2), train_size=1000) for c in default_study_configs()
    ]
    plan = plan_packs(cfgs, slots=2)
    assert len(plan) % 2 == 0 and len(plan) <= 6


def finishing_times(plan: list[Pack], slots: int, gpu_slots: int) -> tuple[float, float]:
    """When the last GPU pack and the last CPU pack end, by the planner's cost model."""
    on_gpu = [estimated_seconds(p) for p in plan if p.device != CPU]
    on_cpu = [estimated_seconds(p) for p in plan if p.device == CPU]
    gpu = _schedule(on_gpu, gpu_slots)[0] if on_gpu else 0.0
    cpu = _schedule(on_cpu, slots - min(gpu_slots, len(on_gpu)))[0] if on_cpu else 0.0
    return gpu, cpu


def assert_every_run_once(plan: list[Pack], cfgs: list[TrainConfig]) -> None:
    assert sorted(c.hash() for p in plan for c in p.configs) == sorted(c.hash() for c in cfgs)
    assert all(len({pack_key(c) for c in p.configs}) == 1 for p in plan)
    assert len({p.id for p in plan}) == len(plan)


@pytest.mark.parametrize("slots", [1, 2, 16, 200])
def test_without_a_gpu_the_plan_is_the_cpus(slots):
    cfgs = default_study_configs()
    cpu = plan_packs(cfgs, slots=slots)
    assert all(p.device == CPU for p in cpu)
    assert plan_packs(cfgs, slots=slots, gpus=[]) == cpu
    # --resources gpu=0: GPUs there, but no GPU pack may run
    assert plan_packs(cfgs, slots=slots, gpus=["cuda:0"], gpu_limit=0) == cpu


def test_one_gpu_and_16_cores_share_the_study():
    cfgs = default_study_configs()
    plan = plan_packs(cfgs, slots=16, gpus=["cuda:0"])
    assert_every_run_once(plan, cfgs)
    on_gpu = [p for p in plan if p.device == "cuda:0"]
    on_cpu = [p for p in plan if p.device == CPU]
    assert len(on_gpu) + len(on_cpu) == len(plan)
    # One GPU pack per data order (3 seeds) at once; the other 13 cores train the rest.
    assert gpu_slots_per_gpu(3) == 3 and len(on_gpu) == 3
    assert 0 < len(on_cpu) <= 13
    assert sum(len(p.configs) for p in on_gpu) >= 0.75 * len(cfgs)  # the GPU does most
    gpu, cpu = finishing_times(plan, slots=16, gpu_slots=3)
    # Balanced: the cores end no later than the GPU, and no run could move to a core
    # without ending later than the GPU does now.
    one_run = estimated_seconds(Pack.of(cfgs[:1]))
    assert cpu <= gpu < cpu + one_run
    # Sooner than the GPU alone or the cores alone.
    alone = plan_packs(cfgs, slots=16, gpus=["cuda:0"], cpu=False)
    assert max(gpu, cpu) < finishing_times(alone, slots=16, gpu_slots=3)[0]
    assert max(gpu, cpu) < finishing_times(plan_packs(cfgs, slots=16), 16, 0)[1]


def test_cuda_plans_every_pack_on_the_gpu():
    cfgs = default_study_configs()
    plan = plan_packs(cfgs, slots=16, gpus=["cuda:1"], cpu=False)
    assert_every_run_once(plan, cfgs)
    assert {p.device for p in plan} == {"cuda:1"}
    assert sorted(len(p.configs) for p in plan) == [36] * 3  # one stacked pack per seed


def test_gpu_packs_fit_the_cores_and_the_gpu_limit():
    cfgs = default_study_configs()
    # Two cores: both take a GPU pack's process, the GPU trains everything.
    two = plan_packs(cfgs, slots=2, gpus=["cuda:0"])
    assert_every_run_once(two, cfgs)
    assert {p.device for p in two} == {"cuda:0"}
    # --resources gpu=1: one GPU pack at a time, the 15 other cores train more.
    limited = plan_packs(cfgs, slots=16, gpus=["cuda:0"], gpu_limit=1)
    assert_every_run_once(limited, cfgs)
    free = plan_packs(cfgs, slots=16, gpus=["cuda:0"])
    cpu_runs = lambda plan: sum(len(p.configs) for p in plan if p.device == CPU)  # noqa: E731
    assert cpu_runs(limited) > cpu_runs(free)
    # ABLATION_PACK_SIZE caps GPU packs too.
    capped = plan_packs(cfgs, slots=16, gpus=["cuda:0"], max_size=10)
    assert_every_run_once(capped, cfgs)
    assert max(len(p.configs) for p in capped) <= 10


def test_two_gpus_share_the_gpu_packs():
    cfgs = default_study_configs()
    plan = plan_packs(cfgs, slots=16, gpus=["cuda:0", "cuda:1"])
    assert_every_run_once(plan, cfgs)
    runs = lambda device: sum(len(p.configs) for p in plan if p.device == device)  # noqa: E731
    assert runs("cuda:0") > 0 and runs("cuda:1") > 0
    assert abs(runs("cuda:0") - runs("cuda:1")) <= 18


def refuse():
    raise AssertionError("asked torch for the GPUs")


def test_the_gpus_planned_for():
    assert planned_gpus("cpu", None, refuse) == []  # ABLATION_DEVICE=cpu: no torch
    assert planned_gpus("cpu", 2, refuse) == []
    assert planned_gpus("auto", None, lambda: 2) == ["cuda:0", "cuda:1"]
    assert planned_gpus("auto", None, lambda: 0) == []
    assert planned_gpus("auto", 1, refuse) == ["cuda:0"]  # ABLATION_GPUS=1
    assert planned_gpus("auto", 0, refuse) == []
    assert planned_gpus("cuda", None, lambda: 0) == ["cuda:0"]  # fails in the job
    assert planned_gpus("cuda:1", None, refuse) == ["cuda:1"]
    assert planned_gpus("mps", None, refuse) == []
    # ABLATION_GPUS itself: tests/test_environment.py


def test_the_device_a_pack_job_trains_on():
    assert job_device("cpu", "auto", refuse) == "cpu"
    assert job_device("cpu", "cpu", refuse) == "cpu"
    assert job_device("cpu", "mps", refuse) == "mps"
    assert job_device("cuda:1", "auto", lambda: 2) == "cuda:1"
    assert job_device("cuda:1", "auto", lambda: 1) == "cuda:0"  # a SLURM job's GPU
    assert job_device("cuda:0", "auto", lambda: 0) == "cuda:0"  # no GPU: it fails


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_gpu_pack_without_a_gpu_fails_clearly():
    from ablation.training.loop import DeviceError, select_device

    with pytest.raises(DeviceError, match="torch sees no CUDA GPU"):
        select_device(job_device("cuda:0", "auto", lambda: 0))


def test_the_device_keeps_the_pack_id_and_travels_with_the_plan(tmp_path):
    members = [replace(TINY, activation=a) for a in ("relu", "tanh")]
    on_gpu = Pack.of(members, "cuda:0")
    assert on_gpu.id == Pack.of(members).id
    save_plans([on_gpu], tmp_path)
    assert load_plan(on_gpu.id, tmp_path).device == "cuda:0"
    # A plan saved before plans held a device: the CPU's.
    plan = tmp_path / layout.plan_file(on_gpu.id)
    plan.write_text(json.dumps([c.to_dict() for c in members]))
    assert load_plan(on_gpu.id, tmp_path) == Pack.of(members)


# ---------------------------------------------------------------------------- workflow


@pytest.mark.workflow
def test_killed_pack_resumes_exactly_and_a_new_value_trains_alone(
    workdir, mnist_file, tmp_path_factory, monkeypatch
):
    """`kill -9` of Snakemake and its pack job mid-epoch; the next call finishes both runs
    exactly as alone; then a new activation trains only its own cell."""
    config = study(epochs=6, milestones=[1, 3, 6], train_size=6000, batch_size=16)
    config["grid"]["activation"] = ["relu", "tanh"]
    configfile = str(write_config(workdir, config))
    (workdir / "results" / "data").mkdir(parents=True)
    shutil.copy2(mnist_file, workdir / "results" / "data" / "mnist.pt")  # data rule not under test
    cells = [ONE_CELL, dict(ONE_CELL, activation="tanh")]
    states = [state_file(workdir, cell, config) for cell in cells]
    runs = [run_of(config, cell) for cell in cells]
    targets = [f"results/runs/{run}/metrics.parquet" for run in runs]

    # One core: one pack of both runs.
    proc = start_snakemake(workdir, *targets, "--cores", "1", "--configfile", configfile)
    wait_for(lambda: saved_epoch(states[0]) >= 2, proc, what="two epochs saved")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = [saved_epoch(s) for s in states]
    assert all(1 <= d < 6 for d in done) and not (workdir / targets[0]).exists()
    refused = snakemake(workdir, *targets, "--configfile", configfile, check=False)
    assert refused.returncode != 0 and "--unlock" in refused.stdout + refused.stderr
    snakemake(workdir, "--unlock", "--configfile", configfile)
    snakemake(workdir, *targets, "--cores", "1", "--configfile", configfile)
    assert not any(s.exists() for s in states)
    [pack_log] = (workdir / "logs" / "train_pack").glob("*.log")  # the same pack again
    assert "training a pack of 2 runs" in pack_log.read_text()

    for cell, run, epoch in zip(cells, runs, done, strict=True):
        log = (workdir / "logs" / "train_model" / f"{run}.log").read_text()
        assert f"resuming after epoch {epoch} of 6" in log and f"{run}: completed" in log
        assert runs[1 - runs.index(run)] not in log  # its own lines only
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            monkeypatch.setenv(var, os.environ.get(var, ""))
        ref = tmp_path_factory.mktemp("alone")
        files = [ref / name for name in ("metrics.parquet", "model.pt", "confusion.parquet")]
        run_job(run_config(valid(config), cell), mnist_file, *files, ref / "state.pt", device="cpu")
        torch.set_num_threads(1)
        got = pd.read_parquet(workdir / "results" / "runs" / run / "metrics.parquet")
        want = pd.read_parquet(ref / "metrics.parquet")
        assert len(got) == 6 + 3 * 3  # every epoch's running loss, three splits at 3 milestones
        pd.testing.assert_frame_equal(
            got.drop(columns=NOT_COMPARED), want.drop(columns=NOT_COMPARED)
        )

    # A new grid value trains its cell only.
    finished = {p: p.stat().st_mtime_ns for p in (workdir / "results" / "runs").rglob("*.*")}
    config["grid"]["activation"].append("sigmoid")
    new = run_of(config, dict(ONE_CELL, activation="sigmoid"))
    configfile = str(write_config(workdir, config))
    snakemake(workdir, f"results/runs/{new}/metrics.parquet", "--configfile", configfile)
    assert {p: p.stat().st_mtime_ns for p in finished} == finished
    assert (workdir / "results" / "runs" / new / "model.pt").exists()


def pack_resources(dry_run: str) -> dict[str, dict]:
    """Each pack rule of a dry run: its resources, as Snakemake would give them a job."""
    found = {}
    for name, block in re.findall(
        r"^rule (train_pack_\w+):\n(.*?)(?:\n\[|\Z)", dry_run, re.M | re.S
    ):
        line = next(x for x in block.splitlines() if x.strip().startswith("resources:"))
        pairs = (item.split("=", 1) for item in line.split(":", 1)[1].split(", "))
        found[name] = {k.strip(): int(v) if v.isdigit() else v for k, v in pairs}
    return found


class Resources(dict):
    __getattr__ = dict.__getitem__


def sbatch_call(resources: dict) -> str:
    """The sbatch call snakemake-executor-plugin-slurm builds for a job with `resources`."""
    from types import SimpleNamespace

    from snakemake_executor_plugin_slurm.submit_string import get_submit_command
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    job = SimpleNamespace(resources=Resources(resources), threads=1)
    params = {"run_uuid": "u", "slurm_logfile": "log", "comment_str": "c", "account": "",
              "partition": "", "workdir": "."}  # fmt: skip
    return get_submit_command(job, params) + set_gres_string(job)


@pytest.mark.workflow
def test_dry_run_plans_gpu_and_cpu_packs_and_slurm_asks_for_gpus(workdir):
    """ABLATION_GPUS=1 on 16 cores (no GPU needed: a dry run trains nothing): the default
    study's packs claim gpu=1 on the GPU and gpu=0 on the cores, and SLURM would be
    asked for a GPU for the first only."""
    gpu = {"ABLATION_DEVICE": "auto", "ABLATION_GPUS": "1"}
    out = snakemake(workdir, "-n", "--cores", "16", env=gpu).stdout
    rules = pack_resources(out)
    on_gpu = [r for r in rules.values() if r["gpu"] == 1]
    on_cpu = [r for r in rules.values() if r["gpu"] == 0]
    assert len(on_gpu) == 3 and on_cpu and len(on_gpu) + len(on_cpu) == len(rules)
    assert len(planned_runs(out)) == 108
    for resources in on_gpu:
        assert " --gpus=1" in sbatch_call(resources)
    for resources in on_cpu:
        call = sbatch_call(resources)
        assert "--gpus" not in call and "--gres" not in call and "--ntasks=1" in call
    assert all("--cpus-per-task=1" in sbatch_call(r) for r in rules.values())
    # ABLATION_DEVICE=cpu, or no GPU pack allowed: the CPU's plan.
    for env, args in ((dict(gpu, ABLATION_DEVICE="cpu"), ()), (gpu, ("--resources", "gpu=0"))):
        out = snakemake(workdir, "-n", "--cores", "16", *args, env=env).stdout
        assert {r["gpu"] for r in pack_resources(out).values()} == {0}
        assert len(planned_runs(out)) == 108


@pytest.mark.workflow
@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_pack_planned_for_a_missing_gpu_stops_clearly(workdir, mnist_file):
    """ABLATION_GPUS=1 where there is none: the GPU pack stops with the DeviceError and
    says why it was planned there, instead of training on one core."""
    (workdir / "results" / "data").mkdir(parents=True)
    shutil.copy2(mnist_file, workdir / "results" / "data" / "mnist.pt")
    configfile = str(write_config(workdir, study()))
    env = {"ABLATION_DEVICE": "cuda", "ABLATION_GPUS": "1"}
    done = snakemake(workdir, "--configfile", configfile, check=False, env=env)
    assert done.returncode != 0
    [log] = (workdir / "logs" / "train_pack").glob("*.log")
    text = log.read_text()
    assert "torch sees no CUDA GPU" in text and "planned for cuda:0" in text
    assert not list((workdir / "results" / ".trained").rglob("*.json"))


# ---------------------------------------------------------------------------- GPU


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (torch sees none)")
def test_gpu_packs_rerun_identically_and_agree_with_the_cpu(mnist):
    """On the GPU a pack trains stacked: a rerun is identical, each member agrees with
    its run alone on the GPU up to float reordering, and with the CPU's within what
    reordering (and, with dropout, CUDA's own masks) explains."""
    base = replace(TINY, epochs=2, milestones=(2,), train_size=2000, validation_size=1000)
    cfgs = [replace(base, activation=a, dropout=d) for a in ("relu", "tanh") for d in (0.0, 0.2)]
    first, again = train_pack(cfgs, mnist, "cuda"), train_pack(cfgs, mnist, "cuda")
    for a, b in zip(first, again, strict=True):
        assert_same_result(a, b)
    for cfg, packed in zip(cfgs, first, strict=True):
        alone = train(cfg, mnist, "cuda")
        for name, weight in alone.model.state_dict().items():
            assert torch.allclose(packed.model.state_dict()[name], weight, atol=1e-4), name
        cpu = train(cfg, mnist, "cpu")
        accuracy = [r["accuracy"] for r in packed.history if r["split"] == "test"]
        want = [r["accuracy"] for r in cpu.history if r["split"] == "test"]
        # Without dropout only float reordering differs; with it, the masks too (CUDA's
        # generator), as much as another seed would: a seed-to-seed spread at 2 epochs.
        assert accuracy == pytest.approx(want, abs=0.005 if cfg.dropout == 0 else 0.03)


def test_a_cluster_job_trains_the_pack_its_submitter_planned(tmp_path):
    from ablation.config import TrainConfig
    from ablation.packs.plan import Pack, load_plan, save_plans, target_pack_ids

    planned = Pack.of([TrainConfig(activation=a, seed=1, train_size=300) for a in ("relu", "tanh")])
    save_plans([planned], tmp_path)
    assert load_plan(planned.id, tmp_path) == planned
    argv = ["snakemake", "--target-jobs", f"train_pack_{planned.id}:", "--cores", "all"]
    assert target_pack_ids(argv) == [planned.id]
    assert target_pack_ids(["snakemake", "--target-jobs", "analyze_anova:"]) == []
