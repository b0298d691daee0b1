"""Helpers for weights holding inf or NaN: where they go, and how results are compared.

With a non-finite weight, which outputs come out inf or NaN is part of the answer: Keras pads
with zeros and multiplies them (``0 * inf = NaN``), so the pattern must match exactly, not
within a tolerance; the finite rest is compared as usual.
"""

import numpy as np

NONFINITE = (np.inf, -np.inf, np.nan)


def poison(kernel: np.ndarray, seed: int, value: float, count: int = 1) -> np.ndarray:
    """A copy of ``kernel`` with ``value`` at ``count`` random positions (seeded)."""
    out = kernel.copy()
    rng = np.random.default_rng(seed)
    flat = out.reshape(-1)
    flat[rng.choice(flat.size, size=min(count, flat.size), replace=False)] = value
    return out


def assert_same_nonfinite(actual, expected, **allclose_kw) -> np.ndarray:
    """NaN, +inf and -inf in the same places and, given ``allclose_kw``, the finite values
    close. Returns the mask of finite values, for callers with their own tolerance rule."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    for what, test in (("NaN", np.isnan), ("+inf", np.isposinf), ("-inf", np.isneginf)):
        mismatch = test(actual) != test(expected)
        assert not mismatch.any(), (f"{what} differs at {mismatch.sum()} of {actual.size} "
                                    f"elements, e.g. {np.argwhere(mismatch)[:3].tolist()}")
    finite = np.isfinite(expected)
    if allclose_kw:
        np.testing.assert_allclose(actual[finite], expected[finite], **allclose_kw)
    return finite
