"""Convolution by hand: the operation every CNN layer repeats, in plain NumPy.

A convolutional layer slides a small kernel ``K`` over the image ``I`` and writes one dot
product per position (deep-learning libraries compute cross-correlation and call it
convolution; so do we)::

    (I * K)(i, j) = sum_u sum_v I(i·s + u, j·s + v) · K(u, v)

``s`` is the stride; "same" padding adds zeros around the image so that the output keeps
``ceil(n / s)`` pixels per side, "valid" adds none (``floor((n - k) / s) + 1``). Pooling then
keeps the maximum (or mean) of each ``p × p`` block. See Dumoulin & Visin, "A guide to
convolution arithmetic for deep learning" (2016).
"""

from __future__ import annotations

import math
import re

import numpy as np

from dl_core.errors import ConfigError

KERNELS: dict[str, list[list[float]]] = {
    "edge (Laplacian)": [[0, -1, 0], [-1, 4, -1], [0, -1, 0]],
    "vertical edges (Sobel)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "blur (box)": [[1 / 9] * 3] * 3,
    "blur (Gaussian 5×5)": (np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256).tolist(),
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
}
MAX_SIDE = 160  # the hand-convolution demo works on a small greyscale copy of the image
MAX_KERNEL = 7


def kernel(name: str) -> np.ndarray:
    """A named kernel from :data:`KERNELS` as a float32 array."""
    if name not in KERNELS:
        raise ConfigError(f"Unknown kernel '{name}'; choose one of: {', '.join(KERNELS)}.")
    return np.asarray(KERNELS[name], dtype=np.float32)


def parse_kernel(text: str) -> np.ndarray:
    """Read a square kernel typed as rows of numbers (``"0 -1 0; -1 4 -1; 0 -1 0"``).

    Rows are separated by new lines or ``;``, numbers by spaces or commas; fractions like
    ``1/9`` are allowed.

    Raises:
        ConfigError: not a square matrix of 1×1 to 7×7 finite numbers, or all zeros.
    """
    rows = [r for r in re.split(r"[;\n]+", text.strip()) if r.strip()]
    try:
        values = [[_number(v) for v in re.split(r"[,\s]+", r.strip()) if v] for r in rows]
    except ValueError as err:
        raise ConfigError(f"The kernel has something that is not a number: {err}.") from None
    if not values or any(len(r) != len(values) for r in values):
        raise ConfigError(
            "The kernel must be a square matrix, e.g. three rows of three numbers "
            "separated by spaces, rows separated by new lines or ';'."
        )
    k = np.asarray(values, dtype=np.float64)
    if k.shape[0] > MAX_KERNEL:
        raise ConfigError(f"The kernel can be at most {MAX_KERNEL}×{MAX_KERNEL}.")
    if not np.all(np.isfinite(k)):
        raise ConfigError("The kernel contains NaN or infinity; use finite numbers only.")
    if not np.any(k):
        raise ConfigError("The kernel is all zeros, so every output pixel would be 0.")
    return k.astype(np.float32)


def _number(token: str) -> float:
    if "/" in token:
        num, den = token.split("/", 1)
        value = float(num) / float(den)
    else:
        value = float(token)
    return value


