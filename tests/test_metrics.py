"""convkit.metrics against keras.metrics: running results over several weighted batches,
names, configs, get, and the "accuracy"/"acc" resolution of compile."""

import numpy as np
import pytest
from keras.src.trainers import compile_utils

from convkit import metrics
from tests.support.keras_oracle import keras


def batches(kind, rng):
    out = []
    for n in (4, 3):
        if kind == "regression":
            y, p = rng.normal(size=(n, 2, 3)), rng.normal(size=(n, 2, 3))
        elif kind == "binary":
            y, p = rng.integers(0, 2, (n, 1)), rng.uniform(size=(n, 1))
        elif kind == "equal":
            y, p = rng.integers(0, 3, (n, 2)), rng.integers(0, 3, (n, 2))
        elif kind == "onehot":
            y, p = np.eye(4)[rng.integers(0, 4, n)], rng.uniform(size=(n, 4))
        else:  # sparse labels, (n,) and (n, 1)
            y = rng.integers(0, 4, (n,) if n == 4 else (n, 1))
            p = rng.uniform(size=(n, 4))
        out.append((y, p.astype("float32") if p.dtype.kind == "f" else p,
                    rng.uniform(0, 2, n)))
    return out


CASES = [("MeanSquaredError", "regression"), ("MeanAbsoluteError", "regression"),
         ("Accuracy", "equal"), ("BinaryAccuracy", "binary"),
         ("CategoricalAccuracy", "onehot"), ("SparseCategoricalAccuracy", "sparse")]


@pytest.mark.parametrize("name, kind", CASES)
def test_running_results_match_keras(name, kind):
    rng = np.random.default_rng(0)
    for weighted in (False, True):
        ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
        assert ours.get_config() == theirs.get_config()
        for y, p, w in batches(kind, rng):
            sw = w if weighted else None
            ours.update_state(y, p, sample_weight=sw)
            theirs.update_state(y, p, sample_weight=sw)
            np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=1e-6)
        ours.reset_state()
        assert ours.result() == 0.0


def test_mean_matches_keras_with_image_shaped_values_and_weights():
    rng = np.random.default_rng(1)
    ours, theirs = metrics.Mean(), keras.metrics.Mean()
    for values, weight in ((rng.normal(size=(3, 4, 4)), rng.uniform(size=(3, 1, 1))),
                           (rng.normal(size=(2, 4, 4)), rng.uniform(size=(2,))),
                           (rng.normal(size=(5,)), None), (2.5, None)):
        ours.update_state(values, sample_weight=weight)
        theirs.update_state(values, sample_weight=weight)
        np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=1e-6)
        np.testing.assert_allclose(ours.count, np.asarray(theirs.count), rtol=1e-6)
    assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("identifier", ["accuracy", "acc", "ACC", "Accuracy"])
@pytest.mark.parametrize("y_shape, p_shape", [
    ((6, 1), (6, 1)), ((6,), (6, 1)), ((6,), (6, 3)), ((6, 1), (6, 3)), ((6, 3), (6, 3)),
    ((2, 4, 4), (2, 4, 4, 5))])
def test_accuracy_resolution_matches_compile(identifier, y_shape, p_shape):
    y, p = np.zeros(y_shape), np.zeros(p_shape, "float32")
    want = compile_utils.get_metric(identifier, y, p)
    got = metrics.resolve(identifier, y, p)
    assert type(got).__name__ == type(want).__name__ and got.name == want.name == identifier


def test_resolution_of_other_names_and_get():
    for identifier in ("mse", "mae", "binary_accuracy", "MeanSquaredError", "mean"):
        y, p = np.zeros((2, 1)), np.zeros((2, 1), "float32")
        want = compile_utils.get_metric(identifier, y, p)
        got = metrics.resolve(identifier, y, p)
        assert type(got).__name__ == type(want).__name__ and got.name == want.name
    for identifier in ("mse", "MAE", "accuracy", "sparse_categorical_accuracy",
                       "CategoricalAccuracy"):
        assert type(metrics.get(identifier)).__name__ == \
            type(keras.metrics.get(identifier)).__name__
    for bad in ("acc", "nope"):
        with pytest.raises(ValueError, match="Could not interpret metric identifier"):
            metrics.get(bad)
        with pytest.raises(ValueError, match="Could not interpret metric identifier"):
            keras.metrics.get(bad)
    wrapped = metrics.resolve(metrics.accuracy, [[1.0]], [[1.0]])
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "accuracy"
    assert metrics.get({"class_name": "BinaryAccuracy",
                        "config": {"threshold": 0.7, "name": "b"}}).threshold == 0.7
