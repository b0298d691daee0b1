"""Keras 3 files both ways (issue 16 part 1): a model convkit saves loads in
``keras.models.load_model`` with the same config and numbers, a model Keras saves loads in
convkit, for every layer class, both data formats; the weights file has Keras's layout."""

import io
import json
import zipfile

import numpy as np
import pytest

from convkit import layers, models
from tests.support.keras_oracle import keras
from tests.support.saving_cases import assert_same_outputs, format_cases, h5_layout, inputs

# every class in both formats; channels_first of the 1-D and 3-D classes is the slow sweep
# (the 2-D classes keep both formats in the quick run)
CASES = [pytest.param(*case, id=f"{case[0]}-{case[3]}",
                      marks=[pytest.mark.slow] if case[3] == "channels_first"
                      and "2D" not in case[0] else [])
         for case in format_cases()]


def _json(obj):
    return json.loads(json.dumps(obj))  # tuples and lists compare equal after this


def _weights_member(path) -> io.BytesIO:
    with zipfile.ZipFile(path) as zf:
        return io.BytesIO(zf.read("model.weights.h5"))


@pytest.mark.parametrize("name, kwargs, shape, fmt", CASES)
def test_layer_files_go_both_ways(tmp_path, name, kwargs, shape, fmt):
    x = inputs(shape)
    model = models.Sequential([getattr(layers, name)(input_shape=shape, **kwargs)], name="m")
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "ck.keras")

    # convkit -> Keras: same weights bit for bit, same config, same numbers
    k_model = keras.models.load_model(tmp_path / "ck.keras")
    for k_w, w in zip(k_model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(np.asarray(k_w), w)
    assert _json(k_model.get_config()) == _json(model.get_config())
    assert_same_outputs(k_model(x), expected)

    # Keras -> convkit, from the file Keras writes; and that file is laid out as convkit's
    k_model.save(tmp_path / "k.keras")
    assert h5_layout(_weights_member(tmp_path / "k.keras")) == \
        h5_layout(_weights_member(tmp_path / "ck.keras"))
    loaded = models.load_model(tmp_path / "k.keras")
    assert _json(loaded.get_config()) == _json(k_model.get_config())
    assert_same_outputs(loaded.predict(x, verbose=0), np.asarray(k_model(x)))


def _convkit_nested():
    inner = models.Sequential([layers.Conv2D(3, 1, name="inner_c"), layers.UpSampling2D(2)],
                              name="inner")
    block = models.Sequential([layers.SeparableConv2D(3, 3, padding="same", name="sep"), inner],
                              name="block")
    return models.Sequential([layers.Conv2D(3, 3, name="first", input_shape=(8, 8, 2)), block,
                              layers.Cropping2D(1), layers.Conv2D(2, 1, name="last")],
                             name="outer")


def test_nested_sequential_both_ways_and_weights_files(tmp_path):
    x = inputs((8, 8, 2))
    model = _convkit_nested()
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "nested.keras")
    k_model = keras.models.load_model(tmp_path / "nested.keras")
    assert _json(k_model.get_config()) == _json(model.get_config())
    assert_same_outputs(k_model(x), expected)
    # two Conv2D at the top level: conv2d and conv2d_1, by position, as Keras names them
    layout = h5_layout(_weights_member(tmp_path / "nested.keras"))
    assert layout["layers/conv2d/vars"] == ("group", {"name": "first"})
    assert layout["layers/conv2d_1/vars"] == ("group", {"name": "last"})
    assert layout["layers/sequential/layers/sequential/layers/conv2d/vars/0"][1] == (1, 1, 3, 3)

    # weights files both ways
    rng = np.random.default_rng(1)
    k_model.set_weights([rng.standard_normal(w.shape).astype("float32")
                         for w in k_model.get_weights()])
    k_model.save_weights(tmp_path / "k.weights.h5")
    model.load_weights(tmp_path / "k.weights.h5")
    for k_w, w in zip(k_model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(np.asarray(k_w), w)
    assert_same_outputs(model.predict(x, verbose=0), np.asarray(k_model(x)))

    model.set_weights([w * 2 for w in model.get_weights()])
    model.save_weights(tmp_path / "ck.weights.h5")
    assert h5_layout(tmp_path / "ck.weights.h5") == h5_layout(tmp_path / "k.weights.h5")
    k_model.load_weights(tmp_path / "ck.weights.h5")
    assert_same_outputs(np.asarray(k_model(x)), model.predict(x, verbose=0))

    # a nested model loads with the weight paths of the model that was saved
    assert [w.path for w in models.load_model(tmp_path / "nested.keras").weights] == \
        [w.path for w in model.weights]
    # load_weights also reads a .keras file
    fresh = _convkit_nested()
    fresh.load_weights(tmp_path / "nested.keras")
    assert_same_outputs(fresh.predict(x, verbose=0), expected)


def test_keras_file_with_optimizer_state_loads_its_model_weights(tmp_path):
    kl = keras.layers
    k_model = keras.Sequential([keras.Input((6, 6, 2)), kl.Conv2D(3, 3, name="c"),
                                kl.DepthwiseConv2D(2, name="d"), kl.UpSampling2D(2)])
    k_model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    k_model.fit(rng.standard_normal((8, 6, 6, 2)), rng.standard_normal((8, 6, 6, 3)),
                epochs=2, verbose=0)
    k_model.save(tmp_path / "fit.keras")
    assert "optimizer/vars/0" in h5_layout(_weights_member(tmp_path / "fit.keras"))

    loaded = models.load_model(tmp_path / "fit.keras")
    for k_w, w in zip(k_model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(np.asarray(k_w), w)
    x = inputs((6, 6, 2))
    assert_same_outputs(loaded.predict(x, verbose=0), np.asarray(k_model(x)))
    loaded.set_weights([np.zeros_like(w) for w in loaded.get_weights()])
    loaded.load_weights(tmp_path / "fit.keras")  # the optimizer group is left alone
    np.testing.assert_array_equal(loaded.get_weights()[0], np.asarray(k_model.get_weights()[0]))


def test_optimizer_state_goes_where_keras_keeps_it(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((4, 8, 1), dtype=np.float32), rng.random((4, 6, 2), dtype=np.float32)
    model = models.Sequential([layers.Conv1D(2, 3, input_shape=(8, 1))], name="m")
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(x, y)
    slots = [v.numpy().copy() for v in model.optimizer.variables]
    model.save(tmp_path / "opt.keras")
    layout = h5_layout(_weights_member(tmp_path / "opt.keras"))
    assert layout["optimizer/vars"] == ("group", {"name": model.optimizer.name})
    assert [layout[f"optimizer/vars/{i}"][1] for i in range(len(slots))] == \
        [s.shape for s in slots]

    again = models.Sequential([layers.Conv1D(2, 3, input_shape=(8, 1))], name="m")
    again.compile(optimizer="adam", loss="mse")
    again.train_on_batch(x, 2 * y)  # other slot values, to be overwritten by the file's
    again.load_weights(tmp_path / "opt.keras")
    for var, value in zip(again.optimizer.variables, slots, strict=True):
        np.testing.assert_array_equal(var.numpy(), value)
    np.testing.assert_array_equal(again.get_weights()[0], model.get_weights()[0])
    # Keras reads the file (an uncompiled model ignores the optimizer group)
    k_model = keras.models.load_model(tmp_path / "opt.keras")
    np.testing.assert_array_equal(np.asarray(k_model.get_weights()[0]), model.get_weights()[0])


def test_archive_members_and_metadata(tmp_path):
    model = models.Sequential([layers.Conv1D(2, 3, input_shape=(8, 1))], name="m")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["metadata.json", "config.json",
                                               "model.weights.h5"]
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        metadata = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
    assert metadata["keras_version"].startswith("3.") and "date_saved" in metadata
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert config["build_config"] == {"input_shape": [None, 8, 1]}


def test_optimizer_state_saved_by_keras_resumes_in_convkit(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.random((4, 8, 1), dtype=np.float32), rng.random((4, 6, 2), dtype=np.float32)
    k_model = keras.Sequential([keras.Input((8, 1)), keras.layers.Conv1D(2, 3)], name="m")
    k_model.compile(optimizer="adam", loss="mse")
    k_model.fit(x, y, epochs=2, verbose=0, shuffle=False)
    k_model.save(tmp_path / "k.keras")

    model = models.Sequential([layers.Conv1D(2, 3, input_shape=(8, 1))], name="m")
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(x, 2 * y)  # builds the slots; the file's values replace them
    model.load_weights(tmp_path / "k.keras")
    for ours, theirs in zip(model.optimizer.variables, k_model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs))
    # both go on from the same state: one more step gives the same weights
    k_model.train_on_batch(x, y)
    model.train_on_batch(x, y)
    for ours, theirs in zip(model.get_weights(), k_model.get_weights(), strict=True):
        np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-6, atol=1e-7)
