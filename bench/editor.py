"""Editor speed under Xvfb (software OpenGL): frame time with 200 live nodes, and the
time to open a 500-node patch; frame time while a stroke is drawn on an xy pad with
those 200 nodes live, and the pad-to-OSC latency.

The 200 nodes are 40 counters (metro 20 ms -> value -> math + -> delay 0 back, and
a display), so every node's value changes 50 times a second while the editor
draws. Frame time is the editor's own work per frame (sync from the engine, live
values, render, callbacks), not the sleep that caps the rate. Two layouts:
"spread" is a patch as people lay one out (most nodes off screen, as on any
canvas bigger than the window), "piled" puts every node inside the visible area
(worst case: all 200 drawn, overlapping). The baseline is the same editor with
an empty patch, measured in the same run.

The pad: an xy node (wired to an osc.out sending to this process) beside the 200
counters; real pointer events (xdotool) draw circles on it. Frame time is measured
as above while drawing. Latency is from a pointer motion event (xdotool has handed it
to the X server) to the OSC message with that point arriving at a UDP socket here:
one motion every 50 ms, each to a new place, so each message answers one motion.

Run: python bench/editor.py [--size 1024x700] [--frames 150] [--rounds 3]
(starts its own Xvfb when DISPLAY is not set).
"""
import argparse
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from nodegraph import patchfile  # noqa: E402
from nodegraph.editor import xdisplay  # noqa: E402


