"""The Layer contract shared by every layer: kwargs, names, dtypes, weights, losses,
constraints, config (docs/design/keras_parity.md §1)."""

import numpy as np
import pytest

import convkit
from convkit import constraints, layers, regularizers
from tests.support.keras_oracle import keras_layer


def test_unknown_kwargs_rejected_with_class_name():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Cropping2D"):
        layers.Cropping2D(bogus=1)


def test_unique_default_names():
    a, b = layers.ZeroPadding2D(), layers.ZeroPadding2D()
    assert a.name.startswith("zero_padding2d") and a.name != b.name
    assert layers.UpSampling2D(name="up").name == "up"
    with pytest.raises(TypeError, match="`name` must be a string"):
        layers.UpSampling2D(name=3)


@pytest.mark.parametrize("dtype", ["float32", "float64", np.float64, np.dtype("float32")])
def test_dtype_arguments(dtype):
    layer = layers.Conv2D(2, 1, dtype=dtype)
    assert layer.dtype == np.dtype(dtype).name
    assert layer.compute_dtype == layer.dtype
    assert layer.get_config()["dtype"] == {
        "module": "keras", "class_name": "DTypePolicy",
        "config": {"name": np.dtype(dtype).name}, "registered_name": None}


@pytest.mark.parametrize("dtype", ["int32", "float16", "mixed_float16", "complex64", "nope"])
def test_unsupported_dtypes_rejected(dtype):
    with pytest.raises((ValueError, TypeError), match="dtype"):
        layers.Conv2D(2, 1, dtype=dtype)


def test_lazy_build_weights_and_layouts():
    layer = layers.Conv2D(5, (3, 2), groups=1)
    assert not layer.built and layer.weights == []
    layer(np.ones((1, 6, 6, 4)))
    assert layer.built
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert layer.kernel.shape == (3, 2, 4, 5) and layer.bias.shape == (5,)
    assert layer.count_params() == 3 * 2 * 4 * 5 + 5
    assert np.all(layer.bias.numpy() == 0)
    limit = np.sqrt(6 / (3 * 2 * 4 + 3 * 2 * 5))
    assert np.abs(layer.kernel.numpy()).max() <= limit


def test_set_weights_checks_count_and_shapes_and_copies():
    layer = layers.Conv1D(2, 3)
    layer.build((None, 8, 1))
    with pytest.raises(ValueError, match="weight list of length 1"):
        layer.set_weights([np.zeros((3, 1, 2))])
    with pytest.raises(ValueError, match=r"weight shape \(3, 1, 2\) is not compatible"):
        layer.set_weights([np.zeros((2, 1, 2)), np.zeros(2)])
    w = [np.ones((3, 1, 2)), np.arange(2.0)]
    layer.set_weights(w)
    w[0][...] = 7  # the layer keeps its own copy
    got = layer.get_weights()
    assert np.all(got[0] == 1) and got[0].dtype == np.float32
    got[1][...] = 9  # and hands out copies
    np.testing.assert_array_equal(layer.get_weights()[1], [0, 1])


def test_trainable_flag_moves_weights():
    layer = layers.Conv2D(2, 1, kernel_regularizer=regularizers.L2(0.5))
    layer.build((None, 3, 3, 1))
    assert len(layer.trainable_weights) == 2 and layer.non_trainable_weights == []
    assert len(layer.losses) == 1
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    assert layer.losses == []  # frozen layers add no weight penalties
    assert layer.get_config()["trainable"] is False


def test_losses_activity_divided_by_batch_then_weight_penalties():
    # docs/design/keras_parity.md §1.8: batch 4, 72 outputs all equal to 28, L2(0.001) -> 14.112
    layer = layers.Conv2D(2, 3, kernel_initializer="ones", bias_initializer="ones",
                          activity_regularizer=regularizers.L2(0.001),
                          kernel_regularizer=regularizers.L1(0.01))
    assert layer.losses == []
    x = np.ones((4, 5, 5, 3), np.float32)
    y = layer(x)
    assert y.size == 72 and np.all(y == 28)
    losses = layer.losses
    assert len(losses) == 2
    assert losses[0] == pytest.approx(14.112, rel=1e-6)
    assert losses[1] == pytest.approx(0.01 * 3 * 3 * 3 * 2, rel=1e-6)
    layer(x)
    assert len(layer.losses) == 2  # activity losses are reset on every call
    keras_conv = keras_layer("Conv2D", filters=2, kernel_size=3, kernel_initializer="ones",
                             bias_initializer="ones",
                             activity_regularizer={"class_name": "L2",
                                                   "config": {"l2": 0.001}},
                             kernel_regularizer={"class_name": "L1", "config": {"l1": 0.01}})
    keras_conv(x)
    np.testing.assert_allclose(losses, [float(v) for v in keras_conv.losses], rtol=1e-5)


