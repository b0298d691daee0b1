"""Bad constructor arguments of the second lesson's explorers: a ValueError/TypeError naming
the argument and what it accepts, before any widget exists (no slider clamping -1 to 1, no
traitlets TraitError, no noise from a half-built explorer being collected)."""

import gc
import sys

import pytest

from widgets.explorers.backprop import BackpropExplorer
from widgets.explorers.pooling import PoolingExplorer

BAD = [
    (BackpropExplorer, dict(padding="full"), ValueError, "`padding` must be one of"),
    (BackpropExplorer, dict(rank=4), ValueError, "`rank` must be one of"),
    (BackpropExplorer, dict(view="sideways"), ValueError, "`view` must be one of"),
    (BackpropExplorer, dict(output_gradient="zeros"), ValueError, "`output_gradient`"),
    (BackpropExplorer, dict(size=-1), ValueError, "`size` must be an integer from 1 to 16"),
    (BackpropExplorer, dict(size=17), ValueError, "`size` must be an integer from 1 to 16"),
    (BackpropExplorer, dict(kernel_size=0), ValueError, "`kernel_size`"),
    (BackpropExplorer, dict(strides=5), ValueError, "`strides`"),
    (BackpropExplorer, dict(dilation_rate=0), ValueError, "`dilation_rate`"),
    (BackpropExplorer, dict(size=2.5), TypeError, "`size` must be an integer"),
    (BackpropExplorer, dict(kernel_size=True), TypeError, "`kernel_size` must be an integer"),
    (PoolingExplorer, dict(kind="median"), ValueError, "`kind` must be one of"),
    (PoolingExplorer, dict(padding="causal"), ValueError, "`padding` must be one of"),
    (PoolingExplorer, dict(rank=3), ValueError, "`rank` must be one of"),
    (PoolingExplorer, dict(pool_size=0), ValueError, "`pool_size` must be an integer from 1"),
    (PoolingExplorer, dict(strides=9), ValueError, "`strides`"),
    (PoolingExplorer, dict(size="6"), TypeError, "`size` must be an integer"),
]


@pytest.mark.parametrize("cls,kwargs,error,message", BAD,
                         ids=[f"{c.__name__}-{next(iter(k))}={next(iter(k.values()))!r}"
                              for c, k, _, _ in BAD])
def test_bad_argument_names_itself_and_leaves_no_noise(cls, kwargs, error, message,
                                                       monkeypatch):
    ignored = []  # what Python prints as "Exception ignored in ..." (e.g. from __del__)
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    with pytest.raises(error, match=message.replace("(", r"\(")):
        cls(**kwargs)
    gc.collect()
    assert not ignored, [str(u.exc_value) for u in ignored]


@pytest.mark.parametrize("cls,kwargs", [
    (BackpropExplorer, dict(size=16, kernel_size=5, strides=4, dilation_rate=3, seed=99)),
    (BackpropExplorer, dict(rank=1, padding="causal", view="weight gradient")),
    (PoolingExplorer, dict(size=1, pool_size=5, strides=1, seed=0, kind="global max")),
])
def test_the_ends_of_each_range_are_accepted(cls, kwargs):
    explorer = cls(**kwargs)
    explorer.close()
