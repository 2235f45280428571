"""Generative models: sample quality under a time budget, and the cost of our training loop.

1. A reference digit classifier (small CNN) is trained here on 4 000 MNIST-5k images and
   checked on the other 1 000.
2. The DCGAN and the VAE, default presets on MNIST-5k, each train until their preset's
   epochs are done or the time budget runs out (``BENCH_GAN_BUDGET_S``, default 180 s),
   whichever comes first; the epochs actually run are printed. 1 000 samples of each are
   classified: the share classified with confidence >= 0.9 (quality) and the class
   histogram with its normalised entropy (diversity; 1 = all ten digits equally often).
3. Epoch time of our DCGAN (``dcgan.DCGAN.train_step`` with label smoothing, D-output
   metrics, divergence checks, sample grid + diversity per epoch, progress reports to a
   job database) vs a plain Keras GAN ``train_step`` with the same networks and losses,
   measured alternately, epoch by epoch; ratio = plain / ours (1 = no overhead).

Run: ``flock /tmp/dl-bench.lock .venv/bin/python -m bench gan``.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import time

os.environ.setdefault("DL_EXPLORER_HOME", tempfile.mkdtemp(prefix="dl-bench-gan-"))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers, ops  # noqa: E402

from bench.common import report  # noqa: E402
from dl_core.assets import load_images  # noqa: E402
from dl_core.gan import dcgan, vae  # noqa: E402
from dl_core.gan.monitor import SampleMonitor, diversity  # noqa: E402
from dl_core.jobs import Reporter  # noqa: E402

BUDGET_S = float(os.environ.get("BENCH_GAN_BUDGET_S", 180))
TIMING_EPOCHS = int(os.environ.get("BENCH_GAN_TIMING_EPOCHS", 3))
N_SAMPLES = 1000


# -- reference classifier ------------------------------------------------------------------
def reference_classifier(x: np.ndarray, y: np.ndarray) -> tuple[keras.Model, float]:
    """Small CNN on 4 000 images; returns it and its accuracy on the other 1 000."""
    xf = x[..., None].astype("float32") / 255.0
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(xf[:4000], y[:4000], epochs=8, batch_size=64, verbose=0)
    return model, float(model.evaluate(xf[4000:], y[4000:], verbose=0)[1])


def quality(classifier: keras.Model, images_uint8: np.ndarray) -> dict:
    """Share of confident (>= 0.9) classifications, class histogram, its normalised entropy."""
    p = classifier.predict(images_uint8.astype("float32") / 255.0, verbose=0)
    counts = np.bincount(p.argmax(1), minlength=10)
    share = counts / counts.sum()
    entropy = float(-(share[share > 0] * np.log(share[share > 0])).sum() / np.log(10))
    return {
        "confident": float((p.max(1) >= 0.9).mean()),
        "histogram": counts.tolist(),
        "entropy": entropy,
    }


# -- training under a budget -----------------------------------------------------------------
class Budget(keras.callbacks.Callback):
    """Stops ``fit`` at the end of the epoch during which the time budget ran out."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds, self.t0, self.epochs = seconds, time.perf_counter(), 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = epoch + 1
        if time.perf_counter() - self.t0 > self.seconds:
            self.model.stop_training = True


def train_gan(x: np.ndarray, cfg: dcgan.Config) -> tuple[keras.Model, int, float]:
    keras.utils.set_random_seed(cfg.seed)
    gan = dcgan.build(cfg)
    budget = Budget(BUDGET_S)
    t0 = time.perf_counter()
    gan.fit(
        dcgan.to_model_range(x[..., None]),
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        shuffle=True,
        verbose=0,
        callbacks=[budget],
    )
    return gan.generator, budget.epochs, time.perf_counter() - t0


def train_vae(x: np.ndarray, cfg: vae.Config) -> tuple[keras.Model, int, float]:
    keras.utils.set_random_seed(cfg.seed)
    model = vae.build(cfg)
    budget = Budget(BUDGET_S)
    t0 = time.perf_counter()
    model.fit(
        x[..., None].astype("float32") / 255.0,
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        shuffle=True,
        verbose=0,
        callbacks=[budget],
    )
    return model.decoder, budget.epochs, time.perf_counter() - t0


# -- epoch time: ours vs a plain Keras GAN train_step --------------------------------------
class PlainGAN(keras.Model):
    """The textbook Keras GAN: one D step and one G step per batch, losses only."""

    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.noise = keras.random.SeedGenerator(0)

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    def train_step(self, real):
        import tensorflow as tf

        real = real[0] if isinstance(real, tuple) else real
        z = keras.random.normal((ops.shape(real)[0], self.latent_dim), seed=self.noise)
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            d_loss = dcgan.bce_logits(
                self.discriminator(real, training=True), 1.0
            ) + dcgan.bce_logits(self.discriminator(fake, training=True), 0.0)
        d_vars = self.discriminator.trainable_weights
        self.d_optimizer.apply(tape.gradient(d_loss, d_vars), d_vars)
        z = keras.random.normal((ops.shape(real)[0], self.latent_dim), seed=self.noise)
        with tf.GradientTape() as tape:
            g_loss = dcgan.bce_logits(
                self.discriminator(self.generator(z, training=True), training=True), 1.0
            )
        g_vars = self.generator.trainable_weights
        self.g_optimizer.apply(tape.gradient(g_loss, g_vars), g_vars)
        return {"d_loss": d_loss, "g_loss": g_loss}


