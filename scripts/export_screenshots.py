"""The screenshots of docs/command-line.md: a study exported, each UI served and captured.

    python scripts/export_screenshots.py PROJECT [--configfile config/quick.yaml] [--out docs]

Exports the finished runs of the study in PROJECT (a folder where Snakemake ran it) with
`ablation export --tensorboard --mlflow` into a temporary folder, starts the real
TensorBoard and `mlflow ui` servers on 127.0.0.1, opens TensorBoard's HParams parallel
coordinates and MLflow's runs charts in headless Chromium (Playwright, Debian's binary)
and writes docs/tensorboard.png and docs/mlflow.png, reduced to 256 colours.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from ablation.cli.parser import main as ablation
from ablation.export.mlflow import tracking_uri

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the server helpers
from browser_helpers import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from export_helpers import mlflow_server, tensorboard_server  # noqa: E402

VIEWPORT = {"width": 1440, "height": 810}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--configfile", default="config/quick.yaml")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tb, ml = tmp / "tensorboard", tmp / "mlflow"
        status = ablation(["export", "-d", str(args.project), "--configfile", args.configfile,
                           "--tensorboard", str(tb), "--mlflow", str(ml),
                           "--experiment", "quick study"])  # fmt: skip
        if status:
            sys.exit(status)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            with tensorboard_server(tb, tmp / "tensorboard.log") as base:
                capture_tensorboard(browser, base, args.out / "tensorboard.png")
            with mlflow_server(tracking_uri(ml), tmp / "mlflow.log") as base:
                capture_mlflow(browser, base, args.out / "mlflow.png")
            browser.close()


def capture_tensorboard(browser, base: str, path: Path) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{base}/#hparams", wait_until="networkidle")
    page.get_by_text("Parallel Coordinates View", exact=False).first.click()
    page.wait_for_timeout(2500)
    save(page, path)


def capture_mlflow(browser, base: str, path: Path) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    # the store's first experiment, its runs' charts
    page.goto(f"{base}/#/experiments/1/runs?compareRunsMode=CHART", wait_until="load")
    page.get_by_text("8 matching runs").wait_for(timeout=30_000)
    page.get_by_role("button", name="Close").click()  # the assistant's panel
    page.get_by_placeholder("Search metric charts").fill("test/")
    page.wait_for_timeout(3000)
    save(page, path)


def save(page, path: Path) -> None:
    """A screenshot in 256 colours: a tenth of the bytes, the same to read."""
    page.screenshot(path=str(path))
    Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
