"""DCGAN: a generator learns to turn random vectors into images by fooling a discriminator.

Goodfellow et al., "Generative Adversarial Nets" (2014): D maximises and G minimises

    V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

with G trained on the non-saturating loss -log D(G(z)). Radford et al., "Unsupervised
Representation Learning with Deep Convolutional GANs" (2015): strided convolutions, batch
norm in G, LeakyReLU in D, tanh output, Adam with beta_1 = 0.5. One-sided label smoothing
(real target 1 - s) from Salimans et al., "Improved Techniques for Training GANs" (2016).

The model and what is read from a trained one; ``train_dcgan`` (in :mod:`dl_core.gan.train`)
runs the custom ``keras.Model.train_step`` below through ``fit``; only the gradient call is
TensorFlow-specific (:mod:`dl_core.gan.tf_gradients`).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from dl_core.gan.config import DCGAN_PRESETS as PRESETS  # noqa: F401 - pages read dcgan.PRESETS
from dl_core.gan.config import DCGANConfig as Config
from dl_core.gan.config import validate_dcgan as validate  # noqa: F401 - and .validate
from dl_core.gan.monitor import to_uint8
from dl_core.gan.tf_gradients import minimise

N_SAMPLES = 36  # the fixed-latent grid saved every epoch (6 x 6)


# -- model ---------------------------------------------------------------------------------
def build_generator(cfg: Config) -> keras.Model:
    """z (latent_dim,) -> image (S, S, C) in [-1, 1]: dense, then ``g_depth`` upsamplings."""
    start = cfg.image_size // 2**cfg.g_depth
    z = keras.Input((cfg.latent_dim,), name="z")
    h = layers.Dense(start * start * cfg.g_width, use_bias=False)(z)
    h = layers.LeakyReLU(0.2)(layers.BatchNormalization()(h))
    h = layers.Reshape((start, start, cfg.g_width))(h)  # (start, start, width)
    for i in range(cfg.g_depth):
        filters = max(8, cfg.g_width // 2 ** (i + 1))
        h = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(h)
        h = layers.LeakyReLU(0.2)(layers.BatchNormalization()(h))  # (2x, 2x, filters)
    # outputs in float32 under mixed precision (what analysis and losses expect)
    x = layers.Conv2D(
        cfg.channels, 3, padding="same", activation="tanh", name="image", dtype="float32"
    )(h)
    return keras.Model(z, x, name="generator")


def build_discriminator(cfg: Config) -> keras.Model:
    """image (S, S, C) -> one logit (real > 0 > fake): ``d_depth`` strided convolutions."""
    x = keras.Input((cfg.image_size, cfg.image_size, cfg.channels), name="image")
    h = x
    for i in range(cfg.d_depth):
        filters = max(8, cfg.d_width // 2 ** (cfg.d_depth - 1 - i))
        h = layers.LeakyReLU(0.2)(layers.Conv2D(filters, 4, strides=2, padding="same")(h))
    h = layers.Dropout(0.3)(layers.Flatten()(h))
    logit = layers.Dense(1, name="logit", dtype="float32")(h)  # float32 under mixed precision
    return keras.Model(x, logit, name="discriminator")


def bce_logits(logits, target: float):
    """Binary cross-entropy of logits against a constant target (numerically stable)."""
    return ops.mean(ops.softplus(logits) - target * logits)


class DCGAN(keras.Model):
    """Generator + discriminator trained together by ``fit`` (one ``train_step`` per batch).

    Each step: ``d_steps`` discriminator updates on a real batch and fresh fakes, then one
    generator update. Logs ``d_loss``, ``g_loss`` and the mean discriminator outputs
    ``d_real`` = D(x) and ``d_fake`` = D(G(z)) (0.5 each = the equilibrium).
    """

    def __init__(
        self, generator, discriminator, latent_dim, d_steps=1, label_smoothing=0.0, seed=0, **kwargs
    ):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim, self.d_steps = latent_dim, d_steps
        self.real_target = 1.0 - label_smoothing
        self.noise = keras.random.SeedGenerator(seed)
        names = ("d_loss", "g_loss", "d_real", "d_fake")
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        if self.dtype_policy.name == "mixed_float16":  # what compile() does for one optimizer
            d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
            g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def train_step(self, data):
        real = data[0] if isinstance(data, tuple) else data  # (B, S, S, C) in [-1, 1]
        batch = ops.shape(real)[0]
        for _ in range(self.d_steps):
            z = keras.random.normal((batch, self.latent_dim), seed=self.noise)

            def d_loss_fn(z=z):
                fake = self.generator(z, training=True)
                real_logits = self.discriminator(real, training=True)
                fake_logits = self.discriminator(fake, training=True)
                loss = bce_logits(real_logits, self.real_target) + bce_logits(fake_logits, 0.0)
                return loss, real_logits, fake_logits

            d_loss, real_logits, fake_logits = minimise(
                d_loss_fn, self.discriminator.trainable_weights, self.d_optimizer
            )
        z = keras.random.normal((batch, self.latent_dim), seed=self.noise)

        def g_loss_fn():
            return bce_logits(
                self.discriminator(self.generator(z, training=True), training=True), 1.0
            )

        g_loss = minimise(g_loss_fn, self.generator.trainable_weights, self.g_optimizer)
        values = dict(
            d_loss=d_loss,
            g_loss=g_loss,
            d_real=ops.mean(ops.sigmoid(real_logits)),
            d_fake=ops.mean(ops.sigmoid(fake_logits)),
        )
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}


def build(cfg: Config) -> DCGAN:
    """The compiled DCGAN for a config (Adam with beta_1 = 0.5, as in the DCGAN paper)."""
    gan = DCGAN(
        build_generator(cfg),
        build_discriminator(cfg),
        cfg.latent_dim,
        d_steps=cfg.d_steps,
        label_smoothing=cfg.label_smoothing,
        seed=cfg.seed,
    )
    gan.compile(
        keras.optimizers.Adam(cfg.d_lr, beta_1=0.5), keras.optimizers.Adam(cfg.g_lr, beta_1=0.5)
    )
    return gan


def to_model_range(x_uint8: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [-1, 1] (the generator's tanh range)."""
    return x_uint8.astype("float32") / 127.5 - 1.0


def generate(generator: keras.Model, z: np.ndarray, batch: int = 256) -> np.ndarray:
    """Images ``(N, S, S, C)`` uint8 for latent vectors ``z`` ``(N, latent_dim)``."""
    outs = [
        ops.convert_to_numpy(generator(z[i : i + batch], training=False))
        for i in range(0, len(z), batch)
    ]
    return to_uint8(np.concatenate(outs), low=-1.0)


# -- analysis ------------------------------------------------------------------------------
def latent_views(
    generator: keras.Model,
    z: np.ndarray,
    directions: np.ndarray,
    a: int,
    b: int,
    spread: float = 0.5,
    moves: tuple[float, ...] = (0.0, 0.0, 0.0),
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Images for the latent-space panel, all from rows ``a`` and ``b`` of ``z``.

    Returns:
        ``path``: 10 images along the spherical path from z[a] to z[b]; ``near``: z[a] and
        7 random neighbours ("more like this"); ``walk``: z[a] and z[a] moved by ``moves``
        along the main ``directions``.
    """
    from dl_core.gan import analysis

    def show(zz):
        return generate(generator, zz)

    return {
        "path": analysis.interpolate(show, z[a], z[b], 10),
        "near": show(analysis.neighbours(z[a], 8, spread, seed)),
        "walk": show(np.stack([z[a], analysis.walk(z[a], directions, moves)])),
    }
