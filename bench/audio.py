"""DSP load of the audio engine: python bench/audio.py [--seconds S]

For 64- and 256-sample blocks at 48 kHz: the CPU time the engine takes per block (as a
share of the block's duration: the load on one core) for 1, 8 and 32 synth voices,
the full descriptor set, and 8 voices + descriptors + a running classifier, beside
the engine's own idle cost (no units) measured in the same run. Rendered offline,
block by block, exactly as the audio thread renders them; so the figure is the DSP
alone, without PortAudio's own (small) overhead or the machine's scheduling.
"""
from __future__ import annotations

import argparse
import os
import sys
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
    dur = block / RATE
    t = np.array(times)
    return 100 * np.median(t) / dur, 100 * np.percentile(t, 99) / dur


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0, help="rendered per case")
    args = ap.parse_args()
    cases = [("engine idle (no units)", 0, False, False), ("1 voice", 1, False, False),
             ("8 voices", 8, False, False), ("32 voices", 32, False, False),
             ("descriptors (1 voice in)", 1, True, False),
             ("8 voices + descriptors + classifier", 8, True, True)]
    print(f"DSP load on one core at {RATE} Hz (median / p99 of the block's duration), {args.seconds:g} s each")
    print(f"{'case':40s} {'64 frames':>18s} {'256 frames':>18s}")
    for name, voices, desc, learner in cases:
        row = []
        for block in (64, 256):
            med, p99 = load(build(voices, desc, learner), block, args.seconds)
            row.append(f"{med:6.1f}% / {p99:6.1f}%")
        print(f"{name:40s} {row[0]:>18s} {row[1]:>18s}", flush=True)


if __name__ == "__main__":
    main()
