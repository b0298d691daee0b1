"""T4: Voila serving the classroom notebook, driven by Debian's chromium via Playwright.

Never ``playwright install``: the browser is ``/usr/bin/chromium`` from apt. One Voila server
per session, on 127.0.0.1, stopped through its own process handle.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from convkit.widgets.app import free_port, voila_command, voila_env, wait_until_answers

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "02_classroom.ipynb"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": FLAGS}


@pytest.fixture(scope="session")
def voila_url(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(voila_command(NOTEBOOK, port), stdout=out,
                                stderr=subprocess.STDOUT, cwd=ROOT,
                                env=voila_env())
    url = f"http://127.0.0.1:{port}/"
    try:
        if not wait_until_answers(url, timeout=90, proc=proc):
            raise RuntimeError(f"Voila did not start: {log.read_text()[-3000:]}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


@pytest.fixture
def hosts(page):
    """Every host the page requests (the offline check)."""
    seen = set()
    page.on("request", lambda r: seen.add(r.url.split("/")[2] if "://" in r.url else r.url))
    return seen


@pytest.fixture(scope="session")
def shots():
    d = Path(os.environ.get("CONVKIT_SCREENSHOT_DIR", ROOT / "build" / "e2e"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def pytest_configure(config):
    if sys.platform != "linux":
        raise pytest.UsageError("the e2e tier drives Debian's /usr/bin/chromium on Linux")
