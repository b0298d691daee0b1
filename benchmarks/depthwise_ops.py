"""Benchmark: depthwise and separable convolution, convkit vs PyTorch CPU vs the NumPy oracle.

Cases (docs/design/kernels.md §11): ``depthwise2d`` (b8 56x56 C128 k3 same), ``depthwise2d_f64``
(the same in float64) and ``sepconv2d`` (b8 64x64 64->64 k3 same). Peers run interleaved (A B C A B
C
...), each with the same thread count; the table gives median, min and max wall time,
GFLOP/s (2 x multiply-adds / median time) and GB/s (input + output + weights bytes / median
time). PyTorch uses ``F.conv2d(groups=C)`` on ``channels_last`` tensors (oneDNN's fast path)
under ``torch.inference_mode()``, followed by a 1x1 conv for separable. Keras on jax
(``keras.ops.depthwise_conv`` / ``separable_conv``) is a peer when installed. The NumPy
oracle (``tests/support/reference_depthwise.py``) is slow: the harness times it once when it is.

Run through ``benchmarks/run.py`` (``--only depthwise2d sepconv2d``).
"""

import numpy as np

from benchmarks.harness import Case
from convkit.ops.depthwise import depthwise_conv, separable_conv


def _oracle():
    try:  # the oracle lives with the tests (the repository root is on sys.path, as for run.py)
        from tests.support import reference_depthwise
    except ImportError:
        return None
    return reference_depthwise


def case_specs(quick: bool = False) -> list:
    """The cases of docs/design/kernels.md §11 as dicts (also read by ``kernel_ab.py``)."""
    if quick:
        return [
            dict(id="depthwise2d", kind="depthwise", batch=1, size=16, c=16, m=1, k=3,
                 dtype="float32"),
            dict(id="depthwise2d_f64", kind="depthwise", batch=1, size=16, c=16, m=1, k=3,
                 dtype="float64"),
            dict(id="sepconv2d", kind="separable", batch=1, size=16, c=16, m=1, k=3, f=16,
                 dtype="float32"),
        ]
    return [
        dict(id="depthwise2d", kind="depthwise", batch=8, size=56, c=128, m=1, k=3,
             dtype="float32"),
        dict(id="depthwise2d_f64", kind="depthwise", batch=8, size=56, c=128, m=1, k=3,
             dtype="float64"),
        dict(id="sepconv2d", kind="separable", batch=8, size=64, c=64, m=1, k=3, f=64,
             dtype="float32"),
    ]


def _peers(case, torch, oracle, keras):
    """Return (work dict, {peer: callable}) for one case; every callable returns NHWC numpy."""
    rng = np.random.default_rng(0)
    dt = np.dtype(case["dtype"])
    n, s, c, m, k = case["batch"], case["size"], case["c"], case["m"], case["k"]
    x = rng.standard_normal((n, s, s, c)).astype(dt)
    dk = (rng.standard_normal((k, k, c, m)) / k).astype(dt)
    sep = case["kind"] == "separable"
    f = case.get("f", 0)
    pk = (rng.standard_normal((1, 1, c * m, f)) / np.sqrt(c * m)).astype(dt) if sep else None
    out_pixels = n * s * s  # "same", stride 1
    macs = out_pixels * c * m * k * k + (out_pixels * c * m * f if sep else 0)
    out_c = f if sep else c * m
    nbytes = dt.itemsize * (x.size + out_pixels * out_c + dk.size + (pk.size if sep else 0))
    work = dict(macs=macs, bytes=nbytes)

    peers = {}
    if sep:
        peers["convkit"] = lambda: separable_conv(x, dk, pk, padding="same")
    else:
        peers["convkit"] = lambda: depthwise_conv(x, dk, padding="same")
    if torch is not None:
        tdt = torch.float64 if dt == np.float64 else torch.float32
        xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(
            memory_format=torch.channels_last).to(tdt)
        # (k, k, C, M) -> (C*M, 1, k, k), output channel c*M + m as in Keras
        wt = torch.from_numpy(np.ascontiguousarray(dk.transpose(2, 3, 0, 1))).reshape(
            c * m, 1, k, k).to(tdt)
        pt = (torch.from_numpy(np.ascontiguousarray(pk[0, 0].T)).reshape(f, c * m, 1, 1)
              .to(tdt) if sep else None)
        conv2d = torch.nn.functional.conv2d

        def run_torch():
            with torch.inference_mode():
                y = conv2d(xt, wt, padding=k // 2, groups=c)   # k odd: symmetric = Keras same
                if sep:
                    y = conv2d(y, pt)
            return y.permute(0, 2, 3, 1).numpy()

        peers["torch"] = run_torch
    if keras is not None:
        if sep:
            peers["keras"] = lambda: np.asarray(keras.ops.separable_conv(x, dk, pk,
                                                                         padding="same"))
        else:
            peers["keras"] = lambda: np.asarray(keras.ops.depthwise_conv(x, dk, padding="same"))
    if oracle is not None:
        if sep:
            peers["numpy"] = lambda: oracle.separable_conv(x, dk, pk, padding="same")
        else:
            peers["numpy"] = lambda: oracle.depthwise_conv(x, dk, padding="same")
    return work, peers


def cases(quick: bool = False, torch=None, keras=None) -> list:
    """The depthwise and separable cases as harness :class:`Case` objects."""
    oracle = _oracle()
    out = []
    for spec in case_specs(quick):
        work, peers = _peers(spec, torch, oracle, keras)
        shape = (f"b{spec['batch']} {spec['size']}x{spec['size']} C{spec['c']}"
                 + (f"->{spec['f']}" if spec.get("f") else "") + f" k{spec['k']} same")
        if keras is not None and spec["dtype"] == "float64":
            del peers["keras"]  # jax computes float32 unless x64 is enabled: not a peer
        # NumPy/Keras peers return NHWC arrays already; torch peers convert in run_torch
        out.append(Case(spec["id"], "compute", 2 * work["macs"], peers, dtype=spec["dtype"],
                        shape=shape, to_numpy={name: np.asarray for name in peers}))
    return out
