"""The audio engine's speed: python bench/audio.py [--seconds S] [--xrun-seconds S] [--trials N]

1. DSP load. For 64- and 256-sample blocks at 48 kHz: the CPU time the engine takes per
   block (as a share of the block's duration: the load on one core) for 1, 8 and 32 synth
   voices, the full descriptor set, and 8 voices + descriptors + a running classifier,
   beside the engine's own idle cost (no units) measured in the same run. Rendered
   offline, block by block, exactly as the audio thread renders them (with the scheduler's
   work between blocks: what the descriptors post, the classifier's predictions); so the
   figure is the DSP alone, without PortAudio's own (small) overhead or the machine's
   scheduling. Mean (the load), p50, p99 and the worst block.

2. Xruns on a real JACK server (the dummy driver, started here under its own name with
   two capture and two playback ports, realtime as scripts/start-jack.sh starts one): 8
   voices to audio.out, audio.out patched back to audio.in, descriptors on audio.in
   feeding a running ml.regress (MLP) whose 10,000 examples are trained again and again
   in the worker process. Each window runs for both of the engine's ways to reach the
   device, in the same run: before, every block rendered in PortAudio's callback (Python,
   so the device waits for the GIL); now, rtmixer's C callback copying ring buffers that
   a realtime feeder thread keeps `audio.AHEAD` frames ahead (--ahead). Counted: the
   blocks PortAudio flagged, the JACK server's own log lines in the window (split: under
   1 ms late, mostly the dummy driver's wake-up jitter, and 1 ms or more), and `late`: the
   times the ring ran dry and the device played a gap. Beside them: one block's render
   time (CPU and wall, p50/p99/worst), the ring's least margin, PortAudio's measure of its
   callback's time, and the longest garbage collection. The JACK server alone, with no
   client, is the first baseline.

3. Latency from a sound arriving at audio.in to a changed synth parameter, on the same
   server, for both ways: synth A (gated on and off here) -> audio.out -> patched back ->
   audio.in -> descriptors (hop 256, then 512) -> loudness -> expr (a -40 dB threshold) ->
   change -> synth B's pitch. Measured in the engine's frame clock on the audio thread:
   from the first input sample above -40 dBFS (the block it came in plus its place in it)
   to the start of the block in which B's unit receives its new pitch. Beside it, from
   the block in which A's gate opened to its sound's first sample back at audio.in: the
   output's latency (AHEAD, with rtmixer) plus JACK's loop-back period.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from nodegraph import AddNode, Connect, Runtime  # noqa: E402
from nodegraph.io import audio  # noqa: E402
from tests import jack_server  # noqa: E402

RATE = 48000


def build(voices, descriptors, learner=False):
    rt = Runtime.manual()
    rt.do(AddNode("audio.out", {}, node_id="out"))
    for i in range(voices):
        rt.do(AddNode("synth", {"voice": "fm" if i % 2 else "subtractive", "pitch": 0.3 + 0.01 * i},
                      node_id=f"s{i}"))
        rt.do(Connect(f"s{i}", "sound", "out", "sound"))
    if descriptors:
        rt.do(AddNode("descriptors", {"hop": 512}, node_id="d"))
        if voices:
            rt.do(Connect("s0", "sound", "d", "sound"))
    if learner:
        rt.do(AddNode("ml.classify", {"algorithm": "knn"}, node_id="clf"))
        rt.do(Connect("d", "features", "clf", "features"))
        rng = np.random.default_rng(0)
        rt.send("clf", "label", "a")
        rt.send("clf", "record", True)
        for _ in range(50):
            rt.send("clf", "features", rng.random(20))
        rt.send("clf", "record", False)
    return rt


def load(rt, block, seconds):
    r = audio.Renderer(rt, RATE, block)
    rt.start(thread=False)
    if "clf" in rt.graph.nodes:
        rt.send("clf", "train", True)
        from tests.learners_util import wait_idle
        wait_idle(rt, "clf")
        rt.send("clf", "run", True)
    r.run(0.2)  # warm up
    n = int(seconds * RATE / block)
    times = []
    for _ in range(n):
        # CPU time of this thread, not wall time: on a shared machine wall time mostly
        # measures who else runs; the DSP's own cost is what decides whether a core keeps up
        t = time.thread_time()
        r.run(block / RATE)  # the block, the scheduler's timers and what the audio posted
        times.append(time.thread_time() - t)
    rt.close()
    t = 100 * np.array(times) / (block / RATE)
    return t.mean(), np.median(t), np.percentile(t, 99), t.max()


def dsp_load(seconds):
    cases = [("engine idle (no units)", 0, False, False), ("1 voice", 1, False, False),
             ("8 voices", 8, False, False), ("32 voices", 32, False, False),
             ("descriptors (1 voice in)", 1, True, False),
             ("8 voices + descriptors + classifier", 8, True, True)]
    print(f"1. DSP load on one core at {RATE} Hz: % of the block's duration, mean (the load) / p50 / p99 / "
          f"worst block; {seconds:g} s rendered per case")
    print(f"{'case':38s} {'64 frames':>29s} {'256 frames':>29s}")
    for name, voices, desc, learner in cases:
        row = []
        for block in (64, 256):
            mean, p50, p99, worst = load(build(voices, desc, learner), block, seconds)
            row.append(f"{mean:5.1f} /{p50:5.1f} /{p99:6.1f} /{worst:6.1f}")
        print(f"{name:38s} {row[0]:>29s} {row[1]:>29s}", flush=True)


# ---- on a real JACK server --------------------------------------------------------------------

def jack_xruns(log_path, offset):
    """XRuns the server logged after `offset`: (under 1 ms late, 1 ms or more late, client lines).

    The server runs synchronously (-S, as scripts/start-jack.sh runs it): its driver waits
    for every client each cycle, so a callback that is late shows as the driver's own
    "JackTimedDriver::Process XRun = N usec" (N: how late the cycle ended), and so does a
    cycle the machine's scheduler woke late. A few microseconds is wake-up jitter; a
    millisecond or more is a cycle that missed."""
    with open(log_path, errors="replace") as f:
        f.seek(offset)
        lines = [ln for ln in f.read().splitlines() if "xrun" in ln.lower()]
    small = big = 0
    for ln in lines:
        if "TimedDriver" in ln:
            try:
                usec = int(ln.rsplit("=", 1)[1].split()[0])
            except (IndexError, ValueError):
                usec = 10 ** 6
            small, big = (small + 1, big) if usec < 1000 else (small, big + 1)
    client = sum("client" in ln.lower() for ln in lines)
    return small, big, client


def wait_for(cond, seconds=20.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def open_patch(doc):
    path = os.path.join(tempfile.mkdtemp(prefix="nodegraph-bench-audio-"), "patch.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    rt = Runtime.open(path)
    rt.start()
    eng = audio.current(rt.scheduler)
    if not wait_for(lambda: eng.status.startswith("playing"), 30):
        raise SystemExit(f"the engine did not start on JACK: {eng.status}")
    server = os.environ["JACK_DEFAULT_SERVER"]

    def connect():  # PortAudio numbers a client's ports on from its last stream's: out_2, in_1...
        ports = subprocess.run(["jack_lsp", "-s", server], capture_output=True, text=True).stdout.split()
        outs = sorted((p for p in ports if p.startswith("nodegraph:out_")), key=lambda p: int(p.rsplit("_", 1)[1]))
        ins = sorted((p for p in ports if p.startswith("nodegraph:in_")), key=lambda p: int(p.rsplit("_", 1)[1]))
        return bool(outs and ins) and subprocess.run(["jack_connect", "-s", server, outs[0], ins[0]],
                                                     capture_output=True).returncode == 0

    if not wait_for(connect, 10):
        raise SystemExit("cannot patch nodegraph's output back to its input on the JACK server")
    return rt, eng


def node(type_, params=None, state=None, pos=(0, 0)):
    d = {"type": type_, "params": params or {}, "pos": list(pos)}
    if state is not None:
        d["state"] = state
    return d


def configs(ahead):
    """The engine's two ways of reaching the device, measured in the same run."""
    return (("before: render in PortAudio's callback", 0), (f"rtmixer, rendered {ahead} ahead", ahead))


