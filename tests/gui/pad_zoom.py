"""Scenarios for the pad, the mouse node, zoom and fit, run in a real editor process with
real X events: `python pad_zoom.py SCENARIO OUT.json [ARGS]` (see harness.py)."""
import math
import subprocess
import sys
import threading
import time
from pathlib import Path

import dearpygui.dearpygui as dpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
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
    play(ed, stroke(circle(cx, cy, r), pause=0.025))  # the pad reads the pointer once a frame: slow enough for a busy machine
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
    assert node.live == pts[-1], "the node holds the last point (live; its saved value stays)"
    frames(ed, 6)
    dot = pad.shown
    want = pad.to_pixel(node, pts[-1])
    assert abs(dot[0] - want[0]) < 1.5 and abs(dot[1] - want[1]) < 1.5, (dot, want)
    assert ed.rt.doc.pos[xy] == (40.0, 40.0), "drawing on the pad does not move the node"
    assert len(ed.rt.history.undo_stack) == steps, "playing the pad is not an undo step"
    assert ed.dirty == dirty
    assert abs(pts[-1][0] - 0.85) < 0.02 and abs(pts[-1][1] - 0.5) < 0.02, f"the stroke ends where it ended: {pts[-1]}"
    # a flick: the button comes up at once after the last move; the end still arrives
    x0, y0 = pad.screen_of(0.2, 0.2)
    x1, y1 = pad.screen_of(0.7, 0.9)

    def flick():
        xdo("mousemove", round(x0), round(y0))
        time.sleep(0.08)
        xdo("mousedown", 1)
        time.sleep(0.08)
        xdo("mousemove", round(x1), round(y1))
        xdo("mouseup", 1)
    play(ed, flick)
    wait_until(ed, lambda: abs(node.live[0] - 0.7) < 0.02 and abs(node.live[1] - 0.9) < 0.02,
               what=f"the flick's end point (the pad is at {node.live})")
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


def on_screen_rects(ed):
    """{key: (left, top, right, bottom)} of every node and comment as drawn, on the screen."""
    pad = ed.canvas.node_pad()
    out = {}
    for item, key in ed.canvas.items.items():
        (x, y), (w, h) = dpg.get_item_rect_min(item), dpg.get_item_rect_size(item)
        out[key] = (x - pad[0], y - pad[1], x - pad[0] + w, y - pad[1] + h)
    return out


def cut_off(ed):
    """The nodes and comments not wholly inside the canvas's visible area."""
    cx, cy = dpg.get_item_pos(ed.canvas_parent)
    cw, ch = dpg.get_item_rect_size(ed.canvas_parent)
    return sorted(str(k) for k, (l, t, r, b) in on_screen_rects(ed).items()
                  if l < cx or t < cy or r > cx + cw or b > cy + ch)


def keys(*names):
    def go():
        for name in names:
            xdo("key", name)
            time.sleep(0.15)
    return go


