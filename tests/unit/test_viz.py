import numpy as np
import pytest

from dl_core import viz


def test_image_grid_has_one_trace_per_image():
    imgs = [np.zeros((8, 8)), np.ones((8, 8, 3)), np.random.rand(8, 8, 1)]
    fig = viz.image_grid(imgs, titles=["a", "b", "c"], cols=2)
    assert len(fig.data) == 3
    assert [a.text for a in fig.layout.annotations] == ["a", "b", "c"]


def test_image_grid_sends_colour_pictures_as_png_with_their_pixels():
    import base64
    import io

    from PIL import Image

    rgb = np.random.default_rng(0).integers(0, 256, (6, 9, 3)).astype(np.uint8)
    fig = viz.image_grid([rgb, np.random.rand(4, 4)], cols=2)
    url = fig.data[0].source
    assert fig.data[0].type == "image" and fig.data[0].z is None
    png = Image.open(io.BytesIO(base64.b64decode(url.removeprefix("data:image/png;base64,"))))
    assert np.array_equal(np.asarray(png), rgb)
    assert fig.data[1].type == "heatmap"  # a grey cell keeps its values (hover, colour scale)


def test_to_uint8_scales_ranges():
    assert viz.to_uint8(np.array([0.0, 1.0])).tolist() == [0, 255]
    assert viz.to_uint8(np.array([-1.0, 1.0])).tolist() == [0, 255]
    assert viz.to_uint8(np.array([10.0, 20.0])).tolist() == [0, 255]


