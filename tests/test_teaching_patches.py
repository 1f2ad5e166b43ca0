"""The patches in patches/: each passes `nodegraph check`, runs headless without a node
error, and does what its comments promise a newcomer."""
import socket
from pathlib import Path

import numpy as np
import pytest

from nodegraph import BANG, Runtime, SetParam, patchfile
from nodegraph.abstraction import expand
from nodegraph.cli import main as cli
from nodegraph.io.osc import parse
from nodes.learners.base import Learner

from .conftest import build, tap
from .learners_util import wait_idle

PATCHES = Path(__file__).resolve().parent.parent / "patches"
ALL = sorted(p.name for p in PATCHES.glob("*.json"))
TEACHING = ["hello.json", "mouse-classifier.json", "xy-to-synth.json", "gesture.json", "iris.json"]


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_patch(name, out_port=None):
    """A shipped patch on the manual clock, started. Its OSC ports move to free ones (the
    defaults may be taken by a parallel run); nothing else in the file is changed."""
    doc = expand(patchfile.read(PATCHES / name), PATCHES)  # ports inside a box move too
    for node in doc["nodes"].values():
        if node["type"] == "osc.in":
            node["params"]["port"] = free_udp_port()
        elif node["type"] == "osc.out":
            node["params"]["port"] = out_port or free_udp_port()
    rt = Runtime.manual()
    rt.scheduler.base_dir = str(PATCHES)  # relative paths (data/iris.csv) start at the patch's folder
    rt.load_doc(doc, name)
    rt.start(thread=False)
    settle(rt)
    return rt


def settle(rt):
    """Let every learner finish what it is doing (refitting a saved model, training, scoring)."""
    for node_id, node in rt.graph.nodes.items():
        if isinstance(node, Learner):
            wait_idle(rt, node_id)
    rt.advance(100)


def errors(rt):
    return {node_id: node.error for node_id, node in rt.graph.nodes.items() if node.error}


def move(rt, pad, points, ms=40):
    for p in points:
        rt.do(SetParam(pad, "value", [float(p[0]), float(p[1])]))
        rt.advance(ms)


def shown(rt, node_id):
    return rt.graph.node(node_id).value


def test_the_teaching_patches_are_there():
    assert set(TEACHING) <= set(ALL)
    assert (PATCHES / "data" / "iris.csv").is_file()


@pytest.mark.parametrize("name", ALL)
def test_every_patch_passes_check(name, capsys):
    assert cli(["check", str(PATCHES / name)]) == 0
    out = capsys.readouterr()
    assert ": ok (" in out.out and "warning" not in out.err


@pytest.mark.parametrize("name", ALL)
def test_every_patch_runs_headless_without_a_node_error(name):
    """Drive every source the way a person would (move the pads and sliders, press the
    buttons, play the files), let time pass, and look for errors on every node."""
    rt = open_patch(name)
    try:
        assert not errors(rt)
        for node_id, node in sorted(rt.graph.nodes.items()):
            kind = node.type_id
            if kind == "xy":
                move(rt, node_id, [[0.2, 0.2], [0.8, 0.3], [0.5, 0.8], [0.3, 0.6]])
            elif kind == "slider":
                lo, hi = node.params["min"], node.params["max"]
                for v in (lo, hi, (lo + hi) / 2):
                    rt.do(SetParam(node_id, "value", v))
                    rt.advance(20)
            elif kind == "button":
                rt.do(SetParam(node_id, "value", True))
                rt.advance(20)
            elif kind == "csv.play":
                rt.send(node_id, "play", BANG)
        rt.advance(5000)
        settle(rt)
        assert not errors(rt)
    finally:
        rt.close()


def test_patches_carry_comments_and_readable_positions():
    for name in TEACHING:
        doc = patchfile.read(PATCHES / name)
        assert len(doc["comments"]) >= 4, name
        xs = sorted({tuple(n["pos"]) for n in doc["nodes"].values()})
        assert len(xs) == len(doc["nodes"]), f"{name}: two nodes at one place"


