"""Convolution-family layers against Keras 3: outputs with shared weights (both directions),
weight names/layouts/order, output shapes, configs and the constructor/build/call errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convkit import layers
from tests.support.keras_oracle import assert_close, config_without_name, keras_layer, run_keras

FORMATS = ("channels_last", "channels_first")
RANK_OF = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3, "Conv1DTranspose": 1, "Conv2DTranspose": 2,
           "Conv3DTranspose": 3, "DepthwiseConv1D": 1, "DepthwiseConv2D": 2,
           "SeparableConv1D": 1, "SeparableConv2D": 2}


@st.composite
def conv_layer_case(draw):
    name = draw(st.sampled_from(sorted(RANK_OF)))
    rank = RANK_OF[name]
    small = st.integers
    kernel = tuple(draw(small(1, 3 if rank == 3 else 4)) for _ in range(rank))
    use_dilation = draw(st.booleans())
    strides = tuple(draw(small(1, 3)) for _ in range(rank))
    dilation = tuple(draw(small(1, 2)) for _ in range(rank)) if use_dilation else (1,) * rank
    if not name.startswith(("Depthwise", "Separable")) and max(dilation) > 1:
        strides = (1,) * rank  # Conv and transposed reject stride > 1 with dilation > 1
    paddings = ["valid", "same"] + (["causal"] if name == "Conv1D" else [])
    kwargs = {"kernel_size": kernel, "strides": strides, "dilation_rate": dilation,
              "padding": draw(st.sampled_from(paddings)),
              "data_format": draw(st.sampled_from(FORMATS)),
              "use_bias": draw(st.booleans()),
              "activation": draw(st.sampled_from([None, "relu", "tanh", "sigmoid"]))}
    channels = draw(small(1, 4))
    if name.startswith(("Conv1D", "Conv2D", "Conv3D")) and "Transpose" not in name:
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))
        kwargs["groups"] = groups
        kwargs["filters"] = groups * draw(small(1, 3))
    elif name.startswith("Depthwise"):
        kwargs["depth_multiplier"] = draw(small(1, 3))
    else:
        kwargs["filters"] = draw(small(1, 5))
        if name.startswith("Separable"):
            kwargs["depth_multiplier"] = draw(small(1, 2))
        if "Transpose" in name and draw(st.booleans()):
            kwargs["output_padding"] = tuple(draw(small(0, s - 1)) for s in strides)
    eff = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    lo = 1
    spatial = []
    for e in eff:
        n = draw(small(lo, 7 if rank < 3 else 5))
        if kwargs["padding"] == "valid" and "Transpose" not in name:
            n = max(n, e)
        spatial.append(n)
    batch = draw(small(1, 2))
    return name, rank, kwargs, channels, tuple(spatial), batch


def _shape(batch, spatial, channels, data_format):
    return (batch, *spatial, channels) if data_format == "channels_last" else \
        (batch, channels, *spatial)


@given(conv_layer_case(), st.integers(0, 2**31 - 1))
def test_matches_keras_with_shared_weights(case, seed):
    name, rank, kwargs, channels, spatial, batch = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(_shape(batch, spatial, channels, kwargs["data_format"]))
    x = x.astype(np.float32)
    ours = getattr(layers, name)(**kwargs)
    theirs = keras_layer(name, **kwargs)
    theirs.build(x.shape)
    ours.build(x.shape)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    # Keras -> convkit
    kweights = [rng.standard_normal(w.shape).astype(np.float32) for w in theirs.weights]
    theirs.set_weights(kweights)
    ours.set_weights(theirs.get_weights())
    expected = np.asarray(theirs(x))
    got = ours(x)
    reduction = int(np.prod(kwargs["kernel_size"])) * channels * kwargs.get("filters", 1)
    assert_close(got, expected, reduction_size=reduction)
    # convkit -> Keras
    fresh = keras_layer(name, **kwargs)
    np.testing.assert_allclose(run_keras(fresh, x, ours.get_weights()), expected, rtol=0,
                               atol=0)
    in_shape = (None, *x.shape[1:])
    assert tuple(ours.compute_output_shape(in_shape)) == \
        tuple(theirs.compute_output_shape(in_shape))
    assert type(ours.compute_output_shape(in_shape)) is \
        type(theirs.compute_output_shape(in_shape))
    assert config_without_name(ours.get_config()) == config_without_name(theirs.get_config())
    assert list(ours.get_config()) == list(theirs.get_config())


@pytest.mark.parametrize("name", sorted(RANK_OF))
def test_from_config_round_trip(name):
    kwargs = {"kernel_size": 2, "activation": "relu", "kernel_regularizer": "l2",
              "bias_constraint": "non_neg"} if not name.startswith(("Depthwise", "Separable")) \
        else {"kernel_size": 2, "activation": "relu", "depthwise_regularizer": "l1"}
    if not name.startswith("Depthwise"):
        kwargs["filters"] = 4
    layer = getattr(layers, name)(**kwargs)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    keras_clone = getattr(__import__("keras").layers, name).from_config(layer.get_config())
    assert config_without_name(keras_clone.get_config()) == \
        config_without_name(layer.get_config())


def test_seed_example_sequential_conv2d():
    from convkit.models import Sequential

    model = Sequential()
    model.add(layers.Cropping2D(cropping=((2, 2), (4, 4)), input_shape=(28, 28, 3)))
    model.add(layers.Conv2D(64, 5, padding="valid"))
    assert model.output_shape == (None, 20, 16, 64)


def test_float64_layers_compute_in_float64():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 7, 6, 3))
    layer = layers.Conv2D(4, 3, dtype="float64", padding="same")
    y = layer(x)
    assert y.dtype == np.float64 and layer.kernel.dtype == "float64"
    from tests.support.reference_conv import conv as ref_conv
    expected = ref_conv(x, layer.kernel.numpy(), padding="same") + layer.bias.numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make,exc,match", [
    (lambda: layers.Conv2D(0, 3), ValueError, "Expected a strictly positive value"),
    (lambda: layers.Conv2D(4, 3, groups=0), ValueError, "number of groups must be a positive"),
    (lambda: layers.Conv2D(4, 3, groups=3), ValueError, "evenly divisible by the number of"),
    (lambda: layers.Conv2D(4, 0), ValueError, "`kernel_size` argument must be a tuple"),
    (lambda: layers.Conv2D(4, 3, strides=(1, 0)), ValueError, "`strides` argument"),
    (lambda: layers.Conv2D(4, 3, strides=(2, 1), dilation_rate=(1, 2)), ValueError,
     "`strides > 1` not supported in conjunction with `dilation_rate > 1`"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, dilation_rate=2), ValueError,
     "`strides > 1` not supported"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), ValueError, "Received: causal"),
    (lambda: layers.SeparableConv1D(4, 3, padding="causal"), ValueError, "Received: causal"),
    (lambda: layers.Conv1DTranspose(4, 3, padding="causal"), ValueError, "Received: causal"),
    (lambda: layers.DepthwiseConv1D(3, padding="causal"), ValueError, "Received: causal"),
    (lambda: layers.Conv2D(4, 3, padding=(1, 1)), ValueError, "`padding` argument"),
    (lambda: layers.Conv2D(4, 3, padding=None), ValueError, "`padding` argument"),
    (lambda: layers.Conv2D(4, (3.0, 3.0)), ValueError, "`kernel_size` argument"),
    (lambda: layers.Conv2D(4, "33"), ValueError, "`kernel_size` argument"),
    (lambda: layers.Conv2D(4, 3, activation="ReLU"), ValueError,
     "Could not interpret activation function identifier: ReLU"),
    (lambda: layers.Conv2D(4, 3, kernel_initializer="glorot"), ValueError,
     "Could not interpret initializer identifier"),
    (lambda: layers.Conv2D(4, 3, kernel_regularizer="l1_l2"), ValueError,
     "Could not interpret regularizer identifier: l1_l2"),
    (lambda: layers.Conv2D(4, 3, kernel_constraint="maxnorm"), ValueError,
     "Could not interpret constraint identifier"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), ValueError,
     "`output_padding` must be strictly less than `strides`"),
    (lambda: layers.Conv2DTranspose(4, 3, output_padding=-1), ValueError,
     "including values {-1} that do not satisfy `value >= 0`"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), ValueError,
     "Received depth_multiplier=0"),
    (lambda: layers.SeparableConv2D(0, 3), ValueError, "Received filters=0"),
    (lambda: layers.Conv2DTranspose(4, 3, groups=2), ValueError, "Unrecognized keyword"),
    (lambda: layers.DepthwiseConv2D(3, filters=4), ValueError, "Unrecognized keyword"),
    (lambda: layers.Conv2D("4", 3), TypeError, "filters"),
    (lambda: layers.Conv2D(4, 3, dtype="int32"), ValueError, "float32"),
])
def test_constructor_errors(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_depthwise_and_separable_accept_strides_with_dilation():
    x = np.random.default_rng(0).standard_normal((1, 11, 11, 2)).astype(np.float32)
    for name, kwargs in [("DepthwiseConv2D", {}), ("SeparableConv2D", {"filters": 3})]:
        ours = getattr(layers, name)(kernel_size=3, strides=2, dilation_rate=2, **kwargs)
        theirs = keras_layer(name, kernel_size=3, strides=2, dilation_rate=2, **kwargs)
        theirs.build(x.shape)
        ours.build(x.shape)
        ours.set_weights(theirs.get_weights())
        assert_close(ours(x), np.asarray(theirs(x)), reduction_size=36)


def test_build_and_call_errors():
    layer = layers.Conv2D(4, 3)
    layer(np.ones((1, 5, 5, 3)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(np.ones((1, 5, 5, 4)))
    assert layer(np.ones((2, 9, 7, 3))).shape == (2, 7, 5, 4)  # spatial/batch may change
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layers.Conv2D(4, 3)(np.ones((5, 5, 3)))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=5"):
        layers.Conv2DTranspose(4, 3)(np.ones((1, 2, 5, 5, 3)))
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        layers.Conv2D(4, 5)(np.ones((1, 3, 3, 1)))
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        layers.Conv2D(4, 5).compute_output_shape((None, 3, 3, 1))
    with pytest.raises(ValueError, match="number of input channels must be evenly divisible"):
        layers.Conv2D(4, 3, groups=2)(np.ones((1, 5, 5, 3)))
    with pytest.raises(AttributeError, match="You must build the layer before accessing `kernel`"):
        _ = layers.Conv2D(4, 3).kernel
    with pytest.raises(AttributeError, match="before accessing `depthwise_kernel`"):
        _ = layers.SeparableConv2D(4, 3).depthwise_kernel
    with pytest.raises(ValueError, match="isn't built"):
        layers.Conv2D(4, 3).count_params()


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_, np.float16, np.float64])
def test_input_dtypes_cast_to_layer_dtype(dtype):
    x = (np.arange(2 * 5 * 5 * 2) % 3).reshape(2, 5, 5, 2).astype(dtype)
    layer = layers.Conv2D(3, 3)
    y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, layer(x.astype(np.float32)), rtol=1e-6)


def test_same_padding_kernel_larger_than_input_and_zero_batch():
    layer = layers.Conv2D(2, 5, padding="same")
    assert layer(np.ones((1, 2, 3, 1))).shape == (1, 2, 3, 2)
    assert layer(np.ones((0, 2, 3, 1))).shape == (0, 2, 3, 2)


def test_transposed_zero_size_output_is_empty():
    # same + output_padding: (n - 1) * s + k_eff % 2 + op = 0 for n = 1, k = 2
    # (docs/design/keras_parity.md D7)
    layer = layers.Conv1DTranspose(2, 2, strides=1, padding="same", output_padding=0)
    y = layer(np.ones((1, 1, 1)))
    assert y.shape == (1, 0, 2)
    assert layer.compute_output_shape((None, 1, 1)) == [None, 0, 2]


@pytest.mark.parametrize("name", sorted(RANK_OF))
def test_constructor_arguments_in_keras_order(name):
    # positional calls written for Keras must mean the same here (Conv3DTranspose's own order)
    import inspect

    import keras

    ours = list(inspect.signature(getattr(layers, name)).parameters)
    theirs = list(inspect.signature(getattr(keras.layers, name)).parameters)
    assert ours == theirs


def test_conv3d_transpose_positional_arguments_follow_keras():
    args = (2, 3, 1, "same", "channels_last", None, 1, "relu", False)
    ours = layers.Conv3DTranspose(*args)
    theirs = keras_layer("Conv3DTranspose", **dict(zip(
        ("filters", "kernel_size", "strides", "padding", "data_format", "output_padding",
         "dilation_rate", "activation", "use_bias"), args, strict=True)))
    assert config_without_name(ours.get_config()) == config_without_name(theirs.get_config())


@pytest.mark.parametrize("base", [layers.conv.BaseConv, layers.conv_transpose.BaseConvTranspose,
                                  layers.separable.BaseSeparableConv])
def test_family_bases_need_a_rank(base):
    with pytest.raises(TypeError, match="sets `rank`"):
        base(2, 3)