class GcTimer:
    """The collector's pauses (any thread's: each holds the GIL for its whole length)."""

    def __init__(self):
        self.pauses, self._t = [], None

    def __call__(self, phase, info):
        if phase == "start":
            self._t = time.perf_counter()
        elif self._t is not None:
            self.pauses.append((info["generation"], 1000 * (time.perf_counter() - self._t)))

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)


def xrun_window(rt, eng, log_path, seconds, reg=None):
    x0, late0, off = eng.xruns, eng.late, os.path.getsize(log_path)
    device = eng._device
    calls0 = device._calls
    feeder = device.feeder
    if feeder is not None:
        feeder.low = feeder.ahead
    timing = []  # per block: (wall, CPU) of its render, to tell slow DSP from a thread held up
    render_block = eng.render_block

    def timed(n, indata=None):
        t, c = time.perf_counter(), time.thread_time()
        try:
            return render_block(n, indata)
        finally:
            timing.append((time.perf_counter() - t, time.thread_time() - c))

    eng.render_block = timed
    fits, t0 = [], time.monotonic()
    started = None
    loads = []  # PortAudio's own measure of its callback's time, as a share of the period
    with GcTimer() as gct:
        while time.monotonic() - t0 < seconds:
            if reg is not None and reg._job is None:  # train again as soon as the last fit is in
                if started is not None:
                    fits.append(time.monotonic() - started)
                started = time.monotonic()
                rt.send("reg", "train", True)
                rt.send("reg", "run", True)
            loads.append(device._stream.cpu_load)
            time.sleep(0.05)
    if reg is not None:  # the fit still running is not waited for: the window is over
        rt.send("reg", "cancel", True)
    eng.render_block = render_block
    t = 1000 * np.array(timing)
    return dict(pa=eng.xruns - x0, jack=jack_xruns(log_path, off), late=eng.late - late0,
                blocks=device._calls - calls0, fits=fits, started=started,
                cpu=(np.median(t[:, 1]), np.percentile(t[:, 1], 99), t[:, 1].max()),
                wall=(np.median(t[:, 0]), np.percentile(t[:, 0], 99), t[:, 0].max()),
                margin=None if feeder is None else 1000.0 * feeder.low / eng.rate,
                load=100 * np.mean(loads), gc=max((ms for _, ms in gct.pauses), default=0.0),
                gc2=sum(g == 2 for g, _ in gct.pauses))


