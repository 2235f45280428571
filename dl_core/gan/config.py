"""What the generative-models page can ask for: a ``Config``, ``PRESETS`` and ``validate``
for each of its two models, the DCGAN (:mod:`.dcgan`) and the autoencoder / VAE (:mod:`.vae`).

Each model module re-exports its own under the usual names (``dcgan.Config``, ``vae.PRESETS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from dl_core.errors import ConfigError
from dl_core.gan import data as gdata


# -- DCGAN ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DCGANConfig:
    dataset: str = "mnist5k"
    image_size: int = 28
    channels: int = 1
    max_images: int = 5000
    latent_dim: int = 64
    g_depth: int = 2  # upsampling blocks in G (image_size / 2**depth is the start size)
    g_width: int = 64  # filters of G's widest block; halves at each upsampling
    d_depth: int = 2  # strided convolutions in D
    d_width: int = 64  # filters of D's last convolution; halves towards the input
    g_lr: float = 2e-4
    d_lr: float = 2e-4
    d_steps: int = 1  # discriminator updates per generator update
    label_smoothing: float = 0.1  # real label = 1 - label_smoothing
    batch_size: int = 64
    epochs: int = 15
    seed: int = 0


DCGAN_PRESETS = {
    "tiny": DCGANConfig(
        dataset="digits",
        max_images=128,
        latent_dim=8,
        g_width=16,
        d_width=16,
        batch_size=32,
        epochs=2,
    ),
    "default": DCGANConfig(epochs=5),
    "longer": DCGANConfig(epochs=20),
}


def validate_dcgan(cfg: DCGANConfig) -> list[str]:
    """Raise :class:`ConfigError` for impossible settings; return warnings worth showing."""
    if cfg.latent_dim < 1:
        raise ConfigError(f"The latent size must be at least 1 (it is {cfg.latent_dim}).")
    if cfg.image_size not in gdata.IMAGE_SIZES:
        raise ConfigError(f"Image size must be one of {gdata.IMAGE_SIZES}.")
    if cfg.channels not in (1, 3):
        raise ConfigError("Images must be greyscale (1 channel) or colour (3 channels).")
    for name, depth in (("generator", cfg.g_depth), ("discriminator", cfg.d_depth)):
        if not 1 <= depth <= 4 or cfg.image_size % 2**depth:
            raise ConfigError(
                f"The {name} depth must be 1-4 and halve {cfg.image_size}-pixel images evenly "
                f"that many times; {depth} does not (try 2)."
            )
    if min(cfg.g_width, cfg.d_width) < 2 ** max(cfg.g_depth, cfg.d_depth) // 2:
        raise ConfigError("The networks are too narrow for their depth; use a width of 16 or more.")
    if min(cfg.g_lr, cfg.d_lr) <= 0:
        raise ConfigError("Learning rates must be positive.")
    if not 0 <= cfg.label_smoothing < 0.5:
        raise ConfigError("Label smoothing must be between 0 and 0.5.")
    if cfg.d_steps < 1 or cfg.batch_size < 2 or cfg.epochs < 1 or cfg.max_images < 1:
        raise ConfigError("Steps, batch size, epochs and image count must be positive.")
    warnings = []
    if max(cfg.g_lr, cfg.d_lr) > 0.01:
        warnings.append("Learning rates above 0.01 usually make a GAN diverge; 0.0002 is typical.")
    return warnings


# -- autoencoder / VAE --------------------------------------------------------------------
KINDS = ("vae", "ae")


@dataclass(frozen=True)
class VAEConfig:
    dataset: str = "mnist5k"
    image_size: int = 28
    channels: int = 1
    max_images: int = 5000
    kind: str = "vae"  # "vae" or "ae" (plain autoencoder)
    latent_dim: int = 2
    width: int = 32  # filters of the first convolution (the second has twice as many)
    beta: float = 1.0  # weight of the KL term (VAE only)
    noise: float = 0.0  # std of Gaussian noise added to inputs (denoising when > 0)
    lr: float = 1e-3
    batch_size: int = 64
    epochs: int = 15
    seed: int = 0


VAE_PRESETS = {
    "tiny": VAEConfig(dataset="digits", max_images=128, width=8, batch_size=32, epochs=5, lr=1e-2),
    "default": VAEConfig(epochs=6),
    "longer": VAEConfig(epochs=20),
}


def validate_vae(cfg: VAEConfig) -> list[str]:
    """Raise :class:`ConfigError` for impossible settings; return warnings."""
    if cfg.kind not in KINDS:
        raise ConfigError(f"Model must be one of {KINDS}, not '{cfg.kind}'.")
    if cfg.latent_dim < 1:
        raise ConfigError(f"The latent size must be at least 1 (it is {cfg.latent_dim}).")
    if cfg.image_size not in gdata.IMAGE_SIZES or cfg.channels not in (1, 3):
        raise ConfigError(f"Image size must be one of {gdata.IMAGE_SIZES}, with 1 or 3 channels.")
    if cfg.width < 2 or cfg.lr <= 0 or cfg.beta < 0 or cfg.noise < 0:
        raise ConfigError("Width and learning rate must be positive; beta and noise at least 0.")
    if cfg.batch_size < 2 or cfg.epochs < 1 or cfg.max_images < 1:
        raise ConfigError("Batch size, epochs and image count must be positive.")
    warnings = []
    if cfg.latent_dim != 2:
        warnings.append(
            "With a latent size other than 2 the scatter and the grid show the two "
            "main directions of the codes (PCA), not the codes themselves."
        )
    return warnings
