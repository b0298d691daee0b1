"""All-or-nothing optimizer steps: ``apply`` computes every new value on scratch copies,
then assigns them in one commit that a Ctrl-C cannot split.

While a step runs, each touched ``Variable`` points at a scratch copy of its array, so the
per-variable updates, weight decay and constraints (which read ``value`` and ``assign``) never
touch the real arrays. On success the scratch values are copied into the real arrays; on any
exception (``KeyboardInterrupt`` included) the real arrays are put back untouched. Both the
commit and the rollback run with SIGINT deferred, so an interrupt lands before or after the
step, never inside it.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from ..layers.variable import Variable


@contextlib.contextmanager
def deferred_interrupt():
    """Hold back SIGINT (main thread only) and deliver it once the block is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list = []
    previous = signal.signal(signal.SIGINT, lambda sig, frame: received.append((sig, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(*received[0])


@contextlib.contextmanager
def staged(variables):
    """Run the block on scratch copies of ``variables``' arrays; commit them if it finishes.

    Examples
    --------
    >>> import numpy as np
    >>> w = Variable(np.zeros(2, "float32"), name="w")
    >>> try:
    ...     with staged([w]):
    ...         w.assign([1.0, 1.0])
    ...         raise KeyboardInterrupt
    ... except KeyboardInterrupt:
    ...     pass
    >>> w.numpy()
    array([0., 0.], dtype=float32)
    """
    unique = list({id(v): v for v in variables if isinstance(v, Variable)}.values())
    originals = [v._value for v in unique]
    try:
        for v in unique:
            v._value = v._value.copy()
        yield
    except BaseException:
        with deferred_interrupt():
            for v, original in zip(unique, originals):
                v._value = original
        raise
    with deferred_interrupt():
        for v, original in zip(unique, originals):
            original[...] = v._value
            v._value = original
