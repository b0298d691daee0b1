"""The shape sweep: convolution layers taken from real networks, forward, against PyTorch CPU.

``make bench-sweep`` (``benchmarks/run.py --group sweep``) times every layer below at batch 1
and at a training batch in channels_last, the 2-D layers at the training batch in
channels_first too, and a float64 subset, each library in its own process as in the suite.
The suite's handful of cases can hide a weak class of shapes; this table is where one shows.

Each entry names its network and layer; shapes are the layer's input (spatial, channels) as
the network feeds it at its usual input size. "same" padding throughout unless the network
pads otherwise (U-Net's valid convolutions are written "same", the common modern spelling).
"""

from __future__ import annotations

import re

from benchmarks.suite import Case, conv_case, out_size, torch_same_aligned

GROUP = "sweep"

# conv / convT rows: (network, layer, kind, spatial, cin, cout, kernel, stride, dilation,
# groups, padding)
CONV_LAYERS = [
    ("ResNet-18", "conv1", "conv", (224, 224), 3, 64, 7, 2, 1, 1, "same"),
    ("ResNet-18", "layer1.0.conv1", "conv", (56, 56), 64, 64, 3, 1, 1, 1, "same"),
    ("ResNet-18", "layer2.0.conv1", "conv", (56, 56), 64, 128, 3, 2, 1, 1, "same"),
    ("ResNet-18", "layer2.0.downsample", "conv", (56, 56), 64, 128, 1, 2, 1, 1, "same"),
    ("ResNet-18", "layer2.1.conv1", "conv", (28, 28), 128, 128, 3, 1, 1, 1, "same"),
    ("ResNet-18", "layer3.0.conv1", "conv", (28, 28), 128, 256, 3, 2, 1, 1, "same"),
    ("ResNet-18", "layer3.1.conv1", "conv", (14, 14), 256, 256, 3, 1, 1, 1, "same"),
    ("ResNet-18", "layer4.0.conv1", "conv", (14, 14), 256, 512, 3, 2, 1, 1, "same"),
    ("ResNet-18", "layer4.1.conv1", "conv", (7, 7), 512, 512, 3, 1, 1, 1, "same"),
    ("ResNet-50", "layer1.0.conv1", "conv", (56, 56), 64, 64, 1, 1, 1, 1, "same"),
    ("ResNet-50", "layer1.0.conv3", "conv", (56, 56), 64, 256, 1, 1, 1, 1, "same"),
    ("ResNet-50", "layer1.1.conv1", "conv", (56, 56), 256, 64, 1, 1, 1, 1, "same"),
    ("ResNet-50", "layer2.0.conv2", "conv", (56, 56), 128, 128, 3, 2, 1, 1, "same"),
    ("ResNet-50", "layer2.1.conv1", "conv", (28, 28), 512, 128, 1, 1, 1, 1, "same"),
    ("ResNet-50", "layer3.0.downsample", "conv", (28, 28), 512, 1024, 1, 2, 1, 1, "same"),
    ("ResNet-50", "layer3.1.conv2", "conv", (14, 14), 256, 256, 3, 1, 1, 1, "same"),
    ("ResNet-50", "layer4.1.conv1", "conv", (7, 7), 2048, 512, 1, 1, 1, 1, "same"),
    ("ResNeXt-50 32x4d", "layer1.0.conv2", "conv", (56, 56), 128, 128, 3, 1, 1, 32, "same"),
    ("ResNeXt-50 32x4d", "layer2.0.conv2", "conv", (56, 56), 256, 256, 3, 2, 1, 32, "same"),
    ("ResNeXt-50 32x4d", "layer2.1.conv2", "conv", (28, 28), 256, 256, 3, 1, 1, 32, "same"),
    ("ResNeXt-50 32x4d", "layer3.1.conv2", "conv", (14, 14), 512, 512, 3, 1, 1, 32, "same"),
    ("ResNeXt-50 32x4d", "layer4.1.conv2", "conv", (7, 7), 1024, 1024, 3, 1, 1, 32, "same"),
    ("MobileNetV2", "features.0 (stem)", "conv", (224, 224), 3, 32, 3, 2, 1, 1, "same"),
    ("MobileNetV2", "features.1 project", "conv", (112, 112), 32, 16, 1, 1, 1, 1, "same"),
    ("MobileNetV2", "features.2 expand", "conv", (112, 112), 16, 96, 1, 1, 1, 1, "same"),
    ("MobileNetV2", "features.17 project", "conv", (7, 7), 960, 320, 1, 1, 1, 1, "same"),
    ("MobileNetV2", "features.18 (head)", "conv", (7, 7), 320, 1280, 1, 1, 1, 1, "same"),
    ("EfficientNet-B0", "stem", "conv", (224, 224), 3, 32, 3, 2, 1, 1, "same"),
    ("EfficientNet-B0", "block3 expand", "conv", (28, 28), 40, 240, 1, 1, 1, 1, "same"),
    ("VGG-16", "conv1_2", "conv", (224, 224), 64, 64, 3, 1, 1, 1, "same"),
    ("VGG-16", "conv2_2", "conv", (112, 112), 128, 128, 3, 1, 1, 1, "same"),
    ("VGG-16", "conv3_3", "conv", (56, 56), 256, 256, 3, 1, 1, 1, "same"),
    ("VGG-16", "conv4_3", "conv", (28, 28), 512, 512, 3, 1, 1, 1, "same"),
    ("VGG-16", "conv5_3", "conv", (14, 14), 512, 512, 3, 1, 1, 1, "same"),
    ("ResNet-20 (CIFAR)", "stage1 conv", "conv", (32, 32), 16, 16, 3, 1, 1, 1, "same"),
    ("ResNet-20 (CIFAR)", "stage2 conv", "conv", (16, 16), 32, 32, 3, 1, 1, 1, "same"),
    ("ResNet-20 (CIFAR)", "stage3 conv", "conv", (8, 8), 64, 64, 3, 1, 1, 1, "same"),
    ("U-Net", "enc1 conv1", "conv", (256, 256), 3, 64, 3, 1, 1, 1, "same"),
    ("U-Net", "enc1 conv2", "conv", (256, 256), 64, 64, 3, 1, 1, 1, "same"),
    ("U-Net", "bottleneck conv1", "conv", (16, 16), 512, 1024, 3, 1, 1, 1, "same"),
    ("U-Net", "up4 transpose", "convT", (16, 16), 1024, 512, 2, 2, 1, 1, "same"),
    ("U-Net", "up1 transpose", "convT", (128, 128), 128, 64, 2, 2, 1, 1, "same"),
    ("U-Net", "dec1 conv1", "conv", (256, 256), 128, 64, 3, 1, 1, 1, "same"),
    ("U-Net", "head 1x1", "conv", (256, 256), 64, 2, 1, 1, 1, 1, "same"),
    ("DCGAN", "G convT2", "convT", (4, 4), 512, 256, 4, 2, 1, 1, "same"),
    ("DCGAN", "G convT3", "convT", (8, 8), 256, 128, 4, 2, 1, 1, "same"),
    ("DCGAN", "G convT4", "convT", (16, 16), 128, 64, 4, 2, 1, 1, "same"),
    ("DCGAN", "G convT5 (to RGB)", "convT", (32, 32), 64, 3, 4, 2, 1, 1, "same"),
    ("DCGAN", "D conv1", "conv", (64, 64), 3, 64, 4, 2, 1, 1, "same"),
    ("DCGAN", "D conv2", "conv", (32, 32), 64, 128, 4, 2, 1, 1, "same"),
    ("DCGAN", "D conv3", "conv", (16, 16), 128, 256, 4, 2, 1, 1, "same"),
    ("WaveNet-style", "dilated conv d1", "conv", (4096,), 64, 128, 2, 1, 1, 1, "causal"),
    ("WaveNet-style", "dilated conv d8", "conv", (4096,), 64, 128, 2, 1, 8, 1, "causal"),
    ("WaveNet-style", "dilated conv d64", "conv", (4096,), 64, 128, 2, 1, 64, 1, "causal"),
    ("WaveNet-style", "dilated conv d512", "conv", (4096,), 64, 128, 2, 1, 512, 1, "causal"),
    ("WaveNet-style", "residual 1x1", "conv", (4096,), 64, 64, 1, 1, 1, 1, "same"),
    ("C3D", "conv1a", "conv", (16, 112, 112), 3, 64, 3, 1, 1, 1, "same"),
    ("C3D", "conv2a", "conv", (16, 56, 56), 64, 128, 3, 1, 1, 1, "same"),
    ("C3D", "conv3b", "conv", (8, 28, 28), 256, 256, 3, 1, 1, 1, "same"),
    ("C3D", "conv5b", "conv", (2, 7, 7), 512, 512, 3, 1, 1, 1, "same"),
    ("3-D U-Net", "enc1 conv1", "conv", (64, 64, 64), 1, 32, 3, 1, 1, 1, "same"),
    ("3-D U-Net", "enc2 conv", "conv", (32, 32, 32), 64, 64, 3, 1, 1, 1, "same"),
    ("3-D U-Net", "up transpose", "convT", (16, 16, 16), 128, 64, 2, 2, 1, 1, "same"),
]

