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

Aim: each worst ≤ 2× the idle worst and under 5 ms; an undo of a take ≤ 10 ms.
Run: python bench/stalls.py   (a fresh process: the first-train phase needs one)
"""
import json
import os
import socket
import statistics
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


class Stream:
    """Sends /wek/inputs at RATE from one thread; times each echo on another."""

    HEAD = b"/wek/inputs\0,ffffffffff\0"  # address and type tags, each padded to 4 bytes

    def __init__(self, in_port, echo_sock):
        self.rest = struct.pack(">9f", *np.linspace(0.1, 0.9, 9))
        self.out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addr = ("127.0.0.1", in_port)
        self.echo = echo_sock
        self.sent, self.got = [], []
        self.running = True
        self.threads = [threading.Thread(target=self._send, daemon=True),
                        threading.Thread(target=self._receive, daemon=True)]
        for t in self.threads:
            t.start()

    def _send(self):
        period = 1.0 / RATE
        next_t = time.perf_counter()
        while self.running:
            now = time.perf_counter()
            if now < next_t:
                time.sleep(max(0.0, next_t - now - 0.0003))
                continue
            # the first value is the message's number (exact in float32 below 2**24)
            datagram = self.HEAD + struct.pack(">f", len(self.sent) % 2**24) + self.rest
            self.sent.append(time.perf_counter())
            self.out.sendto(datagram, self.addr)
            next_t += period

    def _receive(self):
        self.echo.settimeout(0.2)
        while self.running:
            try:
                data = self.echo.recv(4096)
            except socket.timeout:
                continue
            t = time.perf_counter()
            comma = data.index(b",")
            at = comma + 4 * ((data.index(b"\0", comma) - comma + 4) // 4)
            self.got.append((int(struct.unpack_from(">f", data, at)[0]), t))

    def latencies(self, t0, t1):
        """Latency (ms) of the messages sent between t0 and t1 that came back."""
        sent = self.sent
        return [(t - sent[i]) * 1000 for i, t in list(self.got) if t0 <= sent[i] <= t1]

    def stop(self):
        self.running = False
        for t in self.threads:
            t.join(1)


def phase(stream, name, fn, rows, settle=0.3):
    t0 = time.perf_counter()
    detail = fn()
    t1 = time.perf_counter()
    time.sleep(settle)  # let the messages sent during the work come back
    lat = stream.latencies(t0, t1 + 0.05)
    if not lat:
        rows.append((name, 0, float("nan"), float("nan"), float("nan"), detail))
        return
    lat.sort()
    rows.append((name, len(lat), statistics.median(lat), lat[int(0.99 * (len(lat) - 1))], lat[-1], detail))


def main():
    assert "sklearn" not in sys.modules
    from nodegraph import Runtime
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind(("127.0.0.1", 0))
    labels = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    labels.bind(("127.0.0.1", 0))
    in_port = free_port()
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "stalls.json")
    with open(path, "w") as f:
        json.dump(patch(in_port, echo.getsockname()[1], labels.getsockname()[1]), f)
    rt = Runtime.open(path)
    rt.start()
    stream = Stream(in_port, echo)
    time.sleep(1.0)
    clf = rt.graph.node("clf")
    rows = []
    phase(stream, "idle", lambda: time.sleep(2.0), rows)

    def first_train():
        t = time.perf_counter()
        rt.send("clf", "run", True)
        rt.send("clf", "train", True)
        while clf._predictor is None:
            time.sleep(0.005)
        return f"train → running model {1000 * (time.perf_counter() - t):.0f} ms"
    phase(stream, "first train", first_train, rows)
    phase(stream, "idle (trained)", lambda: time.sleep(2.0), rows)

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
    phase(stream, "take undo/redo", takes, rows)

    def saves():
        ms = []
        for _ in range(5):
            t = time.perf_counter()
            rt.save(path)
            ms.append(1000 * (time.perf_counter() - t))
            time.sleep(0.05)
        return f"save (10,000 examples): median {statistics.median(ms):.0f} ms"
    phase(stream, "save", saves, rows)

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
    phase(stream, "clear + undo", clears, rows)
    phase(stream, "idle (end)", lambda: time.sleep(2.0), rows)
    stream.stop()
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
