"""The build and import contract: ISA dispatch, optional imports, no fast-math side effects."""

import subprocess
import sys

import numpy as np
import pytest

import convkit
from convkit import _kernels
from convkit._kernels import _cpu


def _run(code, **env):
    import os

    full_env = {**os.environ, **env}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=full_env, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_chosen_variant_is_the_widest_supported_one():
    for variant in _kernels.VARIANTS:
        if variant in _kernels.built_variants() and _cpu.supports(variant):
            assert _kernels.ISA == variant
            break
    assert "base" in _kernels.built_variants()


def test_import_does_not_pull_in_widget_libraries():
    out = _run("import sys, convkit, convkit.layers, convkit.models; "
               "print(sorted(m for m in ('ipywidgets', 'matplotlib', 'keras', 'jax') "
               "if m in sys.modules))")
    assert out == "[]"


def test_subnormals_survive_import():
    # -ffast-math would link crtfastmath.o and set FTZ/DAZ for the whole process
    tiny = np.float32(1e-40)
    assert tiny * np.float32(1.0) != 0


_SAMPLE = """
import sys
import numpy as np
import convkit
from convkit import ops
x = np.random.default_rng(0).standard_normal((2, 9, 7, 5)).astype(np.float32)
np.save(sys.argv[1], np.concatenate([
    ops.upsample(x, (2, 3), interpolation="bicubic").ravel(),
    ops.zero_pad(x, ((1, 2), (0, 3))).ravel()]))
print(convkit._kernels.ISA)
"""


@pytest.mark.parametrize("variant", [v for v in _kernels.VARIANTS if v != _kernels.ISA])
def test_forced_variants_compute_the_same(variant, tmp_path):
    if variant not in _kernels.built_variants() or not _cpu.supports(variant):
        pytest.fail(f"variant {variant} should be built and runnable on this CPU")
    import os

    results = {}
    for name, env in (("forced", {"CONVKIT_ISA": variant}), ("default", {})):
        path = tmp_path / f"{name}.npy"
        out = subprocess.run([sys.executable, "-c", _SAMPLE, str(path)], capture_output=True,
                             text=True, env={**os.environ, **env}, timeout=300)
        assert out.returncode == 0, out.stderr
        results[name] = (out.stdout.strip(), np.load(path))
    assert results["forced"][0] == variant
    assert results["default"][0] == _kernels.ISA
    # FMA contraction may differ between instruction sets: ulp-level, not bitwise
    np.testing.assert_allclose(results["forced"][1], results["default"][1], rtol=1e-6,
                               atol=1e-6)


def test_forcing_an_unknown_variant_fails_clearly():
    out = subprocess.run([sys.executable, "-c", "import convkit"], capture_output=True,
                         text=True, env={"CONVKIT_ISA": "sse9", "PATH": ""}, timeout=120)
    assert out.returncode != 0 and "CONVKIT_ISA" in out.stderr


def test_version_and_show_config():
    assert isinstance(convkit.__version__, str) and convkit.__version__


@pytest.mark.parametrize("shape", [(3, 5, 7, 9), (2, 300, 40, 50), (1, 1, 1, 1), (2, 3, 1000),
                                   (4, 700, 3, 5, 2), (0, 3, 4, 4),
                                   # 4-byte words move in 8 x 8 register blocks: exact
                                   # blocks, and rims of 1-7 on either side
                                   (1, 16, 4, 6), (2, 9, 3, 17), (1, 263, 7, 9)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.int16, np.bool_])
def test_layout_transposes_round_trip(shape, dtype):
    from convkit.ops import _arrays

    x = (np.random.default_rng(0).random(shape) * 10).astype(dtype)
    y = _arrays.to_kernel_layout(x, "channels_first")
    expected = np.moveaxis(x, 1, -1)
    np.testing.assert_array_equal(y.reshape(expected.shape), expected)
    with convkit.num_threads(1):
        np.testing.assert_array_equal(_arrays.to_kernel_layout(x, "channels_first"), y)
    np.testing.assert_array_equal(_arrays.from_kernel_layout(y, len(shape) - 2,
                                                             "channels_first"), x)
