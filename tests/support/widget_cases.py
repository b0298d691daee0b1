"""Hypothesis strategies that more than one widget test draws from.

Fixtures cannot feed ``@given``, so these live here rather than in ``tests/widgets/conftest.py``.
"""

from hypothesis import strategies as st


@st.composite
def transposed_cases(draw, *, max_kernel: int, max_stride: int, max_dilation: int,
                     max_size: int):
    """``(rank, k, s, d, padding, output_padding, n, seed)`` of a transposed conv that Keras
    accepts: a stride or a dilation above 1, never both, and output_padding below the stride.
    """
    rank = draw(st.sampled_from([1, 2]))
    k = draw(st.integers(1, max_kernel))
    dilated = draw(st.booleans())
    s = 1 if dilated else draw(st.integers(1, max_stride))
    d = draw(st.integers(1, max_dilation)) if dilated else 1
    padding = draw(st.sampled_from(["valid", "same"]))
    op = draw(st.sampled_from([None, *range(s)]))
    n = draw(st.integers(1, max_size))
    return rank, k, s, d, padding, op, n, draw(st.integers(0, 999))
