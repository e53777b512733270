"""Bring pictures of digits into MNIST's form, the way the MNIST images themselves were made.

Grayscale, a light digit on a black background, the digit scaled to fit a 20x20
box (aspect ratio kept, anti-aliased) and placed in a 28x28 field so that its
centre of mass lies at the centre. Pillow and NumPy only: a picture can be checked
without loading torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

FIELD = 28  # MNIST image side
BOX = 20  # the digit's bounding box is scaled to fit BOX x BOX
# Of the brightest pixel: fainter pixels (paper grain, JPEG noise) do not widen the digit's box.
INK_THRESHOLD = 0.2


class ImageError(ValueError):
    """A file that cannot be read as a picture of a digit; the message says why."""


def read_image(path: str | Path) -> Image.Image:
    """Open an image file (PNG, JPEG, anything Pillow reads), upright as the camera saw it."""
    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()
            return ImageOps.exif_transpose(image)
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file; pass the path of a PNG or JPEG image") from None
    except IsADirectoryError:
        raise ImageError(f"{path}: is a folder; pass image files (e.g. {path}/*.png)") from None
    except (UnidentifiedImageError, OSError) as err:
        raise ImageError(
            f"{path}: not an image Pillow can read ({err}); pass a PNG or JPEG file"
        ) from None


def to_grayscale(image: Image.Image) -> np.ndarray:
    """Pixel brightness in [0, 255] as float; transparent pixels take the background's side.

    A digit drawn on a transparent canvas has no background colour of its own:
    it is laid on white when its strokes are dark and on black when they are light,
    so that the strokes stand out either way.
    """
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    if "A" in image.getbands():
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64) / 255
        gray = np.asarray(rgba.convert("L"), dtype=np.float64)
        if alpha.min() < 1:
            opaque = alpha > 0.5
            ink_is_dark = opaque.any() and gray[opaque].mean() < 128
            background = 255.0 if ink_is_dark else 0.0
            return gray * alpha + background * (1 - alpha)
        return gray
    if image.mode in ("I", "I;16", "F"):
        values = np.asarray(image, dtype=np.float64)
        span = values.max() - values.min()
        return (values - values.min()) / span * 255 if span > 0 else np.zeros_like(values)
    return np.asarray(image.convert("L"), dtype=np.float64)


def mnist_form(image: Image.Image, source: str = "image") -> np.ndarray:
    """The image as MNIST would hold it: uint8 [28, 28], light digit on black, centred.

    Parameters
    ----------
    image : a picture of one digit, any size and mode, dark-on-light or light-on-dark.
    source : how errors name the image (its path).

    Returns
    -------
    numpy.ndarray
        uint8 array of shape (28, 28).

    Raises
    ------
    ImageError
        When the picture is blank (no digit to find).
    """
    gray = to_grayscale(image)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    # MNIST digits are light on a black background; a light border means dark ink on paper.
    if border.mean() > 127.5:
        gray, border = 255 - gray, 255 - border
    ink = np.clip(gray - np.median(border), 0, None)  # paper that is not quite black is no ink
    if ink.max() <= 0:
        raise ImageError(f"{source}: blank image (no digit found); pass a picture of one digit")
    ink = ink / ink.max()
    rows, cols = np.nonzero(ink > INK_THRESHOLD)
    box = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    digit = _fit_box(box)
    return _centre(digit)


def _fit_box(box: np.ndarray) -> np.ndarray:
    """Scale so the longer side is BOX pixels, keeping the aspect ratio (anti-aliased)."""
    height, width = box.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = Image.fromarray(np.round(box * 255).astype(np.uint8))  # 2-D uint8: mode L
    return np.asarray(small.resize(size, Image.Resampling.LANCZOS), dtype=np.float64)


def _centre(digit: np.ndarray) -> np.ndarray:
    """Place `digit` in a 28x28 field with its centre of mass at the centre, as MNIST did."""
    height, width = digit.shape
    mass = digit.sum()
    ys, xs = np.mgrid[0:height, 0:width]
    com_y, com_x = (ys * digit).sum() / mass, (xs * digit).sum() / mass
    # MNIST's centres of mass lie at pixel (14, 14); a lopsided digit is kept whole.
    top = int(np.clip(round(FIELD / 2 - com_y), 0, FIELD - height))
    left = int(np.clip(round(FIELD / 2 - com_x), 0, FIELD - width))
    field = np.zeros((FIELD, FIELD), dtype=np.uint8)
    field[top : top + height, left : left + width] = np.clip(np.round(digit), 0, 255)
    return field


def prepare_image(path: str | Path) -> np.ndarray:
    """Read an image file and bring it into MNIST's form (uint8 [28, 28])."""
    return mnist_form(read_image(path), source=str(path))
