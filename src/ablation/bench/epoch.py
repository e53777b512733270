"""Training speed on this machine: the tutorial's loop, the pipeline's, and the floor.

In one process, on the same thread count and the same images, one epoch of the
classic network is trained three ways, side by side and repeated:

  tutorial   torchvision's MNIST dataset, `ToTensor`, `DataLoader(batch_size=64,
             shuffle=True)`, `zero_grad(); loss.backward(); optimizer.step()`
  autograd   the same loop over in-memory tensors (no DataLoader)
  pipeline   `ablation.training.loop.train_epoch` with `make_optimizer`, as every study job

and compared with the floor: the epoch's matrix-multiply FLOPs (forward and
backward of both layers) at the throughput this machine measures for the very
same shapes and thread count; also with the floor plus the optimizer's update
timed alone. Figures are best-of-repeats (noise only adds time): on the CPU
process CPU time (wall time on an idle machine), on a GPU wall time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ablation import layout, provenance
from ablation.bench import pack as pack_bench
from ablation.bench import study as study_bench
from ablation.config import TrainConfig
from ablation.console import positive_int
from ablation.data import FILES, DataError, Dataset, load_dataset, prepare_dataset
from ablation.io import write_text_atomic
from ablation.training.fastpath import fast_step
from ablation.training.loop import (
    make_optimizer,
    make_splits,
    select_device,
    set_threads,
    split_indices,
    train_epoch,
    train_epoch_reference,
)
from ablation.training.model import CLASSES, IMAGE_PIXELS, SimpleNet

WAYS = ("tutorial", "autograd", "pipeline")
DATA = Path(layout.data_file(layout.DATA_ROOT, "mnist"))  # what the data rule writes
LABELS = {
    "tutorial": "tutorial (DataLoader + ToTensor + autograd)",
    "autograd": "in-memory tensors + autograd",
    "pipeline": "pipeline (ablation.training.loop.train_epoch)",
    "floor": "floor (matmul FLOPs / measured mm speed)",
    "floor+update": "floor + optimizer update (its kernel alone)",
}


# ---------------------------------------------------------------------------- the floor


@dataclass(frozen=True)
class Product:
    """One matrix product of a training step: [m x k] @ [k x n]."""

    name: str
    m: int
    k: int
    n: int

    def flops(self) -> int:
        return 2 * self.m * self.k * self.n  # a multiply-add is two FLOPs


def step_products(batch: int, hidden: int = 128) -> list[Product]:
    """The matrix products of one training step of the MLP on a batch of `batch` images.

    Backward needs the weight gradients of both layers and the input gradient of
    fc2 only: the images need no gradient, so fc1's input gradient is never
    computed. Bias additions and bias gradients (m x n adds, under 1%) are not counted.
    """
    return [
        Product("fc1 forward", batch, IMAGE_PIXELS, hidden),
        Product("fc2 forward", batch, hidden, CLASSES),
        Product("fc2 weight gradient", CLASSES, batch, hidden),
        Product("fc2 input gradient", batch, CLASSES, hidden),
        Product("fc1 weight gradient", hidden, batch, IMAGE_PIXELS),
    ]


def epoch_flops(images: int, batch: int, hidden: int = 128) -> int:
    """Matrix-multiply FLOPs of one epoch over `images` in batches of `batch`."""
    full, rest = divmod(images, batch)
    total = full * sum(p.flops() for p in step_products(batch, hidden))
    if rest:
        total += sum(p.flops() for p in step_products(rest, hidden))
    return total


def _candidates(product: Product, device: torch.device) -> list[Callable[[], object]]:
    """Ways to compute `product` with torch.mm/addmm into a preallocated output: the
    layouts the training step uses and their transposes (the floor takes the fastest)."""
    m, k, n = product.m, product.k, product.n
    a = torch.rand(m, k, device=device)
    b_t = torch.rand(n, k, device=device)  # weights are stored [out, in]: b = b_t.t()
    a_t = torch.rand(k, m, device=device)  # gradients arrive as [batch, out]: a = a_t.t()
    b = torch.rand(k, n, device=device)
    bias = torch.rand(n, device=device)
    out, out_t = torch.empty(m, n, device=device), torch.empty(n, m, device=device)
    if product.name.endswith("forward"):
        return [lambda: torch.addmm(bias, a, b_t.t(), out=out)]
    return [
        lambda: torch.mm(a, b, out=out),
        lambda: torch.mm(a_t.t(), b, out=out),
        lambda: torch.mm(b.t(), a_t, out=out_t),
        lambda: torch.mm(b_t, a.t(), out=out_t),
    ]


def clock(device: torch.device) -> Callable[[], float]:
    """What the figures are measured in: on the CPU the process's CPU time (equal to wall
    time on an idle machine, immune to other programs taking the cores), on a GPU wall time."""
    return time.perf_counter if device.type == "cuda" else time.process_time


def time_call(fn: Callable[[], object], device: torch.device, repeats: int = 3) -> float:
    """Best seconds per call of `fn` in a tight loop (each loop runs ~20 ms)."""
    now = clock(device)
    for _ in range(5):
        fn()
    _sync(device)
    started, calls = now(), 0
    while now() - started < 0.02:
        fn()
        calls += 1
    _sync(device)
    calls = max(calls, 1)
    best = float("inf")
    for _ in range(repeats):
        started = now()
        for _ in range(calls):
            fn()
        _sync(device)
        best = min(best, (now() - started) / calls)
    return best


def matmul_floor(
    images: int, batch: int, hidden: int, device: torch.device, repeats: int = 3
) -> dict[str, Any]:
    """Seconds one epoch's matrix products take at this machine's measured speed."""
    rows, seconds = [], 0.0
    full, rest = divmod(images, batch)
    for product in step_products(batch, hidden):
        per_call = min(time_call(fn, device, repeats) for fn in _candidates(product, device))
        calls = full + rest / batch  # the short last batch, at the same speed per FLOP
        seconds += per_call * calls
        rows.append(
            {"product": product.name, "shape": [product.m, product.k, product.n],
             "seconds_per_call": per_call, "gflops_per_second": product.flops() / per_call / 1e9}
        )  # fmt: skip
    flops = epoch_flops(images, batch, hidden)
    return {"seconds": seconds, "gflop": flops / 1e9, "gflops_per_second": flops / seconds / 1e9,
            "products": rows}  # fmt: skip


def update_seconds(cfg: TrainConfig, images: int, device: torch.device) -> float:
    """Seconds one epoch's optimizer updates take alone: the step the pipeline calls
    (`fast_step`, else `optimizer.step()`), timed in a tight loop, times the steps."""
    model = SimpleNet(cfg.activation, cfg.hidden_size, cfg.dropout).to(device)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer = make_optimizer(cfg, model)
    optimizer.step()  # creates the state
    step = fast_step(optimizer) or optimizer.step
    return time_call(step, device) * -(-images // cfg.batch_size)


# ---------------------------------------------------------------------------- the tutorial


def write_idx(dataset: Dataset, folder: Path) -> Path:
    """The four original (uncompressed) IDX files of `dataset`, for torchvision to read."""
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for key, stem in FILES.items():
        tensor = getattr(dataset, key).to(torch.uint8)
        magic = bytes([0, 0, 0x08, tensor.dim()])
        dims = b"".join(int(d).to_bytes(4, "big") for d in tensor.shape)
        (raw / stem).write_bytes(magic + dims + tensor.numpy().tobytes())
    return folder


def tutorial_loader(root: Path, indices: torch.Tensor, batch_size: int):
    """torchvision MNIST + ToTensor + DataLoader(shuffle=True), on the pipeline's images."""
    from torch.utils.data import DataLoader, Subset
    from torchvision import datasets, transforms

    to_tensor = transforms.ToTensor()
    full = datasets.MNIST(root=str(root), train=True, download=False, transform=to_tensor)
    return DataLoader(Subset(full, indices.tolist()), batch_size=batch_size, shuffle=True)


