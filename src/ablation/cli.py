"""The `ablation` command: use trained checkpoints and see where a study stands.

    ablation predict CHECKPOINT IMAGE...   classify pictures of digits
    ablation evaluate CHECKPOINT           loss, accuracy, confusion matrix on a dataset
    ablation status                        which grid cells are done, missing, stale, ...
    ablation bench                         training speed on this machine

Exit status: 0 success; 1 the work failed (e.g. the dataset cannot be obtained);
2 the command line, or a file named on it, is wrong (the message says which and how
to fix it).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ablation.progress import Progress, format_duration, note

PROG = "ablation"
DEFAULT_CONFIG = "config/config.yaml"


class UsageError(ValueError):
    """A wrong argument or input file: exit status 2, message says which and the fix."""


class Failure(RuntimeError):
    """The work could not be done: exit status 1."""


# ---------------------------------------------------------------------------- parser


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the examples' line breaks; show the defaults that are values."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default not in (None, False, [], argparse.SUPPRESS) and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The full parser; `bench` is imported only when it is the command being run."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(__doc__ or "").split("\n\n")[0],
        epilog=_EXAMPLES,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_predict(commands)
    _add_evaluate(commands)
    _add_status(commands)
    _add_bench(commands, load=bool(argv) and argv[0] == "bench")
    return parser


_EXAMPLES = """\
examples:
  ablation status                                   # what a `snakemake` run would still do
  ablation status --configfile config/quick.yaml    # the same for the smoke study
  ablation predict results/runs/activation=relu/.../seed=0/model.pt digit.png
  ablation evaluate path/to/model.pt --json
  ablation COMMAND --help                           # options and examples of one command

