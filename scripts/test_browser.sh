#!/usr/bin/env bash
# The notebook and real-browser tiers of `make test`. Expects the project's venv first on PATH
# (the Makefile does that). Installs Debian's chromium when missing (never `playwright
# install`: its browser download cannot work offline), registers the venv's kernel, executes
# every notebook, then drives Voila in chromium. About 1-2 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PIP_DISABLE_PIP_VERSION_CHECK=1
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -q && \
        $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
fi
python -m ipykernel install --sys-prefix > /dev/null
timeout 600 python -m pytest -q -o addopts= --nbmake --nbmake-timeout=180 notebooks/   # T2
timeout 900 python -m pytest -q -o addopts= tests/e2e                                  # T4
