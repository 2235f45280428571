"""NumPy analysis of recorded MLP weights: forward pass, neuron outputs over the plane, losses.

Cheap enough to run on every Play frame: a network of a few hundred weights on a 60×60 grid
is a few small matrix products. Nothing here trains a network.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np

from dl_core.basics.data import features as make_features
from dl_core.basics.data import make_dataset

EXTENT = (-1.2, 1.2)  # the plane drawn on the page


# -- weights --------------------------------------------------------------------------------
def flatten(weights: Sequence[np.ndarray]) -> np.ndarray:
    """Keras ``get_weights()`` (kernel, bias, kernel, bias, ...) as one float32 vector."""
    return np.concatenate([np.asarray(w, "float32").ravel() for w in weights])


def unflatten(
    flat: np.ndarray, layout: Sequence[Sequence[int]]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """One vector back to ``[(kernel (in, out), bias (out,)), ...]`` per Dense layer."""
    arrays, i = [], 0
    for shape in layout:
        size = int(np.prod(shape))
        arrays.append(np.asarray(flat[i : i + size]).reshape(shape))
        i += size
    return list(zip(arrays[0::2], arrays[1::2], strict=True))


# -- activations ----------------------------------------------------------------------------
def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return erf(x)


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """The activation functions Keras uses (GELU exact, as ``keras.activations.gelu``)."""
    if name == "relu":
        return np.maximum(z, 0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-np.clip(z, -60, 60)))
    if name == "gelu":
        return 0.5 * z * (1 + _erf(z / np.sqrt(2)))
    return z


def derivative(name: str, z: np.ndarray) -> np.ndarray:
    """d activation / dz."""
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "sigmoid":
        s = activate("sigmoid", z)
        return s * (1 - s)
    if name == "gelu":
        return 0.5 * (1 + _erf(z / np.sqrt(2))) + z * np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi)
    return np.ones_like(z)


# -- forward pass -----------------------------------------------------------------------------
def forward(
    flat: np.ndarray,
    layout,
    points: np.ndarray,
    feature_names,
    activation: str,
    classification: bool,
) -> list[np.ndarray]:
    """Outputs of every layer for ``points`` (n, 2): [features, hidden 1, ..., output (n, 1)].

    Dropout is off, as at prediction time.
    """
    h = make_features(points, list(feature_names))
    outs = [h]
    layers = unflatten(flat, layout)
    for i, (w, b) in enumerate(layers):
        z = h @ w + b
        last = i == len(layers) - 1
        h = (activate("sigmoid", z) if classification else z) if last else activate(activation, z)
        outs.append(h)
    return outs


def predict(flat, layout, points, feature_names, activation, classification) -> np.ndarray:
    """The network's output for each point, (n,)."""
    return forward(flat, layout, points, feature_names, activation, classification)[-1][:, 0]


def loss(pred: np.ndarray, target: np.ndarray, kind: str) -> float:
    """Mean cross-entropy (probabilities vs 0/1 labels) or mean squared error."""
    if kind == "cross-entropy":
        p = np.clip(pred, 1e-7, 1 - 1e-7)
        return float(-np.mean(target * np.log(p) + (1 - target) * np.log(1 - p)))
    return float(np.mean((pred - target) ** 2))


def accuracy(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.mean((pred > 0.5) == (target > 0.5)))


def grid(
    resolution: int = 60, extent: tuple[float, float] = EXTENT
) -> tuple[np.ndarray, np.ndarray]:
    """Axis coordinates (r,) and the (r*r, 2) points of a square grid over the plane."""
    axis = np.linspace(*extent, resolution).astype("float32")
    gx, gy = np.meshgrid(axis, axis)
    return axis, np.stack([gx.ravel(), gy.ravel()], 1)


def neuron_maps(
    flat, layout, feature_names, activation, classification, resolution: int = 24
) -> list[np.ndarray]:
    """Each neuron's output over the plane: one (neurons, r, r) array per layer, inputs first."""
    _, pts = grid(resolution)
    outs = forward(flat, layout, pts, feature_names, activation, classification)
    return [o.T.reshape(o.shape[1], resolution, resolution) for o in outs]


