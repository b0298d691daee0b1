"""What ConvExplorer computes and draws from its controls: one ``ConvComputation`` per setting
(the input, the kernel as typed, the layer's and the dense references for the badges), the
inspect traces (which outputs an input feeds, which inputs a weight multiplies), and per step
the picture, the extras beside it and their badges.

A mixin of :class:`~.conv.ConvExplorer`, apart from its control panel (``conv.py``): it reads
the controls ``ConvExplorer.__init__`` builds and overrides the :class:`~.base.Explorer` hooks
``_compute``, ``_scene``, ``_show``, ``_render`` and ``_svg``, so it is not an explorer alone.
The public :meth:`~.conv.ConvExplorer.frame` stays on the explorer, where the API reference
lists it.
"""

import html

import numpy as np

from .. import samples
from ..render.conv_more import conv3d_svg, extras_svg
from ..scene.conv import ConvComputation, ConvConfig
from ..scene.conv_more import check_groups, conv_extras, dense_output, layer_output

INSPECT_MODES = ("output → inputs", "input → outputs", "weight → inputs")


class ConvView:
    """Computing and drawing for :class:`~.conv.ConvExplorer` (see the module docstring)."""

    def _axes(self, h, w, d=None):
        """Per-axis values of a (rows, cols) slider pair; Conv3D's depth comes from ``d``
        (the rows slider when the setting has no depth slider of its own)."""
        rank = self.rank.value
        if rank == 1:
            return (w.value,)
        return (h.value, w.value) if rank == 2 else ((d or h).value, h.value, w.value)

    def _compute(self):
        rank = self.rank.value
        shape = self._axes(self.height, self.width, self.depth)
        C, F = self.channels.value, self.filters.value
        if self._user_x is not None:
            x = self._user_x
        else:
            base = samples.make_input(self.source.value, shape, self.seed.value)
            x = np.stack([base + c if self.source.value == "ramp" else
                          (samples.random_ints(shape, self.seed.value + c)
                           if c and self.source.value == "random ints" else base)
                          for c in range(C)], axis=-1)
        kernel_size = self._axes(self.kernel_h, self.kernel_w, self.kernel_d)
        if self._user_kernel is not None:  # the learner's kernel fixes its size and filters
            kernel_size, F = self._user_kernel.shape[:rank], self._user_kernel.shape[-1]
        config = ConvConfig(rank=rank, kernel_size=kernel_size,
                            strides=self._axes(self.stride_h, self.stride_w),
                            dilation_rate=self._axes(self.dilation_h, self.dilation_w),
                            padding=self.padding.value, use_bias=self.use_bias.value,
                            explicit_pad=self.pad_amount.value)
        x = np.asarray(x, dtype=np.float32)
        channels = x.shape[-1] if x.ndim == rank + 1 else 1
        if self.groups.value > 1:  # one group always fits (and building a layer costs ms)
            check_groups(rank, channels, F, self.groups.value, config.kernel_size)
        self.kernel_array = self._kernel(config.kernel_size, channels, F)
        bias = np.full(F, float(self.bias.value)) + np.arange(F)
        computation = ConvComputation(config, x, kernel=self.kernel_array, bias=bias,
                                      flip=self.operation.value == "convolution")
        # the live badges' references, once per setting (stepping only slices)
        self._layer_out = layer_output(computation)
        self._dense_out = dense_output(computation) if computation.groups > 1 else None
        padded = computation.padded.shape[:-1]
        self.inspect_depth.max = max(padded[0] - 1, 0) if rank == 3 else 0
        self.inspect_row.max = max(padded[-2] - 1, 0) if rank > 1 else 0
        self.inspect_col.max = max(padded[-1] - 1, 0)
        self._update_weight_cells()
        return computation

    # ---- the inspect traces ----
    def _render_kwargs(self) -> dict:
        return {**super()._render_kwargs(), "inspect": self._inspect()}

    def _inspect_index(self, limit_shape):
        rank = self.rank.value
        idx = {1: (self.inspect_col.value,),
               2: (self.inspect_row.value, self.inspect_col.value),
               3: (self.inspect_depth.value, self.inspect_row.value, self.inspect_col.value)}[
            rank]
        return tuple(min(i, m - 1) for i, m in zip(idx, limit_shape, strict=False))

    def _inspect(self):
        computation = self.computation
        mode = self.inspect.value
        if computation is None or mode == INSPECT_MODES[0]:
            return None
        if mode == INSPECT_MODES[1]:
            cell = self._inspect_index(computation.padded.shape[:-1])
            fed = computation.outputs_fed_by(cell)
            return {"inputs": [cell], "outputs": [o for o, _ in fed],
                    "text": f"INPUT {cell} (padded coordinates) feeds {len(fed)} output(s): "
                            + ", ".join(str(o) for o, _ in fed[:12])}
        tap = self._inspect_index(computation.kernel.shape[:-2])
        cells = computation.inputs_of_tap(tap)
        return {"taps": [tap], "inputs": cells,
                "text": f"KERNEL weight {tap} multiplies {len(cells)} input cells — the same "
                        "weight at every window position (weight sharing)."}

    def _scene(self, step: int):
        return self.computation.scene(step, self.filter_index.value)

    # ---- rendering ----
    def _show(self, scene):
        kwargs = self._render_kwargs()
        if self.kernel_array is not None:
            self.weight.value = float(self.kernel_array[self._edit_index()])
        if scene.config.rank == 3:
            self.view.value = conv3d_svg(scene, caption=False, contrast=self.contrast,
                                         **kwargs)
            self.toolbar.show_text(scene.caption, scene.formula, scene.sentences, scene.code)
        else:
            super()._show(scene)
        extras = conv_extras(self.computation, scene, self._layer_out, self._dense_out,
                             edit_cell=self._edit_index())
        self.extras_view.value = extras_svg(extras, contrast=self.contrast,
                                            cell=kwargs.get("cell", 30))
        self.badges.value = "".join(
            f'<p role="status" style="margin:2px 0;font-weight:bold;color:'
            f'{"#00704F" if b.ok else "#B34700"}">{html.escape(b.text)}</p>'
            for b in extras.badges)
        self.extras = extras
        extra = kwargs["inspect"]
        if extra:
            sentences = [extra["text"], *scene.sentences, *self._user_array_sentence()]
            self.toolbar.show_text(scene.caption, scene.formula, sentences, scene.code)
        elif self._user_x is not None:
            self.toolbar.show_text(scene.caption, scene.formula,
                                   [*scene.sentences, *self._user_array_sentence()], scene.code)
        self._add_formula_lines([*scene.shape_formula, html.escape(extras.sigma_line)])

    def _render(self):
        if self.computation is None:
            self.extras_view.value = self.badges.value = ""  # no picture, nothing checked
        super()._render()

    def _svg(self, scene) -> str:
        if scene.config.rank == 3:
            return conv3d_svg(scene, contrast=self.contrast, **self._render_kwargs())
        return super()._svg(scene)


__all__ = ["ConvView", "INSPECT_MODES"]