def tutorial_epoch(model: nn.Module, optimizer, loader, device: torch.device) -> float:
    """The tutorial's training loop, as written there."""
    criterion = nn.CrossEntropyLoss()
    model.train()
    total, seen = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        seen += len(labels)
    return total / seen


# ---------------------------------------------------------------------------- the race


def run_bench(
    data: Dataset,
    device: torch.device,
    threads: int = 1,
    repeats: int = 3,
    epochs: int = 1,
    train_size: int | None = None,
    activation: str = "relu",
    ways: tuple[str, ...] = WAYS,
    seed: int = 0,
) -> dict[str, Any]:
    """Time `ways` side by side (interleaved, `repeats` times) and the floor; returns figures."""
    set_threads(threads)
    cfg = TrainConfig(activation=activation, train_size=train_size, seed=seed)

    x, y = make_splits(cfg, data, device)["train"]
    images = len(x)

    def fresh() -> tuple[nn.Module, torch.optim.Optimizer]:
        torch.manual_seed(seed)
        model = SimpleNet(cfg.activation, cfg.hidden_size, cfg.dropout).to(device)
        return model, make_optimizer(cfg, model)

    with tempfile.TemporaryDirectory(prefix="ablation-bench-") as tmp:
        loader = None
        if "tutorial" in ways:
            train_idx, _ = split_indices(cfg, len(data.train_images))
            loader = tutorial_loader(write_idx(data, Path(tmp)), train_idx, cfg.batch_size)
        epoch_fns = {
            "tutorial": lambda m, o, g: tutorial_epoch(m, o, loader, device),
            "autograd": lambda m, o, g: train_epoch_reference(m, o, x, y, cfg.batch_size, g),
            "pipeline": lambda m, o, g: train_epoch(m, o, x, y, cfg.batch_size, g),
        }
        seconds: dict[str, list[float]] = {way: [] for way in ways}
        wall: dict[str, list[float]] = {way: [] for way in ways}
        now = clock(device)
        weights: dict[str, list[list[torch.Tensor]]] = {way: [] for way in ways}
        floors = []
        _warm_up(fresh, x, y, cfg.batch_size, device)
        for _ in range(repeats):  # interleaved: a busy moment slows every way alike
            for way in ways:
                model, optimizer = fresh()
                if way == "tutorial":
                    optimizer = _tutorial_optimizer(cfg, model)
                shuffle = _gen(seed)
                _sync(device)
                started, started_wall = now(), time.perf_counter()
                for _ in range(epochs):
                    epoch_fns[way](model, optimizer, shuffle)
                _sync(device)
                seconds[way].append((now() - started) / epochs)
                wall[way].append((time.perf_counter() - started_wall) / epochs)
                weights[way].append([t.detach().cpu().clone() for t in model.state_dict().values()])
            floors.append(matmul_floor(images, cfg.batch_size, cfg.hidden_size, device))
            floors[-1]["update_seconds"] = update_seconds(cfg, images, device)
    floor = min(floors, key=lambda f: f["seconds"])
    floor["update_seconds"] = min(f["update_seconds"] for f in floors)
    result = _summary(seconds, weights, floor, cfg, device, threads, images, repeats, epochs)
    result["wall_seconds_per_epoch"] = {
        "best": {way: min(v) for way, v in wall.items()},
        "median": {way: statistics.median(v) for way, v in wall.items()},
    }
    return result


