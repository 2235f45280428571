"""DCGAN, autoencoder/VAE, latent walks and figures on the tiny presets."""

import dataclasses
import io
import zipfile

import keras
import numpy as np
import pytest
from PIL import Image

from dl_core import uploads
from dl_core.errors import ConfigError, TrainingDiverged, UploadError
from dl_core.gan import analysis, dcgan, monitor, plots, vae
from dl_core.gan import data as gdata
from dl_core.gan import train as gan_train
from dl_core.jobs import Reporter
from dl_core.store import unpack_arrays


@pytest.fixture(scope="module")
def gan_run():
    reporter = Reporter()
    return gan_train.train_dcgan(dcgan.PRESETS["tiny"], None, reporter), reporter


@pytest.fixture(scope="module")
def vae_run():
    return gan_train.train_vae(vae.PRESETS["tiny"], None, Reporter())


# -- data ----------------------------------------------------------------------------------
def test_bundled_data_is_resized_to_the_requested_shape():
    x, y, names = gdata.load("digits", 32, 3, 40, seed=0)
    assert x.shape == (40, 32, 32, 3) and x.dtype == np.uint8
    assert len(y) == 40 and names[0] == "0"
    assert x.max() > 200  # not blank after the 8x8 -> 32x32 resize


def _png(size, mode):
    buf = io.BytesIO()
    colour = (200, 30, 30, 255)[: len(mode)] if mode != "L" else 200
    Image.new(mode, size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _zip(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_three_uploaded_images_are_refused_with_a_sentence():
    ds = uploads.load_image_zip(
        _zip({f"faces/{i}.png": _png((20, 20), "RGB") for i in range(3)}),
        size=(64, 64),
        min_classes=1,
    )
    with pytest.raises(UploadError, match="3 usable images.*at least 16"):
        gdata.pack_upload(ds.as_array(), ds.labels, ds.class_names)


def test_upload_of_mixed_sizes_and_modes_trains_at_one_shape():
    modes = ["RGB", "L", "RGBA", "P"]
    files = {f"a/{i}.png": _png((10 + i, 30 - i), modes[i % 4]) for i in range(20)}
    ds = uploads.load_image_zip(_zip(files), size=(64, 64), min_classes=1)
    blob = gdata.pack_upload(ds.as_array(), ds.labels, ds.class_names)
    x, _, names = gdata.load("upload", 28, 1, 5000, 0, data=blob)
    assert x.shape == (20, 28, 28, 1) and names == ["a"]
    assert unpack_arrays(blob)["x"].shape == (20, 64, 64, 3)


def test_flat_zip_without_folders_is_accepted_for_generation():
    files = {f"{i}.png": _png((12, 12), "RGB") for i in range(16)}
    files["notes.txt"] = b"hello"
    fp, ds = gdata.store_upload(_zip(files))
    assert len(ds) == 16 and ds.class_names == ["images"]
    assert any("notes.txt" in s for s in ds.skipped)  # nothing dropped silently
    assert len(fp) == 64


# -- models --------------------------------------------------------------------------------
@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3)])
def test_generator_output_shape_and_range_match_the_data(size, channels):
    cfg = dataclasses.replace(dcgan.PRESETS["tiny"], image_size=size, channels=channels)
    g = dcgan.build_generator(cfg)
    out = keras.ops.convert_to_numpy(g(np.random.default_rng(0).normal(size=(4, 8)) * 10))
    assert out.shape == (4, size, size, channels)
    assert out.min() >= -1 and out.max() <= 1  # tanh, the range data is scaled to
    assert dcgan.build_discriminator(cfg).output_shape == (None, 1)
    assert dcgan.generate(g, np.zeros((3, 8), "float32")).dtype == np.uint8


