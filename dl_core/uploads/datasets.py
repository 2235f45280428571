"""Datasets: zips of class folders and images per class, with every limit enforced."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dl_core.errors import UploadError
from dl_core.uploads.common import (
    _CHUNK,
    _IGNORED_BASENAMES,
    MAX_PIXELS,
    MAX_TOTAL_PIXELS,
    MAX_UPLOAD_BYTES,
    _check_bytes,
    _clean_name,
    _Refused,
    _size_text,
    _subject,
)
from dl_core.uploads.images import _BombGuard, _check_size_arg, _finish_image, _open_image

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
                f"{max_members:,}. Please upload a smaller dataset "
                f"(at most {max_members:,} images)."
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
