"""Pickling and deep copies (issue 16 part 3): layers and models, built or not, nested, travel
as config + weights + state; the copy predicts the same and rebuilds its packed kernels."""

import concurrent.futures
import copy
import multiprocessing
import pickle

import numpy as np
import pytest

from convkit import layers, models
from tests.support.saving_cases import LAYER_CASES, inputs

COPIES = {"pickle": lambda obj: pickle.loads(pickle.dumps(obj)), "deepcopy": copy.deepcopy}


def _nested(input_shape=(8, 8, 2)):
    inner = models.Sequential([layers.Conv2D(3, 1, name="ic"), layers.UpSampling2D(2)],
                              name="inner")
    first = layers.Conv2D(3, 3, name="first", activation="relu", kernel_regularizer="l2",
                          **({"input_shape": input_shape} if input_shape else {}))
    return models.Sequential([first, models.Sequential([layers.SeparableConv2D(3, 3,
                                                                               padding="same"),
                                                        inner], name="block"),
                              layers.Cropping2D(1)], name="outer")


def _assert_same_weights(a, b):
    assert [w.path for w in a.weights] == [w.path for w in b.weights]
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        assert wa.dtype == wb.dtype
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize("how", sorted(COPIES))
@pytest.mark.parametrize("name, kwargs, shape", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_built_layer_copies_predict_the_same(name, kwargs, shape, how):
    layer = getattr(layers, name)(**kwargs)
    x = inputs(shape)
    expected = layer(x)  # built, and a conv layer has packed its kernel
    twin = COPIES[how](layer)
    assert type(twin) is type(layer) and twin is not layer and twin.built
    assert twin.get_config() == layer.get_config()
    _assert_same_weights(twin, layer)
    assert "_pack_cache" not in twin.__dict__  # rebuilt on its first call, never shipped
    np.testing.assert_array_equal(twin(x), expected)


@pytest.mark.parametrize("name, kwargs, shape", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_unbuilt_layer_pickles_as_config_and_input_shape(name, kwargs, shape):
    layer = getattr(layers, name)(input_shape=shape, **kwargs)
    twin = pickle.loads(pickle.dumps(layer))
    assert not twin.built and twin.get_weights() == []
    assert twin.get_config() == layer.get_config() and twin.input_shape == (None, *shape)


def test_pickle_ships_no_packed_kernel_and_the_copy_owns_its_weights():
    conv = layers.Conv2D(4, 3, name="c")
    x = inputs((6, 6, 2))
    y = conv(x)
    assert conv.__dict__["_pack_cache"]  # the original has a packed kernel cached
    data = pickle.dumps(conv)
    assert b"PackedConvKernel" not in data and b"_pack_cache" not in data
    twin = pickle.loads(data)
    twin.set_weights([w * 2 for w in twin.get_weights()])  # a stale cache would ignore this
    np.testing.assert_allclose(twin(x), 2 * y, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(conv(x), y)  # the original is untouched


@pytest.mark.parametrize("how", sorted(COPIES))
@pytest.mark.parametrize("built", [True, False])
def test_nested_models_copy_with_config_weights_and_state(how, built):
    model = _nested((8, 8, 2) if built else None)
    x = inputs((8, 8, 2))
    if built:
        model.layers[0].trainable = False
        expected = model.predict(x, verbose=0)
    twin = COPIES[how](model)
    assert twin.built == built and twin.name == "outer"
    assert twin.get_config() == model.get_config()
    assert [type(layer) for layer in twin.layers] == [type(layer) for layer in model.layers]
    if built:
        _assert_same_weights(twin, model)
        assert len(twin.trainable_weights) == len(model.trainable_weights)
        assert twin.losses == model.losses
        np.testing.assert_array_equal(twin.predict(x, verbose=0), expected)
    else:
        assert twin.get_weights() == []
        np.testing.assert_array_equal(twin.predict(x, verbose=0).shape,
                                      model.predict(x, verbose=0).shape)


def _predict_in_worker(model, x):
    return model.predict(x, verbose=0)


def test_a_model_travels_to_a_worker_process():
    model = _nested()
    x = inputs((8, 8, 2), batch=3)
    # spawn: libgomp is not fork-safe (README, Threads and configuration)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        remote = pool.submit(_predict_in_worker, model, x).result(timeout=120)
    np.testing.assert_array_equal(remote, model.predict(x, verbose=0))


class _Negate(layers.Layer):
    """A user's own layer class, never registered with convkit."""

    def call(self, inputs):
        return -inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def test_a_model_with_an_unregistered_layer_class_pickles():
    model = models.Sequential([layers.Conv1D(2, 3, input_shape=(8, 1)), _Negate()])
    x = np.random.default_rng(0).random((2, 8, 1), dtype=np.float32)
    copy_ = pickle.loads(pickle.dumps(model))
    assert isinstance(copy_.layers[1], _Negate)
    assert np.array_equal(copy_.predict(x, verbose=0), model.predict(x, verbose=0))
