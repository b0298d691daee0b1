"""convkit.losses against Keras 3 (values) and jax.grad of the Keras loss (gradients), plus
float64 finite differences and the name/config rules."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convkit import losses
from tests.support.keras_oracle import keras

# (class name, kwargs, data kind)
CASES = [
    ("MeanSquaredError", {}, "real"),
    ("MeanAbsoluteError", {}, "real"),
    ("Huber", {"delta": 0.7}, "real"),
    ("LogCosh", {}, "real"),
    ("BinaryCrossentropy", {}, "prob"),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "prob"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logit"),
    ("CategoricalCrossentropy", {}, "prob_onehot"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.3}, "prob_onehot"),
    ("CategoricalCrossentropy", {"from_logits": True}, "logit_onehot"),
    ("SparseCategoricalCrossentropy", {}, "prob_sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "logit_sparse"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, "prob_sparse"),
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", None, "none"]


def make_data(kind, batch, classes, rng):
    shape = (*batch, classes)
    if kind == "real":
        return rng.normal(size=shape) * 2, rng.normal(size=shape) * 2
    if kind in ("prob", "logit"):
        y = rng.integers(0, 2, shape).astype(float)
        y[..., 0] = rng.uniform(size=batch)  # soft labels too
        p = rng.uniform(-0.05, 1.05, shape) if kind == "prob" else rng.normal(size=shape) * 3
        return y, p
    labels = rng.integers(0, classes, batch)
    p = rng.uniform(0.01, 1.0, shape)
    if classes >= 3:  # a row under the clip; with 2 classes its partner would sit on 1 - eps,
        # the clip's edge, where XLA's and NumPy's float32 p/sum round to different sides
        p[..., 0] = np.where(rng.uniform(size=batch) < 0.2, 1e-9, p[..., 0])
    if kind.startswith("logit"):
        p = rng.normal(size=shape) * 3
    if kind.endswith("onehot"):
        return np.eye(classes)[labels], p
    return labels.astype(float), p


def make_weight(choice, batch, rng):
    if choice == "none":
        return None
    if choice == "batch":
        return rng.uniform(0, 2, batch[:1]).reshape(batch[:1] + (1,) * (len(batch) - 1))
    return rng.uniform(0, 2, batch)


def keras_value_and_grad(name, kwargs, reduction, y, p, sw):
    """The Keras loss and jax.grad of its sum w.r.t. y_pred, jitted (one compile per call
    signature is far quicker than jax's op-by-op first run)."""
    return keras_all(name, kwargs, [reduction], y, p, [sw])[reduction, 0]


def keras_all(name, kwargs, reductions, y, p, weights):
    """{(reduction, weight index): (value, grad)} from one jitted function."""
    keras_losses = {r: getattr(keras.losses, name)(reduction=r, **kwargs) for r in reductions}

    def run(y, p, weights):
        out = {}
        for r, loss in keras_losses.items():
            for i, sw in enumerate(weights):
                value = loss(y, p, sample_weight=sw)
                grad = jax.grad(lambda q, loss=loss, sw=sw: jnp.sum(
                    loss(y, q, sample_weight=sw)))(p)
                out[str(r), i] = (value, grad)
        return out

    weights = [None if w is None else jnp.asarray(w, "float32") for w in weights]
    out = jax.jit(run)(jnp.asarray(y, "float32"), jnp.asarray(p, "float32"), weights)
    return {(None if r == "None" else r, i): tuple(map(np.asarray, v))
            for (r, i), v in out.items()}


def assert_close(actual, expected, rtol=2e-5):
    expected = np.asarray(expected, np.float64)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=rtol,
                               atol=rtol * scale * 0.1)


