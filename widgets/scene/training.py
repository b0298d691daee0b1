"""A Conv2D learning a known 3×3 kernel from photos: the run, in chunks, and its scene.

:class:`TrainingRun` owns a one-filter ``convkit`` ``Conv2D`` (no bias, ``padding="same"``)
compiled with mean squared error, three standardised sample photos (mean 0, std 1 each, so one
learning rate suits them all) and their targets, the photos filtered by the known kernel with
``ops.conv``. It trains with ``model.fit`` one small chunk at a time (a callback records each
epoch's loss from fit's own logs) or with ``train_on_batch`` one photo at a time, and starts
from the same seeded kernel on every reset. No widget code here: tests and the benchmark drive
it directly.
"""

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from convkit import callbacks, layers, models, ops, optimizers

from .. import samples
from .filters import DESCRIPTIONS, kernel_for
from .panes import Badge, Pane, compare

#: Kernels the lab can learn (3×3 correlation kernels, as Keras applies them).
TARGETS = ("Sobel x", "Sobel y", "box blur", "Gaussian", "sharpen", "Laplacian", "emboss",
           "identity")
#: Optimizer choices → default learning rate. Measured over 60 epochs (180 batches) from seed
#: 0: SGD + momentum 0.05 and Adam 0.2 reach Sobel x within 1e-3; plain SGD 0.1 gets within
#: ~0.1 (0.2 diverges: a lesson in itself); RMSprop 0.02 hovers near the target (its steps
#: stay ~lr in size however small the gradient).
OPTIMIZERS = {"SGD + momentum": 0.05, "SGD": 0.1, "Adam": 0.2, "RMSprop": 0.02}
PHOTOS = ("Grace Hopper", "MRI slice", "letter K")
BATCHES_PER_EPOCH = len(PHOTOS)   # batch_size=1 over the three photos


def training_photos(size: int = 48) -> np.ndarray:
    """The three photos, ``(3, size, size, 1)`` float32, each standardised to mean 0, std 1."""
    return _photos(int(size)).copy()


@lru_cache(maxsize=4)
def _photos(size: int) -> np.ndarray:
    # decoding and resampling the samples is most of a new run's cost: once per size
    photos = np.stack([samples.grace_hopper((size, size)), samples.mri_slice((size, size)),
                       samples.downsample(samples.glyph("K", size), (size, size))])
    photos = photos.astype(np.float64)
    photos = (photos - photos.mean(axis=(1, 2), keepdims=True)) / photos.std(axis=(1, 2),
                                                                             keepdims=True)
    return photos[..., None].astype(np.float32)


def make_optimizer(name: str, learning_rate: float):
    """A fresh convkit optimizer (fresh state: momentum and moments start at zero)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"`optimizer` must be one of {tuple(OPTIMIZERS)}. Received: {name!r}")
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"`learning_rate` must be a positive number. Received: "
                         f"{learning_rate!r}")
    if name == "SGD + momentum":
        return optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
    return getattr(optimizers, name)(learning_rate=learning_rate)


def _quiet_overflow():
    """Too large a learning rate makes the weights blow up: the lab shows that (a curve that
    leaves the chart, "diverged") instead of raising numpy's overflow warnings."""
    return np.errstate(over="ignore", invalid="ignore")


class _EpochLosses(callbacks.Callback):
    """Appends fit's epoch loss (its own logs) to the run's curve, then calls ``on_epoch``."""

    def __init__(self, run, on_epoch=None):
        super().__init__()
        self.run, self.on_epoch = run, on_epoch

    def on_epoch_end(self, epoch, logs=None):
        self.run.batches += BATCHES_PER_EPOCH
        self.run.epochs += 1
        self.run.curve.append((self.run.batches, float(logs["loss"])))
        if self.on_epoch is not None:
            self.on_epoch(self.run)


@dataclass
class TrainingScene:
    """What the lab shows after a chunk: kernel panes, feature maps, the curve and badges."""

    panes: list                  # learned kernel, target kernel (numbers)
    photo: np.ndarray            # the shown photo (standardised)
    feature_map: np.ndarray      # model.predict on it
    target_map: np.ndarray
    curve: list                  # (batches seen, loss)
    loss: float                  # model.evaluate over the three photos, current weights
    badges: list
    caption: str
    sentences: list = field(default_factory=list)

    @property
    def aria_label(self) -> str:
        return self.caption


