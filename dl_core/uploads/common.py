"""Limits, the refusal type and small helpers shared by every kind of upload."""

from __future__ import annotations

import unicodedata

from dl_core.errors import UploadError

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
