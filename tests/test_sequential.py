"""Sequential: building from input_shape, output_shape, summary, predict, weights, config."""

import numpy as np
import pytest

from convkit import layers
from convkit.models import Sequential


def _model():
    model = Sequential(name="net")
    model.add(layers.ZeroPadding2D(1, input_shape=(8, 8, 3)))
    model.add(layers.Conv2D(4, 3, activation="relu"))
    model.add(layers.UpSampling2D(2))
    model.add(layers.Cropping2D(((1, 1), (2, 2))))
    return model


def test_shapes_known_before_any_data():
    model = _model()
    assert model.built
    assert model.input_shape == (None, 8, 8, 3)
    assert model.output_shape == (None, 14, 12, 4)
    assert model.layers[1].built and model.count_params() == 3 * 3 * 3 * 4 + 4


def test_call_predict_and_batching_agree():
    model = _model()
    x = np.random.default_rng(0).standard_normal((70, 8, 8, 3)).astype(np.float32)
    full = model(x)
    assert full.shape == (70, 14, 12, 4)
    np.testing.assert_array_equal(model.predict(x, batch_size=32, verbose=0), full)
    np.testing.assert_array_equal(model.predict(x, batch_size=7, verbose=0), full)
    with pytest.raises(ValueError, match="batch_size"):
        model.predict(x, batch_size=0)


def test_predict_shows_a_progress_bar_on_long_runs(capsys):
    model = _model()
    x = np.zeros((25, 8, 8, 3), np.float32)
    model.predict(x, batch_size=1)  # 25 batches >= 20: "auto" shows a bar
    assert "net predict" in capsys.readouterr().err
    model.predict(x, batch_size=5)  # 5 batches: quiet
    assert capsys.readouterr().err == ""


def test_summary_lists_layers_shapes_and_params():
    lines = []
    _model().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "net"' in text
    assert "(Conv2D)" in text and "(None, 8, 8, 4)" in text and "112" in text
    assert "Total params: 112" in text and "Non-trainable params: 0" in text


def test_lazy_model_builds_on_first_call():
    model = Sequential([layers.Conv1D(2, 3), layers.UpSampling1D(2)])
    with pytest.raises(AttributeError, match="no defined output shape"):
        _ = model.output_shape
    y = model(np.ones((2, 9, 1)))
    assert y.shape == (2, 14, 2)
    assert model.output_shape == (None, 14, 2)


def test_weights_round_trip_and_config():
    model = _model()
    weights = [np.full(w.shape, 0.5, np.float32) for w in model.weights]
    model.set_weights(weights)
    clone = Sequential.from_config(model.get_config())
    assert clone.output_shape == model.output_shape
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(1).standard_normal((2, 8, 8, 3)).astype(np.float32)
    np.testing.assert_array_equal(clone(x), model(x))
    config = model.get_config()
    assert config["layers"][0]["class_name"] == "InputLayer"
    assert config["layers"][2]["class_name"] == "Conv2D"
    with pytest.raises(ValueError, match="weight list of length 1"):
        model.set_weights(weights[:1])


def test_add_rejects_non_layers_duplicate_names_and_impossible_shapes():
    model = Sequential()
    with pytest.raises(TypeError, match="Only instances"):
        model.add("conv")
    model.add(layers.ZeroPadding2D(name="pad", input_shape=(4, 4, 1)))
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.ZeroPadding2D(name="pad"))
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        model.add(layers.Conv2D(1, 9))
    assert model.pop().name == "pad"


def test_keras_equivalent_model_gives_same_numbers():
    import keras

    model = _model()
    km = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.ZeroPadding2D(1),
                           keras.layers.Conv2D(4, 3, activation="relu"),
                           keras.layers.UpSampling2D(2),
                           keras.layers.Cropping2D(((1, 1), (2, 2)))])
    km.set_weights(model.get_weights())
    x = np.random.default_rng(2).standard_normal((3, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(model(x), np.asarray(km(x)), rtol=1e-5, atol=1e-5)
    assert model.output_shape == km.output_shape


def test_summary_columns_stay_aligned_with_long_names():
    model = Sequential([layers.ZeroPadding2D(1, input_shape=(4, 4, 1),
                                             name="a_very_long_layer_name_for_the_summary"),
                        layers.Conv2D(2, 3, name="short")])
    lines = []
    model.summary(print_fn=lines.append)
    table = [line for line in "\n".join(lines).splitlines() if line[:1] in "┏┃┡│├└"]
    assert len({len(line) for line in table}) == 1
