"""Backward pass of Cropping1D/2D/3D, ZeroPadding1D/2D/3D and UpSampling1D/2D/3D: parity with
Keras 3 on jax (``jax.vjp`` through the Keras layer), float64 against the NumPy oracle, thread
counts, output-gradient checks, ``Sequential.backward`` chaining and ``fit``."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import convkit  # noqa: E402
from convkit import layers, models  # noqa: E402
from tests.support import reference_resample as ref  # noqa: E402
from tests.support import training_cases as tc  # noqa: E402
from tests.support.keras_oracle import assert_close, keras_layer  # noqa: E402
from tests.test_grad_conv import keras_gradients  # noqa: E402
from tests.test_layers_reshaping import _input, reshaping_case  # noqa: E402

TAPS = {"nearest": 1, "bilinear": 2, "bicubic": 4, "lanczos3": 6, "lanczos5": 10}


def _reduction(kind, kwargs, rank):
    """How many output gradients one input gradient sums, at most."""
    if kind != "UpSampling":
        return 1
    size = kwargs["size"]
    sizes = (size,) * rank if isinstance(size, int) else size
    return int(np.prod([s * TAPS[kwargs.get("interpolation", "nearest")] for s in sizes]))


def _run_parity(case, seed):
    kind, rank, kwargs, data_format, batch, channels, spatial = case
    name = f"{kind}{rank}D"
    rng = np.random.default_rng(seed)
    x = _input(rng, rank, data_format, batch, channels, spatial)
    ours = getattr(layers, name)(**kwargs)
    dy = rng.standard_normal(ours(x).shape).astype(np.float32)
    dx, grads = ours.backward(x, dy)
    _, dx_k, grads_k = keras_gradients(keras_layer(name, **kwargs), x, [], dy)
    assert grads == [] and grads_k == []
    assert dx.dtype == np.float32 and dx.shape == x.shape and dx.flags.c_contiguous
    if kind != "UpSampling":  # a window copy: exact
        np.testing.assert_array_equal(dx, dx_k)
    else:
        assert_close(dx, dx_k, reduction_size=_reduction(kind, kwargs, rank))


# each new shape makes jax compile: the quick subset keeps a few examples per run
@settings(max_examples=25)
@given(case=reshaping_case(), seed=st.integers(0, 2**31 - 1))
def test_gradients_match_keras(case, seed):
    _run_parity(case, seed)


@pytest.mark.slow
@settings(max_examples=300)
@given(case=reshaping_case(), seed=st.integers(0, 2**31 - 1))
def test_gradients_match_keras_long_sweep(case, seed):
    _run_parity(case, seed)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic", "lanczos3",
                                           "lanczos5"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_upsampling2d_every_mode_matches_keras(interpolation, data_format):
    # every mode and format at least once per run, past the lanczos5 window
    kwargs = dict(size=(3, 2), interpolation=interpolation, data_format=data_format)
    _run_parity(("UpSampling", 2, kwargs, data_format, 2, 3, (7, 12)), seed=1)


@pytest.mark.parametrize("name, kwargs, shape", [
    ("Cropping1D", dict(cropping=(2, 1)), (2, 7, 3)),
    ("Cropping2D", dict(cropping=((1, 0), (2, 3)), data_format="channels_first"), (2, 3, 5, 8)),
    ("Cropping3D", dict(cropping=((0, 1), (1, 1), (2, 0))), (1, 3, 4, 5, 2)),
    ("ZeroPadding1D", dict(padding=(0, 3), data_format="channels_first"), (2, 3, 4)),
    ("ZeroPadding2D", dict(padding=((2, 1), (0, 2))), (2, 3, 1, 2)),
    ("ZeroPadding3D", dict(padding=((1, 0), (0, 2), (1, 1)), data_format="channels_first"),
     (1, 2, 2, 3, 2)),
    ("UpSampling1D", dict(size=3), (2, 4, 3)),
    ("UpSampling2D", dict(size=(2, 3), data_format="channels_first"), (2, 3, 3, 4)),
    ("UpSampling2D", dict(size=(3, 2), interpolation="bicubic"), (1, 5, 4, 2)),
    ("UpSampling2D", dict(size=2, interpolation="lanczos5", data_format="channels_first"),
     (2, 1, 3, 7)),
    ("UpSampling2D", dict(size=(1, 3), interpolation="bilinear"), (1, 1, 1, 1)),
    ("UpSampling3D", dict(size=(2, 1, 3), data_format="channels_first"), (1, 2, 3, 2, 2)),
])
def test_float64_matches_numpy_oracle(name, kwargs, shape):
    rng = np.random.default_rng(2)
    layer = getattr(layers, name)(dtype="float64", **kwargs)
    x = rng.standard_normal(shape)
    dy = rng.standard_normal(layer(x).shape)
    dx, grads = layer.backward(x, dy)
    data_format = kwargs.get("data_format", "channels_last")
    if name.startswith("Cropping"):
        want = ref.crop_gradient(shape, dy, layer._pairs(), data_format)
    elif name.startswith("ZeroPadding"):
        want = ref.zero_pad_gradient(shape, dy, layer._pairs(), data_format)
    else:
        want = ref.upsample_gradient(shape, dy, layer._sizes(), data_format,
                                     layer.interpolation)
    assert dx.dtype == np.float64 and grads == []
    np.testing.assert_allclose(dx, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_backward_is_bit_identical_across_thread_counts():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 40, 36, 16)).astype(np.float32)
    stack = [layers.Cropping2D(((3, 1), (2, 5))), layers.ZeroPadding2D(((1, 4), (3, 0))),
             layers.UpSampling2D((2, 3)), layers.UpSampling2D((3, 2), interpolation="bicubic"),
             layers.UpSampling3D((2, 1, 2), data_format="channels_first")]
    for layer in stack:
        inputs = x if layer.rank == 2 else x.reshape(4, 2, 20, 36, 16)
        dy = rng.standard_normal(layer(inputs).shape).astype(np.float32)
        results = []
        for n in (1, 2, 3):
            with convkit.num_threads(n):
                results.append(layer.backward(inputs, dy)[0])
        assert all(np.array_equal(results[0], r) for r in results[1:]), layer.name


@pytest.mark.parametrize("layer", [layers.Cropping2D(1), layers.ZeroPadding1D(2),
                                   layers.UpSampling3D(2),
                                   layers.UpSampling2D(2, interpolation="lanczos3")],
                         ids=lambda layer: type(layer).__name__)
@pytest.mark.parametrize("bad, error, match", [
    (lambda y: np.ones(y.shape[:-1] + (y.shape[-1] + 1,), np.float32), ValueError, "shape"),
    (lambda y: np.ones(y.shape[:-2] + (y.shape[-2] - 1, y.shape[-1]), np.float32), ValueError,
     "shape"),
    (lambda y: np.ones(y.shape, np.int32), TypeError, "floating"),
    (lambda y: np.full(y.shape, np.nan, np.float32), ValueError, "NaN"),
    (lambda y: np.where(np.arange(y.size).reshape(y.shape) == 3, np.inf, 1.0), ValueError,
     "infinite"),
])
def test_bad_output_gradient_is_refused(layer, bad, error, match):
    x = np.ones((2,) + (5,) * layer.rank + (3,), np.float32)
    with pytest.raises(error, match=match):
        layer.backward(x, bad(layer(x)))


def test_integer_inputs_have_no_gradient():
    layer = layers.UpSampling2D(2)
    x = np.ones((1, 2, 2, 1), np.int32)
    with pytest.raises(TypeError, match="differentiable"):
        layer.backward(x, np.ones((1, 4, 4, 1), np.float32))


def test_sequential_backward_chains_through_reshaping_stack():
    rng = np.random.default_rng(4)
    model = models.Sequential([
        layers.ZeroPadding2D(((1, 0), (2, 1))),
        layers.Conv2D(4, 3, activation="tanh"),
        layers.UpSampling2D((2, 1), interpolation="bilinear"),
        layers.Cropping2D(((1, 2), (0, 1))),
        layers.UpSampling2D(2),
    ])
    x = rng.standard_normal((2, 6, 5, 3)).astype(np.float32)
    y = model(x)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dx, grads = model.backward(x, dy)
    assert len(grads) == len(model.trainable_weights) == 2
    # by hand, last layer first
    inputs = [x]
    for layer in model.layers[:-1]:
        inputs.append(layer(inputs[-1]))
    g, want = dy, []
    for layer, inp in zip(reversed(model.layers), reversed(inputs), strict=True):
        g, layer_grads = layer.backward(inp, g)
        want = layer_grads + want
    np.testing.assert_array_equal(dx, g)
    for a, b in zip(grads, want, strict=True):
        np.testing.assert_array_equal(a, b)
    # and against Keras
    kmodel = keras.Sequential(
        [keras_layer(type(layer).__name__, **layer.get_config()) for layer in model.layers])
    kmodel.build(x.shape)
    kmodel.set_weights(model.get_weights())
    _, dx_k, grads_k = keras_gradients(kmodel, x, model.get_weights(), dy)
    assert_close(dx, dx_k, reduction_size=9 * 4 * 8)
    for a, b in zip(grads, grads_k, strict=True):
        assert_close(a, b, reduction_size=2 * 6 * 5 * 8)


def test_fit_trains_reshaping_autoencoder_like_keras():
    h_ours, h_keras, w_ours, w_keras = tc.fit_both("reshaping_autoencoder", "adam", epochs=4)
    losses = h_ours["loss"]
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    for key, values in h_keras.items():
        np.testing.assert_allclose(h_ours[key], values, rtol=1e-5, err_msg=key)
    for ours, theirs in zip(w_ours, w_keras, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("layer,shape", [
    (lambda: layers.Cropping2D(((1, 0), (2, 1))), (2, 5, 6, 3)),
    (lambda: layers.ZeroPadding3D(1, data_format="channels_first"), (1, 2, 3, 3, 2)),
    (lambda: layers.UpSampling2D(2, interpolation="bilinear"), (1, 3, 4, 2)),
    (lambda: layers.UpSampling1D(3), (2, 4, 3)),
    (lambda: layers.Flatten(data_format="channels_first"), (2, 3, 2, 2)),
    (lambda: layers.Reshape((-1, 2)), (2, 3, 4))])
def test_backward_needs_no_forward_pass(layer, shape, monkeypatch):
    # these layers' gradients are linear maps fixed by the shapes: backward(x, dy) skips the
    # forward pass and gives what a training step's context gives
    layer = layer()
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape).astype(np.float32)
    y, context = layer._forward_with_context(layer._prepare_inputs(x), False)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    want, _ = layer._gradients(context, dy)

    def no_forward(*args, **kwargs):
        raise AssertionError("backward ran the forward pass")
    monkeypatch.setattr(layer, "call", no_forward)
    got, grads = layer.backward(x, dy)
    assert grads == []
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="shape of the layer's output"):
        layer.backward(x, dy[..., None])


def test_backward_without_forward_still_refuses_what_the_forward_refuses():
    with pytest.raises(ValueError, match="cropping"):
        layers.Cropping2D(2).backward(np.ones((1, 3, 3, 1), np.float32),
                                      np.ones((1, 1, 1, 1), np.float32))
    with pytest.raises(ValueError, match="total size"):
        layers.Reshape((5,)).backward(np.ones((1, 3, 3, 1), np.float32),
                                      np.ones((1, 5), np.float32))
    with pytest.raises(TypeError, match="only floating inputs"):
        layers.ZeroPadding1D(1).backward(np.ones((1, 3, 1), np.int32),
                                         np.ones((1, 5, 1), np.float32))
