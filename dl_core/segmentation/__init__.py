"""Semantic segmentation: a class for every pixel, with U-Net and DeepLab.

A segmenter maps an (H, W, 3) image to an (H, W, classes) softmax and is trained with
per-pixel cross-entropy; it is judged by intersection over union per class. U-Net
(Ronneberger et al. 2015, "U-Net: Convolutional Networks for Biomedical Image Segmentation")
brings encoder detail back through skip connections; DeepLabV3+ (Chen et al. 2018, "Encoder-
Decoder with Atrous Separable Convolution") keeps resolution with atrous convolutions and
looks at several scales at once (ASPP). Few-click segmentation trains a per-pixel logistic
head on a frozen ImageNet network's features from a few strokes (as in interactive
segmentation tools, e.g. ilastik's pixel classifier).

Modules, top to bottom: :mod:`.data` (generated scenes, silhouettes, exact masks),
:mod:`.model` (U-Net, DeepLab, the pretrained encoder), :mod:`.config` (``Config``,
``PRESETS``, ``validate``), :mod:`.train` (``train``), :mod:`.analysis` (IoU,
predictions, feature maps, overlays, PNG), :mod:`.fewclick` (strokes to mask on pretrained
features), :mod:`.plots` (figures).
"""

from dl_core.segmentation.analysis import (
    CLASS_COLOURS,
    atrous_taps,
    class_share,
    colourise,
    confusion,
    feature_maps,
    mask_png,
    mean_iou,
    overlay_mask,
    per_class_iou,
    pixel_accuracy,
    predict_masks,
    preview_strip,
    strongest_channels,
    transposed_overlap,
)
from dl_core.segmentation.config import CHOICES, PRESETS, Config, validate
from dl_core.segmentation.data import DATASETS, class_names, draw_shape, make_dataset, make_scenes
from dl_core.segmentation.fewclick import (
    FewClickResult,
    canvas_strokes,
    fit_head,
    join_strokes,
    parse_strokes,
    pixel_features,
    prepare_photo,
    segment_from_strokes,
    segment_pixels,
)
from dl_core.segmentation.model import (
    ARCHITECTURES,
    ENCODERS,
    UPSAMPLING,
    build_deeplab,
    build_unet,
    conv_block,
    pretrained_encoder,
    stage_layers,
)
from dl_core.segmentation.plots import (
    plot_atrous,
    plot_class_share,
    plot_feature_maps,
    plot_head_loss,
    plot_iou,
    plot_overlay,
    plot_predictions,
    plot_probability,
    plot_transposed_conv,
)
from dl_core.segmentation.pretrained import VOC_CLASSES, load_online_segmenter, segment_online
from dl_core.segmentation.train import build_model, train, twin, warmup_jobs

__all__ = [
    "VOC_CLASSES",
    "load_online_segmenter",
    "segment_online",
    "ARCHITECTURES",
    "CLASS_COLOURS",
    "Config",
    "DATASETS",
    "ENCODERS",
    "FewClickResult",
    "PRESETS",
    "CHOICES",
    "UPSAMPLING",
    "atrous_taps",
    "build_deeplab",
    "build_model",
    "build_unet",
    "canvas_strokes",
    "class_names",
    "class_share",
    "colourise",
    "confusion",
    "conv_block",
    "draw_shape",
    "feature_maps",
    "fit_head",
    "join_strokes",
    "make_dataset",
    "make_scenes",
    "mask_png",
    "mean_iou",
    "overlay_mask",
    "parse_strokes",
    "per_class_iou",
    "pixel_accuracy",
    "pixel_features",
    "plot_atrous",
    "plot_class_share",
    "plot_feature_maps",
    "plot_head_loss",
    "plot_iou",
    "plot_overlay",
    "plot_predictions",
    "plot_probability",
    "plot_transposed_conv",
    "predict_masks",
    "prepare_photo",
    "pretrained_encoder",
    "preview_strip",
    "segment_from_strokes",
    "segment_pixels",
    "stage_layers",
    "strongest_channels",
    "train",
    "transposed_overlap",
    "twin",
    "validate",
    "warmup_jobs",
]
