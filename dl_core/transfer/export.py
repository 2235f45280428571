"""Transfer learning, taking the model away: ``.keras`` and TFLite bytes, and a script that
uses the downloaded model."""

from __future__ import annotations

import os
import tempfile

from dl_core.assets import imagenet
from dl_core.errors import UserError


def export_keras(model) -> bytes:
    """The model as ``.keras`` bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def export_tflite(model) -> bytes:
    """The model as a TFLite (LiteRT) flatbuffer; TensorFlow-only (a ``UserError`` if it fails)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.tflite")
        try:
            model.export(path, format="litert", verbose=False)
        except Exception as err:  # noqa: BLE001 - conversion depends on the installed TF/LiteRT
            raise UserError(
                f"TFLite conversion is not available here ({type(err).__name__}); "
                "the .keras file works everywhere Keras runs."
            ) from err
        with open(path, "rb") as fh:
            return fh.read()


def code_snippet(class_names: list[str], backbone: str) -> str:
    """A short script that loads the downloaded model and classifies one image."""
    spec = imagenet.IMAGENET_MODELS.get(backbone)
    norm = (
        f"(x - {list(spec.mean)}) / {list(spec.std)}"
        if spec
        else "keras.applications preprocess_input"
    )
    return f"""import keras, numpy as np
from PIL import Image

model = keras.saving.load_model("transfer_model.keras")
classes = {class_names!r}
img = Image.open("photo.jpg").convert("RGB")
side = min(img.size)                      # centre square, as in training
left, top = (img.width - side) // 2, (img.height - side) // 2
img = img.crop((left, top, left + side, top + side)).resize((224, 224))
x = np.asarray(img, dtype="float32")[None]
x = {norm}                                # {backbone} preprocessing
probs = model.predict(x)[0]
print(classes[int(probs.argmax())], float(probs.max()))
"""