# ---- what each patch promises ---------------------------------------------------------------------

def test_hello_maps_the_slider_and_sends_it_over_osc():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(5)
        rt = open_patch("hello.json", out_port=listener.getsockname()[1])
        try:
            assert shown(rt, "show") == 500.0  # the slider sends 0.5 when the patch starts
            listener.recv(1024)  # ... and it went out
            rt.do(SetParam("slider", "value", 0.25))
            assert shown(rt, "show") == 350.0
            assert parse(listener.recv(1024)) == [("/hello/pitch", [350.0])]
        finally:
            rt.close()


def test_mouse_classifier_is_taught_three_regions_when_it_opens():
    rt = open_patch("mouse-classifier.json")
    try:
        said = []
        for centre in ([0.25, 0.3], [0.75, 0.3], [0.5, 0.75]):
            move(rt, "pad", [centre])
            said.append(shown(rt, "says"))
        assert said == [1, 2, 3]
        view = rt.graph.node("plot").view()
        assert view["examples"] == 24 and view["classes"] == [1, 2, 3] and view["axes"] == ["x", "y"]
        assert set(np.unique(view["grid"]["z"])) == {0, 1, 2} and view["live"] == [0.5, 0.75]
    finally:
        rt.close()


def test_mouse_classifier_learns_a_new_region_taught_through_its_controls():
    rt = open_patch("mouse-classifier.json")
    try:
        rt.do(SetParam("class", "value", 3.0))
        rt.send("classifier", "record", True)
        move(rt, "pad", [[0.9, 0.9], [0.92, 0.88], [0.88, 0.93]])
        rt.send("classifier", "record", False)
        rt.send("classifier", "train", BANG)
        settle(rt)
        move(rt, "pad", [[0.91, 0.9]])
        assert shown(rt, "says") == 3 and rt.graph.node("plot").view()["examples"] == 27
    finally:
        rt.close()


def test_xy_to_synth_blends_five_values_across_the_pad():
    rt = open_patch("xy-to-synth.json")
    try:
        values = tap(rt, "mapper", "values")
        move(rt, "pad", [[0.1, 0.9]])
        assert np.allclose(values[-1], [0.2, 0.8, 0.6, 0.9, 0.5], atol=0.15)
        move(rt, "pad", [[0.9, 0.1]])
        assert np.allclose(values[-1], [0.9, 0.3, 0.05, 0.1, 0.7], atol=0.15)
        assert len(shown(rt, "values")) == 5
        view = rt.graph.node("plot").view()
        assert view["task"] == "regress" and view["grid"]["kind"] == "value" and view["examples"] == 30
    finally:
        rt.close()


def test_xy_to_synth_records_the_sounds_its_sliders_show_without_touching_them():
    """A person who likes the sound the five sliders show ticks record at once: the take
    holds those values (each slider sends what it shows when the patch starts)."""
    rt = open_patch("xy-to-synth.json")
    try:
        sliders = ("cutoff", "resonance", "pitch", "brightness", "volume")  # the pack's order
        shown_values = [rt.doc.nodes[s].params["value"] for s in sliders]
        before = len(rt.graph.node("mapper").state["examples"])
        rt.send("mapper", "record", True)
        move(rt, "pad", [[0.3, 0.3], [0.32, 0.31]])
        rt.send("mapper", "record", False)
        rt.advance(50)
        examples = rt.graph.node("mapper").state["examples"][before:]
        assert examples and not rt.graph.node("mapper").error
        assert all(ex["y"] == shown_values for ex in examples), (shown_values, examples[-1])
    finally:
        rt.close()


def draw(name, frames=30):
    p = np.linspace(0, 1, frames)
    if name == "circle":
        return np.column_stack([0.4 + 0.2 * np.cos(2 * np.pi * p), 0.4 + 0.2 * np.sin(2 * np.pi * p)])
    if name == "right":
        return np.column_stack([0.15 + 0.7 * p, 0.85 + 0 * p])
    return np.column_stack([0.85 + 0 * p, 0.15 + 0.7 * p])


