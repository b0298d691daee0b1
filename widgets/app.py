"""The classroom app: serve ``notebooks/02_classroom.ipynb`` with Voila on 127.0.0.1.

Run ``python -m convkit.widgets.app`` (``--lab`` for JupyterLab instead, ``--port N``,
``--notebook PATH``, ``--cull-after SECONDS``). It prints the URL and keeps running until
Ctrl-C, SIGTERM or SIGHUP, and the server stops with it. Voila shows only the widgets and the
lesson text, no code, which is what a projector needs.

Every page Voila serves starts its own kernel. The page's own shutdown request on closing
(Voila's ``beforeunload`` POST) is refused by the server's XSRF check, so without culling a
class of 30 leaves a kernel per closed tab running. The Voila command therefore turns on
jupyter_server's idle-kernel culler: a kernel with no open connection (its tab is closed) and
no message for ``cull_idle_timeout`` seconds is shut down; kernels of open tabs are never
culled (``cull_connected=False``), however long a student looks without touching anything.

Examples
--------
>>> from convkit.widgets.app import voila_command
>>> voila_command("02_classroom.ipynb", 8866)[1:3]
['-m', 'voila']
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from importlib import resources
from pathlib import Path

NOTEBOOK = "02_classroom.ipynb"


def packaged_notebook(name: str = NOTEBOOK) -> Path | None:
    """The lesson notebook shipped inside the installed package (``convkit.notebooks``), or
    None when this installation has none."""
    try:
        path = Path(str(resources.files("convkit.notebooks") / name))
    except (ModuleNotFoundError, TypeError):
        return None
    return path if path.is_file() else None


def find_notebook(explicit: str | None = None) -> Path:
    """The classroom notebook: ``explicit``, else ./notebooks/ or ./ (a teacher's own copy),
    else the one installed with convkit."""
    candidates = [Path(explicit)] if explicit else [
        Path.cwd() / "notebooks" / NOTEBOOK, Path.cwd() / NOTEBOOK]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    packaged = None if explicit else packaged_notebook()
    if packaged is not None:
        return packaged.resolve()
    raise SystemExit(f"cannot find {NOTEBOOK}; pass --notebook PATH (looked in "
                     + ", ".join(str(c) for c in candidates)
                     + ("" if explicit else " and in the installed convkit package") + ")")


def writable_copy(notebook: Path, folder: Path) -> Path:
    """``notebook`` copied into ``folder`` (kept if already there), for JupyterLab: a
    student's edits go to their own file, never into the installed package."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / notebook.name
    if not target.exists():
        shutil.copy2(notebook, target)
    return target


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TEMPLATES = Path(__file__).resolve().parent / "templates"


def voila_env(base=None) -> dict:
    """Environment for Voila: ``JUPYTER_PATH`` gains convkit's template folder."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATES), env.get("JUPYTER_PATH"))
                                          if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


#: Seconds a closed tab's kernel may stay idle before the culler shuts it down. Long enough
#: for a page to render and for a dropped connection to come back, short enough that a class
#: reloading pages does not pile up kernels.
CULL_IDLE_TIMEOUT = 300
#: Seconds between the culler's checks.
CULL_INTERVAL = 60


def culling_options(idle_timeout: int = CULL_IDLE_TIMEOUT,
                    interval: int = CULL_INTERVAL) -> list:
    """Command-line options for jupyter_server's idle-kernel culler (0 turns it off).

    Voila's kernel manager is a ``MappingKernelManager`` subclass configured by the Voila
    application, so the ``MappingKernelManager`` options reach it.

    Examples
    --------
    >>> culling_options(120, 30)[0]
    '--MappingKernelManager.cull_idle_timeout=120'
    """
    for name, value in (("idle_timeout", idle_timeout), ("interval", interval)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int number of seconds, received {value!r}")
    if idle_timeout < 0:
        raise ValueError(f"idle_timeout must be >= 0 seconds (0: no culling), received "
                         f"{idle_timeout}")
    if idle_timeout == 0:
        return []
    if interval < 1:
        raise ValueError(f"interval must be >= 1 second, received {interval}")
    return [f"--MappingKernelManager.cull_idle_timeout={idle_timeout}",
            f"--MappingKernelManager.cull_interval={interval}",
            "--MappingKernelManager.cull_connected=False",
            "--MappingKernelManager.cull_busy=False"]


def voila_command(notebook, port: int, *, cull_idle_timeout: int = CULL_IDLE_TIMEOUT,
                  cull_interval: int = CULL_INTERVAL) -> list:
    """The Voila command line (127.0.0.1, no browser, convkit's offline template, closed
    tabs' kernels culled after ``cull_idle_timeout`` idle seconds; 0 keeps them).

    Run it with :func:`voila_env` so Voila finds the ``convkit`` template.
    """
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
            "--Voila.ip=127.0.0.1", "--template=convkit",
            *culling_options(cull_idle_timeout, cull_interval)]


def lab_command(notebook, port: int) -> list:
    """The JupyterLab command line (bound to 127.0.0.1, no token, allowed as root)."""
    return [sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            "--IdentityProvider.token=", "--ServerApp.password=",
            f"--ServerApp.root_dir={Path(notebook).parent}"]


def wait_until_answers(url: str, timeout: float = 90.0, proc=None) -> bool:
    """Poll ``url`` every 0.5 s until it answers (True) or ``timeout`` passes (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=5):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def _stop_on_signal(signum, frame):
    # Python's default SIGTERM/SIGHUP handling ends the process without running `finally`,
    # which left the Voila child serving (and its kernels running) after a service manager,
    # a closed terminal or a test stopped the launcher.
    raise SystemExit(128 + signum)


def _stop_server_on_termination() -> dict:
    """Make SIGTERM and SIGHUP exit through ``finally``; returns the handlers they replace
    (empty off the main thread, where handlers cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    return {sig: signal.signal(sig, _stop_on_signal) for sig in signals}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m convkit.widgets.app",
                                     description="Serve the classroom notebook on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--notebook", default=None, help=f"default: notebooks/{NOTEBOOK}")
    parser.add_argument("--lab", action="store_true", help="JupyterLab instead of Voila")
    parser.add_argument("--cull-after", type=int, default=CULL_IDLE_TIMEOUT, metavar="SECONDS",
                        help="Voila: shut down a closed tab's kernel after this many idle "
                             f"seconds (default {CULL_IDLE_TIMEOUT}; 0 keeps every kernel)")
    args = parser.parse_args(argv)
    notebook = find_notebook(args.notebook)
    if args.lab and packaged_notebook() == notebook:
        notebook = writable_copy(notebook, Path.cwd() / "convkit-lessons")
        print(f"JupyterLab opens your own copy: {notebook}", flush=True)
    port = args.port or free_port()
    if args.cull_after < 0:
        parser.error(f"--cull-after must be >= 0 seconds, received {args.cull_after}")
    interval = max(1, min(CULL_INTERVAL, args.cull_after // 2 or 1))
    cmd = lab_command(notebook, port) if args.lab else voila_command(
        notebook, port, cull_idle_timeout=args.cull_after, cull_interval=interval)
    url = (f"http://127.0.0.1:{port}/lab/tree/{notebook.name}" if args.lab
           else f"http://127.0.0.1:{port}/")
    previous_handlers = _stop_server_on_termination()
    proc = subprocess.Popen(cmd, env=voila_env())
    try:
        if wait_until_answers(f"http://127.0.0.1:{port}/", proc=proc):
            print(f"\nconvkit classroom is running at {url}\n(Ctrl-C to stop)", flush=True)
        else:
            print(f"the server did not answer on port {port}; its log is above", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for sig, handler in previous_handlers.items():  # main() called from other code
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
