"""convkit.dask: predict on Dask arrays equals the in-memory predict, lazily.

Models without interpolating upsampling run the same kernels on the same sums, so their
tiled results are compared bit for bit; interpolating ones within float32 rtol 1e-6 (the
resampling kernel takes another code path for outputs near a tile's edge).
"""

import pickle
import subprocess
import sys

import dask
import dask.array as da  # the test extra installs dask: a missing one fails, never skips
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from convkit import layers, models
from convkit.dask import _receptive  # noqa: E402
from convkit.dask._shipping import ShippedModel  # noqa: E402


def _rng(seed=0):
    return np.random.default_rng(seed)


def _tiled(net, x, chunks, batch_size=None):
    """The lazy result and its computed value (synchronous scheduler)."""
    y = net.predict(da.from_array(x, chunks=chunks), batch_size=batch_size, verbose=0)
    assert isinstance(y, da.Array)
    with dask.config.set(scheduler="synchronous"):
        value = y.compute()
    assert value.shape == y.shape and value.dtype == y.dtype
    return y, value


def _assert_close(got, want):
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * scale)


# ------------------------------------------------------------------ imports
def test_import_convkit_does_not_import_dask():
    code = ("import sys, convkit, convkit.models, convkit.layers\n"
            "print(sorted(m for m in sys.modules if m == 'dask' or m.startswith('dask.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_convkit_dask_without_dask_names_the_extra():
    code = ("import sys\nsys.modules['dask'] = None\n"
            "try:\n    import convkit.dask\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert 'pip install "convkit-layers[dask]"' in out.stdout


# ------------------------------------------------------------------ batch chunks
def test_predict_is_lazy():
    net = models.Sequential([layers.Conv2D(2, 3, padding="same", input_shape=(8, 8, 1))])
    x = _rng().random((6, 8, 8, 1), dtype=np.float32)
    calls = []

    def refuse(*args, **kwargs):
        calls.append(1)
        raise AssertionError("predict must not compute")

    with dask.config.set(scheduler=refuse):
        y = net.predict(da.from_array(x, chunks=(2, 4, 8, 1)), verbose=0)
        y2 = net.predict(da.from_array(x, chunks=(2, 8, 8, 1)), verbose=0)
    assert calls == []
    assert isinstance(y, da.Array) and isinstance(y2, da.Array)
    np.testing.assert_array_equal(y2.compute(scheduler="synchronous"), net.predict(x, verbose=0))


def test_batch_chunks_one_predict_per_block():
    net = models.Sequential([layers.Conv2D(3, 3, strides=2, input_shape=(9, 9, 2)),
                             layers.UpSampling2D(2, interpolation="bicubic")])
    x = _rng().random((7, 9, 9, 2))           # float64 input, float32 model
    y, value = _tiled(net, x, (3, 9, 9, 2), batch_size=2)
    assert y.chunks == ((3, 3, 1), (8,), (8,), (3,))
    assert y.dtype == np.float32 and y._meta.dtype == np.float32 and y._meta.ndim == 4
    np.testing.assert_array_equal(value, net.predict(x, verbose=0))


def test_batch_chunks_with_a_chunked_channel_axis_and_steps():
    net = models.Sequential([layers.Conv1D(2, 3, input_shape=(10, 4))])
    x = _rng().random((9, 10, 4), dtype=np.float32)
    y = net.predict(da.from_array(x, chunks=(4, 10, 2)), batch_size=2, steps=3, verbose=0)
    assert y.shape == (6, 8, 2)
    np.testing.assert_array_equal(y.compute(), net.predict(x[:6], verbose=0))


def test_integer_input_keeps_its_dtype_through_reshaping_layers():
    net = models.Sequential([layers.ZeroPadding2D(1), layers.Cropping2D(((0, 2), (1, 0))),
                             layers.UpSampling2D(2)])
    x = _rng().integers(0, 100, (2, 7, 6, 1)).astype(np.int16)
    y, value = _tiled(net, x, (1, 3, 4, 1))
    assert y.dtype == np.int16
    np.testing.assert_array_equal(value, net.predict(x, verbose=0))


# ------------------------------------------------------------------ spatial chunks
def _stack_1d():
    return models.Sequential([
        layers.Conv1D(3, 3, padding="causal", dilation_rate=2),
        layers.Conv1DTranspose(2, 4, strides=3, padding="valid", output_padding=2),
        layers.UpSampling1D(3),
        models.Sequential([layers.ZeroPadding1D((4, 1)), layers.Cropping1D((2, 5))]),
        layers.Conv1D(2, 5, strides=4, padding="same", activation="relu"),
        layers.SeparableConv1D(3, 3, strides=2, padding="same", depth_multiplier=2),
        layers.DepthwiseConv1D(2, padding="valid"),
    ])


def _stack_2d(data_format):
    return models.Sequential([
        layers.Conv2D(3, 3, padding="same", data_format=data_format),
        layers.Conv2D(4, (5, 3), strides=(2, 3), padding="same", activation="tanh",
                      data_format=data_format),
        layers.Conv2DTranspose(3, 3, strides=2, padding="same", data_format=data_format),
        layers.ZeroPadding2D(((2, 1), (0, 3)), data_format=data_format),
        layers.Cropping2D(((1, 4), (2, 0)), data_format=data_format),
        models.Sequential([
            layers.DepthwiseConv2D(3, padding="same", strides=(1, 2), data_format=data_format),
            layers.SeparableConv2D(2, 3, dilation_rate=2, padding="same",
                                   data_format=data_format),
            layers.UpSampling2D((1, 3), data_format=data_format),
            layers.Conv2D(2, 4, strides=3, data_format=data_format),
        ]),
    ])


def _stack_3d():
    cf = "channels_first"
    return models.Sequential([
        layers.Conv3D(2, 3, padding="same", strides=2, data_format=cf),
        layers.UpSampling3D((2, 1, 3), data_format=cf),
        layers.Conv3DTranspose(2, 3, strides=2, padding="same", output_padding=1,
                               data_format=cf),
        layers.ZeroPadding3D(((1, 0), (0, 2), (3, 3)), data_format=cf),
        layers.Conv3D(1, 2, dilation_rate=(1, 2, 1), data_format=cf),
    ])


@pytest.mark.parametrize("chunks", [(1, 7, 2), (2, 5, 2), (2, 1, 2), (2, 49, 2), (2, 50, 2)])
def test_spatial_chunks_1d(chunks):
    net, x = _stack_1d(), _rng(1).random((2, 50, 2), dtype=np.float32)
    y, value = _tiled(net, x, chunks)
    np.testing.assert_array_equal(value, net.predict(x, verbose=0))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("spatial_chunks", [(10, 7), (5, 29), (4, 3), (36, 28)])
def test_spatial_chunks_2d(data_format, spatial_chunks):
    net = _stack_2d(data_format)
    x = _rng(2).random((3, 37, 29, 2), dtype=np.float32)
    chunks = (2, *spatial_chunks, 2)
    if data_format == "channels_first":
        x, chunks = np.moveaxis(x, -1, 1).copy(), (2, 1, *spatial_chunks)
    y, value = _tiled(net, x, chunks, batch_size=1)
    assert len(y.chunks[2 if data_format == "channels_first" else 1]) > 1 \
        or spatial_chunks[0] >= 36
    np.testing.assert_array_equal(value, net.predict(x, verbose=0))


def test_spatial_chunks_3d_channels_first():
    net, x = _stack_3d(), _rng(3).random((2, 2, 11, 9, 13), dtype=np.float32)
    y, value = _tiled(net, x, (1, 1, 4, 5, 3))
    assert all(len(c) > 1 for c in y.chunks[2:])
    np.testing.assert_array_equal(value, net.predict(x, verbose=0))


def test_blocks_reading_only_zero_padding():
    # the first and last output blocks come from ZeroPadding alone
    net = models.Sequential([layers.Conv1D(2, 3), layers.ZeroPadding1D((9, 12)),
                             layers.Conv1D(2, 3, padding="same")])
    x = _rng(4).random((2, 6, 1), dtype=np.float32)
    y, value = _tiled(net, x, (2, 1, 1))
    np.testing.assert_array_equal(value, net.predict(x, verbose=0))


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("shape,chunks", [((23, 17), (4, 5)), ((3, 12), (1, 2)),
                                          ((9, 11), (9, 3))])
def test_interpolating_upsampling(interpolation, shape, chunks):
    # (3, 12): an axis shorter than the tap window (lanczos5 has 10 taps) is one window
    net = models.Sequential([layers.Conv2D(2, 3, padding="same"),
                             layers.UpSampling2D((3, 2), interpolation=interpolation),
                             layers.Conv2D(2, 3, strides=2)])
    x = _rng(5).random((2, *shape, 2), dtype=np.float32)
    y, value = _tiled(net, x, (1, *chunks, 2))
    _assert_close(value, net.predict(x, verbose=0))


class _AxisMean(layers.Layer):
    """Each output depends on the whole width: no finite halo exists."""

    def call(self, inputs):
        return inputs - inputs.mean(axis=2, keepdims=True)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def test_untileable_layer_is_refused_by_name_but_batch_chunks_work():
    net = models.Sequential([layers.Conv2D(2, 3), _AxisMean(name="centre")])
    x = _rng(6).random((4, 9, 9, 1), dtype=np.float32)
    with pytest.raises(ValueError, match=r"layer 'centre' \(_AxisMean\)"):
        net.predict(da.from_array(x, chunks=(2, 9, 4, 1)), verbose=0)
    y, value = _tiled(net, x, (3, 9, 9, 1))
    np.testing.assert_array_equal(value, net.predict(x, verbose=0))


def test_a_mixed_data_format_stack_is_refused():
    net = models.Sequential([layers.Conv2D(2, 3, data_format="channels_last"),
                             layers.Cropping2D(((1, 1), (0, 0)), data_format="channels_first")])
    net.build((None, 8, 8, 2))
    with pytest.raises(ValueError, match="data_format"):
        net.predict(da.from_array(np.ones((1, 8, 8, 2)), chunks=(1, 4, 4, 2)), verbose=0)


def test_output_blocks_follow_the_composite_stride():
    net = models.Sequential([layers.Conv1D(1, 3, strides=2, padding="same"),
                             layers.UpSampling1D(3), layers.Conv1D(1, 1, strides=2)])
    steps = _receptive.plan_steps(net, (None, 40, 1))
    assert _receptive.periods(steps, 0) == (4, 3)
    sizes = _receptive.output_bounds(steps, 0, (10, 10, 10, 10), 30)
    assert sum(sizes) == 30 and all(s % 3 == 0 for s in sizes[:-1])


# ------------------------------------------------------------------ shipping
def test_a_called_model_ships_and_predicts_the_same():
    net = _stack_1d()
    x = _rng(7).random((2, 50, 2), dtype=np.float32)
    want = net.predict(x, verbose=0)          # the layers now hold packed kernels
    shipped = pickle.loads(pickle.dumps(ShippedModel.of(net)))
    model, _ = shipped.load()
    assert model is not net
    np.testing.assert_array_equal(model.predict(x, verbose=0), want)


# ------------------------------------------------------------------ random stacks
def _layer_1d(draw):
    kind = draw(st.sampled_from(["conv", "transpose", "depthwise", "separable", "up",
                                 "pad", "crop"]))
    if kind in ("up", "pad", "crop"):
        if kind == "up":
            return layers.UpSampling1D(draw(st.integers(1, 3)))
        pair = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
        return layers.ZeroPadding1D(pair) if kind == "pad" else layers.Cropping1D(pair)
    k, s = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    d = 1 if s > 1 else draw(st.integers(1, 2))
    if kind == "transpose":
        padding = draw(st.sampled_from(["valid", "same"]))
        op = draw(st.one_of(st.none(), st.integers(0, s - 1)))
        return layers.Conv1DTranspose(2, k, strides=s, padding=padding, output_padding=op,
                                      dilation_rate=d)
    padding = draw(st.sampled_from(["valid", "same", "causal"] if kind == "conv"
                                   else ["valid", "same"]))
    if kind == "conv":
        return layers.Conv1D(2, k, strides=s, padding=padding, dilation_rate=d,
                             activation=draw(st.sampled_from([None, "relu", "tanh"])))
    if kind == "depthwise":
        return layers.DepthwiseConv1D(k, strides=s, padding=padding, dilation_rate=d)
    return layers.SeparableConv1D(2, k, strides=s, padding=padding, dilation_rate=d)


@st.composite
def _stacks_1d(draw):
    n = draw(st.integers(8, 40))
    stack = [_layer_1d(draw) for _ in range(draw(st.integers(1, 4)))]
    if draw(st.booleans()):
        stack = [stack[0], models.Sequential(stack[1:])] if len(stack) > 1 else stack
    net = models.Sequential(stack)
    try:
        net.build((None, n, 2))
    except ValueError:      # an empty output: not a model
        assume(False)
    assume(all(s > 0 for s in net.output_shape[1:]))
    chunk = draw(st.integers(max(1, n // 6), n))
    return net, n, chunk


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow,
                                                  HealthCheck.filter_too_much])
@given(case=_stacks_1d(), seed=st.integers(0, 2**16))
def test_random_fully_convolutional_stacks_1d(case, seed):
    net, n, chunk = case
    x = _rng(seed).standard_normal((2, n, 2)).astype(np.float32)
    _, value = _tiled(net, x, (1, chunk, 2))
    np.testing.assert_array_equal(value, net.predict(x, verbose=0))


@st.composite
def _stacks_2d(draw):
    fmt = draw(st.sampled_from(["channels_last", "channels_first"]))
    stack = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "transpose", "up", "pad_crop"]))
        k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        s = (draw(st.integers(1, 2)), draw(st.integers(1, 3)))
        padding = draw(st.sampled_from(["valid", "same"]))
        if kind == "conv":
            stack.append(layers.Conv2D(2, k, strides=s, padding=padding, data_format=fmt))
        elif kind == "transpose":
            stack.append(layers.Conv2DTranspose(2, k, strides=s, padding=padding,
                                                data_format=fmt))
        elif kind == "up":
            stack.append(layers.UpSampling2D(s, data_format=fmt, interpolation=draw(
                st.sampled_from(["nearest", "nearest", "bilinear", "bicubic"]))))
        else:
            stack.append(layers.ZeroPadding2D(draw(st.integers(0, 2)), data_format=fmt))
            stack.append(layers.Cropping2D(draw(st.integers(0, 2)), data_format=fmt))
    hw = (draw(st.integers(6, 20)), draw(st.integers(6, 20)))
    shape = (None, 2, *hw) if fmt == "channels_first" else (None, *hw, 2)
    net = models.Sequential(stack)
    try:
        net.build(shape)
    except ValueError:
        assume(False)
    assume(all(s > 0 for s in net.output_shape[1:]))
    chunks = (draw(st.integers(2, hw[0])), draw(st.integers(2, hw[1])))
    return net, fmt, shape, chunks


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow,
                                                  HealthCheck.filter_too_much])
@given(case=_stacks_2d(), seed=st.integers(0, 2**16))
def test_random_fully_convolutional_stacks_2d(case, seed):
    net, fmt, shape, spatial_chunks = case
    x = _rng(seed).standard_normal((2, *shape[1:])).astype(np.float32)
    chunks = (1, 2, *spatial_chunks) if fmt == "channels_first" else (1, *spatial_chunks, 2)
    _, value = _tiled(net, x, chunks)
    want = net.predict(x, verbose=0)
    if any(getattr(layer, "interpolation", "nearest") != "nearest" for layer in net.layers):
        _assert_close(value, want)
    else:
        np.testing.assert_array_equal(value, want)
