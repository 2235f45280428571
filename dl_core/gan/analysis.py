"""Walking the latent space of a trained generator (or a VAE decoder).

- :func:`slerp`: spherical interpolation (White, "Sampling Generative Networks", 2016):
  Gaussian latents live near a sphere, so a straight line between two of them passes
  through unlikely, low-norm points; the great-circle path does not.
- :func:`latent_directions`: the main directions of variation of the *outputs*, mapped
  back into latent space (the idea of GANSpace, Härkönen et al. 2020, applied to pixels).
- :func:`neighbours`: "more like this": small random steps around one latent vector.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from keras import ops


def slerp(z0: np.ndarray, z1: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Spherical interpolation between ``z0`` and ``z1`` at ``t`` in [0, 1].

    ``t`` may be an array of shape (T,); the result is then (T, latent_dim). Falls back to a
    straight line when the two vectors are (anti)parallel.
    """
    z0, z1 = np.asarray(z0, "float64"), np.asarray(z1, "float64")
    t = np.asarray(t, "float64")
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1) + 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    tt = t[..., None] if t.ndim else t
    if np.sin(omega) < 1e-6:
        out = (1 - tt) * z0 + tt * z1
    else:
        out = (np.sin((1 - tt) * omega) * z0 + np.sin(tt * omega) * z1) / np.sin(omega)
    return out.astype("float32")


def _decode(model, z: np.ndarray) -> np.ndarray:
    return ops.convert_to_numpy(model(np.asarray(z, "float32"), training=False))


def latent_directions(
    model, latent_dim: int, k: int = 5, n: int = 512, seed: int = 0
) -> np.ndarray:
    """Unit vectors ``(k, latent_dim)`` along which the outputs change the most.

    Samples ``n`` latents, runs PCA on the generated images, then regresses the latents on
    the principal-component scores: row i is the latent step that moves output along PC i.
    """
    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype("float32")
    x = _decode(model, z).reshape(n, -1)
    x = x - x.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    scores = x @ vt[:k].T  # (n, k)
    scores = scores / (scores.std(0) + 1e-8)
    coef, *_ = np.linalg.lstsq(scores, z - z.mean(0), rcond=None)  # (k, latent_dim)
    return (coef / (np.linalg.norm(coef, axis=1, keepdims=True) + 1e-8)).astype("float32")


def interpolate(generate: Callable[[np.ndarray], np.ndarray], z0, z1, steps: int = 8) -> np.ndarray:
    """Images along the spherical path from ``z0`` to ``z1`` (endpoints included)."""
    return generate(slerp(z0, z1, np.linspace(0.0, 1.0, steps)))


def walk(z: np.ndarray, directions: np.ndarray, amounts) -> np.ndarray:
    """``z`` moved by ``amounts[i]`` standard deviations along ``directions[i]``."""
    a = np.asarray(amounts, "float32")[: len(directions)]
    return (np.asarray(z, "float32") + a @ directions[: len(a)]).astype("float32")


def neighbours(z: np.ndarray, n: int = 8, spread: float = 0.5, seed: int = 0) -> np.ndarray:
    """``n`` latents around ``z`` (Gaussian steps of size ``spread``); ``z`` itself first."""
    rng = np.random.default_rng(seed)
    steps = rng.standard_normal((n - 1, len(z))).astype("float32") * spread
    return np.vstack([z[None], z[None] + steps]).astype("float32")