exit status: 0 success, 1 the work failed, 2 a wrong argument or input file
"""


def _subparser(commands, name: str, summary: str, description: str, examples: str):
    return commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=_Formatter,
    )


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        metavar="FILE",
        help="the study's main config (the Snakefile's configfile)",
    )
    parser.add_argument(
        "--configfile",
        action="append",
        default=[],
        metavar="FILE",
        help="a config laid over --config, as `snakemake --configfile FILE` does (repeatable)",
    )
    parser.add_argument(
        "-d",
        "--directory",
        default=".",
        metavar="DIR",
        help="the project folder Snakemake runs in; relative paths start here",
    )


def _add_predict(commands) -> None:
    p = _subparser(
        commands,
        "predict",
        "classify pictures of digits with a trained checkpoint",
        "Classify pictures of handwritten digits with a checkpoint (a run's model.pt).\n\n"
        "Any size, mode and polarity: each picture is brought into MNIST's form first\n"
        "(grayscale; a dark digit on light paper is inverted to light on black; the digit\n"
        "is fitted into 20x20 pixels keeping its aspect ratio and centred by its centre of\n"
        "mass in 28x28; pixels scaled to [0, 1]). One picture should show one digit.",
        "  ablation predict results/runs/activation=relu/optimizer=adam/weight_decay=0.0/"
        "dropout=0.0/seed=0/model.pt seven.jpg\n"
        "  ablation predict model.pt scans/*.png --json > predictions.json\n"
        "  ablation predict model.pt photo.jpg --save-inputs seen/   # what the network saw\n",
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a model.pt written by the pipeline")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="PNG or JPEG files, one digit each")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument(
        "--save-inputs",
        metavar="DIR",
        help="also write each picture as the network saw it (28x28 PNG) into DIR",
    )
    p.set_defaults(func=cmd_predict)


def _add_evaluate(commands) -> None:
    p = _subparser(
        commands,
        "evaluate",
        "loss, accuracy and confusion matrix of a checkpoint on a dataset",
        "Measure a checkpoint on the configured dataset: mean cross-entropy, accuracy,\n"
        "per-class accuracy and the confusion matrix. The dataset is the pipeline's compact\n"
        "file <data.root>/<data.dataset>.pt; when it is missing it is prepared first, from\n"
        "data.local_dir or by download. The validation and train splits are cut exactly as\n"
        "the checkpoint's run cut them.",
        "  ablation evaluate results/runs/activation=relu/optimizer=adam/weight_decay=0.0/"
        "dropout=0.0/seed=0/model.pt\n"
        "  ablation evaluate model.pt --configfile config/quick.yaml --split validation\n"
        "  ablation evaluate model.pt --json | jq .accuracy\n",
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a model.pt written by the pipeline")
    _add_config_options(p)
    p.add_argument("--split", choices=("test", "validation", "train"), default="test")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 or auto")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.set_defaults(func=cmd_evaluate)


def _add_status(commands) -> None:
    from ablation.status import STALLED_AFTER, STATES

    p = _subparser(
        commands,
        "status",
        "which grid cells are done, missing, running, interrupted or stale",
        "Compare the study's grid (the config, with --configfile overlays merged as\n"
        "Snakemake merges them) with the results on disk, the way Snakemake would:\n\n"
        "  done         trained, nothing to redo\n"
        "  diverged     trained, but the loss became NaN/inf (kept, not rerun)\n"
        "  stale        trained, but Snakemake will retrain it: its training config changed\n"
        "               (stored config_hash differs), workflow/scripts/train_pack.py is\n"
        "               newer than its outputs, or the dataset file is newer (or missing\n"
        "               while other runs are to train: Snakemake then prepares it anew)\n"
        "  running      marked incomplete by Snakemake and progressing (log or resume state\n"
        "               written within --stalled-after)\n"
        "  interrupted  stopped midway; the next `snakemake` resumes at the saved epoch\n"
        "  missing      not trained yet\n\n"
        "The time left is estimated from the training time of measured runs, scaled by\n"
        "epochs and training images (one job at a time unless --cores is given).\n"
        "Library edits (src/ablation) do not make Snakemake rerun anything; runs trained by\n"
        "other training code than the checkout's (per git) are reported as code drift.",
        "  ablation status                                  # the default study\n"
        "  ablation status --configfile config/quick.yaml   # as `snakemake --configfile ...`\n"
        "  ablation status --all --cores 4                  # every cell; 4 jobs in parallel\n"
        "  ablation status --state stale --state missing    # only those\n"
        "  ablation status --json | jq .counts\n",
    )
    _add_config_options(p)
    p.add_argument("--all", action="store_true", help="list every cell, also the done ones")
    p.add_argument(
        "--state",
        action="append",
        choices=STATES,
        default=[],
        help="list only cells in this state (repeatable)",
    )
    p.add_argument(
        "--cores",
        type=positive_int,
        default=1,
        metavar="N",
        help="jobs Snakemake runs at once (`snakemake --cores N`), for the time estimate",
    )
    p.add_argument(
        "--stalled-after",
        type=float,
        default=STALLED_AFTER / 60,
        metavar="MINUTES",
        help="a marked run without progress for this long counts as interrupted",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.set_defaults(func=cmd_status)


def _add_bench(commands, load: bool) -> None:
    summary = "measure training speed on this machine: tutorial loop, pipeline and floor"
    if not load:  # listed in the help; the module is imported only to run it
        commands.add_parser("bench", help=summary, add_help=False)
        return
    try:
        bench = importlib.import_module("ablation.bench")
        add_arguments, run = bench.add_arguments, bench.run
    except (ImportError, AttributeError) as err:
        p = commands.add_parser("bench", help=summary)
        p.set_defaults(func=_bench_unavailable(err))
        return
    p = commands.add_parser(
        "bench",
        help=summary,
        description=bench.__doc__,
        epilog="examples:\n" + getattr(bench, "EXAMPLES", _BENCH_EXAMPLES),
        formatter_class=_Formatter,
    )
    add_arguments(p)
    p.set_defaults(func=run)


_BENCH_EXAMPLES = """\
  ablation bench                                   # on results/data/mnist.pt, one thread
  ablation bench --skip-tutorial --threads 4       # the pipeline's loop only, four threads
  ablation bench --local-dir /path/to/MNIST/raw --train-size 10000 --json bench.json
