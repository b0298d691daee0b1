"""Benchmark convkit.ops.conv / conv_transpose against PyTorch CPU and the NumPy oracle.

Cases from docs/design/kernels.md §11 (conv2d_large, conv2d_mid, conv2d_stem, conv2d_mnist,
conv2d_large_f64, conv2d_large_cf, conv1d_causal, conv3d, convT2d). Peers are timed interleaved (A B
C A B C ...), with the same thread count; medians, min and max are reported, GFLOP/s = 2 * MACs /
time, next to the run's sgemm figure (``np.matmul`` of two 2048x2048 float32 matrices).

Torch notes: inputs in ``channels_last`` (``channels_last_3d``) memory format under
``torch.inference_mode()``; Conv1D has no channels-last format in torch (NCL is its native
layout); torch has no asymmetric "same", so the stride-2 stem uses symmetric padding 3 (same
output size and FLOPs), causal is ``F.pad`` + a valid conv, and the transposed case uses
``padding=1, output_padding=1`` (same output size, different alignment).

Run through ``benchmarks/run.py`` (``--only conv2d_large ...``); Keras on jax is a float32
peer where installed; the NumPy oracle (``tests/support/reference_conv.py``) is timed once when
slow.
"""

import numpy as np

from benchmarks.harness import Case
from convkit import ops
from convkit.ops.conv import pack_conv_kernel
from convkit.ops.conv_transpose import pack_conv_transpose_kernel

torch = F = None  # bound by cases() to the torch module the runner found

try:  # the oracle lives with the tests (the repository root is on sys.path, as for run.py)
    from tests.support import reference_conv as oracle
except ImportError:
    oracle = None

# id -> (kind, batch, spatial, cin, cout, kernel, stride, padding, dtype, data_format, dilation)
CASES = {
    "conv2d_large": ("conv", 8, (56, 56), 128, 128, 3, 1, "same", "float32", "channels_last", 1),
    "conv2d_mid": ("conv", 8, (64, 64), 32, 64, 3, 1, "same", "float32", "channels_last", 1),
    "conv2d_stem": ("conv", 1, (224, 224), 3, 64, 7, 2, "same", "float32", "channels_last", 1),
    "conv2d_mnist": ("conv", 32, (28, 28), 1, 32, 3, 1, "valid", "float32", "channels_last", 1),
    "conv2d_large_f64": ("conv", 8, (56, 56), 128, 128, 3, 1, "same", "float64",
                         "channels_last", 1),
    "conv2d_large_cf": ("conv", 8, (56, 56), 128, 128, 3, 1, "same", "float32",
                        "channels_first", 1),
    "conv1d_causal": ("conv", 16, (1024,), 64, 64, 3, 1, "causal", "float32", "channels_last",
                      2),
    "conv3d": ("conv", 2, (32, 32, 32), 16, 32, 3, 1, "same", "float32", "channels_last", 1),
    "convT2d": ("convT", 8, (32, 32), 64, 32, 3, 2, "same", "float32", "channels_last", 1),
}

QUICK = {  # tiny shapes so CI runs the whole script in seconds
    "conv2d_large": (2, (12, 12), 16, 16), "conv2d_mid": (2, (10, 10), 8, 16),
    "conv2d_stem": (1, (32, 32), 3, 16), "conv2d_mnist": (4, (28, 28), 1, 8),
    "conv2d_large_f64": (2, (12, 12), 16, 16), "conv2d_large_cf": (2, (12, 12), 16, 16),
    "conv1d_causal": (2, (64,), 8, 8), "conv3d": (1, (8, 8, 8), 4, 8),
    "convT2d": (2, (8, 8), 8, 4),
}

_KERAS = None  # set by cases(): the keras module when Keras on jax is a peer


