"""Thread policy for the OpenMP kernels, in one place.

Order of precedence: ``set_num_threads(n)`` (or the ``num_threads`` context manager), then the
``OMP_NUM_THREADS`` environment variable, then the CPUs this process may run on. Results never
depend on the thread count: kernels cut their work into tasks by shape alone, each task owns
its outputs, and nothing is reduced across threads (docs/design/kernels.md §8).

Several Python threads calling layers at once each use this many OpenMP threads.

Whether a call is worth a parallel team at all is decided here too (:func:`threads_for`), from
the amount of work the op is about to hand a kernel; kernels receive the answer and keep no
threshold of their own.
"""

import contextlib
import functools
import os

from ._kernels import _cpu

_requested = None

# Waking an OpenMP team and joining it costs a few microseconds; below this much work per
# thread a second thread saves less than that. Work is counted in elementary steps: one
# multiply-add, or one byte moved by a memory-bound kernel, each about a cycle in the kernels'
# inner loops. The four thresholds the kernels kept before (2e5 and 2**18 multiply-adds in
# conv and depthwise, 2**18 bytes in the layout and resampling kernels) all sat at one to two
# times this per thread for two threads.
MIN_WORK_PER_THREAD = 1 << 17


@functools.lru_cache(maxsize=1)  # affinity is fixed for a process in practice; ops ask often
def _available_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _from_env():
    raw = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return None


def get_num_threads() -> int:
    """Number of threads the kernels use (1 when built without OpenMP).

    Returns
    -------
    int
        The thread count set by :func:`set_num_threads`, else ``OMP_NUM_THREADS``, else the
        number of available CPUs.

    Examples
    --------
    >>> import convkit
    >>> convkit.get_num_threads() >= 1
    True
    """
    if not _cpu.openmp_enabled():
        return 1
    if _requested is not None:
        return _requested
    env = _from_env()
    return env if env is not None else _available_cpus()


def set_num_threads(n: int | None) -> None:
    """Set the number of threads the kernels use.

    Parameters
    ----------
    n : int or None
        A positive count; ``-1`` means every available CPU; ``None`` restores the default
        (``OMP_NUM_THREADS`` if set, else every available CPU).

    Raises
    ------
    TypeError
        For a value that is not an int or None.
    ValueError
        For 0 or a negative number other than -1.

    Examples
    --------
    >>> import convkit
    >>> convkit.set_num_threads(1)
    >>> convkit.get_num_threads() in (1,)
    True
    >>> convkit.set_num_threads(None)
    """
    global _requested
    if n is None:
        _requested = None
        return
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"`n` must be an int, -1 or None. Received: n={n!r}")
    if n == -1:
        n = _available_cpus()
    if n <= 0:
        raise ValueError(f"`n` must be a positive number of threads or -1. Received: n={n}")
    _requested = n


@contextlib.contextmanager
def num_threads(n: int | None):
    """Context manager that sets the thread count and restores the previous setting.

    Parameters
    ----------
    n : int or None
        As for :func:`set_num_threads`, for the ``with`` block only.

    Raises
    ------
    TypeError, ValueError
        As :func:`set_num_threads`, on entering the block.

    Examples
    --------
    >>> import convkit
    >>> with convkit.num_threads(1):
    ...     convkit.get_num_threads()
    1
    """
    global _requested
    previous = _requested
    set_num_threads(n)
    try:
        yield
    finally:
        _requested = previous


def threads_for(work: int, n_threads: int | None = None) -> int:
    """Threads worth using for a kernel call of ``work`` elementary steps.

    At most ``n_threads`` (default :func:`get_num_threads`), and no more than one thread per
    :data:`MIN_WORK_PER_THREAD` steps, so tiny calls run on the calling thread alone. The
    result never changes what a kernel computes, only how fast.

    Examples
    --------
    >>> from convkit._threads import threads_for
    >>> threads_for(1000, n_threads=8), threads_for(10**9, n_threads=8)
    (1, 8)
    """
    n = get_num_threads() if n_threads is None else n_threads
    return max(1, min(n, int(work) // MIN_WORK_PER_THREAD))
