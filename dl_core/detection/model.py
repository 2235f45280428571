"""YOLOv8 from keras-cv: the one place in dl_core that imports ``keras_cv``.

Why keras-cv stays (it is in maintenance): keras-hub, its successor, has no YOLOv8 detector.

keras-cv is TensorFlow-specific here (its YOLOv8 loss and label assigner use TF ops) and
slow to import, so nothing else imports this module at load time. Its presets download
from Kaggle, which an offline server cannot do; we build a small ``YOLOV8Backbone`` from
scratch instead (channels ``[w, 2w, 4w, 8w]``) and train it on generated scenes.

How YOLOv8's head works (anchor-free, Jocher et al. 2023; the box coding follows "Generalized
Focal Loss", Li et al. 2020): the feature pyramid gives grids with strides 8, 16 and 32. Every
grid cell centre is an *anchor point*. For each point the head predicts

- class scores: one sigmoid per class (no "objectness"; background = all scores low);
- box sides: the distances left, top, right, bottom from the point to the box edges, each as
  a softmax over 16 bins (0..15 strides); the expected value of that distribution is the
  distance. No anchor *boxes*, so no anchor sizes or ratios to tune.

Training assigns ground truth to points with a task-aligned assigner (score^a * IoU^b among
points inside the box); the box loss is complete-IoU (overlap, centre distance and aspect
ratio) and the class loss is binary cross-entropy against IoU-weighted targets.
"""

from __future__ import annotations

import keras
import keras_cv  # noqa: F401  (registers YOLOV8Detector & co. for loading saved models)
import numpy as np
from keras_cv.models import YOLOV8Backbone, YOLOV8Detector

from dl_core.detection.data import dihedral

BINS = 16  # distance bins per box side (keras-cv's BOX_REGRESSION_CHANNELS // 4)
STRIDES = (8, 16, 32)


def build_detector(
    num_classes: int, image_size: int, width: int = 16, depth: int = 1
) -> YOLOV8Detector:
    """A small YOLOv8 (random init) compiled with CIoU box loss and BCE class loss."""
    backbone = YOLOV8Backbone(
        stackwise_channels=[width, 2 * width, 4 * width, 8 * width],
        stackwise_depth=[depth] * 4,
        include_rescaling=True,  # takes 0..255 pixels
        input_shape=(image_size, image_size, 3),
    )
    model = YOLOV8Detector(
        num_classes=num_classes, bounding_box_format="xyxy", backbone=backbone, fpn_depth=depth
    )
    init_class_biases(model, num_classes, image_size)
    return model


def init_class_biases(model: YOLOV8Detector, num_classes: int, image_size: int) -> None:
    """Start the class scores where Ultralytics' YOLOv8 starts them (keras-cv leaves them at 0).

    With zero biases every anchor point scores 0.5 for every class, so the first hundred
    steps only learn that almost every point is background (a class loss near 40). A prior
    of about 5 objects per image spread over each grid's points (bias ``log(5 / C / cells)``)
    starts the scores near zero, and training goes straight to finding the shapes.
    """
    for level, stride in enumerate(STRIDES, start=1):
        cells = (image_size / stride) ** 2
        cls = model.get_layer(f"yolo_v8_head_{level}_class_3_conv")
        cls.bias.assign(np.full(num_classes, np.log(5 / num_classes / cells), "float32"))


