"""What more than one widget test draws from: the explorer classes and hypothesis strategies.

Fixtures cannot feed ``@given`` or ``parametrize``, so these live here rather than in
``tests/widgets/conftest.py``.
"""

from convkit.widgets import (
    ConvExplorer,
    ImageFilterLab,
    ResampleExplorer,
    SeparableExplorer,
    TransposedConvExplorer,
)
from hypothesis import strategies as st

#: every explorer, for the rules each of them keeps (one render per action, no leaks, ...)
EXPLORERS = (ConvExplorer, TransposedConvExplorer, ResampleExplorer, SeparableExplorer,
             ImageFilterLab)
#: the explorers whose main view is an SVG (ImageFilterLab's is a PNG of the photo)
SVG_EXPLORERS = EXPLORERS[:4]


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
