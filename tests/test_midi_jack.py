"""MIDI through real ports: a JACK server with the dummy driver (no sound card, no ALSA).

A `Peer` plays the programs on the other side of a patch's ports (a controller,
a synth) with its own JACK ports, in this process or in `nodegraph run`'s.
The session fixture starts jackd with scripts/start-jack.sh when none answers;
without jackd installed the tests skip, which CI turns into failures.
JACK is never restarted under this process (libjack would crash it).
"""
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nodegraph import BANG, AddNode, Connect, Runtime, SetParam, patchfile
from nodegraph.io import midi

from .conftest import build, tap

ROOT = Path(__file__).resolve().parent.parent
START_JACK = ROOT / "scripts" / "start-jack.sh"
_names = itertools.count()


@pytest.fixture(scope="session")
def jack():
    """A JACK server to open real ports on (started if none answers)."""
    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (Debian: jackd2, see scripts/install-system.sh): "
                    "MIDI tests need a JACK server")
    if not midi.jack_answers():
        run = subprocess.run(["bash", str(START_JACK)], capture_output=True, text=True, timeout=120)
        if run.returncode == 3:
            pytest.skip(run.stderr.strip())
        assert run.returncode == 0, f"scripts/start-jack.sh failed:\n{run.stdout}{run.stderr}"
    assert midi.jack_answers()
    import rtmidi
    return rtmidi


def unique(prefix="ngt"):
    """A client name no other test (or parallel test run) uses."""
    return f"{prefix}{os.getpid()}n{next(_names)}"


class Peer:
    """Another program: virtual JACK ports a patch connects to by name (see `full`)."""

    def __init__(self, rtmidi, name=None):
        self.rtmidi = rtmidi
        self.name = name or unique()
        self.ports = {}

    def full(self, port):
        """The JACK name of one of its ports (each port is its own JACK client)."""
        return f"{self.name}_{port}:{port}"

    def output(self, port="out"):
        """A port the peer sends from; a patch's midi.in reads it as '<name>:<port>'."""
        return self._open(port, self.rtmidi.MidiOut)

    def input(self, port="in"):
        """A port the peer receives on; a patch's midi.out sends to '<name>:<port>'."""
        return self._open(port, lambda api, name: self.rtmidi.MidiIn(api, name=name, queue_size_limit=8192))

    def connect_input(self, full_name):
        """A non-virtual input connected to someone's output (a patch's virtual port)."""
        with midi.jack_gate:
            obj = self.rtmidi.MidiIn(midi.JACK, name=self.name, queue_size_limit=8192)
        obj.ignore_types(False, False, True)
        with midi.jack_gate:
            obj.open_port(obj.get_ports().index(full_name), "in")
        self.ports[full_name] = obj
        return obj

    def connect_output(self, full_name):
        with midi.jack_gate:
            obj = self.rtmidi.MidiOut(midi.JACK, name=self.name)
        with midi.jack_gate:
            obj.open_port(obj.get_ports().index(full_name), "out")
        self.ports["to " + full_name] = obj
        return obj

    def _open(self, port, cls):
        with midi.jack_gate:
            obj = cls(midi.JACK, name=f"{self.name}_{port}")
        if isinstance(obj, self.rtmidi.MidiIn):
            obj.ignore_types(False, False, True)
        with midi.jack_gate:
            obj.open_virtual_port(port)
        self.ports[port] = obj
        return obj

    def close(self, port=None):
        for key in [port] if port else list(self.ports):
            midi.release(self.ports.pop(key), midi.JACK)


@pytest.fixture
def peer(jack):
    made = []

    def make(name=None):
        p = Peer(jack, name)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


@pytest.fixture
def live():
    """A manual-clock runtime whose ports are real: poll() it while waiting for I/O."""
    runtime = Runtime.manual()
    yield runtime
    runtime.close()


def pump(rt, until, timeout=5.0, what="the patch"):
    """Let the patch handle what arrives until `until()` holds (real I/O: a bounded wait)."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, f"timed out waiting for {what() if callable(what) else what}"
        if rt is not None:
            rt.poll(0.001)
        else:
            time.sleep(0.001)


def receive(port, n, rt=None, timeout=5.0):
    """The next n messages (bytes) arriving on a peer's input."""
    got = []

    def enough():
        while len(got) < n:
            m = port.get_message()
            if m is None:
                break
            got.append(m[0])
        return len(got) >= n
    pump(rt, enough, timeout, f"{n} messages (got {got[-3:]} and {len(got)} in all)")
    return got


