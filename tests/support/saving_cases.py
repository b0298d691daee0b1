"""One small model per layer class for the saving tests: class name, arguments, input shape."""

import numpy as np

# (class name, constructor arguments, input shape without batch, channels last)
LAYER_CASES = [
    ("Conv1D", dict(filters=3, kernel_size=3, strides=2, padding="same"), (9, 2)),
    ("Conv2D", dict(filters=4, kernel_size=3, dilation_rate=2, groups=2, activation="relu"),
     (8, 8, 2)),
    ("Conv3D", dict(filters=2, kernel_size=2, padding="same"), (4, 4, 4, 2)),
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2), (5, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same",
                             output_padding=1), (4, 4, 3)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2), (3, 3, 3, 2)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2), (7, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2, activation="tanh"), (6, 6, 2)),
    ("SeparableConv1D", dict(filters=3, kernel_size=3, depth_multiplier=2), (7, 2)),
    ("SeparableConv2D", dict(filters=3, kernel_size=3, padding="same"), (6, 6, 2)),
    ("Cropping1D", dict(cropping=(1, 2)), (8, 2)),
    ("Cropping2D", dict(cropping=((1, 0), (2, 1))), (6, 6, 2)),
    ("Cropping3D", dict(cropping=1), (4, 5, 4, 2)),
    ("ZeroPadding1D", dict(padding=(1, 2)), (5, 2)),
    ("ZeroPadding2D", dict(padding=((1, 0), (0, 2))), (4, 4, 2)),
    ("ZeroPadding3D", dict(padding=1), (3, 3, 3, 2)),
    ("UpSampling1D", dict(size=2), (5, 2)),
    ("UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), (4, 4, 2)),
    ("UpSampling3D", dict(size=2), (3, 3, 3, 2)),
]

# classes without a data_format argument run channels-last only
NO_DATA_FORMAT = {"Cropping1D", "UpSampling1D"}


def format_cases():
    """``(class name, kwargs, input shape, data format)`` for every class and format."""
    out = []
    for name, kwargs, shape in LAYER_CASES:
        for fmt in ("channels_last", "channels_first"):
            if fmt == "channels_first" and name in NO_DATA_FORMAT:
                continue
            args = dict(kwargs) if name in NO_DATA_FORMAT else dict(kwargs, data_format=fmt)
            in_shape = shape if fmt == "channels_last" else (shape[-1], *shape[:-1])
            out.append((name, args, in_shape, fmt))
    return out


def inputs(shape, batch=2, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((batch, *shape)).astype(np.float32)


def assert_same_outputs(actual, expected) -> None:
    """float32 comparison: rtol 1e-5, absolute floor relative to the output's magnitude."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * max(scale, 1e-6))


def h5_layout(path_or_file) -> dict:
    """``{h5 path: ("group", attrs) | ("dataset", shape, dtype)}`` of a weights file."""
    import h5py

    layout = {}

    def note(name, item):
        if isinstance(item, h5py.Dataset):
            layout[name] = ("dataset", item.shape, item.dtype.str)
        else:
            layout[name] = ("group", {k: str(v) for k, v in item.attrs.items()})

    with h5py.File(path_or_file, "r") as f:
        f.visititems(note)
    return layout