"""


def _bench_unavailable(err: Exception) -> Callable[[argparse.Namespace], int]:
    def fail(_args: argparse.Namespace) -> int:
        raise Failure(f"`ablation bench` is not available in this installation ({err})")

    return fail


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("ablation")
    except metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------------------- predict


def cmd_predict(args: argparse.Namespace) -> int:
    checkpoint = _existing_file(args.checkpoint, "CHECKPOINT", "a model.pt")
    from ablation.images import prepare_image

    images = []  # read first: a wrong picture fails before torch loads
    with Progress("reading images", total=len(args.images)) as bar:
        for path in args.images:
            images.append(prepare_image(path))
            bar.advance()
    import numpy as np
    from PIL import Image

    from ablation.checkpoint import load_model
    from ablation.io import atomic_write
    from ablation.predict import predict_images

    model, info = load_model(checkpoint)
    if args.save_inputs:
        stems = [Path(p).stem for p in args.images]
        for i, (stem, image) in enumerate(zip(stems, images, strict=True)):
            name = stem if stems.count(stem) == 1 else f"{stem}-{i + 1}"  # a/x.png, b/x.png
            with atomic_write(Path(args.save_inputs) / f"{name}.mnist.png") as tmp:
                Image.fromarray(image).save(tmp, format="PNG")
    probs = predict_images(model, np.stack(images)).numpy()
    results = [
        {"image": path, "class": int(p.argmax()), "probabilities": [float(v) for v in p]}
        for path, p in zip(args.images, probs, strict=True)
    ]
    if args.json:
        run = _run_label(info)
        _print_json({"checkpoint": args.checkpoint, "run": run, "predictions": results})
        return 0
    for r in results:
        p = r["probabilities"]
        print(f"{r['image']}: {r['class']}  ({p[r['class']]:.1%})")
        for half in (range(0, 5), range(5, 10)):
            print("    " + "  ".join(f"{c}: {p[c]:.4f}" for c in half))
    return 0


# ---------------------------------------------------------------------------- evaluate


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ablation.status import load_study

    root = Path(args.directory)
    checkpoint = _existing_file(args.checkpoint, "CHECKPOINT", "a model.pt")
    study, _ = load_study(_config_paths(args, root))
    from ablation.checkpoint import load_model  # torch: after the quick checks
    from ablation.config import TrainConfig
    from ablation.data import compact_path, load_dataset, prepare_dataset
    from ablation.predict import evaluate_checkpoint
    from ablation.train import select_device

    model, info = load_model(checkpoint)
    data_cfg = study["data"]
    name = data_cfg["dataset"]
    trained_on = info["config"].get("dataset", name)
    if trained_on != name:
        print(
            f"warning: {args.checkpoint} was trained on {trained_on}, evaluating on {name} "
            "(data.dataset of the config)",
            file=sys.stderr,
        )
    data_root = _under(root, data_cfg["root"])
    path = compact_path(data_root, name)
    if not path.exists():
        local = data_cfg["local_dir"]
        note(f"{path}: missing; preparing {name} from {local or 'a download'} (once)")
        path = prepare_dataset(name, data_root, _under(root, local) if local else None)
    try:
        device = select_device(args.device)
    except RuntimeError as err:
        raise UsageError(f"--device {args.device}: {err}") from None
    cfg = TrainConfig.from_dict(info["config"])
    try:
        result = evaluate_checkpoint(model, cfg, load_dataset(path), args.split, device)
    except ValueError as err:
        raise UsageError(f"--split {args.split}: {err}") from None
    stored = info.get("final_metrics", {}).get(f"{args.split}_accuracy")
    if args.json:
        _print_json(
            {"checkpoint": args.checkpoint, "run": _run_label(info), **result.to_dict(),
             "stored_accuracy": stored}
        )  # fmt: skip
        return 0
    _print_evaluation(args.checkpoint, info, result, stored)
    return 0


def _print_evaluation(checkpoint: str, info: dict, result, stored: float | None) -> None:
    print(f"checkpoint  {checkpoint}")
    print(f"run         {_run_label(info)}")
    print(f"data        {result.dataset}, {result.split} split, {result.images} images")
    print(f"loss        {result.loss:.4f}")
    at_training = f"  (at training: {stored:.4f})" if stored is not None else ""
    print(f"accuracy    {result.accuracy:.4f}{at_training}")
    print("\nconfusion matrix (rows: true class, columns: predicted class)")
    matrix = result.confusion
    width = max(5, len(str(int(matrix.max()))) + 1)
    print("true " + "".join(f"{c:>{width}}" for c in range(matrix.shape[1])) + "   accuracy")
    for c, (row, acc) in enumerate(zip(matrix, result.per_class_accuracy(), strict=True)):
        cells = "".join(f"{int(v):>{width}}" for v in row)
        print(f"{c:>4} {cells}   {acc:.4f}" if acc is not None else f"{c:>4} {cells}   -")


def _run_label(info: dict) -> str:
    cfg = info.get("config", {})
    if not cfg:
        return "unknown"
    from ablation.config import run_path

    try:
        label = run_path({k: cfg[k] for k in ("activation", "optimizer", "weight_decay",
                                                "dropout", "seed")})  # fmt: skip
    except KeyError:
        return "unknown"
    epochs = info.get("final_epoch")
    return f"{label} ({info.get('status', '?')}, {epochs} epochs)" if epochs else label


# ---------------------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace) -> int:
    from ablation.status import load_study, study_status

    root = Path(args.directory)
    if not root.is_dir():
        raise UsageError(f"-d/--directory {root}: no such folder; pass the project folder")
    study, sources = load_study(_config_paths(args, root))
    from ablation.config import grid_cells

    with Progress("reading runs", total=len(grid_cells(study))) as bar:
        status = study_status(
            root, study, sources, stalled_after=args.stalled_after * 60, on_cell=bar.advance
        )
    if args.json:
        report = status.to_dict()
        report["seconds_left_parallel"] = _parallel(status, args.cores)
        report["cores"] = args.cores
        _print_json(report)
        return 0
    _print_status(status, args)
    return 0


def _parallel(status, cores: int) -> float | None:
    """Wall time with `cores` one-thread jobs at once: the serial time shared out, but never
    less than the longest single job."""
    total = status.seconds_left()
    if total is None:
        return None
    jobs = len(status.remaining())
    if not jobs:
        return 0.0
    from ablation.config import run_config
    from ablation.status import train_images

    longest = (
        max(
            c.epochs_left * train_images(run_config(status.study, c.cell))
            for c in status.remaining()
        )
        * status.seconds_per_image_epoch
    )
    return max(total / min(cores, jobs), longest)


def _print_status(status, args: argparse.Namespace) -> None:
    from ablation.config import AXES

    study = status.study
    grid = study["grid"]
    shape = " x ".join(f"{len(grid[a])} {a}" for a in AXES)
    counts = status.counts()
    print(f"study   {status.sources}")
    print(f"grid    {len(status.cells)} runs = {shape}; {study['training']['epochs']} epochs each")
    print("state   " + ", ".join(f"{n} {state}" for state, n in counts.items() if n))
    remaining = status.remaining()
    print(f"left    {_left_line(status, remaining, args.cores)}")
    for warning in status.warnings:
        print(f"warning {warning}")
    if status.outside_grid:
        print(
            f"note    {len(status.outside_grid)} finished runs under results/runs/ are not in "
            "this grid (kept on disk, left out of the aggregate)"
        )
    drifted = status.drifted()
    if drifted:
        print(
            f"note    {len(drifted)} runs were trained by other training code than the checkout's "
            "(git); Snakemake does not rerun them by itself: "
            "`touch workflow/scripts/train_pack.py` makes it retrain every run"
        )
    shown = _cells_to_show(status, args)
    if shown:
        print()
        _print_table(shown, grid)
    elif status.cells and not args.state:
        print("\nevery run is done; `--all` lists them")


def _left_line(status, remaining, cores: int) -> str:
    if not remaining:
        return "nothing: every run is trained"
    running = sum(c.state == "running" for c in remaining)
    runs = f"{len(remaining)} runs" + (f" ({running} running now)" if running else "")
    serial = status.seconds_left()
    if serial is None:
        return f"{runs}; time unknown until a run has been measured"
    basis = f"measured on {status.measured_runs} runs"
    estimate = f"about {format_duration(serial)} of training one job at a time"
    if cores > 1:
        estimate += f", about {format_duration(_parallel(status, cores))} with --cores {cores}"
    return f"{runs}; {estimate} ({basis})"


def _cells_to_show(status, args: argparse.Namespace) -> list:
    if args.state:
        return [c for c in status.cells if c.state in args.state]
    if args.all:
        return status.cells
    return [c for c in status.cells if c.state != "done"]


def _print_table(cells: list, grid: dict) -> None:
    from ablation.config import AXES, format_value

    varying = [a for a in AXES if len(grid[a]) > 1] or list(AXES)
    header = ["state", "epoch", *varying, "note"]
    rows = []
    for c in cells:
        epoch = f"{c.epoch}/{c.epochs}" if c.epoch is not None else "-"
        notes = list(c.reasons)
        if c.state in ("done", "diverged") and c.test_accuracy is not None:
            notes.insert(0, f"test accuracy {c.test_accuracy:.4f}")
        if c.code == "changed":
            notes.append("trained by other training code (git)")
        rows.append([c.state, epoch, *(format_value(c.cell[a]) for a in varying), "; ".join(notes)])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = "  ".join(f"{v:<{w}}" for v, w in zip(row, widths, strict=False))
        print(f"{cells}  {row[-1]}".rstrip())


# ---------------------------------------------------------------------------- helpers


def _config_paths(args: argparse.Namespace, root: Path) -> list[Path]:
    return [_under(root, p) for p in [args.config, *args.configfile]]


def _under(root: Path, path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() or str(root) == "." else root / path


def _existing_file(path: str, name: str, what: str) -> Path:
    p = Path(path)
    if p.is_dir():
        hint = f" (e.g. {p / 'model.pt'})" if (p / "model.pt").exists() else ""
        raise UsageError(f"{name} {path}: is a folder; pass {what}{hint}")
    if not p.exists():
        raise UsageError(f"{name} {path}: no such file; pass {what}")
    return p


def _print_json(data: Any) -> None:
    json.dump(_finite(data), sys.stdout, indent=2, allow_nan=False, default=_jsonable)
    sys.stdout.write("\n")


def _finite(value: Any) -> Any:
    """NaN and infinities (not JSON) as null, everywhere in `value`."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# Errors of the library a user can fix by changing an argument or an input file (exit 2),
# and those that mean the work itself failed (exit 1): (module, class name).
_USER_ERRORS = (
    ("ablation.config", "ConfigError"),
    ("ablation.checkpoint", "CheckpointError"),
    ("ablation.images", "ImageError"),
)
_FAILURES = (("ablation.data", "DataError"),)


def _is_one_of(err: Exception, kinds: tuple[tuple[str, str], ...]) -> bool:
    """Whether `err` is one of `kinds`; looks only at loaded modules (no slow imports)."""
    for module, name in kinds:
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(err, cls):
            return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `ablation status | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:
        if isinstance(err, UsageError) or _is_one_of(err, _USER_ERRORS):
            print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
            return 2
        if isinstance(err, Failure) or _is_one_of(err, _FAILURES):
            print(f"{PROG} {args.command}: failed: {err}", file=sys.stderr)
            return 1
        raise  # a bug: the traceback is the useful report


if __name__ == "__main__":
    sys.exit(main())
