"""OSC in and out over real UDP on 127.0.0.1, on free ports picked per test."""
import json
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_server import ThreadingOSCUDPServer

from nodegraph import BANG, AddNode, Connect, RemoveNode, SetParam
from nodegraph.io import osc

from .conftest import build, tap


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def message(address, *typed):
    """A datagram with explicit OSC types: message("/a", ("i", 1), ("d", 2.5))."""
    b = OscMessageBuilder(address)
    for tag, value in typed:
        b.add_arg(value, tag)
    return b.build().dgram


class Sender:
    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def __call__(self, data):
        self.sock.sendto(data, ("127.0.0.1", self.port))

    def close(self):
        self.sock.close()


def wait_for(rt, cond, timeout=3.0):
    """Poll the runtime's sockets until cond() holds (real network I/O, bounded)."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for the network")
        rt.poll(0.01)


def settle(rt, rounds=10):
    """Let datagrams that should have no effect arrive and be handled."""
    for _ in range(rounds):
        rt.poll(0.005)


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def send(port):
    s = Sender(port)
    yield s
    s.close()


def listening(rt, port, address="/wek/inputs", node_id="in"):
    build(rt, {node_id: ("osc.in", {"port": port, "address": address})})
    rt.start(thread=False)
    return tap(rt, node_id, "values"), tap(rt, node_id, "message")


# ---- osc.in --------------------------------------------------------------------------

def test_float_arguments_arrive_as_a_vector(rt, port, send):
    values, messages = listening(rt, port)
    send(message("/wek/inputs", ("f", 0.25), ("f", 0.5), ("f", 1.0)))
    wait_for(rt, lambda: values)
    assert values[0].dtype == np.float64 and values[0].tolist() == [0.25, 0.5, 1.0]
    assert messages == [["/wek/inputs", 0.25, 0.5, 1.0]]
    assert rt.graph.node("in").info()["received"] == 1


def test_ints_doubles_int64_and_bools_are_all_numbers(rt, port, send):
    values, messages = listening(rt, port)
    send(message("/wek/inputs", ("i", 3), ("d", 0.1), ("h", 2 ** 40), ("T", True), ("F", False), ("f", -2.0)))
    wait_for(rt, lambda: values)
    assert values[0].tolist() == [3.0, 0.1, float(2 ** 40), 1.0, 0.0, -2.0]  # the double keeps its precision
    assert messages[0] == ["/wek/inputs", 3, 0.1, 2 ** 40, True, False, -2.0]
    assert rt.graph.node("in").info()["non_numeric"] == 0


def test_text_arguments_are_left_out_of_values_but_kept_in_message_and_counted(rt, port, send):
    values, messages = listening(rt, port)
    for i in range(20):
        send(message("/wek/inputs", ("f", 1.0), ("s", "left"), ("i", i)))
    wait_for(rt, lambda: len(values) == 20)
    assert values[-1].tolist() == [1.0, 19.0]
    assert messages[-1] == ["/wek/inputs", 1.0, "left", 19]
    assert rt.graph.node("in").info()["non_numeric"] == 20
    warnings = [t for t in rt.console.texts("warning") if "not numbers" in t]
    assert len(warnings) == 1  # twenty in a row make one line, not twenty


def test_a_message_without_numbers_sends_only_the_message(rt, port, send):
    values, messages = listening(rt, port)
    send(message("/wek/inputs"))
    send(message("/wek/inputs", ("s", "start")))
    wait_for(rt, lambda: len(messages) == 2)
    assert values == [] and messages == [["/wek/inputs"], ["/wek/inputs", "start"]]


@pytest.mark.parametrize("pattern, matching, not_matching", [
    ("/wek/*", ["/wek/inputs", "/wek/x"], ["/wekinator", "/wek/a/b", "/other"]),
    ("/{left,right}/x", ["/left/x", "/right/x"], ["/up/x", "/left/y"]),
    ("/pad/[1-3]/?", ["/pad/1/x", "/pad/3/y"], ["/pad/4/x", "/pad/1/xy"]),
    ("/pad/[!12]", ["/pad/3"], ["/pad/1", "/pad/2"]),
    ("", ["/anything", "/a/b/c"], []),
    ("/a.b", ["/a.b"], ["/axb"]),  # regex characters are literal
])
def test_address_patterns(pattern, matching, not_matching):
    matches = osc.compile_pattern(pattern)
    assert all(matches(a) for a in matching)
    assert not any(matches(a) for a in not_matching)


def test_a_pattern_filters_real_messages(rt, port, send):
    values, _ = listening(rt, port, address="/hand/{left,right}/*")
    for i, address in enumerate(["/hand/left/x", "/hand/up/x", "/hand/right/y", "/hand/left"]):
        send(message(address, ("f", float(i))))
    send(message("/hand/right/z", ("f", 9.0)))
    wait_for(rt, lambda: len(values) == 3)
    assert [v[0] for v in values] == [0.0, 2.0, 9.0]
    assert rt.graph.node("in").info()["unmatched"] == 2


def test_a_bundle_is_unpacked_in_order(rt, port, send):
    values, _ = listening(rt, port, address="/b/*")
    bundle = OscBundleBuilder(IMMEDIATELY)
    for i in range(3):
        b = OscMessageBuilder(f"/b/{i}")
        b.add_arg(float(i))
        bundle.add_content(b.build())
    inner = OscBundleBuilder(IMMEDIATELY)
    b = OscMessageBuilder("/b/inner")
    b.add_arg(7.0)
    inner.add_content(b.build())
    bundle.add_content(inner.build())
    send(bundle.build().dgram)
    wait_for(rt, lambda: len(values) == 4)
    assert [v[0] for v in values] == [0.0, 1.0, 2.0, 7.0]


def test_two_osc_in_on_one_port_share_one_server(rt, port, send):
    build(rt, {"a": ("osc.in", {"port": port, "address": "/a"}),
               "both": ("osc.in", {"port": port, "address": "/*"}),
               "m": ("math", {"op": "*", "arg": 10})})
    rt.start(thread=False)
    a, both = tap(rt, "a", "values"), tap(rt, "both", "values")
    send(message("/a", ("f", 1.0)))
    send(message("/b", ("f", 2.0)))
    wait_for(rt, lambda: len(both) == 2)
    settle(rt)
    assert [v[0] for v in a] == [1.0] and [v[0] for v in both] == [1.0, 2.0]
    la, lb = rt.graph.node("a")._listener, rt.graph.node("both")._listener
    assert la.server is lb.server and rt.graph.node("a").info()["shared_with"] == 1
    rt.do(RemoveNode("a"))  # the other keeps listening
    send(message("/a", ("f", 3.0)))
    wait_for(rt, lambda: len(both) == 3)
    rt.do(RemoveNode("both"))  # the last one releases the port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", port))


def test_malformed_oversized_and_unsupported_datagrams_are_counted_and_the_patch_survives(rt, port, send):
    values, _ = listening(rt, port)
    junk = [b"", b"hello", b"/wek/inputs\0",  # a message with no type tags is fine
            b"/wek/inputs\0,f\0\0\x00\x00",  # a float cut short
            b"/wek/inputs\0,ff\0" + b"\0" * 4,  # two floats promised, one there
            b"#bundle\0" + b"\0" * 8 + b"\0\0\0\x40/x",  # an element longer than the bundle
            b"/wek/inputs\0,s\0\0\xff\xfe\0\0",  # text that is not UTF-8
            b"\xff" * 64]
    for data in junk:
        send(data)
    send(b"/wek/inputs\0,c\0\0\0\0\0a")  # a char: python-osc does not parse 'c'
    send(b"/wek/inputs\0,f\0\0" + b"\0" * 4 + b"\0" * (osc.MAX_DATAGRAM + 100))
    send(message("/wek/inputs", ("f", 42.0)))
    wait_for(rt, lambda: values)
    info = rt.graph.node("in").info()
    assert values[0].tolist() == [42.0]
    assert info["malformed"] == len(junk) - 1  # all but the bare address
    assert info["unsupported"] == 1 and info["oversized"] == 1
    assert rt.graph.node("in").error is None
    warnings = rt.console.texts("warning")
    assert any("an empty datagram" in t for t in warnings)  # the first of its kind is shown
    assert any("32768 bytes" in t for t in warnings) and any("'c' is not supported" in t for t in warnings)
    assert sum("ignored a datagram" in t for t in warnings) == 2  # one line per kind (malformed, unsupported)


def test_a_flood_of_garbage_is_logged_once_and_the_counts_are_exact(rt, port, send):
    values, _ = listening(rt, port)
    for _ in range(500):
        send(b"garbage")
    send(message("/wek/inputs", ("f", 1.0)))
    wait_for(rt, lambda: values)
    assert rt.graph.node("in").info()["malformed"] == 500
    assert len(rt.console.texts("warning")) == 1


def test_port_in_use_is_an_error_on_the_node_and_the_patch_keeps_running(rt, port):
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind(("127.0.0.1", port))
    try:
        build(rt, {"in": ("osc.in", {"port": port}), "m": ("math", {"arg": 1})})
        rt.start(thread=False)
        error = rt.graph.node("in").error
        assert error and f"port {port} is already in use" in error
        out = tap(rt, "m", "out")
        rt.send("m", "a", 1)
        assert out == [2.0]
        other = free_port()
        rt.do(SetParam("in", "port", other))  # choosing another port clears the error
        assert rt.graph.node("in").error is None
        values = tap(rt, "in", "values")
        Sender(other)(message("/wek/inputs", ("f", 5.0)))
        wait_for(rt, lambda: values)
    finally:
        squatter.close()


def test_two_hosts_on_one_port_is_a_clear_error(rt, port):
    build(rt, {"a": ("osc.in", {"port": port, "host": "127.0.0.1"}),
               "b": ("osc.in", {"port": port, "host": "0.0.0.0"})})
    rt.start(thread=False)
    assert rt.graph.node("a").error is None
    assert "same host" in rt.graph.node("b").error


def test_a_bad_address_pattern_is_an_error_on_the_node(rt, port):
    build(rt, {"in": ("osc.in", {"port": port, "address": "wek/inputs"})})
    rt.start(thread=False)
    assert 'must start with "/"' in rt.graph.node("in").error
    rt.do(SetParam("in", "address", "/wek/[ab"))
    assert 'without its "]"' in rt.graph.node("in").error
    rt.do(SetParam("in", "address", "/wek/inputs"))
    assert rt.graph.node("in").error is None


def test_changing_the_port_while_running_moves_the_listener(rt, port):
    values, _ = listening(rt, port)
    new = free_port()
    rt.do(SetParam("in", "port", new))
    Sender(port)(message("/wek/inputs", ("f", 1.0)))
    Sender(new)(message("/wek/inputs", ("f", 2.0)))
    wait_for(rt, lambda: values)
    settle(rt)
    assert [v[0] for v in values] == [2.0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", port))  # the old port was released


def test_a_burst_is_read_in_full_in_order(rt, port, send):
    values, _ = listening(rt, port)
    for i in range(2000):
        send(message("/wek/inputs", ("i", i)))
    wait_for(rt, lambda: len(values) == 2000)
    assert [int(v[0]) for v in values] == list(range(2000))


def test_a_dense_stream_on_the_scheduler_thread_arrives_whole_and_in_order_and_posts_get_through(rt, port, send):
    # the running thread gathers a dense stream between reads; nothing may be lost or
    # reordered by that, and a value sent from another thread meanwhile must not wait for it
    build(rt, {"in": ("osc.in", {"port": port, "address": "/wek/inputs"}), "m": ("math", {"op": "+", "arg": 1})})
    values, sums = tap(rt, "in", "values"), tap(rt, "m", "out")
    rt.start()
    for i in range(3000):
        send(message("/wek/inputs", ("i", i)))
        if i == 1500:
            rt.send("m", "a", 41)
    end = time.monotonic() + 5
    while (len(values) < 3000 or not sums) and time.monotonic() < end:
        time.sleep(0.01)
    rt.stop()
    assert [int(v[0]) for v in values] == list(range(3000))
    assert sums == [42.0]


# ---- osc.out -------------------------------------------------------------------------

class PythonOscServer:
    """An independent receiver: python-osc's own server, on its own thread."""

    def __init__(self):
        self.received = []
        self.got = threading.Event()
        d = Dispatcher()
        d.set_default_handler(self._handle)
        self.server = ThreadingOSCUDPServer(("127.0.0.1", 0), d)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def _handle(self, address, *args):
        self.received.append([address, *args])
        self.got.set()

    def wait(self, n, timeout=3.0):
        end = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < end:
            time.sleep(0.005)
        return self.received

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = PythonOscServer()
    yield r
    r.close()


