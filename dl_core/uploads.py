"""Safe decoding of everything a visitor uploads: images, text, CSV tables, zip datasets, models.

Every function takes the raw bytes of an upload and either returns clean data (``uint8``
arrays, ``str``, a :class:`pandas.DataFrame`, a Keras model) or raises
:class:`~dl_core.errors.UploadError` whose ``str()`` is a sentence a visitor can act on.
Filenames and MIME types are never trusted: the content decides what a file is.

Limits (sizes, pixel counts, member counts) are arguments with safe defaults, so a page
can tighten them. Nothing here imports Streamlit.
"""

from __future__ import annotations

import codecs
import collections
import csv
import io
import json
import os
import re
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps

from dl_core.errors import UploadError

if TYPE_CHECKING:  # pragma: no cover
    import keras
    import pandas

__all__ = [
    "IMAGE_FORMATS",
    "MAX_PIXELS",
    "MAX_TOTAL_PIXELS",
    "MAX_UPLOAD_BYTES",
    "ImageDataset",
    "cap_vocabulary",
    "load_csv",
    "load_image",
    "load_image_classes",
    "load_image_zip",
    "load_keras_model",
    "load_text",
]

MAX_UPLOAD_BYTES = 20 * 1024**2
"""Largest single upload (and largest single image inside a zip), in bytes."""

MAX_PIXELS = 40_000_000
"""Largest image, in pixels (width x height); below Pillow's own ~89 million."""

MAX_TOTAL_PIXELS = 400_000_000
"""Largest sum of decoded image areas in one dataset (bounds memory and decoding time)."""

IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
"""Pillow formats we are willing to parse; everything else is refused unread."""

_FORMAT_LIST = "PNG, JPEG, WebP, GIF or BMP"
_PLACEHOLDER = "\ufffd"
_CHUNK = 64 * 1024
_IGNORED_BASENAMES = {"thumbs.db", "desktop.ini", "icon\r", "ehthumbs.db"}
_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N"}
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


class _Refused(UploadError):
    """An :class:`UploadError` that also carries a short reason for dataset skip lists."""

    def __init__(self, message: str, short: str) -> None:
        super().__init__(message)
        self.short = short


# --------------------------------------------------------------------------- helpers


def _clean_name(name: str, limit: int = 80) -> str:
    """A filename made safe to show: no control/bidi characters, not too long."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in str(name)
    )
    cleaned = " ".join(cleaned.split()).replace("`", "'")
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def _subject(name: str, default: str = "The file") -> str:
    cleaned = _clean_name(name)
    return f"{default} '{cleaned}'" if cleaned else default


def _size_text(n: int) -> str:
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    if n >= 1024**2:
        return f"{n / 1024**2:.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def _check_bytes(data: bytes, max_bytes: int, subject: str, what: str) -> None:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    if len(data) == 0:
        raise _Refused(
            f"{subject} is empty (0 bytes). Please choose the file again, or save it again "
            f"and upload it as {what}.",
            "empty file (0 bytes)",
        )
    if len(data) > max_bytes:
        actual, limit = _size_text(len(data)), _size_text(max_bytes)
        size_part = "larger than" if actual == limit else f"{actual}, which is more than"
        raise _Refused(
            f"{subject} is {size_part} the {limit} limit. Please upload a smaller file.",
            f"larger than the {_size_text(max_bytes)} limit",
        )


def _sniff(data: bytes) -> str:
    """A human description of what non-image bytes look like, or ``""``."""
    head = bytes(data[:1024])
    low = head.lstrip().lower()
    if head.startswith(b"\x7fELF"):
        return "a Linux program"
    if head.startswith(b"MZ"):
        return "a Windows program"
    if head[:4] in (b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe"):
        return "a macOS program"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    if head.startswith(_HDF5_MAGIC):
        return "an HDF5 data file"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "a TIFF image, which is not supported"
    if head[4:8] == b"ftyp" and head[8:12] in (
        b"heic",
        b"heix",
        b"hevc",
        b"mif1",
        b"msf1",
        b"avif",
    ):
        return "an HEIC/AVIF photo, which is not supported"
    if b"<svg" in low or (low.startswith(b"<?xml") and b"svg" in low):
        return "an SVG drawing, which is not supported"
    if low.startswith((b"<!doctype html", b"<html")):
        return "a web page"
    if head.startswith(b"#!"):
        return "a script"
    return ""


# --------------------------------------------------------------------------- images


def _open_image(data: bytes, *, max_pixels: int, max_bytes: int, name: str) -> Image.Image:
    """Open (but do not decode) an image, enforcing size, format and pixel limits.

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
        name: The upload's filename, used only in messages.

    Returns:
        A ``uint8`` array, ``(H, W, 3)`` for ``"RGB"`` or ``(H, W)`` for ``"L"``.

    Raises:
        UploadError: The bytes are empty, too large, not a supported image, damaged, or
            have too many pixels.
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    size = _check_size_arg(size)
    with _BombGuard():
        img = _open_image(data, max_pixels=max_pixels, max_bytes=max_bytes, name=name)
        return _finish_image(img, size=size, mode=mode, name=name)


