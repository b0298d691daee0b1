"""How a layer is described and made again: ``get_config``/``from_config``, the build
config Keras files carry, and pickling and copies (config + weights + state, through
:mod:`convkit.layers.pickling`).

A module of its own because describing a layer for files and pickles is one job, separate
from building and calling it: :class:`LayerConfigMixin` works on what
:class:`~convkit.layers.base.Layer` sets up (``name``, ``_trainable``, ``dtype``,
``activity_regularizer``, ``built``, ``_build_input_shape``, ``_batch_input_shape``).
``Layer`` is the class to subclass.
"""

from .. import regularizers
from . import pickling


def dtype_policy_config(dtype_name: str) -> dict:
    """Keras's serialised dtype policy, as ``get_config()['dtype']`` shows it."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype_name},
            "registered_name": None}


class LayerConfigMixin:
    """Config and pickling of :class:`~convkit.layers.base.Layer` (see the module
    docstring)."""

    def get_config(self) -> dict:
        """``name``, ``trainable``, ``dtype`` (a policy dict), then the layer's own arguments.

        Returns
        -------
        dict
            Keras's keys, in Keras's order: what ``from_config`` (here or in Keras) needs to make
            the same layer, without the weights.

        Examples
        --------
        >>> from convkit import layers
        >>> config = layers.ZeroPadding1D(2, name="pad").get_config()
        >>> config["name"], config["padding"]
        ('pad', (2, 2))
        """
        config = {"name": self.name, "trainable": self._trainable,
                  "dtype": dtype_policy_config(self.dtype)}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild a layer from :meth:`get_config`'s output (serialised sub-objects included).

        Parameters
        ----------
        config : dict
            A :meth:`get_config` result, from convkit or from the same Keras layer.

        Returns
        -------
        Layer
            A new, unbuilt layer of this class.

        Raises
        ------
        TypeError
            For a key the layer does not know.
        ValueError
            For a value the constructor rejects.

        Examples
        --------
        >>> from convkit import layers
        >>> conv = layers.Conv1D(4, 3, padding="causal")
        >>> twin = layers.Conv1D.from_config(conv.get_config())
        >>> twin.get_config() == conv.get_config()
        True
        """
        return cls(**config)

    def get_build_config(self):
        """``{"input_shape": ...}`` once built with a known input shape, else None (Keras's
        ``build_config`` entry)."""
        if self.built and self._build_input_shape is not None:
            return {"input_shape": self._build_input_shape}
        return None

    def build_from_config(self, config) -> None:
        """Build from :meth:`get_build_config`'s dict; an already built layer stays as it is."""
        if config and config.get("input_shape") is not None and not self.built:
            self.build(config["input_shape"])

    # ----------------------------------------------------------------- pickling and copies
    def __reduce__(self):
        # config + weights + state, never the caches (convkit.layers.pickling)
        return type(self)._from_pickle_payload, (pickling.payload(self),)

    @classmethod
    def _from_pickle_payload(cls, data: dict):
        return pickling.rebuild(cls, data)

    def _pickle_state(self) -> dict:
        """What a pickle carries beyond config and weights (subclasses may add to it)."""
        return {"batch_input_shape": self._batch_input_shape}

    def _restore_pickle_state(self, state: dict) -> None:
        self._batch_input_shape = state.get("batch_input_shape")
