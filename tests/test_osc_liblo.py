"""Interoperability with an independent OSC implementation: liblo's oscsend and oscdump
(Debian package liblo-tools), in both directions, over real UDP."""
import queue
import shutil
import subprocess
import threading
import time

import numpy as np
import pytest

from nodegraph import BANG, Runtime

from .conftest import build, tap
from .test_osc import free_port, wait_for

pytestmark = pytest.mark.skipif(not (shutil.which("oscsend") and shutil.which("oscdump")),
                                reason="liblo's oscsend/oscdump are not installed (apt-get install liblo-tools)")


def oscsend(port, address, types="", *values):
    subprocess.run(["oscsend", "127.0.0.1", str(port), address, types, *map(str, values)],
                   check=True, timeout=10, capture_output=True)


class Oscdump:
    """oscdump on a free port; `lines()` gives what it printed without the time tags."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(["oscdump", "-L", str(self.port)], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.queue.put(line.rstrip("\n").split(" ", 1)[1].rstrip())  # drop "tttttttt.tttttttt "

    def next(self, timeout=5.0):
        return self.queue.get(timeout=timeout)

    def wait_ready(self, send_probe):
        """oscdump prints nothing when it is up: probe until it echoes something."""
        end = time.monotonic() + 10
        while time.monotonic() < end:
            send_probe()
            try:
                self.next(timeout=0.05)
            except queue.Empty:
                continue
            time.sleep(0.05)  # swallow any further probes still in flight
            while not self.queue.empty():
                self.queue.get()
            return
        raise AssertionError("oscdump did not start")

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=5)


@pytest.fixture
def dump():
    d = Oscdump()
    yield d
    d.close()


def test_oscsend_to_osc_in_every_numeric_type(rt):
    port = free_port()
    build(rt, {"in": ("osc.in", {"port": port, "address": "/wek/*"})})
    rt.start(thread=False)
    values, messages = tap(rt, "in", "values"), tap(rt, "in", "message")
    oscsend(port, "/wek/inputs", "ifdhTFsN", 3, 2.5, 0.125, 2 ** 40, "hello")
    wait_for(rt, lambda: values)
    assert values[0].tolist() == [3.0, 2.5, 0.125, float(2 ** 40), 1.0, 0.0]
    assert messages[0] == ["/wek/inputs", 3, 2.5, 0.125, 2 ** 40, True, False, "hello", None]
    assert rt.graph.node("in").info()["non_numeric"] == 2  # the text and the nil
    oscsend(port, "/wek/inputs", "c", "x")  # a char: counted as unsupported, the node carries on
    oscsend(port, "/wek/inputs", "f", 1.5)
    wait_for(rt, lambda: len(values) == 2)
    assert values[1].tolist() == [1.5]
    assert rt.graph.node("in").info()["unsupported"] == 1


def test_osc_out_to_oscdump_every_kind_of_value(rt, dump):
    build(rt, {"out": ("osc.out", {"port": dump.port, "address": "/wek/outputs"})})
    rt.start(thread=False)
    dump.wait_ready(lambda: rt.send("out", "values", 0.0))
    for v in (np.array([1.0, 2.5, -3.0]), "hello", 7, True, BANG, [0.5, "a", 2]):
        rt.send("out", "values", v)
    got = [dump.next() for _ in range(6)]
    assert got == ["/wek/outputs fff 1.000000 2.500000 -3.000000", '/wek/outputs s "hello"', "/wek/outputs i 7",
                   "/wek/outputs i 1", "/wek/outputs", '/wek/outputs fsi 0.500000 "a" 2']


def test_oscsend_through_a_running_patch_to_oscdump(dump):
    """Both directions at once, with the scheduler on its own thread as `nodegraph run` has it."""
    port = free_port()
    with Runtime() as rt:
        build(rt, {"in": ("osc.in", {"port": port, "address": "/sensor"}), "u": ("unpack", {"size": 2}),
                   "m": ("math", {"op": "*", "arg": 10}), "out": ("osc.out", {"port": dump.port, "address": "/scaled"})},
              [("in", "values", "u", "vector"), ("u", "out1", "m", "a"), ("m", "out", "out", "values")])
        rt.start()
        dump.wait_ready(lambda: oscsend(port, "/sensor", "ff", 0, 0))
        for x in (0.5, 1.25, -2.0):
            oscsend(port, "/sensor", "if", 1, x)
        got = [dump.next() for _ in range(3)]
    assert got == ["/scaled f 5.000000", "/scaled f 12.500000", "/scaled f -20.000000"]


def test_osc_out_types_to_oscdump(rt, dump):
    """How each `types` mode reaches an independent OSC implementation."""
    build(rt, {"a": ("osc.out", {"port": dump.port, "address": "/auto"}),
               "f": ("osc.out", {"port": dump.port, "address": "/f32", "types": "float32"}),
               "d": ("osc.out", {"port": dump.port, "address": "/f64", "types": "float64"})})
    rt.start(thread=False)
    dump.wait_ready(lambda: rt.send("a", "values", 0.0))
    for node in ("a", "f", "d"):
        rt.send(node, "values", [7, 0.5, "x", 2 ** 40])
    got = [dump.next() for _ in range(3)]
    assert got == ['/auto ifsh 7 0.500000 "x" 1099511627776',
                   '/f32 ffsf 7.000000 0.500000 "x" 1099511627776.000000',
                   '/f64 idsh 7 0.500000 "x" 1099511627776']
