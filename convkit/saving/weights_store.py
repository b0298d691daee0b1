"""Where each weight lives in a Keras 3 weights file (``model.weights.h5``, ``*.weights.h5``).

Keras 3.15 lays the file out by walking the model: every object with state gets a group
``<path>/vars`` (``vars`` for the model itself) whose ``name`` attribute is the object's name
and whose datasets ``"0"``, ``"1"``... are its own variables, trainable ones first, each group
in creation order. A model's layers sit under ``<path>/layers/<class name in snake_case>``,
with ``_1``, ``_2``... for repeated classes in the same model (by position, not by the
layers' names, which are not reproducible); a layer reached twice is stored once, at its first
place. A compiled model adds ``optimizer/vars``.

Optimizer state (the hook a convkit optimizer plugs into)
---------------------------------------------------------
If ``model.optimizer`` is not None it is stored where Keras stores it: group
``optimizer/vars``, attribute ``name`` = ``optimizer.name``, datasets ``"0"``...``"n-1"`` =
``optimizer.variables`` in order (Keras's order is ``iterations``, ``learning_rate``, then the
slot variables of each trained weight). Each entry of ``variables`` needs ``numpy()``,
``shape`` and ``assign(array)``, as :class:`convkit.layers.Variable` has. On loading, a model
with an optimizer gets those values back (all-or-nothing, like the layers); a model without
one, or a file without the group, leaves the optimizer group alone.

Loading is two-phase so that a bad file changes nothing: :func:`read_plan` reads and checks
every array against the model first, :func:`apply_plan` then assigns them.
"""

import numpy as np

from ..layers.naming import to_snake_case
from ._h5py import require_h5py

OPTIMIZER_PATH = "optimizer"


def _own_variables(obj) -> list:
    """A layer's own weights in Keras's storage order: trainable first, then the rest."""
    own = list(getattr(obj, "_weights", ()))
    return [w for w in own if w.trainable] + [w for w in own if not w.trainable]


def entries(model) -> list:
    """``(group path, object, variables)`` for every object with state, in Keras's walk order.

    Examples
    --------
    >>> from convkit import layers, models
    >>> inner = models.Sequential([layers.Conv1D(2, 1), layers.UpSampling1D()], name="inner")
    >>> net = models.Sequential([layers.Conv1D(2, 3, input_shape=(8, 1)), inner], name="net")
    >>> [(path, len(variables)) for path, _, variables in entries(net)]
    [('vars', 0), ('layers/conv1d/vars', 2), ('layers/sequential/vars', 0), \
('layers/sequential/layers/conv1d/vars', 2), ('layers/sequential/layers/up_sampling1d/vars', 0)]
    """
    found: list = []
    seen: set = set()

    def visit(obj, path):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        found.append((f"{path}/vars" if path else "vars", obj, _own_variables(obj)))
        used: dict = {}
        for layer in obj._sublayers():
            base = to_snake_case(type(layer).__name__)
            used[base] = used[base] + 1 if base in used else 0
            name = f"{base}_{used[base]}" if used[base] else base
            visit(layer, f"{path}/layers/{name}" if path else f"layers/{name}")

    visit(model, "")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        found.append((f"{OPTIMIZER_PATH}/vars", optimizer, list(optimizer.variables)))
    return found


def write(h5file, model) -> None:
    """Store ``model``'s weights (and optimizer state) in an open, writable h5py file."""
    for path, obj, variables in entries(model):
        group = h5file.create_group(path)
        group.attrs["name"] = obj.name
        for i, variable in enumerate(variables):
            group[str(i)] = np.asarray(variable.numpy())


def _describe(obj) -> str:
    return f"'{obj.name}' ({type(obj).__name__})"


def _read_group(h5file, path, obj, variables, source) -> list:
    """Check one group against ``variables``; return ``[(variable, array)]``."""
    h5py = require_h5py()
    group = h5file.get(path)
    if group is None or not isinstance(group, h5py.Group):
        if not variables:
            return []
        raise ValueError(f"{source} has no weights for {_describe(obj)}: the group '{path}' "
                         f"is missing (the model expects {len(variables)} weights there). "
                         "Was the file saved from a model with the same layers?")
    keys = sorted(group.keys(), key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else k))
    expected = [str(i) for i in range(len(variables))]
    if keys != expected:
        raise ValueError(f"{source} holds {len(keys)} weights for {_describe(obj)} at "
                         f"'{path}' ({keys}), but the model has {len(variables)}: "
                         f"{[v.path if hasattr(v, 'path') else v.name for v in variables]}.")
    plan = []
    for key, variable in zip(expected, variables):
        item = group[key]
        if not isinstance(item, h5py.Dataset):
            raise ValueError(f"{source}: '{path}/{key}' is not a dataset.")
        array = item[()]
        array = np.asarray(array)
        label = getattr(variable, "path", None) or getattr(variable, "name", key)
        if array.dtype.kind not in "biuf":
            raise ValueError(f"{source}: weight '{path}/{key}' ({label}) has dtype "
                             f"{array.dtype}, not a real number type.")
        if tuple(array.shape) != tuple(variable.shape):
            raise ValueError(f"{source}: weight '{path}/{key}' of {_describe(obj)} has shape "
                             f"{tuple(array.shape)}, but the model's weight '{label}' has "
                             f"shape {tuple(variable.shape)}.")
        plan.append((variable, array))
    return plan


def _stored_layer_groups(h5file) -> set:
    """The ``.../vars`` groups with datasets under ``layers/`` (what the model must claim)."""
    found: set = set()

    def note(name, item):
        if name.endswith("/vars") and len(item) and name.startswith("layers/"):
            found.add(name)

    if "layers" in h5file:
        h5file.visititems(note)
    return found


def read_plan(h5file, model, source: str) -> list:
    """Every ``(variable, array)`` pair the file gives ``model``, checked, nothing assigned.

    Raises ValueError naming the group when a layer's weights are missing, of another count
    or shape, or when the file has layer weights the model has no place for.
    """
    plan: list = []
    claimed: set = set()
    for path, obj, variables in entries(model):
        if path.startswith(f"{OPTIMIZER_PATH}/") and path not in h5file:
            continue  # an optimizer the file has no state for keeps its own
        plan.extend(_read_group(h5file, path, obj, variables, source))
        claimed.add(path)
    extra = sorted(_stored_layer_groups(h5file) - claimed)
    if extra:
        raise ValueError(f"{source} holds weights for layers the model does not have: "
                         f"{extra}. Was it saved from a model with the same layers?")
    return plan


def apply_plan(plan) -> None:
    """Assign what :func:`read_plan` checked (cannot fail half-way on shapes or dtypes)."""
    for variable, array in plan:
        variable.assign(array)
