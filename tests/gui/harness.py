"""Scenarios run inside a real editor process: `python harness.py SCENARIO OUT.json [ARGS]`.

Each scenario drives the editor through the callbacks a click or a key press
calls (the link callback imnodes calls, the object box's Enter, the menu's
actions...), checks what the engine and the drawing show, and writes a JSON
report. An assertion failing exits non-zero with its traceback.
"""
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import dearpygui.dearpygui as dpg

from nodegraph import Inlet, Node, Outlet, Param, SetParam, register
from nodegraph.editor import app, layout, session
from nodegraph.editor import clipboard as clipboard_module
from nodegraph.editor import plots, widgets
from nodegraph.editor.canvas import NODE_PAD, PARAMS_ON_NODE
from nodegraph.errors import NodeError

ROOT = Path(__file__).resolve().parent.parent.parent
SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


@register("test.learner", category="ml")
class FakeLearner(Node):
    """A stand-in learner for the editor tests: counts examples per label.

    Shaped like the ml.* nodes (record/train/run/clear); not part of the library.
    """

    inlets = (Inlet("features", "vector"), Inlet("label", "label", hot=False),
              Inlet("record", "bool", hot=False), Inlet("train", "bang"), Inlet("run", "bool", hot=False),
              Inlet("clear", "bang"))
    outlets = (Outlet("out", "label"),)
    params = (Param("k", "int", 1, min=1, max=20),)

    def setup(self):
        self.counts, self.progress, self.score, self.bangs = {}, None, None, []

    def process(self, fired):
        if "train" in fired:
            self.bangs.append("train")
            self.progress, self.score = 1.0, 0.93
        if "clear" in fired:
            self.bangs.append("clear")
            self.counts = {}
        if "features" in fired and self.inputs["record"]:
            label = self.inputs["label"]
            self.counts[label] = self.counts.get(label, 0) + 1

    def info(self):
        return {"counts": dict(self.counts), "progress": self.progress, "score": self.score}


@register("test.fail", category="math")
class Fails(Node):
    """Fails on every value (to show the error state)."""

    inlets = (Inlet("in", "float"),)
    outlets = (Outlet("out", "float"),)

    def process(self, fired):
        raise NodeError("this value is wrong on purpose")


def frames(ed, n=3):
    """n frames, then the engine has performed every edit made so far (the editor does not
    wait for it: a test that reads the engine's own nodes does)."""
    ed.run_frames(n)
    ed.rt.call(lambda: None)


def wait_until(ed, cond, seconds=5.0, what="condition"):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ed.frame()
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def pixel(ed, x, y):
    """The RGB (0..255) at a screen point of the last frame (the frame buffer, read back)."""
    box = {}

    def got(sender, buffer):
        box["buf"] = buffer
    dpg.output_frame_buffer(callback=got)
    for _ in range(4):
        ed.frame()
        if "buf" in box:
            break
    buf = box["buf"]
    w = dpg.get_viewport_client_width()
    i = (int(y) * w + int(x)) * 4
    return tuple(round(buf[i + k] * 255) for k in range(3))


def view_count(ed):
    return len(ed.canvas.views), len(ed.canvas.links), len(ed.canvas.comments)


def graph_count(ed):
    g = ed.rt.doc
    return len(g.nodes), len(g.links), len(g.comments)


# ---- scenarios ---------------------------------------------------------------------------

@scenario
def open_examples(ed, out):
    """Every example patch opens, is drawn completely, plays, and shows no file error."""
    report = {}
    patches = sorted((ROOT / "patches").glob("*.json"))
    assert patches, "no example patches found"
    for path in patches:
        assert ed.open_now(str(path)), f"{path.name}: {ed.last_error}"
        frames(ed, 4)
        assert view_count(ed) == graph_count(ed), f"{path.name}: drawn {view_count(ed)} != patch {graph_count(ed)}"
        for node_id, view in ed.canvas.views.items():
            assert dpg.get_item_rect_size(view.tag)[0] > 0, f"{path.name}: node {node_id} not drawn"
        assert not ed.dirty, f"{path.name}: opening a patch must not mark it changed"
        report[path.name] = graph_count(ed)
        if path.name in LAID_OUT:
            ed.run_for(0.3)  # values, learners' words and plots have come: boxes at their size
            moves = layout.spread(ed._boxes(), margin=4)
            assert not moves, f"{path.name}: boxes overlap: {sorted(map(str, moves))}"
            box = ed.content_box()
            assert box[2] <= 1700 and box[3] <= 1150, f"{path.name}: spread over {box}: hard to see at once"
    return report


@scenario
def playing_is_not_editing(ed, out):
    """A patch played for a while (models refitted, sliders moved, the pad dragged, values
    flowing) is not modified, and the undo stack stays empty."""
    report = {}
    for name in ("xy-to-synth.json", "mouse-classifier.json", "midi-mapping.json"):
        assert ed.open_now(str(ROOT / "patches" / name)), f"{name}: {ed.last_error}"
        controls = [n for n, node in ed.rt.doc.nodes.items() if hasattr(node, "live") and "in" in node.inlet_map]
        assert controls, name
        for i in range(30):
            for node_id in controls:
                node = ed.rt.graph.nodes[node_id]
                value = node.live
                ed.rt.send(node_id, "in", [0.1 * (i % 10), 0.05 * i % 1] if isinstance(value, list)
                           else (not value) if isinstance(value, bool) else value)
            ed.run_for(0.1)
        ed.run_for(3.0)  # a saved model refitted, scores in, plots drawn
        assert not ed.dirty, f"{name}: playing marked the patch modified"
        assert not ed.rt.history.undo_stack, f"{name}: playing left undo steps: {ed.rt.history.undo_stack}"
        report[name] = len(controls)
    return report


@scenario
def reads_no_running_node(ed, out):
    """The editor's own code never reads a running node (the engine's, alive on the scheduler
    thread) from its thread: patches with controls, plots, learners, a pad and a mouse node are
    opened and played, every node inspected, zoomed, a dataset dot clicked. Every attribute
    read of an engine node (one with a host) from the main thread whose caller is in
    nodegraph/editor/ is recorded: there must be none."""
    import inspect
    editor_dir = str(Path(app.__file__).parent) + os.sep
    main_thread = threading.main_thread()
    reads = []
    plain = object.__getattribute__

    def spy(node, name):
        if threading.current_thread() is main_thread and plain(node, "__dict__").get("host") is not None:
            caller = sys._getframe(1)
            if caller.f_code.co_filename.startswith(editor_dir):
                reads.append(f"{plain(node, 'id')}.{name} read at "
                             f"{os.path.basename(caller.f_code.co_filename)}:{caller.f_lineno}")
        return plain(node, name)
    Node.__getattribute__ = spy
    try:
        report = {}
        for name in ("iris.json", "mouse-classifier.json", "gesture.json", "xy-to-synth.json", "cafeteria.json"):
            assert ed.open_now(str(ROOT / "patches" / name)), f"{name}: {ed.last_error}"
            ed.add_node("mouse", {}, (1400, 40))
            ed.run_for(0.5)
            for node_id, view in list(ed.canvas.views.items()):
                ed.select(node_id)
                frames(ed, 2)
                for inlet, item in view.controls.items():  # record, run...: switched on and off again
                    if dpg.get_item_info(item)["type"] == "mvAppItemType::mvCheckbox":
                        ed.on_inlet_control(item, True, (node_id, inlet))
                        ed.on_inlet_control(item, False, (node_id, inlet))
                for pname, item in view.params.items():  # each widget's value given back as it is
                    (ed.on_played_widget if widgets.played(view.node, pname) else ed.on_param_widget)(
                        item, dpg.get_value(item), (node_id, pname))
                if view.pad is not None:
                    view.pad.begin(view.pad.screen_of(0.2, 0.3))
                    view.pad.move(view.pad.screen_of(0.6, 0.7))
                    ed.canvas.pointer.pad = None
                if view.plot is not None and view.plot.kind == "dataset" and view.plot.view is not None \
                        and len(view.plot.view["points"]):
                    pv = view.plot
                    from nodegraph.editor import plotdraw
                    sx, sy = plotdraw._to_pixels(pv.view["points"][:1, 0], pv.view["points"][:1, 1],
                                                 pv.view["bounds"], *pv.size)
                    ix, iy = pv.picture_origin()
                    pv.clicked((ix + float(sx[0]), iy + float(sy[0])))
                    ed.dialogs.answer("Keep")
            ed.canvas.pointer.feed((300, 200))
            ed.zoom_to(1.25)
            ed.run_for(0.5)
            ed.zoom_to(1.0)
            ed.run_for(0.3)
            report[name] = len(ed.canvas.views)
    finally:
        del Node.__getattribute__
    assert inspect.getattr_static(Node, "__getattribute__") is object.__getattribute__
    assert not reads, "the editor read running nodes from its thread:\n" + "\n".join(sorted(set(reads))[:40])
    assert not ed.errors, ed.errors
    return report


# the teaching patches, laid out for the editor's boxes as they are drawn now
LAID_OUT = {"hello.json", "mouse-classifier.json", "xy-to-synth.json", "gesture.json", "iris.json",
            "cafeteria.json", "metro-count.json", "midi-mapping.json", "wekinator-classifier.json",
            "wekinator-regression.json", "wekinator-gesture.json"}


@scenario
def tidy_up(ed, out):
    """Tidy up moves overlapping boxes apart in one undo step."""
    ed.add_node("metro", {}, (40, 40))
    ed.add_node("print", {}, (60, 70))  # on top of the metro
    ed.new_comment((40, 60))
    dpg.set_value(ed.dialogs.text_input, "a note over both")
    ed.dialogs._on_text_ok()
    frames(ed, 4)
    before = dict(ed.rt.doc.pos)
    assert ed.tidy() >= 2
    frames(ed, 4)
    rects = []
    for item in ed.canvas.items:
        (x, y), (w, h) = dpg.get_item_pos(item), dpg.get_item_rect_size(item)
        rects.append((x, y, w, h))
    for i, (x, y, w, h) in enumerate(rects):
        for (x2, y2, w2, h2) in rects[i + 1:]:
            assert not (x < x2 + w2 and x2 < x + w and y < y2 + h2 and y2 < y + h), "boxes still overlap"
    ed.undo()
    frames(ed, 2)
    assert dict(ed.rt.doc.pos) == before
    return {}