def _tutorial_optimizer(cfg: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr=cfg.lr)  # the tutorial's: Adam, defaults


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _warm_up(fresh, x, y, batch_size, device) -> None:
    """A few batches each way first: one-off costs (kernel selection, first allocations)."""
    n = min(len(x), 20 * batch_size)
    for fn in (train_epoch, train_epoch_reference):
        model, optimizer = fresh()
        fn(model, optimizer, x[:n], y[:n], batch_size, _gen(0))
    _sync(device)


def _summary(seconds, weights, floor, cfg, device, threads, images, repeats, epochs) -> dict:
    best = {way: min(values) for way, values in seconds.items()}
    median = {way: statistics.median(values) for way, values in seconds.items()}
    ratios = {}
    if "tutorial" in best and "pipeline" in best:
        ratios["tutorial/pipeline"] = best["tutorial"] / best["pipeline"]
    if "autograd" in best and "pipeline" in best:
        ratios["autograd/pipeline"] = best["autograd"] / best["pipeline"]
    if "pipeline" in best:
        ratios["pipeline/floor"] = best["pipeline"] / floor["seconds"]
        ratios["pipeline/(floor+update)"] = best["pipeline"] / (
            floor["seconds"] + floor["update_seconds"]
        )
    checks = {}
    if "pipeline" in weights:
        runs = weights["pipeline"]
        checks["pipeline_repeats_identical"] = all(_same(runs[0], w) for w in runs[1:])
    if "pipeline" in weights and "autograd" in weights:
        checks["pipeline_equals_autograd"] = all(
            _same(a, b) for a, b in zip(weights["pipeline"], weights["autograd"], strict=True)
        )
    return {
        "device": _device_label(device),
        "threads": threads,
        "torch_version": torch.__version__,
        "model": (
            f"784-{cfg.hidden_size}-{cfg.activation}-10, Adam lr {cfg.lr}, batch {cfg.batch_size}"
        ),
        "images": images,
        "repeats": repeats,
        "epochs_per_repeat": epochs,
        "clock": "wall" if device.type == "cuda" else "process CPU time",
        "seconds_per_epoch": {"best": best, "median": median, "all": seconds},
        "floor": floor,
        "ratios": ratios,
        "checks": checks,
    }


def _device_label(device: torch.device) -> str:
    """The device as provenance names it, with the CPU model where Linux tells it."""
    name = provenance.device_name(device)
    if device.type == "cpu":
        try:
            info = Path("/proc/cpuinfo").read_text()
        except OSError:
            return name
        models = [line.split(":", 1)[1].strip() for line in info.splitlines()
                  if line.startswith("model name")]  # fmt: skip
        if models:
            name = f"{name} ({models[0]}, {len(models)} logical CPUs)"
    return name


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(u, v) for u, v in zip(a, b, strict=True))


