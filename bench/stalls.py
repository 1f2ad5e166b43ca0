"""Stalls: what editing, saving and training cost a live stream.

A patch with a learner holding 10,000 × 10 examples (kNN, running) and a 1 kHz OSC
stream through it (osc.in → osc.out beside osc.in → ml.classify). While the stream
flows, each phase does one kind of work from the main thread, as the editor would,
and the worst message latency during it is printed beside the idle stream's, measured
in the same run:

  idle          nothing happens
  first train   the first train in a fresh process (scikit-learn not yet imported)
  take undo     record a 5-example take, then undo and redo it, 10 times
  save          save the patch (10,000 examples) to a file, 5 times
  clear         clear the learner and undo the clear, 10 times
  collection    a full collection of Python's garbage collector, 5 times (it comes
                unasked, from whichever thread allocates, and holds the interpreter)

Aim: each worst ≤ 2× the idle worst and under 5 ms; an undo of a take ≤ 10 ms.
Run: python bench/stalls.py   (a fresh process: the first-train phase needs one)
"""
import gc
import json
import os
import socket
import statistics
import subprocess
import struct
import sys
import tempfile
import threading
import time

import numpy as np

RATE = 1000  # messages per second


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def patch(in_port, echo_port, label_port, n=10_000, dim=10):
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(n, dim)).round(5)
    examples = [{"x": X[i].tolist(), "y": "ab"[i % 2], "t": float(i), "take": 1} for i in range(n)]
    return {"format": "nodegraph-patch", "version": 1,
            "nodes": {"in": {"type": "osc.in", "params": {"port": in_port}, "pos": [0, 0]},
                      "echo": {"type": "osc.out", "params": {"port": echo_port, "address": "/echo"}, "pos": [300, 0]},
                      "clf": {"type": "ml.classify", "params": {"algorithm": "knn", "k": 1, "folds": 0},
                              "state": {"examples": examples, "take": 1}, "pos": [0, 200]},
                      "out": {"type": "osc.out", "params": {"port": label_port}, "pos": [300, 200]}},
            "links": [["in", "values", "echo", "values"], ["in", "values", "clf", "features"],
                      ["clf", "label", "out", "values"]]}


CLIENT = r"""
import json, socket, struct, sys, threading, time
in_port, echo_port, seconds, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
head = b"/wek/inputs\0,ffffffffff\0"  # address and type tags, each padded to 4 bytes
rest = struct.pack(">9f", *[0.1 + 0.1 * i for i in range(9)])
echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
echo.bind(("127.0.0.1", echo_port))
echo.settimeout(0.2)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent, got, running = [], [], True

def receive():
    while running:
        try:
            data = echo.recv(4096)
        except socket.timeout:
            continue
        t = time.monotonic()
        comma = data.index(b",")
        at = comma + 4 * ((data.index(b"\0", comma) - comma + 4) // 4)
        got.append((int(struct.unpack_from(">f", data, at)[0]), t))

threading.Thread(target=receive, daemon=True).start()
period, t0 = 1.0 / 1000, time.monotonic()
next_t = t0
while time.monotonic() - t0 < seconds:
    now = time.monotonic()
    if now < next_t:
        time.sleep(max(0.0, next_t - now - 0.0003))
        continue
    # the first value is the message's number (exact in float32 below 2**24)
    datagram = head + struct.pack(">f", len(sent) % 2**24) + rest
    sent.append(time.monotonic())
    tx.sendto(datagram, ("127.0.0.1", in_port))
    next_t += period
time.sleep(0.5)
running = False
json.dump({"sent": sent, "got": got}, open(out, "w"))
"""


class Stream:
    """A client in a process of its own (its timing must not share the patch's interpreter):
    sends /wek/inputs at RATE, times each echo; read back when it ends."""

    def __init__(self, in_port, echo_port, seconds, out):
        self.out = out
        self.proc = subprocess.Popen([sys.executable, "-c", CLIENT, str(in_port), str(echo_port),
                                      str(seconds), out])

    def finish(self):
        self.proc.wait()
        with open(self.out) as f:
            data = json.load(f)
        self.sent, self.got = data["sent"], data["got"]

    def latencies(self, t0, t1):
        """Latency (ms) of the messages sent between t0 and t1 that came back."""
        sent = self.sent
        return [(t - sent[i]) * 1000 for i, t in self.got if t0 <= sent[i] <= t1]


