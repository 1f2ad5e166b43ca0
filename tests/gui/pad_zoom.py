"""Scenarios for the pad, the mouse node, zoom and fit, run in a real editor process with
real X events: `python pad_zoom.py SCENARIO OUT.json [ARGS]` (see harness.py)."""
import json
import math
import subprocess
import sys
import threading
import time
from pathlib import Path

import dearpygui.dearpygui as dpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, frames, wait_until  # noqa: E402  (also registers the test nodes)

from nodegraph.editor import app  # noqa: E402

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


def xdo(*args):
    subprocess.run(["xdotool", *map(str, args)], check=True)


def play(ed, fn):
    """Run fn (X events) in a thread while the editor keeps drawing frames."""
    worker = threading.Thread(target=fn)
    worker.start()
    while worker.is_alive():
        ed.frame()
        time.sleep(0.002)
    frames(ed, 4)


def stroke(points, pause=0.012):
    """Press at the first point, move through the others, let go at the last."""
    def go():
        x, y = points[0]
        xdo("mousemove", round(x), round(y))
        time.sleep(0.08)
        xdo("mousedown", 1)
        time.sleep(0.05)
        for x, y in points[1:]:
            xdo("mousemove", round(x), round(y))
            time.sleep(pause)
        time.sleep(0.05)
        xdo("mouseup", 1)
        time.sleep(0.05)
    return go


def circle(cx, cy, r, n=48, turns=1.0):
    return [(cx + r * math.cos(2 * math.pi * turns * i / n), cy - r * math.sin(2 * math.pi * turns * i / n))
            for i in range(n + 1)]


def pad_of(ed, node_id):
    return ed.canvas.views[node_id].pad


@scenario
def pad_stroke(ed, out):
    """A circle drawn on the pad arrives as many points around the circle, as the pointer
    moves; the dot follows; the patch is not changed and no undo step is made."""
    xy = ed.add_node("xy", {}, (40, 40))
    frames(ed, 4)
    node = ed.rt.graph.nodes[xy]
    got = []
    node.watch("xy", lambda v: got.append((time.perf_counter(), [float(v[0]), float(v[1])])))
    pad = pad_of(ed, xy)
    assert pad is not None, "an xy node has a pad"
    steps, dirty = len(ed.rt.history.undo_stack), ed.dirty
    cx, cy = pad.centre()
    r = pad.size * 0.35
    play(ed, stroke(circle(cx, cy, r)))
    wait_until(ed, lambda: len(got) >= 20, what="the stroke's points")
    pts = [p for _, p in got]
    # every point lies on the circle (in pad units: radius 0.35 around the middle)
    radii = [math.hypot(x - 0.5, y - 0.5) for x, y in pts]
    assert all(abs(rr - 0.35) < 0.05 for rr in radii[1:]), radii
    # and they go round it: the angles cover most of the turn, not a straight line
    angles = sorted(math.atan2(y - 0.5, x - 0.5) for x, y in pts)
    gaps = [b - a for a, b in zip(angles, angles[1:])] + [angles[0] + 2 * math.pi - angles[-1]]
    assert max(gaps) < math.pi / 3, f"the points do not go round: largest gap {max(gaps):.2f} rad"
    # the points came while the pointer moved, not all at the release
    span = got[-1][0] - got[0][0]
    assert span > 0.3, f"all {len(got)} points arrived within {span:.3f} s"
    assert node.params["value"] == pts[-1], "the node holds the last point"
    frames(ed, 6)
    dot = pad.shown
    want = pad.to_pixel(node, pts[-1])
    assert abs(dot[0] - want[0]) < 1.5 and abs(dot[1] - want[1]) < 1.5, (dot, want)
    assert ed.rt.graph.pos[xy] == (40.0, 40.0), "drawing on the pad does not move the node"
    assert len(ed.rt.history.undo_stack) == steps, "playing the pad is not an undo step"
    assert ed.dirty == dirty
    # a value arriving on `in` moves the dot
    ed.rt.send(xy, "in", [0.9, 0.1])
    wait_until(ed, lambda: pad.shown == pad.to_pixel(node, [0.9, 0.1]), what="the dot to follow `in`")
    return {"points": len(pts), "span": span}




@scenario
def mouse_node(ed, out):
    """The pointer over the window, normalised, reaches a mouse node through the inbox."""
    from nodes.controls import Mouse
    m = ed.add_node("mouse", {}, (40, 40))
    frames(ed, 4)
    node = ed.rt.graph.nodes[m]
    got = []
    node.watch("xy", lambda v: got.append([float(v[0]), float(v[1])]))
    w, h = dpg.get_viewport_client_width(), dpg.get_viewport_client_height()

    def go():
        for i in range(10):
            xdo("mousemove", round(w * (0.3 + 0.04 * i)), round(h * 0.6))
            time.sleep(0.03)
    play(ed, go)
    ed.run_for(1.2)
    assert len(got) >= 5, got
    x, y = got[-1]
    assert abs(x - (0.3 + 0.36)) < 0.02 and abs(y - 0.4) < 0.02, got[-1]
    assert Mouse.NEEDS_WINDOW not in ed.rt.console.texts(), "an editor is there: no complaint"
    return {"moves": len(got)}


def main():
    name, out, *args = sys.argv[1:]
    ed = app.Editor(960, 680)
    ed.fast = True
    frames(ed, 3)
    try:
        report = SCENARIOS[name](ed, out, *args) or {}
        Path(out).write_text(json.dumps(report))
    finally:
        ed.close()


if __name__ == "__main__":
    main()
