"""Bit-identity check of depthwise, separable and resampling outputs across two builds.

Computes the outputs of the benchmark suite's depthwise/separable cases
and resampling cases (their shapes as in ``benchmarks/suite.py``), plus a
few small shapes that reach the other kernel paths (depth multiplier, strides, dilation, 5x5
and 1-wide kernels, relu and bias, ragged channel counts, every resize mode), for float32 and
float64, both data formats and 1, 2 and 3 threads, with whichever ``convkit`` it imports, and
records a SHA-256 digest of every output's bytes (with its dtype and shape) in an ``.npz``.

    # in the old tree (its own convkit is imported from the working directory)
    python benchmarks/bit_identity_dw.py save /tmp/dw_before.npz
    # in the new tree
    python benchmarks/bit_identity_dw.py compare /tmp/dw_before.npz

``compare`` prints every differing output and exits 1 if any differs or is missing. Both modes
also check that the thread counts agree with each other.
"""

import hashlib
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.getcwd())  # the tree being checked, not an installed convkit

import convkit  # noqa: E402
from convkit import ops  # noqa: E402

THREADS = (1, 2, 3)
DTYPES = ("float32", "float64")
FORMATS = ("channels_last", "channels_first")


def _nchw(x):
    return np.ascontiguousarray(np.moveaxis(x, -1, 1))


def _depthwise_cases():
    """(name, batch, spatial, C, M, kernel_size, F or None, kwargs)."""
    return [
        # benchmarks/suite.py: depthwise2d, depthwise2d_f64 (one shape, both dtypes
        # here), sepconv2d
        ("depthwise2d", 8, (56, 56), 128, 1, (3, 3), None, dict(padding="same")),
        ("sepconv2d", 8, (64, 64), 64, 1, (3, 3), 64, dict(padding="same")),
        # other kernel paths, small
        ("dw_m2_s2", 2, (17, 19), 12, 2, (3, 3), None, dict(padding="same", strides=2)),
        ("dw_5x5_relu_bias", 2, (20, 23), 40, 1, (5, 5), None,
         dict(padding="same", activation="relu", bias=True)),
        ("dw_1x5_s2", 1, (9, 40), 16, 1, (1, 5), None, dict(padding="same", strides=(1, 2))),
        ("dw_1x3_valid", 3, (8, 30), 33, 1, (1, 3), None, dict(padding="valid")),
        ("dw_dil2", 2, (21, 21), 20, 1, (3, 3), None, dict(padding="same", dilation_rate=2)),
        ("dw_4x2", 2, (13, 11), 7, 3, (4, 2), None, dict(padding="valid")),
        ("dw_1d", 4, (50,), 24, 1, (3,), None, dict(padding="same")),
        ("dw_3d", 1, (6, 7, 8), 16, 1, (3, 3, 3), None, dict(padding="same")),
        ("sep_m2_f37", 2, (15, 18), 10, 2, (3, 3), 37,
         dict(padding="same", activation="relu", bias=True)),
        ("sep_5x5_s2", 2, (19, 20), 32, 1, (5, 5), 20, dict(padding="valid", strides=2)),
        ("sep_1d", 3, (40,), 8, 1, (5,), 16, dict(padding="same", bias=True)),
    ]


def _depthwise_outputs(dtype, data_format):
    for name, n, spatial, c, m, ks, f, kw in _depthwise_cases():
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        x = rng.standard_normal((n, *spatial, c)).astype(dtype)
        k = (rng.standard_normal((*ks, c, m)) / np.prod(ks)).astype(dtype)
        kw = dict(kw)
        bias = kw.pop("bias", False)
        if data_format == "channels_first":
            x = _nchw(x)
        if f is None:
            b = rng.standard_normal(c * m).astype(dtype) if bias else None
            yield name, lambda x=x, k=k, kw=kw, b=b: ops.depthwise_conv(
                x, k, data_format=data_format, bias=b, **kw)
        else:
            p = (rng.standard_normal((1,) * len(ks) + (c * m, f)) / np.sqrt(c * m)).astype(dtype)
            b = rng.standard_normal(f).astype(dtype) if bias else None
            yield name, lambda x=x, k=k, p=p, kw=kw, b=b: ops.separable_conv(
                x, k, p, data_format=data_format, bias=b, **kw)


def _resample_outputs(dtype, data_format):
    # benchmarks/suite.py: b8 128x128 C64, x2 nearest and bilinear, pad 1, crop 8
    x = np.random.default_rng(0).standard_normal((8, 128, 128, 64)).astype(dtype)
    small = np.random.default_rng(1).standard_normal((3, 9, 13, 5)).astype(dtype)
    vol = np.random.default_rng(2).standard_normal((2, 5, 6, 7, 3)).astype(dtype)
    if data_format == "channels_first":
        x, small, vol = _nchw(x), _nchw(small), _nchw(vol)
    kw = dict(data_format=data_format)
    yield "upsample2d_nearest", lambda: ops.upsample(x, (2, 2), **kw)
    yield "upsample2d_bilinear", lambda: ops.upsample(x, (2, 2), interpolation="bilinear", **kw)
    yield "zeropad2d", lambda: ops.zero_pad(x, [(1, 1), (1, 1)], **kw)
    yield "crop2d", lambda: ops.crop(x, [(8, 8), (8, 8)], **kw)
    for mode in ("bilinear", "bicubic", "lanczos3", "lanczos5"):
        yield f"small_{mode}_3x2", lambda mode=mode: ops.upsample(
            small, (3, 2), interpolation=mode, **kw)
    yield "small_nearest_2x3", lambda: ops.upsample(small, (2, 3), **kw)
    yield "small_pad_crop", lambda: ops.crop(ops.zero_pad(small, [(2, 0), (1, 3)], **kw),
                                             [(1, 1), (0, 2)], **kw)
    yield "vol_bicubic", lambda: ops.upsample(vol, (2, 1, 3), interpolation="bicubic", **kw)
    yield "vol_nearest", lambda: ops.upsample(vol, 2, **kw)


def digests() -> dict:
    out = {}
    for dtype in DTYPES:
        for data_format in FORMATS:
            for source in (_depthwise_outputs, _resample_outputs):
                for name, fn in source(dtype, data_format):
                    per_thread = []
                    for t in THREADS:
                        with convkit.num_threads(t):
                            y = fn()
                        h = hashlib.sha256(np.ascontiguousarray(y).tobytes())
                        h.update(f"{y.dtype.str}{y.shape}".encode())
                        per_thread.append(h.hexdigest())
                        out[f"{name}|{dtype}|{data_format}|t{t}"] = h.hexdigest()
                    if len(set(per_thread)) != 1:
                        print(f"THREAD-DEPENDENT: {name} {dtype} {data_format}")
    return out


def main(argv):
    if len(argv) != 3 or argv[1] not in ("save", "compare"):
        raise SystemExit(__doc__)
    found = digests()
    print(f"convkit from {os.path.dirname(convkit.__file__)}, ISA {convkit._kernels.ISA}, "
          f"{len(found)} outputs")
    if argv[1] == "save":
        np.savez(argv[2], **{k: np.array(v) for k, v in found.items()})
        print(f"saved {argv[2]}")
        return 0
    with np.load(argv[2]) as ref:
        before = {k: str(ref[k]) for k in ref.files}
    bad = sorted(k for k in before if found.get(k) != before[k])
    bad += sorted(k for k in found if k not in before)
    for k in bad:
        print("DIFFERS:" if k in before and k in found else "MISSING:", k)
    print(f"{len(before) - len(bad)} of {len(before)} outputs bit-identical"
          if bad else f"all {len(before)} outputs bit-identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
