"""profiles/slurm on a real one-node SLURM cluster started on this machine.

The test writes /etc/slurm/slurm.conf for this host (its real CPUs and memory, as
`slurmd -C` reports them; no accounting database), starts munged (unless one
already answers), slurmctld and slurmd in the foreground as its own child
processes, runs a tiny study through `snakemake --profile profiles/slurm`, and
checks that every job went through SLURM and that the results equal a local
run's bit for bit. Every daemon it started is stopped and the previous
slurm.conf put back, also when something fails.

It needs root (system config, daemons) and the Debian packages slurm-wlm and
munge, which `.ci/install-system.sh` installs (tests never install system packages).
Otherwise it is skipped, saying why.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from ablation.config import grid_cells, run_path, validate_config
from conftest import REPO, WORKFLOW_FILES, snakemake, write_config

pytestmark = [pytest.mark.slurm, pytest.mark.workflow]

SLURM_CONF = Path("/etc/slurm/slurm.conf")
MUNGE_SOCKET = Path("/run/munge/munge.socket.2")
BINARIES = ("slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "munged", "munge", "unmunge")
# Columns that record when and where a run happened, not what it computed.
OUTPUTS = ("metrics.parquet", "model.pt")
PROVENANCE = ["train_seconds", "train_cpu_seconds", "git_commit", "device", "torch_version"]
PROVENANCE += ["ablation_version"]

STUDY = {
    "grid": {
        "activation": ["relu", "tanh"],
        "optimizer": ["adam"],
        "weight_decay": [0.0],
        "dropout": [0.2],
        "seed": [0],
    },
    "training": {"epochs": 2, "milestones": [1, 2], "train_size": 1000, "validation_size": 1000},
}


# ---------------------------------------------------------------------------- the cluster


def _why_not_here() -> str | None:
    """Why this machine cannot host the cluster, or None when it can."""
    if os.geteuid() != 0:
        return "needs root: it writes /etc/slurm/slurm.conf and starts munged, slurmctld, slurmd"
    missing = [b for b in BINARIES if not shutil.which(b)]
    if missing:
        return f"{', '.join(missing)} not found: run `bash .ci/install-system.sh` as root"
    if _running("slurmctld"):
        return "a SLURM controller already runs on this machine; the test leaves it alone"
    return None


def _running(name: str) -> bool:
    """Whether a process called `name` runs here (from /proc: no procps needed)."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                return True
        except OSError:  # the process ended meanwhile
            continue
    return False


def _node_line() -> str:
    """This host as `slurmd -C` sees it: NodeName=<hostname -s> CPUs=.. RealMemory=.."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[0]


def slurm_conf(state: Path) -> str:
    node = _node_line()
    name = node.split()[0].split("=", 1)[1]
    return f"""\
