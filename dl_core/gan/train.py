"""Training both generative models: ``train_dcgan`` and ``train_vae`` run inside a job worker.

The models are in :mod:`dl_core.gan.dcgan` and :mod:`dl_core.gan.vae`; every epoch the
:class:`~dl_core.gan.monitor.SampleMonitor` keeps the fixed-latent sample grid (the epoch
scrubber) and checks the losses. Their jobs keep the names they had when each ``train``
lived in its model's module (``dl_core.gan.dcgan:train``, ``dl_core.gan.vae:train``; see
:mod:`dl_core.topics`).
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from dl_core.gan import data as gdata
from dl_core.gan import dcgan, vae
from dl_core.gan.config import (
    DCGAN_PRESETS,
    VAE_PRESETS,
    DCGANConfig,
    VAEConfig,
    validate_dcgan,
    validate_vae,
)
from dl_core.gan.monitor import SampleMonitor, diversity, to_uint8


# -- DCGAN -----------------------------------------------------------------------------------
def train_dcgan(cfg: DCGANConfig, data: bytes | None, report) -> dict:
    """Train a DCGAN (runs in a worker). Reports every batch; a sample grid every epoch.

    Returns:
        ``generator``, ``discriminator`` (Keras models); ``samples`` (epochs, 36, S, S, C)
        uint8 from a fixed latent batch ``z_fixed``; ``real`` (36 training images);
        ``directions`` (5, latent_dim) main latent directions; ``history`` per epoch
        (losses, D outputs, ``diversity``) and ``collapse_epochs``.
    """
    validate_dcgan(cfg)
    keras.utils.set_random_seed(cfg.seed)
    x, _, _ = gdata.load(cfg.dataset, cfg.image_size, cfg.channels, cfg.max_images, cfg.seed, data)
    gan = dcgan.build(cfg)
    rng = np.random.default_rng(cfg.seed)
    z_fixed = rng.standard_normal((dcgan.N_SAMPLES, cfg.latent_dim)).astype("float32")
    z_div = rng.standard_normal((256, cfg.latent_dim)).astype("float32")
    real_div = diversity(x[rng.permutation(len(x))[:256]])
    monitor = SampleMonitor(
        lambda: dcgan.generate(gan.generator, z_fixed),
        lambda: diversity(dcgan.generate(gan.generator, z_div)) / real_div,
    )
    steps = math.ceil(len(x) / cfg.batch_size)
    gan.fit(
        dcgan.to_model_range(x),
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        shuffle=True,
        verbose=0,
        callbacks=[
            monitor,
            report.keras_callback(
                cfg.epochs, steps, monitor.preview, checkpoint={"generator": gan.generator}
            ),
        ],
    )
    from dl_core.gan.analysis import latent_directions

    return {
        "generator": gan.generator,
        "discriminator": gan.discriminator,
        "samples": np.stack(monitor.samples),
        "z_fixed": z_fixed,
        "real": x[: dcgan.N_SAMPLES],
        "directions": latent_directions(gan.generator, cfg.latent_dim, seed=cfg.seed),
        "history": monitor.history,
        "collapse_epochs": monitor.collapse_epochs(),
    }


# -- autoencoder / VAE -----------------------------------------------------------------------
def train_vae(cfg: VAEConfig, data: bytes | None, report) -> dict:
    """Train an autoencoder or VAE (runs in a worker); a prior-sample grid every epoch.

    Returns:
        ``encoder``, ``decoder``; ``samples`` (epochs, 36, S, S, C) decoded from fixed
        z ~ N(0, I) (also for the plain autoencoder, whose codes need not fill that
        region: which is why it generates poorly);
        ``codes`` (N, latent_dim) and ``labels`` for the scatter; ``originals``,
        ``inputs`` (noisy in denoising mode) and ``reconstructions``; ``history``.
    """
    validate_vae(cfg)
    keras.utils.set_random_seed(cfg.seed)
    x, y, names = gdata.load(
        cfg.dataset, cfg.image_size, cfg.channels, cfg.max_images, cfg.seed, data
    )
    model = vae.build(cfg)
    rng = np.random.default_rng(cfg.seed)
    z_fixed = rng.standard_normal((vae.N_SAMPLES, cfg.latent_dim)).astype("float32")
    z_div = rng.standard_normal((256, cfg.latent_dim)).astype("float32")
    real_div = diversity(x[rng.permutation(len(x))[:256]])
    monitor = SampleMonitor(
        lambda: vae.decode(model.decoder, z_fixed),
        lambda: diversity(vae.decode(model.decoder, z_div)) / real_div,
        limit=50.0 * x[0].size,  # the losses are sums over pixels
    )
    steps = math.ceil(len(x) / cfg.batch_size)
    xf = x.astype("float32") / 255.0
    model.fit(
        xf,
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        shuffle=True,
        verbose=0,
        callbacks=[monitor, report.keras_callback(cfg.epochs, steps, monitor.preview)],
    )
    keep = rng.permutation(len(x))[: vae.N_EMBED]
    show = x[keep[:12]].astype("float32") / 255.0
    noisy = ops.convert_to_numpy(model.corrupt(ops.convert_to_tensor(show)))
    return {
        "encoder": model.encoder,
        "decoder": model.decoder,
        "samples": np.stack(monitor.samples),
        "z_fixed": z_fixed,
        "codes": vae.encode(model.encoder, x[keep]),
        "labels": y[keep],
        "class_names": names,
        "originals": x[keep[:12]],
        "inputs": to_uint8(noisy),
        "reconstructions": to_uint8(ops.convert_to_numpy(model(noisy, training=False))),
        "history": monitor.history,
        "kind": cfg.kind,
    }


def warmup_jobs() -> list[tuple]:
    """What ``python -m dl_core warmup`` trains: both default models on MNIST-5k."""
    return [
        (train_dcgan, DCGAN_PRESETS["default"], None, "DCGAN · default"),
        (train_vae, VAE_PRESETS["default"], None, "VAE · default"),
    ]
