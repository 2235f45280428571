"""Offline assets: every data set, photo and text loads from installed files, no network."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from dl_core import assets
from dl_core.assets import AssetUnavailable, datasets
from dl_core.errors import UserError


@pytest.mark.parametrize(
    ("name", "shape", "classes"),
    [
        ("digits", (1797, 8, 8), 10),
        ("mnist5k", (5000, 28, 28), 10),
        ("animal_mnist", (10000, 28, 28), 10),
    ],
)
def test_image_sets_load(name, shape, classes):
    s = assets.load_images(name)
    assert s.x.shape == shape
    assert s.x.dtype == np.uint8 and s.y.dtype == np.int64
    assert len(s.y) == shape[0]
    assert len(s.class_names) == classes == s.num_classes
    assert s.y.min() == 0 and s.y.max() == classes - 1
    assert s.x.max() == 255 and s.x.min() == 0
    assert s.name == name and s.title
    # Cached and read-only, so a caller cannot corrupt the cache.
    assert assets.load_images(name).x is s.x
    with pytest.raises(ValueError):
        s.x[0, 0, 0] = 1


def test_animal_names():
    s = assets.load_images("animal_mnist")
    assert s.class_names[0] == "bear" and s.class_names[-1] == "zebra"
    assert np.bincount(s.y).tolist() == [1000] * 10


def test_per_class_is_balanced_and_seeded():
    a = assets.load_images("mnist5k", per_class=20, seed=3)
    assert a.x.shape == (200, 28, 28)
    assert np.bincount(a.y, minlength=10).tolist() == [20] * 10
    b = assets.load_images("mnist5k", per_class=20, seed=3)
    c = assets.load_images("mnist5k", per_class=20, seed=4)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.y, c.y)
    a.x[0, 0, 0] = 7  # a subset is a writable copy
    # More than a class has: every image of each class, still balanced here.
    d = assets.load_images("digits", per_class=10_000)
    assert len(d) == 1797


def test_unknown_image_set():
    with pytest.raises(KeyError):
        assets.load_images("cifar10")


def test_fashion_mnist_loads_or_says_why():
    try:
        s = assets.load_images("fashion_mnist", per_class=5)
    except AssetUnavailable as err:
        assert isinstance(err, UserError)
        msg = str(err)
        assert "dataset-fashion-mnist" in msg and msg.endswith(".") and msg.count(". ") == 0
        assert not assets.is_available("fashion_mnist")
    else:
        assert s.x.shape == (50, 28, 28) and s.num_classes == 10


def _idx(path: Path, arr: np.ndarray) -> None:
    header = (0x0800 | arr.ndim).to_bytes(4, "big")
    header += b"".join(n.to_bytes(4, "big") for n in arr.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + arr.astype(np.uint8).tobytes())


def test_fashion_mnist_idx_reader(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    for split, n in (("train", 30), ("t10k", 10)):
        _idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    monkeypatch.setenv("DL_EXPLORER_FASHION_MNIST_DIR", str(tmp_path))
    assert assets.is_available("fashion_mnist")
    s = assets.load_images("fashion_mnist")
    assert s.x.shape == (40, 28, 28) and s.x.dtype == np.uint8
    assert s.y.tolist() == [i % 10 for i in range(30)] + list(range(10))
    assert s.class_names[9] == "Ankle boot"


@pytest.mark.parametrize("name", assets.PHOTOS)
def test_photos_load(name):
    img = assets.load_photo(name)
    assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8
    assert min(img.shape[:2]) >= 100
    assert img.max() > img.min()


def test_shakespeare():
    text = assets.load_text("shakespeare")
    assert len(text) > 4_000_000
    assert "To be, or not to be: that is the question:" in text
    assert "HAMLET:\n" in text
    for md in ("**", "\\[", "\\--", "##", "<"):
        assert md not in text
    assert len(assets.list_plays()) == 38
    assert set(assets.list_plays()) <= set(assets.TEXTS)


def test_single_play():
    text = assets.load_text("macbeth")
    assert text.startswith("Macbeth\n")
    assert "MACBETH:\n" in text
    assert 50_000 < len(text) < 200_000
    with pytest.raises(KeyError):
        assets.load_text("hamlet-2")


def test_markdown_conversion():
    md = "# Play\n\n## ACT I\n\n_Enter A_\n\n**A**  \nHello,\\--  \nworld. __\\[Aside]_\n"
    assert datasets.markdown_play_to_text(md) == (
        "Play\n\nACT I\n\nEnter A\n\nA:\nHello,--\nworld. [Aside]\n"
    )


def test_registry():
    rows = assets.asset_table()
    names = {r["name"] for r in rows}
    assert {"digits", "mnist5k", "animal_mnist", "shakespeare", "efficientnet_lite0"} <= names
    for r in rows:
        assert r["kind"] in {"images", "text", "photos", "weights", "model"}
        assert r["licence"] and r["source"] and r["size"]
    for name in ("digits", "mnist5k", "animal_mnist", "photos", "shakespeare"):
        assert assets.is_available(name)
    assert assets.is_available("efficientnet_lite0")


def test_offline_flag(monkeypatch):
    monkeypatch.setenv("DL_EXPLORER_OFFLINE", "1")
    assert assets.offline() and not assets.is_available("keras_applications")
    monkeypatch.setenv("DL_EXPLORER_OFFLINE", "0")
    assert not assets.offline()


def test_no_keras_import_for_data():
    import subprocess
    import sys

    code = "import sys, dl_core.assets as a; a.load_images('digits'); print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_online_sources_are_unavailable_offline_or_without_a_network(monkeypatch):
    from dl_core import assets

    monkeypatch.setenv("DL_EXPLORER_OFFLINE", "1")
    assert "offline" in assets.online_unavailable()
    monkeypatch.delenv("DL_EXPLORER_OFFLINE")
    monkeypatch.setattr(assets, "ONLINE_PROBE", ("127.0.0.1", 9))  # nothing listens there
    monkeypatch.setattr(assets, "_probe", {})
    assert assets.online_unavailable() == "This server cannot reach the internet"