def boundary(
    flat, layout, feature_names, activation, classification, resolution: int = 80
) -> np.ndarray:
    """The network's output over the plane, (r, r); row 0 is the bottom (y = -1.2)."""
    _, pts = grid(resolution)
    return predict(flat, layout, pts, feature_names, activation, classification).reshape(
        resolution, resolution
    )


def epoch_of(steps: np.ndarray, steps_per_epoch: int) -> np.ndarray:
    """Epoch (float) reached at each snapshot."""
    return np.asarray(steps) / max(1, steps_per_epoch)


# -- small lessons (a handful of NumPy steps each, no Keras) ---------------------------------
def perceptron(points: np.ndarray, labels: np.ndarray, epochs: int = 50, lr: float = 0.1):
    """Rosenblatt's perceptron rule on raw (x, y): w ← w + η (t − ŷ) x, one point at a time.

    Returns:
        ``(w (2,), b, errors per epoch)``; a separable set reaches 0 errors, XOR never does.
    """
    w, b = np.zeros(2), 0.0
    errors = []
    for _ in range(epochs):
        wrong = 0
        for x, t in zip(points, labels, strict=True):
            pred = float(x @ w + b > 0)
            if pred != t:
                w, b, wrong = w + lr * (t - pred) * x, b + lr * (t - pred), wrong + 1
        errors.append(wrong)
        if wrong == 0:
            break
    return w, b, errors


def logistic_loss_and_grad(
    w: np.ndarray, points: np.ndarray, labels: np.ndarray
) -> tuple[float, np.ndarray]:
    """Cross-entropy of a 2-parameter model p = σ(w·x) (no bias) and its gradient."""
    p = np.clip(activate("sigmoid", points @ w), 1e-7, 1 - 1e-7)
    value = -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    return float(value), points.T @ (p - labels) / len(labels)


def loss_surface(points, labels, extent: float = 8.0, resolution: int = 60):
    """The loss over a grid of (w1, w2): ``(axis (r,), losses (r, r))``, row index = w2."""
    axis = np.linspace(-extent, extent, resolution)
    w1, w2 = np.meshgrid(axis, axis)
    ws = np.stack([w1.ravel(), w2.ravel()], 1)
    p = np.clip(activate("sigmoid", points @ ws.T), 1e-7, 1 - 1e-7)  # (n, r*r)
    t = labels[:, None]
    values = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p), axis=0)
    return axis, values.reshape(resolution, resolution)


def optimizer_path(
    name: str, points, labels, start=(-8.0, -6.0), lr: float = 0.5, steps: int = 60
) -> np.ndarray:
    """Full-batch path of one optimizer on the 2-parameter loss, (steps + 1, 2), row 0 = start.

    The update rules are the textbook ones Keras implements (SGD, momentum 0.9, RMSprop ρ=0.9,
    Adam β=(0.9, 0.999)).
    """
    w = np.array(start, dtype="float64")
    path = [w.copy()]
    v, s = np.zeros(2), np.zeros(2)
    for t in range(1, steps + 1):
        _, g = logistic_loss_and_grad(w, points, labels)
        if name == "sgd":
            w = w - lr * g
        elif name == "momentum":
            v = 0.9 * v - lr * g
            w = w + v
        elif name == "rmsprop":
            s = 0.9 * s + 0.1 * g**2
            w = w - lr * g / (np.sqrt(s) + 1e-7)
        else:
            v = 0.9 * v + 0.1 * g
            s = 0.999 * s + 0.001 * g**2
            w = w - lr * (v / (1 - 0.9**t)) / (np.sqrt(s / (1 - 0.999**t)) + 1e-7)
        path.append(w.copy())
    return np.array(path)


def layout_for(n_features: int, hidden: Sequence[int]) -> list[list[int]]:
    """Shapes of the Dense weights (kernel, bias, ...) of an MLP with these sizes."""
    sizes = [n_features, *hidden, 1]
    shapes: list[list[int]] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        shapes += [[a, b], [b]]
    return shapes


def summary(
    pred_train, y_train, pred_test, y_test, loss_kind: str, classification: bool
) -> dict[str, float]:
    """Losses (and accuracies for classification) on both splits."""
    out = {
        "train loss": loss(pred_train, y_train, loss_kind),
        "test loss": loss(pred_test, y_test, loss_kind),
    }
    if classification:
        out |= {
            "train accuracy": accuracy(pred_train, y_train),
            "test accuracy": accuracy(pred_test, y_test),
        }
    return out


