"""Online only: keras-hub's DeepLabV3+ (ResNet50) trained on Pascal VOC, 21 classes.

Its weights come from Kaggle on first use, so this works only on a server with internet
access; offline, :func:`load_online_segmenter` raises a sentence that points to few-click
segmentation (which needs no download).
"""

from __future__ import annotations

import numpy as np

from dl_core.assets import AssetUnavailable, offline
from dl_core.errors import UserError

PRESET = "deeplab_v3_plus_resnet50_pascalvoc"
SIZE = 512
VOC_CLASSES = [
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "dining table",
    "dog",
    "horse",
    "motorbike",
    "person",
    "potted plant",
    "sheep",
    "sofa",
    "train",
    "tv/monitor",
]
SORRY = (
    "The pretrained DeepLabV3+ (Pascal VOC) downloads its weights from Kaggle, which this "
    "server cannot reach; few-click segmentation above works offline."
)


def load_online_segmenter():
    """keras-hub's ``DeepLabV3ImageSegmenter`` preset (downloads about 160 MB on first use).

    Raises:
        AssetUnavailable: the server is offline or the download failed.
    """
    if offline():
        raise AssetUnavailable(SORRY)
    try:
        import keras_hub

        return keras_hub.models.DeepLabV3ImageSegmenter.from_preset(PRESET)
    except Exception as err:  # no network, Kaggle refused, a truncated download
        raise AssetUnavailable(SORRY) from err


def segment_online(model, image: np.ndarray) -> np.ndarray:
    """Class ids (H, W) over :data:`VOC_CLASSES` for an (H, W, 3) uint8 photo."""
    from PIL import Image

    h, w = np.asarray(image).shape[:2]
    x = np.asarray(Image.fromarray(np.asarray(image, "uint8")).resize((SIZE, SIZE)), "float32")
    try:
        out = np.asarray(model.predict(x[None], verbose=0))[0]
    except Exception as err:  # noqa: BLE001 - an online model we cannot test offline
        raise UserError(
            f"The pretrained model could not segment this photo ({type(err).__name__})."
        ) from err
    ids = np.argmax(out, -1).astype("uint8")
    return np.asarray(Image.fromarray(ids).resize((w, h), Image.NEAREST))
