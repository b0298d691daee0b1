"""Issue 17 items 7 and 8 in a real browser (Voila + Debian's chromium, 1280×720): the photo
ResampleExplorer answers the keyboard (its cell slider moves the selected OUTPUT cell and the
picture's aria-label), and ImageFilterLab's main picture carries its text alternative."""

import os
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from convkit.widgets.app import free_port, voila_command, voila_env, wait_until_answers
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120_000
CELLS = (
    "from convkit.widgets import ImageFilterLab, ResampleExplorer\n"
    "photo = ResampleExplorer(source='Grace Hopper', photo_size=24, interpolation='lanczos3')\n"
    "photo",
    "lab = ImageFilterLab(size=32, preset='Sobel x')\nlab",
)


@pytest.fixture(scope="module")
def photo_voila(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photo_explorers")
    notebook = folder / "photo_explorers.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, notebook)
    env = voila_env()
    # the kernel imports convkit from this tree, whatever an editable install points at
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    port = free_port()
    log = folder / "voila.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(voila_command(notebook, port), stdout=out,
                                stderr=subprocess.STDOUT, cwd=folder, env=env)
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


def test_photo_resample_keyboard_cell_and_filter_lab_text_alternative(page, photo_voila, hosts,
                                                                      shots):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(photo_voila, timeout=TIMEOUT)
    picture = page.locator("svg[role=img]", has_text="lanczos3 (selected)").first
    expect(picture).to_have_attribute("aria-label", re.compile(r"^Step 1 of 144: OUTPUT pixel"),
                                      timeout=TIMEOUT)
    handle = page.locator(".widget-slider", has=page.locator("label", has_text="cell col")) \
        .first.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")
    expect(picture).to_have_attribute("aria-label", re.compile(r"^Step 2 of 144"),
                                      timeout=TIMEOUT)
    expect(page.locator(".widget-html-content", has_text="The same cell in every mode")
           .first).to_be_visible(timeout=TIMEOUT)
    picture.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "voila_resample_photo_1280x720.png"))

    lab_picture = page.locator("img.widget-image[title*='INPUT: the Grace Hopper photo']")
    expect(lab_picture).to_have_count(1, timeout=TIMEOUT)
    assert "OUTPUT: the 32×32 feature map of the Sobel x kernel" in \
        lab_picture.get_attribute("title")
    assert hosts and all(h.startswith("127.0.0.1") for h in hosts), hosts
