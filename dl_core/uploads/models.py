"""Keras models: ``.keras`` files only, size-capped, loaded with ``safe_mode=True``."""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from typing import TYPE_CHECKING

from dl_core.errors import UploadError
from dl_core.uploads.common import _HDF5_MAGIC, _check_bytes, _size_text, _subject
from dl_core.uploads.datasets import _unsafe_member_name

if TYPE_CHECKING:  # pragma: no cover
    import keras


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
