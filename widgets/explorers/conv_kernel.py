"""ConvExplorer's editable kernel: the weight dropdown (one filter's weights), the typed value,
"reset kernel", and the kernel as typed (the learner's or the default one, with the edits written
in) that every computation uses.

A mixin of :class:`~.conv.ConvExplorer`, apart from its control panel and from what it draws:
it reads the controls ``ConvExplorer.__init__`` builds (``weight_cell``, ``weight``,
``filter_index``, ``groups``, ``seed``) and its ``_edits``, so it is not an explorer alone.
The public :meth:`~.conv.ConvExplorer.edit_weight` stays on the explorer, where the API
reference lists it.
"""

import numpy as np

from ..scene.conv import default_kernel


def _weight_problem(value) -> str | None:
    """Why a typed weight cannot go into the float32 kernel, or None when it can."""
    value = float(value)
    if not np.isfinite(value):
        return f"value must be a finite number, received {value!r}"
    if abs(value) > float(np.finfo(np.float32).max):
        return f"value must fit float32 (|w| < 3.4e38), received {value!r}"
    return None


class ConvKernelEditing:
    """The editable kernel of :class:`~.conv.ConvExplorer` (see the module docstring)."""

    def _kernel(self, kernel_size: tuple, channels: int, filters: int) -> np.ndarray:
        """The kernel as typed: the learner's ``kernel=`` (or the default small integers for
        this shape) with every edited weight that still fits the shape written in."""
        if self._user_kernel is not None:
            kernel = self._user_kernel.copy()
        else:
            kernel = default_kernel(kernel_size, channels // self.groups.value, filters,
                                    seed=self.seed.value)
        for index, value in self._edits.items():
            if len(index) == kernel.ndim and all(i < n for i, n in zip(index, kernel.shape,
                                                                       strict=True)):
                kernel[index] = value
        return kernel

    def _update_weight_cells(self):
        """The weight dropdown lists every weight of one filter: ``[i, j] chc``."""
        kernel = self.kernel_array
        spatial, cg = kernel.shape[:-2], kernel.shape[-2]
        options = []
        for index in np.ndindex(*spatial, cg):
            where = ", ".join(map(str, index[:-1]))
            options.append((f"[{where}] ch{index[-1]}" if cg > 1 else f"[{where}]", index))
        if [v for _, v in options] != [v for _, v in self.weight_cell.options]:
            keep = self.weight_cell.value
            self.weight_cell.options = options
            values = [v for _, v in options]
            self.weight_cell.value = keep if keep in values else values[0]

    def _edit_index(self):
        f = min(self.filter_index.value, self.kernel_array.shape[-1] - 1)
        return tuple(self.weight_cell.value) + (f,)

    def _on_weight(self, change):
        if self._busy or self.kernel_array is None:
            return
        problem = _weight_problem(change["new"])
        if problem:  # the typed value stays visible; the banner says why it is not used
            self.toolbar.show_error(problem, "A weight must be a float32 number: NaN or "
                                    "infinity would turn every output it touches into NaN.")
            return
        self.edit_weight(self._edit_index(), change["new"])

    def _on_reset_kernel(self, _button=None):
        self._edits.clear()
        self._on_param(None)


__all__ = ["ConvKernelEditing"]
