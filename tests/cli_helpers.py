"""Run the real `ablation` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def ablation(*args, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m ablation ARGS...` (the same entry point as the `ablation` script)."""
    env = dict(os.environ, ABLATION_DEVICE="cpu")
    return subprocess.run(
        [sys.executable, "-m", "ablation", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
    )  # fmt: skip


def ablation_json(*args: str, cwd: Path | None = None) -> dict:
    """Run with --json; fail with the command's stderr when it does not succeed."""
    done = ablation(*args, "--json", cwd=cwd)
    assert done.returncode == 0, f"ablation {' '.join(map(str, args))} failed:\n{done.stderr}"
    return json.loads(done.stdout)


def assert_user_error(done: subprocess.CompletedProcess, *names: str) -> None:
    """Exit status 2, no traceback, and the message names each of `names`."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    for name in names:
        assert name in done.stderr, (name, done.stderr)
