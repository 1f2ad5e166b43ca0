"""The three Wekinator patches, driven over real UDP by a Wekinator-style client.

The client does what Processing/Max/openFrameworks sketches written for
Wekinator do: send /wek/inputs and /wekinator/control/* to the patch, and listen
for /wek/outputs (and /wekinator/status/done-training, /output_N). Tests move
the patch to free ports (6448 and 12000 may be taken by parallel runs), except
one that uses the real defaults when they are free.
"""
import json
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from pythonosc.osc_message_builder import OscMessageBuilder

from nodegraph import Runtime, SetParam, patchfile
from nodegraph.io.osc import parse

from .learners_util import run_all, wait_idle
from .test_learners_gesture import perform

PATCHES = Path(__file__).resolve().parent.parent / "patches"
C = "/wekinator/control/"


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def typetags(data):
    end = data.index(b"\0")
    start = (end + 4) & ~3
    return data[start + 1:data.index(b"\0", start)].decode()


class Client:
    """A Wekinator client: sends to the patch, receives what the patch sends to port 12000."""

    def __init__(self, patch_port, listen_port=0):
        self.out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.dest = ("127.0.0.1", patch_port)
        self.inp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.inp.bind(("127.0.0.1", listen_port))
        self.inp.setblocking(False)
        self.port = self.inp.getsockname()[1]
        self.received = []  # (address, args, typetags)

    def send(self, address, *args, types=None):
        b = OscMessageBuilder(address)
        for i, a in enumerate(args):
            b.add_arg(a, types[i] if types else None)
        self.out.sendto(b.build().dgram, self.dest)

    def inputs(self, values, types=None):
        self.send("/wek/inputs", *[float(v) if types is None else v for v in values], types=types)

    def drain(self):
        while True:
            try:
                data = self.inp.recv(65536)
            except BlockingIOError:
                return
            for address, args in parse(data):
                self.received.append((address, args, typetags(data)))

    def close(self):
        self.out.close()
        self.inp.close()


def open_patch(name, patch_port, client_port):
    """Load a shipped patch with its OSC ports moved (the doc's params are edited, nothing else)."""
    doc = patchfile.read(PATCHES / name)
    for node in doc["nodes"].values():
        if node["type"] == "osc.in":
            node["params"]["port"] = patch_port
        elif node["type"] == "osc.out":
            node["params"]["port"] = client_port
    rt = Runtime.manual()
    rt.load_doc(doc, name)
    rt.start(thread=False)
    return rt


def pump(rt, client, until, timeout=60.0):
    """Let the patch handle its sockets (and finished trainings) until `until()` holds."""
    deadline = time.monotonic() + timeout
    while True:
        rt.poll(0.005)
        client.drain()
        if until():
            return
        assert time.monotonic() < deadline, f"timed out; received {client.received[-5:]}"


