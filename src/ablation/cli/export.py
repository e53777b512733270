"""`ablation export`: the study's finished runs, written where their users already look.

--tensorboard DIR writes a TensorBoard log folder: one HParams session per run (its
axes as hparams, its final and best-validation metrics) and its curves with the epoch
as step, for `tensorboard --logdir DIR`. --mlflow DIR writes a local MLflow store: one
experiment for the study, one MLflow run per run (axes as params, metrics by epoch,
checkpoint and confusion matrix as artifacts, seed and dataset as tags), for
`mlflow ui --backend-store-uri sqlite:///DIR/mlflow.db`. Both are optional extras:
pip install 'ablation[tensorboard]' or 'ablation[mlflow]'.

A run is finished when its folder holds metrics.parquet, confusion.parquet and model.pt
and Snakemake is not writing them. An export adds only the runs not yet in its folder
(known by their run id); it never deletes or duplicates one. A folder that holds other
data than an export of ours (ablation-export.json marks ours) is refused untouched.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ablation import layout

SUMMARY = "write the finished runs as TensorBoard logs or an MLflow store (no server)"
EXAMPLES = """\
  ablation export --tensorboard exports/tensorboard      # then: tensorboard --logdir ...
  ablation export --mlflow exports/mlflow                # then: mlflow ui --backend-store-uri
  ablation export --configfile config/quick.yaml --tensorboard tb --mlflow ml --json
"""


def run(args: argparse.Namespace) -> int:
    from ablation.cli.commands import _config_paths, _under
    from ablation.console import UsageError, print_json

    targets = {kind: getattr(args, kind) for kind in ("tensorboard", "mlflow")}
    targets = {kind: Path(folder) for kind, folder in targets.items() if folder}
    if not targets:
        raise UsageError("pass --tensorboard DIR, --mlflow DIR or both: where to export")
    if len({folder.resolve() for folder in targets.values()}) < len(targets):
        raise UsageError("--tensorboard and --mlflow name the same folder; pass two folders")
    exporters = _exporters(targets)  # the extras first: a missing one fails before any work
    root = Path(args.directory)
    if not root.is_dir():
        raise UsageError(f"-d/--directory {root}: no such folder; pass the project folder")
    from ablation.study import load_study

    study, sources = load_study(_config_paths(args, root))
    runs = finished_runs(root, study)
    if not runs:
        raise UsageError(
            f"{root / layout.RUNS}: no finished run of the study {sources} to export; train "
            "some first (`snakemake`), `ablation status` shows where it stands"
        )
    names = " + ".join([args.config, *args.configfile])
    experiment = args.experiment or names
    description = f"ablation study {names} in {root.resolve()}"
    results = {}
    for kind, folder in targets.items():
        results[kind] = exporters[kind](runs, _under(root, folder), experiment, description)
    if args.json:
        print_json({kind: result.to_dict() for kind, result in results.items()})
    else:
        _print_results(results, experiment)
    return 0


def _exporters(targets: dict[str, Path]) -> dict:
    """Each asked-for export as a function (runs, folder, experiment, description) -> Exported."""
    exporters = {}
    if "tensorboard" in targets:
        from ablation.export import tensorboard

        tensorboard.load()
        exporters["tensorboard"] = lambda runs, folder, *_: tensorboard.export_tensorboard(
            runs, folder
        )
    if "mlflow" in targets:
        from ablation.export import mlflow

        mlflow.load()
        exporters["mlflow"] = mlflow.export_mlflow
    return exporters


def finished_runs(root: Path, study: dict) -> list:
    """The study's runs whose three outputs are there and not being written by Snakemake."""
    from ablation.cli.snakemake_files import incomplete_markers
    from ablation.console import progress
    from ablation.export.runs import read_run, study_axes
    from ablation.grid import grid_cells, run_path

    marked = incomplete_markers(root)
    axes = study_axes(study)
    cells = grid_cells(study)
    runs = []
    with progress("reading runs", total=len(cells)) as bar:
        for cell in cells:
            run = run_path(cell)
            outputs = {layout.run_output(run, name) for name in layout.RUN_OUTPUTS}
            if layout.is_finished(root / layout.run_dir(run)) and not marked & outputs:
                runs.append(read_run(root / layout.run_dir(run), run, axes))
            bar.update()
    return runs


def _print_results(results: dict, experiment: str) -> None:
    from ablation.export.mlflow import tracking_uri

    for kind, result in results.items():
        added, kept = len(result.added), len(result.kept)
        where = result.folder if kind == "tensorboard" else f"{experiment!r} in {result.folder}"
        print(f"{kind}: {added} run{'s' * (added != 1)} added, {kept} already there -> {where}")
        if kind == "tensorboard":
            print(f"  view: tensorboard --logdir {result.folder}")
        else:
            print(f"  view: mlflow ui --backend-store-uri {tracking_uri(result.folder)}")
