"""Models are layers: a Sequential inside a Sequential builds, predicts, serialises, moves its
weights and shows in ``summary()`` as Keras 3 does (Keras itself is the oracle)."""

import json

import numpy as np
import pytest

from convkit import layers, models, regularizers
from convkit.layers import Layer
from convkit.models import Model, Sequential


def _block(name="block"):
    return Sequential([layers.Conv2D(3, 3, padding="same", activation="relu", name=f"{name}_c1"),
                       layers.Conv2D(3, 1, name=f"{name}_c2")], name=name)


def _nested(input_shape=(6, 6, 3)):
    """outer: conv, block(conv, conv), crop, deep(conv, inner(conv, upsample)), conv."""
    deep = Sequential([layers.Conv2D(3, 1, name="deep_c"),
                       Sequential([layers.Conv2D(3, 1, name="inner_c"), layers.UpSampling2D(2,
                                                                                  name="up")],
                                  name="inner")], name="deep")
    first = layers.Conv2D(3, 1, name="first") if input_shape is None else \
        layers.Conv2D(3, 1, name="first", input_shape=input_shape)
    return Sequential([first, _block(), layers.Cropping2D(1, name="crop"), deep,
                       layers.Conv2D(3, 1, name="last")], name="outer")


def _keras_nested():
    import keras

    kl = keras.layers
    inner = keras.Sequential([kl.Conv2D(3, 1, name="inner_c"), kl.UpSampling2D(2, name="up")],
                             name="inner")
    deep = keras.Sequential([kl.Conv2D(3, 1, name="deep_c"), inner], name="deep")
    block = keras.Sequential([kl.Conv2D(3, 3, padding="same", activation="relu",
                                        name="block_c1"), kl.Conv2D(3, 1, name="block_c2")],
                             name="block")
    return keras.Sequential([keras.Input((6, 6, 3)), kl.Conv2D(3, 1, name="first"), block,
                             kl.Cropping2D(1, name="crop"), deep,
                             kl.Conv2D(3, 1, name="last")], name="outer")


def _by_hand(model, x):
    for layer in model.layers:
        x = _by_hand(layer, x) if isinstance(layer, Model) else layer(x)
    return x


def _x(seed=0, batch=5):
    return np.random.default_rng(seed).standard_normal((batch, 6, 6, 3)).astype(np.float32)


def test_models_are_layers():
    assert issubclass(Sequential, Layer) and issubclass(Sequential, Model)
    assert issubclass(Model, Layer)
    assert models.Sequential is Sequential
    import convkit

    assert convkit.models.Sequential is convkit.Sequential is Sequential
    # the weight API is Layer's, inherited, not written again for models
    for name in ("weights", "trainable_weights", "non_trainable_weights", "get_weights",
                 "set_weights", "count_params", "losses", "trainable"):
        assert name not in vars(Sequential) and name not in vars(Model), name


@pytest.mark.parametrize("route", ["input_shape", "build", "first_call"])
def test_nested_model_builds_by_every_route_and_predicts_as_its_layers(route):
    model = _nested((6, 6, 3) if route == "input_shape" else None)
    x = _x()
    if route == "build":
        assert not model.built
        model.build((None, 6, 6, 3))
    elif route == "first_call":
        assert not model.built
        with pytest.raises(AttributeError, match="no defined output shape"):
            _ = model.output_shape
        first = model(x[:2])
        np.testing.assert_array_equal(first, _by_hand(model, x[:2]))
    assert model.built and all(layer.built for layer in model._flatten_layers())
    assert model.input_shape == (None, 6, 6, 3)
    assert model.output_shape == (None, 8, 8, 3)
    assert model.layers[3].output_shape == (None, 8, 8, 3)
    assert model.layers[3].input_shape == (None, 4, 4, 3)
    n_conv = 3 * 3 + 3  # every Conv2D(3, 1) on 3 channels
    assert model.count_params() == 5 * n_conv + (3 * 3 * 3 * 3 + 3)
    expected = _by_hand(model, x)
    np.testing.assert_array_equal(model(x), expected)
    np.testing.assert_array_equal(model.predict(x, batch_size=2, verbose=0), expected)
    assert model.compute_output_shape((7, 6, 6, 3)) == (7, 8, 8, 3)


def test_weight_paths_follow_the_nesting_like_keras():
    model = _nested()
    keras_model = _keras_nested()
    assert [w.path for w in model.weights] == [w.path for w in keras_model.weights]