# --------------------------------------------------------------------------- text

_WESTERN_PUNCTUATION = set("€‚„…†‡ˆ‰‹Œ‘’“”•–—˜™›œŸ¡¢£¤¥¦§¨©ª«¬­®¯°±²³´µ¶·¸¹º»¼½¾¿×÷")


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    allowed = "\t\n\r\f\v\x1a\x1b"
    bad = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed)
    return bad / len(text)


def _looks_western(text: str) -> bool:
    """Whether a cp1252 decoding reads like Latin-script text (sparse accented letters)."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return True
    odd = sum(1 for ch in non_ascii if not ch.isalpha() and ch not in _WESTERN_PUNCTUATION)
    letters = sum(1 for ch in text if ch.isalpha())
    accented = sum(1 for ch in non_ascii if ch.isalpha())
    return odd <= 0.1 * len(non_ascii) and (letters == 0 or accented <= 0.5 * letters)


def _decode_legacy(data: bytes) -> str | None:
    """Decode bytes that are not UTF-8 and have no BOM; ``None`` if they look binary."""
    from charset_normalizer import from_bytes

    if b"\x00" not in data:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = None
        if text is not None and _control_ratio(text) <= 0.01 and _looks_western(text):
            return text
        excluded = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"]
        best = from_bytes(data, cp_exclusion=excluded).best()
    else:  # NUL bytes: only BOM-less UTF-16/32 can still be text
        best = from_bytes(data).best()
        if best is not None and not best.encoding.startswith(("utf_16", "utf_32")):
            return None
    if best is None or best.chaos > 0.1:
        return None
    text = str(best)
    if _control_ratio(text) > 0.01:
        return None
    return text


def load_text(
    data: bytes,
    *,
    max_bytes: int = 5 * 1024**2,
    max_chars: int = 5_000_000,
    name: str = "",
) -> str:
    """Decode an uploaded text file.

    UTF-8 (with or without BOM) and UTF-16/32 with a BOM are read directly; anything else
    goes through a Western-European check and then ``charset_normalizer``. Binary data
    (NUL bytes, control characters, undecodable bytes) is refused. The result is NFC
    normalised with ``\\n`` newlines and no BOM.

    Args:
        data: The uploaded bytes.
        max_bytes: Largest accepted file size.
        max_chars: Largest accepted number of characters after decoding.
        name: The upload's filename, used only in messages.

    Returns:
        The text.

    Raises:
        UploadError: Empty, too large, too long, or not text.
    """
    subject = _subject(name)
    _check_bytes(data, max_bytes, subject, "a plain-text file")
    data = bytes(data)
    text: str | None
    try:
        if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            text = data.decode("utf-32")
        elif data.startswith(codecs.BOM_UTF8):
            text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = _decode_legacy(data)
    except UnicodeDecodeError as err:
        raise _Refused(
            f"{subject} starts with a Unicode marker but its contents do not match it, so it "
            "cannot be read. Please save it again as UTF-8 text and upload it.",
            "text with a broken encoding",
        ) from err
    if text is None or "\x00" in text or _control_ratio(text) > 0.01:
        kind = _sniff(data)
        looks = f" (it looks like {kind.split(',')[0]})" if kind else ""
        raise _Refused(
            f"{subject} does not look like text{looks}: it contains binary data. Please upload "
            "a plain-text file (.txt or .csv), ideally saved as UTF-8.",
            "not a text file",
        )
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise _Refused(
            f"{subject} is empty: it contains no text, only blank space. Please upload a file "
            "with some text in it.",
            "empty text",
        )
    if len(text) > max_chars:
        raise _Refused(
            f"{subject} has {len(text):,} characters, more than the limit of {max_chars:,}. "
            "Please upload a shorter text.",
            "text too long",
        )
    return text


def cap_vocabulary(text: str, max_vocab: int) -> tuple[str, list[str]]:
    """Keep the ``max_vocab - 1`` most frequent characters and replace the others.

    Rare characters become ``"\\ufffd"`` (the replacement character), so the result uses
    at most ``max_vocab`` distinct characters. Ties are broken by first appearance.

    Args:
        text: The text (usually from :func:`load_text`).
        max_vocab: The largest vocabulary the model accepts, including the placeholder.

    Returns:
        ``(new_text, dropped)``: the text with rare characters replaced, and the replaced
        characters, most frequent first (empty when nothing changed).
    """
    if max_vocab < 2:
        raise ValueError(f"max_vocab must be at least 2, got {max_vocab}")
    counts = collections.Counter(text)
    if len(counts) <= max_vocab:
        return text, []
    counts.pop(_PLACEHOLDER, None)
    ranked = [ch for ch, _ in counts.most_common()]
    dropped = ranked[max_vocab - 1 :]
    table = {ord(ch): _PLACEHOLDER for ch in dropped}
    return text.translate(table), dropped


# --------------------------------------------------------------------------- datasets


@dataclass
class ImageDataset:
    """Images and integer labels decoded from an upload, with what was left out and why.

    Attributes:
        images: RGB ``uint8`` arrays ``(H, W, 3)``, resized to ``size`` when one was given.
        labels: ``int64`` class index of each image (an index into ``class_names``).
        class_names: Class names, sorted; only classes with at least one usable image.
        skipped: One line per file that was not used, e.g. ``"cats/x.txt: not an image"``.
        warnings: Sentences to show the visitor (small or unbalanced classes, merges).
    """

    images: list[np.ndarray]
    labels: np.ndarray
    class_names: list[str]
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    def counts(self) -> dict[str, int]:
        """Number of images per class, in ``class_names`` order."""
        per_label = np.bincount(self.labels, minlength=len(self.class_names))
        return {name: int(per_label[i]) for i, name in enumerate(self.class_names)}

    def as_array(self) -> np.ndarray:
        """Stack the images into one ``(N, H, W, 3)`` ``uint8`` array.

        Raises:
            UploadError: The images do not all have the same size (pass ``size`` when
                loading to avoid this).
        """
        if not self.images:
            return np.zeros((0, 0, 0, 3), dtype=np.uint8)
        shapes = {img.shape for img in self.images}
        if len(shapes) > 1:
            sizes = ", ".join(sorted(f"{s[1]} × {s[0]}" for s in shapes)[:3])
            raise UploadError(
                f"The images have different sizes ({sizes}), so they cannot be used together. "
                "Please resize them all to the same size and upload them again."
            )
        return np.stack(self.images).astype(np.uint8, copy=False)


class _PixelBudget:
    """Running total of decoded pixels across a dataset."""

    def __init__(self, limit: int, subject: str) -> None:
        self.left = limit
        self.limit = limit
        self.subject = subject

    def spend(self, pixels: int) -> None:
        self.left -= pixels
        if self.left < 0:
            raise UploadError(
                f"{self.subject} has more image data than this site can process at once "
                f"(over {self.limit / 1e6:.0f} million pixels in total). Please upload fewer "
                "or smaller images."
            )


def _decode_member(
    data: bytes,
    *,
    label: str,
    size: tuple[int, int] | None,
    budget: _PixelBudget,
    skipped: list[str],
) -> np.ndarray | None:
    """Decode one dataset image; on refusal append ``"label: reason"`` to ``skipped``."""
    try:
        with _BombGuard():
            img = _open_image(data, max_pixels=MAX_PIXELS, max_bytes=MAX_UPLOAD_BYTES, name=label)
            try:
                budget.spend(img.size[0] * img.size[1])
            except UploadError:
                img.close()
                raise
            return _finish_image(img, size=size, mode="RGB", name=label)
    except _Refused as err:
        skipped.append(f"{label}: {err.short}")
        return None


def _build_dataset(
    per_class: dict[str, list[np.ndarray]],
    *,
    skipped: list[str],
    notes: list[str],
    min_classes: int,
    subject: str,
    hint: str,
) -> ImageDataset:
    """Common checks for zip and per-class uploads; builds the :class:`ImageDataset`."""
    notes = list(notes)
    usable = {}
    for cls in sorted(per_class, key=lambda c: (c.casefold(), c)):
        if per_class[cls]:
            usable[cls] = per_class[cls]
        else:
            notes.append(f"Class '{_clean_name(cls)}' has no usable images and was left out.")
    if len(usable) < min_classes:
        if skipped:
            example = _clean_name(skipped[0], 120)
            files_word = "file" if len(skipped) == 1 else "files"
            extra = f" {len(skipped)} {files_word} could not be used (for example {example})."
        else:
            extra = ""
        if not usable:
            raise UploadError(
                f"{subject} contains no usable images in class folders. {hint}{extra}"
            )
        found = ", ".join(f"'{_clean_name(c)}'" for c in usable)
        plural = "class" if len(usable) == 1 else "classes"
        raise UploadError(
            f"{subject} has only {len(usable)} usable {plural} ({found}), but at least "
            f"{min_classes} are needed to train a classifier. {hint}{extra}"
        )
    for cls, imgs in usable.items():
        if len(imgs) == 1:
            notes.append(
                f"Class '{_clean_name(cls)}' has only one image; the model can hardly learn a "
                "class from a single example, so add a few more if you can."
            )
    sizes = {cls: len(imgs) for cls, imgs in usable.items()}
    big = max(sizes, key=lambda c: sizes[c])
    small = min(sizes, key=lambda c: sizes[c])
    if sizes[big] >= 10 * sizes[small]:
        notes.append(
            f"The classes are very unbalanced: '{_clean_name(big)}' has {sizes[big]} images but "
            f"'{_clean_name(small)}' has only {sizes[small]}. The model may learn to favour "
            f"'{_clean_name(big)}'; try to give each class a similar number of images."
        )
    images: list[np.ndarray] = []
    labels: list[int] = []
    for index, imgs in enumerate(usable.values()):
        images.extend(imgs)
        labels.extend([index] * len(imgs))
    return ImageDataset(
        images=images,
        labels=np.asarray(labels, dtype=np.int64),
        class_names=list(usable),
        skipped=list(skipped),
        warnings=notes,
    )


def _unsafe_member_name(name: str) -> bool:
    """Whether a zip member name could escape the archive (traversal, absolute, drive)."""
    norm = name.replace("\\", "/")
    if "\x00" in norm or norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return True
    return any(part == ".." for part in norm.split("/"))


def _ignored_member(parts: Sequence[str]) -> bool:
    return any(
        part.startswith(".") or part == "__MACOSX" or part.casefold() in _IGNORED_BASENAMES
        for part in parts
    )


def _declared_size(infos: Sequence[zipfile.ZipInfo]) -> int:
    """Total uncompressed size the zip's central directory claims for its files."""
    return sum(info.file_size for info in infos if not info.is_dir())