@scenario
def relevant_params(ed, out):
    """A learner shows the options of its algorithm only, and follows a change of algorithm;
    the inspector keeps every param, the unused ones apart (greyed)."""
    n = ed.add_node("ml.classify", {}, (40, 40))
    frames(ed, 3)
    view = ed.canvas.views[n]
    node = ed.rt.doc.nodes[n]
    assert "k" in view.params and not {"kernel", "C", "trees", "hidden_units"} & set(view.params), list(view.params)
    ed.select(n)
    frames(ed, 2)
    assert set(ed.inspector.params) == {p.name for p in type(node).params}
    assert dpg.get_item_theme(ed.inspector.params["kernel"]) == ed.themes.dim_text
    assert dpg.get_item_theme(ed.inspector.params["k"]) != ed.themes.dim_text
    ed.on_param_widget(view.params["algorithm"], "svm", (n, "algorithm"))  # the combo on the node
    frames(ed, 3)
    view = ed.canvas.views[n]
    assert {"kernel", "C"} <= set(view.params) and "k" not in view.params, list(view.params)
    assert dpg.get_item_theme(ed.inspector.params["k"]) == ed.themes.dim_text
    assert dpg.get_item_theme(ed.inspector.params["kernel"]) != ed.themes.dim_text
    assert set(ed.inspector.params) == {p.name for p in type(node).params}
    before = set(view.params)
    ed.undo()
    frames(ed, 3)
    view = ed.canvas.views[n]
    assert node.params["algorithm"] == "knn" and "k" in view.params and "kernel" not in view.params
    return {"svm": sorted(before)}


def _inside_canvas(ed):
    """The boxes (screen rectangles) not wholly inside the canvas's visible area."""
    cx, cy = dpg.get_item_pos(ed.canvas_parent)
    cw, ch = dpg.get_item_rect_size(ed.canvas_parent)
    outside = []
    for item, key in ed.canvas.items.items():
        rx, ry = dpg.get_item_rect_min(item)
        w, h = dpg.get_item_rect_size(item)
        left, top = rx - NODE_PAD[0], ry - NODE_PAD[1]
        if left < cx or top < cy or left + w > cx + cw or top + h > cy + ch:
            outside.append(key)
    return outside


@scenario
def fit_to_patch(ed, out):
    """A screenshot's window is sized to the whole patch (grown or shrunk); View > Show all
    brings a patch that lies off the canvas into view, zooming out, without moving a node."""
    far = ed.add_node("metro", {}, (1400, 900))
    ed.add_node("print", {}, (40, 40))
    ed.new_comment((700, 1000))
    dpg.set_value(ed.dialogs.text_input, "a note far down")
    ed.dialogs._on_text_ok()
    frames(ed, 4)
    assert _inside_canvas(ed), "the patch starts larger than the window"
    app.fit_shot(ed)
    w, h = dpg.get_viewport_width(), dpg.get_viewport_height()
    assert w > 960 and h > 680 and w <= app.SHOT_LARGEST[0] and h <= app.SHOT_LARGEST[1], (w, h)
    assert not _inside_canvas(ed), f"still cut off: {_inside_canvas(ed)} at {w}x{h}"
    x, y = ed.rt.doc.pos[far]
    right = ed.canvas.to_screen((x, y))[0] + dpg.get_item_rect_size(ed.canvas.views[far].tag)[0]
    canvas_right = dpg.get_item_pos(ed.canvas_parent)[0] + dpg.get_item_rect_size(ed.canvas_parent)[0]
    assert canvas_right - right < 3 * app.FIT_MARGIN, "no wide empty margin either"
    # a small patch: a small screenshot (down to the smallest size)
    ed.delete_nodes([far])
    for cid in list(ed.rt.doc.comments):
        ed.delete_comments([cid])
    frames(ed, 3)
    app.fit_shot(ed)
    assert (dpg.get_viewport_width(), dpg.get_viewport_height()) == app.SHOT_SMALLEST
    # View > Show all: nodes off to the top left come back into view, the window grows
    dpg.set_viewport_width(700)
    dpg.set_viewport_height(500)
    a = ed.add_node("metro", {}, (-300, -200))
    b = ed.add_node("print", {}, (250, 150))
    frames(ed, 4)
    before = dict(ed.rt.doc.pos)
    steps = len(ed.rt.history.undo_stack)
    assert _inside_canvas(ed)
    ed.show_all()
    wait_until(ed, lambda: ed._fit is None, what="Show all to settle")
    frames(ed, 4)
    assert not _inside_canvas(ed), _inside_canvas(ed)
    assert ed.canvas.zoom < 1, "zoomed out to fit"
    assert dict(ed.rt.doc.pos) == before and len(ed.rt.history.undo_stack) == steps, \
        "Show all changes the view, not the patch"
    return {"size": [w, h]}


