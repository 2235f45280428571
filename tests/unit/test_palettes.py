"""Every categorical palette stays distinguishable under the common colour-vision
deficiencies, and every colour scale is one that is (viridis, PuOr, grey)."""

import itertools
import tomllib
from pathlib import Path

import numpy as np
import pytest

from dl_core import viz
from dl_core.basics import plots as basics_plots
from dl_core.segmentation import CLASS_COLOURS as SEGMENTATION_COLOURS
from dl_core.text_generation.plots import CELL_COLOURS
from ui import figures

ROOT = Path(__file__).resolve().parents[2]
MIN_DELTA_E = 10.0  # CIE76 ΔE between any two colours of a palette, under each simulation

# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
SIMULATIONS = {
    "normal": np.eye(3),
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}


def _linear(colour: str) -> np.ndarray:
    c = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    x = xyz @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(x > 0.008856, np.cbrt(x), 7.787 * x + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(palette) -> tuple[float, str, str, str]:
    """The smallest ΔE between two colours of ``palette`` under any simulation."""
    worst = (np.inf, "", "", "")
    for name, matrix in SIMULATIONS.items():
        labs = [_lab(np.clip(np.asarray(matrix) @ _linear(c), 0, 1)) for c in palette]
        for (i, a), (j, b) in itertools.combinations(enumerate(labs), 2):
            d = float(np.linalg.norm(a - b))
            if d < worst[0]:
                worst = (d, palette[i], palette[j], name)
    return worst


def _config_colours() -> list[str]:
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    return theme["chartCategoricalColors"]


PALETTES = {
    "viz.CATEGORICAL": viz.CATEGORICAL,
    "segmentation class colours": SEGMENTATION_COLOURS,
    "basics class colours": list(basics_plots.CLASS_COLOURS),
    "text generation cells": list(CELL_COLOURS.values()),
    "home map": figures.OKABE_ITO,
    "Streamlit chart colours": _config_colours(),
}


@pytest.mark.parametrize("name", PALETTES)
def test_palette_is_distinguishable_with_colour_vision_deficiencies(name):
    d, a, b, how = closest_pair(PALETTES[name])
    assert d >= MIN_DELTA_E, f"{name}: {a} and {b} are {d:.1f} ΔE apart under {how}"


def test_the_check_catches_an_unsafe_palette():
    tab10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    d, a, b, how = closest_pair(tab10)
    assert d < MIN_DELTA_E and how in ("protanopia", "deuteranopia")


def test_colour_scales_are_perceptually_ordered_and_safe():
    assert viz.SEQUENTIAL in ("Viridis", "Cividis")
    assert viz.DIVERGING.removesuffix("_r") in ("PuOr", "RdBu")
    sources = [*ROOT.glob("dl_core/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("app_pages/*.py")]
    unsafe = ("jet", "rainbow", "hsv", "RdYlGn", "Picnic", "Portland", "Hot", "Electric")
    for path in sources:
        text = path.read_text()
        for name in unsafe:
            assert f'colorscale="{name}"' not in text, f"{path}: {name}"


def test_labels_on_coloured_boxes_use_the_readable_text_colour():
    assert viz.text_colour("#F0E442") == "#000000"  # yellow: black text
    assert viz.text_colour("#882255") == "#FFFFFF"  # wine: white text
