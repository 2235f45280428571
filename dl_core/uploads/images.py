"""Images: allow-listed formats, pixel caps, bombs, truncation, EXIF, modes to RGB."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps

from dl_core.uploads.common import (
    _ALPHA_MODES,
    _FORMAT_LIST,
    _SIXTEEN_BIT_MODES,
    IMAGE_FORMATS,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    _check_bytes,
    _Refused,
    _sniff,
    _subject,
)

# --------------------------------------------------------------------------- images


MIN_SIDE = 8  # pixels: a narrower image holds nothing a model could look at
MAX_ASPECT = 10.0  # longest side / shortest side: wider panoramas are squashed to nothing


def _open_image(
    data: bytes,
    *,
    max_pixels: int,
    max_bytes: int,
    name: str,
    min_side: int = MIN_SIDE,
    max_aspect: float = MAX_ASPECT,
) -> Image.Image:
    """Open (but do not decode) an image, enforcing size, format, pixel and shape limits.

    Must be called inside :func:`_bomb_guard`.
    """
    subject = _subject(name)
    _check_bytes(data, max_bytes, subject, f"a {_FORMAT_LIST} image")
    try:
        img = Image.open(io.BytesIO(bytes(data)), formats=IMAGE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise _Refused(
            f"{subject} is far too large to open safely (more than {max_pixels / 1e6:.0f} "
            "million pixels). Please resize it to at most a few thousand pixels per side.",
            "too many pixels",
        ) from err
    except Exception as err:  # UnidentifiedImageError, or a parser error on hostile headers
        kind = _sniff(data)
        if "SVG" in kind:
            hint = "Please export it as a PNG image and upload that."
        else:
            hint = f"Please upload a {_FORMAT_LIST} image."
        looks = f" (it looks like {kind})" if kind else ""
        short = f"not an image ({kind.split(',')[0]})" if kind else "not an image"
        raise _Refused(
            f"{subject} is not an image this site can read{looks}. {hint}", short
        ) from err
    width, height = img.size
    if width <= 0 or height <= 0:
        img.close()
        raise _Refused(
            f"{subject} has no pixels (it is {width} × {height}). Please upload a real image.",
            "image has no pixels",
        )
    if width * height > max_pixels:
        img.close()
        raise _Refused(
            f"{subject} is {width} × {height} pixels ({width * height / 1e6:.0f} million), more "
            f"than the limit of {max_pixels / 1e6:.0f} million pixels. Please resize it "
            "(for example to 2000 × 2000 pixels or less) and upload it again.",
            f"too many pixels ({width} × {height})",
        )
    if min(width, height) < min_side or max(width, height) > max_aspect * min(width, height):
        img.close()
        raise _Refused(
            f"{subject} is {width} × {height} pixels: too thin to look at. Please upload an "
            f"image at least {min_side} pixels on each side and at most {max_aspect:.0f} times "
            "as wide as it is tall (or the other way round).",
            f"too thin ({width} × {height})",
        )
    return img


class _BombGuard(warnings.catch_warnings):
    """Turn Pillow's DecompressionBombWarning into an error for the duration of a block."""

    def __enter__(self):  # type: ignore[override]
        result = super().__enter__()
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return result