def settle(rt, client, seconds=0.15):
    """Real UDP: give in-flight datagrams time to arrive, handling them as they do."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rt.poll(0.005)
        client.drain()


@pytest.fixture
def wek():
    opened = []

    def start(name, patch_port=None, client_port=0):
        client = Client(patch_port or free_udp_port(), client_port)
        rt = open_patch(name, client.dest[1], client.port)
        opened.append((rt, client))
        return rt, client

    yield start
    for rt, client in opened:
        rt.close()
        client.close()


def addresses(client, address):
    return [r for r in client.received if r[0] == address]


def drive_classifier(rt, client, learner="classifier"):
    rng = np.random.default_rng(0)
    node = rt.graph.node(learner)
    # the class starts at 1 (Wekinator's default): record without setting it
    client.send(C + "startRecording")
    for _ in range(20):
        client.inputs(rng.normal([0.1, 0.1, 0.1], 0.02))
    client.send(C + "stopRecording")
    client.send(C + "outputs", 2.0)
    client.send(C + "startRecording")
    for _ in range(20):  # ints and doubles are features too (Wekinator only takes floats)
        v = rng.normal([0.9, 0.9, 0.9], 0.02)
        client.send("/wek/inputs", int(round(v[0])), float(v[1]), float(v[2]), types=["i", "d", "f"])
    client.send(C + "stopRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == 40 and not node._recording)
    assert node.info()["counts"] == {"1": 20, "2": 20}
    client.send(C + "train")
    pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training"))
    assert addresses(client, "/wekinator/status/done-training")[0][1] == []
    client.send(C + "startRunning")
    for v in ([0.12, 0.1, 0.09], [0.88, 0.91, 0.9], [0.1, 0.1, 0.1]):
        client.inputs(v)
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 3)
    outs = addresses(client, "/wek/outputs")
    assert [o[1] for o in outs] == [[1.0], [2.0], [1.0]]
    assert all(o[2] == "f" for o in outs)  # classes as floats, as Wekinator sends them
    return node


def test_classifier_patch_obeys_a_wekinator_client(wek):
    rt, client = wek("wekinator-classifier.json")
    node = drive_classifier(rt, client)
    # stopRunning: inputs give nothing
    client.send(C + "stopRunning")
    client.inputs([0.9, 0.9, 0.9])
    settle(rt, client)
    assert len(addresses(client, "/wek/outputs")) == 3
    # startRecording while running stops running (and it stays stopped after stopRecording)
    client.send(C + "startRunning")
    client.inputs([0.9, 0.9, 0.9])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 4)
    client.send(C + "outputs", 3.0)
    client.send(C + "startRecording")
    client.inputs([0.5, 0.5, 0.5])
    client.send(C + "stopRecording")
    client.inputs([0.5, 0.5, 0.5])
    settle(rt, client)
    assert len(addresses(client, "/wek/outputs")) == 4 and len(node.state["examples"]) == 41
    # a wrong number of inputs is refused, the patch goes on
    client.send(C + "startRunning")
    client.inputs([0.5, 0.5])
    client.inputs([0.12, 0.1, 0.09])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 5)
    assert addresses(client, "/wek/outputs")[-1][1] == [1.0]
    client.send(C + "deleteAllExamples")
    pump(rt, client, lambda: node.state["examples"] == [])


def test_delete_all_examples_keeps_the_trained_model_running(wek, tmp_path):
    """Wekinator's deleteAllExamples deletes the data, not the models: outputs go on; the
    model is still there after saving and reopening; Ctrl+Z brings the examples back."""
    rt, client = wek("wekinator-classifier.json")
    node = drive_classifier(rt, client)
    client.send(C + "deleteAllExamples")
    pump(rt, client, lambda: node.state["examples"] == [])
    client.inputs([0.88, 0.91, 0.9])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 4)
    assert addresses(client, "/wek/outputs")[-1][1] == [2.0]
    assert "model keeps running" in node._status
    client.inputs([0.5, 0.5])  # the model still knows how many inputs it takes
    settle(rt, client)
    assert "got 2 features" in node.error and len(addresses(client, "/wek/outputs")) == 4
    # saved and reopened: the model is refitted from the examples it had learned
    again = Runtime.open(rt.save(tmp_path / "kept.json"), clock=type(rt.scheduler.clock)())
    try:
        again.start(thread=False)
        restored = wait_idle(again, "classifier")
        assert restored.state["examples"] == [] and restored._predictor is not None
        got = run_all(again, "classifier", [[0.12, 0.1, 0.09], [0.88, 0.91, 0.9]], ["number"])["number"]
        assert got == [1.0, 2.0]
    finally:
        again.close()
    assert rt.undo() and len(node.state["examples"]) == 40  # an undo step, as clear
    # a new training forgets the deleted examples
    client.send(C + "deleteAllExamples")
    client.send(C + "outputs", 3.0)
    client.send(C + "startRecording")
    for v in ([0.5, 0.5, 0.5], [0.52, 0.5, 0.5]):
        client.inputs(v)
    client.send(C + "outputs", 1.0)
    for v in ([0.1, 0.1, 0.1], [0.12, 0.1, 0.1]):
        client.inputs(v)
    client.send(C + "stopRecording")
    client.send(C + "train")
    pump(rt, client, lambda: len(addresses(client, "/wekinator/status/done-training")) == 2)
    assert "kept" not in node.state["model"] and node.info()["model"]["examples"] == 4


def test_cancel_train_keeps_the_previous_model(wek):
    rt, client = wek("wekinator-classifier.json")
    node = drive_classifier(rt, client)
    wait_idle(rt, "classifier")  # its cross-validation too
    client.send(C + "cancelTrain")
    pump(rt, client, lambda: "nothing to cancel" in node._status)
    rt.do(SetParam("classifier", "algorithm", "mlp"))  # a slower fit, trained in the worker
    client.send(C + "train")
    client.send(C + "cancelTrain")
    pump(rt, client, lambda: "training cancelled" in node._status)
    assert node._job is None and node.state["model"]["spec"]["algorithm"] == "knn"
    client.inputs([0.88, 0.91, 0.9])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 4)
    assert addresses(client, "/wek/outputs")[-1][1] == [2.0]


def console_lines(rt, node_id):
    return [line.text for line in list(rt.console.lines) if line.node == node_id]


def test_training_on_one_class_gives_a_model_and_done_training(wek):
    rt, client = wek("wekinator-classifier.json")
    node = rt.graph.node("classifier")
    client.send(C + "startRecording")  # class 1, Wekinator's first
    for v in ([0.1, 0.1, 0.1], [0.2, 0.1, 0.1], [0.1, 0.2, 0.1]):
        client.inputs(v)
    client.send(C + "stopRecording")
    client.send(C + "train")
    pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training"))
    client.send(C + "startRunning")
    client.inputs([0.9, 0.9, 0.9])
    pump(rt, client, lambda: addresses(client, "/wek/outputs"))
    assert addresses(client, "/wek/outputs")[0][1] == [1.0]
    assert node.error is None


def test_classes_outside_the_projects_range_are_refused_with_a_line(wek):
    """Wekinator's classifier has classes 1..N (N = 3 in the patch): 0, 7 or a name would
    reach the client as classes it does not have. Each is refused with a console line;
    what was recorded stays, and a good class records again."""
    rt, client = wek("wekinator-classifier.json")
    node = rt.graph.node("classifier")
    for bad in (0.0, 7.0, "seven"):
        client.send(C + "outputs", bad)
        client.send(C + "startRecording")
        client.inputs([0.5, 0.5, 0.5])
        client.send(C + "stopRecording")
        settle(rt, client)
        assert node.state["examples"] == []
        assert any(f"is not one of this classifier's classes, 1 to 3" in line
                   for line in console_lines(rt, "classifier")), bad
    client.send(C + "outputs", 1.0, 2.0)  # two outputs to a one-output classifier
    settle(rt, client)
    assert any("label" in line for line in console_lines(rt, "classifier")[-1:]), console_lines(rt, "classifier")
    client.send(C + "outputs", 3.0)
    client.send(C + "startRecording")
    client.inputs([0.5, 0.5, 0.5])
    client.send(C + "stopRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == 1 and not node._recording)
    assert node.state["examples"][0]["y"] == 3


def test_regression_records_zeros_before_any_outputs_and_refuses_a_wrong_length(wek):
    rt, client = wek("wekinator-regression.json")
    node = rt.graph.node("regressor")
    client.send(C + "startRecording")  # no outputs message yet: Wekinator's outputs are 0
    client.inputs([0.1, 0.1])
    client.send(C + "stopRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == 1 and not node._recording)
    assert node.state["examples"][0]["y"] == [0.0, 0.0]
    client.send(C + "outputs", 1.0, 2.0, 3.0)  # the project has 2 outputs
    client.send(C + "startRecording")
    client.inputs([0.2, 0.2])
    client.send(C + "stopRecording")
    settle(rt, client)
    assert len(node.state["examples"]) == 1
    assert any("got a target of 3 values, but this learner has 2 outputs" in line
               for line in console_lines(rt, "regressor"))
    client.send(C + "outputs", 1.0, 0.5)
    client.send(C + "startRecording")
    client.inputs([0.9, 0.9])
    client.send(C + "stopRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == 2 and not node._recording)
    assert node.state["examples"][1]["y"] == [1.0, 0.5]


def test_regression_patch_obeys_a_wekinator_client(wek):
    rt, client = wek("wekinator-regression.json")
    node = rt.graph.node("regressor")
    rng = np.random.default_rng(1)
    for target, centre in (([0.0, 1.0], 0.2), ([1.0, 0.0], 0.8)):
        client.send(C + "outputs", *target)
        client.send(C + "startRecording")
        for _ in range(15):
            client.inputs(rng.normal([centre, centre], 0.02))
        client.send(C + "stopRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == 30 and not node._recording)
    client.send(C + "train")
    pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training"))
    client.send(C + "startRunning")
    client.inputs([0.2, 0.2])
    client.inputs([0.8, 0.8])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 2)
    (a, args_a, tags_a), (_, args_b, _) = addresses(client, "/wek/outputs")
    assert tags_a == "ff"  # one float per output
    np.testing.assert_allclose(args_a, [0.0, 1.0], atol=0.1)
    np.testing.assert_allclose(args_b, [1.0, 0.0], atol=0.1)


def drive_gestures(rt, client, node):
    """Teach two gestures twice each as a Wekinator client does, then perform each: the match
    as it ends names it, in bare /output_N messages."""
    rng = np.random.default_rng(2)
    for n, name in ((1, "circle"), (2, "swipe"), (1, "circle"), (2, "swipe")):
        client.send(C + "startDtwRecording", n)  # an int, as Wekinator requires
        for f in perform(name, rng, noise=0.005):
            client.inputs(f)
        client.send(C + "stopDtwRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == 4 and not node._recording)
    assert node.info()["counts"] == {"1": 2, "2": 2}
    client.send(C + "startRunning")
    for number, name in ((1, "circle"), (2, "swipe")):
        seen = len(client.received)
        for f in perform(name, rng, stretch=1.2, noise=0.005):
            client.inputs(f)
        settle(rt, client, 0.3)
        matches = [r for r in client.received[seen:] if r[0].startswith("/output_")]
        # Wekinator's threshold (5) is loose: parts of a gesture may match others on the
        # way, but the match as it ends names it
        assert matches and matches[-1][0] == f"/output_{number}"
        assert all(m[1] == [] for m in matches)  # bare messages, as Wekinator sends


def test_gesture_patch_obeys_a_wekinator_client(wek):
    rt, client = wek("wekinator-gesture.json")
    node = rt.graph.node("gestures")
    drive_gestures(rt, client, node)
    outs = addresses(client, "/wek/outputs")
    assert outs and all(o[2] == "fffff" for o in outs)  # one distance per gesture, gestures 1..5
    assert np.isinf(outs[0][1]).all()  # before min_length frames: no candidates
    last = outs[-1][1]
    assert np.isfinite(last[:2]).all() and np.isinf(last[2:]).all()  # gestures 3..5 have no examples
    client.send(C + "deleteAllExamples")
    pump(rt, client, lambda: node.state["examples"] == [])


def test_classifier_patch_on_wekinators_own_ports_when_free(wek):
    probes = []
    try:
        for port in (6448, 12000):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", port))
            probes.append(s)
    except OSError:
        pytest.skip("port 6448 or 12000 is in use (a parallel run?)")
    finally:
        for s in probes:
            s.close()
    doc = patchfile.read(PATCHES / "wekinator-classifier.json")
    ports = sorted({n["params"]["port"] for n in doc["nodes"].values() if n["type"].startswith("osc.")})
    assert ports == [6448, 12000, 12001]  # the shipped patch uses Wekinator's defaults (12001: bundles)
    rt, client = wek("wekinator-classifier.json", patch_port=6448, client_port=12000)
    drive_classifier(rt, client)


def test_dtw_recording_needs_a_gesture_of_the_project(wek):
    """startDtwRecording with no number, 0, 6 or a name: a console line, nothing recorded
    (before, no number recorded under the previous gesture and 7 made a sixth output)."""
    rt, client = wek("wekinator-gesture.json")
    node = rt.graph.node("gestures")
    rng = np.random.default_rng(5)
    for args in ((), (0,), (6,), ("circle",), (2.5,)):
        client.send(C + "startDtwRecording", *args)
        for f in perform("circle", rng, frames=10):
            client.inputs(f)
        client.send(C + "stopDtwRecording")
        settle(rt, client)
        assert node.state["examples"] == [], args
    lines = console_lines(rt, "bad_gesture")
    assert len(lines) == 5 and all("needs a gesture number from 1 to 5" in line for line in lines)
    client.send(C + "startDtwRecording", 3.0)  # a float that is a whole number is fine
    for f in perform("circle", rng, frames=10):
        client.inputs(f)
    client.send(C + "stopDtwRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == 1 and not node._recording)
    assert node.state["examples"][0]["y"] == 3


def test_per_model_switches_on_the_one_model_classifier(wek):
    rt, client = wek("wekinator-classifier.json")
    node = drive_classifier(rt, client)
    # disableModelRunning 1: the model is not run, and the output keeps its last value (as
    # Wekinator sends its current values); enable it again and it runs
    client.send(C + "disableModelRunning", 1)
    client.inputs([0.12, 0.1, 0.09])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 4)
    assert addresses(client, "/wek/outputs")[-1][1] == [1.0]  # the last class sent, not this input's
    client.send(C + "enableModelRunning", 1)
    client.inputs([0.88, 0.91, 0.9])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 5)
    assert addresses(client, "/wek/outputs")[-1][1] == [2.0]
    # disableModelRecording 1: recording gives no examples for it
    client.send(C + "disableModelRecording", 1)
    client.send(C + "startRecording")
    client.inputs([0.5, 0.5, 0.5])
    client.send(C + "stopRecording")
    settle(rt, client)
    assert len(node.state["examples"]) == 40
    client.send(C + "enableModelRecording", 1)
    client.send(C + "startRecording")
    client.inputs([0.5, 0.5, 0.5])
    client.send(C + "stopRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == 41 and not node._recording)
    # a model this project does not have, and the messages Wekinator refuses after setup
    client.send(C + "disableModelRunning", 2)
    client.send(C + "setInputNames", "a", "b", "c")
    client.send(C + "selectInputsForOutput", 1, 2, 3)
    settle(rt, client)
    assert any("output numbers go from 1 to 1 here, got 2" in line for line in console_lines(rt, "classifier"))
    assert any("cannot be changed after the project is created" in line for line in console_lines(rt, "names_fixed"))
    assert node._inputs_for == [[2, 3]]
    # deleteExamplesForOutput 1: its examples go, the model keeps running
    client.send(C + "deleteExamplesForOutput", 1)
    pump(rt, client, lambda: node.state["examples"] == [])
    client.send(C + "startRunning")
    client.inputs([0.12, 0.1, 0.09])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 6)
    assert addresses(client, "/wek/outputs")[-1][1] == [1.0]


def test_class_probabilities_of_the_one_output_classifier(wek):
    rt, client = wek("wekinator-classifier.json")
    rt.do(SetParam("classifier", "send_probabilities", True))
    drive_classifier(rt, client)
    got = addresses(client, "/outputs-1")
    assert [g[1] for g in got] == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]  # one per class 1..3
    assert all(g[2] == "fff" for g in got)


def test_regression_patch_per_output_switches(wek):
    """Continuous outputs, one model each: disableModelRecording 2 records output 1 alone
    (output 2 learns without those examples), disableModelRunning 1 keeps output 1 at its
    last value; names cannot change after setup (as Wekinator)."""
    rt, client = wek("wekinator-regression.json")
    node = rt.graph.node("regressor")
    rt.do(SetParam("regressor", "algorithm", "knn"))  # instant and exact, for the values below
    for target, centre in (([0.0, 1.0], 0.2), ([1.0, 0.0], 0.8)):
        client.send(C + "outputs", *target)
        client.send(C + "startRecording")
        client.inputs([centre, centre])
        client.send(C + "stopRecording")
    client.send(C + "disableModelRecording", 2)
    client.send(C + "outputs", 0.5, 0.7)
    client.send(C + "startRecording")
    client.inputs([0.5, 0.5])
    client.send(C + "stopRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == 3 and not node._recording)
    assert node.state["examples"][-1]["y"] == [0.5, None]
    client.send(C + "train")
    pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training") and node._job is None)
    client.send(C + "startRunning")
    client.inputs([0.52, 0.5])
    pump(rt, client, lambda: addresses(client, "/wek/outputs"))
    assert addresses(client, "/wek/outputs")[0][1] == [0.5, 0.0]  # output 2 never saw 0.7
    client.send(C + "disableModelRunning", 1)
    client.inputs([0.2, 0.2])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 2)
    assert addresses(client, "/wek/outputs")[1][1] == [0.5, 1.0]
    client.send(C + "setOutputNames", "x", "y")
    settle(rt, client)
    assert console_lines(rt, "names_fixed")


def record_poses(rt, client, node, poses, per=8, seed=8):
    rng = np.random.default_rng(seed)
    before = len(node.state["examples"])
    for centre, classes in poses.items():
        client.send(C + "outputs", *classes)
        client.send(C + "startRecording")
        for _ in range(per):
            client.inputs(rng.normal(centre, 0.02))
        client.send(C + "stopRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == before + per * len(poses) and not node._recording)


POSES = {(0.1, 0.1): (1.0, 2.0, 3.0), (0.9, 0.1): (2.0, 2.0, 1.0), (0.5, 0.9): (3.0, 1.0, 1.0)}


def test_three_classifier_outputs_one_done_training_per_train(wek):
    """A Wekinator project with three classifier outputs, on one node: `outputs a b c` sets
    each output's class, each output has its own model, /wek/outputs carries the three
    classes, and every train sends one done-training."""
    rt, client = wek("wekinator-classifier-3.json")
    node = rt.graph.node("classifier")
    record_poses(rt, client, node, POSES)
    assert node.info()["counts"] == [{"1": 8, "2": 8, "3": 8}, {"1": 8, "2": 16}, {"1": 16, "3": 8}]
    for round_ in (1, 2):
        client.send(C + "train")
        pump(rt, client, lambda: len(addresses(client, "/wekinator/status/done-training")) == round_
             and node._job is None)
        settle(rt, client)
        assert len(addresses(client, "/wekinator/status/done-training")) == round_
    assert len(node._predictor.parts) == 3  # three models
    client.send(C + "startRunning")
    for centre in POSES:
        client.inputs(centre)
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 3)
    outs = addresses(client, "/wek/outputs")
    assert [tuple(o[1]) for o in outs] == list(POSES.values()) and all(o[2] == "fff" for o in outs)


def test_outputs_of_the_wrong_length_are_refused_with_a_line(wek):
    rt, client = wek("wekinator-classifier-3.json")
    node = rt.graph.node("classifier")
    for bad in ((1.0, 2.0), (1.0, 2.0, 3.0, 1.0), (1.0, 4.0, 1.0)):
        client.send(C + "outputs", *bad)
        client.send(C + "startRecording")
        client.inputs([0.5, 0.5])
        client.send(C + "stopRecording")
        settle(rt, client)
        assert node.state["examples"] == [], bad
    lines = console_lines(rt, "classifier")
    assert any("got 2 classes, but this classifier has 3 outputs" in line for line in lines)
    assert any("got 4 classes, but this classifier has 3 outputs" in line for line in lines)
    assert any("class 4 of output 2 is not one of this classifier's classes, 1 to 3" in line for line in lines)


def test_per_output_record_run_and_input_selection(wek):
    """disableModelRecording 2: the examples recorded meanwhile have no class for output 2,
    which learns without them; disableModelRunning 3: output 3 sends its last value;
    selectInputsForOutput 1 1: output 1 learns from input 1 alone from the next train."""
    rt, client = wek("wekinator-classifier-3.json")
    node = rt.graph.node("classifier")
    record_poses(rt, client, node, {(0.1, 0.1): (1.0, 1.0, 1.0), (0.9, 0.9): (2.0, 2.0, 2.0)})
    client.send(C + "disableModelRecording", 2)
    record_poses(rt, client, node, {(0.1, 0.9): (3.0, 3.0, 3.0)}, seed=9)
    assert node.state["examples"][-1]["y"] == [3, None, 3]
    client.send(C + "selectInputsForOutput", 1, 1)
    client.send(C + "train")
    pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training") and node._job is None)
    assert node.state["model"]["spec"]["inputs_for"] == [[0], None, None]
    client.send(C + "startRunning")
    client.inputs([0.1, 0.9])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 1)
    # output 1 sees only x = 0.1: classes 1 and 3 were taught there (nearest wins either way);
    # output 2 never learned class 3; output 3 did
    first = addresses(client, "/wek/outputs")[0][1]
    assert first[1] in (1.0, 2.0) and first[2] == 3.0
    client.send(C + "disableModelRunning", 3)
    client.inputs([0.9, 0.9])
    pump(rt, client, lambda: len(addresses(client, "/wek/outputs")) == 2)
    assert addresses(client, "/wek/outputs")[1][1] == [2.0, 2.0, 3.0]  # output 3 keeps its last value
    client.send(C + "disableModelRunning", 4)  # this project has 3 outputs
    client.send(C + "selectInputsForOutput", 2, 5)  # and 2 inputs
    settle(rt, client)
    lines = console_lines(rt, "classifier")
    assert any("output numbers go from 1 to 3 here, got 4" in line for line in lines)
    assert any("input numbers go from 1 to 2" in line for line in lines)


def test_delete_examples_for_one_output_keeps_the_others_and_the_model(wek):
    rt, client = wek("wekinator-classifier-3.json")
    node = rt.graph.node("classifier")
    record_poses(rt, client, node, POSES)
    client.send(C + "train")
    pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training") and node._job is None)
    client.send(C + "deleteExamplesForOutput", 2)
    pump(rt, client, lambda: all(ex["y"][1] is None for ex in node.state["examples"]))
    assert len(node.state["examples"]) == 24 and node.info()["counts"][1] == {}
    client.send(C + "startRunning")
    client.inputs((0.9, 0.1))
    pump(rt, client, lambda: addresses(client, "/wek/outputs"))
    assert addresses(client, "/wek/outputs")[0][1] == [2.0, 2.0, 1.0]  # output 2's model still runs
    assert rt.undo() and node.info()["counts"][1] == {"1": 8, "2": 16}


def test_class_probabilities_as_wekinator_sends_them(wek):
    """With send_probabilities on (Wekinator's per-output box), each output's
    probabilities go out as /outputs-N, one float per class 1..3, after /wek/outputs."""
    rt, client = wek("wekinator-classifier-3.json")
    node = rt.graph.node("classifier")
    rt.do(SetParam("classifier", "send_probabilities", True))
    record_poses(rt, client, node, POSES)
    client.send(C + "train")
    pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training") and node._job is None)
    client.send(C + "startRunning")
    client.inputs((0.5, 0.9))
    pump(rt, client, lambda: len(addresses(client, "/outputs-3")) == 1)
    got = {a: (args, tags) for a, args, tags in client.received if a.startswith("/outputs-")}
    assert got == {"/outputs-1": ([0.0, 0.0, 1.0], "fff"), "/outputs-2": ([1.0, 0.0, 0.0], "fff"),
                   "/outputs-3": ([1.0, 0.0, 0.0], "fff")}


def train_three(rt, client, node, poses=POSES):
    record_poses(rt, client, node, poses)
    client.send(C + "train")
    pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training") and node._job is None)


def saved_patch_folder(rt, tmp_path):
    """The patch saved into tmp_path, so its files (models, bundles) live there."""
    rt.save(tmp_path / "project.json")
    return tmp_path


def test_save_and_load_a_model_file(wek, tmp_path):
    """saveModelToFile 2 FILE writes output 2's model (JSON, in the patch's folder, no code);
    loadModelFromFile 2 FILE into a new project makes output 2 answer as it did; WITHDATA
    adds its examples; a file outside the folder or not a model file gets a line."""
    rt, client = wek("wekinator-classifier-3.json")
    saved_patch_folder(rt, tmp_path)
    node = rt.graph.node("classifier")
    train_three(rt, client, node)
    client.send(C + "saveModelToFile", 2, "output2.json")
    pump(rt, client, lambda: "saved output 2's model" in node._status)
    doc = json.loads((tmp_path / "output2.json").read_text())
    assert doc["format"] == "nodegraph-model" and doc["output"] == 2 and len(doc["examples"]) == 24
    assert {ex["y"] for ex in doc["examples"]} == {1, 2}

    other, client2 = wek("wekinator-classifier-3.json")
    other.save(tmp_path / "other.json")  # the same folder: it may read the file
    fresh = other.graph.node("classifier")
    client2.send(C + "loadModelFromFile", 2, "output2.json")
    pump(other, client2, lambda: fresh._predictor is not None and fresh._job is None)
    assert fresh.state["examples"] == []  # WITHOUTDATA (the default): the model only
    client2.send(C + "startRunning")
    for centre in POSES:
        client2.inputs(centre)
    pump(other, client2, lambda: len(addresses(client2, "/wek/outputs")) == 3)
    assert [o[1][1] for o in addresses(client2, "/wek/outputs")] == [p[1] for p in POSES.values()]
    client2.send(C + "stopRunning")
    client2.send(C + "loadModelFromFile", 1, "output2.json", "WITHDATA")
    pump(other, client2, lambda: len(fresh.state["examples"]) == 24 and fresh._job is None)
    assert fresh.state["examples"][0]["y"][0] in (1, 2) and fresh.state["examples"][0]["y"][1:] == [None, None]
    for args in ((2, "../outside.json"), (2, "missing.json"), (2, "project.json"), (7, "output2.json")):
        client2.send(C + "loadModelFromFile", *args)
    settle(other, client2, 0.5)
    lines = console_lines(other, "classifier")
    assert any("leads outside the patch's folder" in line for line in lines)
    assert any("cannot load missing.json" in line for line in lines)
    assert any("cannot load project.json: it is not a model file" in line for line in lines)
    assert any("output numbers go from 1 to 3 here, got 7" in line for line in lines)


def test_inputs_bundle_gives_an_outputs_bundle(wek, tmp_path):
    """/wek/inputs/bundle FILE.csv: recorded while recording; while running, the outputs of
    every row go to wekOutputs.csv and /wek/outputs/bundle PATH goes to port 12001 (as
    Wekinator, whose port is fixed: the test moves it)."""
    rt, client = wek("wekinator-classifier-3.json")
    folder = saved_patch_folder(rt, tmp_path)
    node = rt.graph.node("classifier")
    bundle_client = Client(client.dest[1])
    rt.do(SetParam("bundle_out", "port", bundle_client.port))
    try:
        (folder / "poses.csv").write_text("0.1,0.1\n0.11,0.1\n")
        client.send(C + "outputs", 1.0, 2.0, 3.0)
        client.send(C + "startRecording")
        client.send("/wek/inputs/bundle", "poses.csv")
        pump(rt, client, lambda: len(node.state["examples"]) == 2)
        client.send(C + "stopRecording")
        train_three(rt, client, node, {(0.9, 0.1): (2.0, 2.0, 1.0)})
        (folder / "run.csv").write_text("0.1,0.1\n0.9,0.12\n0.12,0.1\n")
        client.send(C + "startRunning")
        client.send("/wek/inputs/bundle", "run.csv")
        pump(rt, bundle_client, lambda: addresses(bundle_client, "/wek/outputs/bundle"))
        (path,), tags = addresses(bundle_client, "/wek/outputs/bundle")[0][1:]
        assert tags == "s" and path == str(folder / "wekOutputs.csv")
        rows = [[float(v) for v in line.split(",")] for line in (folder / "wekOutputs.csv").read_text().splitlines()]
        assert rows == [[1.0, 2.0, 3.0], [2.0, 2.0, 1.0], [1.0, 2.0, 3.0]]
        assert not addresses(client, "/wek/outputs")  # one bundle message, not one per row
        (folder / "bad.csv").write_text("0.1,0.1,0.3\n")
        client.send("/wek/inputs/bundle", "bad.csv")
        pump(rt, client, lambda: any("the rows of bad.csv have 3 values" in line
                                     for line in console_lines(rt, "classifier")))
    finally:
        bundle_client.close()


def test_run_new_project_starts_over_and_undo_brings_it_back(wek):
    rt, client = wek("wekinator-classifier-3.json")
    node = rt.graph.node("classifier")
    train_three(rt, client, node)
    client.send(C + "disableModelRunning", 1)
    client.send(C + "startRunning")
    client.send(C + "runNewProject", "/somewhere/else.wekproj")
    pump(rt, client, lambda: node.state["examples"] == [] and node._predictor is None)
    assert not node._running and node._run_on == [True, True, True]
    assert console_lines(rt, "new_project")
    client.inputs((0.1, 0.1))
    settle(rt, client)
    assert not addresses(client, "/wek/outputs")
    assert rt.undo() and len(node.state["examples"]) == 24 and node._predictor is not None


def test_one_output_learns_from_the_inputs_selected_for_it(wek, tmp_path):
    """selectInputsForOutput 1 1: the next training uses input 1 alone; the choice is in the
    model's record, so the model refits the same after saving and reopening."""
    rt, client = wek("wekinator-classifier.json")
    node = rt.graph.node("classifier")
    # class 1 low on input 1 and high on the others, class 2 the reverse
    for cls, v in ((1.0, [0.1, 0.9, 0.9]), (2.0, [0.9, 0.1, 0.1])):
        client.send(C + "outputs", cls)
        client.send(C + "startRecording")
        client.inputs(v)
        client.send(C + "stopRecording")
    client.send(C + "selectInputsForOutput", 1, 1)
    client.send(C + "train")
    pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training") and node._job is None)
    assert node.state["model"]["spec"]["inputs_for"] == [[0]]
    client.send(C + "startRunning")
    client.inputs([0.2, 0.0, 0.0])  # near class 2 on inputs 2 and 3, near class 1 on input 1
    pump(rt, client, lambda: addresses(client, "/wek/outputs"))
    assert addresses(client, "/wek/outputs")[0][1] == [1.0]
    again = Runtime.open(rt.save(tmp_path / "selected.json"), clock=type(rt.scheduler.clock)())
    try:
        again.start(thread=False)
        wait_idle(again, "classifier")
        assert run_all(again, "classifier", [[0.2, 0.0, 0.0]], ["number"])["number"] == [1.0]
    finally:
        again.close()


