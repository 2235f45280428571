"""Offline ImageNet models: the torch-file reader, the Keras ports, the cache, decoding."""

from __future__ import annotations

import collections
import os
import pickle
import struct
import sys
import types

import numpy as np
import pytest

from dl_core.assets import AssetUnavailable, imagenet, load_photo
from dl_core.errors import UserError

CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A private DL_EXPLORER_HOME, so these tests convert and cache the models themselves."""
    root = tmp_path_factory.mktemp("dlx-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DL_EXPLORER_HOME", str(root))
        mp.setattr(imagenet, "_models", {})
        yield root


@pytest.fixture(scope="module", params=sorted(imagenet.IMAGENET_MODELS))
def model(request, home):
    return request.param, imagenet.imagenet_model(request.param)


@pytest.fixture(scope="module")
def photos():
    return {name: load_photo(name)[None] for name in ("chelsea", "coffee")}


def test_chelsea_is_a_cat_and_coffee_is_espresso(model, photos):
    name, m = model
    probs = m.predict(
        np.concatenate([imagenet.preprocess(name, photos[p]) for p in ("chelsea", "coffee")]),
        verbose=0,
    )
    assert probs.shape == (2, 1000)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    cat, coffee = imagenet.decode(probs, top=5)
    assert cat[0][0] in CAT_CLASSES, cat
    assert {967, 968} & {i for i, _, _ in coffee}, coffee
    assert cat[0][1] == imagenet.class_names()[cat[0][0]]


def test_model_is_cached_in_process_and_on_disk(model, home):
    name, m = model
    assert imagenet.imagenet_model(name) is m
    path = imagenet.cache_path(name)
    assert path.parent == home / "weights" and path.suffix == ".keras" and path.exists()
    assert not [p for p in path.parent.iterdir() if ".tmp" in p.name]


def test_cached_keras_file_matches_a_fresh_conversion(home, photos):
    name = "efficientnet_lite0"
    spec = imagenet.IMAGENET_MODELS[name]
    built = spec.build(imagenet.read_legacy_torch(imagenet.package_file(spec.package, *spec.file)))
    reloaded = imagenet.imagenet_model(name, fresh=True)
    assert reloaded is not imagenet.imagenet_model(name)
    x = np.concatenate([imagenet.preprocess(name, p) for p in photos.values()])
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0), built.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )


def test_readable_layer_names(model):
    name, m = model
    names = {layer.name for layer in m.layers}
    assert {"stem_conv", "top_conv", "predictions"} <= names
    groups = imagenet.blocks(m)
    assert groups[0][0] == "stem" and groups[-1][0] == "top"
    assert "predictions" in groups[-1][1]
    if name == "efficientnet_lite0":
        assert {"block1a_dwconv", "block6d_project_conv", "block2b_add"} <= names
        assert len(groups) == 18  # stem, 16 blocks, top
    else:
        assert {"block1_dwconv", "block17_project_conv", "block16_add"} <= names
        assert len(groups) == 19  # stem, 17 blocks, top


def test_preprocess():
    name = "efficientnet_lite0"
    assert imagenet.input_size(name) == 224
    rgb = np.full((2, 300, 400, 3), 255, np.uint8)
    x = imagenet.preprocess(name, rgb)
    assert x.shape == (2, 224, 224, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x, (255 - 127) / 128, atol=1e-4)
    grey = imagenet.preprocess("mobilenet_v2", np.zeros((3, 28, 28), np.uint8), crop=1.0)
    assert grey.shape == (3, 224, 224, 3)
    np.testing.assert_allclose(
        grey[0, 0, 0], -np.array([0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225], atol=1e-4
    )
    with pytest.raises(ValueError):
        imagenet.preprocess(name, np.zeros((2, 10, 10, 4), np.uint8))


def test_decode():
    probs = np.zeros((2, 1000), np.float32)
    probs[0, 285], probs[0, 3] = 0.9, 0.1
    probs[1, 967] = 1.0
    out = imagenet.decode(probs, top=2)
    assert out[0] == [
        (285, "Egyptian_cat", pytest.approx(0.9)),
        (3, imagenet.class_names()[3], pytest.approx(0.1)),
    ]
    assert out[1][0][:2] == (967, "espresso")
    assert len(imagenet.class_names()) == 1000


def test_online_models_refuse_politely_when_offline(monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_OFFLINE", "1")
    with pytest.raises(AssetUnavailable) as info:
        imagenet.load_online("VGG16")
    msg = str(info.value)
    assert isinstance(info.value, UserError)
    assert msg.startswith("ImageNet weights for VGG16 need an internet connection")
    assert "EfficientNet-Lite0" in msg and msg.count(".") == 1


def test_online_download_failure_becomes_one_sentence(monkeypatch):
    import urllib.error

    import keras

    def fail(**_):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setenv("DL_EXPLORER_OFFLINE", "0")
    monkeypatch.setattr(keras.applications, "ResNet50", fail)
    with pytest.raises(AssetUnavailable, match="^ImageNet weights for ResNet50 need"):
        imagenet.load_online("ResNet50")


# -- the legacy torch reader, on files written here by hand (no torch needed) --------------
class _Storage:
    def __init__(self, key: str, kind: str, data: np.ndarray) -> None:
        self.key, self.kind, self.data = key, kind, data


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (sys.modules["torch._utils"]._rebuild_tensor_v2, self.args)


def _write_legacy(path, state, storages, *, main=None):
    """Write ``state`` the way ``torch.save(..., _use_new_zipfile_serialization=False)`` does."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    for kind in ("FloatStorage", "LongStorage"):
        setattr(torch, kind, type(kind, (), {"__module__": "torch"}))

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _Storage):
                return ("storage", getattr(torch, obj.kind), obj.key, "cpu", obj.data.size, None)
            return None

    with pytest.MonkeyPatch.context() as mp, open(path, "wb") as fh:
        mp.setitem(sys.modules, "torch", torch)
        mp.setitem(sys.modules, "torch._utils", utils)
        for header in (
            0x1950A86A20F9469CFC6C,
            1001,
            {"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4}},
        ):
            pickle.dump(header, fh, protocol=2)
        if main is not None:
            fh.write(main)
        else:
            Pickler(fh, protocol=2).dump(state)
        pickle.dump([s.key for s in storages], fh, protocol=2)
        for s in storages:
            fh.write(struct.pack("<q", s.data.size))
            fh.write(s.data.tobytes())


def test_read_legacy_torch(tmp_path):
    floats = _Storage("140001", "FloatStorage", np.arange(6, dtype="<f4"))
    longs = _Storage("140002", "LongStorage", np.array([7], dtype="<i8"))
    state = collections.OrderedDict(
        [
            ("conv.weight", _Tensor(floats, 0, (3, 2), (1, 3))),  # a transposed view
            ("conv.bias", _Tensor(floats, 2, (2,), (1,))),  # shares the storage, offset 2
            ("bn.num_batches_tracked", _Tensor(longs, 0, (), ())),
        ]
    )
    path = tmp_path / "tiny.pth"
    had_torch = sys.modules.get("torch")
    _write_legacy(path, state, [floats, longs])
    assert sys.modules.get("torch") is had_torch  # the fake torch module is gone again
    sd = imagenet.read_legacy_torch(path)
    assert list(sd) == ["conv.weight", "conv.bias", "bn.num_batches_tracked"]
    np.testing.assert_array_equal(sd["conv.weight"], np.arange(6, dtype=np.float32).reshape(2, 3).T)
    assert sd["conv.weight"].dtype == np.float32 and sd["conv.weight"].flags.c_contiguous
    np.testing.assert_array_equal(sd["conv.bias"], [2.0, 3.0])
    assert sd["bn.num_batches_tracked"].dtype == np.int64 and int(sd["bn.num_batches_tracked"]) == 7


def test_read_legacy_torch_refuses_code_and_bad_files(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    evil = tmp_path / "evil.pth"
    _write_legacy(evil, None, [], main=pickle.dumps({"w": Evil()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        imagenet.read_legacy_torch(evil)

    floats = _Storage("1", "FloatStorage", np.arange(4, dtype="<f4"))
    too_big = tmp_path / "too_big.pth"
    _write_legacy(too_big, {"w": _Tensor(floats, 0, (5,), (1,))}, [floats])
    with pytest.raises(ValueError, match="past its storage"):
        imagenet.read_legacy_torch(too_big)

    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(too_big.read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        imagenet.read_legacy_torch(truncated)

    not_torch = tmp_path / "zip.pth"
    not_torch.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ValueError, match="not a legacy torch file"):
        imagenet.read_legacy_torch(not_torch)


def test_lazy_reexports():
    import dl_core.assets as assets

    assert assets.imagenet_model is imagenet.imagenet_model
    assert assets.ONLINE_MODELS == ("VGG16", "ResNet50", "MobileNetV2", "EfficientNetB0")
