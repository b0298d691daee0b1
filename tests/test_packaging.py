"""The pip route, as a newcomer takes it: a wheel built from the tracked sources, installed
with the widgets and classroom extras into a fresh virtual environment outside the tree,
serves the classroom from any folder (``python -m convkit.widgets.app``).

Slow (a kernel build and a virtual environment, a few minutes): ``make test`` runs it, the
quick subset does not. The wheel is built for the baseline ISA only, to save time: the test
is about what the wheel ships, not how fast its kernels are.
"""

import os
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.support.app_process import serve_until_url

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _tracked_copy(dest: Path) -> Path:
    # a copy, so the build's generated per-ISA folders never touch the checkout's kernels
    files = _run(["git", "ls-files", "-z"], cwd=ROOT).stdout.split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    return dest


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_serves_the_classroom_from_any_folder(tmp_path):
    source = _tracked_copy(tmp_path / "src")
    dist = tmp_path / "dist"
    build_env = dict(os.environ, CONVKIT_ISA_VARIANTS="base")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(dist), str(source)], env=build_env)
    (wheel,) = dist.glob("convkit_layers-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert "convkit/notebooks/02_classroom.ipynb" in names
    assert any(n.startswith("convkit/widgets/templates/") for n in names)
    assert not any(n.startswith("tests/") for n in names)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          f"{wheel}[widgets,classroom]"])

    elsewhere = tmp_path / "a-teachers-folder"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path / "home")  # no Jupyter settings of this machine's user
    proc, url, lines = serve_until_url([str(python), "-m", "convkit.widgets.app"],
                                        elsewhere, env)
    try:
        with urllib.request.urlopen(url, timeout=120) as page:
            assert page.status == 200
            body = page.read().decode("utf-8", "replace")
        assert "convkit" in body.lower()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    # the installed convkit, not the checkout, served it
    where = _run([str(python), "-c", "import convkit; print(convkit.__file__)"],
                 cwd=elsewhere, env=env).stdout
    assert str(venv) in where
