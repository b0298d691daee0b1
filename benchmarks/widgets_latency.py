"""Frame-update latency of the explorers (not a test): median ms per step update.

A step update is what Play does each frame: move the step slider, which renders the new scene
and assigns the same ``HTML``/``Image`` widget's ``.value``. Measured headless (no browser
round trip) on a 64×64 input; the second lesson's explorers (backprop, receptive field) at
their default sizes and one larger, with a parameter change (recompute + render) each;
PoolingExplorer steps and a TrainingLab frame (one Play tick: one epoch of ``fit`` +
redraw). Target:
< 50 ms. Usage: ``python benchmarks/widgets_latency.py``.
"""

import json
import statistics
import sys
import time

import numpy as np


def measure(explorer, n: int = 40) -> float:
    step = explorer.toolbar.step
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        step.value = (step.value + 1) % (step.max + 1)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure_change(control, values) -> float:
    """Median ms of a parameter change (recompute through the layer + render)."""
    times = []
    for value in values:
        t0 = time.perf_counter()
        control.value = value
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def second_lesson() -> dict:
    """The backprop and receptive-field explorers at their default sizes (and one larger)."""
    from convkit.widgets import BackpropExplorer, ReceptiveFieldExplorer

    results = {}
    for view in ("scatter", "flipped kernel", "weight gradient"):
        ex = BackpropExplorer(view=view)
        results[f"BackpropExplorer {view} step"] = measure(ex)
        ex.close()
    ex = BackpropExplorer()
    results["BackpropExplorer stride change"] = measure_change(ex.strides, [2, 1] * 5)
    ex.close()
    ex = BackpropExplorer(size=10, strides=2, padding="same")
    results["BackpropExplorer 10x10 step"] = measure(ex)
    ex.close()
    ex = ReceptiveFieldExplorer()
    results["ReceptiveFieldExplorer step"] = measure(ex)
    results["ReceptiveFieldExplorer output cell"] = measure_change(ex.out_col,
                                                                   [0, 1, 2] * 4)
    ex.close()
    ex = ReceptiveFieldExplorer(preset="strided stack (3×3 s2, 3×3 s2, 3×3)")
    # 15×15 ↔ 16×16: the largest inputs still re-checked by brute force on every change
    results["ReceptiveFieldExplorer 16x16 size change (live check)"] = measure_change(
        ex.size, [15, 16] * 4)
    ex.size.value = 24
    results["ReceptiveFieldExplorer 24x24 step"] = measure(ex)
    results["ReceptiveFieldExplorer 24x24 size change"] = measure_change(ex.size,
                                                                         [23, 24] * 4)
    ex.close()
    results.update(pooling_and_training())
    return results


def pooling_and_training() -> dict:
    """PoolingExplorer steps and a kind change; a TrainingLab frame = one Play tick: one
    epoch of ``fit`` (three 48×48 batches) + the redraw of kernel, feature maps and curve."""
    from convkit.widgets import PoolingExplorer, TrainingLab

    results = {}
    for kind in ("max", "average"):
        ex = PoolingExplorer(kind=kind)
        results[f"PoolingExplorer {kind} step"] = measure(ex)
        ex.close()
    ex = PoolingExplorer(kind="global max")  # one step: a new input is its frame update
    results["PoolingExplorer global max seed change"] = measure_change(ex.seed, [1, 2] * 5)
    ex.close()
    ex = PoolingExplorer(size=12, pool_size=3, strides=2, padding="same")
    results["PoolingExplorer 12x12 same step"] = measure(ex)
    results["PoolingExplorer kind change"] = measure_change(ex.kind, ["average", "max"] * 5)
    ex.close()
    lab = TrainingLab()
    lab.play.playing = True
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        lab.play.value += 1
        times.append((time.perf_counter() - t0) * 1000)
    results["TrainingLab frame (1 epoch of fit + redraw)"] = statistics.median(times)
    times = []
    for _ in range(12):
        t0 = time.perf_counter()
        lab.step_batch()
        times.append((time.perf_counter() - t0) * 1000)
    results["TrainingLab step one batch"] = statistics.median(times)
    results["TrainingLab optimizer change (new run)"] = measure_change(
        lab.optimizer, ["Adam", "SGD + momentum"] * 3)
    lab.close()
    return results


def conv_explorer_features() -> dict:
    """ConvExplorer at its default size with the issue-17 features: several channels and
    filters with groups and the convolution flip (extras panel + badges every step), a
    weight edit (recompute through ops.conv and the Conv layer check), and Conv3D slices."""
    from convkit.widgets import ConvExplorer

    results = {}
    ex = ConvExplorer()
    results["ConvExplorer default step"] = measure(ex)
    ex.close()
    ex = ConvExplorer(channels=4, filters=4, groups=2, operation="convolution")
    results["ConvExplorer C4 F4 groups 2 convolution step"] = measure(ex)
    results["ConvExplorer weight edit"] = measure_change(ex.weight, [1.0, 2.0] * 5)
    ex.close()
    ex = ConvExplorer(rank=3)
    results["ConvExplorer Conv3D 5x5x5 step"] = measure(ex)
    ex.close()
    return results


def main() -> int:
    from convkit.widgets import ConvExplorer, ImageFilterLab
    from convkit.widgets.samples import grace_hopper

    photo = np.round(grace_hopper((64, 64)), 2)
    results = {}
    conv = ConvExplorer(x=photo, kernel_size=3, padding="same")
    results["ConvExplorer 64x64 step"] = measure(conv)
    conv.close()
    lab = ImageFilterLab(size=64, preset="Sobel x")
    results["ImageFilterLab 64x64 step"] = measure(lab)
    t0 = time.perf_counter()
    lab.preset.value = "Gaussian"  # a parameter change: recompute with ops.conv + render
    results["ImageFilterLab 64x64 kernel change"] = (time.perf_counter() - t0) * 1000
    lab.close()
    results.update(conv_explorer_features())
    results.update(second_lesson())
    for name, ms in results.items():
        flag = "ok" if ms < 50 else "over the 50 ms target"
        print(f"{name:54s} {ms:7.1f} ms  ({flag})")
    if "--json" in sys.argv:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