def counters_doc(chains, piled=False, dx=0):
    nodes, links = {}, []
    for c in range(chains):
        row = [("metro", {"interval": 20, "autostart": True}), ("value", {"value": 1}),
               ("math", {"op": "+"}), ("delay", {"time": 0}), ("display", {})]
        ids = []
        for k, (type_id, params) in enumerate(row):
            node_id = f"{type_id}{c}"
            if piled:
                pos = [20 + (c % 8) * 70 + k * 12, 20 + (c // 8) * 90 + k * 8]
            else:
                pos = [40 + dx + k * 230, 40 + c * 190]
            nodes[node_id] = {"type": type_id, "params": params, "pos": pos}
            ids.append(node_id)
        metro, one, add, back, show = ids
        links += [[metro, "bang", one, "in"], [one, "out", add, "a"], [add, "out", back, "in"],
                  [back, "out", add, "b"], [add, "out", show, "in"]]
    return {"format": "nodegraph-patch", "version": 1, "nodes": nodes, "links": links}


def pad_doc(port, chains=40):
    """The 200 counters (5 per chain), and an xy pad at the top left sending its point by
    OSC to `port`."""
    doc = counters_doc(chains, dx=260)
    doc["nodes"]["pad"] = {"type": "xy", "params": {}, "pos": [30, 30]}
    doc["nodes"]["out"] = {"type": "osc.out", "params": {"port": port, "address": "/pad"}, "pos": [30, 420]}
    doc["links"].append(["pad", "xy", "out", "values"])
    return doc


def xdo(*args):
    subprocess.run(["xdotool", *map(str, args)], check=True)


class CPU:
    """CPU time per frame, which a loaded machine (other processes on the 2 cores) changes far
    less than wall time: the editor's own thread, and the whole process (the engine's thread,
    playing the patch and building its reports for the editor, included)."""

    def __init__(self):
        self.main, self.process = [], []

    def frame(self, editor):
        t, p = time.thread_time(), time.process_time()
        took = editor.frame()
        self.main.append(time.thread_time() - t)
        self.process.append(time.process_time() - p)
        return took

    def text(self):
        if not self.main:
            return ""
        return (f"cpu per frame: editor thread {statistics.median(self.main) * 1000:.2f} ms, "
                f"whole process {statistics.median(self.process) * 1000:.2f} ms")


def drive(editor, fn, cpu=None):
    """Run fn (pointer events) in a thread while the editor draws frames at its own cap."""
    worker = threading.Thread(target=fn)
    worker.start()
    while worker.is_alive():
        took = cpu.frame(editor) if cpu is not None else editor.frame()
        if 1 / 60 - took > 0:
            time.sleep(1 / 60 - took)
    worker.join()


def pad_bench(editor, args, path, sock):
    """(median, p95) frame time while drawing on the pad, and the pad-to-OSC latencies (ms)."""
    from pythonosc.osc_message import OscMessage
    assert editor.open_now(path), editor.last_error
    editor.run_for(0.5)
    pad = editor.canvas.views["pad"].pad
    cx, cy = pad.centre()
    r = pad.size * 0.4
    arrived = []  # (perf_counter, x)
    stop = threading.Event()

    def listen():
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                data = sock.recv(512)
            except socket.timeout:
                continue
            x, y = OscMessage(data).params[:2]
            arrived.append((time.perf_counter(), float(x), float(y)))
    listener = threading.Thread(target=listen, daemon=True)
    listener.start()

    # frame time: circles drawn continuously, a motion every ~8 ms
    def circles():
        xdo("mousemove", round(cx + r), round(cy))
        xdo("mousedown", 1)
        i = 0
        end = time.monotonic() + args.frames / 60 * 1.2
        while time.monotonic() < end:
            a = 2 * math.pi * i / 90
            xdo("mousemove", round(cx + r * math.cos(a)), round(cy - r * math.sin(a)))
            i += 1
            time.sleep(0.004)
        xdo("mouseup", 1)
    editor.frame_times.clear()
    cpu = CPU()
    drive(editor, circles, cpu)
    times = sorted(editor.frame_times[10:])
    frame = (statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000, cpu)
    points = len(arrived)

    # latency: one motion every 50 ms, each to a place of the pad not visited before
    x0, y0 = pad.screen_of(0, 1)
    span = pad.size - 12
    sent = []  # (perf_counter, expected x, expected y)

    def steps():
        xdo("mousemove", round(x0 + 3), round(y0 + 3))
        xdo("mousedown", 1)
        time.sleep(0.1)
        for i in range(args.motions):
            col, row = 6 + (i * 7) % span, 6 + 4 * (i // span)
            xdo("mousemove", round(x0 + col), round(y0 + row))
            sent.append((time.perf_counter(), col / pad.size, 1 - row / pad.size))
            time.sleep(0.05)
        xdo("mouseup", 1)
    arrived.clear()
    drive(editor, steps)
    editor.run_for(0.2)
    stop.set()
    listener.join()
    latencies = []
    near = 0.5 / pad.size
    for t, x, y in sent:  # a motion that shares a frame with the next one is sent as that one
        got = next((ta for ta, xa, ya in arrived if ta >= t and abs(xa - x) < near and abs(ya - y) < near), None)
        if got is not None:
            latencies.append((got - t) * 1000)
    return frame, points, latencies, len(sent)


def pads(editor, args, folder, base):
    for chains, label in ((0, "alone"), (40, "with 200 live nodes")):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            pad_path = os.path.join(folder, f"pad{chains}.json")
            patchfile.write(pad_path, pad_doc(sock.getsockname()[1], chains))
            (med, p95, cpu), points, lat, motions = pad_bench(editor, args, pad_path, sock)
        print(f"drawing on an xy pad {label}: frame median {med:.2f} ms / p95 {p95:.2f} ms "
              f"(x{med / base:.1f} baseline), {points} points sent by OSC")
        print(f"  {cpu.text()}")
        if lat:
            lat.sort()
            print(f"  pad-to-OSC latency (pointer motion -> OSC message out): median "
                  f"{statistics.median(lat):.1f} ms, p99 {lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.1f} ms, "
                  f"max {lat[-1]:.1f} ms ({len(lat)} of {motions} motions have their own message)")
        else:
            print(f"  pad-to-OSC latency: none of {motions} motions arrived")


def frame_times(editor, frames, cpu):
    editor.frame_times.clear()
    for _ in range(frames):
        took = cpu.frame(editor)
        if 1 / 60 - took > 0:
            time.sleep(1 / 60 - took)  # the editor's own cap, so the patch runs as it would
    times = sorted(editor.frame_times[10:])
    return statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000


def run(args):
    from nodegraph.editor.app import Editor

    width, height = map(int, args.size.split("x"))
    folder = tempfile.mkdtemp(prefix="nodegraph-bench-")
    paths = {}
    for name, doc in (("empty", {"format": "nodegraph-patch", "version": 1}),
                      ("spread", counters_doc(40)), ("piled", counters_doc(40, piled=True)),
                      ("open500", counters_doc(100))):
        paths[name] = os.path.join(folder, f"{name}.json")
        patchfile.write(paths[name], doc)

    editor = Editor(width, height)
    editor.fast = True
    try:
        # Rounds interleave the cases, so a burst of load from other processes (the
        # machine is shared) lands on all of them alike; each case reports the median of
        # its round medians.
        cases = ("empty",) if args.pad_only else ("empty", "spread", "piled")
        results = {name: [] for name in cases}
        cpus = {name: CPU() for name in cases}
        for _ in range(args.rounds):
            for name in cases:
                assert editor.open_now(paths[name]), editor.last_error
                editor.run_for(0.3)
                results[name].append(frame_times(editor, args.frames, cpus[name]))
        summary = {name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
                   for name, runs in results.items()}
        base = summary["empty"][0]
        print(f"viewport {width}x{height}, {args.rounds} rounds of {args.frames} frames, median / p95 frame time:")
        for name, label in (("empty", "empty patch (baseline)"), ("spread", "200 live nodes, spread"),
                            ("piled", "200 live nodes, all on screen")):
            if name not in summary:
                continue
            med, p95 = summary[name]
            print(f"  {label:32s} {med:6.2f} ms / {p95:6.2f} ms   x{med / base:4.1f} baseline")
            print(f"  {'':32s} {cpus[name].text()}")
        if args.pad_only:
            return pads(editor, args, folder, base)
        assert editor.open_now(paths["spread"])
        editor.run_for(0.5)
        updates = sum(1 for v in editor.canvas.views.values() if v.shown or v.info_shown)
        print(f"  nodes showing live values: {updates} of {len(editor.canvas.views)}")

        opens = []
        for _ in range(3):
            assert editor.open_now(paths["empty"])
            t0 = time.perf_counter()
            assert editor.open_now(paths["open500"]), editor.last_error
            editor.frame()  # the first frame lays out every node
            opens.append(time.perf_counter() - t0)
        n = len(editor.rt.doc.nodes)
        print(f"open a {n}-node patch (load, draw, first frame): median {statistics.median(opens):.2f} s "
              f"(best {min(opens):.2f} s)")

        pads(editor, args, folder, base)
    finally:
        editor.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1024x700")
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--motions", type=int, default=200, help="pointer motions timed for the pad latency")
    parser.add_argument("--pad-only", action="store_true", help="only the baseline and the pad")
    args = parser.parse_args()
    if xdisplay.have_display():
        run(args)
    else:
        with xdisplay.PrivateXvfb(1280, 800):
            run(args)


if __name__ == "__main__":
    main()