def test_regression_output_model_file_round_trip(wek, tmp_path):
    """A continuous output's model file: saved from one project, loaded into output 2 of
    another, it answers as it did there (the other output keeps its own model)."""
    rt, client = wek("wekinator-regression.json")
    rt.save(tmp_path / "a.json")
    node = rt.graph.node("regressor")
    rt.do(SetParam("regressor", "algorithm", "knn"))
    for target, centre in (([0.0, 1.0], 0.2), ([1.0, 0.0], 0.8)):
        client.send(C + "outputs", *target)
        client.send(C + "startRecording")
        client.inputs([centre, centre])
        client.send(C + "stopRecording")
    client.send(C + "train")
    pump(rt, client, lambda: addresses(client, "/wekinator/status/done-training") and node._job is None)
    client.send(C + "saveModelToFile", 1, "first.json")
    pump(rt, client, lambda: "saved output 1's model" in node._status)
    assert any("as JSON" in line for line in console_lines(rt, "regressor"))
    other, client2 = wek("wekinator-regression.json")
    other.save(tmp_path / "b.json")
    other.do(SetParam("regressor", "algorithm", "knn"))  # every output of a node has the node's algorithm
    fresh = other.graph.node("regressor")
    client2.send(C + "loadModelFromFile", 2, "first.json", "WITHDATA")
    pump(other, client2, lambda: fresh._predictor is not None and fresh._job is None)
    assert [ex["y"] for ex in fresh.state["examples"]] == [[None, 0.0], [None, 1.0]]
    client2.send(C + "startRunning")
    client2.inputs([0.8, 0.8])
    pump(other, client2, lambda: addresses(client2, "/wek/outputs"))
    assert addresses(client2, "/wek/outputs")[0][1] == [0.0, 1.0]  # output 1 has no model: its value, 0
    assert other.undo() and fresh.state["examples"] == []  # the loaded examples were one take


