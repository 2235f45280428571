"""Text generation: character- (and word-) level language models with SimpleRNN, LSTM, GRU.

A recurrent network reads a text one token at a time, carries a state vector from step
to step, and learns to predict the next token; sampling from its predictions (with a
temperature) writes new text. The page compares the three cells at the same budget,
measures how much a sample copies its training text, and looks inside the cells.

References: Elman 1990 (simple recurrent networks); Hochreiter & Schmidhuber 1997 (LSTM);
Cho et al. 2014 (GRU); Bengio, Simard & Frasconi 1994 and Pascanu et al. 2013 (vanishing
gradients); Karpathy, Johnson & Fei-Fei 2015 (char-rnn, interpretable cells); Strobelt et
al. 2017 (LSTMVis). The keras-io character-level LSTM example is the starting point.

Reading order: :mod:`.config` (Config, PRESETS, validate) -> :mod:`.data` (text, vocabulary,
windows) -> :mod:`.model` (the Keras model) -> :mod:`.train` (``train``, a job) ->
:mod:`.cells` (NumPy cells, sampling, gates) -> :mod:`.analysis` (memorisation, tracking
units, gradient norms, ``validation_bpc``) -> :mod:`.plots`.
"""

from dl_core.text_generation.analysis import (
    CopyIndex,
    Memorisation,
    gradient_norms,
    memorisation,
    most_active_units,
    states_over,
    text_features,
    tracking_units,
    validation_bpc,
)
from dl_core.text_generation.cells import (
    GATES,
    NumpyLM,
    generate,
    next_distribution,
    parse_temperatures,
    temperature_note,
)
from dl_core.text_generation.config import (
    CELL_NAMES,
    CELLS,
    CHOICES,
    LEVELS,
    OPTIMIZERS,
    PRESETS,
    Config,
    validate,
)
from dl_core.text_generation.data import (
    TextStats,
    Vocab,
    build_vocab,
    describe_text,
    load_corpus,
    passage,
    split,
    tokenize,
)
from dl_core.text_generation.model import build_model
from dl_core.text_generation.plots import (
    plot_curves,
    plot_gates,
    plot_gradient_norms,
    plot_states,
    plot_temperature,
    plot_unit_trace,
    token_shares,
)
from dl_core.text_generation.train import prepare, train, warmup_jobs

__all__ = [
    "CELLS",
    "CELL_NAMES",
    "CopyIndex",
    "GATES",
    "LEVELS",
    "OPTIMIZERS",
    "PRESETS",
    "CHOICES",
    "Config",
    "Memorisation",
    "NumpyLM",
    "TextStats",
    "Vocab",
    "build_model",
    "build_vocab",
    "describe_text",
    "generate",
    "gradient_norms",
    "load_corpus",
    "memorisation",
    "most_active_units",
    "next_distribution",
    "parse_temperatures",
    "passage",
    "plot_curves",
    "plot_gates",
    "plot_gradient_norms",
    "plot_states",
    "plot_temperature",
    "token_shares",
    "plot_unit_trace",
    "prepare",
    "split",
    "states_over",
    "temperature_note",
    "text_features",
    "tokenize",
    "tracking_units",
    "train",
    "validate",
    "validation_bpc",
    "warmup_jobs",
]