@scenario
def zoom_keys(ed, out):
    """Ctrl+- / Ctrl+= / Ctrl+0 and Ctrl+wheel change the drawing's scale about the mouse;
    Home (Show all) zooms out until the whole patch is in view. None of it moves a node
    in the patch, makes an undo step or marks the patch changed."""
    assert ed.open_now(str(ROOT / "patches" / "gesture.json"))
    ed.run_for(0.5)
    graph = ed.rt.doc
    saved = dict(graph.pos)
    steps = len(ed.rt.history.undo_stack)
    zoom0 = ed.canvas.zoom
    node = "gestures"
    (w0, h0) = dpg.get_item_rect_size(ed.canvas.views[node].tag)
    # the mouse over the learner's title: that point stays put while zooming
    x, y = dpg.get_item_rect_min(ed.canvas.views[node].tag)
    anchor = (x + 20, y + 4)
    grid = ed.canvas.to_grid(anchor)
    play(ed, lambda: xdo("mousemove", round(anchor[0]), round(anchor[1])))
    play(ed, keys("ctrl+minus"))
    frames(ed, 4)
    zoom1 = ed.canvas.zoom
    assert zoom1 < zoom0, (zoom0, zoom1)
    w1, h1 = dpg.get_item_rect_size(ed.canvas.views[node].tag)
    assert abs(w1 / w0 - zoom1 / zoom0) < 0.12 and abs(h1 / h0 - zoom1 / zoom0) < 0.15, (w0, h0, w1, h1)
    sx, sy = ed.canvas.to_screen(grid)
    assert abs(sx - anchor[0]) < 3 and abs(sy - anchor[1]) < 3, "the point under the mouse stays there"
    play(ed, keys("ctrl+equal", "ctrl+equal"))
    frames(ed, 4)
    assert ed.canvas.zoom > zoom0, ed.canvas.zoom
    play(ed, keys("ctrl+0"))
    assert ed.canvas.zoom == 1.0
    (w2, h2) = dpg.get_item_rect_size(ed.canvas.views[node].tag)

    def wheel():
        xdo("keydown", "ctrl")
        time.sleep(0.05)
        xdo("click", 5)  # the wheel turned towards the person: zoom out
        time.sleep(0.15)
        xdo("keyup", "ctrl")
    play(ed, wheel)
    frames(ed, 4)
    assert ed.canvas.zoom < 1.0, ed.canvas.zoom
    play(ed, keys("ctrl+0"))
    frames(ed, 4)
    before = cut_off(ed)
    assert before, "gesture.json at 100% does not fit a 1280x800 window: Show all has work to do"
    play(ed, keys("Home"))
    wait_until(ed, lambda: ed._fit is None, what="Show all to settle")
    frames(ed, 4)
    assert not cut_off(ed), cut_off(ed)
    assert ed.canvas.zoom < 1.0
    assert dict(graph.pos) == saved, "the view changed, not the patch"
    assert len(ed.rt.history.undo_stack) == steps and not ed.dirty
    assert "whole patch is in view" in ed.status.message, ed.status.message
    return {"zooms": [zoom0, zoom1], "fit": ed.canvas.zoom, "size_at_1": [w2, h2]}


@scenario
def examples_fit(ed, out, pictures=None):
    """Every example patch, opened in a 1280x800 window, shows all its nodes and comments
    at the zoom it was saved with: nothing cut off."""
    report = {}
    assert (dpg.get_viewport_width(), dpg.get_viewport_height()) == (1280, 800)
    for path in sorted((ROOT / "patches").glob("*.json")):
        assert ed.open_now(str(path)), ed.last_error
        ed.run_for(0.6)  # values, learners' words and plots have come: boxes at their size
        assert len(on_screen_rects(ed)) == len(ed.rt.doc.nodes) + len(ed.rt.doc.comments)
        assert not cut_off(ed), f"{path.name} at zoom {ed.canvas.zoom}: cut off {cut_off(ed)}"
        report[path.name] = ed.canvas.zoom
        if pictures:  # a folder: a picture of each
            app.write_png(ed, str(Path(pictures) / (path.stem + ".png")))
    return report


@scenario
def gesture_circle(ed, out, picture=None):
    """gesture.json as a person plays it: a circle drawn on the pad (real pointer events) is
    named "circle" by ml.gesture, at the zoom the patch opens with."""
    assert ed.open_now(str(ROOT / "patches" / "gesture.json"))
    ed.run_for(0.5)
    assert ed.canvas.zoom < 1, "gesture.json opens zoomed out to fit"
    pad = pad_of(ed, "pad")
    node = ed.rt.graph.nodes["gestures"]
    named = []
    node.watch("label", named.append)
    # as the taught circles: centre (0.41, 0.40), radius 0.2, from the right, anticlockwise
    pts = [pad.screen_of(0.41 + 0.2 * math.cos(a), 0.40 + 0.2 * math.sin(a))
           for a in (2 * math.pi * i / 40 for i in range(41))]
    play(ed, stroke(pts, pause=0.02))
    wait_until(ed, lambda: "circle" in named, seconds=5, what=f"ml.gesture to name the circle (named {named})")
    ed.run_for(0.8)  # the scope and the display show it
    assert len(pad.points) > 20, "the stroke is drawn on the pad"
    if picture:
        ed.select("gestures")
        app.write_png(ed, picture)
    return {"named": [str(n) for n in named], "zoom": ed.canvas.zoom}


