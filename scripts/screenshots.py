"""Screenshot each explorer from Voila in headless Debian chromium, for the README.

Usage: ``python scripts/screenshots.py [--out docs]``. Serves ``notebooks/02_classroom.ipynb``
on 127.0.0.1 with convkit's offline Voila template, waits for every explorer to render and
saves ``docs/widgets_<name>.png``. Needs ``/usr/bin/chromium`` (apt) and the playwright package
(never ``playwright install``).
"""

import argparse
import subprocess
import sys
from pathlib import Path

from convkit.widgets.app import free_port, voila_command, voila_env, wait_until_answers
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
# (file name, text inside the explorer's readout that proves it rendered)
# (in the notebook's order: the n-th explorer box is the n-th shot)
SHOTS = [("conv", "Step 1 of 9"), ("transposed", "identical ✓"),
         ("resample", "Taps of OUTPUT"), ("separable", "Cost: separable"),
         ("image_filter", "Σ products")]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--only", nargs="*", default=None,
                        help="names to save (default: all), e.g. --only separable")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(voila_command(ROOT / "notebooks" / "02_classroom.ipynb", port),
                            env=voila_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        if not wait_until_answers(f"http://127.0.0.1:{port}/", timeout=120, proc=proc):
            print("Voila did not start", file=sys.stderr)
            return 1
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 6000})
            page.goto(f"http://127.0.0.1:{port}/", timeout=180_000)
            for _name, marker in SHOTS:
                text = page.locator(".widget-html-content", has_text=marker).first
                expect(text).to_be_visible(timeout=180_000)
            # each explorer is the outermost VBox in an output area
            boxes = page.locator(".jp-OutputArea-output > .widget-vbox")
            for i, (name, _) in enumerate(SHOTS):
                if args.only and name not in args.only:
                    continue
                box = boxes.nth(i)
                path = out / f"widgets_{name}.png"
                box.screenshot(path=str(path))
                print("wrote", path)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
