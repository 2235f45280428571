"""Transfer learning: teach a pretrained ImageNet network the visitor's own classes.

Three ways, same data, same split, same seed (Yosinski et al., "How transferable are
features in deep neural networks?", 2014; the Keras transfer-learning guide):

- **feature extraction** — the backbone is frozen; only a new softmax head is trained on
  its pooled features: ``y = softmax(W · φ(x) + b)``;
- **fine-tuning** — after the head is trained, the top N blocks of the backbone are
  unfrozen and trained together with it at a lower learning rate; BatchNorm layers stay in
  inference mode (their statistics are ImageNet's and a few images would ruin them);
- **from scratch** — the same architecture from random initialisation.

Because the frozen part of the backbone never changes and there is no augmentation, its
output is computed once per image and cached: training then only runs the trainable part.
This is exactly the same model and the same gradients, at a fraction of the cost.

Modules, top to bottom: :mod:`.config` (``Config``, ``PRESETS``, ``validate``), :mod:`.data`
(images, split, dataset checks), :mod:`.model` (backbone, head), :mod:`.train` (``train``,
a job), :mod:`.analysis` (predictions, projection, mistakes), :mod:`.export` (``.keras``,
TFLite, a script), :mod:`.plots` (figures).
"""

from dl_core.transfer.analysis import (
    head_inputs,
    misclassified,
    predict,
    project,
    results_table,
)
from dl_core.transfer.config import (
    ANIMALS,
    BACKBONES,
    CHOICES,
    MODE_TITLES,
    MODES,
    PRESETS,
    Config,
    validate,
)
from dl_core.transfer.data import (
    Data,
    DatasetCheck,
    check_dataset,
    dhash,
    distinct,
    load_data,
    pack_upload,
    split,
    square,
)
from dl_core.transfer.export import code_snippet, export_keras, export_tflite
from dl_core.transfer.model import (
    _backbone,
    assemble,
    assemble_scratch,
    count_params,
    head,
    split_backbone,
)
from dl_core.transfer.plots import (
    plot_comparison,
    plot_counts,
    plot_duplicates,
    plot_mistakes,
    plot_projection,
    thumbnail_rows,
)
from dl_core.transfer.train import train, warmup_jobs

__all__ = [
    "ANIMALS",
    "BACKBONES",
    "MODES",
    "MODE_TITLES",
    "PRESETS",
    "CHOICES",
    "Config",
    "Data",
    "DatasetCheck",
    "_backbone",
    "assemble",
    "assemble_scratch",
    "check_dataset",
    "code_snippet",
    "count_params",
    "dhash",
    "distinct",
    "export_keras",
    "export_tflite",
    "head",
    "load_data",
    "misclassified",
    "pack_upload",
    "plot_comparison",
    "plot_counts",
    "plot_duplicates",
    "plot_mistakes",
    "plot_projection",
    "thumbnail_rows",
    "predict",
    "project",
    "head_inputs",
    "results_table",
    "split",
    "split_backbone",
    "square",
    "train",
    "validate",
    "warmup_jobs",
]