def test_get_set_weights_in_keras_order_both_ways():
    model = _nested()
    keras_model = _keras_nested()
    x = _x(1)
    assert [w.shape for w in model.get_weights()] == \
        [tuple(w.shape) for w in keras_model.get_weights()]
    rng = np.random.default_rng(2)
    # all the 1x1 kernels share a shape: a wrong order would pass set_weights silently
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in model.weights])
    keras_model.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               np.asarray(keras_model.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-5)
    keras_model.set_weights([w * 0.5 for w in keras_model.get_weights()])
    model.set_weights(keras_model.get_weights())
    np.testing.assert_allclose(model(x), np.asarray(keras_model(x)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="weight list of length 3"):
        model.set_weights(model.get_weights()[:3])
    wrong = model.get_weights()
    wrong[4] = np.zeros((2, 2))
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"weight shape \(1, 1, 3, 3\) is not compatible with "
                       r"provided weight shape \(2, 2\) \(weight 4, 'outer/block/block_c2"):
        model.set_weights(wrong)
    for kept, now in zip(before, model.get_weights()):  # nothing assigned on failure
        np.testing.assert_array_equal(kept, now)


def _normalised(config):
    """The config as JSON would store it, with layer and model names replaced."""
    def walk(node):
        if isinstance(node, dict):
            return {k: ("<name>" if k == "name" and isinstance(v, str) else walk(v))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node
    return walk(json.loads(json.dumps(config)))


def test_config_matches_keras_nested_format():
    import keras

    model = _nested()
    keras_model = _keras_nested()
    ours, theirs = model.get_config(), keras_model.get_config()
    assert _normalised(ours) == _normalised(theirs)
    block = ours["layers"][2]
    assert block["module"] == "keras" and block["class_name"] == "Sequential"
    assert block["build_config"] == {"input_shape": (None, 6, 6, 3)}
    assert block["compile_config"] == {}
    assert block["config"]["layers"][0]["class_name"] == "InputLayer"
    # the dict a .keras file's config.json holds for the whole model
    assert _normalised(layers.serialize(model)) == \
        _normalised(keras.saving.serialize_keras_object(keras_model))


def _unbuilt_pair():
    """The same unbuilt nested model in convkit and in Keras."""
    import keras

    ours = Sequential([layers.Conv2D(2, 1, name="a"),
                       Sequential([layers.Conv2D(4, 3, name="b")], name="in")], name="lazy")
    theirs = keras.Sequential([keras.layers.Conv2D(2, 1, name="a"),
                               keras.Sequential([keras.layers.Conv2D(4, 3, name="b")],
                                                name="in")], name="lazy")
    return ours, theirs


def test_unbuilt_nested_config_matches_keras():
    ours, theirs = _unbuilt_pair()
    assert _normalised(ours.get_config()) == _normalised(theirs.get_config())
    assert "build_input_shape" not in ours.get_config()


def test_config_round_trip_rebuilds_the_same_model():
    import keras

    model = _nested()
    model.set_weights([np.full(w.shape, 0.1 * i, np.float32)
                       for i, w in enumerate(model.weights)])
    clone = Sequential.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert [type(layer).__name__ for layer in clone.layers] == \
        [type(layer).__name__ for layer in model.layers]
    assert isinstance(clone.layers[3].layers[1], Sequential)
    assert clone.output_shape == model.output_shape
    clone.set_weights(model.get_weights())
    x = _x(3)
    np.testing.assert_array_equal(clone(x), model(x))
    # and Keras reads our config (and we read Keras's)
    from_keras = Sequential.from_config(_keras_nested().get_config())
    assert _normalised(from_keras.get_config()) == _normalised(model.get_config())
    keras_clone = keras.Sequential.from_config(model.get_config())
    keras_clone.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(keras_clone(x)), model(x), rtol=1e-5, atol=1e-5)


def test_layers_deserialize_a_serialised_model():
    model = _nested()
    clone = layers.deserialize(layers.serialize(model))
    assert isinstance(clone, Sequential) and clone.built
    assert clone.get_config() == model.get_config()


def _rows(lines):
    """The cells of each body row of a summary table."""
    text = "\n".join(lines)
    return [tuple(cell.strip() for cell in line.strip("│").split("│"))
            for line in text.splitlines() if line.startswith("│")]


def _totals(lines):
    return [line.strip() for line in "\n".join(lines).splitlines() if "params:" in line]


def test_summary_shows_a_nested_model_as_one_row_like_keras():
    model = _nested()
    keras_model = _keras_nested()
    ours, theirs = [], []
    model.summary(print_fn=ours.append)
    keras_model.summary(print_fn=lambda line, **kwargs: theirs.append(line))
    assert _rows(ours) == _rows(theirs)
    assert ("block (Sequential)", "(None, 6, 6, 3)", "96") in _rows(ours)
    assert _totals(ours) == _totals(theirs)


def test_summary_of_an_unbuilt_nested_model_like_keras():
    ours, theirs = _unbuilt_pair()
    a, b = [], []
    ours.summary(print_fn=a.append)
    theirs.summary(print_fn=lambda line, **kwargs: b.append(line))
    assert _rows(a) == _rows(b) == [("a (Conv2D)", "?", "0 (unbuilt)"),
                                    ("in (Sequential)", "?", "0 (unbuilt)")]
    assert _totals(a) == _totals(b)


