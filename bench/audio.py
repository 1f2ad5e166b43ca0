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
   two capture and two playback ports, as scripts/start-jack.sh starts one): 8 voices
   to audio.out, audio.out patched back to audio.in, descriptors on audio.in feeding a
   running ml.regress (MLP) whose 10,000 examples are trained again and again in the
   worker process for the whole window. Counted two ways: PortAudio's status flags in
   the callback (Engine.xruns: any callback with a flag set) and the JACK server's own
   log lines during the window (split: "the driver woke late", which is the machine's
   scheduling, and "a client was not finished", ours). A baseline window of the same
   patch with no training runs first.

3. Latency from a sound arriving at audio.in to a changed synth parameter, on the same
   server: synth A (gated on and off here) -> audio.out -> patched back -> audio.in ->
   descriptors (hop 256) -> loudness -> expr (a -40 dB threshold) -> change -> synth B's
   pitch. Measured in the engine's frame clock inside the callback: from the first input
   sample above -40 dBFS (the block it came in plus its place in it) to the start of the
   block in which B's unit receives its new pitch (B starts gliding to it there). The
   loop-back's own delay (JACK's period between out and in) is not part of it.
"""
from __future__ import annotations

import argparse
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

def start_jack(name, log_path):
    """A dummy-driver JACK server with 2 capture and 2 playback ports (for the loop-back),
    realtime attempted as scripts/start-jack.sh does; None if jackd is missing."""
    if shutil.which("jackd") is None:
        return None
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1", JACK_NO_START_SERVER="1")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["jackd", "-n", name, "-S", "-d", "dummy", "-r", str(RATE), "-p", "256",
                                 "-C", "2", "-P", "2"], stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    up = subprocess.run(["jack_wait", "-s", name, "-w", "-t", "15"], capture_output=True, text=True, env=env)
    if up.returncode != 0 or "available" not in up.stdout:
        stop_jack(proc)
        raise SystemExit(f"jackd did not come up: {open(log_path).read()[-2000:]}")
    return proc


def stop_jack(proc):
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


def xrun_window(rt, eng, log_path, seconds, reg=None):
    """(PortAudio flags, JACK's (small, big, client), callbacks, fits finished, training share)."""
    x0, off = eng.xruns, os.path.getsize(log_path)
    calls0 = eng._device._calls
    timing = []  # per callback: (wall, CPU) of its render, to tell slow DSP from a thread held up
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
    while time.monotonic() - t0 < seconds:
        if reg is not None and reg._job is None:  # train again as soon as the last fit is in
            if started is not None:
                fits.append(time.monotonic() - started)
            started = time.monotonic()
            rt.send("reg", "train", True)
            rt.send("reg", "run", True)
        time.sleep(0.05)
    if reg is not None:  # the fit still running is not waited for: the window is over
        rt.send("reg", "cancel", True)
    eng.render_block = render_block
    t = 1000 * np.array(timing)
    return (eng.xruns - x0, jack_xruns(log_path, off), eng._device._calls - calls0, fits, started,
            (np.percentile(t[:, 1], 99), t[:, 1].max(), np.percentile(t[:, 0], 99), t[:, 0].max()))


def server_alone(log_path, seconds):
    off = os.path.getsize(log_path)
    time.sleep(seconds)
    return None, jack_xruns(log_path, off), 0, [], None, None


def xruns(seconds, log_path, n_examples=10_000):
    rows = [("JACK server alone (no client)", server_alone(log_path, seconds))]
    # baseline: the engine with a device open and nothing to render
    rt, eng = open_patch({"format": "nodegraph-patch", "version": 1,
                          "nodes": {"out": node("audio.out"), "in": node("audio.in")}, "links": []})
    time.sleep(3.0)  # past the stream's start-up
    rows.append(("engine idle (audio.in + audio.out)", xrun_window(rt, eng, log_path, seconds)))
    rt.close()
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
    rt, eng = open_patch({"format": "nodegraph-patch", "version": 1, "nodes": nodes, "links": links})
    time.sleep(3.0)  # past the stream's start-up
    rows.append(("8 voices + descriptors, not training", xrun_window(rt, eng, log_path, seconds)))
    rows.append((f"... while the MLP trains ({n_examples} ex.)",
                 xrun_window(rt, eng, log_path, seconds, rt.graph.node("reg"))))
    rt.close()
    print(f"\n2. Xruns in {seconds:g} s windows on JACK (dummy driver, {RATE} Hz, 256-frame period, synchronous): "
          f"8 voices -> audio.out -> audio.in -> descriptors -> ml.regress (mlp, running) -> synth")
    print(f"{'window':38s} {'PortAudio':>9s} {'JACK <1ms':>9s} {'JACK >=1ms':>10s} {'callbacks':>9s} "
          f"{'render ms: CPU p99/worst, wall p99/worst':>41s}")
    for name, (pa, (small, big, client), calls, fits, started, tm) in rows:
        tm = f"{tm[0]:5.2f} /{tm[1]:6.2f},  {tm[2]:5.2f} /{tm[3]:6.2f}" if tm else "-"
        pa = "-" if pa is None else pa
        extra = f" ({client} client lines)" if client else ""
        print(f"{name:38s} {pa:>9} {small:9d} {big:10d} {calls:9d} {tm:>41s}{extra}", flush=True)
        if started is not None:
            took = f" ({', '.join(f'{f:.0f} s' for f in fits)})" if fits else ""
            print(f"{'':38s} training all the window: {len(fits)} fits done{took}, one more started")
    print("   PortAudio: callbacks with a status flag set (PortAudio's JACK host flags the callback after "
          "any xrun the server reports); JACK: the server's log lines in the window, by how late the cycle was")


def latency(trials, hop=256):
    nodes = {"a": node("synth", {"pitch": 0.5, "brightness": 0.0, "filter": 1.0, "attack": 0.0, "release": 0.0,
                                 "gate": False}),
             "out": node("audio.out", {"volume": 1.0}), "in": node("audio.in"),
             "d": node("descriptors", {"hop": hop}),
             "thr": node("expr", {"expr": "if($f1 > -40, 0.8, 0.2)"}), "ch": node("change"),
             "b": node("synth", {"pitch": 0.2})}  # b is not linked to the output: it is only watched
    links = [["a", "sound", "out", "sound"], ["in", "sound", "d", "sound"], ["d", "loudness", "thr", "f1"],
             ["thr", "out", "ch", "in"], ["ch", "out", "b", "pitch"]]
    rt, eng = open_patch({"format": "nodegraph-patch", "version": 1, "nodes": nodes, "links": links})
    b = rt.graph.node("b")
    onsets, changes = [], []  # engine frame of the first loud input sample; of the block b's pitch changed
    state = {"armed": False}
    render_block = eng.render_block

    def watched(n, indata=None):  # the callback's render, instance-patched: sees the input first
        if indata is not None and state["armed"]:
            k = np.flatnonzero(np.abs(indata[:, 0]) > 0.01)  # -40 dBFS
            if k.size:
                onsets.append(eng.frames + int(k[0]))
                state["armed"] = False
        return render_block(n, indata)

    eng.render_block = watched
    unit_set = b.unit.set

    def set_(name, value):  # on the audio thread, before the block (eng.frames is its first frame)
        if name == "pitch" and value > 0.5:
            changes.append(eng.frames)
        unit_set(name, value)

    b.unit.set = set_
    rng = np.random.default_rng(1)
    time.sleep(0.5)
    lat = []
    for _ in range(trials):
        n0 = len(changes)
        state["armed"] = True
        rt.send("a", "gate", True)
        ok = wait_for(lambda: len(changes) > n0, 2.0)
        rt.send("a", "gate", False)
        if ok and onsets:
            lat.append(1000.0 * (changes[-1] - onsets[-1]) / eng.rate)
        wait_for(lambda: b.values["pitch"] < 0.5, 2.0)  # the window has gone quiet again
        time.sleep(0.05 + 0.2 * rng.random())  # onsets fall anywhere within a block
    rt.close()
    lat = np.array(lat)
    print(f"\n3. Latency, a sound arriving at audio.in -> descriptors (hop {hop}, window 2048) -> loudness "
          f"threshold -> synth pitch changed on the audio thread; {len(lat)} of {trials} onsets")
    if len(lat):
        print(f"   p50 {np.median(lat):.1f} ms, p99 {np.percentile(lat, 99):.1f} ms, worst {lat.max():.1f} ms, "
              f"best {lat.min():.1f} ms (one block is {1000 * 256 / eng.rate:.1f} ms)", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0, help="rendered per DSP-load case")
    ap.add_argument("--xrun-seconds", type=float, default=60.0, help="each xrun window")
    ap.add_argument("--trials", type=int, default=100, help="onsets timed for the latency")
    ap.add_argument("--only", choices=("load", "xruns", "latency"), help="run one part")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.only in (None, "load"):
        dsp_load(args.seconds)
    if args.only == "load":
        return
    name = f"nodegraph-bench-audio-{os.getpid()}"
    log_path = os.path.join(tempfile.gettempdir(), f"jackd-{name}.log")
    proc = start_jack(name, log_path)
    if proc is None:
        print("\njackd is not installed: no xrun or latency figures (scripts/install-system.sh)")
        return
    os.environ["JACK_DEFAULT_SERVER"] = name  # before PortAudio starts in this process
    os.environ["JACK_NO_START_SERVER"] = "1"
    try:
        if args.only in (None, "xruns"):
            xruns(args.xrun_seconds, log_path)
        if args.only in (None, "latency"):
            latency(args.trials, hop=256)
            latency(args.trials, hop=512)
    finally:
        sd = audio._sd
        if sd is not None:  # PortAudio let go of the server before it stops (or it asserts at exit)
            try:
                sd._terminate()
            except Exception:
                pass
        stop_jack(proc)
    print(f"machine after: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
