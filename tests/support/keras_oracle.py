"""Helpers to run the same layer in Keras 3 (jax backend) and convkit and compare them."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402


def keras_layer(class_name: str, **kwargs):
    """Instantiate ``keras.layers.<class_name>(**kwargs)``."""
    return getattr(keras.layers, class_name)(**kwargs)


def run_keras(layer, x, weights=None):
    """Build ``layer`` on ``x``, optionally set weights, and return its output as NumPy."""
    x = np.asarray(x)
    layer.build(x.shape)
    if weights is not None:
        layer.set_weights(weights)
    return np.asarray(layer(x))


def config_without_name(config: dict) -> dict:
    return {k: v for k, v in config.items() if k != "name"}


def reduction_rtol(reduction_size: int, dtype=np.float32) -> float:
    """Tolerance for comparing sums of ``reduction_size`` products (float32 ~1e-5 scaled)."""
    base = 1e-5 if np.dtype(dtype) == np.float32 else 1e-12
    return base * max(1.0, float(np.sqrt(reduction_size)))


def assert_close(actual, expected, reduction_size=1, dtype=np.float32):
    """Compare with a relative tolerance scaled by the reduction and an absolute floor that
    is relative to the output's magnitude (sums of mixed-sign products cancel)."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    rtol = reduction_rtol(reduction_size, dtype)
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(scale, 1e-6))
