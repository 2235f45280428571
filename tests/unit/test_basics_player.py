"""The in-browser player: its payload, and its JavaScript maths checked against NumPy (Node)."""

import dataclasses
import json
import shutil
import subprocess

import numpy as np
import pytest

from dl_core import basics
from dl_core.basics import analysis, player
from dl_core.jobs import Reporter
from tests.timeouts import ceiling
from ui import mlp_player

NODE = shutil.which("node")


@pytest.fixture(scope="module")
def trained():
    cfg = dataclasses.replace(
        basics.PRESETS["tiny"], dataset="xor", features=("x", "y", "xy"), hidden=(3,), epochs=4
    )
    return cfg, basics.train(cfg, None, Reporter(None))


def test_float_blobs_round_trip():
    a = np.random.default_rng(0).normal(size=(7, 5)).astype("float32")
    assert np.array_equal(player.decode(player.encode(a), (7, 5)), a)


def test_all_snapshots_are_kept_when_they_fit():
    steps = np.arange(0, 41)
    assert np.array_equal(player.keep_snapshots(steps, 10, n_params=20), np.arange(41))


def test_thinned_snapshots_keep_every_epoch_end_and_both_ends():
    steps = np.arange(0, 1001)  # 100 epochs of 10 batches
    keep = player.keep_snapshots(steps, 10, n_params=100, limit=300 * 100)
    assert len(keep) <= 300 and keep[0] == 0 and keep[-1] == 1000
    assert set(range(0, 1001, 10)) <= set(steps[keep].tolist())
    assert np.all(np.diff(keep) > 0)
    few = player.keep_snapshots(steps, 10, n_params=100, limit=50 * 100)  # fewer than epochs
    assert len(few) <= 50 and few[0] == 0 and few[-1] == 1000


def test_payload_is_json_and_carries_the_recorded_weights(trained):
    cfg, res = trained
    data = player.payload(res, cfg, "job-1", start=99, by="nonsense")
    back = json.loads(json.dumps(data))
    params = player.decode(back["params"], (len(back["steps"]), back["nParams"]))
    assert np.array_equal(params, res["params"])
    assert back["steps"] == res["steps"].tolist() and back["spe"] == 4
    assert back["start"] == len(res["steps"]) - 1  # clamped to the last snapshot
    assert back["by"] == "epoch" and back["features"] == ["x", "y", "xy"]
    assert len(back["xTrain"]) == 2 * len(res["y_train"])
    assert len(player.decode(back["lut"]).view("uint8")) == 256 * 4


def test_link_values_are_kept_in_range(trained):
    cfg, res = trained
    data = player.with_view(player.payload(res, cfg, "job-1"), start=-3, by="batch", speed=7)
    assert (data["start"], data["by"], data["speed"]) == (0, "batch", 10)  # 7 is not a choice


def test_thinned_payload_still_matches_its_steps(trained):
    cfg, res = trained
    data = player.payload(res, cfg, "job-1", limit=6 * res["params"].shape[1])
    params = player.decode(data["params"], (len(data["steps"]), data["nParams"]))
    for row, step in zip(params, data["steps"], strict=True):
        assert np.array_equal(row, res["params"][list(res["steps"]).index(step)])


def _node(script: str, payload: dict, tmp_path) -> dict:
    if NODE is None:
        pytest.skip("node is not installed (make test installs Debian's nodejs)")
    module = tmp_path / "mlp_math.mjs"
    module.write_text(
        (mlp_player.HERE / "mlp_math.js").read_text()
        + "\nexport { forward, unpack, lossOf, accuracyOf, contour, gridPoints, decodeFloats };\n"
    )
    (tmp_path / "in.json").write_text(json.dumps(payload))
    main = tmp_path / "main.mjs"
    main.write_text(
        "import * as m from './mlp_math.mjs';\nimport fs from 'fs';\n"
        "const d = JSON.parse(fs.readFileSync(new URL('./in.json', import.meta.url)));\n"
        f"{script}\n"
    )
    out = subprocess.run([NODE, str(main)], capture_output=True, text=True, timeout=ceiling(60))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("activation", basics.ACTIVATIONS)