def to_grey(image: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """An RGB or greyscale uint8 image as a float32 greyscale array in [0, 1], at most
    ``max_side`` pixels per side (block-averaged down, so a huge upload stays fast)."""
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 3:
        img = img[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if img.ndim != 2 or min(img.shape) < 1:
        raise ConfigError("The image has no pixels.")
    factor = math.ceil(max(img.shape) / max_side)
    if factor > 1:
        h, w = (img.shape[0] // factor) * factor, (img.shape[1] // factor) * factor
        img = img[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
    return img / 255.0


def output_size(n: int, k: int, stride: int, padding: str) -> int:
    """Output length along one side (Keras' rule for "same" and "valid")."""
    if padding == "same":
        return math.ceil(n / stride)
    return (n - k) // stride + 1 if n >= k else 0


def _pads(n: int, k: int, stride: int) -> tuple[int, int]:
    """Zeros before and after one side for "same" padding (TensorFlow's split)."""
    total = max((math.ceil(n / stride) - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def validate(shape: tuple[int, int], k: int, stride: int, padding: str, pool: int) -> None:
    """Raise ConfigError when the settings cannot produce an output for this image."""
    if padding not in ("same", "valid"):
        raise ConfigError("Padding must be 'same' or 'valid'.")
    if stride < 1 or pool < 1:
        raise ConfigError("Stride and pooling size must be at least 1.")
    h, w = shape
    if stride > min(h, w):
        raise ConfigError(
            f"The stride ({stride}) is larger than the image ({w}×{h} pixels); "
            "use a smaller stride or a bigger image."
        )
    oh, ow = (output_size(n, k, stride, padding) for n in (h, w))
    if min(oh, ow) < 1:
        raise ConfigError(
            f"With 'valid' padding a {k}×{k} kernel does not fit in a {w}×{h} image; "
            "choose 'same' padding or a smaller kernel."
        )
    if pool > min(oh, ow):
        raise ConfigError(
            f"The pooling window ({pool}×{pool}) is larger than the convolution output "
            f"({ow}×{oh}); choose a smaller pooling size."
        )


def convolve(
    image: np.ndarray, kern: np.ndarray, stride: int = 1, padding: str = "same"
) -> np.ndarray:
    """Cross-correlate a 2-D image with a 2-D kernel, as a Conv2D layer does.

    Args:
        image: ``(H, W)`` float array.
        kern: ``(k, k)`` kernel.
        stride: step between output positions.
        padding: ``"same"`` (zeros around, TensorFlow's split) or ``"valid"`` (none).

    Returns:
        ``(H', W')`` float32 output, sizes from :func:`output_size`.
    """
    img = np.asarray(image, dtype=np.float32)
    k = np.asarray(kern, dtype=np.float32)
    validate(img.shape, k.shape[0], stride, padding, 1)
    if padding == "same":
        img = np.pad(img, [_pads(n, k.shape[0], stride) for n in img.shape])
    windows = np.lib.stride_tricks.sliding_window_view(img, k.shape)[::stride, ::stride]
    return np.einsum("ijuv,uv->ij", windows, k).astype(np.float32)  # (H', W')


def pool(x: np.ndarray, size: int = 2, kind: str = "max") -> np.ndarray:
    """Non-overlapping ``size × size`` max or average pooling ("valid": leftovers dropped)."""
    if size <= 1 or kind == "none":
        return np.asarray(x, dtype=np.float32)
    h, w = (x.shape[0] // size) * size, (x.shape[1] // size) * size
    blocks = np.asarray(x[:h, :w], dtype=np.float32).reshape(h // size, size, w // size, size)
    return blocks.max(axis=(1, 3)) if kind == "max" else blocks.mean(axis=(1, 3))


def patch(
    shape: tuple[int, int], k: int, stride: int, padding: str, i: int, j: int
) -> tuple[int, int]:
    """Top-left input pixel (row, col) of the window that made output pixel (i, j);
    negative or past the edge where the window covers padding zeros."""
    top = _pads(shape[0], k, stride)[0] if padding == "same" else 0
    left = _pads(shape[1], k, stride)[0] if padding == "same" else 0
    return i * stride - top, j * stride - left


def explain_shape(shape: tuple[int, int], k: int, stride: int, padding: str, pool_size: int) -> str:
    """One or two sentences saying why the output has the size it has."""
    h, w = shape
    oh, ow = (output_size(n, k, stride, padding) for n in (h, w))
    if padding == "same":
        rule = f"'same' padding keeps ⌈n / stride⌉ = ⌈{w} / {stride}⌉ × ⌈{h} / {stride}⌉"
    else:
        rule = (
            f"'valid' padding gives ⌊(n − k) / stride⌋ + 1 = ⌊({w} "
            f"− {k}) / {stride}⌋ + 1 × ⌊({h} − {k}) / {stride}⌋ + 1"
        )
    text = f"Input {w}×{h}, kernel {k}×{k}, stride {stride}: {rule} = **{ow}×{oh}**."
    if pool_size > 1:
        text += (
            f" Pooling {pool_size}×{pool_size} then keeps one value "
            f"per block: **{ow // pool_size}×{oh // pool_size}**."
        )
    return text
