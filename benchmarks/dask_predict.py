"""Throughput of ``model.predict`` on a Dask array: in memory vs 1 and 2 worker processes.

256 images 128x128x3 (float32) through a small fully convolutional model, chunked along the
batch axis (32 images a block) and along height and width too (32 images, 64x64 tiles with
halos). The input is generated and persisted on the workers first (the same values as the in-memory
reference); each timed run persists
the output on the workers (the gather to the client, 50 MB here, is not timed). Kernel
threads: 2 in memory and with 1 worker, 1 per worker with 2 workers (the machine's cores).

Overhead per block is the worker time the Dask run spends beyond the in-memory compute,
divided by the number of blocks: ``(workers * t_dask - t_memory) / blocks``. It covers task
scheduling, the halo slicing and concatenation, the recomputed halos and the per-block
layer calls.

Usage: ``python benchmarks/dask_predict.py [--repeats 3] [--quick]``
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import convkit  # noqa: E402
from convkit import layers, models  # noqa: E402


def make_model():
    return models.Sequential([
        layers.Conv2D(16, 3, padding="same", activation="relu", input_shape=(None, None, 3)),
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(3, 1),
    ])


def _scheduler_tasks(client) -> int:
    return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="32 images 64x64 (smoke run)")
    args = parser.parse_args(argv)

    import dask.array as da
    from distributed import Client, LocalCluster, wait

    n, side = (32, 64) if args.quick else (256, 128)
    shape = (n, side, side, 3)
    layouts = {"batch": (32, side, side, 3), "spatial": (32, side // 2, side // 2, 3)}
    net = make_model()
    # generated where it is used: on the workers (no 50 MB graph), and here for the reference
    source = da.random.default_rng(0).random(shape, dtype=np.float32, chunks=layouts["batch"])
    x_local = source.compute(scheduler="threads")
    net.build((None, side, side, 3))

    convkit.set_num_threads(2)
    net.predict(x_local[:2], verbose=0)  # warm: packed kernels
    t_mem = best_of(args.repeats, lambda: net.predict(x_local, batch_size=32, verbose=0))
    want = net.predict(x_local, batch_size=32, verbose=0)
    rows = [("in memory", "-", "-", t_mem, None, 0.0)]

    for workers in (1, 2):
        with LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                          dashboard_address=None, silence_logs=40) as cluster, \
                Client(cluster) as client:
            client.run(convkit.set_num_threads, 2 // workers)
            for layout, chunks in layouts.items():
                x = client.persist(source.rechunk(chunks))
                wait(x)
                y = net.predict(x, batch_size=32, verbose=0)
                blocks = y.npartitions
                baseline = _scheduler_tasks(client)

                def run(y=y, baseline=baseline):
                    done = client.persist(y)
                    wait(done)
                    del done
                    while _scheduler_tasks(client) > baseline:  # forgotten: next run recomputes
                        time.sleep(0.01)

                t = best_of(args.repeats, run)
                err = float(np.abs(client.compute(y).result() - want).max())
                overhead = (workers * t - t_mem) / blocks
                rows.append((f"{workers} worker{'s' * (workers > 1)}", layout, blocks, t,
                             overhead, err))

    print(f"convkit {convkit.__version__ if hasattr(convkit, '__version__') else ''}"
          f" predict, {n} images {side}x{side}x3 float32, best of {args.repeats}")
    print(f"{'run':<11}{'chunks':<9}{'blocks':>7}{'time s':>9}{'img/s':>9}"
          f"{'overhead/block ms':>19}{'max |diff|':>12}")
    for name, layout, blocks, t, overhead, err in rows:
        over = "-" if overhead is None else f"{overhead * 1e3:.1f}"
        print(f"{name:<11}{layout:<9}{blocks:>7}{t:>9.3f}{n / t:>9.1f}{over:>19}{err:>12.2e}")


if __name__ == "__main__":
    main()