def test_gesture_patch_deletes_one_gestures_examples_and_starts_new_projects(wek):
    """deleteExamplesForOutput N deletes gesture N's examples (Wekinator's per-gesture delete;
    a number outside 1..5 gets a line); runNewProject starts over, and undo brings it back."""
    rt, client = wek("wekinator-gesture.json")
    node = rt.graph.node("gestures")
    rng = np.random.default_rng(3)
    for n, name in ((1, "circle"), (2, "swipe"), (2, "swipe")):
        client.send(C + "startDtwRecording", n)
        for f in perform(name, rng, noise=0.005):
            client.inputs(f)
        client.send(C + "stopDtwRecording")
    pump(rt, client, lambda: len(node.state["examples"]) == 3 and not node._recording)
    client.send(C + "deleteExamplesForOutput", 2)
    pump(rt, client, lambda: node.info()["counts"] == {"1": 1})
    client.send(C + "deleteExamplesForOutput", 7)
    settle(rt, client)
    assert any("7 is not one of this project's gestures (1 2 3 4 5)" in line for line in console_lines(rt, "gestures"))
    assert rt.undo() and node.info()["counts"] == {"1": 1, "2": 2}
    client.send(C + "startRunning")
    client.send(C + "runNewProject", "other.wekproj")
    pump(rt, client, lambda: node.state["examples"] == [] and not node._running)
    assert console_lines(rt, "new_project")
    assert rt.undo() and len(node.state["examples"]) == 3