def check_against_keras(case, batch, classes, reductions, seed,
                        weight_choices=("none", "batch", "full")):
    name, kwargs, kind = case
    rng = np.random.default_rng(seed)
    y, p = make_data(kind, batch, classes, rng)
    p32 = p.astype("float32")
    weights = [make_weight(choice, batch, rng) for choice in weight_choices]
    want = keras_all(name, kwargs, reductions, y, p32, weights)
    for (reduction, i), (want_value, want_grad) in want.items():
        ours = getattr(losses, name)(reduction=reduction, **kwargs)
        got_value = ours(y, p32, sample_weight=weights[i])
        got_grad = ours.gradient(y, p32, sample_weight=weights[i])
        assert np.asarray(got_value).dtype == np.float32 and got_grad.dtype == np.float32
        assert got_grad.shape == p32.shape
        assert_close(got_value, want_value)
        assert_close(got_grad, want_grad)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_value_and_gradient_match_keras(case):
    check_against_keras(case, (3, 2), 3, ["sum_over_batch_size", None], seed=5,
                        weight_choices=("none", "batch"))


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
@settings(max_examples=25)
@given(batch=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
       classes=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_value_and_gradient_match_keras_sweep(case, batch, classes, seed):
    if case[2].endswith(("onehot", "sparse")) and classes == 1:
        classes = 2
    check_against_keras(case, batch, classes, REDUCTIONS, seed)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_float64_gradient_matches_finite_differences(case):
    name, kwargs, kind = case
    rng = np.random.default_rng(7)
    y, p = make_data(kind, (3, 2), 3, rng)
    if kind.startswith("prob"):
        p = np.clip(p, 0.05, 0.95)  # keep the central differences off the clip's kinks
    sw = rng.uniform(0.5, 1.5, (3, 2))
    loss = getattr(losses, name)(**kwargs)
    grad = loss.gradient(y, p, sample_weight=sw)
    assert grad.dtype == np.float64 and np.asarray(loss(y, p)).dtype == np.float64
    h, numeric = 1e-6, np.zeros_like(p)
    for index in np.ndindex(p.shape):
        step = np.zeros_like(p)
        step[index] = h
        numeric[index] = (loss(y, p + step, sw) - loss(y, p - step, sw)) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("y_shape, p_shape, w_shape", [
    ((4,), (4, 1), None), ((4, 1), (4,), (4,)), ((2, 3, 3), (2, 3, 3, 1), (2, 1, 1)),
    ((2, 3), (2, 3), (2, 1)), ((2, 3, 3, 2), (2, 3, 3, 2), (2, 1, 1))])
def test_rank_squeeze_expand_and_weight_shapes(y_shape, p_shape, w_shape):
    rng = np.random.default_rng(1)
    y, p = rng.normal(size=y_shape), rng.normal(size=p_shape).astype("float32")
    sw = None if w_shape is None else rng.uniform(size=w_shape)
    want = keras_all("MeanSquaredError", {}, ["sum_over_batch_size", "none"], y, p, [sw])
    for (reduction, _), (want_value, want_grad) in want.items():
        ours = losses.MeanSquaredError(reduction=reduction)
        assert_close(ours(y, p, sw), want_value)
        assert_close(ours.gradient(y, p, sw), want_grad)


def test_sparse_labels_with_trailing_axis_and_clip_constants():
    p = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
    for name, y in (("SparseCategoricalCrossentropy", np.array([[0], [0]])),
                    ("BinaryCrossentropy", np.array([[1.0, 0.0], [0.0, 1.0]]))):
        want_value, want_grad = keras_value_and_grad(name, {}, "sum", y, p, None)
        assert_close(getattr(losses, name)(reduction="sum")(y, p), want_value)
        assert_close(getattr(losses, name)(reduction="sum").gradient(y, p), want_grad)
    # -log(1 - (1 - eps)) in float32 is 15.942, not the 16.118 of -log(eps).
    value = losses.BinaryCrossentropy(reduction="none")([[0.0]], np.array([[1.0]], "float32"))
    assert_close(value, [15.942385])


def test_names_aliases_and_get():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MAE") is losses.mean_absolute_error
    assert losses.get("bce") is losses.binary_crossentropy
    assert losses.get("log_cosh") is losses.log_cosh
    assert isinstance(losses.get("Huber"), losses.Huber)
    assert losses.get(None) is None
    for bad in ("logcosh", "huber_loss", "crossentropy", "Mse", 3):
        with pytest.raises(ValueError, match="Could not interpret loss identifier"):
            losses.get(bad)
        with pytest.raises(ValueError, match="Could not interpret loss identifier"):
            keras.losses.get(bad)
    for alias in ("mse", "mae", "bce", "MSE", "huber", "log_cosh", "binary_crossentropy",
                  "categorical_crossentropy", "sparse_categorical_crossentropy",
                  "MeanSquaredError", "LogCosh", "SparseCategoricalCrossentropy"):
        want = keras.losses.get(alias)
        got = losses.get(alias)
        assert getattr(got, "__name__", type(got).__name__) == \
            getattr(want, "__name__", type(want).__name__)
    assert losses.as_loss("huber").gradient([[0.0]], np.array([[2.0]], "float32")) == 1.0


def test_function_forms_match_keras():
    rng = np.random.default_rng(3)
    y, p = rng.uniform(size=(4, 3)), rng.uniform(0.05, 1, (4, 3)).astype("float32")
    for name in ("mean_squared_error", "mean_absolute_error", "huber", "log_cosh",
                 "binary_crossentropy", "categorical_crossentropy"):
        assert_close(getattr(losses, name)(y, p), getattr(keras.losses, name)(y, p))
    labels = np.array([0, 2, 1, 1])
    assert_close(losses.sparse_categorical_crossentropy(labels, p),
                 keras.losses.sparse_categorical_crossentropy(labels, p))


@pytest.mark.parametrize("name", ["MeanSquaredError", "MeanAbsoluteError", "LogCosh",
                                  "BinaryCrossentropy", "CategoricalCrossentropy",
                                  "SparseCategoricalCrossentropy"])
def test_config_matches_keras(name):
    kwargs = {"reduction": "sum", "name": "x"}
    if "Crossentropy" in name:
        kwargs["from_logits"] = True
    assert getattr(losses, name)(**kwargs).get_config() == \
        getattr(keras.losses, name)(**kwargs).get_config()
    assert getattr(losses, name)().get_config() == getattr(keras.losses, name)().get_config()
    loss = getattr(losses, name).from_config(getattr(losses, name)(**kwargs).get_config())
    assert loss.get_config() == getattr(losses, name)(**kwargs).get_config()


def test_huber_config_keeps_delta_and_bad_arguments():
    keras_keys = set(keras.losses.Huber().get_config())
    config = losses.Huber(delta=2.5).get_config()
    assert set(config) == keras_keys | {"delta"} and config["delta"] == 2.5
    assert losses.Huber.from_config(config).delta == 2.5
    with pytest.raises(ValueError, match="reduction=bad"):
        losses.MeanSquaredError(reduction="bad")
    with pytest.raises(ValueError, match="same shape"):
        losses.CategoricalCrossentropy()(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="axis=1"):
        losses.BinaryCrossentropy(axis=1)


@pytest.mark.parametrize("loss", [losses.MeanSquaredError(), losses.Huber(delta=0.5),
                                  losses.BinaryCrossentropy(from_logits=True),
                                  losses.MeanAbsoluteError(reduction="sum")])
def test_value_and_gradient_is_call_and_gradient(loss):
    """A training step takes the loss and its gradient from one evaluation; both must be
    exactly what ``__call__`` and ``gradient`` give (with sample weights too)."""
    rng = np.random.default_rng(4)
    y_true = rng.uniform(0, 1, (6, 3)).astype(np.float32)
    y_pred = rng.standard_normal((6, 3)).astype(np.float32)
    weight = rng.uniform(0, 2, 6).astype(np.float32)
    for sample_weight in (None, weight):
        value, grad = loss.value_and_gradient(y_true, y_pred, sample_weight)
        want = loss(y_true, y_pred, sample_weight)
        assert np.asarray(value).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(value, want)
        np.testing.assert_array_equal(grad, loss.gradient(y_true, y_pred, sample_weight))
        assert grad.shape == y_pred.shape and grad.dtype == np.float32
