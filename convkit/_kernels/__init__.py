"""Compiled kernels: pick the widest instruction-set build this CPU can run.

``setup.py`` compiles every kernel module once per ISA variant into ``avx512/``, ``avx2/`` and
``base/`` (same module names). The CPU check lives in ``_cpu``, built for the baseline, and runs
*before* any wide-ISA module is imported: gcc may emit wide instructions anywhere in a module,
its initialisation included. ``CONVKIT_ISA=avx2`` (or ``base``) forces a narrower variant, for
testing the fallbacks.

Kernels know nothing about Keras: C-contiguous channels-last arrays, a preallocated output and
plain integers (see ``convkit/ops`` for the conventions).
"""

import importlib
import os

from . import _cpu

VARIANTS = ("avx512", "avx2", "base")


def _built(variant):
    return os.path.isdir(os.path.join(os.path.dirname(__file__), variant))


def _choose_variant():
    forced = os.environ.get("CONVKIT_ISA", "").strip().lower()
    if forced:
        if forced not in VARIANTS:
            raise ImportError(f"CONVKIT_ISA={forced!r}: expected one of {VARIANTS}")
        if not _built(forced):
            raise ImportError(f"CONVKIT_ISA={forced!r}: that variant was not built")
        if not _cpu.supports(forced):
            raise ImportError(f"CONVKIT_ISA={forced!r}: this CPU cannot run that variant")
        return forced
    for variant in VARIANTS:
        if _built(variant) and _cpu.supports(variant):
            return variant
    raise ImportError("convkit's kernels are not built: run `pip install .` (or "
                      "`pip install -e .`) from the source tree")


ISA = _choose_variant()
_package = f"{__name__}.{ISA}"


def load(module):
    """Import kernel module ``module`` (e.g. ``"_resample"``) from the chosen ISA variant."""
    return importlib.import_module(f"{_package}.{module}")


def load_variant(module, variant):
    """Import ``module`` from a given variant (tests compare variants with each other)."""
    if not _cpu.supports(variant):
        raise ImportError(f"this CPU cannot run the {variant} kernels")
    return importlib.import_module(f"{__name__}.{variant}.{module}")


def built_variants():
    """The ISA variants compiled into this installation, widest first."""
    return tuple(v for v in VARIANTS if _built(v))