def test_confusion_counts_and_figure():
    cm = viz.compute_confusion(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    fig = viz.confusion_matrix(cm, ["a", "b", "c"])
    assert fig.layout.xaxis.title.text == "predicted"
    assert np.allclose(fig.data[0].z[0], [0.5, 0.5, 0.0])


def test_overlay_shape_and_bars_order():
    out = viz.overlay(np.zeros((20, 30, 3), np.uint8), np.eye(5), alpha=0.5)
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8
    fig = viz.bars([0.1, 0.7, 0.2], ["x", "y", "z"])
    assert list(fig.data[0].y)[-1] == "y"  # the largest bar is drawn on top


def test_cell_labels_are_plain_lists_so_the_browser_can_print_them():
    fig = viz.confusion_matrix(np.array([[3, 1], [0, 4]]), ["a", "b"])
    assert fig.to_plotly_json()["data"][0]["text"] == [[3, 1], [0, 4]]
    heat = viz.heatmap(np.array([[0.123, 0.5]]), text=True)
    assert heat.to_plotly_json()["data"][0]["text"] == [[0.12, 0.5]]


def _image_grid_by_cells(images, titles=None, cols=8, title=None, cell=90, colorscale="gray"):
    """``viz.image_grid`` as it was built before: cell by cell with ``make_subplots``."""
    from plotly import graph_objects as go
    from plotly.subplots import make_subplots

    imgs = [np.asarray(i) for i in images]
    n = max(1, len(imgs))
    cols = max(1, min(cols, n))
    rows = int(np.ceil(n / cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[viz.plain(t) for t in titles] if titles else None,
        horizontal_spacing=0.01,
        vertical_spacing=0.06 if titles else 0.01,
    )
    for i, img in enumerate(imgs):
        r, c = divmod(i, cols)
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        if img.ndim == 2:
            trace = go.Heatmap(
                z=img[::-1],
                colorscale=colorscale,
                showscale=False,
                hovertemplate="x %{x}, y %{y}: %{z:.3g}<extra></extra>",
            )
        else:
            trace = go.Image(source=viz.png_source(viz.to_uint8(img)))
        fig.add_trace(trace, row=r + 1, col=c + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    for i in range(1, n + 1):
        fig.update_yaxes(
            scaleanchor=f"x{'' if i == 1 else i}", row=(i - 1) // cols + 1, col=(i - 1) % cols + 1
        )
    if titles:
        fig.update_annotations(font_size=11)
    extra = (40 if title else 10) + (rows * 14 if titles else 0)
    fig = viz._layout(fig, title, rows * cell + extra + (16 if titles and not title else 0))
    if titles and not title:  # the first row's titles are not cut off at the top
        fig.update_layout(margin_t=26)
    return fig


@pytest.mark.parametrize(
    "images, kwargs",
    [
        ([np.random.rand(8, 8).astype("float32") for _ in range(16)], {"cols": 4}),
        (
            [np.random.rand(6, 5, 3), np.zeros((6, 5, 1)), np.random.rand(6, 5)],
            {"titles": ["a<b>", "", "c & d"], "cols": 2, "title": "T", "cell": 60},
        ),
        (
            np.random.randint(0, 255, (5, 7, 7, 3), dtype=np.uint8),
            {"titles": ["1", "2"], "colorscale": "Viridis"},
        ),
        ([np.random.rand(4, 4)], {"titles": ["only"], "cols": 3}),
        ([np.random.rand(4, 4) for _ in range(3)], {"titles": list("abcdef"), "cols": 2}),
    ],
)
def test_image_grid_is_the_figure_built_cell_by_cell(images, kwargs):
    fast = viz.image_grid(images, **kwargs)
    slow = _image_grid_by_cells(images, **kwargs)
    assert fast.to_dict() == slow.to_dict()
    assert fast._grid_ref == slow._grid_ref
    fast.add_trace(fast.data[0], row=1, col=1)  # the subplot grid still works
    assert fast.data[-1].xaxis == "x"


@pytest.mark.parametrize("shape", [(3, 3, 1, 32), (5, 5, 4, 6), (3, 3, 16, 1)])
def test_filter_grid_is_the_figure_built_cell_by_cell(shape):
    from plotly import graph_objects as go
    from plotly.subplots import make_subplots

    from dl_core.cnn import plots

    k = np.random.default_rng(0).normal(size=shape).astype("float32")
    fast = plots.plot_filters(k, max_filters=16)
    if shape[-1] == 1:
        k = np.moveaxis(k, 2, 3)
    rows, cols = min(k.shape[-1], 8), min(k.shape[2], 8)
    lim = float(np.abs(k).max())
    slow = make_subplots(
        rows=rows,
        cols=cols,
        horizontal_spacing=0.01,
        vertical_spacing=0.01,
        row_titles=[f"#{f}" for f in range(rows)],
        column_titles=[f"in {c}" for c in range(cols)] if cols > 1 else None,
    )
    for f in range(rows):
        for c in range(cols):
            heat = go.Heatmap(
                z=k[:, :, c, f],
                colorscale=viz.DIVERGING,
                zmin=-lim,
                zmax=lim,
                showscale=False,
                hovertemplate=f"filter {f}, in {c}: %{{z:.3g}}<extra></extra>",
            )
            slow.add_trace(heat, f + 1, c + 1)
    slow.update_xaxes(visible=False)
    slow.update_yaxes(visible=False, autorange="reversed")
    assert fast.to_dict() == viz._layout(slow, None, 40 + 44 * rows).to_dict()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rows": 1, "cols": 3, "subplot_titles": ["Q", "K", "V"], "shared_yaxes": True},
        {"rows": 2, "cols": 1, "shared_xaxes": True, "vertical_spacing": 0.08},
        {"specs": [[{"secondary_y": True}]]},
        {"rows": 2, "cols": 2, "row_heights": [0.7, 0.3], "column_titles": ["a", "b"]},
    ],
)
def test_subplots_is_make_subplots_and_each_figure_is_its_own(kwargs):
    from plotly import graph_objects as go
    from plotly.subplots import make_subplots

    def filled(fig):
        rows, cols = len(fig._grid_ref), len(fig._grid_ref[0])
        for r in range(rows):
            for c in range(cols):
                fig.add_trace(go.Bar(y=[r, c]), row=r + 1, col=c + 1)
        if kwargs.get("specs"):
            fig.add_trace(go.Scatter(y=[1, 2]), row=1, col=1, secondary_y=True)
        fig.update_xaxes(title="x", row=rows, col=cols)
        return fig.to_dict()

    assert filled(viz.subplots(**kwargs)) == filled(make_subplots(**kwargs))
    first = viz.subplots(**kwargs)
    first.update_layout(height=123, title="changed")
    first.update_xaxes(title="changed")
    assert viz.subplots(**kwargs).to_dict() == make_subplots(**kwargs).to_dict()