def compile_detector(
    model: YOLOV8Detector, learning_rate: float, eager: bool = False, total_steps: int = 0
) -> None:
    """Adam with gradient clipping; ``eager`` skips graph tracing (faster for a few steps).

    With ``total_steps``, the learning rate warms up linearly over the first tenth of the
    steps and then follows a cosine down to 5 % of ``learning_rate`` (as YOLOv8 trains):
    a from-scratch detector tolerates a high rate once its head has settled, and the decay
    tightens the boxes at the end.
    """
    rate: float | keras.optimizers.schedules.LearningRateSchedule = learning_rate
    if total_steps > 1:
        warmup = max(1, total_steps // 10)
        rate = keras.optimizers.schedules.CosineDecay(
            learning_rate / 10,
            decay_steps=total_steps - warmup,
            alpha=0.05,
            warmup_target=learning_rate,
            warmup_steps=warmup,
        )
    model.compile(
        box_loss="ciou",
        classification_loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(rate, global_clipnorm=10.0),
        jit_compile=False,
        run_eagerly=eager,
    )


def build_training_state(model: YOLOV8Detector, batch: tuple[np.ndarray, dict]) -> None:
    """Create the optimizer's and the losses' variables before ``fit`` traces the step.

    Without this, Keras (TensorFlow, no distribution strategy) creates them during the
    first trace of the training step, and ``tf.function`` must then trace the whole step a
    second time: twice the graph-building wait (about 20 s of CPU here) before step 1.
    """
    model._symbolic_build(data_batch=batch)  # Keras' own pre-build (private; pinned Keras)


def anchor_points(image_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres (A, 2) as x, y in pixels and the stride (A,) of every anchor point.

    Same order as keras-cv's head: stride 8 grid first, rows then columns.
    """
    centres, strides = [], []
    for s in STRIDES:
        n = int(np.ceil(image_size / s))
        ys, xs = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        centres.append(np.stack([xs.ravel(), ys.ravel()], 1) * s + s / 2)
        strides.append(np.full(n * n, s))
    return np.concatenate(centres).astype("float32"), np.concatenate(strides).astype("float32")


def decode(raw_boxes: np.ndarray, image_size: int) -> np.ndarray:
    """Box-side distributions -> boxes in pixels.

    Args:
        raw_boxes: (N, A, 4 * BINS) logits from the head.
        image_size: input side in pixels.

    Returns:
        (N, A, 4) boxes x1, y1, x2, y2.
    """
    n, a, _ = raw_boxes.shape
    logits = raw_boxes.reshape(n, a, 4, BINS).astype("float64")
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)  # softmax over the 16 bins of each side
    dist = p @ np.arange(BINS)  # expected distance in strides: (N, A, 4) = l, t, r, b
    centres, strides = anchor_points(image_size)
    lt = centres[None] - dist[..., :2] * strides[None, :, None]
    rb = centres[None] + dist[..., 2:] * strides[None, :, None]
    return np.concatenate([lt, rb], -1).astype("float32")


def raw_predictions(
    model: YOLOV8Detector, images: np.ndarray, batch_size: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Every anchor point's box (N, A, 4) and class scores (N, A, C), before any NMS.

    Args:
        images: (N, S, S, 3) square images, 0..255, S a multiple of 32.
    """
    size = int(images.shape[1])
    boxes, scores = [], []
    for i in range(0, len(images), batch_size):
        out = model(np.asarray(images[i : i + batch_size], dtype="float32"), training=False)
        boxes.append(decode(keras.ops.convert_to_numpy(out["boxes"]), size))
        scores.append(keras.ops.convert_to_numpy(out["classes"]).astype("float32"))
    return np.concatenate(boxes), np.concatenate(scores)


VOC_PRESET = "yolo_v8_m_pascalvoc"
VOC_SIZE = 640


def pretrained_voc() -> YOLOV8Detector:
    """keras-cv's YOLOv8-M trained on Pascal VOC (20 classes), downloaded from Kaggle.

    Raises:
        AssetUnavailable: the server is offline or the download failed (a sentence).
    """
    from dl_core.assets import AssetUnavailable, offline

    alternative = "Use the face detector, or train your own YOLOv8 below."
    if offline():
        raise AssetUnavailable(
            "The pretrained YOLOv8 (Pascal VOC) downloads its weights from Kaggle, and this "
            f"server is offline. {alternative}"
        )
    try:
        return YOLOV8Detector.from_preset(VOC_PRESET, bounding_box_format="xyxy")
    except Exception as err:  # noqa: BLE001 - any download/parse failure becomes a sentence
        raise AssetUnavailable(
            f"The pretrained YOLOv8 (Pascal VOC) could not be downloaded ({type(err).__name__}). "
            f"{alternative}"
        ) from err


def keras_cv_decode(model: YOLOV8Detector, raw_boxes: np.ndarray) -> np.ndarray:
    """keras-cv's own decoding (for tests: :func:`decode` must agree with it)."""
    from keras_cv.src.models.object_detection.yolo_v8.yolo_v8_detector import (
        decode_regression_to_boxes,
        dist2bbox,
        get_anchors,
    )

    size = int(model.input_shape[1])
    points, strides = get_anchors(image_shape=(size, size, 3))
    dist = decode_regression_to_boxes(keras.ops.convert_to_tensor(raw_boxes))
    boxes = dist2bbox(dist, points) * keras.ops.expand_dims(strides, -1)
    return keras.ops.convert_to_numpy(boxes)


class SceneBatches(keras.utils.PyDataset):
    """Batches of padded scenes, each flipped/transposed at random (exact box transforms)."""

    def __init__(self, x, boxes, classes, batch_size: int, seed: int) -> None:
        super().__init__()
        self.x, self.boxes, self.classes, self.batch_size = x, boxes, classes, batch_size
        self.rng = np.random.default_rng(seed)
        self.perm = self.rng.permutation(len(x))

    def __len__(self) -> int:
        return len(self.x) // self.batch_size

    def __getitem__(self, i: int):
        idx = self.perm[i * self.batch_size : (i + 1) * self.batch_size]
        codes = self.rng.integers(0, 8, len(idx))
        imgs, boxes = dihedral(self.x[idx], self.boxes[idx], self.classes[idx], codes)
        return imgs.astype("float32"), {"boxes": boxes, "classes": self.classes[idx]}

    def on_epoch_end(self) -> None:
        self.perm = self.rng.permutation(len(self.x))
