"""The small models and optimizers of the training-parity tests, built the same way in
convkit and in Keras 3 (jax) from one description."""

import numpy as np

import convkit
from tests.support.keras_oracle import keras


def _stack(lib, name):
    """The layers of model ``name``, from library ``lib`` (``convkit`` or ``keras``)."""
    L, reg, con = lib.layers, lib.regularizers, lib.constraints
    if name == "conv2d":
        return (8, 8, 2), [L.Conv2D(4, 3, padding="same", activation="relu"),
                           L.Conv2D(3, 3, strides=2, activation="tanh")]
    if name == "autoencoder":
        return (8, 8, 2), [
            L.Conv2D(4, 3, strides=2, padding="same", activation="relu",
                     kernel_regularizer=reg.L2(0.01), bias_regularizer=reg.L1(0.01),
                     kernel_constraint=con.MaxNorm(0.5)),
            L.Conv2DTranspose(2, 3, strides=2, padding="same",
                              kernel_regularizer=reg.L1L2(l1=0.001, l2=0.01),
                              bias_constraint=con.NonNeg())]
    if name == "causal1d":
        return (12, 2), [L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="tanh",
                                  activity_regularizer=reg.L2(0.01)),
                         L.Conv1D(1, 2, padding="causal")]
    if name == "conv3d":
        return (4, 4, 4, 1), [L.Conv3D(3, 2, padding="same", activation="relu"),
                              L.Conv3DTranspose(1, 2, strides=1)]
    if name == "reshaping_autoencoder":  # the reshaping layers' backward passes in fit
        return (8, 8, 2), [L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                           L.Conv2DTranspose(3, 3, strides=2),
                           L.UpSampling2D(2, interpolation="bilinear"),
                           L.Cropping2D(((2, 0), (1, 1)))]
    if name == "depthwise_separable":
        return (8, 8, 3), [L.SeparableConv2D(4, 3, padding="same", depth_multiplier=2,
                                             activation="relu"),
                           L.DepthwiseConv2D(3, strides=2, dilation_rate=(1, 2),
                                             depth_multiplier=2, activation="tanh")]
    raise KeyError(name)


def build(lib, name):
    shape, stack = _stack(lib, name)
    model = (lib.Sequential if lib is keras else lib.models.Sequential)(stack)
    model.build((None, *shape))
    return model


def data(name, n=11, seed=0):
    """Inputs and targets for model ``name`` (targets of the model's output shape)."""
    rng = np.random.default_rng(seed)
    shape = _stack(convkit, name)[0]
    out_shape = build(convkit, name).output_shape[1:]
    x = rng.normal(size=(n, *shape)).astype("float32")
    y = rng.normal(scale=0.5, size=(n, *out_shape)).astype("float32")
    return x, y


OPTIMIZERS = {
    "sgd": ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    "adam": ("Adam", {"learning_rate": 0.01}),
    "adamw": ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.05}),
    "rmsprop": ("RMSprop", {"learning_rate": 0.01}),
    "adagrad": ("Adagrad", {"learning_rate": 0.05}),
}


def optimizer(lib, key):
    class_name, kwargs = OPTIMIZERS[key]
    return getattr(lib.optimizers, class_name)(**kwargs)


def fit_both(name, opt, epochs=3, batch_size=4, keras_init=True, metrics=("mae",),
             loss="mse", validation_split=0.0):
    """Fit the same model from the same weights in both libraries; returns
    ``(ours_history, keras_history, ours_weights, keras_weights)``."""
    x, y = data(name)
    # seeded initial weights: the comparison is the same every run, whatever ran before it
    # (Adam turns float32 rounding around a zero gradient into a step of ±learning_rate, so
    # a rare random start can push a weight past the tolerance)
    keras.utils.set_random_seed(0)
    convkit.utils.set_random_seed(0)
    ours, theirs = build(convkit, name), build(keras, name)
    if keras_init:
        ours.set_weights(theirs.get_weights())
    else:
        theirs.set_weights(ours.get_weights())
    ours.compile(optimizer(convkit, opt), loss, metrics=list(metrics))
    theirs.compile(optimizer(keras, opt), loss, metrics=list(metrics))
    kwargs = dict(batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0,
                  validation_split=validation_split)
    h_ours = ours.fit(x, y, **kwargs).history
    h_keras = theirs.fit(x, y, **kwargs).history
    return h_ours, h_keras, ours.get_weights(), [np.asarray(w) for w in theirs.get_weights()]


def max_rel_diff(a, b) -> float:
    """max |a - b| / max(|b|, 1e-6), elementwise over matching arrays."""
    worst = 0.0
    for u, v in zip(a, b, strict=True):
        u, v = np.asarray(u, np.float64), np.asarray(v, np.float64)
        worst = max(worst, float(np.max(np.abs(u - v) / np.maximum(np.abs(v), 1e-6))))
    return worst
