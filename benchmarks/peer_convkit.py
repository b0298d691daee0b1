"""convkit's side of every case: what a convkit user calls, and its result for the agreement step.

Forward conv cases call the ops on a kernel packed once (as a built layer holds it); training
cases call ``layer.backward(x, dy)`` (forward + backward) on a built layer; the autoencoder
runs ``model.train_on_batch``. A layer or backward pass that does not exist yet raises
:class:`~benchmarks.harness.Pending` (at build time, or from the first call).
"""

from __future__ import annotations

import numpy as np

import convkit
from benchmarks import suite
from benchmarks.harness import Pending
from convkit import layers, models, ops, optimizers
from convkit.ops.conv import pack_conv_kernel
from convkit.ops.conv_transpose import pack_conv_transpose_kernel

LIBRARY = "convkit"


def version() -> str:
    return f"{convkit.__version__} (ISA {convkit._kernels.ISA})"


def set_threads(n: int) -> None:
    convkit.set_num_threads(n)


def _layer(name: str, *args, **kwargs):
    cls = getattr(layers, name, None)
    if cls is None:
        raise Pending(f"convkit.layers.{name} does not exist yet")
    return cls(*args, **kwargs)


def _backward_runner(layer, x, dy, weights):
    layer.build(x.shape)
    layer.set_weights(weights)

    def run():
        try:
            return layer.backward(x, dy)
        except NotImplementedError as e:
            raise Pending(f"{type(layer).__name__}.backward: {e}") from None

    def result():
        dx, grads = run()
        return {"dx": dx, **{f"d{i}": g for i, g in enumerate(grads)}}
    return run, result


def _conv(case):
    a, p = suite.conv_arrays(case), case.params
    s, padding, d, fmt = p["s"], p["padding"], p["dilation"], case.data_format
    x = a["x"]
    if case.op == "conv":
        packed = pack_conv_kernel(a["kernel"])
        run = lambda: ops.conv(x, packed, s, padding, fmt, d)  # noqa: E731
    elif case.op == "convT":
        packed = pack_conv_transpose_kernel(a["kernel"], s, d)
        run = lambda: ops.conv_transpose(x, packed, s, padding, None, fmt, d)  # noqa: E731
    else:
        rank = p["rank"]
        name = f"Conv{rank}D" + ("Transpose" if case.op == "convT_train" else "")
        # the layer's dtype is the case's (a Keras layer casts its inputs to its own dtype)
        layer = _layer(name, p["cout"], p["k"], strides=s, padding=padding, data_format=fmt,
                       dilation_rate=d, dtype=case.dtype)
        return _backward_runner(layer, x, a["dy"], [a["kernel"], a["bias"]])
    return run, lambda: {"y": run()}


def _separable(case):
    a, p = suite.separable_arrays(case), case.params
    x, dk, pk = a["x"], a["depthwise"], a["pointwise"]
    s, fmt = p.get("s", 1), case.data_format
    if case.op == "depthwise":
        run = lambda: ops.depthwise_conv(x, dk, s, "same", fmt)  # noqa: E731
    elif case.op == "separable":
        run = lambda: ops.separable_conv(x, dk, pk, s, "same", fmt)  # noqa: E731
    elif case.op == "depthwise_train":
        layer = _layer("DepthwiseConv2D", p["k"], padding="same", depth_multiplier=p["m"],
                       dtype=case.dtype)
        return _backward_runner(layer, x, a["dy"], [dk, a["bias"]])
    else:
        layer = _layer("SeparableConv2D", p["f"], p["k"], padding="same",
                       depth_multiplier=p["m"], dtype=case.dtype)
        return _backward_runner(layer, x, a["dy"], [dk, pk, a["bias"]])
    return run, lambda: {"y": run()}


def _memory(case):
    x, crop = suite.image_arrays(case)["x"], case.params.get("crop")
    run = {"upsample_nearest": lambda: ops.upsample(x, (2, 2)),
           "upsample_bilinear": lambda: ops.upsample(x, (2, 2), interpolation="bilinear"),
           "zeropad": lambda: ops.zero_pad(x, [(1, 1), (1, 1)]),
           "crop": lambda: ops.crop(x, [(crop, crop), (crop, crop)])}[case.op]
    return run, lambda: {"y": run()}


def _pool(case):
    a, p = suite.image_arrays(case), case.params
    layer = _layer(p["layer"], pool_size=p["pool"], strides=p["stride"], padding=p["padding"])
    x = a["x"]
    if case.op == "pool_train":
        return _backward_runner(layer, x, a["dy"], [])
    return (lambda: layer(x)), lambda: {"y": layer(x)}


def _autoencoder(case):
    a, p = suite.autoencoder_arrays(case), case.params
    stack = []
    for kind, _, cout, stride in p["layers"][:-1]:
        name = "Conv2D" if kind == "conv" else "Conv2DTranspose"
        stack.append(_layer(name, cout, 3, strides=stride, padding="same", activation="relu"))
    stack.append(_layer("Conv2D", p["layers"][-1][2], 3, padding="same"))
    model = models.Sequential(stack)
    model.build((None, p["size"], p["size"], 1))
    model.set_weights(a["weights"])
    model.compile(optimizers.Adam(learning_rate=1e-3), "mse")
    x, y = a["x"], a["y"]

    def run():
        try:
            return model.train_on_batch(x, y)
        except NotImplementedError as e:
            raise Pending(f"train_on_batch: {e}") from None

    def result():  # the first step from the initial weights: its loss, the updated weights
        loss = run()
        return {"loss": np.asarray(loss, np.float64),
                **{f"w{i}": w for i, w in enumerate(model.get_weights())}}
    return run, result


def build(case):
    """``(run, result)`` for ``case``: ``run()`` is timed, ``result()`` (called once, before
    the timing) returns the arrays the agreement step compares, in Keras layouts."""
    if case.op in ("conv", "convT", "conv_train", "convT_train"):
        return _conv(case)
    if case.op.startswith(("depthwise", "separable")):
        return _separable(case)
    if case.op.startswith("pool"):
        return _pool(case)
    if case.op == "autoencoder":
        return _autoencoder(case)
    return _memory(case)
