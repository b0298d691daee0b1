"""predict on the epoch iterator: batching, ``steps``, Keras's ``verbose`` modes; and the
``training`` flag reaching every layer whose ``call`` takes it."""

import numpy as np
import pytest

from convkit import layers
from convkit.layers import Layer
from convkit.models import Sequential


class _Probe(Layer):
    """Records the ``training`` value of each call; doubles its input when training."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, training=None):
        self.seen.append(training)
        return inputs * 2 if training else inputs.copy()

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class _Plain(Layer):
    def call(self, inputs):
        return inputs + 1

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def _model():
    return Sequential([layers.Conv1D(2, 3, padding="same", name="c", input_shape=(6, 1)),
                       layers.UpSampling1D(2, name="up")], name="net")


def _x(n):
    return np.random.default_rng(0).standard_normal((n, 6, 1)).astype(np.float32)


def test_training_reaches_call_only_where_call_takes_it():
    probe, plain = _Probe(), _Plain()
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(probe(x, training=True), 2 * x)
    np.testing.assert_array_equal(probe(x), x)
    np.testing.assert_array_equal(plain(x, training=True), x + 1)
    assert probe.seen == [True, None]
    assert _Probe._call_has_training_arg and not _Plain._call_has_training_arg
    with pytest.raises(TypeError, match="`training` must be True, False or None"):
        probe(x, training="yes")


def test_models_pass_training_down_through_nesting():
    outer_probe, inner_probe = _Probe(name="p_outer"), _Probe(name="p_inner")
    model = Sequential([outer_probe, Sequential([_Plain(name="plain"), inner_probe])])
    x = np.ones((4, 3), np.float32)
    np.testing.assert_array_equal(model(x, training=True), ((2 * x) + 1) * 2)
    np.testing.assert_array_equal(model(x), x + 1)
    model.predict(x, batch_size=3, verbose=0)
    assert outer_probe.seen == inner_probe.seen == [True, None, False, False]


def test_predict_batches_steps_and_empty_input():
    model = _model()
    x = _x(70)
    full = model(x)
    for batch_size in (None, 7, 70, 100):
        np.testing.assert_array_equal(model.predict(x, batch_size=batch_size, verbose=0), full)
    np.testing.assert_array_equal(model.predict(x, batch_size=8, steps=2, verbose=0), full[:16])
    with pytest.warns(UserWarning, match="data ran out"):
        out = model.predict(x, batch_size=32, steps=4, verbose=0)
    np.testing.assert_array_equal(out, full)
    assert model.predict(x[:0], verbose=0).shape == (0, 12, 2)
    with pytest.raises(ValueError, match="batch axis"):
        model.predict(np.float32(1.0))
    with pytest.raises(ValueError, match="`steps` must be a positive int"):
        model.predict(x, steps=0)


def test_predict_verbose_modes(capsys):
    model = _model()
    x = _x(25)
    model.predict(x, batch_size=1)  # "auto": a bar from 20 batches on
    err = capsys.readouterr().err
    assert "net predict" in err and "25/25" in err and "step" in err
    model.predict(x, batch_size=5)  # "auto", 5 batches: quiet
    assert capsys.readouterr() == ("", "")
    model.predict(x, batch_size=5, verbose=1)  # 1: always a bar
    err = capsys.readouterr().err
    assert "net predict" in err and "5/5" in err and "%" in err
    model.predict(x, batch_size=5, verbose=2)  # 2: one line at the end, no bar
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 1
    assert lines[0].startswith("net predict: 5/5 - ") and "/step" in lines[0]
    assert "%" not in lines[0]
    model.predict(x, batch_size=1, verbose=0)  # 0: nothing, however long
    assert capsys.readouterr() == ("", "")
    for bad in (3, -1, "loud", 1.0):
        with pytest.raises(ValueError, match="`verbose` must be"):
            model.predict(x, verbose=bad)