def _scale_to_uint8(arr: np.ndarray, mode: str) -> np.ndarray:
    """Map a 16-bit, 32-bit integer or float greyscale array onto 0..255."""
    if mode in _SIXTEEN_BIT_MODES:
        return ((arr.astype(np.uint32) + 128) // 257).astype(np.uint8)
    values = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(values.min()), float(values.max())
    if mode == "F" and lo >= 0.0 and hi <= 1.0:
        values = values * 255.0
    elif lo >= 0.0 and hi <= 255.0:
        pass
    elif mode == "I" and lo >= 0.0 and hi <= 65535.0:
        values = values / 257.0
    elif hi > lo:
        values = (values - lo) * (255.0 / (hi - lo))
    else:
        values = np.zeros_like(values)
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _to_mode(img: Image.Image, mode: str, subject: str) -> Image.Image:
    """Convert any decoded Pillow image to plain 8-bit ``RGB`` or ``L``."""
    src = img.mode
    if src in _SIXTEEN_BIT_MODES or src in ("I", "F"):
        grey = Image.fromarray(_scale_to_uint8(np.asarray(img), src), mode="L")
        return grey if mode == "L" else grey.convert("RGB")
    has_alpha = src in _ALPHA_MODES or "transparency" in img.info
    try:
        if has_alpha:
            rgba = img.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            rgb = Image.alpha_composite(white, rgba).convert("RGB")
        elif mode == "L" and src in ("L", "1", "P"):
            return img.convert("L")
        else:
            rgb = img.convert("RGB")
    except (ValueError, OSError) as err:
        raise _Refused(
            f"{subject} uses a colour format ({src}) this site cannot convert. Please save it "
            "as an ordinary RGB PNG or JPEG and upload it again.",
            f"unsupported colour format ({src})",
        ) from err
    return rgb.convert("L") if mode == "L" else rgb


def _finish_image(
    img: Image.Image, *, size: tuple[int, int] | None, mode: str, name: str
) -> np.ndarray:
    """Decode an opened image and return it as an 8-bit array of the requested mode/size."""
    subject = _subject(name)
    with img:
        if size is not None and img.format == "JPEG":
            side = max(size)
            img.draft(img.mode, (side, side))  # decode at a reduced scale: faster, less memory
        try:
            img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise _Refused(
                f"{subject} is far too large to open safely. Please resize it and upload it again.",
                "too many pixels",
            ) from err
        except Exception as err:  # truncated/corrupt data raises OSError, SyntaxError, ...
            raise _Refused(
                f"{subject} could not be read: the image data is damaged or incomplete (the upload "
                "may have been cut off). Please save the image again and upload it.",
                "damaged or incomplete image",
            ) from err
        try:
            oriented = ImageOps.exif_transpose(img)
        except Exception:  # broken EXIF: keep the pixels as stored
            oriented = img
        out = _to_mode(oriented if oriented is not None else img, mode, subject)
        if size is not None and out.size != tuple(size):
            out = out.resize(tuple(size), Image.Resampling.LANCZOS, reducing_gap=3.0)
        return np.array(out, dtype=np.uint8)


def _check_size_arg(size: tuple[int, int] | None) -> tuple[int, int] | None:
    if size is None:
        return None
    width, height = (int(v) for v in size)
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be two positive integers (width, height), got {size!r}")
    return width, height


def load_image(
    data: bytes,
    *,
    size: tuple[int, int] | None = None,
    mode: str = "RGB",
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_UPLOAD_BYTES,
    name: str = "",
    min_side: int = MIN_SIDE,
    max_aspect: float = MAX_ASPECT,
) -> np.ndarray:
    """Decode an uploaded image into a clean 8-bit array.

    Only PNG, JPEG, WebP, GIF and BMP are parsed (by content, not by filename). EXIF
    orientation is applied; palette, alpha (composited on white), CMYK, 16-bit and
    greyscale images are converted; animated images give their first frame.

    Args:
        data: The uploaded bytes.
        size: ``(width, height)`` to resize to (aspect ratio is not kept), or ``None``.
        mode: ``"RGB"`` for an ``(H, W, 3)`` array or ``"L"`` for ``(H, W)`` greyscale.
        max_pixels: Largest accepted width x height, checked before decoding.
        max_bytes: Largest accepted file size.
        min_side: Smallest accepted width and height, checked before decoding.
        max_aspect: Largest accepted ratio of the longer side to the shorter one.
        name: The upload's filename, used only in messages.

    Returns:
        A ``uint8`` array, ``(H, W, 3)`` for ``"RGB"`` or ``(H, W)`` for ``"L"``.

    Raises:
        UploadError: The bytes are empty, too large, not a supported image, damaged, or
            have too many pixels, or are thinner than ``min_side`` or ``max_aspect`` allow.
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    size = _check_size_arg(size)
    with _BombGuard():
        img = _open_image(
            data,
            max_pixels=max_pixels,
            max_bytes=max_bytes,
            name=name,
            min_side=min_side,
            max_aspect=max_aspect,
        )
        return _finish_image(img, size=size, mode=mode, name=name)
