"""GUI tests: a private Xvfb for the session; each test runs the real editor in a child
process (Dear PyGui aborts its process outright when something is wrong with the
display, so the test process itself never imports it)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SCREEN = (1280, 800)


@pytest.fixture(scope="session")
def display():
    """A private Xvfb on a free display number (the editor's own; raises if Xvfb is missing)."""
    from nodegraph.editor.xdisplay import PrivateXvfb
    with PrivateXvfb(*SCREEN):
        yield os.environ["DISPLAY"]


@pytest.fixture
def editor_run(display, tmp_path):
    """editor_run(scenario, *args) runs tests/gui/harness.py's scenario in a fresh editor
    process and returns what it reported (a JSON object); a failure shows its traceback."""
    state = tmp_path / "state"

    def run(scenario, *args, timeout=90, env=None, script="harness.py"):
        full_env = dict(os.environ, DISPLAY=display, NODEGRAPH_STATE_DIR=str(state),
                        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        full_env.update(env or {})
        out = tmp_path / f"{scenario}.json"
        proc = subprocess.run([sys.executable, str(HERE / script), scenario, str(out), *map(str, args)],
                              capture_output=True, text=True, timeout=timeout, env=full_env, cwd=str(tmp_path))
        if proc.returncode != 0:
            pytest.fail(f"scenario {scenario} failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n"
                        f"{proc.stderr[-6000:]}")
        return json.loads(out.read_text()) if out.exists() else {}

    run.tmp = tmp_path
    run.display = display
    return run
