"""Convolution by hand: NumPy output equals SciPy / Keras, sizes, bad kernels and settings."""

import numpy as np
import pytest
from scipy.signal import correlate2d

from dl_core.cnn import convolution as conv
from dl_core.cnn import plots
from dl_core.errors import ConfigError

RNG = np.random.default_rng(0)
IMAGE = RNG.random((13, 17)).astype(np.float32)


@pytest.mark.parametrize("name", ["edge (Laplacian)", "blur (Gaussian 5×5)", "emboss", "sharpen"])
def test_valid_and_same_match_scipy_correlate2d(name):
    k = conv.kernel(name)
    np.testing.assert_allclose(
        conv.convolve(IMAGE, k, 1, "valid"), correlate2d(IMAGE, k, mode="valid"), atol=1e-5
    )
    np.testing.assert_allclose(
        conv.convolve(IMAGE, k, 1, "same"), correlate2d(IMAGE, k, mode="same"), atol=1e-5
    )


@pytest.mark.parametrize("stride", [2, 3, 5])
def test_strided_valid_is_a_subsample_of_scipy(stride):
    k = RNG.normal(size=(3, 3)).astype(np.float32)
    want = correlate2d(IMAGE, k, mode="valid")[::stride, ::stride]
    np.testing.assert_allclose(conv.convolve(IMAGE, k, stride, "valid"), want, atol=1e-5)


@pytest.mark.parametrize(("k", "stride"), [(3, 2), (4, 2), (5, 3), (2, 1)])
def test_same_padding_matches_keras_conv(k, stride):
    from keras import ops

    kern = RNG.normal(size=(k, k)).astype(np.float32)
    ours = conv.convolve(IMAGE, kern, stride, "same")
    ref = ops.convert_to_numpy(
        ops.conv(IMAGE[None, :, :, None], kern[:, :, None, None], strides=stride, padding="same")
    )[0, :, :, 0]
    assert (
        ours.shape
        == ref.shape
        == (conv.output_size(13, k, stride, "same"), conv.output_size(17, k, stride, "same"))
    )
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_patch_points_at_the_window_that_made_the_output():
    k = conv.kernel("blur (box)")
    for padding in ("same", "valid"):
        out = conv.convolve(IMAGE, k, 2, padding)
        r, c = conv.patch(IMAGE.shape, 3, 2, padding, 2, 3)
        padded = np.pad(IMAGE, 3)  # room for windows over the padding zeros
        window = padded[r + 3 : r + 6, c + 3 : c + 6]
        assert out[2, 3] == pytest.approx(float((window * k).sum()), abs=1e-5)


def test_pooling_max_and_average():
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_array_equal(conv.pool(x, 2, "max"), [[5, 7], [13, 15]])
    np.testing.assert_array_equal(conv.pool(x, 2, "avg"), [[2.5, 4.5], [10.5, 12.5]])
    assert conv.pool(np.ones((5, 5)), 2, "max").shape == (2, 2)


def test_parse_kernel_reads_rows_and_fractions():
    k = conv.parse_kernel("1/9, 1/9, 1/9\n1/9 1/9 1/9; 1/9 1/9 1/9")
    np.testing.assert_allclose(k, np.full((3, 3), 1 / 9), rtol=1e-6)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("nan 0 0\n0 1 0\n0 0 0", "NaN"),
        ("0 0 0\n0 0 0\n0 0 0", "all zeros"),
        ("1 2\n3 4 5", "square"),
        ("1 x 2\n1 1 1\n1 1 1", "not a number"),
        ("", "square"),
        ("\n".join(" ".join("1" * 9) for _ in range(9)), "at most"),
    ],
)
def test_bad_kernels_give_a_sentence(text, words):
    with pytest.raises(ConfigError, match=words):
        conv.parse_kernel(text)


def test_impossible_settings_give_a_sentence():
    with pytest.raises(ConfigError, match="larger than the image"):
        conv.validate((5, 5), 3, 8, "same", 1)
    with pytest.raises(ConfigError, match="does not fit"):
        conv.validate((2, 2), 3, 1, "valid", 1)
    with pytest.raises(ConfigError, match="pooling window"):
        conv.validate((1, 1), 3, 1, "same", 2)
    conv.validate((1, 1), 3, 1, "same", 1)  # a 1×1 image still convolves


def test_to_grey_shrinks_big_images_and_keeps_tiny_ones():
    big = np.full((1000, 700, 3), 255, np.uint8)
    grey = conv.to_grey(big)
    assert max(grey.shape) <= conv.MAX_SIDE and grey.max() == pytest.approx(1.0)
    assert conv.to_grey(np.zeros((1, 1, 3), np.uint8)).shape == (1, 1)


def test_shape_explanation_names_the_output_size():
    text = conv.explain_shape((13, 17), 3, 2, "valid", 2)
    assert "**8×6**" in text and "**4×3**" in text


def test_convolution_pictures_colour_every_panel_and_box_the_window():
    k = conv.kernel("emboss")
    out = conv.convolve(IMAGE, k, 1, "same")
    pics = plots.convolution_pictures(IMAGE, k, out, conv.pool(out))
    assert pics["input"].shape == (13, 17, 3) and pics["output"].shape == (13, 17, 3)
    assert pics["pooled"].shape == (6, 8, 3)
    darkest = np.unravel_index(np.argmin(IMAGE), IMAGE.shape)
    assert tuple(pics["input"][darkest]) == (0, 0, 0)  # grey: darkest black, lightest white
    assert pics["input"].max() >= 250
    lo, hi = (
        np.unravel_index(np.argmin(out), out.shape),
        np.unravel_index(np.argmax(out), out.shape),
    )
    assert pics["output"][lo][2] > pics["output"][lo][0]  # negative: purple (more blue)
    assert pics["output"][hi][0] > pics["output"][hi][2]  # positive: orange (more red)
    assert pics["kernel_text"] == [[f"{v:.2g}" for v in row] for row in k]
    assert pics["kernel_colours"][0][2] == "#f7f7f7"  # zero: white, in the middle of the scale
    big = plots.convolution_pictures(IMAGE, np.ones((7, 7)), out, None)
    assert "pooled" not in big and all(t == "" for row in big["kernel_text"] for t in row)
    window, pixel = plots.convolution_boxes(IMAGE.shape, 3, (4, 5), (3, 4))
    assert window[:4] == (4, 3, 7, 6) and pixel[:4] == (5, 4, 6, 5)
    edge, _ = plots.convolution_boxes(IMAGE.shape, 3, (0, 0), (-1, -1))  # padding: cut to fit
    assert edge[:4] == (0, 0, 2, 2)
