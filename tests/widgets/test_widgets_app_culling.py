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
