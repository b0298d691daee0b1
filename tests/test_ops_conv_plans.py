"""Remembered direct-convolution calls (ops/_conv_plans.py): a call that finds its plan must
give exactly what the full op gives, and anything the plan does not cover must still reach the
full op's checks."""

import threading

import numpy as np
import pytest

import convkit
from convkit import config, layers, ops
from convkit._kernels import load
from convkit.ops import _conv_plans, _direct
from tests.support import reference_conv


def _fresh(x, kernel, **kwargs):
    """The full op's answer: a raw kernel array never takes a remembered plan."""
    return ops.conv(x, np.array(kernel.kernel), **kwargs)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("filters", [1, 4, 20])
def test_a_remembered_call_equals_the_full_op(rng, data_format, filters):
    x = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    kernel = ops.pack_conv_kernel(rng.standard_normal((3, 3, 3, filters)), "float32")
    bias = rng.standard_normal(filters).astype(np.float32)
    kwargs = dict(strides=(1, 2), padding="same", data_format=data_format,
                  activation="relu", algorithm="direct")
    first = ops.conv(x, kernel, bias=bias, **kwargs)
    key = _conv_plans.plan_key(x, kernel, (1, 2), "same", data_format, 1, bias, "relu",
                               "direct")
    assert _conv_plans.remembered(key) is not None
    second = ops.conv(x, kernel, bias=bias, **kwargs)
    np.testing.assert_array_equal(second, first)
    np.testing.assert_array_equal(second, _fresh(x, kernel, bias=bias, **kwargs))


def test_the_plan_reads_the_bias_and_weights_of_each_call(rng):
    x = rng.standard_normal((1, 5, 5, 2)).astype(np.float32)
    k = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    bias = np.zeros(3, np.float32)
    a = ops.conv(x, ops.pack_conv_kernel(k), bias=bias, padding="same")
    bias += 1.5  # changed in place, as an optimizer does
    b = ops.conv(x, ops.pack_conv_kernel(k), bias=bias, padding="same")
    np.testing.assert_allclose(b, a + 1.5, rtol=1e-6)
    c = ops.conv(x, ops.pack_conv_kernel(2 * k), bias=bias, padding="same")  # new weights
    np.testing.assert_allclose(c, 2 * a + 1.5, rtol=1e-5, atol=1e-5)


def test_layers_follow_new_weights_and_settings(rng):
    x = rng.standard_normal((1, 9, 9, 4)).astype(np.float32)
    layer = layers.Conv2D(6, 3, padding="same")
    y0 = layer(x)
    kernel, bias = layer.get_weights()
    layer.set_weights([-kernel, bias + 1])
    np.testing.assert_allclose(layer(x), -y0 + 2 * bias + 1, rtol=1e-5, atol=1e-5)
    want = reference_conv.conv(x, -kernel, padding="same") + bias + 1
    for threads in (1, 2, 3):
        with convkit.num_threads(threads):
            np.testing.assert_allclose(layer(x), want, rtol=1e-5, atol=1e-5)


def test_settings_read_at_call_time_are_part_of_the_key(rng):
    x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
    kernel = ops.pack_conv_kernel(rng.standard_normal((3, 3, 3, 2)), "float32")
    previous = config.image_data_format()
    try:
        config.set_image_data_format("channels_first")
        first = ops.conv(x, kernel)
        assert first.shape == (1, 2, 6, 6)
        config.set_image_data_format("channels_last")  # now the 8 is the channel axis
        with pytest.raises(ValueError, match="channels"):
            ops.conv(x, kernel)
    finally:
        config.set_image_data_format(previous)


def test_arguments_the_plan_does_not_cover_still_get_checked(rng):
    x = rng.standard_normal((1, 8, 8, 2)).astype(np.float32)
    kernel = ops.pack_conv_kernel(rng.standard_normal((3, 3, 2, 4)), "float32")
    ops.conv(x, kernel, strides=2, bias=np.zeros(4, np.float32))
    ops.conv(x, kernel, strides=2, bias=np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="bias"):
        ops.conv(x, kernel, strides=2, bias=np.zeros(5, np.float32))
    with pytest.raises(ValueError, match="bias"):
        ops.conv(x, kernel, strides=2, bias=np.zeros(3, np.float32))
    with pytest.raises((TypeError, ValueError), match="strides"):
        ops.conv(x, kernel, strides=2.0)
    with pytest.raises(ValueError, match="padding"):
        ops.conv(x, kernel, strides=2, padding="full")
    # inputs the op converts (float64, non-contiguous) give the converted answer
    want = ops.conv(x, kernel, strides=2)
    np.testing.assert_array_equal(ops.conv(x.astype(np.float64), kernel, strides=2), want)
    wide = np.repeat(x, 2, axis=2)[:, :, ::2]
    np.testing.assert_array_equal(ops.conv(wide, kernel, strides=2), want)


def test_a_kernel_with_nan_never_runs_a_plan(rng):
    x = rng.standard_normal((1, 6, 6, 1)).astype(np.float32)
    k = rng.standard_normal((3, 3, 1, 1)).astype(np.float32)
    ops.conv(x, ops.pack_conv_kernel(k), padding="same")
    k[0, 0, 0, 0] = np.nan
    y = ops.conv(x, ops.pack_conv_kernel(k), padding="same")
    assert np.isnan(y).all()  # the padding's zeros meet the NaN too, as in Keras


def test_the_store_forgets_everything_when_full(rng, monkeypatch):
    monkeypatch.setattr(_conv_plans, "_MAX_PLANS", 3)
    monkeypatch.setattr(_conv_plans, "_PLANS", {})
    kernel = ops.pack_conv_kernel(rng.standard_normal((1, 1, 1)), "float32")
    for n in range(1, 8):
        x = np.ones((1, n, 1), np.float32)
        np.testing.assert_array_equal(ops.conv(x, kernel), x * kernel.kernel[0, 0, 0])
        assert len(_conv_plans._PLANS) <= 3


def test_threads_share_a_layer_and_its_plans(rng):
    layer = layers.Conv1D(8, 3, padding="causal")
    xs = [rng.standard_normal((2, 32, 5)).astype(np.float32) for _ in range(4)]
    want = [layer(x) for x in xs]
    errors = []

    def work(i):
        for _ in range(50):
            if not np.array_equal(layer(xs[i]), want[i]):
                errors.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_the_kernel_checks_the_job_table_width():
    module = load("_conv")
    x = np.zeros(4, np.float32)
    fields = len(_direct.JOB_FIELDS)
    with pytest.raises(ValueError, match="job table"):
        module.conv_f(x, x, x, x, np.zeros((1, fields - 1), np.intp), "wide", 1)
    with pytest.raises(ValueError):
        module.conv_f(x, x, x, x, np.zeros((1, fields), np.int32), "wide", 1)