def _regularised(name, l2):
    return layers.Conv2D(3, 1, name=name, kernel_regularizer=regularizers.L2(l2),
                         bias_initializer="ones", bias_regularizer=regularizers.L1(l2))


def test_trainable_false_on_an_inner_model_like_keras():
    import keras

    inner = Sequential([_regularised("i1", 0.1), _regularised("i2", 0.2)], name="inner")
    model = Sequential([_regularised("o1", 0.3), inner], name="outer")
    model.build((None, 4, 4, 3))
    kl = keras.layers

    def keras_conv(name, l2):
        return kl.Conv2D(3, 1, name=name, kernel_regularizer=keras.regularizers.L2(l2),
                         bias_initializer="ones", bias_regularizer=keras.regularizers.L1(l2))

    keras_inner = keras.Sequential([keras_conv("i1", 0.1), keras_conv("i2", 0.2)], name="inner")
    keras_model = keras.Sequential([keras.Input((4, 4, 3)), keras_conv("o1", 0.3), keras_inner],
                                   name="outer")
    keras_model.set_weights(model.get_weights())

    def paths(weights):
        return [w.path for w in weights]

    for frozen in (inner, model), (keras_inner, keras_model):
        frozen[0].trainable = False
    assert paths(model.trainable_weights) == paths(keras_model.trainable_weights) == \
        ["outer/o1/kernel", "outer/o1/bias"]
    assert paths(model.non_trainable_weights) == paths(keras_model.non_trainable_weights)
    assert len(model.non_trainable_weights) == 4
    # weight penalties follow trainable: only the outer conv's count now
    np.testing.assert_allclose(model.losses, [float(v) for v in keras_model.losses], rtol=1e-6)
    assert len(model.losses) == 2
    assert inner.trainable_weights == [] and inner.losses == []
    assert model.get_config()["layers"][2]["config"]["trainable"] is False
    assert Sequential.from_config(model.get_config()).layers[1].trainable is False

    # freezing the outer model freezes everything; unfreezing it unfreezes every layer (Keras)
    model.trainable = False
    keras_model.trainable = False
    assert model.trainable_weights == [] and keras_model.trainable_weights == []
    assert model.losses == []
    model.trainable = True
    keras_model.trainable = True
    assert inner.trainable and keras_inner.trainable and inner.layers[0].trainable
    assert paths(model.trainable_weights) == paths(keras_model.trainable_weights)
    assert len(model.trainable_weights) == 6
    np.testing.assert_allclose(model.losses, [float(v) for v in keras_model.losses], rtol=1e-6)


def test_a_model_built_frozen_keeps_its_layers_flags():
    conv = layers.Conv2D(2, 1)
    model = Sequential([conv], trainable=False)
    model.build((None, 3, 3, 1))
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 2
    assert conv.trainable and len(conv.trainable_weights) == 2  # as in Keras's constructor


def test_losses_gather_activity_losses_of_nested_layers_then_penalties():
    inner = Sequential([layers.Conv1D(1, 1, kernel_initializer="ones", use_bias=False,
                                      activity_regularizer=regularizers.L1(1.0),
                                      kernel_regularizer=regularizers.L1(10.0))])
    model = Sequential([layers.Conv1D(1, 1, kernel_initializer="ones", use_bias=False,
                                      activity_regularizer=regularizers.L1(2.0),
                                      kernel_regularizer=regularizers.L1(20.0)), inner])
    model(np.ones((2, 3, 1)))
    # activity: L1 of the outputs (6 ones) / batch 2; then each kernel's penalty
    assert model.losses == pytest.approx([2.0 * 6 / 2, 1.0 * 6 / 2, 20.0, 10.0])


def test_a_layer_shared_by_two_models_counts_once():
    conv = layers.Conv1D(2, 1)
    model = Sequential([Sequential([conv], name="a"), Sequential([conv], name="b")])
    model.build((None, 4, 2))
    assert len(model.weights) == 2 and model.count_params() == 6


def test_add_rejects_the_model_itself_and_pop_keeps_shapes():
    model = _nested()
    with pytest.raises(ValueError, match="cannot be added to itself"):
        model.add(model)
    with pytest.raises(ValueError, match="nor to a model inside it"):
        model.layers[3].layers[1].add(model)
    last = model.pop()
    assert last.name == "last" and model.output_shape == (None, 8, 8, 3)
    model.add(layers.Conv2D(5, 1, name="wider"))
    assert model.output_shape == (None, 8, 8, 5)
    assert model.weights[-1].path == "outer/wider/bias"


def test_empty_model_errors():
    model = Sequential(name="empty")
    with pytest.raises(ValueError, match="has no layers to call"):
        model(np.ones((1, 2)))
    with pytest.raises(AttributeError, match="has no layers"):
        _ = model.output_shape
    with pytest.raises(IndexError, match="no layers"):
        model.pop()
    with pytest.raises(ValueError, match="isn't built"):
        model.count_params()