def test_messages_wekinator_ignores_are_ignored(wek):
    """enable/disablePerformanceMode only hide parts of Wekinator's window; in a DTW project
    Wekinator ignores the supervised-only messages. Neither changes anything here."""
    rt, client = wek("wekinator-gesture.json")
    node = rt.graph.node("gestures")
    for message in ("enablePerformanceMode", "disablePerformanceMode", "train", "startRecording", "cancelTrain"):
        client.send(C + message)
    client.send(C + "saveModelToFile", 1, "g.json")
    client.send(C + "inputs", 0.5)  # (not a control message at all)
    settle(rt, client)
    assert not node._recording and node.state["examples"] == []
    assert not [n for n in rt.graph.nodes.values() if n.error]


def test_many_outputs_answer_as_their_own_models_do():
    """One model per output: each output's answers are those of a model fitted on its own
    examples and inputs alone (kNN outputs taught on the same examples share one search)."""
    from nodegraph.learn import fit, predict

    rng = np.random.default_rng(11)
    X = rng.uniform(size=(120, 4))
    y = rng.integers(0, 3, size=(120, 3))
    y[:30, 1] = -1  # output 2 did not record the first 30 examples
    spec = {"task": "classify", "algorithm": "knn", "options": {"k": 3}, "scaling": "minmax", "seed": 0,
            "multi": [{"n_classes": 3, "classes": [1, 2, 3]}] * 3, "inputs_for": [None, None, [0, 2]]}
    multi = predict.make(fit.fit(spec, X, y)[0])
    assert multi.leader == [0, 1, 2]  # output 2 has other examples, output 3 other inputs
    y_same = y.copy()
    y_same[:30, 1] = y[:30, 0]
    shared = predict.make(fit.fit(dict(spec, inputs_for=None), X, y_same)[0])
    assert shared.leader == [0, 0, 0]
    single = {k: v for k, v in spec.items() if k not in ("multi", "inputs_for")}
    single.update(n_classes=3, classes=[1, 2, 3])
    Q = rng.uniform(size=(50, 4))
    cases = [(multi, y, out, rows, cols) for out, rows, cols in ((0, slice(None), None), (1, slice(30, None), None),
                                                                  (2, slice(None), [0, 2]))]
    cases += [(shared, y_same, out, slice(None), None) for out in range(3)]
    for model, ys, out, rows, cols in cases:
        Xj = X[rows] if cols is None else X[rows][:, cols]
        alone = predict.make(fit.fit(single, Xj, ys[rows, out])[0])
        for q in Q:
            index, proba = model.one(q)
            a_index, a_proba = alone.one(q if cols is None else q[cols])
            assert index[out] == a_index and np.array_equal(proba[out], a_proba)
