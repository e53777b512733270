"""Code drift: which trained runs came from other training code than the checkout's.

Edits to the library do not make Snakemake rerun anything; each run stores the git
commit it was trained at, and git tells whether the files that decide what training
computes changed since.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Protocol

# Files whose changes change what training computes; compared by git for code drift.
TRAINING_CODE = (
    "src/ablation/training/loop.py",
    "src/ablation/training/fastpath.py",
    "src/ablation/training/resume.py",
    "src/ablation/packs/plan.py",
    "src/ablation/packs/handoff.py",
    "src/ablation/packs/devices.py",
    "src/ablation/training/model.py",
    "src/ablation/data.py",
    "src/ablation/training/job.py",
    "src/ablation/config.py",
    "workflow/scripts/train_pack.py",
    "workflow/rules/train.smk",
)


class Trained(Protocol):
    git_commit: str | None
    code: str


def mark_code_drift(root: Path, cells: list[Trained]) -> str | None:
    """Set each trained cell's `code`: did its training code change since (per git)?"""
    head = _git(root, "rev-parse", "HEAD")
    if head is None:
        return None
    verdicts: dict[str, str] = {}
    for cell in cells:
        commit = cell.git_commit
        if not commit or commit.endswith("+dirty"):
            continue  # no commit, or uncommitted edits at training time: cannot tell
        if commit not in verdicts:
            changed = _git(root, "diff", "--quiet", commit, "--", *TRAINING_CODE, check=False)
            verdicts[commit] = {"0": "same", "1": "changed"}.get(changed or "", "unknown")
        cell.code = verdicts[commit]
    return head


def _git(root: Path, *args: str, check: bool = True) -> str | None:
    """git's output (or, with check=False, its exit status); None where git cannot tell."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if not check:
        return str(done.returncode) if done.returncode in (0, 1) else None
    return done.stdout.strip() if done.returncode == 0 else None
