#!/usr/bin/env bash
# Widgets tiers for .ci/run / the Makefile. Expects an activated venv with the project installed
# with its [widgets,test,classroom] extras. Installs Debian's chromium when missing (never
# `playwright install`), registers the kernel spec, then runs the headless widget tests (T0/T1/T3),
# the notebooks (T2) and the real-browser tests (T4). About 3-4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PIP_DISABLE_PIP_VERSION_CHECK=1
if [ ! -x /usr/bin/chromium ]; then
    apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core
fi
python -m ipykernel install --sys-prefix
timeout 600 python -m pytest -q tests/widgets                              # T0, T1, T3
timeout 600 python -m pytest -q --nbmake --nbmake-timeout=180 notebooks/   # T2
timeout 900 python -m pytest -q tests/e2e                                  # T4 (Voila on 127.0.0.1)
