"""The benchmark script keeps working: a --quick run of every case (never a timing assertion),
the agreement step, case selection, and the in-process A/B tool for two kernel builds."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import agreement, report, run, suite, worker

ROOT = Path(__file__).resolve().parents[1]
FORWARD = {"conv2d_large", "conv2d_mid", "conv2d_stem", "conv2d_mnist", "conv2d_large_f64",
           "conv2d_large_cf", "conv1d_causal", "conv3d", "sepconv2d", "depthwise2d", "convT2d",
           "conv2d_tiny",
           "depthwise2d_f64", "upsample2d_nearest", "upsample2d_bilinear", "zeropad2d", "crop2d"}
TRAINING = {"conv2d_large_train", "conv2d_mid_train", "conv2d_stem_train", "conv2d_mnist_train",
            "conv2d_large_f64_train", "conv2d_large_cf_train", "conv1d_causal_train",
            "conv3d_train", "convT2d_train", "sepconv2d_train", "depthwise2d_train",
            "autoencoder_step"}
POOLING = {f"{kind}pool2d_{k}x{k}{train}" for kind in ("max", "avg") for k in (2, 3)
           for train in ("", "_train")}
# rows that may still wait for a layer or a backward pass another change adds
MAY_BE_PENDING = {"sepconv2d_train", "depthwise2d_train"} | POOLING


def test_quick_run_covers_the_suite_in_solo_processes(tmp_path):
    out = tmp_path / "bench.json"
    # a user's own OpenMP setting reaches every worker unchanged, and nothing is added
    env = {k: v for k, v in os.environ.items() if not k.startswith(worker.THREAD_VARIABLES)}
    env.update(PYTHONPATH=str(ROOT), OMP_DISPLAY_ENV="FALSE")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--rounds", "2",
         "--calls", "1", "--warmup", "0", "--threads", "1", "--no-keras", "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text())
    meta = data["meta"]
    assert meta["environment"]["variables"] == {"OMP_DISPLAY_ENV": "FALSE"}
    assert meta["rounds"] == 2 and len(meta["limits_per_round"]) == 2
    assert meta["sgemm_gflops"] > 0 and meta["copy_gbps"] > 0
    rows = {row["id"]: row for row in data["rows"]}
    assert FORWARD | TRAINING | POOLING == set(rows)
    for case_id, row in rows.items():
        if row["status"] == "pending":
            assert case_id in MAY_BE_PENDING and row["message"], (case_id, row)
            assert all(c["status"] in ("not run", "not aligned")
                       for c in row["agreement"].values())
            continue
        assert row["status"] == "ok", (case_id, row)
        ck = row["peers"]["convkit"]
        assert len(ck["round_medians_s"]) == 2
        assert 0 < ck["min_s"] <= ck["median_s"] <= ck["max_s"]
        assert ck[row["unit"]] > 0 and row["pct_of_limit"] > 0
        for peer, check in row["agreement"].items():
            # every peer that ran and spells the case alike computed convkit's numbers
            assert check["status"] in ("ok", "not aligned"), (case_id, peer, check)
        assert "keras" not in row["agreement"]
    if meta["torch"] is not None:
        assert rows["conv2d_large"]["agreement"]["torch"]["status"] == "ok"
        assert rows["conv2d_large_train"]["agreement"]["torch"]["status"] == "ok"
        assert rows["conv2d_stem"]["agreement"]["torch"]["status"] == "not aligned"
        assert rows["conv2d_large"]["vs_torch"] > 0
        assert "geometric mean" in proc.stdout
    assert "numpy" in rows["zeropad2d"]["peers"]
    assert rows["zeropad2d"]["agreement"]["numpy"]["status"] == "ok"
    table = report.markdown(data)
    assert "each library alone in its own process" in table
    assert table.count("| case | shape |") == 3  # forward, training, pooling
    assert all(f"| {case_id} |" in table for case_id in rows)


def test_report_reads_the_reference_run_and_the_older_interleaved_format():
    data = json.loads((ROOT / "notebooks" / "data" / "benchmark_reference.json").read_text())
    table = report.markdown(data)
    assert "each library alone in its own process" in table
    for case in ("| conv2d_large |", "| conv2d_large_train |", "| maxpool2d_2x2 |"):
        assert case in table
    # files written by the older one-process protocol still render, labelled as such
    older = json.loads((ROOT / "tests" / "support" / "data"
                        / "benchmark_interleaved_2026-11-26.json").read_text())
    table = report.markdown(older)
    assert "older protocol" in table and "| conv2d_large |" in table


def test_case_selection_by_group_and_id():
    training = run.select_cases(True, ["training"], None)
    assert {c.id for c in training} == TRAINING
    assert {c.id for c in run.select_cases(True, ["all"], None)} == FORWARD | TRAINING | POOLING
    only = run.select_cases(True, ["all"], ["conv3d", "maxpool2d_3x3"])
    assert [c.id for c in only] == ["conv3d", "maxpool2d_3x3"]
    with pytest.raises(ValueError, match="unknown case ids.*'conv9d'"):
        run.select_cases(True, ["all"], ["conv9d"])


def test_training_cases_count_three_passes_and_same_inputs_everywhere():
    forward = {c.id: c for c in suite.cases(True, ["forward"])}
    for case in suite.cases(True, ["training"]):
        if case.id.endswith("_train"):
            assert case.work == 3 * forward[case.id[:-len("_train")]].work
    # every process rebuilds bit-identical inputs from the case id
    case = next(c for c in suite.cases(True) if c.id == "conv2d_mid_train")
    a, b = suite.conv_arrays(case), suite.conv_arrays(case)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_agreement_flags_wrong_numbers_shapes_and_nan():
    ref = {"y": np.array([1.0, -2.0, 4.0])}
    assert agreement.compare(ref, {"y": ref["y"] * (1 + 1e-6)}, 1e-4)[1] is None
    assert "y: max error" in agreement.compare(ref, {"y": ref["y"] + 0.01}, 1e-4)[1]
    assert "shape" in agreement.compare(ref, {"y": np.ones(2)}, 1e-4)[1]
    assert agreement.compare(ref, {"y": np.array([1.0, np.nan, 4.0])}, 1e-4)[1] is not None
    assert "different results" in agreement.compare(ref, {"z": ref["y"]}, 1e-4)[1]
    # the absolute allowance: a near-zero array moved by float32 noise
    small = {"b": np.array([1e-3, -1e-3])}
    moved = {"b": small["b"] + 2e-7}
    assert agreement.compare(small, moved, 1e-4)[1] is not None
    assert agreement.compare(small, moved, 1e-4, atol=1e-6)[1] is None


def test_rounds_and_threads_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        run.main(["--rounds", "0"])
    assert "--rounds must be >= 1" in capsys.readouterr().err


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


def test_depthwise_paths_ab_forces_each_path_and_restores_the_routing(capsys):
    # every path of the depthwise A/B tool on a short and a channels_first row (the plane
    # kernel only where it applies), then the routing as shipped again, row pairs on
    import convkit.ops.depthwise as depthwise_module
    from benchmarks import depthwise_paths_ab

    routed = (depthwise_module._use_channel_blocks, depthwise_module._use_planes)
    assert depthwise_paths_ab.main(["--rows", "f17", "f11", "--variants", "b1", "b8cf",
                                    "--paths", *depthwise_paths_ab.PATHS,
                                    "--repeats", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["f17.b1", "f17.b8cf", "f11.b1", "f11.b8cf"]
    for line in lines:
        shown = line.split()[1::4]
        assert shown == [p for p in depthwise_paths_ab.PATHS
                         if p != "planes" or line.startswith(("f17.b8cf", "f11.b8cf"))]
    assert (depthwise_module._use_channel_blocks, depthwise_module._use_planes) == routed
    # rows of 12 pixels take the row kernels (in pairs) unless a forced route was left behind
    x = np.ones((1, 12, 12, 16), np.float32)
    depthwise_module.depthwise_conv(x, np.ones((3, 3, 16, 1), np.float32), padding="same")
    assert depthwise_module._dw._last_call_row_kernels()


def test_quick_shape_sweep_covers_real_networks_in_both_formats(tmp_path):
    from benchmarks import sweep

    out = tmp_path / "sweep.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--group", "sweep", "--quick",
         "--rounds", "1", "--calls", "1", "--warmup", "0", "--threads", "1", "--no-keras",
         "--no-numpy", "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text())
    rows = data["rows"]
    layers = {r["note"] for r in rows}
    assert len(layers) >= 60 and len(layers) == len(sweep.CONV_LAYERS) + len(sweep.DEPTHWISE_LAYERS)
    for network in ("ResNet-18", "ResNet-50", "ResNeXt-50 32x4d", "MobileNetV2",
                    "EfficientNet-B0", "VGG-16", "U-Net", "DCGAN", "WaveNet-style", "C3D",
                    "3-D U-Net"):
        assert any(note.startswith(network + " ") for note in layers), network
    assert {r["data_format"] for r in rows} == {"channels_last", "channels_first"}
    assert {r["dtype"] for r in rows} == {"float32", "float64"}
    assert {r["shape"].split()[0] for r in rows} >= {"b1", "b2"}  # batch 1 and a training batch
    assert any(" g32" in r["shape"] for r in rows)  # grouped (ResNeXt)
    assert all(r["group"] == "sweep" and r["status"] == "ok" for r in rows), \
        [(r["id"], r.get("message")) for r in rows if r["status"] != "ok"]
    if data["meta"]["torch"] is not None:
        for r in rows:
            # every row PyTorch spells alike computed convkit's numbers (grouped, transposed,
            # causal, depthwise, channels_first and float64 included)
            assert r["agreement"]["torch"]["status"] in ("ok", "not aligned"), r
        assert sum(r["agreement"]["torch"]["status"] == "ok" for r in rows) > len(rows) // 2
        assert "sweep: geometric mean" in proc.stdout
    table = report.markdown(data)
    assert "**Shape sweep: layers of real networks, forward**" in table
    assert "| ResNeXt-50 32x4d layer1.0.conv2 |" in table
    summary = report.sweep_summary(data)  # the README's one line per layer
    assert summary.count("\n| ") == len(layers)  # after the header: one line per layer
    assert "| ResNeXt-50 32x4d layer1.0.conv2 |" in summary
    # the ratios and their summary line when PyTorch ran; dashes, never made-up ratios, when not
    assert ("rows below 1.0×" in summary) == (data["meta"]["torch"] is not None)
    if data["meta"]["torch"] is None:
        assert "| – | – (b2) | – | – |" in summary
    # the default groups never include the long sweep
    assert all(c.group != "sweep" for c in run.select_cases(True, ["all"], None))
