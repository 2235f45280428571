"""Generative models: a DCGAN and an autoencoder / VAE, trained on the same images.

- :mod:`dl_core.gan.config`: both models' settings (``DCGANConfig``, ``VAEConfig``, presets).
- :mod:`dl_core.gan.data`: bundled image sets or an upload, resized and greyscale/colour.
- :mod:`dl_core.gan.dcgan`: generator, discriminator, the adversarial ``train_step``, ``train``.
- :mod:`dl_core.gan.vae`: encoder, decoder, the ELBO ``train_step``, latent grids, ``train``.
- :mod:`dl_core.gan.monitor`: sample grids per epoch, diversity (mode collapse), divergence.
- :mod:`dl_core.gan.latent`: spherical interpolation, main latent directions, neighbours.
- :mod:`dl_core.gan.plots`: the figures (plotly), never displayed here.
- :mod:`dl_core.gan.tf_gradients`: the only TensorFlow-specific code (gradients).

Each model module has the topic names (``Config``, ``PRESETS``, ``validate``, ``train``),
imported from :mod:`.config`; the topic's spec in :mod:`dl_core.topics` declares both models.
"""

from dl_core.gan import dcgan, vae


def warmup_jobs() -> list[tuple]:
    """What ``python -m dl_core warmup`` trains: both default models on MNIST-5k."""
    return [*dcgan.warmup_jobs(), *vae.warmup_jobs()]


__all__ = ["dcgan", "vae", "warmup_jobs"]
