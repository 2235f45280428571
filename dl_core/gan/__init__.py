"""Generative models: a DCGAN and an autoencoder / VAE, trained on the same images.

- :mod:`dl_core.gan.config`: both models' settings (``DCGANConfig``, ``VAEConfig``, presets).
- :mod:`dl_core.gan.data`: bundled image sets or an upload, resized and greyscale/colour.
- :mod:`dl_core.gan.dcgan`: generator, discriminator, the adversarial ``train_step``.
- :mod:`dl_core.gan.vae`: encoder, decoder, the ELBO ``train_step``, latent grids.
- :mod:`dl_core.gan.train`: ``train_dcgan`` and ``train_vae`` (jobs), ``warmup_jobs``.
- :mod:`dl_core.gan.monitor`: sample grids per epoch, diversity (mode collapse), divergence.
- :mod:`dl_core.gan.analysis`: spherical interpolation, main latent directions, neighbours.
- :mod:`dl_core.gan.plots`: the figures (plotly), never displayed here.
- :mod:`dl_core.gan.tf_gradients`: the only TensorFlow-specific code (gradients).

Each model module re-exports its settings (``Config``, ``PRESETS``, ``validate``) from
:mod:`.config`; the topic's spec in :mod:`dl_core.topics` declares both models.
"""

from dl_core.gan import dcgan, vae
from dl_core.gan.train import train_dcgan, train_vae, warmup_jobs

__all__ = ["dcgan", "train_dcgan", "train_vae", "vae", "warmup_jobs"]
