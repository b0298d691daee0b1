"""Shipping a model to Dask worker processes: a pickle of its weights and arguments, taken
when ``predict`` is called, loaded once per worker process.

A layer that has run keeps its packed kernels in ``_pack_cache`` (they hold references to
compiled kernel modules, which do not pickle); the snapshot leaves that cache out, and the
loaded copy packs again on first use. Everything else is the model's own state, pickled as is.
"""

import copyreg
import hashlib
import io
import pickle

from ..layers.base import Layer

_LOADED: dict = {}      # payload digest -> (model, per-process scratch), in this process
_MAX_LOADED = 8


class _ModelPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, Layer) and "_pack_cache" in obj.__dict__:
            state = {k: v for k, v in obj.__dict__.items() if k != "_pack_cache"}
            return copyreg.__newobj__, (type(obj),), state
        return NotImplemented


def dumps(model) -> bytes:
    """The model as bytes, without its packed-kernel caches."""
    buffer = io.BytesIO()
    _ModelPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(model)
    return buffer.getvalue()


class ShippedModel:
    """A model snapshot that pickles as its bytes and unpickles once per process.

    Parameters
    ----------
    payload : bytes
        :func:`dumps` of the model.
    """

    def __init__(self, payload: bytes):
        self.payload = payload
        self.digest = hashlib.sha256(payload).hexdigest()

    @classmethod
    def of(cls, model) -> "ShippedModel":
        return cls(dumps(model))

    def load(self) -> tuple:
        """``(model, scratch)``: the process's copy of the model and a dict for its helpers."""
        entry = _LOADED.get(self.digest)
        if entry is None:
            if len(_LOADED) >= _MAX_LOADED:
                _LOADED.pop(next(iter(_LOADED)))
            entry = _LOADED[self.digest] = (pickle.loads(self.payload), {})
        return entry

    def __reduce__(self):
        return ShippedModel, (self.payload,)

    def __dask_tokenize__(self):
        return "convkit.ShippedModel", self.digest
