"""Figure descriptions for screen readers are computed from the data: known arrays give known
sentences, and every page's figures get one (ui.figures.show_figure)."""

import numpy as np
import plotly.graph_objects as go

from dl_core import describe, viz
from dl_core.describe import (
    attention_focus,
    describe_actions,
    describe_figure,
    describe_images,
    trend,
    weight_quarters,
)


def test_trend_says_where_a_curve_started_and_ended():
    acc = np.linspace(0.52, 0.98, 20)
    assert trend("accuracy", acc, "epoch") == "accuracy rose from 0.52 to 0.98 over 20 epochs"
    loss = np.array([2.3, 1.1, 0.7, 0.4])
    assert trend("loss", loss) == "loss fell from 2.3 to 0.4 over 4 points"
    flat = np.array([0.5, 0.9, 0.5])
    assert trend("val accuracy", flat, "epoch") == (
        "val accuracy stayed near 0.5 over 3 epochs, peaking at 0.9"
    )
    assert trend("side", [112, 56, 7], "layer (input → output)") == (
        "side fell from 112 to 7 over 3 values of layer (input → output)"
    )
    assert trend("x", [np.nan, 3.0]) == "x is 3"
    assert trend("x", []) == "x: no values yet"


def test_attention_to_the_previous_token_is_named():
    n = 6
    w = np.full((n, n), 0.02)
    for i in range(n):
        w[i, max(i - 1, 0)] = 1.0
    w /= w.sum(axis=1, keepdims=True)
    tokens = ["[CLS]", "the", "cat", "sat", "down", "[SEP]"]
    text = attention_focus(w, tokens)
    assert text.startswith("attends mostly to the previous token (5 of 6 rows)"), text
    diag = np.eye(4) * 0.9 + 0.025
    assert attention_focus(diag).startswith("attends mostly to itself (the same token) (4 of 4")


def test_weight_quarters_finds_where_a_heat_map_is_hot():
    heat = np.zeros((8, 8))
    heat[:4, :4] = 0.61 / 16
    heat[4:, 4:] = 0.39 / 16
    assert weight_quarters(heat) == "61 % of the weight in the upper-left quarter"
    # plotly draws row 0 at the bottom unless the y axis is reversed
    assert weight_quarters(heat, top_row_first=False).endswith("lower-left quarter")
    assert weight_quarters(np.ones((4, 4))) == "its weight is spread evenly"
    middle = np.zeros((8, 8))
    middle[2:6, 2:6] = 1.0
    middle[0, 0] = 1.0
    assert weight_quarters(middle) == "94 % of the weight in the centre"
    assert weight_quarters(-np.ones((4, 4))) == ""


def test_describe_figure_reads_curves_heatmaps_bars_and_markers():
    fig = viz.curves({"accuracy": list(np.linspace(0.52, 0.98, 20))}, title="Training")
    assert describe_figure(fig) == "Training: accuracy rose from 0.52 to 0.98 over 20 epochs."

    bars = go.Figure(go.Bar(x=["cat", "dog", "cow"], y=[0.7, 0.2, 0.1]))
    assert describe_figure(bars) == "3 bars, largest cat (0.7), smallest cow (0.1)."

    hm = go.Figure(go.Heatmap(z=[[1, 2], [3, 9]], x=["a", "b"], y=["r", "s"]))
    assert "a 2×2 map, values 1 to 9; largest at s, b" in describe_figure(hm)

    chose = go.Figure()
    chose.add_scatter(x=np.arange(58), y=np.zeros(58), mode="markers", name="chose left")
    chose.add_scatter(x=np.arange(42), y=np.zeros(42), mode="markers", name="chose right")
    assert "of 100 marked points: chose left 58 %, chose right 42 %" in describe_figure(chose)

    assert describe_figure(go.Figure()) == "a figure with no data yet."

    same = go.Figure(go.Bar(x=["bear", "bird"], y=[20, 20]))
    assert describe_figure(same) == "2 bars, all 20."
    boxes = go.Figure(go.Scatter(x=[0, 4, 4, 0, 0], y=[0, 0, 3, 3, 0], mode="lines", name="box"))
    boxes.update_layout(title="IoU = 0.95")
    assert describe_figure(boxes) == "IoU = 0.95: drawn: box."  # a drawn box is not a curve
    keys = go.Figure([go.Scatter(x=[None], y=[None], mode="markers", name=n) for n in "ab"])
    assert describe_figure(keys) == "legend: a, b."
    grid = viz.image_grid([np.zeros((4, 4))] * 3, titles=["cat", "cat", "dog"])
    assert "a grid of 3 images titled cat ×2, dog" in describe_figure(grid)

    diagram = go.Figure(go.Scatter(x=[0, 1, None, 0, 1], y=[0, 1, None, 1, 0], name="weights"))
    assert describe_figure(diagram) == "drawn: weights."  # drawn lines are not a curve


def test_describe_figure_reads_plotly_typed_arrays_and_caps_its_length():
    fig = go.Figure()
    for k in range(40):
        fig.add_scatter(y=np.arange(5.0) * k, name=f"series {k}")
    spec = fig.to_dict()
    assert isinstance(spec["data"][1]["y"], dict)  # base64 typed array
    text = describe_figure(spec)
    assert text.startswith("series 0 stayed near 0 over 5 points; series 1 rose from 0 to 4")
    assert "and 34 more" in text and len(text) <= describe.MAX_CHARS


def test_describe_images_and_actions():
    imgs = np.zeros((24, 32, 32, 3), dtype=np.uint8)
    imgs[..., 0] = 255  # red: a third of the full brightness
    assert describe_images(imgs, "generated samples") == (
        "24 generated samples, 32×32 pixels, colour, mean brightness 33 %."
    )
    assert describe_images(np.ones((28, 28)), "digit").startswith("digit, 28×28 pixels, grey")
    actions = [0] * 58 + [1] * 42
    assert describe_actions(actions, ["push left", "push right"]) == (
        "100 frames; the agent chooses push left in 58 % of frames."
    )


def test_every_figure_on_every_page_goes_through_the_describing_wrappers():
    """Pages show plotly figures with ``show_figure`` and images with ``show_image``, which
    give each its description; a direct ``.plotly_chart(`` / ``.image(`` call would not."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    direct = {"plotly_chart", "image", "pyplot", "altair_chart", "vega_lite_chart"}
    offenders = []
    for path in [*root.glob("app_pages/*.py"), *root.glob("ui/*.py"), root / "streamlit_app.py"]:
        if path.name == "figures.py":  # the wrappers themselves
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in direct
            ):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not offenders, offenders
