"""A runnable tour of convkit's layers: `make demo` (or `python notebooks/tour.py`).

Each step prints what a layer does to a small array, the Keras spelling of it, and the
numbers, so the output reads as a lesson.
"""

import numpy as np

import convkit
from convkit import layers, models


def show(title, array):
    print(f"\n== {title}: shape {array.shape}")
    print(np.array2string(np.squeeze(array), precision=3, suppress_small=True))


def main():
    convkit.show_config()
    image = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4, 1)
    show("input image (1, 4, 4, 1)", image)

    show("ZeroPadding2D(1)", layers.ZeroPadding2D(1)(image))
    show("Cropping2D(((1, 0), (0, 1)))", layers.Cropping2D(((1, 0), (0, 1)))(image))
    show("UpSampling2D(2)", layers.UpSampling2D(2)(image))
    show("UpSampling2D(2, interpolation='bilinear')",
         layers.UpSampling2D(2, interpolation="bilinear")(image))

    edge = layers.Conv2D(1, 3, padding="same", use_bias=False)
    edge.build(image.shape)
    edge.set_weights([np.array([[-1, 0, 1]] * 3, np.float32).reshape(3, 3, 1, 1)])
    show("Conv2D(1, 3, padding='same') with a horizontal-gradient kernel", edge(image))

    strided = layers.Conv2D(1, 3, strides=2, padding="same", kernel_initializer="ones",
                            use_bias=False)
    show("Conv2D(1, 3, strides=2, padding='same'): Keras pads (0, 1) on a 4-wide input",
         strided(image))

    signal = np.arange(1, 9, dtype=np.float32).reshape(1, 8, 1)
    causal = layers.Conv1D(1, 2, padding="causal", dilation_rate=2, kernel_initializer="ones",
                           use_bias=False)
    show("Conv1D(1, 2, padding='causal', dilation_rate=2): y[t] = x[t] + x[t-2]",
         causal(signal))

    up = layers.Conv2DTranspose(1, 3, strides=2, padding="same", kernel_initializer="ones",
                                use_bias=False)
    show("Conv2DTranspose(1, 3, strides=2, padding='same')", up(image))

    model = models.Sequential()
    model.add(layers.Cropping2D(cropping=((2, 2), (4, 4)), input_shape=(28, 28, 3)))
    model.add(layers.Conv2D(64, 5, activation="relu"))
    model.add(layers.SeparableConv2D(32, 3, padding="same", depth_multiplier=2))
    model.add(layers.UpSampling2D(2))
    print()
    model.summary()
    batch = np.random.default_rng(0).random((16, 28, 28, 3), dtype=np.float32)
    out = model.predict(batch, batch_size=8, verbose=0)
    print(f"\npredict on {batch.shape} -> {out.shape}, output_shape = {model.output_shape}")


if __name__ == "__main__":
    main()
