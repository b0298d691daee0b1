"""Keras 3 on jax: ``keras.ops`` for the forward float32 conv cases, and ``train_on_batch``
for the autoencoder step (the training function jit-compiled by Keras, compiled during the
warm-up). Keras has no thread-count setting: XLA uses its default, one thread per core.
"""

from __future__ import annotations

import os

# choosing the backend, not tuning it: the same as a Keras-on-jax user's environment
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import suite  # noqa: E402
from benchmarks.harness import Pending  # noqa: E402

LIBRARY = "keras"


def version() -> str:
    return f"{keras.__version__} on {keras.backend.backend()}"


def set_threads(n: int) -> None:
    """Nothing to set: XLA's CPU thread pool has no run-time size setting."""


def _conv(case):
    a, p = suite.conv_arrays(case), case.params
    x, kern, fmt = a["x"], a["kernel"], case.data_format
    s, padding, d = p["s"], p["padding"], p["dilation"]
    if case.op == "conv":
        return lambda: np.asarray(keras.ops.conv(x, kern, s, padding, fmt, d))
    return lambda: np.asarray(keras.ops.conv_transpose(x, kern, s, padding, None, fmt, d))


def _separable(case):
    a = suite.separable_arrays(case)
    x, dk, pk = a["x"], a["depthwise"], a["pointwise"]
    if case.op == "separable":
        return lambda: np.asarray(keras.ops.separable_conv(x, dk, pk, padding="same"))
    return lambda: np.asarray(keras.ops.depthwise_conv(x, dk, padding="same"))


def _autoencoder(case):
    a, p = suite.autoencoder_arrays(case), case.params
    L = keras.layers
    stack = [L.Conv2D(cout, 3, strides=stride, padding="same", activation="relu")
             if kind == "conv" else
             L.Conv2DTranspose(cout, 3, strides=stride, padding="same", activation="relu")
             for kind, _, cout, stride in p["layers"][:-1]]
    stack.append(L.Conv2D(p["layers"][-1][2], 3, padding="same"))
    model = keras.Sequential(stack)
    model.build((None, p["size"], p["size"], 1))
    model.set_weights(a["weights"])
    model.compile(keras.optimizers.Adam(learning_rate=1e-3), "mse")
    x, y = a["x"], a["y"]

    def run():
        return model.train_on_batch(x, y)

    def result():
        loss = run()
        return {"loss": np.asarray(loss, np.float64),
                **{f"w{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}}
    return run, result


def build(case):
    if case.op in ("conv", "convT"):
        run = _conv(case)
    elif case.op in ("depthwise", "separable"):
        run = _separable(case)
    elif case.op == "autoencoder":
        return _autoencoder(case)
    else:
        raise Pending(f"no Keras peer for {case.op}")
    return run, lambda: {"y": run()}
