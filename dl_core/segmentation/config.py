"""What the segmentation page can ask for: ``Config``, its ``PRESETS`` and ``validate``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dl_core.errors import ConfigError
from dl_core.segmentation.data import DATASETS
from dl_core.segmentation.model import ARCHITECTURES, ENCODERS, UPSAMPLING


@dataclass(frozen=True)
class Config:
    """Every choice the segmentation page offers."""

    dataset: str = "scenes"  # "scenes" | "animals"
    architecture: str = "unet"  # "unet" | "deeplab"
    encoder: str = "scratch"  # "scratch" | "mobilenet_v2" | "efficientnet_lite0"
    image_size: int = 32
    n_train: int = 3000
    n_val: int = 200
    depth: int = 3  # U-Net levels
    width: int = 16  # filters of the first stage
    skips: bool = True  # U-Net skip connections
    upsampling: str = "transpose"  # U-Net decoder: "transpose" | "bilinear"
    rates: tuple[int, ...] = (2, 4, 6)  # DeepLab ASPP dilation rates
    epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 3e-3  # peak; cosine decay to 5 % over the run
    max_seconds: float = 0.0  # stop after this long (0 = run all epochs); used by bench/
    seed: int = 0


# What a comparison may change (the second run's value): a list of options or (min, max, step).
CHOICES: list[tuple[str, str, list | tuple]] = [
    ("Architecture", "architecture", list(ARCHITECTURES)),
    ("Encoder", "encoder", list(ENCODERS)),
    ("Skip connections", "skips", [True, False]),
    ("Upsampling", "upsampling", list(UPSAMPLING)),
    ("Depth", "depth", (1, 5, 1)),
    ("Width", "width", [4, 8, 16, 24, 32, 48, 64]),
    ("Image size", "image_size", [16, 24, 32, 48, 64, 96, 128]),
    ("Training images", "n_train", [16, 64, 250, 500, 1000, 1500, 2000, 3000, 5000]),
    ("Epochs", "epochs", (1, 50, 1)),
    ("Learning rate", "learning_rate", [3e-4, 1e-3, 3e-3, 1e-2, 3e-2]),
    ("Data", "dataset", list(DATASETS)),
    ("Seed", "seed", (0, 99_999, 1)),
]

PRESETS: dict[str, Config] = {
    "tiny": Config(image_size=24, n_train=64, n_val=16, depth=2, width=8, epochs=1, batch_size=16),
    "default": Config(epochs=4),  # about 70 s on 2 CPU cores, held-out mean IoU about 0.67
    "longer": Config(),  # 3000 images x 10 epochs: best masks (IoU about 0.82), 2.5 min on a CPU
}


def validate(cfg: Config) -> list[str]:
    """Raise :class:`ConfigError` for impossible settings; return warnings worth showing."""
    checks = [
        (cfg.dataset in DATASETS, f"Unknown data set '{cfg.dataset}'."),
        (cfg.architecture in ARCHITECTURES, f"Unknown architecture '{cfg.architecture}'."),
        (cfg.encoder in ENCODERS, f"Unknown encoder '{cfg.encoder}'."),
        (cfg.upsampling in UPSAMPLING, f"Unknown upsampling '{cfg.upsampling}'."),
        (16 <= cfg.image_size <= 128, "Image size must be between 16 and 128 pixels."),
        (16 <= cfg.n_train <= 5000, "Use between 16 and 5 000 training images."),
        (4 <= cfg.n_val <= 1000, "Use between 4 and 1 000 held-out images."),
        (4 <= cfg.width <= 64, "Width must be between 4 and 64 filters."),
        (1 <= cfg.epochs <= 100, "Epochs must be between 1 and 100."),
        (1 <= cfg.batch_size <= 256, "Batch size must be between 1 and 256."),
        (1e-5 <= cfg.learning_rate <= 1.0, "The learning rate must be between 0.00001 and 1."),
        (1 <= len(cfg.rates) <= 4, "DeepLab needs one to four atrous rates."),
        (all(1 <= r <= 12 for r in cfg.rates), "Atrous rates must be between 1 and 12."),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
    lo, hi = (1, 4) if cfg.encoder == "scratch" else (2, 5)
    if cfg.architecture == "unet" and not lo <= cfg.depth <= hi:
        raise ConfigError(f"U-Net depth must be between {lo} and {hi} with this encoder.")
    if cfg.architecture == "unet" and cfg.encoder == "scratch" and cfg.image_size < 2**cfg.depth:
        raise ConfigError(
            f"A depth of {cfg.depth} halves {cfg.image_size}-pixel images to nothing; "
            "use a smaller depth or larger images."
        )
    warnings = []
    if cfg.encoder != "scratch":
        warnings.append(
            "The ImageNet encoder is frozen (only the decoder learns) and sees images padded "
            "to a multiple of 32 pixels."
        )
    if (
        cfg.architecture == "deeplab"
        and cfg.encoder == "scratch"
        and max(cfg.rates) * 2 >= (cfg.image_size / 8)
    ):
        warnings.append(
            f"At {cfg.image_size} px the ASPP sees a {math.ceil(cfg.image_size / 8)}×"
            f"{math.ceil(cfg.image_size / 8)} map: a rate of {max(cfg.rates)} puts most kernel "
            "taps in the zero padding."
        )
    return warnings