@scenario
def teach_areas(ed, out, picture=None):
    """mouse-classifier.json taught from scratch by drawing on the pad: three classes, each
    scribbled over its own area while recording; after training, a point in each area is
    named by its class."""
    from nodegraph import BANG
    assert ed.open_now(str(ROOT / "patches" / "mouse-classifier.json"))
    ed.run_for(0.5)
    clf = ed.rt.graph.nodes["classifier"]
    pad = pad_of(ed, "pad")
    ed.rt.send("classifier", "clear", BANG)
    wait_until(ed, lambda: not clf.state.get("examples"), what="the examples to be cleared")
    areas = {1: (0.22, 0.25), 2: (0.75, 0.3), 3: (0.5, 0.78)}
    for label, (cx, cy) in areas.items():
        ed.set_param("class", "value", float(label))
        ed.rt.send("classifier", "record", True)
        zigzag = [(cx + 0.13 * math.cos(1.7 * i), cy + 0.12 * math.sin(1.3 * i)) for i in range(40)]
        play(ed, stroke([pad.screen_of(u, v) for u, v in zigzag], pause=0.03))
        ed.rt.send("classifier", "record", False)
        ed.run_for(0.2)
    examples = ed.rt.call(lambda: list(clf.state["examples"]))
    counts = {c: sum(1 for e in examples if e["y"] == c) for c in areas}
    assert all(n >= 10 for n in counts.values()), counts
    ed.rt.send("classifier", "train", BANG)
    wait_until(ed, lambda: clf._predictor is not None and clf._job is None, seconds=30, what="training")
    said = []
    clf.watch("label", said.append)
    for label, (cx, cy) in areas.items():
        x, y = pad.screen_of(cx, cy)
        play(ed, stroke([(x, y), (x + 1, y)]))
        wait_until(ed, lambda: said and said[-1] == label, what=f"the classifier to say {label} (said {said[-3:]})")
    ed.run_for(1.0)  # the plot shades the regions
    if picture:
        ed.select("classifier")
        app.write_png(ed, picture)
    return {"counts": counts}


@scenario
def side_panel(ed, out):
    """The bar beside the inspector drags to resize it (real mouse); Ctrl+I hides it and the
    canvas takes its room, and shows it again."""
    frames(ed, 3)
    cw0 = dpg.get_item_rect_size(ed.canvas_parent)[0]
    sx, sy = dpg.get_item_rect_min(ed.splitter)
    _, sh = dpg.get_item_rect_size(ed.splitter)

    def drag():
        xdo("mousemove", round(sx + 2), round(sy + sh / 2))
        time.sleep(0.1)
        xdo("mousedown", 1)
        for k in range(1, 11):
            xdo("mousemove", round(sx + 2 - 20 * k), round(sy + sh / 2))
            time.sleep(0.02)
        time.sleep(0.1)
        xdo("mouseup", 1)
    play(ed, drag)
    cw1 = dpg.get_item_rect_size(ed.canvas_parent)[0]
    assert abs((cw0 - cw1) - 200) < 12, f"the canvas is {cw0 - cw1} px narrower, not 200: the inspector wider"
    play(ed, keys("ctrl+i"))
    frames(ed, 3)
    cw2 = dpg.get_item_rect_size(ed.canvas_parent)[0]
    assert not dpg.is_item_shown(ed.side) and cw2 > cw0 + 200, (cw0, cw2)
    play(ed, keys("ctrl+i"))
    frames(ed, 3)
    assert dpg.is_item_shown(ed.side) and abs(dpg.get_item_rect_size(ed.canvas_parent)[0] - cw1) < 3
    return {"widths": [cw0, cw1, cw2]}