def server_alone(log_path, seconds):
    off = os.path.getsize(log_path)
    time.sleep(seconds)
    return dict(jack=jack_xruns(log_path, off))


def xruns(seconds, log_path, ahead, n_examples=10_000):
    rows = [("JACK server alone (no client)", "", server_alone(log_path, seconds))]
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(n_examples, 20))
    Y = np.stack([np.sin(3 * X[:, 0]) * 0.5 + 0.5, X[:, 1] * X[:, 2]], axis=1)
    examples = [{"x": X[i].round(5).tolist(), "y": Y[i].round(5).tolist(), "t": float(i), "take": 1}
                for i in range(n_examples)]
    nodes = {f"s{i}": node("synth", {"voice": "fm" if i % 2 else "subtractive", "pitch": 0.3 + 0.01 * i,
                                     "level": 0.3, "order": "brightness filter"}) for i in range(8)}
    nodes.update({"out": node("audio.out"), "in": node("audio.in"), "d": node("descriptors"),
                  "reg": node("ml.regress", {"algorithm": "mlp", "outputs": 2},
                              {"examples": examples, "take": 1})})
    links = [[f"s{i}", "sound", "out", "sound"] for i in range(8)]
    links += [["in", "sound", "d", "sound"], ["d", "features", "reg", "features"],
              ["reg", "values", "s0", "vector"]]
    for config, frames in configs(ahead):
        audio.AHEAD = frames  # read when the stream opens
        # the engine with a device open and nothing to render
        rt, eng = open_patch({"format": "nodegraph-patch", "version": 1,
                              "nodes": {"out": node("audio.out"), "in": node("audio.in")}, "links": []})
        time.sleep(3.0)  # past the stream's start-up
        rows.append(("engine idle (audio.in + audio.out)", config, xrun_window(rt, eng, log_path, seconds)))
        rt.close()
        rt, eng = open_patch({"format": "nodegraph-patch", "version": 1, "nodes": nodes, "links": links})
        time.sleep(3.0)
        rows.append(("8 voices + descriptors, not training", config, xrun_window(rt, eng, log_path, seconds)))
        rows.append((f"... while the MLP trains ({n_examples} ex.)", config,
                     xrun_window(rt, eng, log_path, seconds, rt.graph.node("reg"))))
        rt.close()
    audio.AHEAD = ahead
    print(f"\n2. Xruns in {seconds:g} s windows on JACK (dummy driver, {RATE} Hz, 256-frame period, synchronous): "
          f"8 voices -> audio.out -> audio.in -> descriptors -> ml.regress (mlp, running) -> synth")
    print(f"{'window':38s} {'engine':34s} {'PortAudio':>9s} {'JACK <1ms':>9s} {'JACK >=1ms':>10s} {'late':>4s} "
          f"{'blocks':>6s} {'render CPU ms p50/p99/worst':>27s} {'wall ms p50/p99/worst':>23s} {'margin':>6s} "
          f"{'PA cb':>6s} {'gc worst':>8s}")
    for name, config, r in rows:
        small, big, client = r["jack"]
        if "pa" not in r:
            print(f"{name:38s} {config:34s} {'-':>9s} {small:9d} {big:10d}")
            continue
        cpu = "{:5.2f} /{:5.2f} /{:6.2f}".format(*r["cpu"])
        wall = "{:5.2f} /{:5.2f} /{:6.2f}".format(*r["wall"])
        margin = "-" if r["margin"] is None else f"{r['margin']:.1f}"
        late = "-" if r["margin"] is None else str(r["late"])
        extra = f" ({client} client lines)" if client else ""
        print(f"{name:38s} {config:34s} {r['pa']:9d} {small:9d} {big:10d} {late:>4s} {r['blocks']:6d} "
              f"{cpu:>27s} {wall:>23s} {margin:>6s} {r['load']:5.1f}% {r['gc']:6.1f}ms{extra}", flush=True)
        if r["started"] is not None:
            took = f" ({', '.join(f'{f:.0f} s' for f in r['fits'])})" if r["fits"] else ""
            print(f"{'':38s} training all the window: {len(r['fits'])} fits done{took}, one more started; "
                  f"{r['gc2']} full collections")
    print("   PortAudio: blocks the device flagged (PortAudio's JACK host flags a block after any xrun the server "
          "reports); JACK: the server's log lines in the window, by how late the cycle was; late: times the engine "
          "fell behind the device and it played a gap (rtmixer only: in PortAudio's callback a late render is a JACK "
          "xrun); render: one block's render, in PortAudio's callback (before) or on the feeder thread; margin: the "
          "least sound still queued ahead of the device when the feeder came to render (ms; 0: down to its last "
          "period); PA cb: PortAudio's callback time, mean share "
          "of the period (its own smoothed measure); gc worst: the longest garbage collection in the window")


