"""Element-wise activations (each output value depends only on the input value at the same
position), by their former home: the functions now live in one module per family,

- :mod:`~convkit.activations.rectifiers`: the ReLU and ELU units;
- :mod:`~convkit.activations.smooth_rectifiers`: softplus, the self-gated units (``silu``,
  ``gelu``, ``mish``...) and their piecewise stand-ins;
- :mod:`~convkit.activations.sigmoids`: sigmoid, tanh, softsign and their variants;
- :mod:`~convkit.activations.shrinkage`: the shrink functions and ``threshold``;
- :mod:`~convkit.activations.linear_exponential`: ``linear`` and ``exponential``.

This module only re-exports them, so ``from convkit.activations.elementwise import relu``
and pickles that name a function by this path keep working. New code imports from
:mod:`convkit.activations`.
"""

from convkit.activations.linear_exponential import exponential, linear
from convkit.activations.rectifiers import celu, elu, leaky_relu, relu, relu6, selu
from convkit.activations.shrinkage import hard_shrink, soft_shrink, tanh_shrink, threshold
from convkit.activations.sigmoids import (
    hard_sigmoid,
    hard_tanh,
    log_sigmoid,
    sigmoid,
    softsign,
    sparse_sigmoid,
    tanh,
)
from convkit.activations.smooth_rectifiers import (
    gelu,
    hard_silu,
    hard_swish,
    mish,
    silu,
    softplus,
    sparse_plus,
    squareplus,
    swish,
)

__all__ = [
    "celu", "elu", "exponential", "gelu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "mish", "relu", "relu6", "selu", "sigmoid",
    "silu", "soft_shrink", "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "squareplus",
    "swish", "tanh", "tanh_shrink", "threshold",
]