# depthwise / separable rows: (network, layer, kind, size, channels, depth multiplier,
# kernel, stride, filters of the pointwise part (separable))
DEPTHWISE_LAYERS = [
    ("MobileNetV2", "features.1 depthwise", "depthwise", 112, 32, 1, 3, 1, 0),
    ("MobileNetV2", "features.2 depthwise s2", "depthwise", 112, 96, 1, 3, 2, 0),
    ("MobileNetV2", "features.4 depthwise", "depthwise", 56, 144, 1, 3, 1, 0),
    ("MobileNetV2", "features.7 depthwise", "depthwise", 28, 192, 1, 3, 1, 0),
    ("MobileNetV2", "features.11 depthwise", "depthwise", 14, 384, 1, 3, 1, 0),
    ("MobileNetV2", "features.17 depthwise", "depthwise", 7, 960, 1, 3, 1, 0),
    ("EfficientNet-B0", "block3 depthwise 5x5 s2", "depthwise", 56, 144, 1, 5, 2, 0),
    ("EfficientNet-B0", "block3 depthwise 5x5", "depthwise", 28, 240, 1, 5, 1, 0),
    ("EfficientNet-B0", "block6 depthwise 5x5", "depthwise", 7, 1152, 1, 5, 1, 0),
    ("Xception", "middle flow sepconv", "separable", 19, 728, 1, 3, 1, 728),
    ("Xception", "entry flow sepconv", "separable", 75, 128, 1, 3, 1, 256),
]

