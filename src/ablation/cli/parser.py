"""The `ablation` command: use trained checkpoints and see where a study stands.

    ablation predict CHECKPOINT IMAGE...   classify pictures of digits
    ablation evaluate CHECKPOINT           loss, accuracy, confusion matrix on a dataset
    ablation status                        which grid cells are done, missing, stale, ...
    ablation bench                         training speed on this machine
    ablation seeds-overlay                 the config overlay adding the seeds a study needs
    ablation export                        the finished runs as TensorBoard logs, an MLflow store

Exit status: 0 success; 1 the work failed (e.g. the dataset cannot be obtained);
2 the command line, or a file named on it, is wrong (the message says which and how
to fix it).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

import ablation.cli.export as export_command
import ablation.cli.seeds_overlay as seeds_overlay
from ablation import layout
from ablation.console import Failure, UsageError, positive_int

PROG = "ablation"
DEFAULT_CONFIG = "config/config.yaml"


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
    _add_seeds_overlay(commands)
    _add_export(commands)
    return parser


_EXAMPLES = """\
examples:
  ablation status                                   # what a `snakemake` run would still do
  ablation status --configfile config/quick.yaml    # the same for the smoke study
  ablation predict results/runs/activation=relu/.../seed=0/model.pt digit.png
  ablation evaluate path/to/model.pt --json
  ablation export --tensorboard exports/tb          # the finished runs, for TensorBoard
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
    p.set_defaults(func=_command("cmd_predict"))


def _add_evaluate(commands) -> None:
    p = _subparser(
        commands,
        "evaluate",
        "loss, accuracy and confusion matrix of a checkpoint on a dataset",
        "Measure a checkpoint on the dataset it was trained on: mean cross-entropy, accuracy,\n"
        "per-class accuracy and the confusion matrix. The dataset is the pipeline's compact\n"
        "file <data.root>/<dataset>.pt; when it is missing it is prepared first, from\n"
        "data.local_dir, $ABLATION_DATA_DIR or a download. The validation and train splits\n"
        "are cut exactly as the checkpoint's run cut them.",
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
    p.set_defaults(func=_command("cmd_evaluate"))


def _add_status(commands) -> None:
    from ablation.cli.status import STALLED_AFTER, STATES

    p = _subparser(
        commands,
        "status",
        "which grid cells are done, missing, running, interrupted or stale",
        "Compare the study's grid (the config, with --configfile overlays merged as\n"
        "Snakemake merges them) with the results on disk, the way Snakemake would:\n\n"
        "  done         trained, nothing to redo\n"
        "  diverged     trained, but the loss became NaN/inf (kept, not rerun)\n"
        "  stale        trained, but Snakemake will retrain it: its training config changed\n"
        "               (stored config_hash differs), or its dataset file is newer (or missing\n"
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
    p.set_defaults(func=_command("cmd_status"))


def _add_bench(commands, load: bool) -> None:
    summary = "measure training speed on this machine: tutorial loop, pipeline and floor"
    if not load:  # listed in the help; the module is imported only to run it
        commands.add_parser("bench", help=summary, add_help=False)
        return
    try:
        bench = importlib.import_module("ablation.bench.epoch")
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


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    """`ablation.cli.commands.<name>`, imported only when that command runs (fast `--help`)."""

    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module("ablation.cli.commands"), name)(args)

    return run


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("ablation")
    except metadata.PackageNotFoundError:
        return "unknown"


# Errors of the library a user can fix by changing an argument or an input file (exit 2),
# and those that mean the work itself failed (exit 1): (module, class name).
_USER_ERRORS = (
    ("ablation.config", "ConfigError"),
    ("ablation.training.checkpoint", "CheckpointError"),
    ("ablation.images", "ImageError"),
    ("ablation.export.folder", "ExportFolderError"),
)
_FAILURES = (("ablation.data", "DataError"), ("ablation.export.folder", "MissingExtra"))


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


def _add_seeds_overlay(commands) -> None:
    from ablation.stats.power import MAX_OVERLAY_SEEDS

    p = _subparser(
        commands,
        "seeds-overlay",
        seeds_overlay.SUMMARY,
        seeds_overlay.__doc__ or "",
        seeds_overlay.EXAMPLES,
    )
    _add_config_options(p)
    p.add_argument(
        "--leaderboard",
        default=layout.table_path("leaderboard"),
        metavar="FILE",
        help="the leaderboard of the study (rule analyze_leaderboard)",
    )
    p.add_argument(
        "--max-seeds",
        type=positive_int,
        default=MAX_OVERLAY_SEEDS,
        metavar="N",
        help="differences needing more seeds than this are left unresolved",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the overlay here (default: print)")
    p.set_defaults(func=seeds_overlay.run)


def _add_export(commands) -> None:
    p = _subparser(
        commands,
        "export",
        export_command.SUMMARY,
        export_command.__doc__ or "",
        export_command.EXAMPLES,
    )
    _add_config_options(p)
    p.add_argument(
        "--tensorboard",
        metavar="DIR",
        help="write a TensorBoard log folder here (pip install 'ablation[tensorboard]')",
    )
    p.add_argument(
        "--mlflow",
        metavar="DIR",
        help="write a local MLflow store here (pip install 'ablation[mlflow]')",
    )
    p.add_argument(
        "--experiment",
        metavar="NAME",
        help="the MLflow experiment (default: the config files, e.g. config/config.yaml)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.set_defaults(func=export_command.run)
