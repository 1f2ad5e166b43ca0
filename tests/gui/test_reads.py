"""The editor reads the document and the engine's telemetry, never a running node
(DESIGN.md, "The document and the engine")."""
import re

from .conftest import ROOT

EDITOR = ROOT / "nodegraph" / "editor"
# what only a running node has, or the engine's graph of them
ENGINE_READS = re.compile(r"\brt\.graph\b|\.(info|view)\(\)|\.inlet_state\(|\bnode\.(shown|last|error|runs|host|post)\b")
MARK = "# engine:"  # a use that touches no node from the editor's thread, saying why


def test_the_editor_package_reads_no_running_node():
    found, marked = [], []
    for path in sorted(EDITOR.glob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if ENGINE_READS.search(line):
                (marked if MARK in line else found).append(f"{path.name}:{n}: {line.strip()}")
    assert not found, "the editor reads the engine (use rt.doc and the telemetry):\n" + "\n".join(found)
    # each justified use is one of these: subscribing to the engine's events, and the mouse
    # node's job, which runs on the scheduler thread
    assert len(marked) <= 3, "\n".join(marked)


def test_the_editor_runs_without_reading_a_running_node(editor_run):
    report = editor_run("reads_no_running_node", timeout=240)
    assert len(report) == 5
