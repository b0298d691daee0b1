"""convkit.dask on dask.distributed: two worker processes, one of them killed mid-compute.

Marked ``dask_cluster`` (select with ``-m dask_cluster``, skip with ``-m 'not
dask_cluster'``); the cluster is started once for the module and each test takes a few
seconds.
"""

import os
import signal
import time

import dask.array as da  # the test extra installs dask and distributed: a missing one fails
import distributed
import numpy as np
import pytest

from convkit import layers, models
from tests.support.keras_oracle import assert_close

pytestmark = pytest.mark.dask_cluster


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None, silence_logs=40)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _model(channels):
    return models.Sequential([
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.Conv2D(16, 3, strides=2, padding="same"),
        layers.Conv2DTranspose(8, 3, strides=2, padding="same"),
        layers.Conv2D(channels, 3, padding="same"),
    ])


def test_spatial_tiles_on_worker_processes(client):
    net = _model(3)
    x = np.random.default_rng(0).random((4, 40, 36, 3), dtype=np.float32)
    want = net.predict(x, verbose=0)       # the model has run: its layers hold packed kernels
    y = net.predict(da.from_array(x, chunks=(2, 15, 13, 3)), verbose=0)
    got = client.compute(y).result(timeout=25)
    pids = client.run(os.getpid)
    assert len(set(pids.values()) - {os.getpid()}) == 2
    np.testing.assert_array_equal(got, want)


def test_a_worker_killed_mid_computation_is_replaced_by_rescheduling(client):
    net = models.Sequential([layers.Conv2D(32, 3, padding="same", activation="relu"),
                             layers.Conv2D(32, 3, padding="same"),
                             layers.Conv2D(8, 3, padding="same")])
    x = np.random.default_rng(1).random((16, 96, 96, 8), dtype=np.float32)
    want = net.predict(x, verbose=0)
    y = net.predict(da.from_array(x, chunks=(2, 48, 48, 8)), verbose=0)   # 32 blocks
    cluster = client.cluster
    future = client.compute(y)
    deadline = time.monotonic() + 20
    victim = None
    while victim is None:
        assert time.monotonic() < deadline, "no task started processing"
        busy = [address for address, keys in client.processing().items() if keys]
        victim = busy[0] if busy else None
        if victim is None:
            time.sleep(0.005)
    assert not future.done()
    nanny = next(n for n in cluster.workers.values() if n.worker_address == victim)
    os.kill(nanny.process.process.pid, signal.SIGKILL)
    got = future.result(timeout=25)
    # 32 -> 32 channel 3x3 layers run Winograd, whose 4x4 output tiles start at each spatial
    # block's corner rather than the image's: equal to float32 rounding over the 9 * 32
    # products of each sum, not bit for bit
    assert_close(got, want, reduction_size=9 * 32)
    while victim in client.scheduler_info()["workers"]:
        assert time.monotonic() < deadline + 10, "the killed worker never left"
        time.sleep(0.05)
