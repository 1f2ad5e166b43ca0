"""Scenarios for boxes in the editor, run in a real editor process with real X events:
`python boxes.py SCENARIO OUT.json [ARGS]` (see harness.py)."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import ROOT, _drive, _rect, frames, wait_until  # noqa: E402

from nodegraph.boxes import Box  # noqa: E402
from nodegraph.editor import app  # noqa: E402

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def chain_patch(path):
    """number → (+1) → (×10) → display, the two maths side by side, apart from the rest."""
    Path(path).write_text(json.dumps({
        "format": "nodegraph-patch", "version": 1,
        "nodes": {"n": {"type": "number", "params": {"value": 2}, "pos": [40, 40]},
                  "plus": {"type": "math", "params": {"op": "+", "arg": 1}, "pos": [40, 220]},
                  "times": {"type": "math", "params": {"op": "*", "arg": 10}, "pos": [260, 220]},
                  "show": {"type": "display", "params": {}, "pos": [40, 420]}},
        "links": [["n", "out", "plus", "a"], ["plus", "out", "times", "a"], ["times", "out", "show", "in"]]}))


def shown(ed):
    """What the display shows, as the engine has it."""
    return ed.rt.call(lambda: ed.rt.graph.node("show").value)


@scenario
def encapsulate_and_back(ed, out):
    """Drag a box around two nodes, Ctrl+E: one subpatch box, the patch computes as before;
    Ctrl+Z and Ctrl+Shift+Z walk it back and forth; Ctrl+Shift+E on the box takes it apart."""
    path = os.path.join(os.getcwd(), "chain.json")
    chain_patch(path)
    assert ed.open_now(path)
    frames(ed, 6)
    views = ed.canvas.views
    (px, py, pw, ph), (tx, ty, tw, th) = _rect(views["plus"].tag), _rect(views["times"].tag)
    start = (px - 20, min(py, ty) - 20)
    end = (tx + tw + 20, max(py + ph, ty + th) + 20)
    assert ed.canvas.item_at(start) is None and ed.canvas.item_at(end) is None
    _drive(ed, [("drag", start, end), ("key", "ctrl+e")])
    wait_until(ed, lambda: any(isinstance(n, Box) for n in ed.rt.doc.nodes.values()), what="a box")
    box = next(i for i, n in ed.rt.doc.nodes.items() if isinstance(n, Box))
    assert set(ed.rt.doc.nodes) == {"n", box, "show"}, set(ed.rt.doc.nodes)
    assert {f"{box}/plus", f"{box}/times"} <= set(ed.rt.graph.nodes)
    ed.rt.send("n", "in", 3.0)
    frames(ed, 3)
    assert shown(ed) == 40.0, shown(ed)  # (3 + 1) × 10, through the box
    _drive(ed, [("move", (end[0] + 200, end[1])), ("key", "ctrl+z")])
    wait_until(ed, lambda: {"plus", "times"} <= set(ed.rt.doc.nodes), what="the undo")
    _drive(ed, [("key", "ctrl+shift+z")])
    wait_until(ed, lambda: box in ed.rt.doc.nodes, what="the redo")
    frames(ed, 4)
    bx, by, bw, bh = _rect(ed.canvas.views[box].tag)
    _drive(ed, [("click", (bx + bw / 2, by + 6)), ("key", "ctrl+shift+e")])
    wait_until(ed, lambda: box not in ed.rt.doc.nodes, what="de-encapsulate")
    assert sum(1 for n in ed.rt.doc.nodes.values() if n.type_id == "math") == 2
    ed.rt.send("n", "in", 5.0)
    frames(ed, 3)
    assert shown(ed) == 60.0, shown(ed)
    assert not ed.errors, ed.errors
    return {"box": box}


@scenario
def open_a_box(ed, out, shots=""):
    """The Wekinator classifier as one box; a double-click opens its inside in a window of its
    own, titled with the way back up."""
    path = str(ROOT / "patches" / "wekinator-classifier-box.json")
    assert ed.open_now(path)
    frames(ed, 8)
    if shots:
        app.write_png(ed, os.path.join(shots, "wekinator-box.png"))
    x, y, w, h = _rect(ed.canvas.views["wek"].tag)
    _drive(ed, [("move", (x + w / 2, y + 8))])
    subprocess.run(["xdotool", "click", "--repeat", "2", "--delay", "80", "1"], check=True)
    wait_until(ed, lambda: "opened the inside of 'wek'" in ed.status.message, what="the double-click to open it")
    found = []

    def window():
        frames(ed, 1)
        got = subprocess.run(["xdotool", "search", "--name", "inside wekinator-classifier-box"],
                             capture_output=True, text=True).stdout.split()
        found[:] = got
        return bool(got)
    wait_until(ed, window, seconds=90, what="the box's window")
    title = subprocess.run(["xdotool", "getwindowname", found[0]], capture_output=True, text=True).stdout
    assert "wek [wekinator.classifier]" in title, title  # the way back up
    time.sleep(3)  # let it draw
    if shots:
        try:
            from PIL import ImageGrab
            ImageGrab.grab(xdisplay=os.environ["DISPLAY"]).save(os.path.join(shots, "wekinator-box-inside.png"))
        except ImportError:
            pass
    pid = subprocess.run(["xdotool", "getwindowpid", found[0]], capture_output=True, text=True).stdout.strip()
    if pid:
        os.kill(int(pid), 15)
    assert not ed.errors, ed.errors
    return {"window": found[0], "title": title}


if __name__ == "__main__":
    harness.main(SCENARIOS, size=(1280, 800))