def test_osc_out_delivers_every_kind_of_value_to_a_python_osc_server(rt, receiver):
    build(rt, {"out": ("osc.out", {"port": receiver.port, "address": "/to/synth"})})
    rt.start(thread=False)
    sent = [0.5, np.array([1.0, -2.5, 3.25]), "hello", 7, True, BANG, [1.5, "x", 2], np.float32(0.25)]
    for v in sent:
        rt.send("out", "values", v)
    got = receiver.wait(len(sent))
    assert got == [["/to/synth", 0.5], ["/to/synth", 1.0, -2.5, 3.25], ["/to/synth", "hello"],
                   ["/to/synth", 7], ["/to/synth", 1], ["/to/synth"], ["/to/synth", 1.5, "x", 2],
                   ["/to/synth", 0.25]]
    assert rt.graph.node("out").info()["sent"] == len(sent)


def test_osc_out_sends_to_nobody_without_complaint_and_reaches_the_program_once_it_listens(rt):
    """The synth is started after the patch: what went before found nobody (the kernel says so
    to a connected socket, on the next send) and the patch neither errs nor loses the next."""
    dest = free_port()
    build(rt, {"out": ("osc.out", {"port": dest, "address": "/pitch"})})
    rt.start(thread=False)
    for x in range(5):
        rt.send("out", "values", float(x))
        time.sleep(0.01)  # the port-unreachable answer comes back between sends
    out = rt.graph.node("out")
    assert out.error is None and out.info()["sent"] == 5
    assert getattr(out._send, "__self__", None) is not out._sock  # told once: sends unconnected now
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as synth:
        synth.bind(("127.0.0.1", dest))
        synth.settimeout(3)
        rt.send("out", "values", 440.0)
        assert OscMessage(synth.recv(2048)).params == [440.0]
    assert out.error is None and out.info()["sent"] == 6


