"""The compiled finiteness check (``_finite``, ``ops._arrays.all_finite``) that guards a layer's
``backward`` and the Winograd and column-merged results: the same answer as
``np.isfinite(a).all()`` wherever the bad item sits (in the first task, on a task boundary, in
the last partial task), for any thread count, and the layer error it drives."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convkit
from convkit import _kernels, layers
from convkit.ops import _arrays

CHUNK = 1 << 16  # items per task in the kernel


@settings(max_examples=60, deadline=None)
@given(size=st.sampled_from([1, 2, 15, 16, 17, 1000, CHUNK - 1, CHUNK, CHUNK + 1,
                             3 * CHUNK + 5]),
       where=st.floats(0, 1), bad=st.sampled_from([np.nan, np.inf, -np.inf, None]),
       dtype=st.sampled_from([np.float32, np.float64]), threads=st.sampled_from([1, 2, 3]))
def test_matches_numpy(size, where, bad, dtype, threads):
    a = np.random.default_rng(size).standard_normal(size).astype(dtype)
    a[::7] = np.finfo(dtype).max  # the largest finite values and subnormals are finite
    a[3::11] = np.finfo(dtype).smallest_subnormal
    if bad is not None:
        a[min(int(where * size), size - 1)] = bad
    with convkit.num_threads(threads):
        assert _arrays.all_finite(a) == bool(np.isfinite(a).all())


def test_a_nan_with_any_payload_and_sign_is_found():
    for bits in (0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFBFFFFF):  # quiet, negative, signalling
        a = np.zeros(CHUNK + 3, np.float32)
        a.view(np.uint32)[CHUNK + 1] = bits
        assert not _arrays.all_finite(a)


def test_empty_and_non_contiguous_arrays():
    assert _arrays.all_finite(np.zeros(0, np.float32))
    a = np.ones((6, 8))
    a[1, 1] = np.nan
    assert _arrays.all_finite(a[::2, ::2]) and not _arrays.all_finite(a[1:, 1:])


def test_integer_bool_and_half_arrays():
    assert _arrays.all_finite(np.arange(5)) and _arrays.all_finite(np.ones(3, bool))
    h = np.ones(4, np.float16)
    assert _arrays.all_finite(h)
    h[2] = np.inf
    assert not _arrays.all_finite(h)


def test_kernel_refuses_other_dtypes():
    finite = _kernels.load("_finite")
    with pytest.raises(ValueError):
        finite.all_finite_f(np.zeros(4, np.float64), 1)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_backward_names_a_non_finite_output_gradient(bad):
    layer = layers.Conv2D(4, 3, padding="same")
    x = np.ones((1, 300, 300, 1), np.float32)  # several tasks of the check
    dy = np.ones((1, 300, 300, 4), np.float32)
    dy[0, 299, 299, 3] = bad
    with pytest.raises(ValueError, match="output_gradient"):
        layer.backward(x, dy)
