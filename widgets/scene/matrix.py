"""Convolution as a matrix (Dumoulin & Visin §4): the forward conv's C and the transposed Cᵀ.

C is built column by column by passing unit impulses through ``ops.conv`` (never written by
hand): column j is the conv of the input that is 1 at flat position j and 0 elsewhere. Then
``Cᵀ · x`` is compared with ``ops.conv_transpose``. For ``valid`` padding they agree (the
transposed conv *is* the adjoint of the forward conv, with ``output_padding`` choosing the
forward input size). For ``same`` they agree too whenever the transposed output size maps back
to the input size through the forward ``same`` conv: Keras crops ``c0`` cells where the forward
conv pads. When it does not map back (``same``, an even effective kernel and an
``output_padding`` that picks the other size), C has the wrong number of rows and the view says
so instead of multiplying.
"""

from dataclasses import dataclass

import numpy as np

from convkit import ops

from .common import CHANNELS_LAST

#: The matrix view is drawn only for tiny sizes: a forward input ≤ 4×4 and output ≤ 3×3.
MAX_INPUT = 4
MAX_OUTPUT = 3


@dataclass
class MatrixView:
    """The forward conv as a sparse matrix and the transposed conv as its transpose.

    Attributes
    ----------
    C : ndarray, (prod(forward output), prod(forward input))
    forward_in, forward_out : tuple
        Spatial shapes of the forward conv (= the transposed conv's output and input).
    x : ndarray
        The transposed conv's input, flattened row-major.
    product : ndarray or None
        ``C.T @ x``, or None when the forward conv does not map back to ``x``'s shape.
    reference : ndarray
        ``ops.conv_transpose`` output, flattened.
    agrees : bool
        ``product`` equals ``reference``.
    note : str
        One sentence for the learner.
    """

    C: np.ndarray
    forward_in: tuple
    forward_out: tuple
    x: np.ndarray
    product: np.ndarray | None
    reference: np.ndarray
    agrees: bool
    note: str

    @property
    def CT(self) -> np.ndarray:
        """The transposed matrix Cᵀ."""
        return self.C.T


def conv_matrix(in_spatial, kernel, strides, padding, dilation_rate) -> np.ndarray:
    """Matrix C with ``C @ x.ravel() == ops.conv(x).ravel()`` (single channel), from impulses.

    Parameters
    ----------
    in_spatial : tuple
        Spatial shape of the forward conv's input.
    kernel : ndarray
        ``kernel_size + (1, 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> conv_matrix((3,), np.ones((2, 1, 1), np.float32), 1, "valid", 1)
    array([[1., 1., 0.],
           [0., 1., 1.]])
    """
    n = int(np.prod(in_spatial))
    columns = []
    for j in range(n):
        e = np.zeros(n, np.float64)
        e[j] = 1.0
        y = ops.conv(e.reshape((1, *in_spatial, 1)), kernel.astype(np.float64),
                     strides=strides, padding=padding, dilation_rate=dilation_rate,
                     **CHANNELS_LAST)
        columns.append(np.asarray(y).ravel())
    return np.stack(columns, axis=1)


def matrix_view(config, x, kernel, output) -> MatrixView | None:
    """The matrix view of a transposed conv, or None when the sizes are not tiny.

    ``config`` is a :class:`~convkit.widgets.scene.transposed.TransposedConfig`, ``x`` its
    input (spatial + (1,)), ``output`` the ``ops.conv_transpose`` result (spatial + (1,)).

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.widgets.scene.transposed import TransposedConfig
    >>> x = np.ones((2, 2, 1), np.float32)
    >>> k = np.ones((3, 3, 1, 1), np.float32)
    >>> y = ops.conv_transpose(x[None], k, 1)[0]
    >>> matrix_view(TransposedConfig(strides=1), x, k, y).agrees
    True
    """
    fwd_out, fwd_in = x.shape[:-1], output.shape[:-1]
    if x.shape[-1] != 1 or output.shape[-1] != 1:
        return None
    if max(fwd_in) > MAX_INPUT or max(fwd_out) > MAX_OUTPUT:
        return None
    C = conv_matrix(fwd_in, kernel, config.strides, config.padding, config.dilation_rate)
    reference = output.astype(np.float64).ravel()
    xs = x.astype(np.float64).ravel()
    if C.shape[0] != xs.size:
        return MatrixView(C, fwd_in, fwd_out, xs, None, reference, False,
                          f"The forward conv maps {fwd_in} to a different size than the input "
                          f"{fwd_out}, so Cᵀ has the wrong shape: this output_padding picks a "
                          "size that the forward conv does not map back to the input.")
    product = C.T @ xs
    agrees = bool(np.allclose(product, reference, atol=1e-4))
    if agrees:
        note = ("Cᵀ · x equals ops.conv_transpose ✓: the transposed conv is the forward conv's "
                "matrix, transposed — input value i spreads along row i of C"
                + (" (for 'same', Keras crops exactly where the forward conv pads)."
                   if config.padding == "same" else "."))
    else:
        note = "Cᵀ · x differs from ops.conv_transpose ✗ for these settings."
    return MatrixView(C, fwd_in, fwd_out, xs, product, reference, agrees, note)


__all__ = ["MatrixView", "conv_matrix", "matrix_view", "MAX_INPUT", "MAX_OUTPUT"]