# the training batch per family: large images at 8, CIFAR at 128, 3-D at 2, audio at 8
TRAINING_BATCH = {"ResNet-20 (CIFAR)": 128, "C3D": 4, "3-D U-Net": 2, "DCGAN": 64}
DEFAULT_TRAINING_BATCH = 8
# float64 rows: the ResNet-18 layers at batch 1
FLOAT64_NETWORK = "ResNet-18"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _quick_conv(spatial, cin, cout, k, d, groups, kind):
    """Tiny stand-ins for the smoke test: same kinds and arguments, small sizes."""
    def shrink(c):
        return max(groups, (max(1, c // 16) // groups) * groups)
    size = max(2 * k * d, 8)
    return tuple(min(n, size) for n in spatial), shrink(cin), \
        shrink(cout) if kind == "conv" else max(1, cout // 16)


def _variants(rank: int, network: str, quick: bool):
    """``(batch, data_format, dtype)`` of each row's cases."""
    train = 2 if quick else TRAINING_BATCH.get(network, DEFAULT_TRAINING_BATCH)
    out = [(1, "channels_last", "float32"), (train, "channels_last", "float32")]
    if rank == 2:
        out.append((train, "channels_first", "float32"))
    if network == FLOAT64_NETWORK:
        out.append((1, "channels_last", "float64"))
    return out


def _case_id(network, layer, n, fmt, dtype):
    return (f"{_slug(network)}.{_slug(layer)}.b{n}" + ("_cf" if fmt == "channels_first" else "")
            + ("_f64" if dtype == "float64" else ""))


def _conv_cases(quick: bool) -> list:
    out = []
    for network, layer, kind, spatial, cin, cout, k, s, d, groups, padding in CONV_LAYERS:
        if quick:
            spatial, cin, cout = _quick_conv(spatial, cin, cout, k, d, groups, kind)
        for n, fmt, dtype in _variants(len(spatial), network, quick):
            spec = (kind, n, spatial, cin, cout, k, s, padding, dtype, fmt, d)
            out.append(conv_case(_case_id(network, layer, n, fmt, dtype), GROUP, spec,
                                 groups=groups, peers=("convkit", "torch"),
                                 note=f"{network} {layer}"))
    return out


def _depthwise_cases(quick: bool) -> list:
    out = []
    for network, layer, kind, size, c, m, k, s, f in DEPTHWISE_LAYERS:
        if quick:
            size, c, f = min(size, 12), max(1, c // 32), max(1, f // 32) if f else 0
        o = out_size(size, k, s, "same")
        for n, fmt, dtype in _variants(2, network, quick):
            macs = n * o * o * c * m * k * k + (n * o * o * c * m * f if f else 0)
            params = dict(id=_case_id(network, layer, n, fmt, dtype), kind=kind, batch=n,
                          size=size, c=c, m=m, k=k, s=s, f=f, dtype=dtype)
            aligned = True if torch_same_aligned((size,), k, s, "same") else (
                "symmetric padding (PyTorch's spelling) shifts the stride-2 windows by one "
                "pixel against Keras's 'same'")
            shape = (f"b{n} {size}x{size} C{c}" + (f"->{f}" if f else "") + f" k{k} s{s} same")
            out.append(Case(params["id"], GROUP, "compute", kind, 2 * macs, params,
                            ("convkit", "torch"), {"torch": aligned}, dtype, fmt, shape,
                            f"{network} {layer}"))
    return out


def cases(quick: bool = False) -> list:
    """Every sweep case, conv/transposed rows first, then depthwise and separable rows."""
    return _conv_cases(quick) + _depthwise_cases(quick)
