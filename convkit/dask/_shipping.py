"""Shipping a model to Dask worker processes: a pickle of its weights and arguments, taken
when ``predict`` is called, loaded once per worker process.

Layers pickle as config + weights + state (``convkit/layers/pickling.py``), never with their
packed-kernel caches, so the loaded copy packs again on first use.
"""

import hashlib
import pickle

_LOADED: dict = {}      # payload digest -> (model, per-process scratch), in this process
_MAX_LOADED = 8


def dumps(model) -> bytes:
    """The model as bytes (its layers' own pickling leaves the packed kernels out)."""
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


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
