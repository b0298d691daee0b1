"""Training parity with Keras 3 (jax): the same small Sequential models, from the same
initial weights, fitted with each optimizer, give the same per-epoch History (loss, metrics,
validation) and the same final weights."""

import numpy as np
import pytest

import convkit
from convkit import models
from tests.support import training_cases as tc
from tests.support.keras_oracle import keras

MODELS = ["conv2d", "autoencoder", "causal1d", "conv3d"]
CASES = [(name, opt) for name in MODELS for opt in tc.OPTIMIZERS]


def _assert_same_fit(h_ours, h_keras, w_ours, w_keras):
    assert list(h_ours) == sorted(h_keras)
    for key, values in h_keras.items():
        assert all(isinstance(v, float) for v in h_ours[key])
        np.testing.assert_allclose(h_ours[key], values, rtol=1e-5, err_msg=key)
    for ours, theirs in zip(w_ours, w_keras, strict=True):
        # relative 1e-4 (elements near 0 differ by float32 rounding only), absolute 1e-6
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name,opt", CASES)
def test_fit_matches_keras(name, opt):
    # weights flow Keras -> convkit for half the cases, convkit -> Keras for the others
    keras_init = CASES.index((name, opt)) % 2 == 0
    _assert_same_fit(*tc.fit_both(name, opt, epochs=3, keras_init=keras_init,
                                  validation_split=0.25))


def test_evaluate_and_single_batch_steps_match_keras():
    x, y = tc.data("autoencoder")
    ours, theirs = tc.build(convkit, "autoencoder"), tc.build(keras, "autoencoder")
    ours.set_weights(theirs.get_weights())
    ours.compile(tc.optimizer(convkit, "adam"), "mse", metrics=["mae"])
    theirs.compile(tc.optimizer(keras, "adam"), "mse", metrics=["mae"])
    for a, b in ((ours.evaluate(x, y, batch_size=4, verbose=0),
                  theirs.evaluate(x, y, batch_size=4, verbose=0)),
                 (ours.train_on_batch(x[:5], y[:5]), theirs.train_on_batch(x[:5], y[:5])),
                 (ours.test_on_batch(x[5:], y[5:]), theirs.test_on_batch(x[5:], y[5:]))):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    d_ours = ours.evaluate(x, y, verbose=0, return_dict=True)
    d_keras = theirs.evaluate(x, y, verbose=0, return_dict=True)
    assert d_ours.keys() == d_keras.keys()
    np.testing.assert_allclose(list(d_ours.values()), list(d_keras.values()), rtol=1e-5)


def test_shuffled_fit_matches_keras_under_the_same_seed():
    # the first fit after compile spends one permutation in both libraries
    x, y = tc.data("conv2d", n=10)
    ours, theirs = tc.build(convkit, "conv2d"), tc.build(keras, "conv2d")
    ours.set_weights(theirs.get_weights())
    ours.compile(tc.optimizer(convkit, "sgd"), "mse")
    theirs.compile(tc.optimizer(keras, "sgd"), "mse")
    histories = []
    for model in (ours, theirs):
        np.random.seed(7)
        first = model.fit(x, y, batch_size=3, epochs=2, verbose=0).history
        second = model.fit(x, y, batch_size=3, epochs=1, verbose=0).history
        histories.append(first["loss"] + second["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name,opt", CASES)
def test_long_fit_with_sample_weights_and_validation_data_matches_keras(name, opt):
    x, y = tc.data(name, n=23, seed=3)
    x_val, y_val = tc.data(name, n=6, seed=4)
    # per-sample weights shaped (B, 1, ...) against the loss's (B, spatial...) values
    weights = np.random.default_rng(5).uniform(0.2, 2.0, size=(len(x),) + (1,) * (y.ndim - 2))
    weights = weights.astype("float32")
    ours, theirs = tc.build(convkit, name), tc.build(keras, name)
    ours.set_weights(theirs.get_weights())
    ours.compile(tc.optimizer(convkit, opt), "mse", metrics=["mse", "mae"])
    theirs.compile(tc.optimizer(keras, opt), "mse", metrics=["mse", "mae"])
    kwargs = dict(batch_size=5, epochs=10, verbose=0, sample_weight=weights,
                  validation_data=(x_val, y_val))
    np.random.seed(11)
    h_ours = ours.fit(x, y, **kwargs).history
    np.random.seed(11)
    h_keras = theirs.fit(x, y, **kwargs).history
    _assert_same_fit(h_ours, h_keras, ours.get_weights(),
                     [np.asarray(w) for w in theirs.get_weights()])
    assert isinstance(ours, models.Model)
