"""``compile_config`` both ways (issue 16): a compiled model's file carries its optimizer,
loss and metrics where Keras keeps them; ``load_model`` compiles from it and restores the
optimizer's state, so training resumes where it stopped, in either library."""

import json
import zipfile

import numpy as np
import pytest

from convkit import layers, losses, metrics, models, optimizers
from tests.support.keras_oracle import keras


def _data():
    rng = np.random.default_rng(3)
    return rng.random((6, 8, 1), dtype=np.float32), rng.random((6, 6, 2), dtype=np.float32)


def _convkit_model(name="m"):
    return models.Sequential([layers.Conv1D(2, 3, input_shape=(8, 1))], name=name)


def _keras_model(name="m"):
    return keras.Sequential([keras.Input((8, 1)), keras.layers.Conv1D(2, 3)], name=name)


def _assert_same_state(ours, theirs):
    assert len(ours.optimizer.variables) == len(theirs.optimizer.variables)
    for a, b in zip(ours.optimizer.variables, theirs.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b))
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_uncompiled_model_has_no_compile_config(tmp_path):
    model = _convkit_model()
    assert model.get_compile_config() == {}  # Keras's value for an uncompiled model
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert json.loads(zf.read("config.json"))["compile_config"] == {}
    assert not models.load_model(tmp_path / "m.keras").compiled


def test_compile_config_has_keras_keys_and_objects_round_trip():
    model = _convkit_model()
    model.compile(optimizer=optimizers.SGD(0.05, momentum=0.5, nesterov=True),
                  loss=losses.Huber(delta=2.0),
                  metrics=["mae", metrics.BinaryAccuracy(threshold=0.3)])
    config = json.loads(json.dumps(model.get_compile_config()))
    assert set(config) == {"optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                           "run_eagerly", "steps_per_execution", "jit_compile"}
    assert config["optimizer"]["class_name"] == "SGD"
    other = _convkit_model()
    other.compile_from_config(config)
    assert other.optimizer.momentum == 0.5 and other.optimizer.nesterov
    assert isinstance(other.loss, losses.Huber) and other.loss.delta == 2.0
    assert other.optimizer.built  # a built model's optimizer has its slots at once
    x, y = _data()
    other.evaluate(x, y, verbose=0)
    names = other.metrics_names
    assert names[:2] == ["loss", "mae"] and other.metrics[2].threshold == 0.3


def test_convkit_file_compiles_in_keras_and_training_resumes_alike(tmp_path):
    x, y = _data()
    model = _convkit_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=3, verbose=0, shuffle=False)
    model.save(tmp_path / "ours.keras")

    theirs = keras.models.load_model(tmp_path / "ours.keras")
    assert theirs.compiled and type(theirs.optimizer).__name__ == "Adam"
    _assert_same_state(model, theirs)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0),
                               theirs.evaluate(x, y, verbose=0), rtol=1e-6)
    model.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    for a, b in zip(model.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
def test_keras_file_loads_compiled_with_its_optimizer_state(tmp_path, optimizer):
    x, y = _data()
    theirs = _keras_model()
    theirs.compile(optimizer=optimizer, loss="mae", metrics=["mse"])
    theirs.fit(x, y, epochs=2, batch_size=3, verbose=0, shuffle=False)
    theirs.save(tmp_path / "k.keras")

    ours = models.load_model(tmp_path / "k.keras")
    assert ours.compiled and type(ours.optimizer).__name__ == type(theirs.optimizer).__name__
    _assert_same_state(ours, theirs)
    theirs.fit(x, y, epochs=1, batch_size=3, verbose=0, shuffle=False)
    ours.fit(x, y, epochs=1, batch_size=3, verbose=0, shuffle=False)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)


def test_compile_false_loads_weights_only(tmp_path):
    x, y = _data()
    model = _convkit_model()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_unusable_compile_config_warns_and_loads_uncompiled(tmp_path):
    def my_loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred))

    x, y = _data()
    theirs = _keras_model()
    theirs.compile(optimizer="adam", loss=my_loss)
    theirs.fit(x, y, verbose=0)
    theirs.save(tmp_path / "custom.keras")
    with pytest.warns(UserWarning, match="not compiled"):
        ours = models.load_model(tmp_path / "custom.keras")
    assert not ours.compiled
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, np.asarray(b))


def test_compile_from_config_rejects_non_dicts():
    with pytest.raises(TypeError, match="compile_config"):
        _convkit_model().compile_from_config("adam")