# One-node test cluster written by tests/workflow/test_slurm.py; restored when the test ends.
ClusterName=ablation-test
SlurmctldHost={name}
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/d
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
# squeue must still show finished jobs when the executor asks about them
MinJobAge=300
KillWait=5
{node} State=UNKNOWN
PartitionName=test Nodes={name} Default=YES MaxTime=INFINITE State=UP
"""


class OneNodeCluster:
    """munged (if needed), slurmctld and slurmd as child processes of the test."""

    def __init__(self, state: Path):
        self.state = state
        self.procs: list[subprocess.Popen] = []
        self.saved_conf: bytes | None = None

    def start(self) -> None:
        for sub in ("ctld", "d", "munge"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        if SLURM_CONF.exists():
            self.saved_conf = SLURM_CONF.read_bytes()
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SLURM_CONF.write_text(slurm_conf(self.state))
        if not self._munge_works():
            MUNGE_SOCKET.parent.mkdir(parents=True, exist_ok=True)
            m = self.state / "munge"
            self._spawn("munged", "--foreground", "--force", f"--socket={MUNGE_SOCKET}",
                        f"--pid-file={m}/munged.pid", f"--log-file={m}/munged.log",
                        f"--seed-file={m}/munged.seed")  # fmt: skip
            self._wait(self._munge_works, "munged to answer")
        self._spawn("slurmctld", "-D", "-c", "-f", str(SLURM_CONF))
        self._spawn("slurmd", "-D", "-f", str(SLURM_CONF))
        self._wait(self._node_idle, "the node to be idle (sinfo)")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self.saved_conf is not None:
            SLURM_CONF.write_bytes(self.saved_conf)
        else:
            SLURM_CONF.unlink(missing_ok=True)

    def logs(self) -> str:
        parts = []
        for name in ("slurmctld.log", "slurmd.log", "munge/munged.log"):
            path = self.state / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text()[-3000:]}")
        return "\n".join(parts)

    def _spawn(self, *cmd: str) -> None:
        log = open(self.state / f"{cmd[0]}.out", "wb")  # noqa: SIM115 (lives as long as the daemon)
        self.procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))

    def _wait(self, ready, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            dead = [p.args[0] for p in self.procs if p.poll() is not None]
            if dead:
                raise RuntimeError(
                    f"{', '.join(dead)} exited while waiting for {what}\n{self.logs()}"
                )
            time.sleep(0.5)
        raise RuntimeError(f"timed out waiting for {what}\n{self.logs()}")

    @staticmethod
    def _munge_works() -> bool:
        try:
            cred = subprocess.run(
                ["munge", "-n"], capture_output=True, timeout=5, check=True
            ).stdout
            subprocess.run(["unmunge"], input=cred, capture_output=True, timeout=5, check=True)
        except (subprocess.SubprocessError, OSError):
            return False
        return True

    @staticmethod
    def _node_idle() -> bool:
        done = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
        return done.returncode == 0 and done.stdout.strip() == "idle"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = _why_not_here()
    if reason:
        pytest.skip(f"no one-node SLURM cluster on this machine: {reason}")
    cluster = OneNodeCluster(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


# ---------------------------------------------------------------------------- the study


def _copy_workflow(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in WORKFLOW_FILES:
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    return dest


def _slurm_snakemake(workdir: Path, configfile: Path, *targets: str) -> subprocess.Popen:
    """`snakemake --profile profiles/slurm`, as documented, plus the settings a cluster
    without accounting needs: job status from squeue, no account (a no-op in plugin 2.8,
    whose account guess then fails and it submits without one)."""
    cmd = [
        sys.executable, "-m", "snakemake", "--profile", "profiles/slurm",
        "--slurm-no-account", "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2",
        *targets, "--configfile", str(configfile),
    ]  # fmt: skip
    env = dict(os.environ, ABLATION_DEVICE="cpu")
    return subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)  # fmt: skip


def _metrics(workdir: Path, runs: list[str]) -> pd.DataFrame:
    frames = [
        pd.read_parquet(workdir / "results" / "runs" / run / "metrics.parquet") for run in runs
    ]
    frame = pd.concat(frames).drop(columns=PROVENANCE)
    return frame.sort_values(["run_id", "epoch", "split"]).reset_index(drop=True)


def test_study_runs_through_slurm_and_equals_a_local_run(cluster, tmp_path):
    slurm_dir = _copy_workflow(tmp_path / "slurm")
    local_dir = _copy_workflow(tmp_path / "local")
    runs = [run_path(cell) for cell in grid_cells(validate_config(STUDY))]
    targets = [f"results/runs/{run}/{name}" for run in runs for name in OUTPUTS]

    # The cluster run spends most of its time waiting between status checks: run the
    # local one meanwhile.
    job = _slurm_snakemake(slurm_dir, write_config(slurm_dir, STUDY), *targets)
    snakemake(local_dir, *targets, "--configfile", str(write_config(local_dir, STUDY)))
    try:
        out, err = job.communicate(timeout=300)
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode == 0, f"{out}\n{err}\n{cluster.logs()}"

    # The data rule ran once on this host (a local rule); each training run was a SLURM
    # job (with 200 job slots, the planner packs one run per job), with its own SLURM log;
    # moving a run's files into its folder (train_model) is a local rule.
    submitted = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+)", err)
    assert len(submitted) == len(runs), err
    assert "Finished jobid" in err and "rule prepare_data" in err
    logs = list((slurm_dir / "logs" / "slurm").glob("rule_train_pack_*/**/*.log"))
    assert len(logs) == len(runs) and {p.stem for p in logs} <= set(submitted), logs
    assert all("rule train_pack_" in log.read_text() for log in logs)

    slurm, local = _metrics(slurm_dir, runs), _metrics(local_dir, runs)
    per_run = 2 + 2 * 3  # 2 running losses, 2 milestones x 3 splits
    assert len(slurm) == len(runs) * per_run
    pd.testing.assert_frame_equal(slurm, local, check_exact=True)
    for run in runs:
        a = torch.load(slurm_dir / "results" / "runs" / run / "model.pt", weights_only=True)
        b = torch.load(local_dir / "results" / "runs" / run / "model.pt", weights_only=True)
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a)