def _read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, per_member: int, budget: list[int], limit: int
) -> tuple[bytes | None, str]:
    """Read one member in chunks, spending the shared uncompressed-bytes ``budget``.

    Returns ``(data, "")`` or ``(None, reason)``; raises :class:`UploadError` as soon as
    the whole archive's budget is exceeded (without inflating the rest).
    """
    if info.flag_bits & 0x1:
        return None, "password-protected"
    if info.file_size > per_member:
        return None, f"larger than the {_size_text(per_member)} limit for one image"
    chunks: list[bytes] = []
    total = 0
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise UploadError(
                        "The zip unpacks to more than the "
                        f"{_size_text(limit)} limit, so it was refused. Please upload a smaller "
                        "dataset."
                    )
                if total > per_member:
                    return None, f"larger than the {_size_text(per_member)} limit for one image"
                chunks.append(chunk)
    except UploadError:
        raise
    except NotImplementedError:
        return None, "compressed with a method this site cannot read"
    except Exception:  # BadZipFile (CRC), zlib.error, EOFError, RuntimeError, ...
        return None, "damaged inside the zip"
    return b"".join(chunks), ""


def load_image_zip(
    data: bytes,
    *,
    size: tuple[int, int] | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_members: int = 5000,
    max_total_uncompressed: int = 500 * 1024**2,
    min_classes: int = 2,
    max_total_pixels: int = MAX_TOTAL_PIXELS,
    name: str = "",
    loose_class: str | None = None,
) -> ImageDataset:
    """Decode a zip of class folders (``cats/1.png``, ``dogs/2.jpg``) into a dataset.

    One extra wrapping folder (``data/cats/1.png``) is accepted; ``__MACOSX/``, dotfiles,
    ``Thumbs.db`` and ``desktop.ini`` are ignored. Folder names that differ only in case
    (``Cats`` and ``cats``) are merged into one class, with a warning. Every other file is
    tried as an image; those that fail are listed in ``skipped`` with a reason.

    Args:
        data: The uploaded zip's bytes.
        size: ``(width, height)`` to resize every image to, or ``None`` to keep sizes.
        max_bytes: Largest accepted zip file.
        max_members: Most files (other than ignored ones) the zip may contain.
        max_total_uncompressed: Most bytes the zip may unpack to; checked from the
            declared sizes before reading and again while reading.
        min_classes: Fewest classes with at least one usable image.
        max_total_pixels: Most decoded pixels (sum of width x height) over all images.
        name: The upload's filename, used only in messages.
        loose_class: Class name for images that are not inside a folder (for models that
            need no classes, e.g. a GAN); ``None`` (the default) skips them with a reason.

    Returns:
        The :class:`ImageDataset`.

    Raises:
        UploadError: Not a zip, unsafe member names, too many members, too large when
            unpacked, or too few usable classes.
    """
    size = _check_size_arg(size)
    subject = _subject(name, "The zip file")
    _check_bytes(data, max_bytes, subject, "a .zip of class folders")
    buf = io.BytesIO(bytes(data))
    not_zip = (
        f"{subject} is not a zip archive. Please put each class's images in its own folder "
        "(for example cats/ and dogs/), compress those folders into one .zip file and upload it."
    )
    if not zipfile.is_zipfile(buf):
        raise UploadError(not_zip)
    try:
        zf = zipfile.ZipFile(buf)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as err:
        raise UploadError(not_zip) from err
    with zf:
        for info in infos:
            if _unsafe_member_name(info.filename):
                raise UploadError(
                    f"{subject} was refused because it contains a file with an unsafe path "
                    f"('{_clean_name(info.filename)}'). A dataset zip may only contain folders "
                    "and files inside it; please create the zip again from your class folders."
                )
        files: list[tuple[zipfile.ZipInfo, list[str]]] = []
        for info in infos:
            if info.is_dir():
                continue
            parts = [p for p in info.filename.replace("\\", "/").split("/") if p not in ("", ".")]
            if parts and not _ignored_member(parts):
                files.append((info, parts))
        if len(files) > max_members:
            raise UploadError(
                f"{subject} contains {len(files):,} files, more than the limit of "
                f"{max_members:,}. Please upload a smaller dataset (at most {max_members:,} images)."
            )
        declared = _declared_size(infos)
        if declared > max_total_uncompressed:
            raise UploadError(
                f"{subject} would unpack to {_size_text(declared)}, more than the "
                f"{_size_text(max_total_uncompressed)} limit, so it was refused. Please upload "
                "a smaller dataset."
            )

        tops = {parts[0] for _, parts in files}
        if len(tops) == 1 and any(len(parts) >= 3 for _, parts in files):
            files = [(info, parts[1:]) for info, parts in files]  # one wrapping folder

        skipped: list[str] = []
        notes: list[str] = []
        per_class: dict[str, list[np.ndarray]] = {}
        spelled: dict[str, set[str]] = {}
        budget = [max_total_uncompressed]
        pixels = _PixelBudget(max_total_pixels, subject)
        for info, parts in files:
            label = _clean_name(info.filename, 120)
            if len(parts) < 2 and loose_class is not None:
                parts = [loose_class, *parts]
            if len(parts) < 2:
                skipped.append(f"{label}: not inside a class folder")
                continue
            folder = parts[0].strip()
            if not folder:
                skipped.append(f"{label}: not inside a class folder")
                continue
            key = folder.casefold()
            spelled.setdefault(key, set()).add(folder)
            payload, reason = _read_member(
                zf,
                info,
                per_member=MAX_UPLOAD_BYTES,
                budget=budget,
                limit=max_total_uncompressed,
            )
            if payload is None:
                skipped.append(f"{label}: {reason}")
                continue
            array = _decode_member(payload, label=label, size=size, budget=pixels, skipped=skipped)
            per_class.setdefault(key, [])
            if array is not None:
                per_class[key].append(array)

    named: dict[str, list[np.ndarray]] = {}
    for key, variants in spelled.items():
        display = sorted(variants)[0]
        if len(variants) > 1:
            listed = " and ".join(f"'{_clean_name(v)}'" for v in sorted(variants))
            notes.append(
                f"The folders {listed} differ only in upper/lower case, so they were merged "
                f"into one class, '{_clean_name(display)}'."
            )
        named[display] = per_class.get(key, [])
    return _build_dataset(
        named,
        skipped=skipped,
        notes=notes,
        min_classes=min_classes,
        subject=subject,
        hint=(
            "Put each class's images in its own folder (for example cats/ and dogs/), zip the "
            "folders together and upload the zip again."
        ),
    )