def idle(rt, seconds=0.05):
    """Let the patch handle whatever arrives for a moment."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rt.poll(0.001)


def settle(port, rt=None, seconds=0.05):
    """Whatever else arrives in the next moment (nothing, when nothing should)."""
    end, got = time.monotonic() + seconds, []
    while time.monotonic() < end:
        if rt is not None:
            rt.poll(0.001)
        else:
            time.sleep(0.001)
        m = port.get_message()
        while m is not None:
            got.append(m[0])
            m = port.get_message()
    return got


# ---- through a patch, in this process -------------------------------------------------------------

def test_ccs_notes_and_messages_go_through_a_patch_end_to_end(live, peer):
    p = peer()
    knobs, synth = p.output("knobs"), p.input("synth")
    build(live, {"cc": ("midi.in", {"port": p.full("knobs"), "type": "cc", "cc": 1}),
                 "all": ("midi.in", {"port": p.full("knobs"), "type": "note"}),
                 "scaled": ("scale", {"out_min": 0.0, "out_max": 0.5}),
                 "out": ("midi.out", {"port": p.full("synth"), "cc": 74, "channel": 3})},
          [("cc", "value", "scaled", "in"), ("scaled", "out", "out", "value"), ("all", "message", "out", "message")])
    live.start(thread=False)
    assert [live.graph.node(n).info()["port"] for n in ("cc", "out")] == [p.full("knobs"), p.full("synth")]
    knobs.send_message([0xB0, 1, 127])
    knobs.send_message([0xB0, 2, 127])  # another CC: filtered out
    knobs.send_message([0xB0, 1, 64])
    assert receive(synth, 2, live) == [[0xB2, 74, 64], [0xB2, 74, 32]]
    knobs.send_message([0x93, 60, 99])
    knobs.send_message([0x83, 60, 0])
    assert receive(synth, 2, live) == [[0x93, 60, 99], [0x83, 60, 0]]  # whole messages pass as they are
    for n in ("C4", 62.0, [64, 30], "C4 off", "E4 0"):
        live.send("out", "note", n)
    assert receive(synth, 5, live) == [[0x92, 60, 100], [0x92, 62, 100], [0x92, 64, 30], [0x82, 60, 0],
                                       [0x82, 64, 0]]
    live.send("out", "velocity", 0.0)
    live.send("out", "note", 62.0)  # velocity 0: a note off
    assert receive(synth, 1, live) == [[0x82, 62, 0]]
    assert settle(synth, live) == []
    assert live.graph.node("out").info()["sent"] == 10


def test_a_vector_sends_one_cc_per_element_and_notes_end_by_themselves(live, peer):
    p = peer()
    synth = p.input("synth")
    build(live, {"out": ("midi.out", {"port": p.full("synth"), "cc": 70, "range": "0-127", "duration": 250})})
    live.start(thread=False)
    live.send("out", "value", [0.0, 63.6, 127.0, 300.0])
    assert receive(synth, 4, live) == [[0xB0, 70, 0], [0xB0, 71, 64], [0xB0, 72, 127], [0xB0, 73, 127]]
    live.send("out", "note", "A4")
    assert receive(synth, 1, live) == [[0x90, 69, 100]]
    live.advance(249)
    assert settle(synth, live) == []
    live.advance(1)
    assert receive(synth, 1, live) == [[0x80, 69, 0]]
    live.send("out", "note", "B4")  # still on when the patch stops: switched off
    live.stop()
    assert receive(synth, 2) == [[0x90, 71, 100], [0x80, 71, 0]]


def test_virtual_ports_are_found_by_other_programs(live, peer):
    name = unique("ngv")
    build(live, {"in": ("midi.in", {"port": f"{name}-in", "virtual": True}),
                 "out": ("midi.out", {"port": f"{name}-out", "virtual": True})},
          [("in", "message", "out", "message")])
    live.start(thread=False)
    _, ins, outs = midi.list_ports(midi.JACK)
    source = next(n for n in ins if n.endswith(f":{name}-out"))
    dest = next(n for n in outs if n.endswith(f":{name}-in"))
    assert midi.own(source) and midi.own(dest)  # nodegraph's client names
    p = peer()
    listen, play = p.connect_input(source), p.connect_output(dest)
    play.send_message([0x90, 48, 1])
    assert receive(listen, 1, live) == [[0x90, 48, 1]]
    assert live.graph.node("in").info()["port"] == f"{name}-in"


def test_empty_port_takes_the_first_available_that_is_not_ours(live, peer):
    p = peer()
    p.output("knobs")
    build(live, {"in": ("midi.in", {})})
    live.start(thread=False)
    info = live.graph.node("in").info()
    assert info["connected"] and not midi.own(info["port"]) and "first available" in info["status"]
    assert any("connected to" in t and "first available" in t for t in live.console.texts())


def test_an_ambiguous_name_picks_one_and_says_which(live, peer):
    base = unique()
    a, b = peer(base + "a"), peer(base + "b")
    a.output("knobs")
    b.output("knobs")
    build(live, {"in": ("midi.in", {"port": base})})
    live.start(thread=False)
    node = live.graph.node("in")
    assert node.info()["port"] in (a.full("knobs"), b.full("knobs"))
    warning = [line.text for line in live.console.lines if line.level == "warning"]
    assert len(warning) == 1 and "matches 2 ports" in warning[0] and f"using '{node.info()['port']}'" in warning[0]


def test_malformed_messages_from_a_port_are_counted_and_the_rest_flows(live, peer):
    p = peer()
    knobs = p.output("knobs")
    build(live, {"in": ("midi.in", {"port": p.full("knobs")})})
    values = tap(live, "in", "value")
    live.start(thread=False)
    for data in ([0x90, 60], [0xF4], [0x90, 200, 1], [0xB0, 1, 127]):
        knobs.send_message(data)
    pump(live, lambda: values)
    node = live.graph.node("in")
    assert values == [1.0] and node.info()["malformed"] == 3 and node.error is None


# ---- devices that are missing, vanish and come back --------------------------------------------------

def test_a_missing_device_is_not_connected_until_it_appears_and_reconnects_after_vanishing(live, peer):
    p, synth_peer = peer(), peer()
    synth = synth_peer.input("synth")
    build(live, {"in": ("midi.in", {"port": p.full("knobs")}),
                 "out": ("midi.out", {"port": synth_peer.full("synth"), "cc": 9}),
                 "math": ("math", {"op": "*", "arg": 2})},
          [("in", "value", "out", "value")])
    doubled = tap(live, "math", "out")
    live.start(thread=False)
    node = live.graph.node("in")
    assert node.error.startswith(f"not connected: no MIDI input matches '{p.full('knobs')}'")
    live.send("math", "a", 2.0)
    assert doubled == [4.0]  # the patch runs on

    knobs = p.output("knobs")  # the device is plugged in
    live.advance(midi.POLL_MS)
    assert node.error is None and node.info()["port"] == p.full("knobs")
    knobs.send_message([0xB0, 1, 127])
    assert receive(synth, 1, live) == [[0xB0, 9, 127]]

    p.close("knobs")  # unplugged
    live.advance(midi.POLL_MS)
    assert node.error == f"not connected: '{p.full('knobs')}' went away (it reconnects when it is back)"
    assert not node.info()["connected"]

    knobs = p.output("knobs")  # back again
    live.advance(midi.POLL_MS)
    assert node.error is None
    knobs.send_message([0xB0, 1, 0])
    assert receive(synth, 1, live) == [[0xB0, 9, 0]]
    texts = live.console.texts()
    assert sum(f"connected to '{p.full('knobs')}'" in t for t in texts) == 2


def test_midi_out_to_a_vanished_synth_drops_with_not_connected_and_resumes(live, peer):
    p = peer()
    synth = p.input("synth")
    build(live, {"out": ("midi.out", {"port": p.full("synth")})})
    live.start(thread=False)
    p.close("synth")
    live.advance(midi.POLL_MS)
    live.send("out", "value", 1.0)
    node = live.graph.node("out")
    assert node.error.startswith("not connected") and node.info()["dropped"] == 1
    synth = p.input("synth")
    live.advance(midi.POLL_MS)
    live.send("out", "value", 1.0)
    assert receive(synth, 1, live) == [[0xB0, 1, 127]] and node.error is None


# ---- learning from a real controller ---------------------------------------------------------------

def test_midi_learn_binds_to_the_next_control_of_a_real_controller(live, peer):
    p = peer()
    knobs = p.output("knobs")
    build(live, {"learn": ("midi.learn", {"port": p.full("knobs")})})
    values, bindings = tap(live, "learn", "value"), tap(live, "learn", "binding")
    live.start(thread=False)
    knobs.send_message([0xB0, 20, 127])
    idle(live)
    assert values == [] and live.graph.node("learn").info()["received"] == 1  # it came, but nothing is bound
    live.send("learn", "arm", BANG)
    knobs.send_message([0xB1, 21, 127])
    pump(live, lambda: bindings)
    knobs.send_message([0xB1, 20, 5])  # another knob: ignored
    knobs.send_message([0xB1, 21, 0])
    pump(live, lambda: len(values) == 2)
    assert bindings == ["CC 21 on channel 2"] and values == [1.0, 0.0]
    params = live.to_doc()["nodes"]["learn"]["params"]
    assert (params["bound"], params["channel"], params["number"], params["armed"]) == ("cc", 2, 21, False)


# ---- the mapping patch ------------------------------------------------------------------------------

def test_the_mapping_patch_learns_three_knobs_to_eight_synth_controls(live, peer):
    p = peer()
    knobs, synth = p.output("knobs"), p.input("synth")
    doc = patchfile.read(ROOT / "patches" / "midi-mapping.json")
    for node in doc["nodes"].values():
        if node["type"] == "midi.in":
            node["params"]["port"] = p.full("knobs")
        elif node["type"] == "midi.out":
            node["params"].update(port=p.full("synth"), virtual=False)
    live.load_doc(doc, "midi-mapping.json")
    ins = sorted(n for n, v in doc["nodes"].items() if v["type"] == "midi.in")
    ccs = [doc["nodes"][n]["params"]["cc"] for n in ins]
    targets = sorted(n for n, v in doc["nodes"].items() if v["type"] == "slider")
    assert len(ins) == 3 and len(targets) == 8
    learner = next(n for n, v in doc["nodes"].items() if v["type"] == "ml.regress")
    live.start(thread=False)

    poses = {(0, 0, 0): [0.0] * 8, (127, 127, 127): [1.0] * 8,
             (127, 0, 0): [1.0, 0.0] * 4, (0, 127, 127): [0.0, 1.0] * 4}
    examples = live.graph.node(learner).state["examples"]
    features = live.graph.node("features")

    def turn(knob_values):
        for cc_number, v in zip(ccs, knob_values):
            knobs.send_message([0xB0, cc_number, v])

    for k, (knob_values, target) in enumerate(poses.items()):
        for slider, v in zip(targets, target):  # the synth settings this pose should give
            live.do(SetParam(slider, "value", v))
        turn(knob_values)  # take the pose, then record it
        pump(live, lambda: list(features.last.get("vector", ())) == [v / 127 for v in knob_values])
        live.do(SetParam("record", "value", True))
        for _ in range(3):
            turn(knob_values)
        pump(live, lambda: len(live.graph.node(learner).state["examples"]) >= 9 * (k + 1),
             what=lambda: f"9 examples more (status: {live.graph.node(learner).info()['status']}; "
                          f"knobs: {[live.graph.node(n).info() for n in ins]})")
        live.do(SetParam("record", "value", False))
    examples = live.graph.node(learner).state["examples"]
    assert {tuple(ex["y"]) for ex in examples} == {tuple(t) for t in poses.values()}
    settle(synth, live)
    live.do(SetParam("train", "value", True))
    pump(live, lambda: live.graph.node(learner).state.get("model"), timeout=60, what="training")
    live.do(SetParam("run", "value", True))
    for knob_values, target in poses.items():
        settle(synth, live)
        turn(knob_values)
        got = receive(synth, 24, live)[-8:]  # eight CCs per knob message; the last set has all three
        assert [m[1] for m in got] == list(range(70, 78))
        assert [m[2] for m in got] == pytest.approx([127 * t for t in target], abs=16), knob_values


# ---- the command line --------------------------------------------------------------------------------

def test_midi_ports_lists_inputs_and_outputs(peer):
    p = peer()
    p.output("knobs")
    p.input("synth")
    out = subprocess.run([sys.executable, "-m", "nodegraph", "midi-ports", "--json"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert listed["system"] == "Jack"
    assert p.full("knobs") in listed["inputs"] and p.full("synth") in listed["outputs"]
    text = subprocess.run([sys.executable, "-m", "nodegraph", "midi-ports"], capture_output=True, text=True,
                          timeout=60).stdout
    assert f"inputs (for midi.in's port):\n" in text and f"  {p.full('knobs')}\n" in text


def test_nodegraph_run_relays_a_burst_in_order(peer, tmp_path):
    p = peer()
    knobs, synth = p.output("knobs"), p.input("synth")
    patch = {"format": "nodegraph-patch", "version": 1,
             "nodes": {"in": {"type": "midi.in", "params": {"port": p.full("knobs")}, "pos": [0, 0]},
                       "out": {"type": "midi.out", "params": {"port": p.full("synth")}, "pos": [0, 120]}},
             "links": [["in", "message", "out", "message"]]}
    path = tmp_path / "relay.json"
    path.write_text(json.dumps(patch))
    proc = subprocess.Popen([sys.executable, "-m", "nodegraph", "run", str(path), "--for", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while not settle(synth, seconds=0.1):  # until the patch is up
            assert time.monotonic() < deadline and proc.poll() is None, "nodegraph run never answered"
            knobs.send_message([0xB0, 0, 0])
        settle(synth, seconds=0.1)
        burst = [[0x90 | (i % 16), i % 128, 1 + i % 127] for i in range(1000)]
        for data in burst:
            knobs.send_message(data)
        assert receive(synth, len(burst), timeout=20) == burst
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert f"connected to '{p.full('knobs')}'" in out and f"connected to '{p.full('synth')}'" in out


# ---- a JACK server that stops and comes back ----------------------------------------------------------

PEER_SCRIPT = """
import sys, time, rtmidi
J = rtmidi.API_UNIX_JACK
name = sys.argv[1]
i, o = rtmidi.MidiIn(J, name="peer"), rtmidi.MidiOut(J, name="peer")
i.open_port(next(k for k, n in enumerate(i.get_ports()) if n.endswith(":" + name + "-out")), "in")
time.sleep(0.05)
o.open_port(next(k for k, n in enumerate(o.get_ports()) if n.endswith(":" + name + "-in")), "out")
time.sleep(0.05)
o.send_message([0xB0, 7, 99])
end = time.monotonic() + 5
while time.monotonic() < end:
    m = i.get_message()
    if m:
        print(m[0], flush=True)
        break
    time.sleep(0.001)