# -- what the page draws, as arrays ----------------------------------------------------------
def step_state(res, cfg, index: int) -> dict:
    """One recorded step of a finished training job, as arrays for the page's figures.

    Args:
        res: the job result (``params``, ``steps``, ``layout``, data split, losses...).
        cfg: the job's ``Config`` (features, activation, loss).
        index: which snapshot (0 = initial weights); clipped to the recorded ones.

    Returns:
        ``index``; ``epochs`` (snapshots,) the epoch of every snapshot; ``surface`` (r, r)
        the output over the plane; ``maps`` per layer (neurons, r, r); ``weights`` per Dense
        layer (kernel, bias); ``stats`` (epoch, batch, losses, accuracies at this step).
    """
    params, steps = res["params"], res["steps"]
    index = int(np.clip(index, 0, len(params) - 1))
    flat, layout, cls = params[index], res["layout"], res["task"] == "classification"
    args = (flat, layout, cfg.features, cfg.activation, cls)
    epochs = epoch_of(steps, res["steps_per_epoch"])
    stats = {"epoch": float(epochs[index]), "batch": int(steps[index])}
    stats |= summary(
        predict(*args[:2], res["x_train"], *args[2:]),
        res["y_train"],
        predict(*args[:2], res["x_test"], *args[2:]),
        res["y_test"],
        cfg.loss,
        cls,
    )
    return {
        "index": index,
        "epochs": epochs,
        "surface": boundary(*args),
        "maps": neuron_maps(*args),
        "weights": unflatten(flat, layout),
        "stats": stats,
    }


def loss_curves(runs: Mapping[str, Mapping]) -> dict[str, tuple]:
    """``{name: job result}`` -> ``{name: (epochs, train loss, test loss)}`` per snapshot."""
    return {
        name: (epoch_of(r["steps"], r["steps_per_epoch"]), r["train_loss"], r["test_loss"])
        for name, r in runs.items()
    }


@functools.lru_cache(maxsize=32)  # the same arrays for the same seed; never mutated
def perceptron_lesson(seed: int = 0) -> tuple[dict[str, tuple], dict[str, list[int]]]:
    """The perceptron rule on Gaussian blobs (separable) and on XOR (not).

    Returns:
        ``{title: (points, labels, w, b, mistakes per epoch)}`` for
        :func:`~dl_core.basics.plots.plot_perceptron`, and the mistakes per epoch by data set.
    """
    cases = {}
    for name in ("blobs", "xor"):
        pts, labels = make_dataset(name, 200, 0.0 if name == "xor" else 0.05, seed)
        w, b, errors = perceptron(pts, labels)
        title = f"{name}: {errors[-1]} mistakes after {len(errors)} epoch(s)"
        cases[title] = (pts, labels, w, b, errors)
    return cases, {t.split(":")[0]: c[4] for t, c in cases.items()}


LESSON_RATES = {"sgd": 2.0, "momentum": 0.5, "rmsprop": 0.3, "adam": 0.5}


@functools.lru_cache(maxsize=32)  # the same arrays for the same settings; never mutated
def loss_surface_lesson(
    scale: float = 1.0, seed: int = 0, steps: int = 60
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Loss of a 2-weight logistic model p = σ(w1·x + w2·y) on stretched blobs, with the paths
    of SGD, momentum, RMSprop and Adam from the same start (learning rates × ``scale``).

    Returns:
        ``axis`` (r,), ``losses`` (r, r) over (w1, w2), ``paths`` {name: (steps + 1, 2)}.
    """
    pts, labels = make_dataset("blobs", 200, 0.5, seed)
    pts = pts * np.array([1.0, 0.5], "float32")  # a long, narrow valley
    axis, losses = loss_surface(pts, labels, extent=10.0)
    paths = {
        f"{name} (lr {lr * scale:g})": optimizer_path(name, pts, labels, lr=lr * scale, steps=steps)
        for name, lr in LESSON_RATES.items()
    }
    return axis, losses, paths
