"""PyTorch CPU's side of every case, spelled as its users write it.

Inputs and weights in ``channels_last`` (``channels_last_3d``) memory format (NCHW contiguous
for the ``channels_first`` case; Conv1D has no channels-last format, NCL is its layout);
forward cases under ``torch.inference_mode()``; native symmetric padding where it gives
Keras's output size and work (``padding="same"`` for stride 1, ``(k - 1) // 2`` otherwise),
``F.pad`` + a valid conv for causal, ``conv_transpose2d(..., padding=1, output_padding=1)``
for the stride-2 transposed case; training cases: forward then ``.backward(dy)`` with
``requires_grad`` on the input and the weights (gradients reset to ``None`` between calls,
as ``optimizer.zero_grad()`` does). Results are converted to Keras layouts for the agreement
step, outside the timing.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from benchmarks import suite

LIBRARY = "torch"


def version() -> str:
    return torch.__version__


def set_threads(n: int) -> None:
    torch.set_num_threads(n)


def _memory_format(rank: int, data_format: str):
    if data_format == "channels_first" or rank == 1:
        return torch.contiguous_format
    return torch.channels_last if rank == 2 else torch.channels_last_3d


def _to_torch(a: np.ndarray, rank: int, data_format: str, grad: bool = False):
    """A Keras-layout activation as a torch tensor (N, C, spatial...) in its memory format."""
    t = torch.from_numpy(a)
    if data_format == "channels_last":
        t = t.permute(0, rank + 1, *range(1, rank + 1))
    t = t.contiguous(memory_format=_memory_format(rank, data_format))
    return t.requires_grad_(grad)


def _to_keras(t, rank: int, data_format: str) -> np.ndarray:
    t = t.detach()
    if data_format == "channels_last":
        t = t.permute(0, *range(2, rank + 2), 1)
    return np.ascontiguousarray(t.numpy())


def _kernel_to_torch(kernel: np.ndarray, rank: int, data_format: str, grad: bool = False):
    """Keras (k..., a, b) -> torch (b, a, k...): conv (out, in, k...), transposed (in, out,
    k...)."""
    w = torch.from_numpy(np.ascontiguousarray(np.moveaxis(kernel, (-1, -2), (0, 1))))
    return w.contiguous(memory_format=_memory_format(rank, data_format)).requires_grad_(grad)


def _kernel_to_keras(g) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(g.detach().numpy(), (0, 1), (-1, -2)))


def _conv_fn(case):
    """``f(x, w, b)`` computing the case's layer in PyTorch's spelling."""
    p = case.params
    rank, k, s, d, padding = p["rank"], p["k"], p["s"], p["dilation"], p["padding"]
    if p["kind"] == "convT":
        convt = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[rank]
        pad = ((k - 1) * d + 1 - s + 1) // 2 if padding == "same" else 0
        # the output_padding that gives Keras's output size (n * s for "same")
        n = p["spatial"][0]
        out_pad = p["out_spatial"][0] - ((n - 1) * s - 2 * pad + (k - 1) * d + 1)
        return lambda x, w, b: convt(x, w, b, stride=s, padding=pad, output_padding=out_pad,
                                     dilation=d)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank]
    groups = p.get("groups", 1)
    if padding == "causal":
        left = d * (k - 1)
        return lambda x, w, b: conv(F.pad(x, (left, 0)), w, b, dilation=d, groups=groups)
    if padding == "same" and s == 1:
        tpad = "same"
    elif padding == "same":
        tpad = (k - 1) * d // 2  # symmetric: Keras's output size and work
    else:
        tpad = 0
    return lambda x, w, b: conv(x, w, b, stride=s, padding=tpad, dilation=d, groups=groups)


def _inference(fn):
    def run():
        with torch.inference_mode():
            return fn()
    return run


def _conv(case):
    a, p, fmt = suite.conv_arrays(case), case.params, case.data_format
    rank, f = p["rank"], _conv_fn(case)
    training = case.op.endswith("_train")
    x = _to_torch(a["x"], rank, fmt, training)
    w = _kernel_to_torch(a["kernel"], rank, fmt, training)
    if not training:
        run = _inference(lambda: f(x, w, None))
        return run, lambda: {"y": _to_keras(run(), rank, fmt)}
    b = torch.from_numpy(a["bias"]).requires_grad_(True)
    dy = _to_torch(a["dy"], rank, fmt)
    return _backward(lambda: f(x, w, b), dy, x, [w, b], rank, fmt)


def _backward(forward, dy, x, params, rank, fmt, kernel_to_keras=_kernel_to_keras):
    def run():
        x.grad = None
        for t in params:
            t.grad = None
        forward().backward(dy)

    def result():
        run()
        out = {"dx": _to_keras(x.grad, rank, fmt)}
        for i, t in enumerate(params):
            g = t.grad
            out[f"d{i}"] = kernel_to_keras(g) if g.ndim > 1 else g.detach().numpy().copy()
        return out
    return run, result


def _separable(case):
    a, p = suite.separable_arrays(case), case.params
    c, m, k, f = p["c"], p["m"], p["k"], p.get("f", 0)
    s, fmt = p.get("s", 1), case.data_format
    training = case.op.endswith("_train")
    x = _to_torch(a["x"], 2, fmt, training)
    # (k, k, C, M) -> (C*M, 1, k, k): output channel c*M + m, as in Keras
    dw = torch.from_numpy(np.ascontiguousarray(a["depthwise"].transpose(2, 3, 0, 1))) \
        .reshape(c * m, 1, k, k).requires_grad_(training)
    pw = (torch.from_numpy(np.ascontiguousarray(a["pointwise"][0, 0].T)).reshape(f, c * m, 1, 1)
          .requires_grad_(training) if f else None)
    bias = torch.from_numpy(a["bias"]).requires_grad_(training)

    def forward(b):
        # k odd: Keras's "same" output size (and its windows too at stride 1)
        y = F.conv2d(x, dw, None if f else b, stride=s, padding=k // 2, groups=c)
        return F.conv2d(y, pw, b) if f else y
    if not training:
        run = _inference(lambda: forward(None))
        return run, lambda: {"y": _to_keras(run(), 2, fmt)}

    def to_keras(g):
        g = g.detach().numpy()
        if g.shape[1] == 1:  # depthwise (C*M, 1, k, k) -> (k, k, C, M)
            return np.ascontiguousarray(g.reshape(c, m, k, k).transpose(2, 3, 0, 1))
        return np.ascontiguousarray(g.reshape(f, c * m).T[None, None])  # pointwise
    dy = _to_torch(a["dy"], 2, "channels_last")
    params = [dw, pw, bias] if f else [dw, bias]
    return _backward(lambda: forward(bias), dy, x, params, 2, "channels_last", to_keras)


def _memory(case):
    x = _to_torch(suite.image_arrays(case)["x"], 2, "channels_last")
    crop, cl = case.params.get("crop"), torch.channels_last
    fn = {"upsample_nearest": lambda: F.interpolate(x, scale_factor=2, mode="nearest"),
          "upsample_bilinear": lambda: F.interpolate(x, scale_factor=2, mode="bilinear",
                                                     align_corners=False),
          "zeropad": lambda: F.pad(x, (1, 1, 1, 1)).contiguous(memory_format=cl),
          "crop": lambda: x[:, :, crop:-crop, crop:-crop].contiguous(memory_format=cl)
          }[case.op]
    run = _inference(fn)
    return run, lambda: {"y": _to_keras(run(), 2, "channels_last")}


def _pool(case):
    a, p = suite.image_arrays(case), case.params
    training = case.op == "pool_train"
    x = _to_torch(a["x"], 2, "channels_last", training)
    k, s, pad = p["pool"], p["stride"], p["torch_padding"]
    if p["layer"] == "MaxPooling2D":
        def forward():
            return F.max_pool2d(x, k, s, padding=pad)
    else:  # Keras averages over the window's pixels inside the input
        def forward():
            return F.avg_pool2d(x, k, s, padding=pad, count_include_pad=False)
    if not training:
        run = _inference(forward)
        return run, lambda: {"y": _to_keras(run(), 2, "channels_last")}
    return _backward(forward, _to_torch(a["dy"], 2, "channels_last"), x, [], 2,
                     "channels_last")


def _autoencoder(case):
    a, p = suite.autoencoder_arrays(case), case.params
    modules = []
    for kind, cin, cout, stride in p["layers"]:
        if kind == "conv":
            modules.append(torch.nn.Conv2d(cin, cout, 3, stride=stride, padding=1))
        else:
            modules.append(torch.nn.ConvTranspose2d(cin, cout, 3, stride=stride, padding=1,
                                                    output_padding=1))
        modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules[:-1]).to(memory_format=torch.channels_last)
    with torch.no_grad():
        convs = [mod for mod in model if not isinstance(mod, torch.nn.ReLU)]
        for i, mod in enumerate(convs):
            mod.weight.copy_(_kernel_to_torch(a["weights"][2 * i], 2, "channels_last"))
            mod.bias.copy_(torch.from_numpy(a["weights"][2 * i + 1]))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = _to_torch(a["x"], 2, "channels_last")
    y = _to_torch(a["y"], 2, "channels_last")
    loss_fn = torch.nn.MSELoss()

    def run():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    def result():
        loss = run()
        weights = []
        for mod in convs:
            weights += [_kernel_to_keras(mod.weight), mod.bias.detach().numpy().copy()]
        return {"loss": np.asarray(loss.item()),
                **{f"w{i}": w for i, w in enumerate(weights)}}
    return run, result


def build(case):
    if case.op in ("conv", "convT", "conv_train", "convT_train"):
        return _conv(case)
    if case.op.startswith(("depthwise", "separable")):
        return _separable(case)
    if case.op.startswith("pool"):
        return _pool(case)
    if case.op == "autoencoder":
        return _autoencoder(case)
    return _memory(case)