class TrainingRun:
    """One training run, resumable in chunks.

    Parameters
    ----------
    target : str
        One of :data:`TARGETS`.
    optimizer : str
        One of :data:`OPTIMIZERS`.
    learning_rate : float, optional
        Default: the optimizer's entry in :data:`OPTIMIZERS`.
    seed : int
        Seeds the starting kernel (normal, std 0.3).
    size : int
        Photo side.

    Examples
    --------
    >>> run = TrainingRun("Sobel x", size=16)
    >>> _ = run.fit_epochs(60)
    >>> bool(run.kernel_error() < 0.1)
    True
    """

    def __init__(self, target: str = "Sobel x", optimizer: str = "SGD + momentum",
                 learning_rate: float | None = None, *, seed: int = 0, size: int = 48):
        if target not in TARGETS:
            raise ValueError(f"`target` must be one of {TARGETS}. Received: {target!r}")
        if not isinstance(size, (int, np.integer)) or size < 3:
            raise ValueError(f"`size` must be an integer of at least 3. Received: {size!r}")
        self.target_name, self.optimizer_name = target, optimizer
        self.learning_rate = float(OPTIMIZERS.get(optimizer, 0.05) if learning_rate is None
                                   else learning_rate)
        make_optimizer(optimizer, self.learning_rate)  # refuse bad names/rates up front
        self.seed, self.size = int(seed), int(size)
        self.photos = training_photos(size)
        self.target = kernel_for(target, 3).astype(np.float32)
        self.targets = np.asarray(ops.conv(self.photos, self.target[:, :, None, None],
                                           padding="same"))
        self.start = np.random.default_rng(seed).normal(0, 0.3, (3, 3, 1, 1)).astype(np.float32)
        self.reset()

    def reset(self):
        """Back to the seeded start: the same kernel, a fresh optimizer, an empty curve."""
        self.model = models.Sequential([layers.Conv2D(1, 3, padding="same", use_bias=False,
                                                      input_shape=(self.size, self.size, 1))])
        self.model.set_weights([self.start])
        self.model.compile(optimizer=make_optimizer(self.optimizer_name, self.learning_rate),
                           loss="mse")
        self.epochs = 0        # fit epochs run
        self.batches = 0       # batches seen (fit and single steps)
        self.curve = []        # (batches seen, loss): fit's epoch loss or one batch's loss

    # ---- training ----
    def fit_epochs(self, n: int = 1, on_epoch=None):
        """``model.fit`` for ``n`` more epochs (batch 1, photos in order), resuming where the
        last chunk stopped; the callback appends each epoch's loss to :attr:`curve`."""
        if n < 1:
            raise ValueError(f"`n` must be at least 1. Received: {n!r}")
        with _quiet_overflow():
            return self.model.fit(self.photos, self.targets, batch_size=1,
                                  epochs=self.epochs + n, initial_epoch=self.epochs,
                                  shuffle=False, verbose=0,
                                  callbacks=[_EpochLosses(self, on_epoch)])

    def step_batch(self) -> float:
        """One ``train_on_batch`` on the next photo in order; returns (and plots) its loss."""
        i = self.batches % BATCHES_PER_EPOCH
        with _quiet_overflow():
            loss = float(np.asarray(self.model.train_on_batch(
                self.photos[i:i + 1], self.targets[i:i + 1])).reshape(-1)[0])
        self.batches += 1
        self.curve.append((self.batches, loss))
        return loss

    # ---- readings ----
    def kernel(self) -> np.ndarray:
        """The learned 3×3 kernel now."""
        return self.model.get_weights()[0][:, :, 0, 0]

    def kernel_error(self) -> float:
        """Largest |learned − target| over the nine weights."""
        return float(np.max(np.abs(self.kernel() - self.target)))

    def loss(self) -> float:
        """``model.evaluate`` over the three photos with the current weights."""
        with _quiet_overflow():
            return float(np.asarray(self.model.evaluate(self.photos, self.targets,
                                                        batch_size=3, verbose=0)).reshape(-1)[0])

    def scene(self, photo: int = 0) -> TrainingScene:
        """What the lab draws now, for photo number ``photo``."""
        if not 0 <= photo < len(PHOTOS):
            raise ValueError(f"`photo` must be 0 … {len(PHOTOS) - 1}. Received: {photo!r}")
        kernel = self.kernel()
        x = self.photos[photo:photo + 1]
        feature = np.asarray(self.model.predict(x, verbose=0))[0, :, :, 0]
        by_op = np.asarray(ops.conv(x, kernel[:, :, None, None].astype(np.float32),
                                    padding="same"))[0, :, :, 0]
        loss = self.loss()
        with _quiet_overflow():
            by_hand = float(np.mean((np.asarray(self.model.predict(self.photos, verbose=0),
                                                dtype=np.float64) - self.targets) ** 2))
        badges = [compare("feature map", "ops.conv(photo, learned kernel)", feature, by_op),
                  Badge("loss shown", "mean((model(photos) − targets)²)",
                        bool(abs(loss - by_hand) <= 1e-5 * max(1.0, abs(by_hand))),
                        abs(loss - by_hand))]
        panes = [Pane("KERNEL learned", "kernel", kernel, name="w"),
                 Pane(f"TARGET {self.target_name}", "output", self.target, name="target")]
        error = self.kernel_error()
        caption = (f"After {self.epochs} epochs and {self.batches} batches with "
                   f"{self.optimizer_name} (learning rate {self.learning_rate:g}): loss "
                   f"{loss:.3g}; largest |learned − target| = {error:.3g}")
        sentences = [DESCRIPTIONS[self.target_name],
                     "Each batch: the conv's output is compared with the target picture (mean "
                     "squared error); backward gives dL/dw for the nine weights; the optimizer "
                     "moves them a little against it."]
        return TrainingScene(panes, x[0, :, :, 0], feature,
                             self.targets[photo, :, :, 0], list(self.curve), loss, badges,
                             caption, sentences)

    def code(self) -> str:
        """The run as code (convkit; Keras spells it the same with ``keras.``)."""
        opt = {"SGD + momentum": f"SGD(learning_rate={self.learning_rate:g}, momentum=0.9)"}.get(
            self.optimizer_name, f"{self.optimizer_name}(learning_rate={self.learning_rate:g})")
        return ("model = models.Sequential([layers.Conv2D(1, 3, padding=\"same\", "
                f"use_bias=False, input_shape=({self.size}, {self.size}, 1))])\n"
                f"model.compile(optimizer=optimizers.{opt}, loss=\"mse\")\n"
                "model.fit(photos, targets, batch_size=1, epochs=60, shuffle=False, "
                "callbacks=[live_view])")


__all__ = ["TARGETS", "OPTIMIZERS", "PHOTOS", "BATCHES_PER_EPOCH", "training_photos",
           "make_optimizer", "TrainingRun", "TrainingScene"]