def _setup(case_id, spec, quick):
    kind, n, spatial, cin, cout, k, s, padding, dtype, fmt, d = spec
    if quick:
        n, spatial, cin, cout = QUICK[case_id]
    rank = len(spatial)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (n, *spatial, cin)).astype(dtype)
    if kind == "conv":
        kern = rng.uniform(-1, 1, (k,) * rank + (cin, cout)).astype(dtype)
    else:
        kern = rng.uniform(-1, 1, (k,) * rank + (cout, cin)).astype(dtype)
    x_user = np.ascontiguousarray(np.moveaxis(x, -1, 1)) if fmt == "channels_first" else x

    if kind == "conv":
        packed = pack_conv_kernel(kern)
        y = ops.conv(x_user, packed, s, padding, fmt, d)

        def run_convkit():
            return ops.conv(x_user, packed, s, padding, fmt, d)

        def run_oracle():
            return oracle.conv(x_user, kern, s, padding, fmt, d)
    else:
        packed = pack_conv_transpose_kernel(kern, s, d)
        y = ops.conv_transpose(x_user, packed, s, padding, None, fmt, d)

        def run_convkit():
            return ops.conv_transpose(x_user, packed, s, padding, None, fmt, d)

        def run_oracle():
            return oracle.conv_transpose(x_user, kern, s, padding, None, fmt, d)
    # transposed: every input pixel meets every tap once (the output is s^rank times larger)
    pixels = y.size // cout if kind == "conv" else x.size // cin
    macs = pixels * cout * k**rank * cin
    run_torch = _torch_runner(kind, x, kern, rank, k, s, padding, fmt, d) if torch else None
    run_keras = _keras_runner(_KERAS, kind, x_user, kern, s, padding, fmt, d, dtype)
    return dict(run_keras=run_keras,
                shape=f"b{n} {'x'.join(map(str, spatial))} {cin}->{cout} k{k} s{s} "
                      f"{padding}", dtype=dtype, data_format=fmt, macs=macs,
                run_convkit=run_convkit, run_torch=run_torch,
                run_oracle=run_oracle if oracle else None)


def _torch_runner(kind, x, kern, rank, k, s, padding, fmt, d):
    tx = torch.from_numpy(np.ascontiguousarray(np.moveaxis(x, -1, 1)))  # NC(D)HW
    if kind == "conv":
        tk = torch.from_numpy(np.ascontiguousarray(np.moveaxis(kern, (-1, -2), (0, 1))))
    else:  # keras (k.., out, in) -> torch (in, out, k..)
        tk = torch.from_numpy(np.ascontiguousarray(np.moveaxis(kern, (-1, -2), (0, 1))))
    if fmt == "channels_last" and rank == 2:
        tx = tx.contiguous(memory_format=torch.channels_last)
        tk = tk.contiguous(memory_format=torch.channels_last)
    elif fmt == "channels_last" and rank == 3:
        tx = tx.contiguous(memory_format=torch.channels_last_3d)
        tk = tk.contiguous(memory_format=torch.channels_last_3d)
    conv_fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank]
    if kind == "convT":
        convt = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[rank]
        pad = ((k - 1) * d + 1 - s + 1) // 2 if padding == "same" else 0
        op = s * 0 + (1 if padding == "same" and s > 1 else 0)

        def run():
            with torch.inference_mode():
                convt(tx, tk, stride=s, padding=pad, output_padding=op, dilation=d)
        return run
    if padding == "causal":
        left = d * (k - 1)

        def run():
            with torch.inference_mode():
                conv_fn(F.pad(tx, (left, 0)), tk, dilation=d)
        return run
    if padding == "same" and s == 1:
        tpad = "same"
    elif padding == "same":
        tpad = (k - 1) * d // 2  # symmetric; same output size and work as Keras's split
    else:
        tpad = 0

    def run():
        with torch.inference_mode():
            conv_fn(tx, tk, stride=s, padding=tpad, dilation=d)
    return run


def _keras_runner(keras, kind, x_user, kern, s, padding, fmt, d, dtype):
    """keras.ops on jax (float32 only: jax without x64 cannot be a float64 peer)."""
    if keras is None or dtype != "float32" or padding == "causal":
        return None
    if kind == "conv":
        return lambda: np.asarray(keras.ops.conv(x_user, kern, s, padding, fmt, d))
    return lambda: np.asarray(keras.ops.conv_transpose(x_user, kern, s, padding, None, fmt, d))


def cases(quick: bool = False, torch=None, keras=None) -> list:
    """The convolution cases of docs/design/kernels.md §11 as harness :class:`Case` objects."""
    global _KERAS
    _bind_torch(torch)
    _KERAS = keras
    out = []
    for case_id, spec in CASES.items():
        c = _setup(case_id, spec, quick)
        peers = {"convkit": c["run_convkit"]}
        if c["run_torch"] is not None:
            peers["torch"] = c["run_torch"]
        if c["run_keras"] is not None:
            peers["keras"] = c["run_keras"]
        if c["run_oracle"] is not None:
            peers["numpy"] = c["run_oracle"]
        out.append(Case(case_id, "compute", 2 * c["macs"], peers, dtype=c["dtype"],
                        data_format=c["data_format"], shape=c["shape"], note=c.get("note", ""),
                        # the oracle and Keras return the user's layout, as convkit does
                        to_numpy={name: np.asarray for name in ("numpy", "keras")
                                  if name in peers}))
    return out


def _bind_torch(module):
    """Use the torch module the runner found (or none), for the module-level helpers."""
    global torch, F
    torch = module
    F = module.nn.functional if module is not None else None