def latency(trials, config, frames, hop=256):
    audio.AHEAD = frames
    nodes = {"a": node("synth", {"pitch": 0.5, "brightness": 0.0, "filter": 1.0, "attack": 0.0, "release": 0.0,
                                 "gate": False}),
             "out": node("audio.out", {"volume": 1.0}), "in": node("audio.in"),
             "d": node("descriptors", {"hop": hop}),
             "thr": node("expr", {"expr": "if($f1 > -40, 0.8, 0.2)"}), "ch": node("change"),
             "b": node("synth", {"pitch": 0.2})}  # b is not linked to the output: it is only watched
    links = [["a", "sound", "out", "sound"], ["in", "sound", "d", "sound"], ["d", "loudness", "thr", "f1"],
             ["thr", "out", "ch", "in"], ["ch", "out", "b", "pitch"]]
    rt, eng = open_patch({"format": "nodegraph-patch", "version": 1, "nodes": nodes, "links": links})
    a, b = rt.graph.node("a"), rt.graph.node("b")
    gates, onsets, changes = [], [], []  # engine frames: a's gate opened; first loud input sample; b changed
    state = {"armed": False}
    render_block = eng.render_block

    def watched(n, indata=None):  # the render, instance-patched: sees the input first
        if indata is not None and state["armed"]:
            k = np.flatnonzero(np.abs(indata[:, 0]) > 0.01)  # -40 dBFS
            if k.size:
                onsets.append(eng.frames + int(k[0]))
                state["armed"] = False
        return render_block(n, indata)

    eng.render_block = watched
    unit_set, unit_gate = b.unit.set, a.unit.set_gate

    def set_(name, value):  # on the audio thread, before the block (eng.frames is its first frame)
        if name == "pitch" and value > 0.5:
            changes.append(eng.frames)
        unit_set(name, value)

    def gate_(on):
        if on:
            gates.append(eng.frames)
        unit_gate(on)

    b.unit.set, a.unit.set_gate = set_, gate_
    rng = np.random.default_rng(1)
    time.sleep(0.5)
    lat, loop = [], []
    for _ in range(trials):
        n0 = len(changes)
        state["armed"] = True
        rt.send("a", "gate", True)
        ok = wait_for(lambda: len(changes) > n0, 2.0)
        rt.send("a", "gate", False)
        if ok and onsets:
            lat.append(1000.0 * (changes[-1] - onsets[-1]) / eng.rate)
            loop.append(1000.0 * (onsets[-1] - gates[-1]) / eng.rate)
        wait_for(lambda: b.values["pitch"] < 0.5, 2.0)  # the window has gone quiet again
        time.sleep(0.05 + 0.2 * rng.random())  # onsets fall anywhere within a block
    rt.close()
    lat, loop = np.array(lat), np.array(loop)
    if len(lat):
        print(f"   {config:34s} hop {hop:4d}: {len(lat):3d}/{trials} onsets; in -> synth p50 {np.median(lat):5.1f} ms, "
              f"p99 {np.percentile(lat, 99):5.1f}, worst {lat.max():5.1f};  synth -> out -> in p50 "
              f"{np.median(loop):5.1f} ms, p99 {np.percentile(loop, 99):5.1f}", flush=True)
    else:
        print(f"   {config:34s} hop {hop:4d}: no onset detected in {trials} trials", flush=True)


