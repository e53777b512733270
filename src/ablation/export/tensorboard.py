"""Finished runs as a TensorBoard log folder, one HParams session per run:

    <folder>/ablation-export.json             the manifest: each exported run and its axes
    <folder>/events.out.tfevents.*.hparams    the HParams config: the axes and the metrics
    <folder>/<run id>/events.out.tfevents.*   one run: its session (axes) and its scalars

`tensorboard --logdir <folder>` then shows the HParams table, parallel coordinates and
scatter plots over the runs, and each run's curves (the epoch is the step). Written with
TensorBoard's own HParams summaries (`tensorboard.plugins.hparams.summary_v2`, the
TensorFlow-free half of its `api`) and PyTorch's event file writer and scalar
summaries (`torch.utils.tensorboard`), the values in double precision.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ablation.axes import AXES, label, ordered
from ablation.export.folder import Exported, claim, require, write_manifest
from ablation.export.runs import FinishedRun, metric_tags

KIND = "tensorboard"
OPTION = "--tensorboard"
CONFIG_SUFFIX = ".hparams"
EVENTS = "events.out.tfevents.*"


def load() -> tuple[Any, Any, Any]:
    """TensorBoard's HParams API, the event file writer and the summaries (or MissingExtra)."""
    hp, writer, summary = require(
        KIND,
        "tensorboard.plugins.hparams.summary_v2",
        "torch.utils.tensorboard.writer",
        "torch.utils.tensorboard.summary",
    )
    return hp, writer, summary


def export_tensorboard(runs: list[FinishedRun], folder: Path) -> Exported:
    """Write each run not yet in `folder` as a session; refresh the HParams config."""
    hp, writer, summary = load()
    folder = Path(folder)
    manifest = claim(folder, KIND, OPTION)
    exported: dict[str, dict[str, Any]] = manifest.setdefault("runs", {})
    result = Exported(folder)
    for run in runs:
        if run.run_id in exported:
            result.kept.append(run.run_id)
            continue
        _write_session(run, folder / run.run_id, hp, writer, summary)
        exported[run.run_id] = run.hparams
        write_manifest(folder, manifest)  # after each run: an interruption loses one at most
        result.added.append(run.run_id)
    if result.added or not manifest.get("config"):
        _write_config(folder, manifest, hp, writer)
    return result


def _write_session(run: FinishedRun, logdir: Path, hp, writer, summary) -> None:
    # Event files left by an export cut off in this run are replaced, not appended to.
    for leftover in logdir.glob(EVENTS):
        leftover.unlink()
    events = writer.FileWriter(str(logdir))
    try:
        session = hp.hparams_pb(run.hparams, trial_id=run.run_id, start_time_secs=run.start_time)
        events.add_summary(session, global_step=0, walltime=run.start_time)
        for s in run.scalars:
            value = summary.scalar(s.tag, s.value, new_style=True, double_precision=True)
            events.add_summary(value, global_step=s.step, walltime=s.walltime)
    finally:
        events.close()


def _write_config(folder: Path, manifest: dict[str, Any], hp, writer) -> None:
    """The HParams config over every run exported so far; it replaces the previous one."""
    runs = manifest["runs"].values()
    axes = [a for a in AXES if any(a in hparams for hparams in runs)]
    hparams = [
        hp.HParam(axis, hp.Discrete(ordered(r[axis] for r in runs if axis in r)), label(axis))
        for axis in axes
    ]
    metrics = [hp.Metric(tag, description=text) for tag, text in metric_tags().items()]
    before = set(folder.glob(EVENTS + CONFIG_SUFFIX))
    events = writer.FileWriter(str(folder), filename_suffix=CONFIG_SUFFIX)
    try:
        config = hp.hparams_config_pb(hparams, metrics, time_created_secs=time.time())
        events.add_summary(config, global_step=0)
    finally:
        events.close()
    (written,) = set(folder.glob(EVENTS + CONFIG_SUFFIX)) - before
    name = written.name
    previous = manifest.get("config")
    manifest["config"] = name
    write_manifest(folder, manifest)
    if previous and previous != name:
        (folder / previous).unlink(missing_ok=True)
