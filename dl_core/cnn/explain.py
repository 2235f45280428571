"""Looking inside a CNN: layers, filters, feature maps, Grad-CAM, SmoothGrad, activation maximisation.

Every function takes a Keras model and NumPy arrays and returns NumPy arrays. They work on
any Keras CNN, **including one that wraps another model as a layer** (a transfer-learning
classifier ``Sequential([backbone, GlobalAveragePooling2D(), Dense(n)])``): layers are found
by name at any depth, and the forward pass is re-run through the nested graphs with the
chosen layer's output intercepted (:func:`_run`), so no sub-model has to be rebuilt.

- Grad-CAM: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
  Gradient-based Localization" (ICCV 2017).
- SmoothGrad: Smilkov et al., "SmoothGrad: removing noise by adding noise" (2017).
- Activation maximisation: Erhan et al. (2009); Olah et al., "Feature Visualization",
  Distill (2017).

Gradients come from the active Keras backend (TensorFlow, JAX or PyTorch) in
:func:`_value_and_grad`, the only backend-specific function here.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from dl_core.errors import UploadError

CONV_TYPES = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)
_FOLLOWERS = (  # layers that finish a conv block: Grad-CAM uses the block's output
    keras.layers.BatchNormalization, keras.layers.ReLU, keras.layers.Activation, keras.layers.Add,
)  # fmt: skip


# -- finding layers, nested models included ------------------------------------------------------
def walk(model: keras.Model) -> list[keras.layers.Layer]:
    """Every layer, input to output, with nested models expanded in place (not listed)."""
    out: list[keras.layers.Layer] = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out.extend(walk(layer))
        elif not isinstance(layer, keras.layers.InputLayer):
            out.append(layer)
    return out


def find_layer(model: keras.Model, name: str) -> keras.layers.Layer:
    """The layer called ``name`` at any depth of ``model``.

    Raises:
        ValueError: no layer has that name.
    """
    for layer in walk(model):
        if layer.name == name:
            return layer
    raise ValueError(f"The model has no layer called '{name}'.")


def conv_layers(model: keras.Model) -> list[str]:
    """Names of the convolution layers (Conv2D, DepthwiseConv2D, SeparableConv2D), in order."""
    return [layer.name for layer in walk(model) if isinstance(layer, CONV_TYPES)]


def last_conv_layer(model: keras.Model) -> str:
    """The layer Grad-CAM uses by default: the last convolution layer (at any depth), or the
    batch-norm / residual add / activation right after it when they follow (so the map is what
    the next layers see: EfficientNet's ``top_activation``, ResNet50's ``conv5_block3_out``).

    Raises:
        ValueError: the model has no convolution layer.
    """
    layers = walk(model)
    idx = [i for i, layer in enumerate(layers) if isinstance(layer, CONV_TYPES)]
    if not idx:
        raise ValueError("The model has no convolution layer, so Grad-CAM has nothing to use.")
    i = idx[-1]
    while i + 1 < len(layers) and isinstance(layers[i + 1], _FOLLOWERS):
        i += 1
    return layers[i].name


def output_shape(layer: keras.layers.Layer) -> tuple | None:
    """A layer's output shape without the batch axis, or None when unknown."""
    try:
        return tuple(layer.output.shape[1:])
    except (AttributeError, ValueError):
        return None


def layer_table(model: keras.Model) -> list[dict[str, Any]]:
    """One row per layer (nested models expanded): name, type, output shape, parameters."""
    return [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "shape": output_shape(layer),
            "params": int(layer.count_params()) if layer.built else 0,
        }
        for layer in walk(model)
    ]


def check_cnn(model: keras.Model) -> None:
    """Raise UploadError unless ``model`` takes images and has a convolution layer."""
    shape = getattr(model, "input_shape", None)
    if not isinstance(shape, tuple) or len(shape) != 4:
        raise UploadError(
            f"This model takes inputs of shape {shape}, not images (batch, height, width, "
            "channels), so it is not a CNN this page can explore."
        )
    if not conv_layers(model):
        raise UploadError(
            "This model has no convolution layer (Conv2D, DepthwiseConv2D or SeparableConv2D), "
            "so it is not a CNN. Please upload a convolutional network."
        )