def test_a_stream_of_one_message_bundles_is_read_whole_whatever_its_time_tag(rt, port, send):
    """A plain message is remembered to read the next of its kind quickly; a bundle never is,
    even one whose time tag happens to read like type tags (',f'): each value arrives."""
    values, _ = listening(rt, port, address="/x")

    def bundle(v):
        m = message("/x", ("f", v))
        return b"#bundle\0" + b",f\0\0\0\0\0\x01" + len(m).to_bytes(4, "big") + m

    for data in (message("/x", ("f", 1.0)), bundle(2.0), bundle(3.0), bundle(4.0), message("/x", ("f", 5.0))):
        send(data)
        n = len(values)
        wait_for(rt, lambda: len(values) > n)
    assert [v.tolist() for v in values] == [[1.0], [2.0], [3.0], [4.0], [5.0]]


def test_a_burst_is_answered_whole_and_in_order_and_a_failed_send_marks_its_node(rt, port, send):
    """What a burst of datagrams makes osc.out send goes out at the burst's end, back to back:
    every answer, in order; a send that fails there is the sending node's error, and the
    other osc.out of the same burst still sends."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as synth:
        synth.bind(("127.0.0.1", 0))
        synth.settimeout(3)
        build(rt, {"in": ("osc.in", {"port": port, "address": "/x"}),
                   "good": ("osc.out", {"port": synth.getsockname()[1], "address": "/y"}),
                   "bad": ("osc.out", {"host": "255.255.255.255", "port": 9, "address": "/y"})},
              [("in", "values", "good", "values"), ("in", "values", "bad", "values")])
        rt.start(thread=False)
        good = rt.graph.node("good")
        sent_before = []  # what had gone out when each datagram arrived
        rt.graph.node("in").watch("values", lambda v: sent_before.append(good.info()["sent"]))
        shown = []  # the bad node's error as the editor is told it: once, not blinking per part
        rt.graph.subscribe(lambda event, *a: shown.append(a[1]) if event == "error" and a[0] == "bad" else None)
        for i in range(80):
            send(message("/x", ("i", i)))
        time.sleep(0.05)  # all 80 waiting on the socket: one burst
        wait_for(rt, lambda: good.info()["sent"] == 80)
        got = [OscMessage(synth.recv(2048)).params for _ in range(80)]
    assert got == [[float(i)] for i in range(80)]
    # sent in parts of 32 as the burst goes on, not one by one, and not all at its end
    assert sent_before == [i // osc.SEND_EVERY * osc.SEND_EVERY for i in range(80)]
    bad = rt.graph.node("bad")
    assert bad.error is not None and "could not send to 255.255.255.255:9" in bad.error
    assert shown == [bad.error]
    assert bad.info()["dropped"] == 80 and good.error is None


def test_osc_in_to_osc_out_through_a_patch(rt, port, send, receiver):
    build(rt, {"in": ("osc.in", {"port": port}), "u": ("unpack", {"size": 1}), "m": ("math", {"op": "*", "arg": 2}),
               "out": ("osc.out", {"port": receiver.port})},
          [("in", "values", "u", "vector"), ("u", "out0", "m", "a"), ("m", "out", "out", "values")])
    rt.start(thread=False)
    for x in (1.0, 2.0, 3.5):
        send(message("/wek/inputs", ("f", x)))
    wait_for(rt, lambda: rt.graph.node("out").info()["sent"] == 3)
    assert receiver.wait(3) == [["/wek/outputs", 2.0], ["/wek/outputs", 4.0], ["/wek/outputs", 7.0]]


def test_unresolvable_host_is_an_error_on_the_node_without_a_flood(rt):
    build(rt, {"out": ("osc.out", {"host": "no-such-host.invalid"}), "m": ("math", {})},
          [("m", "out", "out", "values")])
    rt.start(thread=False)
    node = rt.graph.node("out")
    wait_for(rt, lambda: node.error is not None, timeout=15)  # the lookup runs on a helper thread
    assert 'cannot find the host "no-such-host.invalid"' in node.error
    for i in range(50):
        rt.send("m", "a", i)
    assert node.info()["dropped"] == 50 and node.info()["sent"] == 0
    assert sum("no-such-host" in t for t in rt.console.texts()) == 1
    rt.do(SetParam("out", "host", "127.0.0.1"))  # fixing the host clears the error
    assert node.error is None and node.info()["ready"]


def test_values_osc_cannot_carry_are_refused_with_a_sentence(rt, receiver):
    build(rt, {"out": ("osc.out", {"port": receiver.port})})
    rt.start(thread=False)
    rt.send("out", "values", {"a": 1})
    assert "cannot send" in rt.graph.node("out").error
    rt.send("out", "values", 2 ** 70)
    assert "too large" in rt.graph.node("out").error
    rt.send("out", "values", 1.0)
    assert rt.graph.node("out").error is None
    rt.do(SetParam("out", "address", "no/slash"))
    rt.send("out", "values", 1.0)
    assert 'must start with "/"' in rt.graph.node("out").error
    assert receiver.wait(1) == [["/wek/outputs", 1.0]]


def test_osc_out_encoding_matches_python_osc():
    enc = osc.Encoder("/wek/outputs")
    for args, tags in [((0.5, 2.0), "ff"), ((3, "hi", True), "isi"), ((2 ** 40,), "h"), ((), "")]:
        b = OscMessageBuilder("/wek/outputs")
        for a, t in zip(args, tags):
            b.add_arg(int(a) if t == "i" else a, t)
        data = enc.floats(list(args)) if tags.startswith("f") else enc.message(args)
        assert data == b.build().dgram
        assert OscMessage(data).params == [int(a) if t == "i" else a for a, t in zip(args, tags)]


def raw_typetags(data):
    """The type tags of one datagram, read from its bytes (python-osc reads f and d alike)."""
    at = (data.index(b"\0") + 4) & ~3
    return data[at + 1:data.index(b"\0", at)].decode()


@pytest.mark.parametrize("types,expected", [
    ("auto", ["f", "fff", "i", "h", "i", "fsi", "iii", "fs", ""]),
    ("float32", ["f", "fff", "f", "f", "f", "fsf", "fff", "fs", ""]),
    ("float64", ["d", "ddd", "i", "h", "i", "dsi", "iii", "ds", ""]),
])
def test_osc_out_types_over_udp(rt, types, expected):
    """Whole numbers keep their kind unless every number must be a float (Wekinator's way)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(3)
    build(rt, {"out": ("osc.out", {"port": sock.getsockname()[1], "address": "/x", "types": types})})
    rt.start(thread=False)
    sent = [0.1, np.array([1.0, 2.5, -3.0]), 7, 2 ** 40, True, [0.5, "a", 2], np.array([1, 2, 3]),
            [np.float64(0.25), "b"], BANG]
    for v in sent:
        rt.send("out", "values", v)
    got = [sock.recvfrom(512)[0] for _ in sent]
    sock.close()
    assert [raw_typetags(d) for d in got] == expected
    parsed = [OscMessage(d).params for d in got]
    assert parsed[2] == [7] and parsed[3] == [2 ** 40]
    assert parsed[0][0] == (0.1 if types == "float64" else pytest.approx(0.1, rel=1e-7))
    assert parsed[6] == [1, 2, 3] and parsed[5][1] == "a"


def test_changing_types_takes_effect_at_once_and_a_bad_one_is_refused(rt):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(3)
    build(rt, {"out": ("osc.out", {"port": sock.getsockname()[1], "address": "/x"})})
    rt.start(thread=False)
    rt.send("out", "values", 3)
    rt.do(SetParam("out", "types", "float32"))
    rt.send("out", "values", 3)
    with pytest.raises(Exception, match="auto"):
        rt.do(SetParam("out", "types", "int"))
    assert [raw_typetags(sock.recvfrom(512)[0]) for _ in range(2)] == ["i", "f"]
    sock.close()


# ---- the CLI -------------------------------------------------------------------------

def test_nodegraph_run_relays_osc_end_to_end(tmp_path, receiver):
    port = free_port()
    patch = {"format": "nodegraph-patch", "version": 1,
             "nodes": {"in": {"type": "osc.in", "params": {"port": port, "address": "/x"}, "pos": [0, 0]},
                       "u": {"type": "unpack", "params": {"size": 1}, "pos": [0, 40]},
                       "m": {"type": "math", "params": {"op": "+", "arg": 100}, "pos": [0, 80]},
                       "out": {"type": "osc.out", "params": {"port": receiver.port, "address": "/y"},
                               "pos": [0, 120]}},
             "links": [["in", "values", "u", "vector"], ["u", "out0", "m", "a"], ["m", "out", "out", "values"]]}
    path = tmp_path / "relay.json"
    path.write_text(json.dumps(patch))
    proc = subprocess.Popen([sys.executable, "-m", "nodegraph", "run", str(path), "--for", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    s = Sender(port)
    try:
        end = time.monotonic() + 15
        while not receiver.received and time.monotonic() < end:  # until the patch is up
            s(message("/x", ("f", 0.0)))
            time.sleep(0.05)
        assert receiver.received, "nodegraph run never answered"
        n = len(receiver.received)
        for x in (1.0, 2.0, 3.0):
            s(message("/x", ("f", x)))
        got = receiver.wait(n + 3)[n:]
        assert got == [["/y", 101.0], ["/y", 102.0], ["/y", 103.0]]
    finally:
        s.close()
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0, out


def test_parsing_agrees_with_python_osc_and_garbage_only_raises_parse_errors():
    """Numbers take a fast path; whatever the path, the result is python-osc's."""
    import random
    import struct
    rnd = random.Random(3)
    make = {"i": lambda: rnd.randint(-2 ** 31, 2 ** 31 - 1), "h": lambda: rnd.randint(-2 ** 63, 2 ** 63 - 1),
            "f": lambda: struct.unpack(">f", struct.pack(">f", rnd.uniform(-1e6, 1e6)))[0],
            "d": lambda: rnd.uniform(-1e300, 1e300), "T": lambda: True, "F": lambda: False, "N": lambda: None,
            "s": lambda: "é" * rnd.randint(0, 5), "b": lambda: bytes(rnd.randint(1, 9))}
    for _ in range(2000):
        tags = "".join(rnd.choice("ihfdTFNsb") for _ in range(rnd.randint(0, 8)))
        b = OscMessageBuilder("/a/" + "b" * rnd.randint(0, 6))
        for t in tags:
            b.add_arg(make[t](), t)
        data = b.build().dgram
        reference = OscMessage(data)
        assert osc.parse(data) == [(reference.address, reference.params)]
        broken = bytearray(data[:rnd.randint(1, len(data))])
        broken[rnd.randrange(len(broken))] = rnd.randrange(256)
        try:
            osc.parse(bytes(broken))
        except osc.ParseError:
            pass


def test_changing_the_address_keeps_the_port_open(rt, port, send):
    values, _ = listening(rt, port)
    server = rt.graph.node("in")._listener.server
    rt.do(SetParam("in", "address", "/new/*"))
    assert rt.graph.node("in")._listener.server is server and server.sock is not None
    send(message("/wek/inputs", ("f", 1.0)))
    send(message("/new/x", ("f", 2.0)))
    wait_for(rt, lambda: values)
    settle(rt)
    assert [v[0] for v in values] == [2.0]


def test_messages_from_the_socket_count_as_runs_for_the_rate_meter(rt, port, send):
    listening(rt, port)
    for i in range(5):
        send(_floats("/wek/inputs", float(i)))
    node = rt.graph.node("in")
    wait_for(rt, lambda: node.runs >= 5)
    assert node.runs == 5


def _floats(address, *values):
    b = OscMessageBuilder(address)
    for v in values:
        b.add_arg(v, "f")
    return b.build().dgram
