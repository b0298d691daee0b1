"""The transposed conv as Cᵀ: C built from impulses through ops.conv, Cᵀ·x vs conv_transpose."""

import numpy as np
from convkit.widgets import TransposedConvExplorer
from convkit.widgets.scene import TransposedComputation, TransposedConfig
from convkit.widgets.scene.matrix import conv_matrix, matrix_view
from hypothesis import given

from convkit import ops
from convkit.ops import shapes
from tests.support.svg import class_rects, svg_root
from tests.support.widget_cases import transposed_cases


@given(transposed_cases(max_kernel=3, max_stride=2, max_dilation=2, max_size=3))
def test_matrix_from_impulses_is_the_conv_and_its_transpose_the_transposed_conv(case):
    rank, k, s, d, padding, op, n, seed = case
    rng = np.random.default_rng(seed)
    kernel = rng.integers(-1, 3, size=(k,) * rank + (1, 1)).astype(np.float32)
    x = rng.integers(-2, 4, size=(n,) * rank + (1,)).astype(np.float32)
    if shapes.transpose_output_length(n, k, s, d, padding, op) <= 0:
        return
    config = TransposedConfig(rank=rank, kernel_size=k, strides=s, dilation_rate=d,
                           padding=padding, output_padding=op)
    y = ops.conv_transpose(x[None], kernel, s, padding=padding, output_padding=op,
                           dilation_rate=d)[0]
    # C is linear and equals the op on any input, not just on impulses
    v = rng.normal(size=y.shape[:-1])
    C = conv_matrix(y.shape[:-1], kernel, s, padding, d)
    ref = ops.conv(v.reshape((1, *v.shape, 1)), kernel.astype(np.float64), strides=s,
                   padding=padding, dilation_rate=d)
    np.testing.assert_allclose(C @ v.ravel(), np.asarray(ref).ravel(), atol=1e-9)
    mv = matrix_view(config, x, kernel, y)
    if max(y.shape[:-1]) > 4 or n > 3:
        assert mv is None
        return
    maps_back = shapes.conv_output_length(y.shape[0], k, s, d, padding) == n
    assert (mv.product is not None) == maps_back
    if maps_back:  # valid always maps back; same whenever the size does
        np.testing.assert_allclose(mv.product, np.asarray(y, np.float64).ravel(), atol=1e-4)
        assert mv.agrees and "✓" in mv.note
    else:
        assert not mv.agrees and "wrong shape" in mv.note
    if padding == "valid":
        assert maps_back


def test_explorer_draws_c_and_ct_with_the_current_row_and_column():
    ex = TransposedConvExplorer(size=2, kernel_size=3, strides=1)
    try:
        mv = ex.computation.matrix
        assert mv.C.shape == (4, 16)
        assert "Cᵀ · x equals ops.conv_transpose ✓" in ex.view.value
        assert "Matrix view:</b> Cᵀ · x equals" in ex.strip.value

        def current_cells():
            return class_rects(svg_root(ex.view.value), "current")

        # the input cell + row i of C (16) + column i of Cᵀ (16) + x[i]
        assert len(current_cells()) == 1 + 16 + 16 + 1
        first = {(r.get("x"), r.get("y")) for r in current_cells()}
        before = ex.render_count
        ex.toolbar.step.value = 3
        assert ex.render_count == before + 1
        assert {(r.get("x"), r.get("y")) for r in current_cells()} != first
        ex.size.value = 4  # too big for the matrix: a sentence instead
        assert ex.computation.matrix is None
        assert "tiny sizes only" in ex.strip.value
        assert "Cᵀ (" not in ex.view.value
    finally:
        ex.close()


def test_same_padding_size_that_does_not_map_back_is_explained():
    computation = TransposedComputation(TransposedConfig(kernel_size=2, strides=1, padding="same",
                                                  output_padding=0), np.ones((2, 2)))
    assert computation.output.shape[:2] == (1, 1)
    assert computation.matrix.product is None and "wrong shape" in computation.matrix.note