def format_report(result: dict[str, Any]) -> str:
    """The figures as a short plain-text table."""
    best, median = result["seconds_per_epoch"]["best"], result["seconds_per_epoch"]["median"]
    wall = result.get("wall_seconds_per_epoch", {}).get("best", {})
    floor = result["floor"]
    lines = [
        f"model     {result['model']}, {result['images']} images per epoch",
        f"machine   {result['device']}, {result['threads']} thread(s), "
        f"torch {result['torch_version']}",
        f"repeats   {result['repeats']} x {result['epochs_per_repeat']} epoch(s), interleaved",
        "",
        f"seconds per epoch, {result['clock']}; best and median of the rounds, best wall time",
        f"{'':46s} {'best':>8s} {'median':>8s} {'wall':>8s}",
    ]
    for way in (*WAYS, "floor", "floor+update"):
        if way == "floor":
            lines.append(f"{LABELS[way]:46s} {floor['seconds']:8.3f}")
        elif way == "floor+update":
            both = floor["seconds"] + floor["update_seconds"]
            lines.append(f"{LABELS[way]:46s} {both:8.3f}")
        elif way in best:
            lines.append(
                f"{LABELS[way]:46s} {best[way]:8.3f} {median[way]:8.3f} {wall.get(way, 0):8.3f}"
            )
    lines += ["", "ratios    " + ", ".join(f"{k} {v:.2f}x" for k, v in result["ratios"].items())]
    lines.append(
        f"floor     {floor['gflop']:.2f} GFLOP per epoch at "
        f"{floor['gflops_per_second']:.1f} GFLOP/s (torch.mm/addmm at the step's shapes, "
        "fastest layout, best round)"
    )
    for row in floor["products"]:
        m, k, n = row["shape"]
        lines.append(
            f"          {row['product']:22s} [{m}x{k}]@[{k}x{n}]  "
            f"{row['seconds_per_call'] * 1e6:8.1f} us  {row['gflops_per_second']:6.1f} GFLOP/s"
        )
    for name, ok in result["checks"].items():
        lines.append(f"check     {name.replace('_', ' ')}: {'yes' if ok else 'NO'}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `ablation bench` (also `python -m ablation.bench.epoch`)."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--data", type=Path, default=DATA, metavar="FILE",
        help="the compact dataset file the data rule writes",
    )  # fmt: skip
    source.add_argument(
        "--local-dir", type=Path, metavar="DIR",
        help="a folder with the four original MNIST files (.gz or extracted), instead of --data",
    )  # fmt: skip
    parser.add_argument("--threads", type=positive_int, default=1, help="intra-op CPU threads")
    parser.add_argument("--repeats", type=positive_int, default=3, help="timed rounds of each way")
    parser.add_argument("--epochs", type=positive_int, default=1, help="epochs per timed round")
    parser.add_argument(
        "--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1, ..."
    )
    parser.add_argument(
        "--train-size", type=positive_int, metavar="N",
        help="train on the first N of the 50,000 training images (quick checks)",
    )  # fmt: skip
    parser.add_argument("--activation", default="relu", help="hidden-layer activation")
    parser.add_argument(
        "--skip-tutorial", action="store_true", help="leave out the (slow) tutorial loop"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    study_bench.add_arguments(parser)
    pack_bench.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark described by parsed `args`; prints the table, returns 0."""
    if getattr(args, "study", None) is not None:
        return study_bench.run(args)
    try:
        device = select_device(args.device)
    except RuntimeError as err:
        print(f"ablation bench: error: --device: {err}", file=sys.stderr)
        return 2
    if args.local_dir is None and not args.data.exists():
        raise DataError(
            f"{args.data}: no such dataset file; pass --data FILE (the data rule writes {DATA}) "
            "or --local-dir DIR (a folder with the four original MNIST files)"
        )
    with tempfile.TemporaryDirectory(prefix="ablation-data-") as tmp:
        if args.local_dir is not None:
            data = load_dataset(prepare_dataset("mnist", tmp, args.local_dir))
        else:
            data = load_dataset(args.data)
    if args.pack is not None:
        set_threads(args.threads)
        cfgs = pack_bench.pack_of(args.pack, args.epochs, args.train_size)
        result = pack_bench.run_pack_bench(cfgs, data, device, args.repeats)
        print(pack_bench.format_report(result))
    else:
        ways = tuple(w for w in WAYS if not (args.skip_tutorial and w == "tutorial"))
        result = run_bench(
            data, device, threads=args.threads, repeats=args.repeats, epochs=args.epochs,
            train_size=args.train_size, activation=args.activation, ways=ways,
        )  # fmt: skip
        print(format_report(result))
    if args.json is not None:
        write_text_atomic(args.json, json.dumps(result, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m ablation.bench.epoch [options]`; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="ablation bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except DataError as err:
        print(f"ablation bench: failed: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
