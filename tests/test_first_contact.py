"""The messages a newcomer meets first: the wrong kind of input to predict/fit, an image
batch in the other data format, the widgets without their extra."""

import subprocess
import sys

import numpy as np
import pytest

from convkit import layers, models


def _net():
    return models.Sequential([layers.Conv2D(2, 3, input_shape=(8, 8, 3))])


@pytest.mark.parametrize("bad, error, match", [
    ("hello", TypeError, r"NumPy array .* Received a str: 'hello'"),
    (b"bytes", TypeError, "Received a bytes"),
    (None, ValueError, r"`x` is required.*Received: x=None"),
    ({"image": np.ones((1, 8, 8, 3))}, TypeError, r"Received a dict \(keys \['image'\]\)"),
    ([np.ones((8, 8, 3)), np.ones((7, 8, 3))], ValueError,
     r"ragged list: its 2 items do not share one shape \(found \(7, 8, 3\), \(8, 8, 3\)\)"),
    (np.array(["a", "b"]), TypeError, "dtype <U1, not of numbers"),
    (np.array([{}, {}]), TypeError, "dtype object"),
])
def test_predict_and_fit_name_what_they_received(bad, error, match):
    net = _net()
    with pytest.raises(error, match=match):
        net.predict(bad, verbose=0)
    net.compile("sgd", "mse")
    with pytest.raises(error, match=match):
        net.fit(bad, np.ones((2, 6, 6, 2)), verbose=0)


def test_nested_lists_of_numbers_still_work():
    x = np.ones((2, 8, 8, 3)).tolist()
    assert _net().predict(x, verbose=0).shape == (2, 6, 6, 2)


@pytest.mark.parametrize("fmt, good, swapped, hint", [
    ("channels_last", (2, 28, 28, 1), (2, 1, 28, 28), "is the input channels_first?"),
    ("channels_first", (2, 1, 28, 28), (2, 28, 28, 1), "is the input channels_last?"),
])
def test_channel_mismatch_that_fits_the_other_format_says_so(fmt, good, swapped, hint):
    conv = layers.Conv2D(4, 3, data_format=fmt)
    conv(np.ones(good, "float32"))
    with pytest.raises(ValueError, match=hint) as info:
        conv(np.ones(swapped, "float32"))
    assert "received 28 channels" in str(info.value)
    # a plain mismatch gets no hint
    with pytest.raises(ValueError) as info:
        conv(np.ones((2, 28, 28, 5) if fmt == "channels_last" else (2, 5, 28, 28), "float32"))
    assert "Transpose" not in str(info.value)


def test_widgets_without_the_extra_name_it():
    # a fresh interpreter where ipywidgets cannot be imported (None in sys.modules)
    code = ("import sys; sys.modules['ipywidgets'] = None\n"
            "import convkit.widgets as w\n"
            "try:\n    w.ConvExplorer\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert 'pip install "convkit-layers[widgets]"' in out and "ipywidgets" in out
