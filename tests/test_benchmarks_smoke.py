"""The benchmark script keeps working: a --quick run of every case (never a timing assertion)."""

import json
import os
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