def test_gesture_names_the_gestures_drawn_on_the_pad_and_the_scope_shows_them():
    rt = open_patch("gesture.json")
    try:
        named = tap(rt, "gestures", "label")
        for name in ("circle", "right", "up"):
            rng = np.random.default_rng(len(name))
            drawn = np.clip(draw(name) + rng.normal(0, 0.01, (30, 2)), 0, 1)
            move(rt, "pad", drawn)
            assert shown(rt, "named") == name
            assert named[-1] == name
        scope = rt.graph.node("scope").view()
        assert scope["channels"] == 2 and len(scope["t"]) == 90  # every frame of the last 4 s
        assert np.allclose(scope["values"][-30:], drawn)
        move(rt, "pad", draw("right"), ms=100)  # 3 s more: the oldest frames leave the window
        scope = rt.graph.node("scope").view()
        assert scope["t"][-1] - scope["t"][0] <= 4000 and len(scope["t"]) < 60
    finally:
        rt.close()


def test_iris_pipeline_end_to_end():
    """Clear, teach (the file plays into the classifier), train: cross-validated accuracy,
    the confusion matrix over every flower, the PCA plot; then replay through the model."""
    rt = open_patch("iris.json")
    try:
        clf = rt.graph.node("classifier")
        rt.send("classifier", "clear", BANG)
        assert clf.info()["examples"] == 0
        rt.do(SetParam("teach", "value", True))
        rt.advance(3500)  # 150 flowers, one every 20 ms
        assert clf.info()["examples"] == 150 and clf.info()["mode"] != "recording"
        assert clf.info()["counts"] == {"setosa": 50, "versicolor": 50, "virginica": 50}
        rt.send("classifier", "train", BANG)
        settle(rt)
        score = clf.info()["score"]
        assert score["accuracy"] > 0.9 and score["folds"] == 5
        cm = rt.graph.node("mixups").view()
        assert cm["matrix"].sum() == 150 and cm["classes"] == ["setosa", "versicolor", "virginica"]
        assert cm["accuracy"] == score["accuracy"]
        plot = rt.graph.node("plot").view()
        assert plot["examples"] == 150 and plot["axes"][0].startswith("PC1")
        assert plot["components"].shape == (2, 4) and plot["grid"]["kind"] == "class"
        says, truth = tap(rt, "classifier", "label"), tap(rt, "play", "label")
        rt.send("play", "play", BANG)  # replay: run is on, record is off
        rt.advance(3500)
        assert len(says) == len(truth) == 150 and clf.info()["examples"] == 150
        assert np.mean([a == b for a, b in zip(says, truth)]) > 0.9
        assert rt.graph.node("plot").view()["live"] is not None
        assert not errors(rt)
    finally:
        rt.close()


def test_iris_patch_opens_taught_with_its_score_and_confusion():
    rt = open_patch("iris.json")
    try:
        assert rt.graph.node("mixups").view()["matrix"].sum() == 150
        assert rt.graph.node("plot").view()["grid"] is not None
        assert rt.graph.node("scaled").info() == {"count": 150, "frozen": True}
    finally:
        rt.close()


def test_csv_play_sends_a_trailing_text_column_as_a_label_before_its_row(rt, tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text("time_ms,a,b,kind\n0,1,2,apple\n10,3,4,pear\n10,5,6,apple\n20,7,8\n")
    rt.scheduler.base_dir = str(tmp_path)  # the patch's folder: its files live there
    build(rt, {"play": ("csv.play", {"path": str(path)})})
    order = []
    for outlet in ("label", "values"):
        rt.graph.node("play").watch(outlet, lambda v, o=outlet: order.append((o, v if o == "label" else v.tolist())))
    rt.send("play", "play", BANG)
    rt.advance(100)
    assert order == [("label", "apple"), ("values", [1.0, 2.0]), ("label", "pear"), ("values", [3.0, 4.0]),
                     ("label", "apple"), ("values", [5.0, 6.0]), ("values", [7.0, 8.0])]
