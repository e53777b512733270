"""`ablation predict` and `ablation evaluate` on a checkpoint trained here on real MNIST."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image, ImageDraw

from ablation.config import TrainConfig
from ablation.images import mnist_form, prepare_image
from ablation.predict import predict_images
from ablation.training.checkpoint import load_model, read_checkpoint
from ablation.training.job import run_job
from cli_helpers import ablation, ablation_json, assert_user_error


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, mnist_file) -> Path:
    """A model.pt of the pipeline: 2 epochs on 10,000 MNIST images (about 91% test accuracy)."""
    out = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(epochs=2, milestones=(1, 2), train_size=10_000, validation_size=1000)
    run_job(
        cfg, mnist_file, out / "metrics.parquet", out / "model.pt", out / "confusion.parquet",
        out / "state.pt",
    )  # fmt: skip
    return out / "model.pt"


@pytest.fixture(scope="module")
def confident_digits(checkpoint, mnist) -> list[tuple[np.ndarray, int]]:
    """One real MNIST test image per class that the model gets right with >= 90% probability."""
    model, _ = load_model(checkpoint)
    images = mnist.test_images[:500].numpy()
    labels = mnist.test_labels[:500].numpy()
    probs = predict_images(model, images).numpy()
    chosen = {}
    for image, label, p in zip(images, labels, probs, strict=True):
        if label not in chosen and p.argmax() == label and p[label] >= 0.9:
            chosen[int(label)] = image
    assert sorted(chosen) == list(range(10)), "the model should know every class"
    return [(chosen[c], c) for c in range(10)]


def photo_of(digit: np.ndarray, style: str) -> Image.Image:
    """A real MNIST digit as a user's picture: upscaled, off-centre, in one of three styles."""
    big = Image.fromarray(digit).resize((150, 150), Image.Resampling.BICUBIC)
    if style == "jpeg_black_on_white":  # a scan or photo: dark ink on white paper, RGB JPEG
        canvas = Image.new("L", (260, 210), 255)
        canvas.paste(Image.fromarray(255 - np.asarray(big)), (70, 20))
        buf = io.BytesIO()
        canvas.convert("RGB").save(buf, format="JPEG", quality=85)
        return Image.open(io.BytesIO(buf.getvalue()))
    if style == "png_white_on_black":  # MNIST's own polarity, a tall grayscale canvas
        canvas = Image.new("L", (180, 320), 0)
        canvas.paste(big, (10, 140))
        return canvas
    if style == "png_transparent":  # a drawing app: black strokes on a transparent canvas
        alpha = np.asarray(big)
        rgba = np.zeros((*alpha.shape, 4), dtype=np.uint8)
        rgba[..., 3] = alpha
        return Image.fromarray(rgba, mode="RGBA")
    raise ValueError(style)


STYLES = ("jpeg_black_on_white", "png_white_on_black", "png_transparent")


def save_photos(confident_digits, folder: Path) -> list[tuple[Path, int]]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, (digit, label) in enumerate(confident_digits):
        style = STYLES[i % len(STYLES)]
        path = folder / f"digit{label}_{style}.{'jpg' if style.startswith('jpeg') else 'png'}"
        photo_of(digit, style).save(path)
        files.append((path, label))
    return files