def load_image_classes(
    files: Mapping[str, Sequence[tuple[str, bytes]]],
    *,
    size: tuple[int, int] | None = None,
    min_classes: int = 2,
    max_total_pixels: int = MAX_TOTAL_PIXELS,
) -> ImageDataset:
    """Build a dataset from images uploaded class by class on a page.

    Args:
        files: Class name -> list of ``(filename, bytes)``.
        size: ``(width, height)`` to resize every image to, or ``None``.
        min_classes: Fewest classes with at least one usable image.
        max_total_pixels: Most decoded pixels (sum of width x height) over all images.

    Returns:
        The :class:`ImageDataset`; files that are not usable images are in ``skipped``.

    Raises:
        UploadError: A class name is empty or repeated (ignoring case), or fewer than
            ``min_classes`` classes have a usable image.
    """
    size = _check_size_arg(size)
    seen: dict[str, str] = {}
    for raw in files:
        cls = str(raw).strip()
        if not cls:
            raise UploadError(
                "One of the classes has no name. Please give every class a name (for example "
                "'cats') before adding images."
            )
        key = cls.casefold()
        if key in seen:
            raise UploadError(
                f"Two classes are both called '{_clean_name(cls)}' (names are compared without "
                "regard to upper/lower case). Please give each class a different name."
            )
        seen[key] = cls
    skipped: list[str] = []
    per_class: dict[str, list[np.ndarray]] = {}
    pixels = _PixelBudget(max_total_pixels, "The upload")
    for raw, uploads in files.items():
        cls = str(raw).strip()
        per_class[cls] = []
        for filename, payload in uploads:
            label = f"{_clean_name(cls)}/{_clean_name(filename)}"
            array = _decode_member(payload, label=label, size=size, budget=pixels, skipped=skipped)
            if array is not None:
                per_class[cls].append(array)
    return _build_dataset(
        per_class,
        skipped=skipped,
        notes=[],
        min_classes=min_classes,
        subject="The upload",
        hint="Please add images to at least that many classes.",
    )


