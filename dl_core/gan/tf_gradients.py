"""The one TensorFlow-specific piece of the generative models: gradients in ``train_step``.

Keras 3 has no backend-neutral way to take gradients inside a custom ``train_step``
(TensorFlow uses ``GradientTape``, JAX a stateless function, PyTorch ``backward()``),
so this module implements the TensorFlow branch only.
Everything else in :mod:`dl_core.gan` uses Keras layers and ``keras.ops``; supporting
another backend means adding its branch here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras


def minimise(loss_fn: Callable[[], object], variables: Sequence, optimizer) -> object:
    """Compute ``loss_fn()``, take its gradient w.r.t. ``variables``, apply one optimizer step
    (with loss scaling when ``optimizer`` is a ``keras.optimizers.LossScaleOptimizer``).

    Returns:
        The loss tensor (and, if ``loss_fn`` returns a tuple, that tuple; the first item is
        the loss that is minimised).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            out = loss_fn()
            loss = out[0] if isinstance(out, tuple) else out
            # Mixed precision: a LossScaleOptimizer multiplies the loss so that float16
            # gradients do not underflow, and its ``apply`` divides them back (and skips a
            # step whose gradients overflowed). A plain optimizer returns the loss as it is.
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, variables)
        optimizer.apply(grads, variables)
        return out
    raise NotImplementedError(
        f"The generative models train with the TensorFlow backend only, not {backend!r}."
    )