def test_losses_after_build_only_weight_penalties():
    layer = layers.SeparableConv2D(3, 2, depthwise_regularizer="l2", pointwise_regularizer="l1",
                                   bias_regularizer="l2", activity_regularizer="l2")
    layer.build((None, 4, 4, 2))
    assert len(layer.losses) == 3


def test_constraints_only_applied_on_request():
    layer = layers.Conv2D(2, 2, kernel_initializer=convkit.initializers.Constant(-1.0),
                          kernel_constraint="non_neg",
                          bias_constraint=constraints.MaxNorm(1.0))
    layer(np.ones((1, 3, 3, 1)))
    # constraints run only when applied (docs/design/keras_parity.md D5): not at build or call
    assert np.all(layer.kernel.numpy() == -1)
    layer.set_weights([-np.ones((2, 2, 1, 2)), np.array([3.0, 4.0])])
    assert np.all(layer.kernel.numpy() == -1)  # nor at set_weights
    layer.apply_constraints()
    assert np.all(layer.kernel.numpy() == 0)
    np.testing.assert_allclose(layer.bias.numpy(), [3 / 5, 4 / 5], rtol=1e-6)


def test_bias_initializer_none_is_glorot_like_keras():
    convkit.utils.set_random_seed(0)
    layer = layers.Conv2D(16, 3, bias_initializer=None)
    layer.build((None, 8, 8, 4))
    assert np.any(layer.bias.numpy() != 0)
    assert layer.get_config()["bias_initializer"] is None


def test_set_random_seed_makes_initialisation_reproducible():
    def weights():
        layer = layers.Conv2D(4, 3)
        layer.build((None, 5, 5, 2))
        return layer.get_weights()[0]

    convkit.utils.set_random_seed(42)
    a = weights()
    convkit.utils.set_random_seed(42)
    b = weights()
    c = weights()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_threads_and_config_api():
    assert convkit.get_num_threads() >= 1
    with convkit.num_threads(1):
        assert convkit.get_num_threads() == 1
    with pytest.raises(ValueError, match="positive"):
        convkit.set_num_threads(0)
    with pytest.raises(TypeError):
        convkit.set_num_threads(1.5)
    with pytest.raises(ValueError, match="data_format"):
        convkit.config.set_image_data_format("NHWC")
    assert convkit.config.epsilon() == 1e-7


def test_show_config_prints_the_facts(capsys):
    convkit.show_config()
    out = capsys.readouterr().out
    for word in ("convkit", "numpy", "openmp", "threads", "kernel ISA"):
        assert word in out


def test_omp_num_threads_is_honoured(monkeypatch):
    from convkit import _threads
    from convkit._kernels import _cpu

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setattr(_threads, "_requested", None)
    expected = 1 if _cpu.openmp_enabled() else 1
    assert convkit.get_num_threads() == expected


def test_packed_weights_follow_every_change():
    x = np.random.default_rng(5).standard_normal((1, 6, 6, 2)).astype(np.float32)
    for layer in (layers.Conv2D(3, 3), layers.Conv2DTranspose(3, 3, strides=2),
                  layers.DepthwiseConv2D(3, depth_multiplier=2)):
        first = layer(x)
        np.testing.assert_array_equal(layer(x), first)  # cached packing, same numbers
        weights = layer.get_weights()
        layer.set_weights([2 * weights[0], 2 * weights[1]])
        np.testing.assert_allclose(layer(x), 2 * first, rtol=1e-6, atol=1e-6)
        layer.kernel.assign(np.zeros(layer.kernel.shape))
        layer.bias.assign(np.zeros(layer.bias.shape))
        np.testing.assert_array_equal(layer(x), 0)
    sep = layers.SeparableConv2D(2, 3)
    first = sep(x)
    sep.depthwise_kernel.assign(2 * sep.depthwise_kernel.numpy())
    np.testing.assert_allclose(sep(x), 2 * first, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layer", [layers.Conv2D(2, 1), layers.Conv1DTranspose(2, 1),
                                   layers.Cropping2D(), layers.UpSampling1D()])
def test_compute_output_shape_checks_rank_like_a_call(layer):
    # one input-rank rule (docs/design/keras_parity.md D3) for calls and shape inference
    with pytest.raises(ValueError, match=r"expected ndim=\d, found ndim=6"):
        layer.compute_output_shape((1, 2, 3, 4, 5, 6))