@scenario
def far_nodes(ed, out, path):
    """Nodes far outside the canvas are not drawn (drawing them is most of a frame); a node
    linked to one in view is; panned to with the middle button, the far ones are drawn at
    their places with their links, showing live values; Show all draws them all."""
    assert ed.open_now(path), ed.last_error
    ed.run_for(0.5)
    canvas = ed.canvas
    tag = {node_id: view.tag for node_id, view in canvas.views.items()}
    drawn = [n for n in tag if tag[n] not in canvas.hidden]
    assert tag["m4"] in canvas.hidden and tag["d3"] in canvas.hidden, drawn
    assert tag["m0"] not in canvas.hidden and tag["far"] not in canvas.hidden, "linked to a node in view"
    assert not canvas.hidden_links.intersection(canvas.links[link] for link in canvas.links
                                                if "far" in (link.src, link.dst))
    first = len(drawn)
    cx, cy = dpg.get_item_pos(ed.canvas_parent)
    cw, ch = dpg.get_item_rect_size(ed.canvas_parent)

    def pan_up(times, by):
        def go():
            for _ in range(times):
                x, y = round(cx + cw * 0.8), round(cy + ch - 30)
                xdo("mousemove", x, y)
                time.sleep(0.05)
                xdo("mousedown", 2)
                for k in range(1, 11):
                    xdo("mousemove", x, y - by * k // 10)
                    time.sleep(0.02)
                xdo("mouseup", 2)
                time.sleep(0.1)
        return go
    before = canvas.offset()
    row3 = canvas.to_screen(ed.rt.doc.pos["m3"])[1]
    play(ed, pan_up(3, round((row3 - cy - 100) / 3)))  # row 3 to near the top of the canvas
    frames(ed, 6)
    after = canvas.offset()
    assert after[1] < before[1] - 500, (before, after)
    pad = canvas.node_pad()
    inside = []
    for node_id in ("m3", "c3", "d3"):
        view = canvas.views[node_id]
        assert view.tag not in canvas.hidden, f"{node_id} is in view and drawn"
        want = canvas.to_screen(ed.rt.doc.pos[node_id])
        x, y = dpg.get_item_rect_min(view.tag)
        assert abs(x - pad[0] - want[0]) <= 1 and abs(y - pad[1] - want[1]) <= 1, (node_id, (x, y), want)
        inside.append(cy <= want[1] <= cy + ch)
    assert all(inside), "the pan brought row 3 into view"
    for link in canvas.links:
        if link.src == "c3":
            assert canvas.links[link] not in canvas.hidden_links
    assert tag["m0"] in canvas.hidden, "the first row, now far above, is not drawn"
    seen = set()

    def counting():
        seen.add(canvas.views["c3"].shown.get("count"))
        return len({text for text in seen if text and text.startswith("count: ")}) >= 3
    wait_until(ed, counting, what="row 3's counter to show its count going on (20 a second)")
    shown = canvas.views["c3"].shown["count"]
    play(ed, keys("Home"))
    wait_until(ed, lambda: ed._fit is None, what="Show all to settle")
    frames(ed, 4)
    assert not canvas.hidden and not canvas.hidden_links, "the whole patch in view: all drawn"
    assert not cut_off(ed), (cut_off(ed), canvas.zoom, ed.status.message)
    return {"drawn_first": first, "of": len(tag), "offset": [before, after], "shown": shown}


if __name__ == "__main__":
    harness.main(SCENARIOS, size=(1280, 800))

