"""The work of each `ablation` subcommand, from parsed arguments to printed results."""

from __future__ import annotations

import argparse
from pathlib import Path

import ablation.cli.show as show
from ablation import layout
from ablation.console import UsageError, note, print_json, progress


def cmd_predict(args: argparse.Namespace) -> int:
    checkpoint = _existing_file(args.checkpoint, "CHECKPOINT", "a model.pt")
    from ablation.images import prepare_image

    images = []  # read first: a wrong picture fails before torch loads
    with progress("reading images", total=len(args.images)) as bar:
        for path in args.images:
            images.append(prepare_image(path))
            bar.update()
    import numpy as np
    from PIL import Image

    from ablation.io import atomic_write
    from ablation.predict import predict_images
    from ablation.training.checkpoint import load_model

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
        run = show.run_label(info)
        print_json({"checkpoint": args.checkpoint, "run": run, "predictions": results})
    else:
        show.print_predictions(results)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ablation.study import load_study

    root = Path(args.directory)
    checkpoint = _existing_file(args.checkpoint, "CHECKPOINT", "a model.pt")
    study, _ = load_study(_config_paths(args, root))
    from ablation.config import TrainConfig
    from ablation.data import compact_path, load_dataset, prepare_dataset
    from ablation.predict import evaluate_checkpoint
    from ablation.training.checkpoint import load_model  # torch: after the quick checks
    from ablation.training.loop import select_device

    model, info = load_model(checkpoint)
    data_cfg = study["data"]
    name = info["config"].get("dataset", data_cfg["dataset"])  # the dataset it was trained on
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
        print_json(
            {"checkpoint": args.checkpoint, "run": show.run_label(info), **result.to_dict(),
             "stored_accuracy": stored}
        )  # fmt: skip
    else:
        show.print_evaluation(args.checkpoint, info, result, stored)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ablation.cli.status import study_status
    from ablation.config import grid_cells
    from ablation.study import load_study

    root = Path(args.directory)
    if not root.is_dir():
        raise UsageError(f"-d/--directory {root}: no such folder; pass the project folder")
    study, sources = load_study(_config_paths(args, root))
    with progress("reading runs", total=len(grid_cells(study))) as bar:
        status = study_status(
            root, study, sources, stalled_after=args.stalled_after * 60, on_cell=bar.update
        )
    if args.json:
        print_json(status.to_dict(cores=args.cores))
    else:
        show.print_status(status, args.cores, args.state, args.all)
    return 0


def _config_paths(args: argparse.Namespace, root: Path) -> list[Path]:
    return [_under(root, p) for p in [args.config, *args.configfile]]


def _under(root: Path, path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() or str(root) == "." else root / path


def _existing_file(path: str, name: str, what: str) -> Path:
    p = Path(path)
    if p.is_dir():
        hint = f" (e.g. {p / layout.MODEL})" if (p / layout.MODEL).exists() else ""
        raise UsageError(f"{name} {path}: is a folder; pass {what}{hint}")
    if not p.exists():
        raise UsageError(f"{name} {path}: no such file; pass {what}")
    return p
