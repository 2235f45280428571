"""Upload widgets: every file goes through :mod:`dl_core.uploads`; errors are one sentence.

Uploaded bytes are kept in the store as a content-addressed blob and the page's URL holds
their fingerprint, so a shared link on the same server brings the upload back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import streamlit as st

from dl_core import assets, uploads
from dl_core.errors import UploadError, UserError
from dl_core.store import Store
from ui.state import UrlState
from ui.text import md_escape, md_list

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp"]
TEXT_TYPES = ["txt", "md", "text", "csv"]


@st.cache_resource(max_entries=1, show_spinner=False)
def _store() -> Store:
    return Store()


def remember(url: UrlState, name: str, data: bytes) -> str:
    """Keep uploaded bytes on the server; put their fingerprint into the URL."""
    fp = _store().put_blob(data)
    url.set_param(name, fp)
    return fp


def recall(url: UrlState, name: str) -> tuple[bytes, str] | None:
    """The bytes whose fingerprint the URL names, if this server still has them."""
    fp = url.get_param(name)
    if not fp:
        return None
    try:
        return _store().get_blob(fp), fp
    except KeyError:
        st.info(
            "The upload this link refers to is no longer on the server; please upload it again."
        )
        url.drop_param(name)
        return None


def image_input(
    url: UrlState,
    name: str = "img",
    *,
    label: str = "Image",
    photos: Sequence[str] | None = None,
    default_photo: str = "chelsea",
    camera: bool = True,
    container=None,
) -> tuple[np.ndarray | None, str]:
    """Pick a bundled photo, upload an image, or take one with the camera.

    Returns:
        (RGB uint8 image or None, a short description of where it came from).
    """
    where = container or st
    photos = list(photos or assets.PHOTOS)
    sources = ["Sample photo", "Upload"] + (["Camera"] if camera else [])
    with where.container():
        src = url(st.segmented_control, label, f"{name}_src", "Sample photo", options=sources)
        src = src or "Sample photo"
        if src == "Sample photo":
            photo = url(
                st.selectbox,
                "Photo",
                f"{name}_photo",
                default_photo if default_photo in photos else photos[0],
                options=photos,
            )
            return assets.load_photo(photo), f"sample photo '{photo}'"
        if src == "Camera":
            shot = st.camera_input(
                "Take a photo (your browser's camera)", key=url.key(f"{name}_cam")
            )
            data = shot.getvalue() if shot is not None else None
        else:
            up = st.file_uploader(
                "Upload an image (PNG, JPEG, WebP, GIF or BMP)",
                type=IMAGE_TYPES,
                key=url.key(f"{name}_file"),
            )
            data = up.getvalue() if up is not None else None
        if data is None:
            again = recall(url, f"{name}_fp")
            if again is None:
                st.caption("No image yet.")
                return None, ""
            data = again[0]
        try:
            image = uploads.load_image(data)
        except UploadError as err:
            st.error(md_escape(err), icon=":material/error:")
            return None, ""
        remember(url, f"{name}_fp", data)
        return image, "your image"


def text_input(
    url: UrlState,
    name: str = "txt",
    *,
    corpora: Sequence[str] | None = None,
    default: str = "hamlet",
    max_chars: int = 5_000_000,
) -> tuple[str | None, str, str | None]:
    """A bundled corpus, an uploaded ``.txt``/``.md`` file, or pasted text.

    Returns:
        (text or None, description, fingerprint of uploaded/pasted text or None).
    """
    corpora = list(corpora or assets.TEXTS)
    src = url(
        st.segmented_control,
        "Text",
        f"{name}_src",
        "Bundled",
        options=["Bundled", "Upload", "Paste"],
    )
    src = src or "Bundled"
    try:
        if src == "Bundled":
            which = url(
                st.selectbox,
                "Corpus",
                f"{name}_corpus",
                default if default in corpora else corpora[0],
                options=corpora,
            )
            return assets.load_text(which), f"bundled '{which}'", None
        if src == "Upload":
            up = st.file_uploader(
                "Upload a text file (.txt or .md)", type=TEXT_TYPES, key=url.key(f"{name}_file")
            )
            data = up.getvalue() if up is not None else None
        else:
            pasted = st.text_area("Paste text", key=url.key(f"{name}_paste"), height=160)
            data = pasted.encode("utf-8") if pasted else None
        if data is None:
            again = recall(url, f"{name}_fp")
            if again is None:
                return None, "", None
            data = again[0]
        text = uploads.load_text(data, max_chars=max_chars)
    except UserError as err:
        st.error(md_escape(err), icon=":material/error:")
        return None, "", None
    fp = remember(url, f"{name}_fp", text.encode("utf-8"))
    return text, "your text", fp


def zip_input(
    url: UrlState,
    name: str = "zip",
    *,
    size: tuple[int, int] | None = None,
    label: str | None = None,
) -> tuple[uploads.ImageDataset | None, str | None]:
    """A zip of class folders (``cats/1.jpg``, ``dogs/2.png``...), checked and decoded.

    Returns:
        (dataset or None, fingerprint of the zip or None). Skipped files and warnings are
        shown under the widget.
    """
    up = st.file_uploader(
        label or "Upload a .zip with one folder per class",
        type=["zip"],
        key=url.key(f"{name}_file"),
    )
    data = up.getvalue() if up is not None else None
    if data is None:
        again = recall(url, f"{name}_fp")
        if again is None:
            return None, None
        data = again[0]
    try:
        ds = uploads.load_image_zip(data, size=size)
    except UploadError as err:
        st.error(md_escape(err), icon=":material/error:")
        return None, None
    fp = remember(url, f"{name}_fp", data)
    show_dataset_notes(ds)
    return ds, fp


def show_dataset_notes(ds: uploads.ImageDataset) -> None:
    """Warnings and skipped files of an uploaded dataset, so nothing is dropped silently."""
    for w in ds.warnings:
        st.warning(md_escape(w), icon=":material/warning:")
    if ds.skipped:
        with st.expander(f"{len(ds.skipped)} file(s) were not used", icon=":material/info:"):
            st.markdown(md_list(ds.skipped))


def class_images_input(
    url: UrlState, name: str = "cls", *, max_classes: int = 10, camera: bool = True
) -> uploads.ImageDataset | None:
    """Create classes, name them, and give each several images (upload or camera shots).

    Returns the checked dataset (skipped files and warnings shown), or ``None`` before any
    image is given or when the images are refused (the reason is shown).
    """
    n = url(
        st.number_input, "Number of classes", f"{name}_n", 2, min_value=2, max_value=max_classes
    )
    files: dict[str, list[tuple[str, bytes]]] = {}
    cols = st.columns(min(int(n), 5))
    for i in range(int(n)):
        with cols[i % len(cols)].container(border=True):
            label = url(st.text_input, f"Class {i + 1}", f"{name}_name{i}", f"class {i + 1}")
            ups = st.file_uploader(
                "Images",
                type=IMAGE_TYPES,
                accept_multiple_files=True,
                key=url.key(f"{name}_files{i}"),
            )
            shot = None
            if camera and st.toggle("Camera", key=url.key(f"{name}_camon{i}")):
                shot = st.camera_input("Take a photo", key=url.key(f"{name}_cam{i}"))
            given = [(f.name, f.getvalue()) for f in ups or []]
            given += [("camera.jpg", shot.getvalue())] if shot is not None else []
            files.setdefault(label, []).extend(given)
    if not any(files.values()):
        return None
    try:
        ds = uploads.load_image_classes(files)
    except UploadError as err:
        st.error(md_escape(err), icon=":material/error:")
        return None
    show_dataset_notes(ds)
    return ds


def images_input(
    url: UrlState,
    name: str = "imgs",
    *,
    label: str = "Images",
    photos: Sequence[str] | None = None,
    default_photos: Sequence[str] = ("horse", "chelsea"),
    max_files: int = 12,
) -> list[tuple[str, np.ndarray]]:
    """Pick several bundled photos or upload several images; returns ``[(name, RGB image)]``.

    Each upload is checked on its own: a bad file gets its sentence and the others are kept.
    Uploads are remembered by fingerprint in the URL (as a list), like :func:`image_input`.
    """
    photos = list(photos or assets.PHOTOS)
    sources = ["Sample photos", "Upload"]
    src = url(st.segmented_control, label, f"{name}_src", sources[0], options=sources)
    if src != "Upload":
        default = [p for p in default_photos if p in photos]
        chosen = url(st.multiselect, "Photos", f"{name}_photos", default, options=photos)
        return [(f"sample photo '{p}'", assets.load_photo(p)) for p in chosen]
    ups = st.file_uploader(
        f"Upload up to {max_files} images (PNG, JPEG, WebP, GIF or BMP)",
        type=IMAGE_TYPES,
        accept_multiple_files=True,
        key=url.key(f"{name}_files"),
    )
    files = [(u.name, u.getvalue()) for u in ups or []]
    if not files:
        for fp in _fingerprints(url.get_param(f"{name}_fps")):
            try:
                files.append((f"upload {fp[:8]}", _store().get_blob(fp)))
            except KeyError:
                st.info("An upload this link refers to is no longer on the server.")
    if len(files) > max_files:
        st.warning(md_escape(f"Only the first {max_files} of {len(files)} images are classified."))
        files = files[:max_files]
    out, fps = [], []
    for file_name, data in files:
        try:
            out.append((file_name, uploads.load_image(data, name=file_name)))
        except UploadError as err:
            st.error(md_escape(str(err)), icon=":material/error:")
            continue
        fps.append(_store().put_blob(data))
    if fps:
        url.set_param(f"{name}_fps", fps)
    elif not files:
        st.caption("No images yet.")
    return out


def _fingerprints(raw: str | None) -> list[str]:
    try:
        value = json.loads(raw) if raw else []
    except json.JSONDecodeError:
        return []
    return [v for v in value if isinstance(v, str)][:100] if isinstance(value, list) else []
