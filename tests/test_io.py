"""Atomic writes: a kill, a full disk or a read-only folder never leaves half a file."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from ablation.io import WriteError, atomic_write, torch_save_atomic, write_text_atomic
from conftest import write_config
from robustness_helpers import run_dir, state_file, study

# Writes 64 KiB at a time, forever, through atomic_write: whenever it is killed,
# it is in the middle of writing.
ENDLESS_WRITER = """
import sys, time
from ablation.io import atomic_write
with atomic_write(sys.argv[1]) as tmp, open(tmp, "wb") as f:
    for _ in range(100_000):
        f.write(b"x" * 65536)
        f.flush()
        time.sleep(0.001)
"""


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def run_python(code: str, *args: str, fsize: int | None = None) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter; `fsize` caps the size of files it may write."""

    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("previous", [None, b"the finished file"], ids=["new", "replacing"])
def test_kill_during_write_leaves_old_file_or_none(tmp_path, previous):
    target = tmp_path / "results" / "model.pt"
    if previous is not None:
        target.parent.mkdir(parents=True)
        target.write_bytes(previous)
    writer = subprocess.Popen([sys.executable, "-c", ENDLESS_WRITER, str(target)])
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size > 1 << 20 for p in temp_files(target.parent)):
        assert writer.poll() is None and time.monotonic() < deadline, "writer did not start"
        time.sleep(0.02)
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    # Under the final name: the previous file, whole, or nothing.
    if previous is None:
        assert not target.exists()
    else:
        assert target.read_bytes() == previous
    (leftover,) = temp_files(target.parent)  # kill -9 leaves the temporary file...
    assert leftover.stat().st_size > 1 << 20
    write_text_atomic(target, "next")  # ...which the next write of that file sweeps away
    assert temp_files(target.parent) == [] and target.read_text() == "next"


def test_failed_write_keeps_previous_file(tmp_path):
    target = tmp_path / "summary.csv"
    target.write_text("previous")
    with pytest.raises(RuntimeError, match="writer failed"), atomic_write(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "previous" and temp_files(tmp_path) == []


def test_outputs_get_normal_permissions(tmp_path):
    torch_save_atomic({"w": torch.zeros(3)}, tmp_path / "a.pt")
    mask = os.umask(0o022)
    os.umask(mask)
    mode = (tmp_path / "a.pt").stat().st_mode & 0o777
    assert mode == 0o666 & ~mask  # as any file the user creates, not mkstemp's 0600


def test_full_disk_is_reported_and_finished_files_stay(tmp_path):
    """A file-size limit (as `ulimit -f`) makes every write fail like a full disk."""
    finished = tmp_path / "finished.parquet"
    finished.write_bytes(b"a finished run")
    model, metrics = tmp_path / "model.pt", tmp_path / "metrics.parquet"
    model.write_bytes(b"previous model")
    code = """
    import sys
    import pandas as pd
    from ablation.training.checkpoint import save_checkpoint
    from ablation.io import WriteError
    from ablation.metrics import write_frame
    from ablation.training.model import SimpleNet
    for write in (
        lambda: save_checkpoint(SimpleNet(), {}, sys.argv[1]),
        lambda: write_frame(pd.DataFrame({"x": range(100_000)}), sys.argv[2]),
    ):
        try:
            write()
        except WriteError as err:
            print(err)
    """
    done = run_python(code, str(model), str(metrics), fsize=50_000)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2, done.stdout
    for line, path in zip(lines, (model, metrics), strict=True):
        assert line.startswith(f"cannot write {path}: File too large (disk full")
        assert "finished results are intact" in line
    assert model.read_bytes() == b"previous model" and not metrics.exists()
    assert finished.read_bytes() == b"a finished run"
    assert temp_files(tmp_path) == []


@contextlib.contextmanager
def read_only_folder(path: Path):
    """`path` made unwritable: by permissions, or (root ignores those) a read-only mount."""
    path.mkdir(parents=True)
    if os.geteuid() != 0:
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(0o755)
        return
    if shutil.which("mount") is None:
        pytest.skip("running as root without `mount`: cannot make a folder unwritable")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"running as root and cannot mount a read-only tmpfs: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_unwritable_folder_is_reported(tmp_path):
    folder = tmp_path / "results"
    with read_only_folder(folder):
        with pytest.raises(WriteError) as caught:
            write_text_atomic(folder / "summary.csv", "x")
        with pytest.raises(WriteError):
            write_text_atomic(folder / "plots" / "curves.png", "x")  # its folder cannot be made
    message = str(caught.value)
    assert str(folder / "summary.csv") in message
    assert "is not writable" in message and "run the workflow in a folder you own" in message


@pytest.mark.workflow
def test_full_disk_during_a_job_says_so(workdir, mnist_file):
    """Real Snakemake under `ulimit -f`: the job fails with our message, nothing half-written."""
    configfile = write_config(workdir, study())
    (workdir / "results" / "data").mkdir(parents=True)
    shutil.copy2(mnist_file, workdir / "results" / "data" / "mnist.pt")
    target = str((run_dir(workdir) / "model.pt").relative_to(workdir))
    # 700 KB: Snakemake's own files fit, the training state (1.6 MB with Adam) does not.
    done = subprocess.run(
        [
            "bash",
            "-c",
            'ulimit -f 700 && exec "$@"',
            "bash",
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            "1",
            target,
            "--configfile",
            str(configfile),
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, ABLATION_DEVICE="cpu"),
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    state = state_file(workdir)
    assert f"cannot write {state.relative_to(workdir)}: File too large (disk full" in output
    assert "Traceback" not in output
    assert not state.exists() and temp_files(state.parent) == []
    assert not any(run_dir(workdir).glob("*"))  # no output under its final name