# --------------------------------------------------------------------------- tables


def _parser_message(err: Exception) -> str:
    text = str(err)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        want, line, got = match.groups()
        return f"line {line} has {got} values but the first rows have {want}"
    if "EOF inside string" in text or "EOF while" in text:
        return "a quotation mark is opened but never closed"
    return "its rows do not have a consistent number of columns"


def load_csv(
    data: bytes,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_rows: int = 100_000,
    max_columns: int = 1000,
    name: str = "",
) -> tuple[pandas.DataFrame, list[str]]:
    """Parse an uploaded CSV (comma, semicolon, tab or ``|`` separated) into a DataFrame.

    The bytes are decoded with the same rules as :func:`load_text`.

    Args:
        data: The uploaded bytes.
        max_bytes: Largest accepted file size.
        max_rows: Rows kept; extra rows are dropped with a warning.
        max_columns: Most columns accepted.
        name: The upload's filename, used only in messages.

    Returns:
        ``(frame, warnings)``; ``warnings`` are sentences to show the visitor.

    Raises:
        UploadError: Not text, not a table, no data rows, or too many columns.
    """
    import pandas as pd

    subject = _subject(name)
    text = load_text(data, max_bytes=max_bytes, max_chars=max_bytes, name=name)
    lines = text.split("\n", 20)[:20]
    sample = "\n".join(lines)[:16384]
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    if lines[0].count(sep) + 1 > max_columns:
        raise UploadError(
            f"{subject} has {lines[0].count(sep) + 1:,} columns, more than the limit of "
            f"{max_columns:,}. Please upload a table with fewer columns."
        )

    def not_table(why: str) -> str:
        return (
            f"{subject} could not be read as a table: {why}. Please upload a CSV file with a "
            "header row and one row per example, with values separated by commas."
        )

    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, nrows=max_rows + 1, engine="c")
    except pd.errors.EmptyDataError as err:
        raise UploadError(not_table("it has no rows")) from err
    except pd.errors.ParserError as err:
        raise UploadError(not_table(_parser_message(err))) from err
    except (ValueError, csv.Error, OverflowError, MemoryError) as err:
        raise UploadError(not_table("its contents are not in CSV form")) from err
    if frame.shape[1] == 0:
        raise UploadError(not_table("it has no columns"))
    if frame.shape[1] > max_columns:
        raise UploadError(
            f"{subject} has {frame.shape[1]:,} columns, more than the limit of "
            f"{max_columns:,}. Please upload a table with fewer columns."
        )
    if frame.shape[0] == 0:
        raise UploadError(
            f"{subject} has a header row but no data rows. Please upload a CSV with at least "
            "one row of values under the header."
        )
    notes: list[str] = []
    if len(frame) > max_rows:
        frame = frame.iloc[:max_rows].copy()
        notes.append(
            f"Only the first {max_rows:,} rows were used; the rest of the file was ignored."
        )
    if frame.shape[1] == 1:
        notes.append(
            "Only one column was found. If your file separates values with something other "
            "than commas, semicolons, tabs or '|', save it again as a comma-separated CSV."
        )
    return frame, notes


