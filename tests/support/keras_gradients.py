"""Gradients of a Keras 3 layer on jax, for the backward-pass parity tests of the core layers:
``jax.vjp`` through ``stateless_call``, returning the new non-trainable values too."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import numpy as np  # noqa: E402

from tests.support.keras_oracle import reduction_rtol  # noqa: E402


def keras_vjp(klayer, x, weights, dy, training=False):
    """``(y, dx, trainable weight gradients, new non-trainable values)`` of a Keras layer
    built on ``x`` with ``weights`` (in ``get_weights`` order; empty for none)."""
    klayer.build(x.shape)
    if weights:
        klayer.set_weights(weights)
    trainable = [v.value for v in klayer.trainable_variables]
    frozen = [v.value for v in klayer.non_trainable_variables]
    kwargs = {"training": True} if training else {}  # not every layer's call takes it

    def forward(tv, inputs):
        return klayer.stateless_call(tv, frozen, inputs, **kwargs)

    y, vjp, new_frozen = jax.vjp(forward, trainable, x, has_aux=True)
    d_weights, dx = vjp(dy)
    return (np.asarray(y), np.asarray(dx), [np.asarray(g) for g in d_weights],
            [np.asarray(v) for v in new_frozen])


def close(got, want, reduction_size, floor=1.0):
    """float32 comparison scaled by the reduction size, with an absolute floor of
    ``rtol * max(|want|, floor)`` (sums and cancelling activations are only as accurate as
    their terms)."""
    rtol = reduction_rtol(reduction_size)
    np.testing.assert_allclose(got, want, rtol=rtol,
                               atol=rtol * max(float(np.abs(want).max(initial=0)), floor))