@pytest.mark.parametrize("classification", [True, False])
def test_javascript_forward_pass_matches_numpy(activation, classification, tmp_path):
    rng = np.random.default_rng(1)
    feats = list(basics.FEATURES)  # every feature transform
    layout = analysis.layout_for(len(feats), (5, 3))
    flat = rng.normal(0, 0.8, sum(int(np.prod(s)) for s in layout)).astype("float32")
    pts = rng.uniform(-1.2, 1.2, (50, 2)).astype("float32")
    script = (
        "const layers = m.unpack(m.decodeFloats(d.flat), d.layout);\n"
        "const outs = m.forward(layers, d.feats, d.act, d.cls, Float32Array.from(d.pts));\n"
        "console.log(JSON.stringify(outs.map((o) => Array.from(o))));"
    )
    data = {
        "flat": player.encode(flat),
        "layout": layout,
        "feats": feats,
        "act": activation,
        "cls": classification,
        "pts": pts.ravel().tolist(),
    }
    js = _node(script, data, tmp_path)
    ours = analysis.forward(flat, layout, pts, feats, activation, classification)
    assert len(js) == len(ours)
    for a, b in zip(js, ours, strict=True):
        assert np.allclose(np.array(a).reshape(b.shape), b, atol=2e-5), activation


def test_javascript_losses_and_boundary_contour(tmp_path):
    rng = np.random.default_rng(2)
    pred = rng.uniform(0, 1, 40)
    target = (rng.uniform(0, 1, 40) > 0.5).astype(float)
    r = 31
    axis = np.linspace(-1.2, 1.2, r)
    gx, gy = np.meshgrid(axis, axis)  # row = y, as the player's grid
    surface = 1 / (1 + np.exp(-(3 * gx - 2 * gy + 0.5)))  # boundary: 3x - 2y + 0.5 = 0
    script = (
        "const xe = m.lossOf(d.pred, d.target, 'cross-entropy');\n"
        "const se = m.lossOf(d.pred, d.target, 'mse');\n"
        "const acc = m.accuracyOf(d.pred, d.target);\n"
        "const segs = m.contour(d.surface, d.r, 0.5);\n"
        "const grid = Array.from(m.gridPoints(3, -1.2, 1.2));\n"
        "console.log(JSON.stringify({xe, se, acc, segs, grid}));"
    )
    data = {
        "pred": pred.tolist(),
        "target": target.tolist(),
        "surface": surface.ravel().tolist(),
        "r": r,
    }
    js = _node(script, data, tmp_path)
    assert js["xe"] == pytest.approx(analysis.loss(pred, target, "cross-entropy"), rel=1e-9)
    assert js["se"] == pytest.approx(analysis.loss(pred, target, "mse"), rel=1e-9)
    assert js["acc"] == pytest.approx(analysis.accuracy(pred, target))
    assert js["grid"] == pytest.approx(
        [-1.2, -1.2, 0, -1.2, 1.2, -1.2, -1.2, 0, 0, 0, 1.2, 0, -1.2, 1.2, 0, 1.2, 1.2, 1.2],
        abs=1e-6,
    )
    segs = np.array(js["segs"])
    assert len(segs) >= r - 1  # the line crosses the whole plane
    step = 2.4 / (r - 1)
    for cx, cy in ((segs[:, 0], segs[:, 1]), (segs[:, 2], segs[:, 3])):
        x, y = -1.2 + cx * step, -1.2 + cy * step
        assert np.abs(3 * x - 2 * y + 0.5).max() < 0.05  # every end lies on the boundary


def test_component_module_has_one_default_export():
    src = mlp_player.source()
    assert src.count("export default function") == 1
    assert "forward(" in src and "class Player" in src
