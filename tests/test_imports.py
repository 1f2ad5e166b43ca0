"""Heavy modules are imported where they cost nothing live: never by a command that only
reads a patch, and, for a patch that runs, on the thread that edits the document, never
on the scheduler's thread (an import there stops the whole patch for as long)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("scipy.signal", "scipy.special", "scipy.spatial", "scipy.fft", "sklearn", "networkx", "mido")

PROBE = r"""
import json, sys, threading
HEAVY = %r
seen = {}

class Watch:  # records the thread that first imports each heavy module
    def find_spec(self, name, path=None, target=None):
        if name in HEAVY and name not in seen:
            seen[name] = threading.current_thread().name
        return None

sys.meta_path.insert(0, Watch())
from nodegraph import AddNode, Runtime, registry
registry.all_types()
before = sorted(name for name in HEAVY if name in sys.modules)
rt = Runtime()
rt.start()
rt.do(AddNode("synth", {}, node_id="s"))
rt.do(AddNode("ml.regress", {}, node_id="r"))
rt.do(AddNode("midi.file", {}, node_id="f"))
rt.wait_idle() if hasattr(rt, "wait_idle") else None
rt.close()
print("RESULT " + json.dumps({"before": before, "seen": seen}))
""" % (HEAVY,)


def test_reading_every_node_type_imports_no_heavy_module_and_running_imports_them_off_the_scheduler():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env=dict(os.environ, NODEGRAPH_TRAIN_INLINE="0"))
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and line, proc.stderr[-3000:]
    got = json.loads(line[-1][7:])
    assert got["before"] == [], "the node types alone import no heavy module"
    assert got["seen"].get("scipy.signal") == "MainThread", got  # the synth's filter
    assert got["seen"].get("scipy.special") == "MainThread", got  # the learner's predictors
    assert got["seen"].get("scipy.spatial") == "MainThread", got  # its k-d tree (a first train stalled 120 ms)
    assert got["seen"].get("networkx") == "MainThread", got
    assert got["seen"].get("mido") == "MainThread", got  # a MIDI node's messages  # the engine's graph index, made with its scheduler
    assert "nodegraph-scheduler" not in got["seen"].values(), got


def test_nodegraph_check_loads_no_heavy_module():
    code = ("import sys, runpy; sys.argv = ['nodegraph', 'check', 'patches/xy-to-synth.json']\n"
            "try:\n    runpy.run_module('nodegraph', run_name='__main__')\nexcept SystemExit as e:\n"
            "    code = e.code\n"
            "print('LOADED', sorted(m for m in %r if m in sys.modules), code)" % (HEAVY,))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "LOADED [] 0" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]


KNN = r"""
import json, sys, time
from nodegraph import AddNode, Runtime
from nodegraph.commands import SetState
from nodegraph.learn.worker import trainer
rt = Runtime.manual()
rt.start(thread=False)
rt.do(AddNode("ml.classify", {"algorithm": "knn", "folds": 0}, node_id="c"))
rt.do(SetState("c", {"examples": [{"x": [0.0, 0.0], "y": 1, "t": 0.0, "take": 1},
                                  {"x": [1.0, 0.0], "y": 2, "t": 0.1, "take": 1},
                                  {"x": [0.0, 1.0], "y": 3, "t": 0.2, "take": 1}], "take": 1}))
node = rt.graph.node("c")
got = []
node.watch("label", got.append)
rt.send("c", "train", True)
end = time.monotonic() + 20
while node._job is not None and time.monotonic() < end:
    rt.poll(0.01)
rt.send("c", "run", True)
for x in ([0.1, 0.0], [0.9, 0.1], [0.0, 0.8]):
    rt.send("c", "features", x)
    rt.poll(0.01)
print("RESULT " + json.dumps({"labels": got, "sklearn": "sklearn" in sys.modules, "worker": trainer().pid}))
rt.close()
"""


def test_a_knn_is_fitted_in_this_process_without_scikit_learn_or_the_worker():
    """A kNN's fit is a scaled copy of the data: done here in numpy (min-max scaling to the
    bit of scikit-learn's, which the learner tests compare), no pipes, no worker started."""
    proc = subprocess.run([sys.executable, "-c", KNN], capture_output=True, text=True, cwd=ROOT, timeout=60)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and line, proc.stderr[-3000:]
    got = json.loads(line[-1][7:])
    assert got == {"labels": [1, 2, 3], "sklearn": False, "worker": None}, got
