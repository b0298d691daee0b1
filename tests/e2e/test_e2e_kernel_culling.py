"""Issue 17 item 10: a closed classroom tab's Voila kernel goes away; an open one stays.

Voila's own shutdown request on closing is refused (no ``_xsrf``), so the app's command line
turns on jupyter_server's idle culler. This starts Voila from that same command builder on a
one-widget notebook with a short idle timeout, opens the page in chromium, checks the kernel
survives the timeout while the tab is open (``cull_connected=False``), closes the tab and
polls ``/api/kernels/<id>`` until the kernel is gone (bounded wait).
"""

import json
import re
import subprocess
import time
import urllib.error
import urllib.request

import nbformat
import pytest
from convkit.widgets.app import free_port, voila_command, voila_env
from playwright.sync_api import expect

IDLE = 6       # seconds without messages before a kernel with no connection is culled
INTERVAL = 1   # seconds between the culler's checks


def server_up(url: str, proc, timeout: float) -> bool:
    """Poll until the server answers at all (a 404 counts) without rendering the notebook:
    a GET of the page would start a kernel of its own."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            urllib.request.urlopen(f"{url}api/kernels/{'0' * 32}", timeout=5).close()
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def culling_voila(tmp_path_factory):
    folder = tmp_path_factory.mktemp("culling")
    notebook = folder / "one_widget.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import ipywidgets as W\nW.IntSlider(description='one widget')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, notebook)
    port = free_port()
    log = folder / "voila.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            voila_command(notebook, port, cull_idle_timeout=IDLE, cull_interval=INTERVAL),
            stdout=out, stderr=subprocess.STDOUT, cwd=folder, env=voila_env())
    url = f"http://127.0.0.1:{port}/"
    try:
        if not server_up(url, proc, timeout=60):
            raise RuntimeError(f"Voila did not start: {log.read_text()[-3000:]}")
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def kernel_model(url: str, kernel_id: str):
    """The kernel's JSON model from Voila's kernels API, or None once it no longer exists."""
    try:
        with urllib.request.urlopen(f"{url}api/kernels/{kernel_id}", timeout=5) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def test_closed_tab_kernel_is_culled_open_tab_kernel_is_kept(browser, culling_voila):
    url, log = culling_voila
    page = browser.new_page()
    page.goto(url, timeout=60_000)
    expect(page.locator(".widget-slider", has_text="one widget")).to_be_visible(
        timeout=60_000)
    kernel_id = re.search(r'"kernelId": "([0-9a-f-]+)"', page.content()).group(1)
    model = kernel_model(url, kernel_id)
    assert model is not None and model["connections"] >= 1, model

    # open tab, idle longer than the timeout: still there (only closed tabs are culled)
    time.sleep(IDLE + 3 * INTERVAL)
    model = kernel_model(url, kernel_id)
    assert model is not None and model["connections"] >= 1, (model, log.read_text()[-2000:])

    page.close()
    closed = time.monotonic()
    deadline = closed + IDLE + 30
    while kernel_model(url, kernel_id) is not None:
        assert time.monotonic() < deadline, (
            f"kernel {kernel_id} still running {deadline - closed:.0f} s after its tab "
            f"closed:\n{log.read_text()[-2000:]}")
        time.sleep(0.5)
    assert "Culling" in log.read_text()