def test_one_train_step_changes_both_networks():
    cfg = dcgan.PRESETS["tiny"]
    gan = dcgan.build(cfg)
    real = dcgan.to_model_range(gdata.load("digits", 28, 1, 32, 0)[0])
    before_g = [w.copy() for w in gan.generator.get_weights()]
    before_d = [w.copy() for w in gan.discriminator.get_weights()]
    logs = gan.train_on_batch(real, return_dict=True)
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(logs)
    assert any(
        not np.allclose(a, b) for a, b in zip(before_g, gan.generator.get_weights(), strict=True)
    )
    assert any(
        not np.allclose(a, b)
        for a, b in zip(before_d, gan.discriminator.get_weights(), strict=True)
    )


def test_vae_kl_term_is_non_negative_and_zero_at_the_prior():
    rng = np.random.default_rng(0)
    mean, log_var = rng.normal(size=(64, 3)) * 3, rng.normal(size=(64, 3)) * 3
    kl = keras.ops.convert_to_numpy(vae.kl_divergence(mean, log_var))
    assert (kl >= 0).all() and kl.max() > 1
    zero = vae.kl_divergence(np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32"))
    assert np.allclose(keras.ops.convert_to_numpy(zero), 0)


def test_latent_grid_decodes_to_the_right_shape():
    cfg = dataclasses.replace(vae.PRESETS["tiny"], image_size=32, channels=3)
    dec = vae.build_decoder(cfg)
    centre, axes = vae.plane_axes(np.random.default_rng(0).normal(size=(50, 2)))
    grid = vae.latent_grid(dec, centre, axes, n=5)
    assert grid.shape == (25, 32, 32, 3) and grid.dtype == np.uint8


def test_plane_axes_use_pca_for_wider_latents():
    codes = np.random.default_rng(0).normal(size=(200, 6)) * [5, 1, 1, 1, 1, 0.1]
    centre, axes = vae.plane_axes(codes)
    assert axes.shape == (2, 6) and abs(axes[0, 0]) > 3  # first axis = the wide direction
    coords = vae.project(codes, centre, axes)
    assert coords.shape == (200, 2) and abs(coords[:, 0].std() - 1) < 0.1


def test_bad_settings_are_refused_with_sentences():
    with pytest.raises(ConfigError, match="latent size"):
        dcgan.validate(dataclasses.replace(dcgan.PRESETS["tiny"], latent_dim=0))
    with pytest.raises(ConfigError, match="latent size"):
        vae.validate(dataclasses.replace(vae.PRESETS["tiny"], latent_dim=0))
    with pytest.raises(ConfigError, match="depth"):
        dcgan.validate(dataclasses.replace(dcgan.PRESETS["tiny"], g_depth=3))  # 28 / 8
    assert dcgan.validate(dataclasses.replace(dcgan.PRESETS["tiny"], g_lr=10.0))


def test_learning_rate_10_is_reported_as_divergence_not_a_crash():
    cfg = dataclasses.replace(dcgan.PRESETS["tiny"], g_lr=10.0, d_lr=10.0)
    with pytest.raises(TrainingDiverged, match="learning rate"):
        gan_train.train_dcgan(cfg, None, Reporter())


# -- training ------------------------------------------------------------------------------
def test_tiny_gan_trains_reports_and_saves_a_grid_per_epoch(gan_run):
    out, reporter = gan_run
    epochs = dcgan.PRESETS["tiny"].epochs
    assert out["samples"].shape == (epochs, dcgan.N_SAMPLES, 28, 28, 1)
    assert out["history"]["d_loss"][-1] < out["history"]["d_loss"][0]
    assert len(out["history"]["diversity"]) == epochs
    previews = [e["preview"] for e in reporter.events if e["kind"] == "epoch"]
    assert len(previews) == epochs and previews[-1].shape == out["samples"][-1].shape
    assert "diversity" in reporter.events[-1]["metrics"]
    d = out["directions"]
    assert d.shape == (5, 8) and np.allclose(np.linalg.norm(d, axis=1), 1, atol=1e-4)


def test_tiny_vae_reduces_its_loss(vae_run):
    h = vae_run["history"]
    assert h["loss"][-1] < h["loss"][0]
    assert min(h["kl"]) >= 0
    assert vae_run["codes"].shape == (128, 2) and len(vae_run["labels"]) == 128
    assert vae_run["reconstructions"].shape == vae_run["originals"].shape


def test_denoising_mode_feeds_noisy_inputs():
    cfg = dataclasses.replace(vae.PRESETS["tiny"], noise=0.5, epochs=1, kind="ae")
    out = gan_train.train_vae(cfg, None, Reporter())
    assert np.abs(out["inputs"].astype(int) - out["originals"].astype(int)).mean() > 20
    assert out["history"]["kl"] == [0.0]


# -- latent space --------------------------------------------------------------------------
def test_slerp_endpoints_equal_inputs_and_keep_the_norm():
    rng = np.random.default_rng(1)
    z0, z1 = rng.normal(size=16), rng.normal(size=16)
    path = analysis.slerp(z0, z1, np.linspace(0, 1, 9))
    assert np.allclose(path[0], z0, atol=1e-5) and np.allclose(path[-1], z1, atol=1e-5)
    z1 = z1 / np.linalg.norm(z1) * np.linalg.norm(z0)
    norms = np.linalg.norm(analysis.slerp(z0, z1, np.linspace(0, 1, 9)), axis=1)
    assert np.allclose(norms, np.linalg.norm(z0), rtol=1e-4)  # a straight line would dip
    assert np.allclose(analysis.slerp(z0, 2 * z0, 0.5), 1.5 * z0, atol=1e-5)  # parallel


def test_walk_and_neighbours(gan_run):
    out, _ = gan_run
    z = out["z_fixed"][0]
    moved = analysis.walk(z, out["directions"], [2.0, 0, 0])
    assert np.isclose(np.linalg.norm(moved - z), 2.0, atol=1e-4)
    near = analysis.neighbours(z, n=6, spread=0.3)
    assert near.shape == (6, 8) and np.allclose(near[0], z)


def test_diversity_and_collapse_flags():
    same = np.zeros((10, 8, 8, 1), np.uint8)
    varied = np.random.default_rng(0).integers(0, 255, (10, 8, 8, 1), dtype=np.uint8)
    assert monitor.diversity(same) == 0 and monitor.diversity(varied) > 1
    assert monitor.flag_collapse([0.5, 0.9, 0.95, 0.4, 0.3]) == [4, 5]
    assert monitor.flag_collapse([0.3, 0.5, 0.8, 0.9]) == []


# -- figures -------------------------------------------------------------------------------
def test_figures_are_objects_with_the_expected_parts(gan_run, vae_run):
    out, _ = gan_run
    mosaic = plots.tile(out["samples"][-1], cols=6)
    assert mosaic.shape == (6 * 30 + 2, 6 * 30 + 2, 4) and mosaic.dtype == np.uint8
    assert (mosaic[:2, :, 3] == 0).all() and (
        mosaic[2:30, 2:30, 3] == 255
    ).all()  # see-through gaps
    big = plots.grid_image(out["samples"][-1], cols=6, min_width=480)
    assert big.shape[1] >= 480 and np.array_equal(big[::3, ::3], mosaic)  # whole-pixel zoom
    hist = plots.plot_gan_history(out["history"], collapse_epochs=[2])
    names = {t.name for t in hist.data}
    assert {"d_loss", "g_loss", "D(x) real", "D(G(z)) fake", "diversity"} <= names
    assert "possible mode collapse" in names
    vh = plots.plot_vae_history(vae_run["history"])
    assert [t.name for t in vh.data] == ["reconstruction", "KL"]
    sc = plots.plot_latent_scatter(vae_run["codes"], vae_run["labels"], vae_run["class_names"])
    assert len(sc.data) == 10 and sc.layout.xaxis.title.text == "z1"


def test_tiny_vae_draws_shapes_not_a_grey_grid(vae_run):
    # The tiny preset once decoded every latent point to the same flat grey (pixel std 0.5).
    last = vae_run["samples"][-1].astype(float)
    assert last.std() > 10 and vae_run["reconstructions"].astype(float).std() > 10
