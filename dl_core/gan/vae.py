"""Autoencoder and variational autoencoder (VAE), optionally denoising.

An autoencoder squeezes each image through a small code z and rebuilds it. A VAE
(Kingma & Welling, "Auto-Encoding Variational Bayes", 2013) makes the code a distribution
q(z|x) = N(mu, sigma^2) and pulls it towards the prior N(0, I), so that decoding random
z ~ N(0, I) gives new images. It maximises the evidence lower bound

    ELBO = E_q[log p(x|z)] - beta * KL(q(z|x) || N(0, I))

(beta = 1 is the plain VAE; Higgins et al. 2017 for beta != 1). A denoising autoencoder
(Vincent et al. 2008) sees a noisy image and must output the clean one.

The models, the ELBO ``train_step`` and the latent grids; ``train_vae`` (in
:mod:`dl_core.gan.train`) fits them.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from dl_core.gan.config import KINDS  # noqa: F401 - the page reads vae.KINDS
from dl_core.gan.config import VAE_PRESETS as PRESETS  # noqa: F401 - pages read vae.PRESETS
from dl_core.gan.config import VAEConfig as Config
from dl_core.gan.config import validate_vae as validate  # noqa: F401 - and .validate
from dl_core.gan.monitor import to_uint8
from dl_core.gan.tf_gradients import minimise

N_SAMPLES = 36
N_EMBED = 1000  # training images whose latent codes are kept for the scatter plot


# -- model ---------------------------------------------------------------------------------
def build_encoder(cfg: Config) -> keras.Model:
    """image (S, S, C) in [0, 1] -> (z_mean, z_log_var), each (latent_dim,)."""
    x = keras.Input((cfg.image_size, cfg.image_size, cfg.channels), name="image")
    h = layers.Conv2D(cfg.width, 3, strides=2, padding="same", activation="relu")(x)
    h = layers.Conv2D(2 * cfg.width, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Dense(8 * cfg.width, activation="relu")(layers.Flatten()(h))  # (S/4 * S/4 * 2w,)
    # float32 under mixed precision: exp(log_var) and the KL term overflow in float16
    mean = layers.Dense(cfg.latent_dim, name="z_mean", dtype="float32")(h)
    log_var = layers.Dense(cfg.latent_dim, name="z_log_var", dtype="float32")(h)
    return keras.Model(x, [mean, log_var], name="encoder")


def build_decoder(cfg: Config) -> keras.Model:
    """z (latent_dim,) -> image (S, S, C) in [0, 1] (sigmoid)."""
    s = cfg.image_size // 4
    z = keras.Input((cfg.latent_dim,), name="z")
    h = layers.Dense(s * s * 2 * cfg.width, activation="relu")(z)
    h = layers.Reshape((s, s, 2 * cfg.width))(h)
    h = layers.Conv2DTranspose(2 * cfg.width, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Conv2DTranspose(cfg.width, 3, strides=2, padding="same", activation="relu")(h)
    x = layers.Conv2D(
        cfg.channels, 3, padding="same", activation="sigmoid", name="image", dtype="float32"
    )(h)
    return keras.Model(z, x, name="decoder")


def kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per example, summed over latent dims (>= 0)."""
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)


def reconstruction_loss(x, x_hat):
    """Binary cross-entropy summed over pixels, per example (-log p(x|z) for Bernoulli pixels)."""
    x_hat = ops.clip(x_hat, 1e-7, 1 - 1e-7)
    bce = -(x * ops.log(x_hat) + (1 - x) * ops.log(1 - x_hat))
    return ops.sum(ops.reshape(bce, (ops.shape(x)[0], -1)), axis=-1)