# --------------------------------------------------------------------------- models


def load_keras_model(data: bytes, *, max_bytes: int = 200 * 1024**2, name: str = "") -> keras.Model:
    """Load an uploaded ``.keras`` model file safely (``safe_mode=True``, not compiled).

    Args:
        data: The uploaded bytes.
        max_bytes: Largest accepted file size.
        name: The upload's filename, used only in messages.

    Returns:
        The uncompiled ``keras.Model``.

    Raises:
        UploadError: Not a ``.keras`` file (legacy ``.h5`` files get their own advice),
            too large, unsafe (``Lambda`` layers), or not loadable.
    """
    subject = _subject(name)
    _check_bytes(data, max_bytes, subject, "a .keras model file")
    data = bytes(data)
    resave = "Please save the model with model.save('model.keras') and upload that file."
    not_keras = (
        f"{subject} is not a Keras .keras model file, so it cannot be loaded. "
        "The .keras format is a zip containing config.json and model.weights.h5. " + resave
    )
    if data.startswith(_HDF5_MAGIC):
        raise UploadError(
            f"{subject} is an older Keras .h5 (HDF5) model, which this site does not load. "
            "Please load it in Keras on your computer, save it again with "
            "model.save('model.keras'), and upload the .keras file."
        )
    buf = io.BytesIO(data)
    if not zipfile.is_zipfile(buf):
        raise UploadError(not_keras)
    try:
        with zipfile.ZipFile(buf) as zf:
            infos = zf.infolist()
            names = {info.filename for info in infos}
            if "config.json" not in names or "model.weights.h5" not in names:
                raise UploadError(not_keras)
            if any(_unsafe_member_name(info.filename) for info in infos):
                raise UploadError(not_keras)
            declared = sum(info.file_size for info in infos)
            if declared > 4 * max_bytes:
                raise UploadError(
                    f"{subject} would unpack to {_size_text(declared)}, more than the "
                    f"{_size_text(4 * max_bytes)} limit, so it was refused. Please upload a "
                    "smaller model."
                )
            if zf.getinfo("config.json").file_size > 16 * 1024**2:
                raise UploadError(not_keras)
            json.loads(zf.read("config.json"))
    except UploadError:
        raise
    except Exception as err:  # bad zip, bad JSON, CRC errors...
        raise UploadError(not_keras) from err

    import keras

    with tempfile.TemporaryDirectory(prefix="dl-explorer-upload-") as tmp:
        path = os.path.join(tmp, "upload.keras")
        with open(path, "wb") as fh:
            fh.write(data)
        try:
            model = keras.saving.load_model(path, safe_mode=True, compile=False)
        except Exception as err:
            detail = str(err)
            if "Lambda" in detail or "safe_mode" in detail or "unsafe" in detail.lower():
                raise UploadError(
                    f"{subject} contains a Lambda layer (arbitrary Python code), which this site "
                    "refuses to load for safety. Please rebuild the model with standard Keras "
                    "layers only, save it as .keras and upload it again."
                ) from err
            if "Could not locate" in detail or "Unknown" in detail or "custom" in detail:
                raise UploadError(
                    f"{subject} uses custom layers or code this site does not know, so it "
                    "cannot be loaded. Please use a model built from standard Keras layers."
                ) from err
            raise UploadError(
                f"{subject} could not be loaded as a Keras model: it may be damaged or saved "
                f"by an incompatible Keras version (this site uses Keras {keras.__version__}). "
                + resave
            ) from err
    if not isinstance(model, keras.Model):
        raise UploadError(
            f"{subject} contains a Keras layer, not a whole model. Please save a keras.Model "
            "with model.save('model.keras') and upload that."
        )
    return model
