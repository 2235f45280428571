"""Safe decoding of everything a visitor uploads: images, text, CSV tables, zip datasets, models.

Every function takes the raw bytes of an upload and either returns clean data (``uint8``
arrays, ``str``, a :class:`pandas.DataFrame`, a Keras model) or raises
:class:`~dl_core.errors.UploadError` whose ``str()`` is a sentence a visitor can act on.
Filenames and MIME types are never trusted: the content decides what a file is.

Limits (sizes, pixel counts, member counts) are arguments with safe defaults, so a page
can tighten them. Nothing here imports Streamlit.
"""

from dl_core.uploads.common import IMAGE_FORMATS, MAX_PIXELS, MAX_TOTAL_PIXELS, MAX_UPLOAD_BYTES
from dl_core.uploads.datasets import ImageDataset, load_image_classes, load_image_zip
from dl_core.uploads.images import load_image
from dl_core.uploads.models import load_keras_model
from dl_core.uploads.tables import load_csv
from dl_core.uploads.text import cap_vocabulary, load_text

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
