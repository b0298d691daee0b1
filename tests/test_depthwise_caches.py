"""What the depthwise and separable packs cache, and that ops and layers use the caches.

``PackedDepthwise`` keeps whether its weights are finite (it decides the padding path,
``docs/design/kernels.md`` §9) and ``PackedPointwise`` its blocked layout, as
``PackedConvKernel`` keeps ``finite`` and its packing: nothing is recomputed per call.
"""

import numpy as np
import pytest

import convkit.ops.depthwise as depthwise_module
from convkit import layers
from convkit.ops.depthwise import (
    PackedPointwise,
    depthwise_conv,
    pack_depthwise_kernel,
    pack_pointwise_kernel,
    separable_conv,
)
from tests.support.nonfinite import assert_same_nonfinite


@pytest.fixture
def count_isfinite(monkeypatch):
    calls = []
    real = np.isfinite

    def counting(*args, **kwargs):
        calls.append(np.shape(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(depthwise_module.np, "isfinite", counting)
    return calls


@pytest.fixture
def count_blocks(monkeypatch):
    calls = []
    real = depthwise_module._pointwise_blocks

    def counting(*args, **kwargs):
        calls.append(args[0].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(depthwise_module, "_pointwise_blocks", counting)
    return calls


def _case(dtype=np.float32):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 9, 8, 6)).astype(dtype)
    dk = rng.standard_normal((3, 3, 6, 2)).astype(dtype)
    pk = rng.standard_normal((1, 1, 12, 5)).astype(dtype)
    return x, dk, pk


def test_packed_depthwise_knows_whether_it_is_finite(count_isfinite):
    x, dk, pk = _case()
    packed = pack_depthwise_kernel(dk)
    assert packed.finite and not packed.weights.flags.writeable
    count_isfinite.clear()
    y = depthwise_conv(x, packed, padding="same")
    z = separable_conv(x, packed, pk, padding="same")
    assert count_isfinite == []   # the flag is read, not recomputed per call
    np.testing.assert_array_equal(y, depthwise_conv(x, dk, padding="same"))
    np.testing.assert_array_equal(z, separable_conv(x, dk, pk, padding="same"))


def test_packed_depthwise_does_not_follow_the_source_array():
    # M = 1: the repacked weights are a reshaped transpose that is already contiguous; the
    # pack still owns a copy, so its cached flag cannot go stale
    x, dk, _ = _case()
    dk1 = np.ascontiguousarray(dk[..., :1])
    packed = pack_depthwise_kernel(dk1)
    before = depthwise_conv(x, packed, padding="same")
    dk1[1, 1, 0, 0] = np.inf
    assert packed.finite
    np.testing.assert_array_equal(depthwise_conv(x, packed, padding="same"), before)


def test_nonfinite_packed_depthwise_takes_the_padded_path():
    x, dk, pk = _case(np.float64)
    dk = dk.copy()
    dk[0, 0, 1, 1] = np.inf
    packed = pack_depthwise_kernel(dk)
    assert not packed.finite
    assert_same_nonfinite(depthwise_conv(x, packed, padding="same"),
                          depthwise_conv(x, dk, padding="same"))
    assert_same_nonfinite(separable_conv(x, packed, pk, padding="same"),
                          separable_conv(x, dk, pk, padding="same"))


def test_packed_pointwise_blocks_once(count_blocks):
    x, dk, pk = _case()
    pp = pack_pointwise_kernel(pk)
    assert isinstance(pp, PackedPointwise) and pp.shape == pk.shape
    assert not pp.kernel.flags.writeable
    expected = separable_conv(x, dk, pk, padding="same")
    count_blocks.clear()
    for _ in range(3):
        np.testing.assert_array_equal(separable_conv(x, dk, pp, padding="same"), expected)
    assert len(count_blocks) == 1
    # raw arrays are still accepted, and blocked per call
    count_blocks.clear()
    separable_conv(x, dk, pk, padding="same")
    assert len(count_blocks) == 1


def test_packed_pointwise_dtype_follows_the_operands():
    x, dk, pk = _case()
    pp = pack_pointwise_kernel(pk)   # float32
    y64 = separable_conv(x.astype(np.float64), dk, pp, bias=np.ones(5), activation="relu")
    assert y64.dtype == np.float64
    np.testing.assert_array_equal(
        y64, separable_conv(x.astype(np.float64), dk, pk, bias=np.ones(5), activation="relu"))
    with pytest.raises(ValueError, match="pointwise_kernel"):
        separable_conv(x, dk, pack_pointwise_kernel(pk[:, :, :6]))


def test_separable_layer_packs_each_weight_value_once(count_blocks, count_isfinite):
    x, _, _ = _case()
    layer = layers.SeparableConv2D(5, 3, depth_multiplier=2, padding="same")
    first = layer(x)
    count_blocks.clear()
    count_isfinite.clear()
    np.testing.assert_array_equal(layer(x), first)
    np.testing.assert_array_equal(layer(x), first)
    assert count_blocks == [] and count_isfinite == []
    depthwise, pointwise, bias = layer.get_weights()
    layer.set_weights([depthwise, pointwise * 2, bias])
    second = layer(x)
    assert len(count_blocks) == 1
    np.testing.assert_allclose(second, 2 * first, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(layer(x), second)
    assert len(count_blocks) == 1


def test_depthwise_layer_checks_finiteness_once_per_weight_value(count_isfinite):
    x, _, _ = _case()
    layer = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    first = layer(x)
    count_isfinite.clear()
    np.testing.assert_array_equal(layer(x), first)
    assert count_isfinite == []