# -- running a model with one layer intercepted ---------------------------------------------------
class _Stop(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


def _contains(model: keras.Model, target: keras.layers.Layer) -> bool:
    return any(layer is target for layer in walk(model))


def _run(model: keras.Model, x: Any, swaps: dict[int, Callable]) -> Any:
    """``model(x)`` for inference, where a layer ``L`` with ``id(L)`` in ``swaps`` is replaced
    by ``swaps[id(L)](L, *args)`` (at any nesting depth). A swap may raise :class:`_Stop`."""

    targets = [t for t in walk(model) if id(t) in swaps]

    def operation(op: Any) -> Callable:
        if id(op) in swaps:
            return lambda *args, **kwargs: swaps[id(op)](op, *args)
        if isinstance(op, keras.Model) and any(_contains(op, t) for t in targets):
            return lambda inputs, *args, **kwargs: _run(op, inputs, swaps)
        return op

    graph = model._functional if isinstance(model, keras.Sequential) else model
    if graph is None:  # a Sequential built without an Input: a plain chain
        for layer in model.layers:
            x = operation(layer)(x)
        return x
    out = graph._run_through_graph(graph._standardize_inputs(x), operation_fn=operation)
    return out[0] if isinstance(out, (list, tuple)) and len(out) == 1 else out


def activations(model: keras.Model, images: np.ndarray, layer_name: str) -> np.ndarray:
    """Output of layer ``layer_name`` for a batch (stops the forward pass there)."""
    return _to_numpy(
        _activations(model, np.asarray(images, np.float32), find_layer(model, layer_name))
    )


def _activations(model: keras.Model, x: Any, target: keras.layers.Layer) -> Any:
    def stop(op, *args):
        raise _Stop(op(*args))

    try:
        _run(model, x, {id(target): stop})
    except _Stop as s:
        return s.value
    raise ValueError(f"The layer '{target.name}' is not on the path from input to output.")


def _score_layer(model: keras.Model) -> tuple[keras.layers.Layer, Callable] | None:
    """The final layer and a swap that returns its logits when it ends in a softmax."""
    last = walk(model)[-1]
    act = getattr(last, "activation", None)
    if isinstance(last, keras.layers.Softmax) or (
        isinstance(last, keras.layers.Activation) and act is keras.activations.softmax
    ):
        return last, lambda op, x: x
    if isinstance(last, keras.layers.Dense) and act is keras.activations.softmax:
        return last, lambda op, x: ops.matmul(x, op.kernel) + (op.bias if op.use_bias else 0.0)
    return None


def class_scores(model: keras.Model, x: Any, swaps: dict[int, Callable] | None = None) -> Any:
    """Pre-softmax class scores (logits) of ``model`` on ``x``: the softmax of a final
    ``Dense(..., activation="softmax")`` or ``Softmax`` layer is left out (Grad-CAM's y^c)."""
    swaps = dict(swaps or {})
    found = _score_layer(model)
    if found is not None:
        swaps[id(found[0])] = found[1]
    return _run(model, x, swaps)


def _value_and_grad(fn: Callable[[Any], Any], x: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(fn(x), d sum(fn(x)) / dx)`` as NumPy arrays with the active Keras backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = fn(x)
            total = tf.reduce_sum(y)
        return y.numpy(), tape.gradient(total, x).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        def f(v):
            y = fn(v)
            return jnp.sum(y), y

        (_, y), g = jax.value_and_grad(f, has_aux=True)(jnp.asarray(x))
        return np.asarray(y), np.asarray(g)
    if backend == "torch":
        v = ops.convert_to_tensor(x).detach().requires_grad_(True)
        y = fn(v)
        y.sum().backward()
        return y.detach().cpu().numpy(), v.grad.detach().cpu().numpy()
    raise NotImplementedError(f"gradients are not implemented for the {backend} backend")


def _to_numpy(x: Any) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(x))


def _class_column(scores: Any, class_index: int | Sequence[int]) -> Any:
    n = scores.shape[0]
    idx = np.broadcast_to(np.asarray(class_index, dtype="int32"), (n,))
    one_hot = ops.one_hot(ops.convert_to_tensor(idx), scores.shape[-1], dtype=scores.dtype)
    return ops.sum(scores * one_hot, axis=-1)  # (N,)


def _one_hot(class_index: int | Sequence[int], n: int, model: keras.Model) -> np.ndarray:
    classes = int(model.output_shape[-1])
    idx = np.broadcast_to(np.asarray(class_index, dtype=np.int64), (n,))
    return np.eye(classes, dtype=np.float32)[idx]  # (N, classes)


COMPILE = True  # TensorFlow: compiled one-pass gradients (tests switch it off to compare)


def _use_tf_compiled() -> bool:
    return COMPILE and keras.backend.backend() == "tensorflow"


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _compiled(model: keras.Model, key: tuple, make: Callable[[], Callable]) -> Callable:
    """A compiled function for ``model``, built once per ``key`` and kept while the model lives."""
    with _CACHE_LOCK:
        per_model = _CACHE.setdefault(model, {})
        if key not in per_model:
            per_model[key] = make()
        return per_model[key]


def _cam_tf(model: keras.Model, target: keras.layers.Layer) -> Callable:
    """TensorFlow only: ``(x, one_hot) -> (A, d y^c / d A)`` in one compiled pass."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def cam(x, one_hot):
        seen = []
        with tf.GradientTape() as tape:

            def watch(op, *args):
                out = op(*args)
                tape.watch(out)
                seen.append(out)
                return out

            y = tf.reduce_sum(class_scores(model, x, {id(target): watch}) * one_hot)
        return seen[0], tape.gradient(y, seen[0])

    return cam


def _input_grad_tf(model: keras.Model) -> Callable:
    """TensorFlow only: ``(x, one_hot) -> d y^c / d x``, compiled."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def grad(x, one_hot):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(class_scores(model, x) * one_hot)
        return tape.gradient(y, x)

    return grad


def _feature_grad_tf(model: keras.Model, target: keras.layers.Layer) -> Callable:
    """TensorFlow only: ``(x, pick) -> (mean of A·pick over space, its gradient wrt x)``."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def feature(x, pick):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = tf.reduce_mean(
                tf.tensordot(_activations(model, x, target), pick, 1), axis=(1, 2)
            )
            total = tf.reduce_sum(value)
        return value, tape.gradient(total, x)

    return feature


# -- explanations ---------------------------------------------------------------------------------
def grad_cam(
    model: keras.Model,
    image_batch: np.ndarray,
    class_index: int | Sequence[int],
    layer_name: str | None = None,
) -> np.ndarray:
    """Grad-CAM heatmaps: where in each image the evidence for ``class_index`` lies.

    ``L^c = ReLU(sum_k a_k^c A^k)`` with ``a_k^c`` the spatial mean of ``d y^c / d A^k``:
    ``A`` is the chosen layer's output and ``y^c`` the class score before the softmax.

    Works on nested models: ``model`` may wrap another model as a layer (e.g.
    ``Sequential([imagenet_backbone, GlobalAveragePooling2D(), Dense(5, "softmax")])``);
    the layer is then looked up inside the backbone.

    Args:
        model: a Keras image classifier (any Keras backend).
        image_batch: ``(N, H, W, C)`` float32, already preprocessed the way ``model`` expects.
        class_index: one class for all images, or one per image.
        layer_name: name of the layer whose maps to weigh, at any depth; default
            :func:`last_conv_layer` (the last convolution, after its batch-norm/activation).

    Returns:
        ``(N, h, w)`` float32 maps in [0, 1] at the layer's resolution (e.g. 7×7 for a
        224×224 EfficientNet); resize them to the image to overlay (``viz.overlay``).
    """
    x = np.asarray(image_batch, dtype=np.float32)
    target = find_layer(model, layer_name or last_conv_layer(model))
    if _use_tf_compiled():  # one compiled pass, cached per model & layer
        acts, grads = _compiled(model, ("cam", id(target)), lambda: _cam_tf(model, target))(
            x, _one_hot(class_index, x.shape[0], model)
        )
        acts, grads = acts.numpy(), grads.numpy()
    else:
        acts = _to_numpy(_activations(model, x, target))

        def score(a):
            return _class_column(
                class_scores(model, x, {id(target): lambda op, *_: a}), class_index
            )

        _, grads = _value_and_grad(score, acts)  # (N, h, w, C)
    if acts.ndim != 4:
        raise ValueError(
            f"Grad-CAM needs a layer with (N, h, w, C) output; '{target.name}' gives {acts.shape}."
        )
    weights = grads.mean(axis=(1, 2))  # (N, C)
    cam = np.maximum(np.einsum("nhwc,nc->nhw", acts, weights), 0.0)
    peak = cam.max(axis=(1, 2), keepdims=True)
    return np.where(peak > 0, cam / np.where(peak > 0, peak, 1.0), 0.0).astype(np.float32)


def smoothgrad(
    model: keras.Model,
    image: np.ndarray,
    class_index: int,
    samples: int = 12,
    noise: float = 0.15,
    seed: int = 0,
) -> np.ndarray:
    """SmoothGrad saliency: ``mean_i |d y^c / d x|`` over noisy copies of one image.

    Args:
        image: ``(H, W, C)`` preprocessed input (one image).
        noise: noise standard deviation as a fraction of the image's value range.

    Returns:
        ``(H, W)`` float32 in [0, 1] (channels reduced by their maximum; the top 1 % clipped).
    """
    x = np.asarray(image, dtype=np.float32)
    rng = np.random.default_rng(seed)
    sigma = noise * float(x.max() - x.min() or 1.0)
    batch = x[None] + rng.normal(0, sigma, size=(samples, *x.shape)).astype(np.float32)
    if _use_tf_compiled():
        grads = _compiled(model, ("input",), lambda: _input_grad_tf(model))(
            batch, _one_hot(class_index, samples, model)
        ).numpy()
    else:
        _, grads = _value_and_grad(
            lambda v: _class_column(class_scores(model, v), class_index), batch
        )
    sal = np.abs(grads).mean(axis=0).max(axis=-1)  # (H, W)
    top = float(np.percentile(sal, 99)) or 1.0
    return np.clip(sal / top, 0, 1).astype(np.float32)


def top_channels(maps: np.ndarray, k: int = 16) -> np.ndarray:
    """Indices of the ``k`` channels of ``(h, w, C)`` maps with the highest mean activation."""
    return np.argsort(-np.asarray(maps).reshape(-1, maps.shape[-1]).mean(axis=0), kind="stable")[:k]


def filters(model: keras.Model, layer_name: str) -> np.ndarray:
    """A convolution layer's kernel ``(kh, kw, in_channels, filters)``; for depthwise (and
    separable) layers the depthwise kernel ``(kh, kw, channels, multiplier)``."""
    layer = find_layer(model, layer_name)
    if not isinstance(layer, CONV_TYPES):
        raise ValueError(f"'{layer_name}' is not a convolution layer.")
    kernel = layer.depthwise_kernel if hasattr(layer, "depthwise_kernel") else layer.kernel
    return _to_numpy(kernel).astype(np.float32)


def activation_maximisation(
    model: keras.Model,
    layer_name: str,
    filter_index: int,
    *,
    steps: int = 40,
    size: int | None = None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    step_size: float = 0.04,
    decay: float = 0.01,
    blur_every: int = 4,
    jitter: int = 0,
    snapshots: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Synthesise the input that most excites one filter, by gradient ascent from noise.

    Maximises the mean of ``A[..., filter_index]`` (the layer's output) over the image, with
    the usual regularisers: a normalised gradient step, L2 decay towards the middle of the
    value range, a 3×3 blur every ``blur_every`` steps and optional random shifts of up to
    ``jitter`` pixels (Olah et al. 2017; off by default: with strided layers a shift changes
    what is measured, so the activation curve would zig-zag).

    Args:
        value_range: the range of the model's (preprocessed) inputs; the image stays inside.
        size: side of the synthesised image (default: the model's input size, at most 128;
            convolutional layers accept any size).

    Returns:
        ``{"image": (S, S, C), "snapshots": (k, S, S, C), "snapshot_steps": [...],
        "activation": [mean activation before step 1, after each step]}``.
    """
    target = find_layer(model, layer_name)
    _, h, w, c = model.input_shape
    side = size or min(h or 64, w or 64, 128)
    lo, hi = value_range
    mid, span = (lo + hi) / 2, hi - lo
    rng = np.random.default_rng(seed)
    x = (mid + 0.05 * span * rng.standard_normal((1, side, side, c))).astype(np.float32)

    def objective(v):
        return ops.mean(_activations(model, v, target)[..., filter_index], axis=(1, 2))

    if _use_tf_compiled():
        compiled = _compiled(
            model, ("feature", id(target)), lambda: _feature_grad_tf(model, target)
        )
        pick = np.eye(int(target.output.shape[-1]), dtype=np.float32)[filter_index]

        def value_and_grad(v):
            value, grad = compiled(v, pick)
            return value.numpy(), grad.numpy()
    else:

        def value_and_grad(v):
            return _value_and_grad(objective, v)

    keep = set(np.linspace(0, steps, snapshots).round().astype(int).tolist())
    shots, shot_steps, trace = [], [], []
    for step in range(steps + 1):
        dy, dx = rng.integers(-jitter, jitter + 1, size=2) if jitter else (0, 0)
        value, grad = value_and_grad(np.roll(x, (dy, dx), axis=(1, 2)))
        trace.append(float(value[0]))
        if step in keep:
            shots.append(x[0].copy())
            shot_steps.append(step)
        if step == steps:
            break
        grad = np.roll(grad, (-dy, -dx), axis=(1, 2))
        x = x + step_size * span * grad / (grad.std() + 1e-8)
        x = mid + (x - mid) * (1 - decay)
        if blur_every and (step + 1) % blur_every == 0:
            x = _blur(x)
        x = np.clip(x, lo, hi).astype(np.float32)
    return {
        "image": x[0],
        "snapshots": np.stack(shots),
        "snapshot_steps": shot_steps,
        "activation": trace,
    }


