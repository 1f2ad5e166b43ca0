"""GUI tests: a private Xvfb for the session; each test runs the real editor in a child
process (Dear PyGui aborts its process outright when something is wrong with the
display, so the test process itself never imports it)."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SCREEN = (1280, 800)


@pytest.fixture(scope="session")
def display():
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.fail("Xvfb is not installed (scripts/install-system.sh installs it): the editor tests need it")
    read, write = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(write), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    deadline = time.monotonic() + 15
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        chunk = os.read(read, 16)
        if not chunk:
            break
        number += chunk
    os.close(read)
    if not number.strip():
        proc.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number.decode().strip()}"
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def editor_run(display, tmp_path):
    """editor_run(scenario, *args) runs tests/gui/harness.py's scenario in a fresh editor
    process and returns what it reported (a JSON object); a failure shows its traceback."""
    state = tmp_path / "state"

    def run(scenario, *args, timeout=90, env=None):
        full_env = dict(os.environ, DISPLAY=display, NODEGRAPH_STATE_DIR=str(state),
                        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        full_env.update(env or {})
        out = tmp_path / f"{scenario}.json"
        proc = subprocess.run([sys.executable, str(HERE / "harness.py"), scenario, str(out), *map(str, args)],
                              capture_output=True, text=True, timeout=timeout, env=full_env, cwd=str(tmp_path))
        if proc.returncode != 0:
            pytest.fail(f"scenario {scenario} failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n"
                        f"{proc.stderr[-6000:]}")
        return json.loads(out.read_text()) if out.exists() else {}

    run.tmp = tmp_path
    run.display = display
    return run
