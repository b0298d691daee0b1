"""The weight API every layer shares: the weights a layer and its sub-layers hold
(``weights``, ``trainable_weights``, ``non_trainable_weights``), ``losses``,
``add_weight``, ``get_weights``/``set_weights``, ``count_params`` and
``apply_constraints``.

A module of its own because this bookkeeping is one job, separate from building and
calling a layer: :class:`LayerWeightsMixin` works on what :class:`~convkit.layers.base.Layer`
sets up (``_weights``, ``_activity_losses``, ``_trainable``, ``built``, ``name``, ``dtype``)
and reaches nested layers through ``Layer._sublayers``/``_flatten_layers``. ``Layer`` is the
class to subclass.
"""

import numpy as np

from .naming import name_scope, scope_path
from .variable import Variable


def _unique(variables) -> list:
    """``variables`` without repeats (a layer shared by two models holds its weights once)."""
    seen: set = set()
    kept = []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            kept.append(v)
    return kept


class LayerWeightsMixin:
    """The weight API of :class:`~convkit.layers.base.Layer` (see the module docstring)."""

    @property
    def weights(self) -> list:
        """Every weight: this layer's own (trainable ones first, each group in creation
        order, as Keras lists them), then each sub-layer's. The order of :meth:`get_weights`."""
        return _unique(w for layer in self._flatten_layers()
                       for group in (True, False)
                       for w in layer._weights if bool(w.trainable) is group)

    @property
    def trainable_weights(self) -> list:
        """The weights an optimizer updates: none when the layer is frozen."""
        if not self._trainable:
            return []
        own = [w for w in self._weights if w.trainable]
        return _unique(own + [w for layer in self._sublayers() for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self) -> list:
        if not self._trainable:
            return self.weights
        own = [w for w in self._weights if not w.trainable]
        return _unique(own + [w for layer in self._sublayers()
                              for w in layer.non_trainable_weights])

    @property
    def losses(self) -> list:
        """Activity losses of the last call (this layer's, then its sub-layers'), then weight
        penalties of the trainable weights, recomputed now. Activity penalties are divided by
        the batch size, as in Keras 3."""
        activity = [loss for layer in self._flatten_layers() for loss in layer._activity_losses]
        penalties = [float(w.regularizer(w.value)) for w in self.trainable_weights
                     if w.regularizer is not None]
        return activity + penalties

    def add_weight(self, name, shape, initializer, regularizer=None, constraint=None,
                   trainable=True) -> Variable:
        """Create a weight. ``initializer=None`` means Glorot uniform, as in Keras."""
        from .. import initializers

        init = initializers.get(initializer) if initializer is not None else \
            initializers.get("glorot_uniform")
        value = np.asarray(init(tuple(shape), dtype=self.dtype), dtype=self._dtype)
        with name_scope(self):
            path = scope_path(name)
        var = Variable(value, name=name, path=path, trainable=trainable,
                       regularizer=regularizer, constraint=constraint)
        self._weights.append(var)
        return var

    def get_weights(self) -> list:
        """Copies of the weights' values, in Keras's order.

        Returns
        -------
        list of numpy.ndarray
            One copy per weight (trainable first, in creation order, then non-trainable), the
            list ``keras_layer.set_weights`` accepts.

        Examples
        --------
        >>> from convkit import layers
        >>> dense = layers.Dense(2, kernel_initializer="ones", name="d")
        >>> dense.get_weights()
        []
        >>> dense.build((None, 3))
        >>> [w.tolist() for w in dense.get_weights()]
        [[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [0.0, 0.0]]
        """
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Set every weight from a list of arrays (shapes checked, values cast).

        Parameters
        ----------
        weights : list of array_like
            One array per weight, in the order of :meth:`get_weights` (for example a Keras
            layer's ``get_weights()``).

        Raises
        ------
        ValueError
            If the list has another length than the layer's weights, or an array another shape
            than its weight; no weight changes then.

        Examples
        --------
        >>> import numpy as np
        >>> from convkit import layers
        >>> dense = layers.Dense(1, name="d")
        >>> dense.build((None, 2))
        >>> dense.set_weights([np.array([[1.0], [2.0]]), np.array([0.5])])
        >>> dense(np.array([[1.0, 1.0]]))
        array([[3.5]], dtype=float32)
        """
        variables = self.weights
        weights = list(weights)
        if len(weights) != len(variables):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a "
                             f"weight list of length {len(weights)}, but the layer was "
                             f"expecting {len(variables)} weights.")
        arrays = [np.asarray(v) for v in weights]
        for i, (var, arr) in enumerate(zip(variables, arrays)):
            if tuple(var.shape) != tuple(arr.shape):
                raise ValueError(f"Layer {self.name} weight shape {var.shape} is not "
                                 f"compatible with provided weight shape {arr.shape} "
                                 f"(weight {i}, '{var.path}').")
        for var, arr in zip(variables, arrays):
            var.assign(arr)

    def count_params(self) -> int:
        """The number of weight values (trainable and not), as ``summary()`` counts them.

        Returns
        -------
        int
            The sum of the sizes of :attr:`weights`.

        Raises
        ------
        ValueError
            If the layer is not built yet (its weights do not exist).

        Examples
        --------
        >>> from convkit import layers
        >>> conv = layers.Conv2D(8, 3)
        >>> conv.build((None, 28, 28, 1))
        >>> conv.count_params()  # 3 * 3 * 1 * 8 kernel values + 8 biases
        80
        """
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but "
                             "the layer isn't built. You can build it manually via: "
                             "`layer.build(input_shape)`.")
        return int(sum(np.prod(w.shape, dtype=np.int64) for w in self.weights))

    def apply_constraints(self) -> None:
        """Apply each weight's constraint in place (what an optimizer does after each step;
        nothing else applies them)."""
        for w in self.weights:
            if w.constraint is not None:
                w.assign(w.constraint(w.value))
