"""Layer names and name scopes, as Keras makes them.

Names are unique per process (``conv2d``, ``conv2d_1``...); a weight's path is the names of
the layers building it, outermost first (``outer/inner/conv2d/kernel``).
"""

import contextlib
import re
import threading

_name_counts: dict = {}
_scopes = threading.local()  # one stack per thread: models built in parallel keep their paths


@contextlib.contextmanager
def name_scope(layer):
    """Prefix the paths of weights created inside with ``layer.name`` (Keras's name scopes).

    A layer opens its scope while it builds; a model building its layers is an enclosing scope,
    so a weight's path reads ``outer/inner/conv2d/kernel``. Re-entering the innermost layer's
    own scope adds nothing.

    Examples
    --------
    >>> from convkit import layers
    >>> conv = layers.Conv1D(2, 3, name="c")
    >>> with name_scope(layers.ZeroPadding1D(name="outer")):
    ...     conv.build((None, 8, 1))
    >>> conv.kernel.path
    'outer/c/kernel'
    """
    stack = _scopes.__dict__.setdefault("stack", [])
    if stack and stack[-1] is layer:
        yield
        return
    stack.append(layer)
    try:
        yield
    finally:
        stack.pop()


def scope_path(name: str) -> str:
    return "/".join([*(layer.name for layer in getattr(_scopes, "stack", ())), name])


def to_snake_case(name: str) -> str:
    """``"UpSampling2D"`` → ``"up_sampling2d"`` (how Keras names layers)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", name))
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(base: str) -> str:
    """``base``, then ``base_1``, ``base_2``... for the process's lifetime, like Keras."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"
