"""The shipped Wekinator abstractions: each example patch that uses one as a box expands to
the original patch, node for node and link for link (so it runs as the original, which
tests/test_wekinator.py drives); the classifier and gesture boxes also obey a Wekinator
client over real UDP here."""
import pytest

from nodegraph import BANG, Runtime, patchfile
from nodegraph.abstraction import expand, keep_state

from .learners_util import wait_idle
from .test_wekinator import C, PATCHES, Client, drive_classifier, drive_gestures, free_udp_port, settle

KINDS = ("classifier", "regression", "gesture")


def strip(flat, prefix="wek/"):
    nodes = {k[len(prefix):]: {f: v for f, v in n.items() if f != "pos"} for k, n in flat["nodes"].items()}
    links = sorted([lk[0].removeprefix(prefix), lk[1], lk[2].removeprefix(prefix), lk[3]] for lk in flat["links"])
    return nodes, links


@pytest.mark.parametrize("kind", KINDS)
def test_the_box_patch_expands_to_the_original_patch(kind):
    original = patchfile.read(PATCHES / f"wekinator-{kind}.json")
    boxed = patchfile.read(PATCHES / f"wekinator-{kind}-box.json")
    assert list(boxed["nodes"]) == ["wek"]
    nodes, links = strip(expand(boxed, PATCHES))
    assert nodes == {k: {f: v for f, v in n.items() if f != "pos"} for k, n in original["nodes"].items()}
    assert links == sorted(original["links"])


@pytest.fixture
def boxed():
    opened = []

    def start(kind, *settings):
        client = Client(free_udp_port())
        doc = patchfile.read(PATCHES / f"wekinator-{kind}-box.json")
        doc["nodes"]["wek"]["params"]["args"] = [client.dest[1], client.port, *settings]
        rt = Runtime.manual()
        rt.load_doc(expand(doc, PATCHES), kind)
        rt.start(thread=False)
        opened.append((rt, client))
        return doc, rt, client

    yield start
    for rt, client in opened:
        rt.close()
        client.close()


def test_classifier_box_obeys_a_wekinator_client_and_keeps_what_it_learned(boxed, tmp_path):
    doc, rt, client = boxed("classifier", 3)
    node = drive_classifier(rt, client, learner="wek/classifier")
    # the examples are saved with the patch that uses the box, not in the shared library file
    kept = keep_state(doc, rt.to_doc())
    assert len(kept["nodes"]["wek"]["state"]["classifier"]["examples"]) == 40
    again = Runtime.manual()
    try:
        again.load_doc(expand(kept, PATCHES))
        assert again.graph.node("wek/classifier").state["examples"] == node.state["examples"]
    finally:
        again.close()


def test_a_class_beyond_the_boxs_argument_is_refused(boxed):
    _, rt, client = boxed("classifier", 2)  # a project of two classes
    node = rt.graph.node("wek/classifier")
    client.send(C + "outputs", 3.0)
    client.send(C + "startRecording")
    client.inputs([0.5, 0.5, 0.5])
    client.send(C + "stopRecording")
    settle(rt, client)
    assert node.state["examples"] == []
    assert any("1 to 2" in line.text for line in rt.console.lines if line.node == "wek/classifier")


def test_gesture_box_obeys_a_wekinator_client(boxed):
    _, rt, client = boxed("gesture")
    drive_gestures(rt, client, rt.graph.node("wek/gestures"))


def test_the_boxs_inlet_and_outlet_teach_it_from_the_patch_itself():
    """Features wired into the box's inlet reach the learner straight; its class leaves by the
    box's outlet."""
    doc = {"format": "nodegraph-patch", "version": 1, "links": [
        ["pad", "vector", "wek", "features"], ["wek", "class", "show", "in"]], "nodes": {
        "pad": {"type": "pack", "params": {"size": 3}, "pos": [0, 0]},
        "wek": {"type": "wekinator.classifier", "params": {"args": [free_udp_port(), free_udp_port(), 3]},
                "pos": [0, 100]},
        "show": {"type": "display", "params": {}, "pos": [0, 200]}}}
    flat = expand(doc, PATCHES)
    assert ["pad", "vector", "wek/classifier", "features"] in flat["links"]
    assert ["wek/class", "out", "show", "in"] in flat["links"]
    rt = Runtime.manual()
    try:
        rt.load_doc(flat)
        rt.start(thread=False)
        for label, x in ((1, 0.1), (2, 0.9)):
            rt.send("wek/classifier", "label", label)
            rt.send("wek/classifier", "record", True)
            for _ in range(3):
                rt.send("pad", "in0", x)
            rt.send("wek/classifier", "record", False)
        rt.send("wek/classifier", "train", BANG)
        wait_idle(rt, "wek/classifier")
        rt.send("wek/classifier", "run", True)
        rt.send("pad", "in0", 0.85)
        assert rt.graph.node("show").value == 2.0
    finally:
        rt.close()
