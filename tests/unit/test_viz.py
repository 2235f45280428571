import numpy as np

from dl_core import viz


def test_image_grid_has_one_trace_per_image():
    imgs = [np.zeros((8, 8)), np.ones((8, 8, 3)), np.random.rand(8, 8, 1)]
    fig = viz.image_grid(imgs, titles=["a", "b", "c"], cols=2)
    assert len(fig.data) == 3
    assert [a.text for a in fig.layout.annotations] == ["a", "b", "c"]


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
