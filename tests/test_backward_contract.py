"""The backward-pass contract of layers and models (layers/backprop.py), on a test layer.

The layer ``Affine`` computes ``y = x * scale + shift`` (per channel) and has an exact
backward pass, so these tests check the contract itself — argument checks, the trainable
filter, the chaining through (nested) models — independently of any compute kernel.
"""

import numpy as np
import pytest

from convkit import layers, models


class Affine(layers.Layer):
    def _build(self, input_shape):
        c = input_shape[-1]
        self.scale = self.add_weight("scale", (c,), "ones")
        self.shift = self.add_weight("shift", (c,), "zeros")
        self.frozen = self.add_weight("frozen", (c,), "zeros", trainable=False)

    def call(self, inputs):
        return inputs * self.scale.value + self.shift.value

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _backward(self, context, output_gradient):
        x, dy = context.inputs, output_gradient
        axes = tuple(range(x.ndim - 1))
        return dy * self.scale.value, [(dy * x).sum(axes), dy.sum(axes), None]


def _affine(seed, name=None):
    layer = Affine(name=name)
    layer.build((None, 3))
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(size=3), rng.normal(size=3), np.zeros(3)])
    return layer


def test_layer_backward_gives_input_and_trainable_weight_gradients():
    layer = _affine(0)
    x = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    dy = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    dx, grads = layer.backward(x, dy)
    np.testing.assert_allclose(dx, dy * layer.scale.value, rtol=1e-6)
    assert [g.shape for g in grads] == [(3,), (3,)]  # the non-trainable weight is left out
    np.testing.assert_allclose(grads[0], (dy * x).sum(0), rtol=1e-6)
    layer.trainable = False
    dx2, grads2 = layer.backward(x, dy)
    assert grads2 == [] and np.array_equal(dx, dx2)


@pytest.mark.parametrize("bad, error, match", [
    (np.ones((4, 2), np.float32), ValueError, "shape"),
    (np.ones((4, 3), np.int64), TypeError, "floating"),
    (np.full((4, 3), np.nan, np.float32), ValueError, "NaN"),
    (np.full((4, 3), np.inf, np.float32), ValueError, "NaN or infinite"),
    ("gradient", TypeError, "output_gradient"),
])
def test_bad_output_gradients_are_named(bad, error, match):
    with pytest.raises(error, match=match):
        _affine(0).backward(np.ones((4, 3)), bad)


def test_training_must_be_a_bool():
    with pytest.raises(TypeError, match="training"):
        _affine(0).backward(np.ones((4, 3)), np.ones((4, 3)), training="yes")


def test_output_gradient_takes_the_output_dtype():
    dx, grads = _affine(0).backward(np.ones((2, 3)), np.ones((2, 3)))  # float64 gradient
    assert dx.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)


def test_a_layer_without_a_backward_pass_says_so():
    class Plain(layers.Layer):
        def call(self, inputs):
            return inputs

        def compute_output_shape(self, input_shape):
            return tuple(input_shape)

    with pytest.raises(NotImplementedError, match="Plain has no backward pass"):
        Plain().backward(np.ones((1, 2)), np.ones((1, 2)))


def _nested_model():
    inner = models.Sequential([_affine(1, "a1"), _affine(2, "a2")], name="inner")
    return models.Sequential([_affine(0, "a0"), inner, _affine(3, "a3")], name="outer")


def test_model_backward_is_the_chain_rule_over_nested_layers():
    model = _nested_model()
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 3))
    dy = rng.normal(size=(5, 3))
    dx, grads = model.backward(x.astype(np.float32), dy.astype(np.float32))
    assert len(grads) == len(model.trainable_weights) == 8
    # the chain rule by hand, layer by layer
    ws = [layer for layer in model._flatten_layers() if isinstance(layer, Affine)]
    ys = [x]
    for layer in ws:
        ys.append(ys[-1] * layer.scale.value + layer.shift.value)
    g = dy
    expected = {}
    for layer, xin in zip(reversed(ws), reversed(ys[:-1])):
        expected[layer.scale.path] = (g * xin).sum(0)
        expected[layer.shift.path] = g.sum(0)
        g = g * layer.scale.value
    np.testing.assert_allclose(dx, g, rtol=1e-5)
    for w, gw in zip(model.trainable_weights, grads):
        np.testing.assert_allclose(gw, expected[w.path], rtol=1e-5, atol=1e-6)


def test_frozen_inner_model_keeps_gradient_flowing_but_gives_no_weight_gradients():
    model = _nested_model()
    model.layers[1].trainable = False
    x = np.ones((2, 3), np.float32)
    dx, grads = model.backward(x, np.ones((2, 3), np.float32))
    assert len(grads) == len(model.trainable_weights) == 4
    assert dx.shape == (2, 3)


def test_a_shared_layer_sums_its_gradients():
    shared = _affine(0, "shared")
    model = models.Sequential([shared, models.Sequential([shared], name="again")])
    x = np.random.default_rng(0).normal(size=(3, 3)).astype(np.float32)
    dy = np.ones((3, 3), np.float32)
    _, grads = model.backward(x, dy)
    s, b = shared.scale.value, shared.shift.value
    y1 = x * s + b
    g1 = dy * s  # gradient reaching the first use
    np.testing.assert_allclose(grads[0], (dy * y1).sum(0) + (g1 * x).sum(0), rtol=1e-5)
    np.testing.assert_allclose(grads[1], dy.sum(0) + g1.sum(0), rtol=1e-5)
