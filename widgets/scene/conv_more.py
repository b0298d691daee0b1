"""What ConvExplorer shows beside the sliding window: the kernel as typed and flipped, every
channel's partial sum, every filter's output, which channels each filter reads (groups), and
live badges checking those pictures against convkit's ops and its Conv layer.

Pure numpy + convkit (no ipywidgets): the layer check builds ``convkit.layers.Conv{r}D`` with
the scene's weights set by ``set_weights``, so a wrong picture shows a ✗ badge.
"""

from dataclasses import dataclass, field

import numpy as np

from convkit import layers, ops

from .common import CHANNELS_LAST, SceneError
from .panes import Pane, compare
from .text import axis_text, fmt, signed_term


def layer_output(computation) -> np.ndarray:
    """The output of ``convkit.layers.Conv{rank}D`` built with the computation's settings and
    weights (``set_weights``), for the badge comparing the picture with the layer.

    ``full`` and explicit padding are a ZeroPadding layer before a ``valid`` conv, so the
    layer gets the already padded input, as the code line says.
    """
    config = computation.config
    filters = computation.kernel.shape[-1]
    padded_outside = config.padding in ("full", "explicit")
    layer = getattr(layers, f"Conv{config.rank}D")(
        filters, config.kernel_size, strides=config.strides,
        padding="valid" if padded_outside else config.padding,
        dilation_rate=config.dilation_rate, groups=computation.groups,
        activation=config.activation, use_bias=config.use_bias, **CHANNELS_LAST)
    x = computation.padded if padded_outside else computation.x
    layer.build((1,) + x.shape)
    layer.set_weights([computation.kernel, computation.bias] if config.use_bias
                      else [computation.kernel])
    return np.asarray(layer(x[None]))[0]


def dense_output(computation) -> np.ndarray:
    """``ops.conv`` with the grouped kernel written out dense (block-diagonal): a grouped
    convolution is a dense one whose filters have zeros on the other groups' channels."""
    config = computation.config
    return np.asarray(ops.conv(computation.padded[None], computation.dense_kernel,
                               strides=config.strides, padding="valid",
                               dilation_rate=config.dilation_rate,
                               bias=computation.bias if config.use_bias else None,
                               activation=config.activation, **CHANNELS_LAST))[0]


def convolution_by_definition(scene) -> float:
    """Output cell of a *convolution* from its definition, with the kernel as typed:
    y[o] = Σ_t x[o·s + (k − 1 − t)·d] · w[t] (+ bias). Index arithmetic only; the badge
    compares it with ``ops.conv`` of the flipped kernel."""
    config = scene.config
    # tap t of the typed kernel meets the window's cell k − 1 − t: reverse the window
    reversed_window = tuple(w[::-1] for w in scene.window)
    patch = scene.padded[np.ix_(*reversed_window, np.arange(scene.padded.shape[-1]))]
    f = scene.filter_index
    seen = list(scene.channels_seen)
    cg = scene.typed_kernel.shape[-2]
    typed = scene.typed_kernel[..., f].astype(np.float64)
    total = float((patch[..., seen].astype(np.float64) * typed[..., :cg]).sum())
    return total + (float(scene.bias[f]) if config.use_bias else 0.0)


GROUPS_SENTENCE = ("A grouped convolution splits the C input channels into `groups` equal groups "
                   "and the F filters likewise, filter group g reading channel group g only: "
                   "both C and F must be multiples of groups.")


def check_groups(rank: int, channels: int, filters: int, groups: int, kernel_size) -> None:
    """Refuse a ``groups`` the Conv layer refuses, with the layer's own message (raised by
    building ``convkit.layers.Conv{rank}D``) and :data:`GROUPS_SENTENCE`.

    Raises
    ------
    SceneError
        When ``groups`` does not divide ``channels`` and ``filters``.
    """
    try:
        layer = getattr(layers, f"Conv{rank}D")(filters, kernel_size, groups=groups,
                                                   **CHANNELS_LAST)
        layer.build((1,) + (max(kernel_size),) * rank + (channels,))
    except ValueError as exc:
        raise SceneError(str(exc), GROUPS_SENTENCE) from exc


@dataclass
class ConvExtras:
    """The extra pictures of one step (plain data: tests, widget and export share it).

    Attributes
    ----------
    kernel_panes : list of Pane
        KERNEL as typed and, for a convolution, KERNEL flipped (what slides).
    filter_panes : list of Pane
        Every filter's OUTPUT, side by side, this step's cell outlined (none for a single
        filter: the main picture shows its output).
    channel_terms : list of tuple
        ``(channel, partial sum or None when the filter does not read it)`` per input channel.
    sigma_line : str
        Σ over channels + bias = the output value, with every channel's partial sum.
    groups : list of tuple
        ``(filter, channels it reads)`` for every filter.
    group_lines : list of str
        The groups picture in words (text alternative).
    badges : list of Badge
        Live checks of the pictures against convkit.
    caption : str
        The Σ line again (what an exported frame prints).
    edit_cell : tuple or None
        The kernel index ``spatial + (c, f)`` being edited.
    filter_index : int
        The filter the main picture shows.
    """

    kernel_panes: list
    filter_panes: list
    channel_terms: list
    sigma_line: str
    groups: list
    group_lines: list
    badges: list = field(default_factory=list)
    caption: str = ""
    edit_cell: tuple | None = None
    filter_index: int = 0

    @property
    def aria_label(self) -> str:
        """Screen-reader text: the Σ line and the groups in words."""
        return " ".join([self.sigma_line, *self.group_lines])


