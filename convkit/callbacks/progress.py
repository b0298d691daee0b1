"""The progress display of ``predict`` (and of ``fit``/``evaluate``): Keras's ``verbose``.

``verbose=1`` draws a tqdm bar (``tqdm.auto``: a widget in Jupyter, text elsewhere) with the
running logs; ``verbose=2`` writes one line when the run ends (better in log files); ``0``
shows nothing. ``"auto"`` is chosen by the caller: Keras means 1, ``predict`` shows a bar only
for long runs.
"""

import sys
import time

_VERBOSE_MODES = {0: 0, 1: 1, 2: 2, None: 0}  # False and True are 0 and 1


def resolve_verbose(verbose, auto: int) -> int:
    """The display mode (0, 1 or 2) for a ``verbose`` argument; ``"auto"`` gives ``auto``.

    Examples
    --------
    >>> resolve_verbose("auto", auto=1), resolve_verbose(2, auto=1), resolve_verbose(0, auto=1)
    (1, 2, 0)
    """
    if isinstance(verbose, str):
        if verbose == "auto":
            return auto
    elif verbose in _VERBOSE_MODES and not isinstance(verbose, float):
        return _VERBOSE_MODES[verbose]
    raise ValueError(f'`verbose` must be "auto", 0, 1 or 2. Received: verbose={verbose!r}')


def format_logs(logs) -> str:
    """``" - loss: 0.1234 - mae: 2.0000e-04"``: values as Keras's progress bar prints them.

    Examples
    --------
    >>> format_logs({"loss": 0.5, "mae": 0.0002})
    ' - loss: 0.5000 - mae: 2.0000e-04'
    """
    return "".join(f" - {key}: {value:.4f}" if value > 1e-3 else f" - {key}: {value:.4e}"
                   for key, value in (logs or {}).items())


def _format_pace(seconds_per_step: float) -> str:
    if seconds_per_step >= 1 or seconds_per_step == 0:
        return f"{seconds_per_step:.0f}s/step"
    if seconds_per_step >= 1e-3:
        return f"{seconds_per_step * 1e3:.0f}ms/step"
    return f"{seconds_per_step * 1e6:.0f}us/step"


class ProgressBar:
    """Progress over ``total`` steps, shown as ``verbose`` says (0, 1 or 2).

    Parameters
    ----------
    total : int
        Steps expected.
    verbose : {0, 1, 2}
        A mode from :func:`resolve_verbose`.
    desc : str
        What runs (``"net predict"``), at the start of the bar or line.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with ProgressBar(3, verbose=2, desc="net predict", file=out) as bar:
    ...     for step in range(3):
    ...         bar.update(step + 1, {"loss": 0.25})
    >>> out.getvalue()  # doctest: +ELLIPSIS
    'net predict: 3/3 - 0s - ...s/step - loss: 0.2500\\n'
    """

    def __init__(self, total: int, verbose: int, desc: str, file=None):
        self.total = total
        self.verbose = verbose
        self.desc = desc
        self._file = file
        self._start = time.perf_counter()
        self._seen = 0
        self._logs: dict = {}
        self._bar = None
        if verbose == 1:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="step", file=file)

    def update(self, seen: int, logs=None) -> None:
        """``seen`` steps are done; ``logs`` are the running values to show."""
        if logs is not None:
            self._logs = dict(logs)
        if self._bar is not None:
            self._bar.update(seen - self._seen)
            if logs:
                self._bar.set_postfix_str(format_logs(logs)[3:], refresh=False)
        self._seen = seen

    def close(self, logs=None) -> None:
        """End the display; ``logs`` (the final values) replace the running ones."""
        if logs is not None:
            self._logs = dict(logs)
        if self._bar is not None:
            if self._logs:
                self._bar.set_postfix_str(format_logs(self._logs)[3:], refresh=False)
            self._bar.close()
            self._bar = None
        elif self.verbose == 2:
            elapsed = time.perf_counter() - self._start
            pace = _format_pace(elapsed / max(self._seen, 1))
            width = len(str(self.total))
            line = (f"{self.desc}: {self._seen:{width}d}/{self.total} - {elapsed:.0f}s - "
                    f"{pace}{format_logs(self._logs)}\n")
            (self._file or sys.stderr).write(line)
            self.verbose = 0  # closing twice prints once

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
