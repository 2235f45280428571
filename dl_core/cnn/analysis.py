"""Looking inside a CNN: layers, filters, feature maps, Grad-CAM, SmoothGrad, activation
maximisation.

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

import math
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from dl_core.cnn.layers import (  # noqa: F401  (re-exported: analysis.X is the public surface)
    CONV_TYPES,
    check_cnn,
    conv_layers,
    display_image,
    filters,
    find_layer,
    last_conv_layer,
    layer_table,
    model_input,
    network_inputs,
    output_shape,
    top_channels,
    walk,
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


def accuracy_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of an accuracy measured as ``correct`` out of ``n``."""
    if n <= 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def small_sample_note(correct: int, n: int, enough: int = 100) -> str | None:
    """A caveat for an accuracy measured on few test images (``None`` from ``enough`` on)."""
    if n >= enough:
        return None
    lo, hi = accuracy_interval(correct, n)
    return (
        f"Measured on only {n} test image(s): the accuracy on new images could be anywhere "
        f"from {lo:.0%} to {hi:.0%} (95 % interval). Use more images for a firmer number."
    )
