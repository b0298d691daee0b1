"""The benchmark suite as data: every case's shapes, arguments, work and inputs (NumPy only).

Each library's worker process (``benchmarks/worker.py``) builds its own callables from these
descriptions, so a worker imports only its own library, and every process makes bit-identical
inputs from the case id (a seeded generator per case), which lets the agreement step compare
outputs saved by different processes.

Groups: ``forward`` (the design notes' suite), ``training`` (forward + backward of the conv
cases, and one Adam step of a small autoencoder), ``pooling`` (MaxPooling2D/AveragePooling2D
forward, and forward + backward), and ``sweep`` (layers of real networks, forward:
``benchmarks/sweep.py``).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

GROUPS = ("forward", "training", "pooling")  # what "all" runs (``make bench``)
# the shape sweep (``benchmarks/sweep.py``, ``make bench-sweep``) runs on its own
ALL_GROUPS = GROUPS + ("sweep",)

# id -> (kind, batch, spatial, cin, cout, kernel, stride, padding, dtype, data_format, dilation)
# (also read by kernel_ab.py and bit_identity.py)
CONV_TABLE = {
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
    # a few thousand multiply-adds: the time is the call's own overhead, Python and kernel entry
    "conv2d_tiny": ("conv", 1, (8, 8), 4, 4, 3, 1, "same", "float32", "channels_last", 1),
}
FORWARD_ONLY = {"conv2d_tiny"}  # per-call overhead is a forward-pass question

CONV_QUICK = {  # tiny shapes so CI runs the whole script in seconds: (batch, spatial, cin, cout)
    "conv2d_large": (2, (12, 12), 16, 16), "conv2d_mid": (2, (10, 10), 8, 16),
    "conv2d_stem": (1, (32, 32), 3, 16), "conv2d_mnist": (4, (28, 28), 1, 8),
    "conv2d_large_f64": (2, (12, 12), 16, 16), "conv2d_large_cf": (2, (12, 12), 16, 16),
    "conv1d_causal": (2, (64,), 8, 8), "conv3d": (1, (8, 8, 8), 4, 8),
    "convT2d": (2, (8, 8), 8, 4), "conv2d_tiny": (1, (8, 8), 4, 4),
}


def separable_specs(quick: bool = False) -> list:
    """Depthwise and separable cases as dicts (also read by ``kernel_ab.py``)."""
    b, size, c = (1, 16, 16) if quick else (8, 56, 128)
    sb, ssize, sc = (1, 16, 16) if quick else (8, 64, 64)
    return [
        dict(id="depthwise2d", kind="depthwise", batch=b, size=size, c=c, m=1, k=3,
             dtype="float32"),
        dict(id="depthwise2d_f64", kind="depthwise", batch=b, size=size, c=c, m=1, k=3,
             dtype="float64"),
        dict(id="sepconv2d", kind="separable", batch=sb, size=ssize, c=sc, m=1, k=3, f=sc,
             dtype="float32"),
    ]


@dataclass
class Case:
    """One benchmark problem.

    ``work`` is FLOPs (2 x multiply-adds of the direct algorithm) for ``kind="compute"`` and
    bytes read + written for ``kind="memory"``. ``peers`` are the libraries that have the case;
    ``aligned`` maps a peer to ``True`` when its spelling computes the same numbers as convkit
    (the agreement step checks it) or to the reason it does not.
    """

    id: str
    group: str
    kind: str
    op: str
    work: float
    params: dict
    peers: tuple
    aligned: dict = field(default_factory=dict)
    dtype: str = "float32"
    data_format: str = "channels_last"
    shape: str = ""
    note: str = ""
    # an absolute allowance on top of the relative tolerance, for results that float32
    # rounding can move by more than their scale suggests
    atol: float = 0.0


def out_size(n: int, k: int, s: int, padding: str, d: int = 1) -> int:
    """Keras's output length of a convolution or pooling window along one axis."""
    if padding in ("same", "causal"):
        return -(-n // s)
    return (n - d * (k - 1) - 1) // s + 1


def torch_same_aligned(spatial: tuple, k: int, s: int, padding: str, d: int = 1) -> bool:
    """Whether PyTorch's symmetric padding ``(k - 1) * d // 2`` (its spelling of a strided
    "same" layer) places the windows where Keras's "same" split does, on every axis."""
    if padding != "same" or s == 1:
        return True
    for n in spatial:
        out = -(-n // s)
        before = max((out - 1) * s + (k - 1) * d + 1 - n, 0) // 2
        pad = (k - 1) * d // 2
        if before != pad or (n + 2 * pad - (k - 1) * d - 1) // s + 1 != out:
            return False
    return True


def conv_case(case_id: str, group: str, spec: tuple, training: bool = False, groups: int = 1,
              peers: tuple = ("convkit", "torch", "keras"), note: str = "") -> Case:
    """A conv or transposed-conv case from ``spec`` = (kind, batch, spatial, cin, cout,
    kernel, stride, padding, dtype, data_format, dilation), the layout of :data:`CONV_TABLE`
    (also used by the shape sweep, ``benchmarks/sweep.py``, with ``groups``)."""
    kind, n, spatial, cin, cout, k, s, padding, dtype, fmt, d = spec
    rank = len(spatial)
    if kind == "conv":
        out_spatial = tuple(out_size(x, k, s, padding, d) for x in spatial)
        macs = n * math.prod(out_spatial) * cout * k**rank * (cin // groups)
    else:  # transposed: every input pixel meets every tap once
        out_spatial = tuple(x * s if padding == "same" else (x - 1) * s + k for x in spatial)
        macs = n * math.prod(spatial) * cin * k**rank * cout
    params = dict(kind=kind, batch=n, spatial=spatial, out_spatial=out_spatial, cin=cin,
                  cout=cout, k=k, s=s, padding=padding, dilation=d, rank=rank, groups=groups)
    aligned = {"torch": True, "keras": True}
    if kind == "conv" and not torch_same_aligned(spatial, k, s, padding, d):
        aligned["torch"] = ("symmetric padding (PyTorch's spelling) shifts the stride-2 "
                            "windows by one pixel against Keras's 'same'")
    if kind == "convT" and padding == "same" and s > 1:
        aligned["torch"] = ("padding and output_padding give Keras's output size, "
                            "aligned differently")
    peers = tuple(p for p in peers if not (p == "keras" and (
        training or dtype != "float32" or padding == "causal")))
    shape = (f"b{n} {'x'.join(map(str, spatial))} {cin}->{cout} k{k} s{s} {padding}"
             + (f" d{d}" if d > 1 else "") + (f" g{groups}" if groups > 1 else ""))
    op = ("conv_train" if kind == "conv" else "convT_train") if training else kind
    # training: the forward, the input-gradient and the weight-gradient passes
    return Case(case_id, group, "compute", op, 2 * macs * (3 if training else 1), params,
                peers, {p: aligned[p] for p in peers if p != "convkit"}, dtype, fmt, shape,
                note)


def _conv_cases(quick: bool, training: bool) -> list:
    out = []
    for case_id, spec in CONV_TABLE.items():
        if training and case_id in FORWARD_ONLY:
            continue
        if quick:
            n, spatial, cin, cout = CONV_QUICK[case_id]
            spec = (spec[0], n, spatial, cin, cout, *spec[5:])
        out.append(conv_case(case_id + ("_train" if training else ""),
                             "training" if training else "forward", spec, training))
    return out


def _separable_cases(quick: bool, training: bool) -> list:
    out = []
    for spec in separable_specs(quick):
        if training and spec["dtype"] == "float64":
            continue  # the training suite has one depthwise row (float32)
        n, size, c, m, k = spec["batch"], spec["size"], spec["c"], spec["m"], spec["k"]
        sep = spec["kind"] == "separable"
        f = spec.get("f", 0)
        pixels = n * size * size  # "same", stride 1
        macs = pixels * c * m * k * k + (pixels * c * m * f if sep else 0)
        peers = ("convkit", "torch") + (("keras",) if spec["dtype"] == "float32"
                                        and not training else ())
        shape = (f"b{n} {size}x{size} C{c}" + (f"->{f}" if f else "") + f" k{k} same")
        op = spec["kind"] + ("_train" if training else "")
        out.append(Case(spec["id"] + ("_train" if training else ""),
                        "training" if training else "forward", "compute", op,
                        2 * macs * (3 if training else 1), dict(spec), peers,
                        {p: True for p in peers if p != "convkit"}, spec["dtype"],
                        "channels_last", shape))
    return out


def _memory_cases(quick: bool) -> list:
    b, s, c = (1, 16, 8) if quick else (8, 128, 64)
    crop = 2 if quick else 8
    nbytes = b * s * s * c * 4
    base = dict(batch=b, size=s, c=c)
    shape = f"b{b} {s}x{s} C{c}"
    peers = ("convkit", "torch", "numpy")
    aligned = {"torch": True, "numpy": True}
    return [
        Case("upsample2d_nearest", "forward", "memory", "upsample_nearest", 5 * nbytes,
             base, peers, aligned, shape=shape + " x2"),
        Case("upsample2d_bilinear", "forward", "memory", "upsample_bilinear", 5 * nbytes,
             base, peers, aligned, shape=shape + " x2"),
        Case("zeropad2d", "forward", "memory", "zeropad", nbytes + b * (s + 2) ** 2 * c * 4,
             base, peers, aligned, shape=shape + " pad 1"),
        Case("crop2d", "forward", "memory", "crop", 2 * b * (s - 2 * crop) ** 2 * c * 4,
             {**base, "crop": crop}, peers, aligned, shape=shape + f" crop {crop}"),
    ]


def _pooling_cases(quick: bool) -> list:
    b, s, c = (1, 16, 8) if quick else (8, 112, 64)
    out = []
    for layer, name in (("MaxPooling2D", "maxpool2d"), ("AveragePooling2D", "avgpool2d")):
        for pool, stride, padding in ((2, 2, "same"), (3, 2, "same")):
            o = out_size(s, pool, stride, padding)
            io_bytes = 4 * b * c * (s * s + o * o)
            # PyTorch's spelling: symmetric padding (pool - 1) // 2, Keras's output size
            torch_pad = (pool - 1) // 2
            params = dict(layer=layer, batch=b, size=s, c=c, pool=pool, stride=stride,
                          padding=padding, out=o, torch_padding=torch_pad)
            keras_before = max((o - 1) * stride + pool - s, 0) // 2
            aligned = True if keras_before == torch_pad else (
                "symmetric padding (PyTorch's spelling) shifts the stride-2 windows by one "
                "pixel against Keras's 'same'")
            shape = f"b{b} {s}x{s} C{c} {pool}x{pool} s{stride} {padding}"
            suffix = f"_{pool}x{pool}"
            # forward: read x, write y; forward + backward: also read dy, write dx
            out.append(Case(name + suffix, "pooling", "memory", "pool", io_bytes, params,
                            ("convkit", "torch"), {"torch": aligned}, shape=shape))
            out.append(Case(name + suffix + "_train", "pooling", "memory", "pool_train",
                            2 * io_bytes, params, ("convkit", "torch"), {"torch": aligned},
                            shape=shape))
    return out


def autoencoder_layers(quick: bool) -> dict:
    """The autoencoder of the training group: image size, batch and its four layers."""
    return dict(size=16 if quick else 64, batch=4 if quick else 64,
                layers=[("conv", 1, 16, 1), ("conv", 16, 32, 2), ("convT", 32, 16, 2),
                        ("conv", 16, 1, 1)])  # (kind, cin, cout, stride), all 3x3 "same"


def _autoencoder_case(quick: bool) -> Case:
    spec = autoencoder_layers(quick)
    size, batch = spec["size"], spec["batch"]
    macs, hw = 0, size * size
    for kind, cin, cout, stride in spec["layers"]:
        if kind == "conv":
            hw_out = hw // stride**2
            macs += batch * hw_out * cout * 9 * cin
        else:
            macs += batch * hw * cin * 9 * cout
            hw_out = hw * stride**2
        hw = hw_out
    torch_reason = ("stride-2 layers with PyTorch's symmetric padding align differently; "
                    "its Adam eps is 1e-8 (Keras 1e-7)")
    return Case("autoencoder_step", "training", "compute", "autoencoder", 2 * macs * 3,
                dict(spec), ("convkit", "torch", "keras"),
                {"torch": torch_reason, "keras": True},
                shape=f"b{batch} {size}x{size}x1, conv16-conv32/2-convT16/2-conv1, MSE, Adam",
                note="one train_on_batch",
                # Adam's first step moves a weight by lr * g / (|g| + eps): where a gradient is
                # near 0, float32 noise in it moves the zero-initialised biases by ~1e-7; the
                # training parity tests allow the same absolute 1e-6
                atol=1e-6)


def cases(quick: bool = False, groups=GROUPS) -> list:
    """Every case of the selected groups, in the order of the report."""
    out = []
    if "forward" in groups:
        out += _conv_cases(quick, False) + _separable_cases(quick, False) + \
            _memory_cases(quick)
    if "training" in groups:
        out += _conv_cases(quick, True) + _separable_cases(quick, True) + \
            [_autoencoder_case(quick)]
    if "pooling" in groups:
        out += _pooling_cases(quick)
    if "sweep" in groups:
        from benchmarks import sweep  # it builds its cases from this module's helpers

        out += sweep.cases(quick)
    return out


def rng_for(case: Case) -> np.random.Generator:
    """The same generator for a case in every process (seeded by its id)."""
    return np.random.default_rng(zlib.crc32(case.id.encode()))


def conv_arrays(case: Case) -> dict:
    """Inputs of a conv case in Keras layouts: ``x`` (the user's data format), ``kernel``,
    ``bias`` and, for training, ``dy`` (the output gradient, the user's data format)."""
    p, dt = case.params, case.dtype
    rng = rng_for(case)
    x = rng.uniform(-1, 1, (p["batch"], *p["spatial"], p["cin"])).astype(dt)
    k, rank = p["k"], p["rank"]
    cin_per_group = p["cin"] // p.get("groups", 1)
    fan_in = k**rank * cin_per_group
    if p["kind"] == "conv":
        kernel = rng.uniform(-1, 1, (k,) * rank + (cin_per_group, p["cout"]))
    else:
        kernel = rng.uniform(-1, 1, (k,) * rank + (p["cout"], p["cin"]))
    kernel = (kernel / math.sqrt(fan_in)).astype(dt)
    bias = rng.uniform(-0.1, 0.1, p["cout"]).astype(dt)
    dy = rng.uniform(-1, 1, (p["batch"], *p["out_spatial"], p["cout"])).astype(dt)
    if case.data_format == "channels_first":
        x, dy = np.ascontiguousarray(np.moveaxis(x, -1, 1)), \
            np.ascontiguousarray(np.moveaxis(dy, -1, 1))
    return dict(x=x, kernel=kernel, bias=bias, dy=dy)


def separable_arrays(case: Case) -> dict:
    """Inputs of a depthwise/separable case (the case's data format, Keras kernel layouts,
    output gradient for "same" stride-1 cases)."""
    p, dt = case.params, np.dtype(case.dtype)
    rng = rng_for(case)
    n, s, c, m, k = p["batch"], p["size"], p["c"], p["m"], p["k"]
    f = p.get("f", 0)
    x = rng.standard_normal((n, s, s, c)).astype(dt)
    if case.data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    dk = (rng.standard_normal((k, k, c, m)) / k).astype(dt)
    pk = (rng.standard_normal((1, 1, c * m, f)) / math.sqrt(c * m)).astype(dt) if f else None
    bias = rng.uniform(-0.1, 0.1, f if f else c * m).astype(dt)
    dy = rng.uniform(-1, 1, (n, s, s, f if f else c * m)).astype(dt)
    return dict(x=x, depthwise=dk, pointwise=pk, bias=bias, dy=dy)


def image_arrays(case: Case) -> dict:
    """NHWC float32 input (and the output gradient of pooling cases)."""
    p = case.params
    rng = rng_for(case)
    x = rng.standard_normal((p["batch"], p["size"], p["size"], p["c"])).astype(np.float32)
    out = dict(x=x)
    if "out" in p:
        out["dy"] = rng.standard_normal((p["batch"], p["out"], p["out"], p["c"])) \
            .astype(np.float32)
    return out


def autoencoder_arrays(case: Case) -> dict:
    """Images, targets (the images: an autoencoder) and initial weights in Keras layouts
    (kernel, bias per layer, Glorot-uniform kernels and zero biases as Keras starts)."""
    p = case.params
    rng = rng_for(case)
    x = rng.uniform(0, 1, (p["batch"], p["size"], p["size"], 1)).astype(np.float32)
    weights = []
    for kind, cin, cout, _ in p["layers"]:
        shape = (3, 3, cin, cout) if kind == "conv" else (3, 3, cout, cin)
        limit = math.sqrt(6 / (9 * cin + 9 * cout))
        weights += [rng.uniform(-limit, limit, shape).astype(np.float32),
                    np.zeros(cout, np.float32)]
    return dict(x=x, y=x, weights=weights)