def _kernel_values(kernel: np.ndarray, c: int, f: int) -> np.ndarray:
    """The 2-D drawable slice of a kernel (1-D: one row; 3-D: depth slices side by side)."""
    k = kernel[..., c, f]
    if k.ndim == 3:
        return np.concatenate([k[i] for i in range(k.shape[0])], axis=1)
    return k


def conv_extras(computation, scene, layer_out=None, dense_out=None,
                edit_cell: tuple | None = None) -> ConvExtras:
    """Build :class:`ConvExtras` for ``scene`` of ``computation``.

    ``layer_out`` / ``dense_out`` are :func:`layer_output` / :func:`dense_output` (computed
    once per setting by the caller); ``edit_cell`` is the kernel index ``spatial + (c, f)``
    being edited, outlined on the typed kernel.
    """
    f = scene.filter_index
    rank = scene.config.rank
    cg, filters = computation.kernel.shape[-2:]
    c_edit = 0 if edit_cell is None else edit_cell[-2]
    tag = f" ch{c_edit}" if cg > 1 else ""
    slices = " (depth slices left to right)" if rank == 3 else ""
    typed_title = f"KERNEL as typed{tag}, filter {f}{slices}"
    outline = []
    if edit_cell is not None and edit_cell[-1] == f:
        spatial = edit_cell[:-2]
        if rank == 1:
            outline = [(0, spatial[0])]
        elif rank == 2:
            outline = [tuple(spatial)]
        else:  # depth slices side by side
            outline = [(spatial[1], spatial[0] * computation.kernel.shape[2] + spatial[2])]
    kernel_panes = [Pane(typed_title + (" (selected weight outlined)" if outline else ""),
                         "kernel", _kernel_values(scene.typed_kernel, c_edit, f),
                         outline=outline, name="w")]
    if scene.flip:
        kernel_panes.append(Pane(f"KERNEL flipped{tag} (what slides: convolution){slices}",
                                 "kernel",
                                 _kernel_values(computation.kernel, c_edit, f), name="w flipped"))
    filter_panes = []
    pos = scene.position
    # one filter: its output is the main picture's OUTPUT already (not drawn twice)
    for g in range(filters if filters > 1 else 0):
        out = scene.output[..., g]
        if rank == 3:  # this step's depth slice
            out, cell = out[pos[0]], [tuple(pos[1:])]
        elif rank == 1:
            cell = [(0, pos[0])]
        else:
            cell = [tuple(pos)]
        depth = f" depth {pos[0]}" if rank == 3 else ""
        shown = " (shown above)" if g == f else ""
        filter_panes.append(Pane(f"OUTPUT filter {g}{depth}{shown}", "output", out,
                                 current=cell, name=f"y[f{g}]"))
    seen = set(scene.channels_seen)
    terms = [(c, float(scene.partial_sums[c]) if c in seen else None)
             for c in range(scene.padded.shape[-1])]
    parts = " + ".join(f"ch{c} {signed_term(v)}" for c, v in terms if v is not None)
    bias = f" + bias {signed_term(float(scene.bias[f]))}" if scene.config.use_bias else ""
    unread = [c for c, v in terms if v is None]
    skipped = (f" (channels {', '.join(map(str, unread))} are another group's: not read)"
               if unread else "")
    sigma_line = (f"OUTPUT {axis_text(pos)} of filter {f} = Σ over channels: {parts}{bias} = "
                  f"{fmt(scene.value)}{skipped}")
    groups = [(g, computation.channels_seen(g)) for g in range(filters)]
    group_lines = [f"filter {g} reads input channel(s) {', '.join(map(str, chans))}"
                   for g, chans in groups]
    activation = scene.config.activation
    total = float(np.sum(scene.partial_sums)) + (float(scene.bias[f]) if scene.config.use_bias
                                                 else 0.0)
    if activation == "relu":
        total = max(total, 0.0)
    badges = [compare("Σ channel partial sums + bias", "ops.conv OUTPUT cell", total,
                      scene.value)]
    if scene.flip:
        badges.append(compare("convolution by definition (typed kernel, reversed taps)",
                              "ops.conv with the flipped kernel",
                              convolution_by_definition(scene), scene.value))
    if computation.groups > 1 and dense_out is not None:
        badges.append(compare("grouped OUTPUT", "ops.conv with the block-diagonal dense kernel",
                              scene.output, dense_out))
    if layer_out is not None:
        badges.append(compare("OUTPUT", f"convkit.layers.Conv{rank}D (set_weights)",
                              scene.output, layer_out))
    return ConvExtras(kernel_panes, filter_panes, terms, sigma_line, groups, group_lines,
                      badges, caption=sigma_line, edit_cell=edit_cell, filter_index=f)


__all__ = ["ConvExtras", "conv_extras", "check_groups", "GROUPS_SENTENCE", "layer_output",
           "dense_output", "convolution_by_definition"]
