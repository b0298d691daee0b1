"""The benchmark script keeps working: a --quick run of every case (never a timing assertion)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = {"conv2d_large", "conv2d_mid", "conv2d_stem", "conv2d_mnist", "conv2d_large_f64",
         "conv2d_large_cf", "conv1d_causal", "conv3d", "sepconv2d", "depthwise2d", "convT2d",
         "upsample2d_nearest", "upsample2d_bilinear", "zeropad2d", "crop2d"}


def test_quick_run_covers_the_suite_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--repeats", "2",
         "--no-keras", "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text())
    ids = {row["id"] for row in data["rows"]}
    assert SUITE <= ids, SUITE - ids
    for row in data["rows"]:
        ck = row["peers"]["convkit"]
        assert ck["median_s"] > 0 and ck[row["unit"]] > 0
        assert row["pct_of_limit"] > 0
    assert data["meta"]["sgemm_gflops"] > 0 and data["meta"]["copy_gbps"] > 0
    assert "geometric mean" in proc.stdout or data["meta"]["torch"] is None


def test_kernel_ab_compares_two_copies_of_the_loaded_builds(tmp_path):
    # two copies of the running conv and depthwise builds: same numbers, so "identical"
    import convkit  # noqa: F401  (imports the ops modules whose kernel builds are copied)
    conv_so = sys.modules["convkit.ops._direct"]._conv.__file__
    dw_so = sys.modules["convkit.ops.depthwise"]._dw.__file__
    for so, cases in ((conv_so, ["conv2d_mnist", "conv3d"]), (dw_so, ["depthwise2d"])):
        copies = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir(exist_ok=True)
            copies.append(shutil.copy(so, tmp_path / name))
        proc = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "kernel_ab.py"), *copies, "--cases",
             *cases, "--repeats", "1", "--threads", "1", *(["--cold"] if so == dw_so else [])],
            capture_output=True, text=True, timeout=600, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 0, proc.stderr[-3000:]
        rows = [line.split() for line in proc.stdout.splitlines()[1:]]
        assert [r[0] for r in rows] == cases
        for r in rows:
            assert float(r[1]) > 0 and float(r[2]) > 0 and r[-1] == "identical"