def latencies(trials, ahead):
    print("\n3. Latency, a sound arriving at audio.in -> descriptors (window 2048) -> loudness threshold -> synth "
          "pitch changed on the audio thread (engine frame clock: from the first input sample above -40 dBFS to "
          f"the block that takes the new pitch; one block is {1000 * 256 / RATE:.1f} ms). Beside it, from a "
          "synth's gate opening to its sound arriving back at audio.in: the output's latency plus JACK's "
          "loop-back period")
    for config, frames in configs(ahead):
        for hop in (256, 512):
            latency(trials, config, frames, hop)
    audio.AHEAD = ahead


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0, help="rendered per DSP-load case")
    ap.add_argument("--xrun-seconds", type=float, default=60.0, help="each xrun window")
    ap.add_argument("--trials", type=int, default=100, help="onsets timed for the latency")
    ap.add_argument("--only", choices=("load", "xruns", "latency"), help="run one part")
    ap.add_argument("--ahead", type=int, default=audio.AHEAD, help="frames rtmixer's ring is kept ahead")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.only in (None, "load"):
        dsp_load(args.seconds)
    if args.only == "load":
        return
    name = f"nodegraph-bench-audio-{os.getpid()}"
    log_path = os.path.join(tempfile.gettempdir(), f"jackd-{name}.log")
    if shutil.which("jackd") is None:
        print("\njackd is not installed: no xrun or latency figures (scripts/install-system.sh)")
        return
    try:
        proc = jack_server.start(name, log_path, realtime=True)  # as scripts/start-jack.sh: realtime if allowed
    except RuntimeError as e:
        raise SystemExit(str(e)) from None
    os.environ["JACK_DEFAULT_SERVER"] = name  # before PortAudio starts in this process
    os.environ["JACK_NO_START_SERVER"] = "1"
    try:
        if args.only in (None, "xruns"):
            xruns(args.xrun_seconds, log_path, args.ahead)
        if args.only in (None, "latency"):
            latencies(args.trials, args.ahead)
    finally:
        sd = audio._sd
        if sd is not None:  # PortAudio let go of the server before it stops (or it asserts at exit)
            try:
                sd._terminate()
            except Exception:
                pass
        jack_server.stop(proc)
    print(f"machine after: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
