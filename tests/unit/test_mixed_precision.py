"""Mixed precision (``DL_EXPLORER_MIXED_PRECISION=1`` on a GPU server) is correct in the
generative models' own training steps: the loss is scaled and the gradients unscaled, and
the models' outputs stay float32."""

import dataclasses

import keras
import numpy as np
import pytest

from dl_core.gan import dcgan, train_dcgan, train_vae, vae
from dl_core.gan.tf_gradients import minimise
from dl_core.jobs import Reporter


@pytest.fixture
def mixed_precision():
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def _step(optimizer) -> float:
    v = keras.Variable(1.0)
    minimise(lambda: v * v, [v], optimizer)  # d(v^2)/dv = 2 at v = 1
    return float(v.numpy())


def test_minimise_scales_the_loss_and_unscales_the_gradients():
    """A loss-scale optimizer takes the same step as the plain one (1 - 0.1 * 2 = 0.8);
    without scaling the loss, its ``apply`` would divide the gradient by the scale."""
    assert _step(keras.optimizers.SGD(0.1)) == pytest.approx(0.8)
    scaled = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=1024.0)
    assert _step(scaled) == pytest.approx(0.8)


def test_dcgan_trains_under_mixed_precision(mixed_precision):
    cfg = dataclasses.replace(dcgan.PRESETS["tiny"], epochs=1)
    gan = dcgan.build(cfg)
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    res = train_dcgan(cfg, None, Reporter())
    assert res["generator"].outputs[0].dtype == "float32"
    assert res["discriminator"].outputs[0].dtype == "float32"
    assert all(np.isfinite(res["history"][k][-1]) for k in ("d_loss", "g_loss"))
    assert np.isfinite(res["directions"]).all()


def test_vae_trains_under_mixed_precision(mixed_precision):
    res = train_vae(dataclasses.replace(vae.PRESETS["tiny"], epochs=1), None, Reporter())
    decoder = res["decoder"]
    assert decoder.outputs[0].dtype == "float32"
    assert all(np.isfinite(res["history"][k][-1]) for k in ("loss", "kl"))


def test_detection_trains_in_float32_under_mixed_precision(mixed_precision):
    """keras-cv's YOLOv8 loss fails under mixed_float16: detection trains in float32 and
    leaves the worker's policy as it found it."""
    from dl_core import detection

    res = detection.train(detection.PRESETS["tiny"], None, Reporter())
    assert res["model"].dtype_policy.name == "float32"
    assert keras.config.dtype_policy().name == "mixed_float16"