def epoch_times(x: np.ndarray, cfg: dcgan.Config) -> tuple[list[float], list[float]]:
    """Seconds per epoch, ours and plain, alternating (after one warm-up epoch each)."""
    xr = dcgan.to_model_range(x[..., None])
    ours = dcgan.build(cfg)
    rng = np.random.default_rng(0)
    z_fixed = rng.standard_normal((dcgan.N_SAMPLES, cfg.latent_dim)).astype("float32")
    z_div = rng.standard_normal((256, cfg.latent_dim)).astype("float32")
    real_div = diversity(x[:256, ..., None])
    reporter = Reporter("bench-gan-epoch-time")  # writes progress events to a job database
    steps = int(np.ceil(len(x) / cfg.batch_size))
    plain = PlainGAN(dcgan.build_generator(cfg), dcgan.build_discriminator(cfg), cfg.latent_dim)
    plain.compile(
        keras.optimizers.Adam(cfg.d_lr, beta_1=0.5), keras.optimizers.Adam(cfg.g_lr, beta_1=0.5)
    )
    t_ours, t_plain = [], []
    for i in range(TIMING_EPOCHS + 1):
        monitor = SampleMonitor(
            lambda: dcgan.generate(ours.generator, z_fixed),
            lambda: diversity(dcgan.generate(ours.generator, z_div)) / real_div,
        )
        t0 = time.perf_counter()
        ours.fit(
            xr,
            batch_size=cfg.batch_size,
            epochs=1,
            shuffle=True,
            verbose=0,
            callbacks=[monitor, reporter.keras_callback(1, steps, monitor.preview)],
        )
        t1 = time.perf_counter()
        plain.fit(xr, batch_size=cfg.batch_size, epochs=1, shuffle=True, verbose=0)
        t2 = time.perf_counter()
        if i:  # the first epoch of each compiles the graph
            t_ours.append(t1 - t0)
            t_plain.append(t2 - t1)
    return t_ours, t_plain


def main() -> None:
    ds = load_images("mnist5k")
    order = np.random.default_rng(0).permutation(len(ds.y))  # the file is sorted by digit
    x, y = np.asarray(ds.x)[order], np.asarray(ds.y)[order]
    t0 = time.perf_counter()
    clf, acc = reference_classifier(x, y)
    t_clf = time.perf_counter() - t0
    real_q = quality(clf, x[4000:, ..., None])
    gcfg, vcfg = dcgan.PRESETS["default"], vae.PRESETS["default"]
    assert gcfg.dataset == vcfg.dataset == "mnist5k" and gcfg.image_size == 28

    gen, g_epochs, g_time = train_gan(x, gcfg)
    z = np.random.default_rng(1).standard_normal((N_SAMPLES, gcfg.latent_dim)).astype("float32")
    g_q = quality(clf, dcgan.generate(gen, z))

    dec, v_epochs, v_time = train_vae(x, vcfg)
    z = np.random.default_rng(1).standard_normal((N_SAMPLES, vcfg.latent_dim)).astype("float32")
    v_q = quality(clf, vae.decode(dec, z))

    t_ours, t_plain = epoch_times(x, dataclasses.replace(gcfg))
    ours_s, plain_s = statistics.median(t_ours), statistics.median(t_plain)
    report(
        "gan",
        {
            "time budget per model (s)": BUDGET_S,
            "reference classifier: held-out accuracy (1 000 MNIST-5k images)": acc,
            "reference classifier: training time (s)": t_clf,
            "real held-out digits: share confident >= 0.9": real_q["confident"],
            "DCGAN default: epochs run / preset epochs": f"{g_epochs} / {gcfg.epochs}",
            "DCGAN default: training time (s)": g_time,
            "DCGAN samples: share confident >= 0.9": g_q["confident"],
            "DCGAN samples: class histogram (digits 0-9)": g_q["histogram"],
            "DCGAN samples: histogram entropy (1 = uniform)": g_q["entropy"],
            "VAE default: epochs run / preset epochs": f"{v_epochs} / {vcfg.epochs}",
            "VAE default: training time (s)": v_time,
            "VAE samples: share confident >= 0.9": v_q["confident"],
            "VAE samples: class histogram (digits 0-9)": v_q["histogram"],
            "VAE samples: histogram entropy (1 = uniform)": v_q["entropy"],
            "epoch time, our DCGAN (median s)": ours_s,
            "epoch time, plain Keras GAN train_step (median s)": plain_s,
            "epoch times ours / plain (s, each epoch)": [
                f"{a:.2f}/{b:.2f}" for a, b in zip(t_ours, t_plain, strict=True)
            ],
            "ratio plain / ours (target >= 0.95)": plain_s / ours_s,
        },
    )


if __name__ == "__main__":
    main()