class VAE(keras.Model):
    """Encoder + decoder with the (beta-)ELBO loss; ``variational=False`` = plain autoencoder.

    Logs ``loss`` (per image), ``reconstruction`` and ``kl`` (0 for the plain autoencoder).
    """

    def __init__(self, encoder, decoder, variational=True, beta=1.0, noise=0.0, seed=0, **kw):
        super().__init__(**kw)
        self.encoder, self.decoder = encoder, decoder
        self.variational, self.beta, self.noise = variational, beta, noise
        self.rng = keras.random.SeedGenerator(seed)
        self.trackers = {n: keras.metrics.Mean(name=n) for n in ("loss", "reconstruction", "kl")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def corrupt(self, x):
        """The noisy input of the denoising mode (the clean ``x`` when noise is 0)."""
        if self.noise <= 0:
            return x
        return ops.clip(x + self.noise * keras.random.normal(ops.shape(x), seed=self.rng), 0, 1)

    def call(self, x, training=False):
        mean, log_var = self.encoder(x, training=training)
        return self.decoder(mean, training=training)

    def losses_for(self, x, training=True):
        mean, log_var = self.encoder(self.corrupt(x), training=training)
        if self.variational:  # reparameterisation: z = mean + sigma * eps
            eps = keras.random.normal(ops.shape(mean), seed=self.rng)
            z = mean + ops.exp(0.5 * log_var) * eps
            kl = ops.mean(kl_divergence(mean, log_var))
        else:
            z, kl = mean, ops.convert_to_tensor(0.0)
        recon = ops.mean(reconstruction_loss(x, self.decoder(z, training=training)))
        return recon + self.beta * kl, recon, kl

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data  # (B, S, S, C) in [0, 1]
        loss, recon, kl = minimise(
            lambda: self.losses_for(x), self.trainable_weights, self.optimizer
        )
        for name, value in (("loss", loss), ("reconstruction", recon), ("kl", kl)):
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}


def build(cfg: Config) -> VAE:
    model = VAE(
        build_encoder(cfg),
        build_decoder(cfg),
        variational=cfg.kind == "vae",
        beta=cfg.beta,
        noise=cfg.noise,
        seed=cfg.seed,
    )
    model.compile(optimizer=keras.optimizers.Adam(cfg.lr))
    return model


def decode(decoder: keras.Model, z: np.ndarray, batch: int = 256) -> np.ndarray:
    """uint8 images for latent vectors ``z``."""
    outs = [
        ops.convert_to_numpy(decoder(np.asarray(z[i : i + batch], "float32"), training=False))
        for i in range(0, len(z), batch)
    ]
    return to_uint8(np.concatenate(outs))


def encode(encoder: keras.Model, x_uint8: np.ndarray, batch: int = 256) -> np.ndarray:
    """Latent means ``(N, latent_dim)`` of uint8 images."""
    x = x_uint8.astype("float32") / 255.0
    return np.concatenate(
        [
            ops.convert_to_numpy(encoder(x[i : i + batch], training=False)[0])
            for i in range(0, len(x), batch)
        ]
    )


def plane_axes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre and two axes (2, latent_dim) of the plane the grid covers, one std long each.

    For a 2-D latent space: the codes' mean and the two latent axes scaled by the codes'
    spread (a plain autoencoder's codes need not be near N(0, I)). Otherwise: the mean and
    the two main directions (PCA) of the codes.
    """
    centre = codes.mean(0).astype("float32")
    d = codes.shape[1]
    if d <= 2:
        axes = np.diag(codes.std(0) + 1e-6)
        return centre, np.vstack([axes, np.zeros((2 - d, d))]).astype("float32")
    _, s, vt = np.linalg.svd(codes - centre, full_matrices=False)
    axes = vt[:2] * (s[:2, None] / math.sqrt(max(1, len(codes) - 1)))
    return centre, axes.astype("float32")


def project(codes: np.ndarray, centre: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """Coordinates ``(N, 2)`` of codes in the plane of :func:`plane_axes`."""
    coords, *_ = np.linalg.lstsq(axes.T, (codes - centre).T, rcond=None)
    return coords.T.astype("float32")


def latent_grid(decoder, centre: np.ndarray, axes: np.ndarray, n: int = 12, span: float = 2.5):
    """Decode an ``n x n`` grid over [-span, span]^2 in the latent plane.

    Returns:
        uint8 images ``(n * n, S, S, C)``, row by row from the top (second axis high) left.
    """
    ticks = np.linspace(-span, span, n, dtype="float32")
    coords = np.array([(a, b) for b in ticks[::-1] for a in ticks], "float32")  # (n*n, 2)
    return decode(decoder, centre + coords @ axes)


def latent_views(result) -> dict:
    """What the VAE panel draws from a finished job's result.

    Returns:
        ``xy`` (N, 2) codes in the plane (raw for a 2-D latent space, else PCA), ``axis``
        titles, ``grid`` (144 decoded images over that plane) and ``rows`` (originals,
        encoder inputs and reconstructions, 12 each).
    """
    codes = result["codes"]
    centre, axes = plane_axes(codes)
    flat = codes.shape[1] == 2
    rows = [result["originals"], result["inputs"], result["reconstructions"]]
    return {
        "xy": codes if flat else project(codes, centre, axes),
        "axis": ("z1", "z2") if flat else ("PC1", "PC2"),
        "grid": latent_grid(result["decoder"], centre, axes, 12),
        "rows": np.concatenate(rows),
    }