def _blur(x: np.ndarray) -> np.ndarray:
    """3×3 box blur of (N, H, W, C) with edge padding."""
    p = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    h, w = x.shape[1:3]
    return sum(p[:, i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9.0


# -- inputs for models other than the ImageNet ports ------------------------------------------------
def model_input(model: keras.Model, image: np.ndarray) -> np.ndarray:
    """An RGB uint8 image as a ``(1, H, W, C)`` batch for ``model``: resized to its input
    size, greyscale when it takes one channel, pixels scaled to [0, 1] (the convention of
    the CNNs trained on this page)."""
    _, h, w, c = model.input_shape
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 2:
        img = img[..., None]
    if c == 1 and img.shape[-1] == 3:
        img = img @ np.array([[0.299], [0.587], [0.114]], dtype=np.float32)
    elif c == 3 and img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    if (h, w) != img.shape[:2]:
        img = _to_numpy(
            ops.image.resize(img[None], (h or img.shape[0], w or img.shape[1]), antialias=True)
        )[0]
    return (np.clip(img, 0, 255) / 255.0)[None].astype(np.float32)


def predict(model: keras.Model, batch: np.ndarray) -> np.ndarray:
    """Class probabilities (or whatever the model outputs) for a batch, as NumPy (compiled
    once per model on TensorFlow; thread-safe, unlike ``model.predict``)."""
    x = np.asarray(batch, dtype=np.float32)
    if _use_tf_compiled():
        import tensorflow as tf

        def make():
            return tf.function(lambda v: model(v, training=False), reduce_retracing=True)

        return _compiled(model, ("predict",), make)(x).numpy()
    return _to_numpy(model(x, training=False))


def display_image(image: np.ndarray, size: int, crop: float = 1.0) -> np.ndarray:
    """The central ``crop`` square of an RGB uint8 image resized to ``size`` (what a model
    sees, for overlays); ``crop=0.875`` matches :func:`dl_core.assets.imagenet.preprocess`."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    h, w = img.shape[:2]
    side = max(1, int(round(min(h, w) * crop)))
    top, left = (h - side) // 2, (w - side) // 2
    sq = img[top : top + side, left : left + side, :3].astype(np.float32)
    out = _to_numpy(ops.image.resize(sq[None], (size, size), antialias=True))[0]
    return np.clip(out, 0, 255).round().astype(np.uint8)


def network_inputs(
    source: str, model: keras.Model, image: np.ndarray, class_names: Sequence[str] | None = None
) -> dict[str, Any]:
    """What the page needs to explore ``model`` on one RGB uint8 ``image``.

    Args:
        source: an ImageNet model name (offline or online; its own preprocessing and the
            ImageNet class names are used) or anything else (pixels scaled to [0, 1]).
        class_names: names of the model's classes (default ``"class 0"``, ``"class 1"``...).

    Returns:
        ``{"batch": (1, H, W, C) model input, "shown": (H, W, 3) uint8 image as the model
        sees it, "names": class names, "value_range": (lo, hi) of the model's inputs}``.
    """
    from dl_core.assets import imagenet

    if source in imagenet.IMAGENET_MODELS or source in imagenet.ONLINE_MODELS:
        batch = imagenet.preprocess(source, np.asarray(image)[None])
        ends = imagenet.preprocess(source, np.array([[[[0] * 3]], [[[255] * 3]]], np.uint8))
        return {
            "batch": batch,
            "shown": display_image(image, batch.shape[1], crop=0.875),
            "names": imagenet.class_names(),
            "value_range": (float(ends.min()), float(ends.max())),
        }
    batch = model_input(model, image)
    shown = (batch[0] * 255).round().astype(np.uint8)
    n = int(model.output_shape[-1])
    return {
        "batch": batch,
        "shown": shown if shown.shape[-1] == 3 else np.repeat(shown, 3, axis=-1),
        "names": list(class_names) if class_names else [f"class {k}" for k in range(n)],
        "value_range": (0.0, 1.0),
    }
