"""Start the classroom launcher (or any command that prints Voila's "running at URL" line) as
a subprocess and wait for its URL: shared by the packaging and launcher-signal tests."""

import re
import subprocess
import time

import pytest


def serve_until_url(cmd, cwd=None, env=None, timeout=180):
    """``(process, url, output lines)`` once ``cmd`` prints "running at http://..."; kills the
    process and fails the test with its last output if it exits or stays silent for
    ``timeout`` seconds."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        found = re.search(r"running at (http://\S+)", line)
        if found:
            return proc, found.group(1), lines
    proc.kill()
    pytest.fail("the app printed no URL:\n" + "".join(lines[-60:]))
