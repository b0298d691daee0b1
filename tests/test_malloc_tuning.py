"""convkit's allocator setting (convkit/_memory.py): a training-step-like pattern of large
arrays, allocated together and freed together, stops faulting its pages in again on every
repetition; ``CONVKIT_MALLOC_TUNING=0`` leaves glibc's defaults. Each case runs in a fresh
interpreter: the setting is process-wide and made at import."""

import json
import os
import subprocess
import sys

import convkit
from convkit import _memory

# four 16 MiB arrays at once, written, freed; the page faults of the last 5 of 8 repetitions
_PATTERN = """
import json, resource, numpy as np
import convkit
from convkit import _memory
def step():
    arrays = [np.empty(4 << 20, np.float32) for _ in range(4)]
    for a in arrays:
        a.fill(1.0)
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"faults": faults, "tuning": _memory.malloc_tuning()}))
"""


def _run(tuning: str) -> dict:
    env = dict(os.environ, CONVKIT_MALLOC_TUNING=tuning)
    out = subprocess.run([sys.executable, "-c", _PATTERN], env=env, capture_output=True,
                         text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_repeated_large_allocations_stop_faulting_and_the_switch_turns_it_off():
    tuned, default = _run("1"), _run("0")
    assert default["tuning"] is None
    if _memory._glibc() is None:  # nothing to tune off glibc: both runs are the default
        assert tuned["tuning"] is None
        return
    assert tuned["tuning"] == {"mmap_threshold": 32 << 20, "trim_threshold": 128 << 20}
    # 5 x 64 MiB written: ~80,000 faults with 4 KiB pages when every step gets fresh pages
    assert tuned["faults"] < 200 < default["faults"]


def test_show_config_reports_it(capsys):
    convkit.show_config()
    assert "malloc tuning:" in capsys.readouterr().out