def best_shift_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two 28x28 images, allowing a one-pixel shift (centring rounds)."""
    return max(
        np.corrcoef(np.roll(a, (dy, dx), axis=(0, 1)).ravel(), b.ravel())[0, 1]
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


@pytest.mark.parametrize("style", STYLES)
def test_pictures_are_brought_back_into_mnist_form(confident_digits, style):
    for digit, _ in confident_digits:
        seen = mnist_form(photo_of(digit, style))
        assert seen.shape == (28, 28) and seen.dtype == np.uint8
        assert seen[0].max() == seen[-1].max() == 0, "the digit is light on a black field"
        corr = best_shift_correlation(seen.astype(float), digit.astype(float))
        assert corr > 0.85, f"{style}: the prepared picture differs from the MNIST original"
        rows, cols = np.nonzero(seen)
        assert max(np.ptp(rows), np.ptp(cols)) + 1 <= 21, "the digit fits MNIST's 20x20 box"


def test_predict_classifies_real_digits_from_photos(checkpoint, confident_digits, tmp_path):
    files = save_photos(confident_digits, tmp_path / "photos")
    report = ablation_json("predict", checkpoint, *[p for p, _ in files])
    assert [r["image"] for r in report["predictions"]] == [str(p) for p, _ in files]
    for result, (path, label) in zip(report["predictions"], files, strict=True):
        probs = np.array(result["probabilities"])
        assert probs.shape == (10,) and (probs >= 0).all()
        assert probs.sum() == pytest.approx(1.0, abs=1e-5)
        assert result["class"] == label == int(probs.argmax()), path.name
    assert report["run"].startswith("activation=relu/optimizer=adam/")

    text = ablation("predict", checkpoint, files[0][0], files[7][0])
    assert text.returncode == 0, text.stderr
    assert f"{files[0][0]}: 0  (" in text.stdout and f"{files[7][0]}: 7  (" in text.stdout
    assert "7: 0." in text.stdout  # every class's probability is listed


def test_predict_saves_what_the_network_saw(checkpoint, confident_digits, tmp_path):
    [(path, label)] = save_photos(confident_digits[3:4], tmp_path / "in")
    done = ablation("predict", checkpoint, path, "--save-inputs", tmp_path / "seen")
    assert done.returncode == 0, done.stderr
    saved = np.asarray(Image.open(tmp_path / "seen" / f"{path.stem}.mnist.png"))
    assert np.array_equal(saved, prepare_image(path))


def test_predict_errors_name_the_file_and_the_fix(checkpoint, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (40, 40), "white").save(blank)
    assert_user_error(ablation("predict", checkpoint, blank), str(blank), "blank")

    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    assert_user_error(ablation("predict", checkpoint, text), str(text), "PNG or JPEG")

    missing = tmp_path / "nope.pt"
    assert_user_error(ablation("predict", missing, blank), str(missing), "model.pt")

    stroke = tmp_path / "one.png"
    canvas = Image.new("L", (40, 40), 0)
    ImageDraw.Draw(canvas).line((20, 5, 20, 35), fill=255, width=4)
    canvas.save(stroke)
    fake = tmp_path / "fake.pt"
    fake.write_bytes(b"\x00" * 64)
    assert_user_error(ablation("predict", fake, stroke), str(fake), "not a checkpoint")

    usage = ablation("predict", checkpoint)  # no image
    assert_user_error(usage, "IMAGE")


REPO_CONFIG = Path(__file__).resolve().parents[1] / "config" / "config.yaml"


def _evaluation_config(folder: Path, data_root: Path, local_dir: Path) -> list[str]:
    """The project's config with a data overlay, as `--config ... --configfile ...`."""
    overlay = folder / "data.yaml"
    data = {"root": str(data_root), "local_dir": str(local_dir)}
    overlay.write_text(yaml.safe_dump({"data": data}))
    return ["--config", str(REPO_CONFIG), "--configfile", str(overlay)]


def test_evaluate_matches_the_run_and_prepares_missing_data(checkpoint, mnist_raw, tmp_path):
    _, info = read_checkpoint(checkpoint)
    stored = info["final_metrics"]
    config = _evaluation_config(tmp_path, tmp_path / "data", mnist_raw)

    test = ablation("evaluate", checkpoint, *config, "--json")  # no data yet: prepared first
    assert test.returncode == 0, test.stderr
    assert (tmp_path / "data" / "mnist.pt").exists() and "preparing mnist" in test.stderr
    test = json.loads(test.stdout)
    assert test["accuracy"] == pytest.approx(stored["test_accuracy"], abs=1e-12)
    assert test["loss"] == pytest.approx(stored["test_loss"], rel=1e-6)
    confusion = np.array(test["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == test["images"] == 10_000
    assert np.trace(confusion) / confusion.sum() == pytest.approx(test["accuracy"])

    val = ablation("evaluate", checkpoint, *config, "--split", "validation")
    assert val.returncode == 0, val.stderr
    assert "validation split, 1000 images" in val.stdout and "confusion matrix" in val.stdout
    accuracy = f"{stored['validation_accuracy']:.4f}"
    assert f"accuracy    {accuracy}  (at training: {accuracy})" in val.stdout


def test_evaluate_errors(checkpoint, tmp_path):
    missing = tmp_path / "missing.yaml"
    assert_user_error(ablation("evaluate", checkpoint, "--config", missing), str(missing))
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: {dataset: mnistt}\n")
    done = ablation("evaluate", checkpoint, "--config", REPO_CONFIG, "--configfile", bad)
    assert_user_error(done, str(bad), "data.dataset", "mnist")


def test_help_and_entry_points(tmp_path):
    top = ablation("--help")
    assert top.returncode == 0
    for command in ("predict", "evaluate", "status", "bench"):
        assert command in top.stdout
    for command in ("predict", "evaluate", "status"):
        sub = ablation(command, "--help")
        assert sub.returncode == 0 and "examples:" in sub.stdout, command
    bench = ablation("bench", "--help")  # mounted from ablation.bench.epoch
    assert bench.returncode == 0 and "--threads" in bench.stdout and "examples:" in bench.stdout
    no_data = ablation("bench", "--data", tmp_path / "none.pt")
    assert no_data.returncode == 1 and "none.pt" in no_data.stderr
    assert "Traceback" not in no_data.stderr
    assert ablation().returncode == 2  # no command: usage on stderr
    assert_user_error(ablation("predictt"), "invalid choice")
    script = Path(sys.executable).with_name("ablation")
    script = script if script.exists() else shutil.which("ablation")
    if script is not None:  # the installed console script, not only `python -m ablation`
        import subprocess

        done = subprocess.run([str(script), "--version"], capture_output=True, text=True)
        assert done.returncode == 0 and "ablation" in done.stdout