def phase(name, fn, windows, settle=0.3):
    t0 = time.monotonic()
    detail = fn()
    t1 = time.monotonic()
    time.sleep(settle)  # let the messages sent during the work come back
    windows.append((name, t0, t1 + 0.05, detail))


def summary(stream, windows):
    rows = []
    for name, t0, t1, detail in windows:
        lat = sorted(stream.latencies(t0, t1))
        if not lat:
            rows.append((name, 0, float("nan"), float("nan"), float("nan"), detail))
            continue
        rows.append((name, len(lat), statistics.median(lat), lat[int(0.99 * (len(lat) - 1))], lat[-1], detail))
    return rows


def main():
    assert "sklearn" not in sys.modules
    from nodegraph import Runtime
    echo_port = free_port()
    labels = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    labels.bind(("127.0.0.1", 0))
    in_port = free_port()
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "stalls.json")
    with open(path, "w") as f:
        json.dump(patch(in_port, echo_port, labels.getsockname()[1]), f)
    rt = Runtime.open(path)
    rt.start()
    stream = Stream(in_port, echo_port, 40.0, os.path.join(tmp, "client.json"))
    time.sleep(1.0)
    clf = rt.graph.node("clf")
    rows = []
    phase("idle", lambda: time.sleep(2.0), rows)

    def first_train():
        t = time.perf_counter()
        rt.send("clf", "run", True)
        rt.send("clf", "train", True)
        while clf._predictor is None:
            time.sleep(0.005)
        took = 1000 * (time.perf_counter() - t)
        time.sleep(1.0)  # the scoring that follows in the worker
        return f"train → running model {took:.0f} ms"
    phase("first train", first_train, rows)
    phase("idle (trained)", lambda: time.sleep(2.0), rows)

    def takes():
        undo_ms = []
        for i in range(10):
            rt.send("clf", "label", "a")
            rt.send("clf", "record", True)
            for _ in range(5):
                rt.send("clf", "features", np.full(10, 0.5 + 0.01 * i))
            rt.send("clf", "record", False)
            time.sleep(0.05)
            t = time.perf_counter()
            rt.undo()
            undo_ms.append(1000 * (time.perf_counter() - t))
            rt.redo()
            time.sleep(0.05)
        return f"undo of a take: median {statistics.median(undo_ms):.2f} ms, worst {max(undo_ms):.2f} ms"
    phase("take undo/redo", takes, rows)

    def saves():
        ms = []
        for _ in range(5):
            t = time.perf_counter()
            rt.save(path)
            ms.append(1000 * (time.perf_counter() - t))
            time.sleep(0.05)
        return f"save (10,000 examples): median {statistics.median(ms):.0f} ms"
    phase("save", saves, rows)

    def clears():
        ms = []
        for _ in range(10):
            t = time.perf_counter()
            rt.send("clf", "clear", True)
            rt.call(lambda: None)
            rt.undo()
            ms.append(1000 * (time.perf_counter() - t))
            time.sleep(0.05)
        return f"clear + undo: median {statistics.median(ms):.2f} ms"
    phase("clear + undo", clears, rows)

    def collections():
        # what Python's collector does on its own, at a moment of its choosing, from whichever
        # thread allocates (the editor's): a full collection, the interpreter lock held throughout
        ms = []
        for _ in range(5):
            t = time.perf_counter()
            gc.collect()
            ms.append(1000 * (time.perf_counter() - t))
            time.sleep(0.2)
        return f"full collection: median {statistics.median(ms):.1f} ms, {len(gc.get_objects())} objects in its sight"
    phase("full collection", collections, rows)
    phase("idle (end)", lambda: time.sleep(2.0), rows)
    stream.finish()
    rows = summary(stream, rows)
    lost = len(stream.sent) - len(stream.got)
    rt.close()

    idle_worst = max(r[4] for r in rows if r[0].startswith("idle"))
    print(f"1 kHz stream through a patch with a 10,000 × 10 kNN; latency in ms "
          f"({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}); lost {lost} of {len(stream.sent)}")
    print(f"{'phase':<16} {'msgs':>5} {'p50':>7} {'p99':>7} {'worst':>7} {'worst/idle worst':>17}  detail")
    for name, n, p50, p99, worst, detail in rows:
        print(f"{name:<16} {n:>5} {p50:>7.2f} {p99:>7.2f} {worst:>7.2f} {worst / idle_worst:>17.2f}  {detail or ''}")


if __name__ == "__main__":
    main()