@scenario
def every_type(ed, out):
    """Every registered node type can be made from the Add menu's callback and is drawn."""
    from nodegraph import registry
    made = []
    for i, type_id in enumerate(registry.all_types()):
        node_id = ed.add_node(type_id, {}, (40 + (i % 6) * 260, 40 + (i // 6) * 260))
        assert node_id is not None, f"{type_id}: {ed.last_error}"
        made.append(node_id)
    frames(ed, 3)
    for node_id in made:
        view = ed.canvas.views[node_id]
        node = ed.rt.doc.nodes[node_id]
        assert set(view.inlets) == {i.name for i in node.inlets}
        assert set(view.outlets) == {o.name for o in node.outlets}
        for inlet in node.inlets:
            if inlet.type in ("bang", "bool") and inlet.name not in view.params:
                assert inlet.name in view.controls, f"{node_id}: no control for {inlet.type} inlet {inlet.name}"
        relevant = set(node.relevant_params())
        shown = [p.name for p in type(node).params if p.name not in widgets.hidden_params(node)
                 and (p.name in relevant or p.name in node.inlet_map)]
        limit = 0 if plots.has_view(node) or view.pad is not None else PARAMS_ON_NODE
        assert set(shown[:limit]) <= set(view.params), f"{node_id}: params missing on the node"
        assert set(view.params) <= relevant | set(node.inlet_map), f"{node_id}: a param that does not matter now"
        assert (view.plot is not None) == plots.has_view(node)
        ed.select(node_id)  # the inspector has every param
        assert set(ed.inspector.params) == {p.name for p in type(node).params}, node_id
    ml = [n for n in made if ed.rt.doc.nodes[n].type_id.startswith("ml.")]
    for node_id in ml:
        view = ed.canvas.views[node_id]
        for name in ("record", "train", "run", "clear"):
            if name in ed.rt.doc.nodes[node_id].inlet_map:
                assert name in view.controls, f"{node_id}: learner without a {name} control"
    return {"types": len(made), "learners": ml}


@scenario
def object_box(ed, out):
    """n opens the box; typing completes fuzzily with help; Enter makes the node with its params."""
    ed.handle_key(dpg.mvKey_N)
    frames(ed, 2)
    box = ed.objectbox
    assert box.is_open
    box.type_text("mtro")
    assert box.candidates[0][0] == "metro", box.candidates
    assert "bang" in box.candidates[0][1].lower(), "the one-line help is shown beside the name"
    box.type_text("metro 250")
    ed.handle_key(dpg.mvKey_Return)
    frames(ed, 2)
    assert not box.is_open
    metros = [n for n in ed.rt.doc.nodes.values() if n.type_id == "metro"]
    assert len(metros) == 1 and metros[0].params["interval"] == 250.0
    assert metros[0].id in ed.canvas.views
    # a typo keeps the box open and says why
    ed.open_object_box()
    box.type_text("math * x")
    ed.handle_key(dpg.mvKey_Return)
    frames(ed, 2)
    assert box.is_open and "arg" in dpg.get_value(box.error), dpg.get_value(box.error)
    # down arrow picks the second candidate; Escape closes
    box.type_text("pri")
    ed.handle_key(dpg.mvKey_Escape)
    assert not box.is_open
    # a partial name takes the highlighted completion, and params still apply
    ed.open_object_box()
    box.type_text("mat * 3")
    ed.handle_key(dpg.mvKey_Return)
    frames(ed, 2)
    maths = [n for n in ed.rt.doc.nodes.values() if n.type_id == "math"]
    assert len(maths) == 1 and maths[0].params == {"op": "*", "arg": 3.0}, maths[0].params
    # one undo step per node made
    ed.undo()
    frames(ed, 2)
    assert not [n for n in ed.rt.doc.nodes.values() if n.type_id == "math"]
    return {"nodes": sorted(ed.rt.doc.nodes)}


@scenario
def link_and_refuse(ed, out):
    """A dragged link (the callback imnodes makes) links; a bad one is refused, visibly."""
    a = ed.add_node("pack", {}, (40, 40))
    b = ed.add_node("unpack", {}, (320, 40))
    m = ed.add_node("math", {}, (320, 260))
    frames(ed, 3)
    ed.canvas._on_link(ed.canvas.tag, ed.canvas.link_between(a, "vector", b, "vector"))
    frames(ed, 2)
    assert len(ed.rt.doc.links) == 1 and len(ed.canvas.links) == 1
    # imnodes may report the pins in either order
    ed.canvas._on_link(ed.canvas.tag, tuple(reversed(ed.canvas.link_between(b, "out0", m, "a"))))
    frames(ed, 2)
    assert len(ed.rt.doc.links) == 2 and len(ed.canvas.links) == 2
    # vector -> float does not fit
    ed.canvas._on_link(ed.canvas.tag, ed.canvas.link_between(a, "vector", m, "b"))
    frames(ed, 3)
    assert len(ed.rt.doc.links) == 2 and len(ed.canvas.links) == 2
    status = ed.status.message
    for word in (f"{a}.vector", "vector", f"{m}.b", "float"):
        assert word in status, f"{word!r} missing from the refusal {status!r}"
    assert ed.status.level == "error"
    assert dpg.is_item_shown(ed.dialogs.toast), "the refusal is shown at the mouse"
    assert status in dpg.get_value(ed.dialogs.toast_text)
    assert any("cannot link" in t for t in ed.console.texts()), "the refusal is in the console"
    # undo removes the last link, redo puts it back
    ed.undo()
    frames(ed, 2)
    assert len(ed.rt.doc.links) == 1 and len(ed.canvas.links) == 1
    ed.redo()
    frames(ed, 2)
    assert len(ed.canvas.links) == 2
    # delink callback (a link dragged off its inlet) unlinks; undo restores
    link_item = next(iter(ed.canvas.link_items))
    ed.canvas._on_delink(ed.canvas.tag, link_item)
    frames(ed, 2)
    assert len(ed.rt.doc.links) == 1 and len(ed.canvas.links) == 1
    ed.undo()
    frames(ed, 2)
    assert len(ed.canvas.links) == 2
    # deleting a node takes its links; one undo brings both back
    ed.delete_nodes([b])
    frames(ed, 2)
    assert b not in ed.canvas.views and len(ed.canvas.links) == 0
    ed.undo()
    frames(ed, 2)
    assert b in ed.canvas.views and len(ed.canvas.links) == 2
    return {"status": status}


@scenario
def params_and_undo(ed, out):
    """Widgets follow the param specs; a slider drag is one undo step; a bad value is refused."""
    n = ed.add_node("test.learner", {}, (40, 40))
    m = ed.add_node("math", {}, (360, 40))
    frames(ed, 2)
    view = ed.canvas.views[n]
    slider = view.params["k"]
    assert dpg.get_item_info(slider)["type"] == "mvAppItemType::mvDragInt"  # a click does not jump
    assert dpg.get_item_info(ed.canvas.views[m].params["op"])["type"] == "mvAppItemType::mvCombo"
    steps = len(ed.rt.history.undo_stack)
    ed.gesture += 1  # mouse down on the slider
    for k in (2, 3, 4, 5):
        ed.on_param_widget(slider, k, (n, "k"))
    ed.on_mouse_release(None, dpg.mvMouseButton_Left)
    assert ed.rt.doc.nodes[n].params["k"] == 5
    assert len(ed.rt.history.undo_stack) == steps + 1, "a drag is one undo step"
    ed.undo()
    frames(ed, 2)
    assert ed.rt.doc.nodes[n].params["k"] == 1
    assert dpg.get_value(slider) == 1, "the widget follows undo"
    # the combo sets a choice
    ed.on_param_widget(ed.canvas.views[m].params["op"], "*", (m, "op"))
    frames(ed, 2)
    assert ed.rt.doc.nodes[m].params["op"] == "*"
    # an out-of-range value is refused, the old one stays and is shown again
    ed.on_param_widget(slider, 99, (n, "k"))
    frames(ed, 2)
    assert ed.rt.doc.nodes[n].params["k"] == 1 and dpg.get_value(slider) == 1
    assert "at most 20" in ed.status.message
    # a text param commits on Enter, and also when the field is left (Tab, a click elsewhere)
    p = ed.add_node("print", {}, (40, 300))
    frames(ed, 2)
    field = ed.canvas.views[p].params["prefix"]
    dpg.set_value(field, "hello")
    steps = len(ed.rt.history.undo_stack)
    ed._on_text_left(None, field)  # what the shared deactivated-after-edit handler calls
    ed.on_param_widget(field, "hello", (p, "prefix"))  # Enter fired too: no second step
    assert ed.rt.doc.nodes[p].params["prefix"] == "hello"
    assert len(ed.rt.history.undo_stack) == steps + 1
    return {}


@scenario
def number_fields_click_and_type(ed, out):
    """A number setting on a node, with real X events: a click on it changes nothing (a
    slider's click jumped to where it landed: k 1 became 49); a double-click lets one type
    a value, Enter sets it, as one undo step."""
    n = ed.add_node("test.learner", {}, (40, 40))
    frames(ed, 4)
    field = ed.canvas.views[n].params["k"]
    (x, y), (w, h) = dpg.get_item_rect_min(field), dpg.get_item_rect_size(field)
    steps = len(ed.rt.history.undo_stack)
    _play(ed, [("click", (x + w * 0.8, y + h / 2))])
    frames(ed, 2)
    assert ed.rt.doc.nodes[n].params["k"] == 1 and len(ed.rt.history.undo_stack) == steps, "a click changed k"
    _play(ed, [("dclick", (x + w / 2, y + h / 2)), ("key", "ctrl+a"), ("type", "7"), ("key", "Return")])
    frames(ed, 2)
    assert ed.rt.doc.nodes[n].params["k"] == 7, ed.rt.doc.nodes[n].params["k"]
    assert len(ed.rt.history.undo_stack) == steps + 1
    return {"k": 7}


@scenario
def boxes_left_of_the_origin_open_in_view(ed, out):
    """A patch whose boxes were dragged above and left of where the view starts opens with
    all of them in view (they opened cut off at the canvas's left edge)."""
    path = os.path.abspath("left.json")
    Path(path).write_text(json.dumps({"format": "nodegraph-patch", "version": 1, "nodes": {
        "a": {"type": "metro", "params": {}, "pos": [-115, -40]},
        "b": {"type": "print", "params": {}, "pos": [200, 60]}}, "links": [],
        "comments": [{"text": "a note", "pos": [-60, 200]}]}))
    assert ed.open_now(path), ed.last_error
    frames(ed, 6)
    assert not ed.cut_off(), f"cut off as the patch opens: {ed.cut_off()}"
    return {}


@scenario
def examples_menu_opens_a_teaching_patch(ed, out):
    """File > Examples lists the example patches, the teaching ones first; a click opens one."""
    bar = next(c for c in dpg.get_item_children(ed.main, 1) if dpg.get_item_info(c)["type"].endswith("mvMenuBar"))
    file_menu = dpg.get_item_children(bar, 1)[0]
    examples = next(i for i in _items(file_menu) if dpg.get_item_label(i) == "Examples")
    names = [dpg.get_item_label(i) for i in _items(examples)]
    assert names[:3] == ["hello", "mouse-classifier", "xy-to-synth"], names
    mx = dpg.get_item_state(file_menu)["pos"][0]
    _play(ed, [("click", (mx + 12, MENUBAR_HEIGHT / 2))])
    frames(ed, 3)  # the menu drawn: its rows have their places
    spot = _menu_item_spot((mx - 5, MENUBAR_HEIGHT), examples)
    _play(ed, [("move", spot), ("move", (spot[0] + 60, spot[1]))])
    frames(ed, 3)
    sub_w = dpg.get_item_state(examples)["rect_size"][0]  # its submenu, open beside the menu
    right = mx - 5 + dpg.get_item_state(file_menu)["rect_size"][0] + min(30, sub_w / 2)
    _play(ed, [("move", (right, spot[1])), ("click", (right, spot[1]))])
    wait_until(ed, lambda: ed.path and ed.path.endswith("hello.json"), what="hello.json to open")
    return {"examples": names}


@scenario
def synth_controls_show_what_plays(ed, out):
    """A value arriving on a synth's pitch inlet (a knob through midi.in) moves its pitch
    number on the canvas; the patch (what it saves) keeps its set pitch, and no undo step."""
    s = ed.add_node("synth", {}, (40, 40))
    frames(ed, 4)
    steps = len(ed.rt.history.undo_stack)
    ed.rt.send(s, "pitch", 0.9)
    ed.rt.send(s, "gate", False)
    item = ed.canvas.views[s].params["pitch"]
    wait_until(ed, lambda: abs(dpg.get_value(item) - 0.9) < 1e-6, what="the pitch number to show 0.9")
    wait_until(ed, lambda: dpg.get_value(ed.canvas.views[s].params["gate"]) is False, what="gate to show off")
    assert ed.rt.doc.nodes[s].params["pitch"] == 0.5 and len(ed.rt.history.undo_stack) == steps
    return {}


@scenario
def a_small_patch_is_read_whole(ed, out):
    """The live values of a small patch are read all in one report, so two displays fed by
    one message show that message together (iris: the truth beside the answer to another row)."""
    made = [ed.add_node("display", {}, (40, 40 + 60 * i)) for i in range(6)]
    frames(ed, 4)
    asked = []
    real = ed.rt.publish
    ed.rt.publish = lambda ids, plots: (asked.append(set(ids)), real(ids, plots))[1]
    try:
        for _ in range(40):
            ed.frame()
            time.sleep(0.01)
    finally:
        ed.rt.publish = real
    assert asked and all(ids >= set(made) for ids in asked), [sorted(a) for a in asked]
    return {"readings": len(asked)}


@scenario
def controls_follow_their_inlets(ed, out):
    """A value arriving on a control's inlet moves its widget (no edit, no undo step); the
    inspector keeps showing the set value, which is what the patch saves."""
    s = ed.add_node("slider", {"min": 0, "max": 10}, (40, 40))
    frames(ed, 2)
    ed.select(s)
    steps = len(ed.rt.history.undo_stack)
    ed.rt.send(s, "in", 7.5)
    item = ed.canvas.views[s].params["value"]
    wait_until(ed, lambda: abs(dpg.get_value(item) - 7.5) < 1e-6, what="the slider widget to follow")
    frames(ed, 3)
    assert dpg.get_value(ed.inspector.params["value"]) == 0 and ed.rt.doc.nodes[s].params["value"] == 0
    assert len(ed.rt.history.undo_stack) == steps
    return {}


@scenario
def plot_views(ed, out):
    """Plot nodes show their picture: a scope's line, a learner's examples; a click on a
    dot offers to delete that example (undoable)."""
    import numpy as np
    from nodegraph.editor import plotdraw
    scope = ed.add_node("plot.scope", {"range": "fixed", "ymin": 0, "ymax": 1}, (40, 40))
    learn = ed.add_node("ml.classify", {}, (40, 330))
    plot = ed.add_node("plot.dataset", {"regions": False}, (380, 300))
    frames(ed, 3)
    link = ed.canvas._on_link
    link(ed.canvas.tag, ed.canvas.link_between(learn, "model", plot, "model"))
    view = ed.canvas.views[scope]
    assert view.plot is not None and dpg.get_item_info(view.plot.image)["type"] == "mvAppItemType::mvDrawImage"
    for _ in range(20):
        ed.rt.send(scope, "in", 0.5)
        ed.run_for(0.02)
    wait_until(ed, lambda: view.plot.version, what="the scope's picture")
    frames(ed, 3)
    x, y = view.plot.picture_origin()
    w, h = view.plot.size
    colour = tuple(round(c * 255) for c in plotdraw.PALETTE[0])
    strip = [pixel(ed, x + w - 3, y + h // 2 + dy) for dy in (-1, 0, 1)]
    assert any(max(abs(a - b) for a, b in zip(p, colour)) <= 3 for p in strip), (strip, colour)
    # a learner's examples on the dataset plot
    for label, centre in (("a", 0.2), ("b", 0.8)):
        ed.rt.send(learn, "label", label)
        ed.rt.send(learn, "record", True)
        for d in (0.0, 0.03, 0.06):
            ed.rt.send(learn, "features", [centre + d, centre - d])
        ed.rt.send(learn, "record", False)
    pv = ed.canvas.views[plot].plot
    wait_until(ed, lambda: pv.view is not None and len(pv.view["points"]) == 6, what="six dots")
    node = ed.rt.graph.nodes[learn]
    before = len(node.state["examples"])
    sx, sy = plotdraw._to_pixels(pv.view["points"][:1, 0], pv.view["points"][:1, 1], pv.view["bounds"], *pv.size)
    ix, iy = pv.picture_origin()
    pv.clicked((ix + float(sx[0]), iy + float(sy[0])))  # what the picture's click handler calls
    assert dpg.is_item_shown(ed.dialogs.ask_window) and "Example" in dpg.get_value(ed.dialogs.ask_text)
    ed.dialogs.answer("Delete")
    wait_until(ed, lambda: len(node.state["examples"]) == before - 1, what="the example to go")
    wait_until(ed, lambda: len(pv.view["points"]) == 5, what="five dots")
    ed.undo()
    wait_until(ed, lambda: len(node.state["examples"]) == before, what="undo to bring it back")
    assert np.isfinite(pv.view["points"]).all()
    return {}


@scenario
def learner_controls(ed, out):
    """Bang inlets get buttons, on/off inlets checkboxes; info shows counts, progress, score."""
    n = ed.add_node("test.learner", {}, (40, 40))
    frames(ed, 2)
    view = ed.canvas.views[n]
    assert {"record", "train", "run", "clear"} <= set(view.controls)
    assert dpg.get_item_info(view.controls["train"])["type"] == "mvAppItemType::mvButton"
    assert dpg.get_item_info(view.controls["record"])["type"] == "mvAppItemType::mvCheckbox"
    ed.on_inlet_control(view.controls["record"], True, (n, "record"))
    for label in ("a", "a", "b"):
        ed.rt.send(n, "label", label)
        ed.rt.send(n, "features", [0.1, 0.2])
    ed.on_inlet_control(view.controls["train"], None, (n, "train"))
    node = ed.rt.graph.nodes[n]
    wait_until(ed, lambda: "train" in node.bangs and node.counts.get("b") == 1, what="the learner to train")
    wait_until(ed, lambda: "score" in dpg.get_value(view.info_text), what="the info to show the score")
    text = dpg.get_value(view.info_text)
    assert "3 examples" in text and "a: 2" in text and "score: 0.93" in text, text
    assert dpg.is_item_shown(view.progress) and dpg.get_value(view.progress) == 1.0
    assert dpg.get_value(view.controls["record"]) is True
    ed.on_inlet_control(view.controls["clear"], None, (n, "clear"))
    wait_until(ed, lambda: node.counts == {}, what="clear")
    return {"info": text}


@scenario
def error_state(ed, out):
    """A failing node turns red and says why on the node."""
    f = ed.add_node("test.fail", {}, (60, 60))
    frames(ed, 3)
    ed.rt.send(f, "in", 1.0)
    view = ed.canvas.views[f]
    wait_until(ed, lambda: view.error_shown is not None, what="the error to show")
    frames(ed, 4)
    assert dpg.is_item_shown(view.error_attr)
    assert "wrong on purpose" in dpg.get_value(view.error_text)
    assert view.theme is ed.themes.error
    x, y = dpg.get_item_rect_min(view.tag)
    r, g, b = pixel(ed, x + 4, y - NODE_PAD[1] + 6)
    assert r > 120 and r > 2 * g, f"the title bar is not red: {(r, g, b)}"
    return {"title_rgb": [r, g, b]}


@scenario
def move_and_comments(ed, out):
    """Dragging a node (then releasing) is a Move command; comments are made, edited, moved."""
    n = ed.add_node("print", {}, (40, 80))
    frames(ed, 3)
    view = ed.canvas.views[n]
    # what imnodes does during a drag; the release turns it into one command
    dpg.set_item_pos(view.tag, [200.0, 150.0])
    frames(ed, 1)
    cmd = _moves_of(ed, [view.tag])
    assert cmd is not None
    ed.try_do(cmd)
    assert ed.rt.doc.pos[n] == (200.0, 150.0)
    ed.undo()
    frames(ed, 2)
    assert ed.rt.doc.pos[n] == (40.0, 80.0) and tuple(dpg.get_item_pos(view.tag)) == (40.0, 80.0)
    ed.new_comment((300, 20))
    assert dpg.is_item_shown(ed.dialogs.text_window)
    dpg.set_value(ed.dialogs.text_input, "Move the mouse, then press record")
    ed.dialogs._on_text_ok()
    frames(ed, 2)
    assert [c.text for c in ed.rt.doc.comments.values()] == ["Move the mouse, then press record"]
    cid = next(iter(ed.rt.doc.comments))
    assert cid in ed.canvas.comments
    ed.edit_comment(cid)
    dpg.set_value(ed.dialogs.text_input, "Now train")
    ed.dialogs._on_text_ok()
    frames(ed, 2)
    assert ed.rt.doc.comments[cid].text == "Now train"
    assert "Now train" in dpg.get_item_label(ed.canvas.comments[cid])
    ed.undo()
    frames(ed, 2)
    assert "Move the mouse" in dpg.get_item_label(ed.canvas.comments[cid])
    ed.delete_comments([cid])
    frames(ed, 2)
    assert cid not in ed.canvas.comments
    ed.undo()
    frames(ed, 2)
    assert cid in ed.canvas.comments
    return {}


@scenario
def comment_moved_then_encapsulated(ed, out):
    """A comment moved (a drag), then nodes put in a box (Edit > Encapsulate) and the box
    taken apart again: undoing everything gives the patch back. A rearrangement reloads
    the whole document; its comments must keep their ids, or the earlier move's undo
    finds no comment (KeyError)."""
    import shutil
    path = os.path.abspath("xy-to-synth.json")
    shutil.copy(ROOT / "patches" / "xy-to-synth.json", path)
    assert ed.open_now(path), ed.last_error
    frames(ed, 4)
    before = _shape(ed.rt.to_doc())
    cids = sorted(ed.rt.doc.comments)
    cid = cids[1]
    item = ed.canvas.comments[cid]
    x, y = dpg.get_item_pos(item)
    dpg.set_item_pos(item, [x + 40.0, y + 30.0])  # what imnodes does during a drag
    frames(ed, 1)
    cmd = _moves_of(ed, [item])
    assert cmd is not None
    ed.try_do(cmd)  # the release
    frames(ed, 2)
    node = sorted(ed.rt.doc.nodes)[0]
    real = dpg.get_selected_nodes
    dpg.get_selected_nodes = lambda editor: [ed.canvas.views[node].tag]
    try:
        box = ed.encapsulate()
    finally:
        dpg.get_selected_nodes = real
    assert box is not None, ed.last_error
    frames(ed, 2)
    assert sorted(ed.rt.doc.comments) == cids, f"comments renumbered by Encapsulate: {sorted(ed.rt.doc.comments)}"
    assert ed.deencapsulate(box), ed.last_error
    frames(ed, 2)
    while ed.rt.undo():
        pass
    frames(ed, 4)
    assert _shape(ed.rt.to_doc()) == before, "undoing everything does not give the patch back"
    assert sorted(ed.rt.doc.comments) == cids
    assert view_count(ed) == graph_count(ed), f"drawn {view_count(ed)} != patch {graph_count(ed)}"
    while ed.rt.redo():
        pass
    frames(ed, 2)
    assert view_count(ed) == graph_count(ed), f"drawn {view_count(ed)} != patch {graph_count(ed)}"
    assert not ed.errors, ed.errors
    return {"comments": cids}


def _moves_of(ed, items):
    """canvas.moves() for given items (the selection a real drag has)."""
    real = dpg.get_selected_nodes
    dpg.get_selected_nodes = lambda editor: list(items)
    try:
        return ed.canvas.moves()
    finally:
        dpg.get_selected_nodes = real


@scenario
def save_and_reload(ed, out):
    """Save as, reopen: the same patch. The unsaved-changes guard asks before losing work."""
    path = os.path.join(os.getcwd(), "made.json")
    a = ed.add_node("metro", {"interval": 125}, (40, 40))
    b = ed.add_node("print", {"prefix": "tick"}, (40, 200))
    frames(ed, 2)
    ed.canvas._on_link(ed.canvas.tag, ed.canvas.link_between(a, "bang", b, "in"))
    ed.new_comment((300, 40))
    dpg.set_value(ed.dialogs.text_input, "a note")
    ed.dialogs._on_text_ok()
    frames(ed, 2)
    assert ed.dirty
    assert ed.save_as(path)
    assert not ed.dirty and ed.path == path
    assert path in session.recent_files()
    before = ed.rt.to_doc()
    # change something, then try to open another patch: the guard asks
    ed.add_node("value", {}, (200, 200))
    frames(ed, 2)
    assert ed.dirty
    ed.new()
    assert dpg.is_item_shown(ed.dialogs.ask_window)
    ed.dialogs.answer("Cancel")
    assert len(ed.rt.doc.nodes) == 3
    ed.new()
    ed.dialogs.answer("Don't save")
    frames(ed, 2)
    assert len(ed.rt.doc.nodes) == 0 and ed.path is None and view_count(ed) == (0, 0, 0)
    assert ed.open_now(path)
    frames(ed, 2)
    assert ed.rt.to_doc() == before
    assert view_count(ed) == (2, 1, 1)
    # the same through the keyboard: Ctrl+S saves in place
    ed.add_node("value", {}, (200, 200))
    ed.handle_key(dpg.mvKey_S, ctrl=True)
    assert not ed.dirty
    assert len(json.loads(Path(path).read_text())["nodes"]) == 3
    return {}


@scenario
def file_errors(ed, out):
    """A broken file is shown, not thrown; the open patch stays. Saving where one cannot is shown too."""
    ed.add_node("print", {}, (40, 40))
    frames(ed, 2)
    bad = Path("broken.json")
    bad.write_text('{"format": "nodegraph-patch", "version": 1, "nodes": {"a": {"type": "metro", '
                   '"params": {"interval": "fast"}}}}')
    assert not ed.open_now(str(bad))
    assert dpg.is_item_shown(ed.dialogs.ask_window)
    shown = dpg.get_value(ed.dialogs.ask_text)
    assert "interval" in shown and "'a'" in shown, shown
    ed.dialogs.answer("OK")
    assert len(ed.rt.doc.nodes) == 1
    Path("notjson.json").write_text("{nope")
    assert not ed.open_now("notjson.json") and "not valid JSON" in ed.last_error
    ed.dialogs.answer("OK")
    assert not ed.open_now("missing.json") and "cannot read" in ed.last_error
    ed.dialogs.answer("OK")
    assert not ed.save_as("/nonexistent-dir/x.json")
    assert "cannot save" in ed.last_error
    ed.dialogs.answer("OK")
    frames(ed, 2)
    return {"message": shown}


@scenario
def crash_leaves_recovery(ed, out, path):
    """Edit, autosave, then die without cleaning up (as a crash would)."""
    ed.open_now(path)
    ed.add_node("print", {"prefix": "unsaved"}, (200, 40))
    frames(ed, 2)
    assert ed.autosave()
    sys.stdout.flush()
    os._exit(0)


@scenario
def recovery_offered(ed, out, path):
    """The next editor on that file offers the recovery copy; accepting brings the work back."""
    ed.open_now(path)
    assert len(ed.rt.doc.nodes) == 1
    assert ed.offer_recovery(path)
    assert "closed without saving" in dpg.get_value(ed.dialogs.ask_text)
    ed.dialogs.answer("Recover")
    frames(ed, 2)
    prefixes = sorted(n.params.get("prefix") for n in ed.rt.doc.nodes.values())
    assert prefixes == ["saved", "unsaved"], prefixes
    assert ed.dirty and ed.path == os.path.abspath(path)
    ed.save()
    assert not ed.dirty
    assert session.find_recovery(path) is None, "saving drops the recovery copy"
    return {"prefixes": prefixes}


@scenario
def clipboard(ed, out):
    """Copy, paste (at a point) and duplicate a selection; the text is a patch fragment."""
    a = ed.add_node("metro", {"interval": 300}, (40, 40))
    b = ed.add_node("print", {}, (40, 220))
    frames(ed, 2)
    ed.canvas._on_link(ed.canvas.tag, ed.canvas.link_between(a, "bang", b, "in"))
    frames(ed, 2)
    items = [ed.canvas.views[a].tag, ed.canvas.views[b].tag]
    real = dpg.get_selected_nodes
    dpg.get_selected_nodes = lambda editor: items  # what a box selection gives
    try:
        doc = ed.copy()
        ids = ed.duplicate()
    finally:
        dpg.get_selected_nodes = real
    assert set(doc["nodes"]) == {a, b} and len(doc["links"]) == 1
    frames(ed, 2)
    assert len(ed.rt.doc.nodes) == 4 and len(ed.rt.doc.links) == 2
    boxes = ed.canvas.boxes()
    right = max(x + w for k, (x, _, w, _) in boxes.items() if k[1] in (a, b))
    assert ed.rt.doc.pos[ids[a]] == (right + 30, 40.0), "a copy lands beside the originals, tops in line"
    text = dpg.get_clipboard_text()
    assert json.loads(text)["format"] == "nodegraph-patch"
    pasted = ed.paste(at=(600, 100))
    frames(ed, 2)
    assert len(ed.rt.doc.nodes) == 6 and ed.rt.doc.pos[pasted[a]] == (600.0, 100.0)
    assert ed.rt.doc.nodes[pasted[a]].params["interval"] == 300
    assert view_count(ed) == (6, 3, 0)
    ed.undo()
    frames(ed, 2)
    assert len(ed.rt.doc.nodes) == 4, "a paste is one undo step"
    # between patches: what was copied pastes into another patch
    ed.new()
    if dpg.is_item_shown(ed.dialogs.ask_window):
        ed.dialogs.answer("Don't save")
    frames(ed, 2)
    other = ed.paste(at=(100, 100))
    frames(ed, 2)
    assert set(other) == {a, b} and set(ed.rt.doc.nodes) == {a, b}, "the ids are free here: kept"
    assert len(ed.rt.doc.links) == 1 and view_count(ed) == (2, 1, 0)
    dpg.set_clipboard_text("not a patch")
    _clip = clipboard_module._clipboard["text"]
    clipboard_module._clipboard["text"] = ""
    assert ed.paste() is None and "no nodes to paste" in ed.last_error
    clipboard_module._clipboard["text"] = _clip
    return {"ids": ids}


@scenario
def mouse_and_keys(ed, out):
    """Real X events (xdotool): drag a link, click-select and delete, type into the object box."""
    a = ed.add_node("metro", {}, (40, 60))
    b = ed.add_node("print", {}, (380, 60))
    c = ed.add_node("pack", {}, (40, 250))  # clear of the minimap in the bottom-right corner
    frames(ed, 6)
    # a slider dragged with the mouse: the value follows and is sent, the node stays; playing
    # is not editing, so no undo step and the saved value stays
    s = ed.add_node("slider", {"min": 0, "max": 10}, (380, 250))
    frames(ed, 4)
    item = ed.canvas.views[s].params["value"]
    (x, y), (w, h) = dpg.get_item_rect_min(item), dpg.get_item_rect_size(item)
    steps = len(ed.rt.history.undo_stack)
    pos = ed.rt.doc.pos[s]
    _drive(ed, [("drag", (x + 4, y + h / 2), (x + w - 2, y + h / 2))])
    wait_until(ed, lambda: ed.rt.graph.nodes[s].live > 9, what="the slider value to follow the drag")
    assert ed.rt.doc.pos[s] == pos, "dragging a widget must not move its node"
    assert len(ed.rt.history.undo_stack) == steps, "playing a slider is not an undo step"
    assert ed.rt.doc.nodes[s].params["value"] == 0
    src = ed.canvas.pin_screen(a, "out", "bang")
    dst = ed.canvas.pin_screen(b, "in", "in")
    bad = ed.canvas.pin_screen(c, "in", "in0")
    plan = [("drag", src, dst), ("drag", ed.canvas.pin_screen(c, "out", "vector"), ed.canvas.pin_screen(b, "in", "in"))]
    _drive(ed, plan)
    wait_until(ed, lambda: len(ed.rt.doc.links) == 2, what="two links made by mouse drags")
    # a link that does not fit: bang -> float is fine, so use metro.bang -> pack.in0 (float fits bang? no)
    _drive(ed, [("drag", src, bad)])
    frames(ed, 4)
    refused = len(ed.rt.doc.links) == 2
    # select the print node by clicking its title, delete it with the Delete key
    view = ed.canvas.views[b]
    x, y = dpg.get_item_rect_min(view.tag)
    _drive(ed, [("click", (x + 10, y)), ("key", "Delete")])
    wait_until(ed, lambda: b not in ed.rt.doc.nodes, what="the clicked node to be deleted")
    assert not ed.rt.doc.links or all(b not in (l.src, l.dst) for l in ed.rt.doc.links)
    # ctrl+z brings it back with its links
    _drive(ed, [("key", "ctrl+z")])
    wait_until(ed, lambda: b in ed.rt.doc.nodes and len(ed.rt.doc.links) >= 2, what="undo by Ctrl+Z")
    # a box dragged around two nodes selects both; Ctrl+C copies them, Delete deletes them
    frames(ed, 3)
    (ax, ay), (aw, _) = dpg.get_item_rect_min(ed.canvas.views[a].tag), dpg.get_item_rect_size(ed.canvas.views[a].tag)
    (cx, cy), (cw, ch) = dpg.get_item_rect_min(ed.canvas.views[c].tag), dpg.get_item_rect_size(ed.canvas.views[c].tag)
    corner0 = (ax - 25, ay - 25)
    corner1 = (max(ax + aw, cx + cw) + 10, cy + ch + 10)
    _drive(ed, [("drag", corner0, corner1)])
    assert sorted(ed.canvas.selection()[0]) == sorted([a, c]), ed.canvas.selection()
    _drive(ed, [("key", "ctrl+c"), ("key", "Delete")])
    wait_until(ed, lambda: a not in ed.rt.doc.nodes and c not in ed.rt.doc.nodes, what="box-selected delete")
    _drive(ed, [("key", "ctrl+z")])
    wait_until(ed, lambda: a in ed.rt.doc.nodes and c in ed.rt.doc.nodes, what="undo of the delete")
    assert set(json.loads(dpg.get_clipboard_text())["nodes"]) == {a, c}, "Ctrl+C put them on the clipboard"
    # n at an empty spot, type a name, Enter
    _drive(ed, [("move", (200, 400)), ("key", "n"), ("type", "delay 50"), ("key", "Return")])
    wait_until(ed, lambda: any(n.type_id == "delay" for n in ed.rt.doc.nodes.values()),
               what="a node typed into the object box")
    d = next(n for n in ed.rt.doc.nodes.values() if n.type_id == "delay")
    assert d.params["time"] == 50.0
    gx, gy = ed.rt.doc.pos[d.id]
    sx, sy = ed.canvas.to_screen((gx, gy))
    assert abs(sx - 200) < 30 and abs(sy - 400) < 30, "the node lands where the box was opened"
    # drag the delay node by its title: a Move command (staying inside the canvas: imnodes
    # pans the canvas while a drag goes past its edge)
    frames(ed, 3)
    vx, vy = dpg.get_item_rect_min(ed.canvas.views[d.id].tag)
    _drive(ed, [("drag", (vx + 6, vy - 1), (vx + 106, vy + 41))])
    wait_until(ed, lambda: ed.rt.doc.pos[d.id] != (gx, gy), what="the dragged node's Move")
    nx, ny = ed.rt.doc.pos[d.id]
    assert abs(nx - gx - 100) <= 2 and abs(ny - gy - 42) <= 2, (gx, gy, nx, ny)
    return {"links": [list(l) for l in ed.rt.doc.links], "refused_bad": refused}


def _drive(ed, plan, step=0.02):
    """Play a plan of X events from a thread while the editor keeps rendering frames."""
    def xdo(*args):
        subprocess.run(["xdotool", *map(str, args)], check=True)

    def play():
        for action, *args in plan:
            if action == "drag":
                (x0, y0), (x1, y1) = args
                xdo("mousemove", round(x0), round(y0))
                time.sleep(step * 3)
                xdo("mousedown", 1)
                time.sleep(step * 3)
                for i in range(1, 11):
                    xdo("mousemove", round(x0 + (x1 - x0) * i / 10), round(y0 + (y1 - y0) * i / 10))
                    time.sleep(step)
                time.sleep(step * 3)
                xdo("mouseup", 1)
            elif action == "click":
                xdo("mousemove", round(args[0][0]), round(args[0][1]))
                time.sleep(step * 3)
                xdo("click", 1)
            elif action == "move":
                xdo("mousemove", round(args[0][0]), round(args[0][1]))
            elif action == "key":  # held for a moment: a tap between two frames is lost
                xdo("keydown", args[0], "sleep", step, "keyup", args[0])
            elif action == "type":
                xdo("type", "--delay", 30, args[0])
            time.sleep(step * 5)
    worker = threading.Thread(target=play)
    worker.start()
    while worker.is_alive():
        ed.frame()
        time.sleep(0.005)
    frames(ed, 4)


@scenario
def message_rates(ed, out):
    """A metro at 100 ms shows about 10/s after its title; View > Show message rates hides it."""
    m = ed.add_node("metro", {"interval": 100, "autostart": True}, (40, 40))
    idle = ed.add_node("print", {}, (40, 200))
    frames(ed, 2)
    ed.rt.send(m, "on", True)
    view, quiet = ed.canvas.views[m], ed.canvas.views[idle]
    ed.run_for(2.6)
    label = dpg.get_item_label(view.tag)
    assert label.startswith(view.title) and label.endswith("/s"), label
    rate = float(label.rsplit(" ", 1)[1][:-2])
    assert 8 <= rate <= 12, label
    assert dpg.get_item_label(quiet.tag) == quiet.title  # a node that does not run shows nothing
    ed.menubar.set_rates(False)
    ed.run_for(1.3)
    assert dpg.get_item_label(view.tag) == view.title
    ed.menubar.set_rates(True)
    ed.run_for(1.3)
    assert dpg.get_item_label(view.tag).endswith("/s")
    return {"label": label}


@scenario
def take_is_undone(ed, out):
    """A finished take is announced with how to undo it; Ctrl+Z removes its examples, redo brings them back."""
    clf = ed.add_node("ml.classify", {"algorithm": "knn", "folds": 0}, (40, 40))
    frames(ed, 2)
    node = ed.rt.graph.nodes[clf]
    for take, xs in enumerate(([0.1, 0.2], [0.5, 0.6, 0.7]), 1):
        ed.rt.send(clf, "label", f"c{take}")
        ed.rt.send(clf, "record", True)
        for x in xs:
            ed.rt.send(clf, "features", [x, x])
        ed.rt.send(clf, "record", False)
    message = f"recorded take 2 on {clf} (3 examples) — Ctrl+Z undoes it"
    wait_until(ed, lambda: ed.status.message == message, what="the take to be announced")
    assert message in ed.rt.console.texts()
    assert ed.dirty
    ed.undo()
    assert [ex["y"] for ex in ed.rt.call(lambda: list(node.state["examples"]))] == ["c1", "c1"]
    assert "undid take 2" in ed.status.message
    ed.redo()
    assert len(ed.rt.call(lambda: list(node.state["examples"]))) == 5
    assert ed.status.message == f"redid take 2 on {clf}: its 3 examples are back", ed.status.message
    # every undo and redo says what it did; a refusal shown before goes once an edit is done
    ed.try_do(SetParam(clf, "k", 3))
    ed.undo()
    assert ed.status.message == f"undid set param k on {clf} (Ctrl+Shift+Z redoes it)", ed.status.message
    ed.redo()
    assert ed.status.message == f"redid set param k on {clf}", ed.status.message
    assert ed.try_do(SetParam(clf, "k", -5)) is None and ed.status.level == "error"
    ed.try_do(SetParam(clf, "k", 2))
    assert ed.status.level != "error" and not ed.status.message, (ed.status.level, ed.status.message)
    return {"status": message}


@scenario
def help_text_follows_the_list(ed, out):
    """The Help tab's text is the help of the type highlighted in its list: after typing in
    its filter, and after the right-click menu's "Help for" a node whose type the filter
    hides (real X events)."""
    m = ed.add_node("math", {}, (40, 40))
    frames(ed, 3)
    ed.show_help()
    frames(ed, 3)
    (x, y), (w, h) = dpg.get_item_rect_min(ed.help.filter), dpg.get_item_rect_size(ed.help.filter)
    _play(ed, [("click", (x + w / 2, y + h / 2)), ("type", "classify")])
    frames(ed, 3)
    shown = ed.help.type_id
    assert shown in ed.help.names and dpg.get_value(ed.help.list) == shown, (shown, ed.help.names)
    assert all("classify" in t or "classify" in ed.help.types[t].summary().lower() for t in ed.help.names)
    (nx, ny) = dpg.get_item_rect_min(ed.canvas.views[m].tag)
    _play(ed, [("rclick", (nx + 10, ny + 2))])
    frames(ed, 3)
    item = next(i for i in _items(ed.context.node_items) if dpg.get_item_label(i).startswith("Help for"))
    _play(ed, [("click", _menu_item_spot(dpg.get_item_pos(ed.context.window), item))])
    frames(ed, 3)
    assert ed.help.type_id == "math" and dpg.get_value(ed.help.list) == "math", (ed.help.type_id, dpg.get_value(ed.help.list))
    assert "math" in ed.help.names and dpg.get_value(ed.help.filter) == ""
    return {"filtered": shown}


@scenario
def file_picker_enter_and_double_click(ed, out):
    """The file picker (real X events): Enter with no file chosen leaves it open; a file's row
    clicked, then Enter, opens it; a double-click on a file opens it; saving, a name typed
    in its File Name box, then Enter, saves there (.json added). The save picker shows
    after the open one (Dear PyGui's picker showed nothing once its title changed)."""
    folder = Path(os.path.abspath("picker"))
    folder.mkdir()
    (folder / "only.json").write_text("{}")
    got = []
    vw, vh = dpg.get_viewport_client_width(), dpg.get_viewport_client_height()
    x, y = (vw - 620) / 2, (vh - 420) / 2  # the picker (620 x 420) opens in the middle

    def file_row():
        """Click the listed rows in turn until the file's is chosen; its place."""
        for row in range(2):  # the file and "..", in either order
            at = (x + 60, y + 105 + row * ROW)
            _play(ed, [("click", at)])
            if dpg.get_file_dialog_info(ed.dialogs.file_dialog)["selections"]:
                return at
        raise AssertionError("no row of the picker chose the file")

    ed.dialogs.pick_file("Open patch", got.append, start=str(folder / "only.json"))
    frames(ed, 6)
    _play(ed, [("key", "Return")])
    assert ed.dialogs.is_open and not got, "Enter with no file chosen must not close the picker"
    file_row()
    _play(ed, [("key", "Return")])
    assert got == [str(folder / "only.json")] and not ed.dialogs.is_open, got
    time.sleep(0.5)  # a click that closed a dialog keeps the canvas from the mouse a moment
    frames(ed, 2)
    ed.dialogs.pick_file("Open patch", got.append, start=str(folder / "only.json"))
    frames(ed, 6)
    at = file_row()
    _play(ed, [("dclick", at)])
    assert got[1:] == [str(folder / "only.json")] and not ed.dialogs.is_open, got
    time.sleep(0.5)
    frames(ed, 2)
    ed.dialogs.pick_file("Save patch as", got.append, save=True, start=str(folder / "only.json"))
    frames(ed, 6)
    _play(ed, [("dclick", (x + 300, y + 375)), ("key", "ctrl+a"), ("type", "new"), ("key", "Return")])
    assert got[2:] == [str(folder / "new.json")] and not ed.dialogs.is_open, got
    return {"chosen": got}


@scenario
def dialogs_escape_and_clicks(ed, out):
    """Escape closes every dialog and popup (real keys); a click on a dialog's button does
    not reach the canvas under it (the selection stays, nothing is made)."""
    a = ed.add_node("metro", {}, (40, 40))
    frames(ed, 4)
    opened = {
        "message": lambda: ed.show_keys(),
        "comment": lambda: ed.new_comment((300, 300)),
        "file picker": lambda: ed.open(),
        "unsaved changes": lambda: ed.new(),
        "object box": lambda: ed.open_object_box(),
        "context menu": lambda: ed.context.open((300, 300), (300, 300), None),
    }
    shown = {"message": lambda: ed.dialogs.is_open, "comment": lambda: ed.dialogs.is_open,
             "file picker": lambda: ed.dialogs.is_open, "unsaved changes": lambda: ed.dialogs.is_open,
             "object box": lambda: ed.objectbox.is_open, "context menu": lambda: ed.context.is_open}
    for name, show in opened.items():
        show()
        frames(ed, 3)
        assert shown[name](), f"{name} did not open"
        _drive(ed, [("move", (500, 500)), ("key", "Escape")])
        assert not shown[name](), f"Escape did not close the {name}"
    assert len(ed.rt.doc.nodes) == 1, "Escape on 'unsaved changes' cancels: the patch stays"
    # a node under the dialog's OK button; another one selected
    ed.show_keys()
    frames(ed, 3)
    ok = ed.dialogs.buttons[0]
    (bx, by), (bw, bh) = dpg.get_item_rect_min(ok), dpg.get_item_rect_size(ok)
    ed.dialogs.answer("OK")
    under = ed.add_node("print", {}, ed.canvas.to_grid((bx - 30, by - 20)))
    frames(ed, 4)
    x, y, w, h = ed.canvas.views[a].tag, 0, 0, 0
    ax, ay = dpg.get_item_rect_min(ed.canvas.views[a].tag)
    _drive(ed, [("click", (ax + 10, ay))])
    assert ed.canvas.selection()[0] == [a] and ed._selected == a, ed.canvas.selection()
    assert ed.canvas.item_at((bx + bw / 2, by + bh / 2)) == ("node", under), "the print node is under the button"
    report = {}
    for clicks in (1, 2):
        ed.show_keys()
        frames(ed, 3)
        _drive(ed, [("move", (bx + bw / 2, by + bh / 2))] +
               [("click", (bx + bw / 2, by + bh / 2))] * clicks)
        frames(ed, 4)
        assert not ed.dialogs.is_open
        assert ed.canvas.selection()[0] == [a] and ed._selected == a, (clicks, ed.canvas.selection(), ed._selected)
        assert not ed.objectbox.is_open and len(ed.rt.doc.nodes) == 2, "a double-click went through"
    return report


@scenario
def paste_from_an_empty_clipboard(ed, out):
    """Ctrl+V when the system clipboard holds nothing (no program owns it: the editor that
    copied has quit) says so; Dear PyGui's own clipboard call would abort the process."""
    ed.add_node("metro", {}, (40, 40))
    frames(ed, 3)
    _drive(ed, [("move", (400, 400)), ("key", "ctrl+v")])
    assert "no nodes to paste" in ed.status.message, ed.status.message
    assert len(ed.rt.doc.nodes) == 1 and not ed.errors
    return {}


@scenario
def object_box_best_match(ed, out):
    """Real keys: "ml.cl" then Tab (or Enter) makes ml.classify, the usual one, not ml.cluster;
    Down then Enter takes the highlighted second; each node made is counted."""
    made = []
    for keys, want in ((["Tab"], "ml.classify"), (["Return"], "ml.classify"),
                       (["Down", "Return"], "ml.cluster")):
        before = set(ed.rt.doc.nodes)
        _drive(ed, [("move", (150 + 150 * len(made), 300)), ("key", "n"), ("type", "ml.cl")] +
               [("key", k) for k in keys])
        wait_until(ed, lambda: set(ed.rt.doc.nodes) - before, what=f"a node from ml.cl + {keys}")
        (new,) = set(ed.rt.doc.nodes) - before
        made.append(ed.rt.doc.nodes[new].type_id)
        assert made[-1] == want, (keys, made)
        assert not ed.objectbox.is_open
    assert ed.uses.get("ml.classify") == 2 and ed.uses.get("ml.cluster") == 1, ed.uses
    # params typed after a partial name apply to the highlighted type
    _drive(ed, [("move", (150, 450)), ("key", "n"), ("type", "ml.cl knn 3"), ("key", "Tab")])
    wait_until(ed, lambda: not ed.objectbox.is_open, what="Tab to make the node")
    last = ed.rt.doc.nodes[max(ed.rt.doc.nodes, key=lambda n: ed.rt.doc.pos[n][1])]
    assert last.type_id == "ml.classify" and last.params["k"] == 3, (last.type_id, last.params)
    return {"made": made}


@scenario
def failures_do_not_close_the_editor(ed, out):
    """A callback that raises (a real click on a button) and a frame that raises (in the
    editor's own loop) are each shown in one line; the window and the patch stay."""
    a = ed.add_node("metro", {}, (40, 40))
    frames(ed, 3)
    doc = ed.rt.to_doc()

    def broken():
        raise KeyError("active")
    with dpg.window(pos=(300, 300), width=200, height=80, no_title_bar=True):
        button = dpg.add_button(label="broken", width=150, callback=broken)
    frames(ed, 3)
    (x, y), (w, h) = dpg.get_item_rect_min(button), dpg.get_item_rect_size(button)
    _drive(ed, [("click", (x + w / 2, y + h / 2))])
    assert len(ed.errors) == 1 and "KeyError" in ed.errors[0] and "broken" in ed.errors[0], ed.errors
    assert ed.status.message == ed.errors[0] and "\n" not in ed.status.message
    wait_until(ed, lambda: any(ed.errors[0] in t for t in ed.console.texts()), what="the failure in the console")
    # the editor's own loop: a frame that raises once, then frames go on until a quit
    real, count = ed.canvas.refresh_some, [0]

    def refresh_some(dt, *rest):
        count[0] += 1
        if count[0] == 2:
            raise ValueError("drawing went wrong")
        if count[0] > 10:
            ed.quit_now()
        return real(dt, *rest)
    ed.canvas.refresh_some = refresh_some
    ed.run()
    assert count[0] > 10 and len(ed.errors) == 2 and "drawing went wrong" in ed.errors[1], ed.errors
    assert ed.rt.to_doc() == doc and a in ed.canvas.views
    return {"errors": ed.errors}


# ---- the random-action test: menus, context menus, clicks, drags and keys as X events ----

MENUBAR_HEIGHT = 19  # a menu's popup starts below the bar
ROW = 19  # a menu item's height
NAMES = ["metro 200", "print", "ml.cl", "slider", "mtro", "nosuchnode", "math * 2", "display", "xy"]
NEVER = {"Quit", "New", "Open Recent", "Examples"}  # would leave the patch (Open and Save As only open a picker)


def _rect(item):
    (x, y), (w, h) = dpg.get_item_rect_min(item), dpg.get_item_rect_size(item)
    return x - NODE_PAD[0], y - NODE_PAD[1], w, h


def _canvas_rect(ed):
    (x, y), (w, h) = dpg.get_item_pos(ed.canvas_parent), dpg.get_item_rect_size(ed.canvas_parent)
    return x + 8, y + 8, w - 16, h - 16


def _empty_spot(ed, rng):
    x, y, w, h = _canvas_rect(ed)
    for _ in range(40):
        p = (x + rng.random() * w, y + rng.random() * h)
        if ed.canvas.item_at(p) is None:
            return p
    return (x + 5, y + 5)


def _node_spot(ed, rng, title=False):
    cx, cy, cw, ch = _canvas_rect(ed)
    seen = [i for i in ed.canvas.items if _rect(i)[0] < cx + cw - 20 and _rect(i)[1] < cy + ch - 20
            and _rect(i)[0] + _rect(i)[2] > cx + 20 and _rect(i)[1] + _rect(i)[3] > cy + 20]
    if not seen:
        return _empty_spot(ed, rng)
    x, y, w, h = _rect(rng.choice(seen))
    px = min(max(x + 6 + rng.random() * max(1, w - 12), cx), cx + cw)
    py = y + 4 + rng.random() * (8 if title else max(1, h - 8))
    return px, min(max(py, cy), cy + ch)


def _menu_item_spot(origin, item):
    lx, ly = dpg.get_item_state(item)["pos"]
    return origin[0] + lx + 30, origin[1] + ly + ROW / 2


def _items(container):
    return [c for c in dpg.get_item_children(container, 1)
            if dpg.get_item_info(c)["type"].endswith(("mvMenuItem", "mvMenu"))
            and dpg.get_item_configuration(c).get("enabled", True)]


def _menu_plan(ed, rng):
    """Open a menu of the bar; click one of its items (or one of a submenu's), or leave.
    The menu is opened, and drawn, before its items are measured: an item of a menu never
    drawn has no place yet (pos [0, 0]), and the click meant for it hit the menu's first
    row (File > Save, the first time File was opened, clicked New: the patch was left)."""
    bar = next(c for c in dpg.get_item_children(ed.main, 1) if dpg.get_item_info(c)["type"].endswith("mvMenuBar"))
    menu = rng.choice(dpg.get_item_children(bar, 1))
    mx = dpg.get_item_state(menu)["pos"][0]
    _play(ed, [("click", (mx + 12, MENUBAR_HEIGHT / 2))])
    ed.frame()
    plan = []
    items = [i for i in _items(menu) if dpg.get_item_label(i) not in NEVER]
    if rng.random() < 0.15 or not items:
        return plan + [("key", "Escape")] if rng.random() < 0.5 else plan + [("click", _empty_spot(ed, rng))], \
            f"menu {dpg.get_item_label(menu)}, then away"
    item = rng.choice(items)
    origin = (mx - 5, MENUBAR_HEIGHT)
    spot = _menu_item_spot(origin, item)
    label = dpg.get_item_label(item)
    if dpg.get_item_info(item)["type"].endswith("mvMenu"):  # a category: hover it, go right, pick a row
        # the submenu opens to the right of the menu, its first row beside the category
        right = origin[0] + 200 + 30
        row = rng.randrange(max(1, len(_items(item))))
        plan += [("move", spot), ("move", (spot[0] + 60, spot[1])), ("move", (right, spot[1])),
                 ("click", (right, spot[1] + row * ROW))]
        label += f" > row {row}"
    else:
        plan.append(("click", spot))
    return plan, f"menu {dpg.get_item_label(menu)} > {label}"


class _Picks:
    """A stand-in for random.Random that picks by label: the random run's menu plan, told
    which menu, item and submenu row to choose."""
    def __init__(self, *labels, row=0):
        self.labels, self.row = list(labels), row

    def choice(self, seq):
        return next(i for i in seq if dpg.get_item_label(i) == self.labels[0] and self.labels.pop(0))

    def random(self):
        return 0.9  # not "then away"

    def randrange(self, n):
        return self.row


@scenario
def random_menu_clicks_hit_what_they_name(ed, out):
    """The random run's menu plan clicks the item it logs, also the first time a menu of
    the bar opens (an item of a menu never drawn has no place yet: "File > Save" clicked
    New, the patch was left, and the run's last Ctrl+S opened the Save As picker: seeds
    110, 123, 127). Real X events; each item's callback is replaced by a recorder."""
    bar = next(c for c in dpg.get_item_children(ed.main, 1) if dpg.get_item_info(c)["type"].endswith("mvMenuBar"))
    hit = []
    picks = {"File": "Save", "Edit": "Delete", "Add": "Comment", "View": "Tidy up overlapping nodes",
             "Help": "Keyboard and mouse"}
    for menu in dpg.get_item_children(bar, 1):
        for item in _items(menu):
            if dpg.get_item_info(item)["type"].endswith("mvMenuItem"):
                dpg.configure_item(item, callback=lambda s, a, u: hit.append(u), user_data=dpg.get_item_label(item))
    frames(ed, 3)
    wrong = []
    for name, label in picks.items():
        plan, what = _menu_plan(ed, _Picks(name, label))
        _play(ed, [p for p in plan if p[0] != "then"])
        frames(ed, 3)
        if hit[-1:] != [label]:
            wrong.append(f"{what}: clicked {hit[-1:]}")
        _play(ed, [("key", "Escape"), ("click", _empty_spot(ed, _Picks())), ("key", "Escape")])
    assert not wrong, wrong
    # a category's submenu: Add > math > its second row (expr, math) makes a math node
    before = set(ed.rt.doc.nodes)
    plan, what = _menu_plan(ed, _Picks("Add", "math", row=1))
    _play(ed, plan)
    frames(ed, 4)
    made = [ed.rt.doc.nodes[n].type_id for n in set(ed.rt.doc.nodes) - before]
    assert made == ["math"], f"{what} made {made}"
    return {"hit": hit, "made": made}


def _context_plan(ed, rng):
    """Right-click the canvas or a node, then click an item of the menu (or leave)."""
    at = _node_spot(ed, rng) if rng.random() < 0.5 else _empty_spot(ed, rng)
    return [("rclick", at), ("then", "context")], f"context menu at {tuple(map(round, at))}"


def _context_then(ed, rng):
    ctx = ed.context
    if not ctx.is_open:
        return [], "(no context menu)"
    if rng.random() < 0.2:
        return [("key", "Escape")], "context: Escape"
    wx, wy = dpg.get_item_pos(ctx.window)
    rows = _items(ctx.window) + _items(ctx.node_items)
    item = rng.choice(rows)
    spot = _menu_item_spot((wx, wy), item)
    if dpg.get_item_info(item)["type"].endswith("mvMenu"):
        row = rng.randrange(max(1, len(_items(item))))
        side = _submenu_side(ed, item, spot)
        return [("move", (side, spot[1])), ("click", (side, spot[1] + row * ROW))], \
            f"context: {dpg.get_item_label(item)} > row {row}"
    return [("click", spot)], f"context: {dpg.get_item_label(item)}"


def _submenu_side(ed, category, spot):
    """Hover a category of the right-click menu; the x inside its submenu, which Dear ImGui
    opens to the right of the menu, or to the left where the screen ends."""
    _play(ed, [("move", spot)])
    ed.frame()
    sub_w = dpg.get_item_state(category)["rect_size"][0] or 120  # the open submenu's window
    wx = dpg.get_item_pos(ed.context.window)[0]
    w = dpg.get_item_rect_size(ed.context.window)[0]
    if wx + w + sub_w <= dpg.get_viewport_client_width():
        return wx + w + 30
    return wx - sub_w + 20


@scenario
def context_menu_fits_and_its_submenus_work(ed, out):
    """Issue seen by a newcomer: near the right edge a category's submenu opens to the left
    of the right-click menu, and a click on it only closed the menu; near the bottom the
    menu's last categories were off the screen; after a submenu opened, the menu grew to
    the screen's right edge. Real X events."""
    ed.set_side(False)  # the canvas to the window's right edge
    frames(ed, 4)
    cx, cy, cw, ch = _canvas_rect(ed)
    vw, vh = dpg.get_viewport_client_width(), dpg.get_viewport_client_height()
    made = []
    for at in ((cx + cw - 20, cy + 40), (cx + 40, cy + ch - 10), (cx + cw - 20, cy + ch - 10)):
        _play(ed, [("rclick", at)])
        frames(ed, 3)
        ctx = ed.context
        assert ctx.is_open, f"no menu after a right-click at {at}"
        (wx, wy), (w, h) = dpg.get_item_pos(ctx.window), dpg.get_item_rect_size(ctx.window)
        assert 0 <= wx and wx + w <= vw and 0 <= wy and wy + h <= vh, f"menu {(wx, wy, w, h)} off the screen {vw}x{vh}"
        math = next(m for m in ctx.categories if dpg.get_item_label(m) == "math")
        spot = _menu_item_spot((wx, wy), math)
        side = _submenu_side(ed, math, spot)
        assert dpg.get_item_rect_size(ctx.window)[0] <= ctx.WIDTH, "the menu grew when its submenu opened"
        before = set(ed.rt.doc.nodes)
        _play(ed, [("move", (side, spot[1])), ("click", (side, spot[1]))])
        frames(ed, 4)
        new = set(ed.rt.doc.nodes) - before
        assert len(new) == 1, f"clicking the first row of math's submenu (at x {side:.0f}, menu at {wx}) made {new}"
        made.append(("left" if side < wx else "right", ed.rt.doc.nodes[new.pop()].type_id))
        for _ in range(10):  # the click that closed a menu is not a click on the canvas
            ed.frame()
            time.sleep(0.02)
    return {"made": made}


def _random_plan(ed, rng):
    r = rng.random()
    if r < 0.12:
        return _menu_plan(ed, rng)
    if r < 0.22:
        return _context_plan(ed, rng)
    if r < 0.36:
        at = _node_spot(ed, rng) if rng.random() < 0.6 else _empty_spot(ed, rng)
        return [("click", at)], f"click {tuple(map(round, at))}"
    if r < 0.50:
        a = _node_spot(ed, rng, title=rng.random() < 0.5) if rng.random() < 0.6 else _empty_spot(ed, rng)
        b = (a[0] + rng.uniform(-150, 150), a[1] + rng.uniform(-100, 100))
        # a mouse stays on its screen (xdotool refuses a negative place, and a refused drag
        # left the button held down for every action after it)
        b = (min(max(b[0], 0), dpg.get_viewport_width() - 1), min(max(b[1], 0), dpg.get_viewport_height() - 1))
        return [("drag", a, b)], f"drag {tuple(map(round, a))} -> {tuple(map(round, b))}"
    if r < 0.55:
        at = _empty_spot(ed, rng)
        return [("dclick", at), ("type", rng.choice(NAMES)), ("key", rng.choice(["Return", "Tab", "Escape"]))], \
            f"double-click {tuple(map(round, at))}, type"
    if r < 0.65:
        name = rng.choice(NAMES)
        end = rng.choice(["Return", "Return", "Escape", "Tab Return"])
        return [("move", _empty_spot(ed, rng)), ("key", "n"), ("type", name)] + \
            [("key", k) for k in end.split()], f"n {name!r} {end}"
    if r < 0.70:
        return [("key", "c"), ("type", "a note"), ("key", rng.choice(["Escape", "Escape", "Tab"]))], "c note"
    key = rng.choice(["ctrl+z", "ctrl+z", "ctrl+shift+z", "ctrl+c", "ctrl+v", "ctrl+d", "Delete", "Escape",
                      "F1", "Home", "ctrl+y"])
    return [("move", _empty_spot(ed, rng) if rng.random() < 0.7 else _node_spot(ed, rng)), ("key", key)], key


def _play(ed, plan, step=0.03):
    """Play a plan as one chain of xdotool commands, from a thread, while the editor renders
    (a pause of `step` between events, so each one lands in a frame of its own)."""
    chains = [[]]
    for action, *args in plan:
        chain = chains[-1]
        if action in ("click", "rclick", "dclick", "move"):
            chain += ["mousemove", round(args[0][0]), round(args[0][1]), "sleep", step]
            if action != "move":
                chain += ["click", *(["--repeat", 2, "--delay", 60] if action == "dclick" else []),
                          3 if action == "rclick" else 1]
        elif action == "drag":
            (x0, y0), (x1, y1) = args
            chain += ["mousemove", round(x0), round(y0), "sleep", step, "mousedown", 1, "sleep", step]
            for i in range(1, 5):
                chain += ["mousemove", round(x0 + (x1 - x0) * i / 4), round(y0 + (y1 - y0) * i / 4), "sleep", step / 2]
            chain += ["mouseup", 1]
        elif action == "key":  # held for a moment, as fingers do: a tap between two frames is lost
            chain += ["keydown", args[0], "sleep", step, "keyup", args[0]]
        elif action == "type":  # xdotool types everything after "type": it ends a chain
            chains[-1] += ["type", "--delay", 20, args[0]]
            chains.append(["sleep", step])
            continue
        chain += ["sleep", step]

    def play():
        for chain in filter(None, chains):
            subprocess.run(["xdotool", *map(str, chain)], check=True)
    worker = threading.Thread(target=play)
    worker.start()
    while worker.is_alive():
        ed.frame()
        time.sleep(0.002)
    # Dear ImGui takes queued events about one a frame: after a slow frame (a node made)
    # typed keys lag behind. Render until two frames in a row bring no input.
    quiet = 0
    for _ in range(150):
        seen = ed._last_input
        ed.frame()
        quiet = quiet + 1 if ed._last_input == seen else 0
        if quiet == 2:
            break


def _open_dialogs(ed):
    d = ed.dialogs
    return [dpg.get_item_label(w) for w in (d.ask_window, d.text_window, d.file_dialog) if dpg.is_item_shown(w)]


def _shape(doc):
    """What undoing everything must give back: nodes (type, params, place), links, comments."""
    return ({k: (n["type"], n.get("params"), n.get("pos")) for k, n in doc["nodes"].items()},
            sorted(map(tuple, doc["links"])), sorted((c["text"], tuple(c["pos"])) for c in doc.get("comments", [])))


@scenario
def random_actions(ed, out, patch, seed, count):
    """A seeded random run of menus, context menus, clicks, drags and shortcuts with real X
    events: no callback fails, the window lives, the drawing matches the patch, the
    saved patch checks, and undoing everything gives the patch back."""
    import random
    import shutil
    seed, count = int(seed), int(count)
    path = os.path.abspath(Path(patch).name)
    shutil.copy(ROOT / "patches" / patch, path)
    assert ed.open_now(path), ed.last_error
    frames(ed, 4)
    before = _shape(ed.rt.to_doc())
    rng = random.Random(seed)
    log = []
    keys, handle_key = [], ed.handle_key

    def logged_key(key, ctrl=False, shift=False):  # what reached the editor, for the failure message
        keys.append((key, ctrl, shift, ed.dialogs.is_open))
        del keys[:-12]
        return handle_key(key, ctrl, shift)
    ed.handle_key = logged_key
    started = time.monotonic()
    replay = f"seed {seed} on {patch} (replay: GUI_RANDOM_SEED={seed})"
    try:
        for i in range(count):
            plan, what = _random_plan(ed, rng)
            log.append(f"{i}: {what}")
            _play(ed, [p for p in plan if p[0] != "then"])
            if ("then", "context") in plan:
                more, what = _context_then(ed, rng)
                log.append(f"{i}: {what}")
                _play(ed, more)
            # a file picker or question opened by a menu: Escape must close it
            if ed.dialogs.is_open:
                _play(ed, [("key", "Escape")])
                assert not ed.dialogs.is_open, f"Escape did not close the dialog {_open_dialogs(ed)}"
            assert not ed.errors, ed.errors
            # no action may leave the patch (a New or Open clicked by mistake): Ctrl+S at the end
            # would open the Save As picker, and the run fail far from its cause
            assert ed.path == path, f"the patch was left: the editor now has {ed.path}"
        # leave everything closed, then save with Ctrl+S over an empty spot of the canvas
        _play(ed, [("key", "Escape"), ("click", _empty_spot(ed, rng)), ("key", "Escape")])
        assert not (ed.dialogs.is_open or ed.objectbox.is_open or ed.context.is_open), "something stayed open"
        assert ed.running and dpg.is_dearpygui_running()
        frames(ed, 4)
        assert view_count(ed) == graph_count(ed), f"drawn {view_count(ed)} != patch {graph_count(ed)}"
        saved = os.path.getmtime(path)
        time.sleep(0.05)
        _play(ed, [("key", "ctrl+s")])
        wait_until(ed, lambda: os.path.getmtime(path) != saved, what="Ctrl+S to save")
        check = subprocess.run([sys.executable, "-m", "nodegraph.cli", "check", path], capture_output=True,
                               text=True, cwd=str(ROOT))
        assert check.returncode == 0, check.stdout + check.stderr
        assert _shape(json.loads(Path(path).read_text())) == _shape(ed.rt.to_doc()), "saved != open patch"
        while ed.rt.undo():
            pass
        frames(ed, 4)
        assert _shape(ed.rt.to_doc()) == before, "undoing everything does not give the patch back"
        assert view_count(ed) == graph_count(ed), f"drawn {view_count(ed)} != patch {graph_count(ed)}"
        assert not ed.errors, ed.errors
    except BaseException as e:
        app.write_png(ed, os.path.abspath("failed.png"))
        try:  # what had the keyboard (the shortcuts are ignored while typing)
            f = dpg.get_focused_item()
            chain, it = [], f
            while it and dpg.does_item_exist(it):
                chain.append((it, dpg.get_item_info(it)["type"].split("::")[-1], dpg.get_item_label(it)))
                it = dpg.get_item_parent(it)
            focus = (f"focused {chain} state {dpg.get_item_state(f) if f and dpg.does_item_exist(f) else None} "
                     f"typing {ed.typing()} dialogs {ed.dialogs.is_open} objectbox {ed.objectbox.is_open} "
                     f"context {ed.context.is_open} path {ed.path} errors {ed.errors[-5:]}")
        except Exception as x:
            focus = f"(focus unknown: {x!r})"
        raise AssertionError(f"{replay}: {e}\nlast actions:\n" + "\n".join(log[-25:]) +
                             f"\nlast keys (key, ctrl, shift, a dialog open): {keys}\n{focus}") from e
    return {"seed": seed, "actions": len(log), "seconds": round(time.monotonic() - started, 1),
            "nodes": len(ed.rt.doc.nodes)}


def main(scenarios=SCENARIOS, size=(960, 680)):
    """Run the scenario named on the command line in a fresh editor; write its report."""
    name, out, *args = sys.argv[1:]
    ed = app.Editor(*size)
    ed.fast = True
    frames(ed, 3)
    try:
        report = scenarios[name](ed, out, *args) or {}
        Path(out).write_text(json.dumps(report))
    finally:
        ed.close()


if __name__ == "__main__":
    main()