for port in (o, i):
    port.close_port()
    time.sleep(0.05)
    port.delete()
"""


def test_a_jack_server_that_stops_and_returns_is_survived_and_reconnected(jack, tmp_path):
    """On a private JACK server, so this process never talks to a server that dies."""
    server = unique("ngsrv")
    env = dict(os.environ, JACK_DEFAULT_SERVER=server, JACK_LOG=str(tmp_path / "jackd.log"))

    def start_server():
        run = subprocess.run(["bash", str(START_JACK)], env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stdout + run.stderr

    def server_pid():
        ps = subprocess.run(["pgrep", "-f", f"jackd -n {server} "], capture_output=True, text=True).stdout.split()
        return int(ps[0]) if ps else None

    def echo():
        run = subprocess.run([sys.executable, "-c", PEER_SCRIPT, server], env=env, capture_output=True, text=True,
                             timeout=30)
        return run.stdout.strip(), run

    start_server()
    patch = {"format": "nodegraph-patch", "version": 1,
             "nodes": {"in": {"type": "midi.in", "params": {"port": f"{server}-in", "virtual": True}, "pos": [0, 0]},
                       "out": {"type": "midi.out", "params": {"port": f"{server}-out", "virtual": True},
                               "pos": [0, 120]}},
             "links": [["in", "message", "out", "message"]]}
    path = tmp_path / "echo.json"
    path.write_text(json.dumps(patch))
    proc = subprocess.Popen([sys.executable, "-m", "nodegraph", "run", str(path), "--for", "60"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    reader = __import__("threading").Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()

    def wait_for(text, count=1, timeout=15):
        pump(None, lambda: sum(text in line for line in lines) >= count, timeout, f"'{text}' in {lines}")

    try:
        wait_for("opened the virtual port", 2)
        got, run = echo()
        assert got == "[176, 7, 99]", run.stderr
        os.kill(server_pid(), 9)  # the server crashes
        wait_for("not connected: the JACK server stopped (it reconnects when one runs again)", 2)
        time.sleep(midi.POLL_MS / 1000 * 1.5)  # more checks while it is down: no other MIDI system is tried
        assert proc.poll() is None  # the patch runs on
        start_server()
        wait_for("opened the virtual port", 4)
        got, run = echo()
        assert got == "[176, 7, 99]", run.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        reader.join(timeout=5)
        pid = server_pid()
        if pid:
            os.kill(pid, 15)
    assert proc.returncode == 0, "".join(lines)
    assert not any("ALSA" in line for line in lines), "".join(lines)


def test_notes_still_on_are_switched_off_when_the_port_changes(live, peer):
    p = peer()
    synth, other = p.input("synth"), p.input("other")
    build(live, {"out": ("midi.out", {"port": p.full("synth")})})
    live.start(thread=False)
    live.send("out", "note", "C4")
    live.do(SetParam("out", "port", p.full("other")))
    assert receive(synth, 2, live) == [[0x90, 60, 100], [0x80, 60, 0]]
    live.send("out", "note", "D4")
    assert receive(other, 1, live) == [[0x90, 62, 100]]
