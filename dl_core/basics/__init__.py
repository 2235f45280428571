"""Neural-network basics: from the perceptron to a deep MLP on 2-D data.

A multilayer perceptron computes ``a⁽ˡ⁾ = φ(W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾)`` layer by layer and is
trained by gradient descent on a loss (Rumelhart, Hinton & Williams 1986, "Learning
representations by back-propagating errors"; Rosenblatt 1958 for the perceptron). The page
follows TensorFlow Playground (Smilkov & Carter 2016): 2-D data, hand-made input features,
the decision boundary and every neuron's output drawn as training proceeds.

Modules, top to bottom: :mod:`.config` (``Config``, ``PRESETS``, ``validate``),
:mod:`.data` (data sets, features, uploaded tables), :mod:`.model` (``build_model``),
:mod:`.train` (``train``, a job), :mod:`.analysis` (NumPy forward pass over recorded
weights, lessons), :mod:`.plots` (figures).
"""

from dl_core.basics.analysis import (
    boundary,
    epoch_of,
    forward,
    loss_surface,
    neuron_maps,
    optimizer_path,
    perceptron,
    predict,
    unflatten,
)
from dl_core.basics.config import (
    ACTIVATIONS,
    CHOICES,
    LOSSES,
    OPTIMIZERS,
    PRESETS,
    REGULARIZERS,
    Config,
    validate,
)
from dl_core.basics.data import (
    CLASSIFICATION,
    DATASETS,
    FEATURES,
    MAX_ADDED,
    REGRESSION,
    add_points,
    clean_points,
    dump_points,
    features,
    is_classification,
    make_dataset,
    parse_points,
    split,
    table_to_dataset,
)
from dl_core.basics.model import (
    COMPARISONS,
    build_model,
    describe,
    keras_code,
    load_exported,
    parse_hidden,
    variant,
)
from dl_core.basics.plots import (
    plot_activations,
    plot_boundary,
    plot_loss_surface,
    plot_losses,
    plot_network,
    plot_perceptron,
)
from dl_core.basics.train import load_points, train, warmup_jobs

__all__ = [
    "ACTIVATIONS",
    "CLASSIFICATION",
    "DATASETS",
    "FEATURES",
    "LOSSES",
    "OPTIMIZERS",
    "CHOICES",
    "PRESETS",
    "REGRESSION",
    "REGULARIZERS",
    "Config",
    "boundary",
    "build_model",
    "epoch_of",
    "features",
    "forward",
    "is_classification",
    "keras_code",
    "load_exported",
    "load_points",
    "loss_surface",
    "make_dataset",
    "neuron_maps",
    "optimizer_path",
    "perceptron",
    "plot_activations",
    "plot_boundary",
    "plot_loss_surface",
    "plot_losses",
    "plot_network",
    "plot_perceptron",
    "predict",
    "split",
    "table_to_dataset",
    "train",
    "unflatten",
    "validate",
    "warmup_jobs",
    "COMPARISONS",
    "MAX_ADDED",
    "add_points",
    "clean_points",
    "dump_points",
    "parse_points",
    "describe",
    "parse_hidden",
    "variant",
]
