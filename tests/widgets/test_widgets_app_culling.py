"""The classroom server's command line turns on idle-kernel culling (issue 17 item 10).

The browser test (tests/e2e/test_e2e_kernel_culling.py) shows a closed tab's kernel going
away; these check the options the command builder and the CLI pass, and their refusals.
"""

import pytest
from convkit.widgets import app


def options(cmd) -> dict:
    return dict(a[2:].split("=", 1) for a in cmd if a.startswith("--MappingKernelManager."))


def test_voila_command_culls_idle_closed_tabs_by_default():
    got = options(app.voila_command("lesson.ipynb", 8866))
    assert got == {"MappingKernelManager.cull_idle_timeout": str(app.CULL_IDLE_TIMEOUT),
                   "MappingKernelManager.cull_interval": str(app.CULL_INTERVAL),
                   "MappingKernelManager.cull_connected": "False",
                   "MappingKernelManager.cull_busy": "False"}
    short = options(app.voila_command("lesson.ipynb", 8866, cull_idle_timeout=5,
                                      cull_interval=1))
    assert short["MappingKernelManager.cull_idle_timeout"] == "5"
    assert options(app.voila_command("lesson.ipynb", 8866, cull_idle_timeout=0)) == {}


@pytest.mark.parametrize("kwargs, error, words", [
    ({"idle_timeout": -1}, ValueError, "idle_timeout must be >= 0"),
    ({"idle_timeout": 10, "interval": 0}, ValueError, "interval must be >= 1"),
    ({"idle_timeout": "10"}, TypeError, "idle_timeout must be an int"),
    ({"idle_timeout": 10.5}, TypeError, "idle_timeout must be an int"),
    ({"interval": True}, TypeError, "interval must be an int"),
])
def test_culling_options_refuse_bad_values(kwargs, error, words):
    with pytest.raises(error, match=words):
        app.culling_options(**kwargs)


def test_cli_refuses_a_negative_cull_time(capsys, tmp_path):
    notebook = tmp_path / "lesson.ipynb"
    notebook.write_text("{}")
    with pytest.raises(SystemExit):
        app.main(["--notebook", str(notebook), "--cull-after", "-5"])
    assert "--cull-after must be >= 0" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_stopping_the_launcher_stops_the_server(signame):
    # A service manager, a closed terminal or a test stops the launcher with SIGTERM/SIGHUP,
    # not Ctrl-C; the Voila child (and its kernels) must not outlive it.
    import signal
    import sys
    import time
    import urllib.request
    from pathlib import Path

    from tests.support.app_process import serve_until_url

    notebook = Path(__file__).resolve().parents[2] / "notebooks" / app.NOTEBOOK
    launcher, url, _ = serve_until_url([sys.executable, "-m", "convkit.widgets.app",
                                        "--notebook", str(notebook)])
    try:
        launcher.send_signal(getattr(signal, signame))
        assert launcher.wait(timeout=60) == 128 + getattr(signal, signame)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    time.sleep(0.5)  # still answering: give the server its shutdown time
            except OSError:
                break
        else:
            pytest.fail(f"the server at {url} still answers after the launcher stopped")
    finally:
        if launcher.poll() is None:
            launcher.kill()


def test_main_called_from_other_code_restores_the_signal_handlers(monkeypatch, tmp_path):
    import signal

    class FinishedServer:  # stands in for the Voila process: it has already exited
        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    notebook = tmp_path / "lesson.ipynb"
    notebook.write_text("{}")
    monkeypatch.setattr(app.subprocess, "Popen", lambda *a, **k: FinishedServer())
    monkeypatch.setattr(app, "wait_until_answers", lambda *a, **k: True)
    before = signal.getsignal(signal.SIGTERM)
    assert app.main(["--notebook", str(notebook), "--port", "8999"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before
