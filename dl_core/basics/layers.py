"""The one custom layer of the basics page: hand-made input features of a 2-D point.

Kept in its own module because it imports Keras (slow); the page itself only needs NumPy.
"""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dl_explorer")
class PlaneFeatures(keras.layers.Layer):
    """Maps points (batch, 2) to chosen features: x, y, x², y², xy, sin x, sin y."""

    def __init__(self, names, **kwargs):
        super().__init__(**kwargs)
        self.names = list(names)

    def call(self, inputs):
        x, y = inputs[:, 0:1], inputs[:, 1:2]
        table = {
            "x": lambda: x,
            "y": lambda: y,
            "x²": lambda: x * x,
            "y²": lambda: y * y,
            "xy": lambda: x * y,
            "sin x": lambda: ops.sin(math.pi * x),
            "sin y": lambda: ops.sin(math.pi * y),
        }
        return ops.concatenate([table[n]() for n in self.names], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], len(self.names))

    def get_config(self):
        return super().get_config() | {"names": self.names}
