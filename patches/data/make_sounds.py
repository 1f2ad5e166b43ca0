"""Makes the sounds of sound-classifier.json and teaches its classifier from them.

    python patches/data/make_sounds.py

Everything is synthesised here from a fixed seed (nothing recorded, nothing to license):
clap.wav (a round of clap-like noise bursts), whistle.wav (a whistled tune: a sine with
vibrato and a little breath), quiet.wav (room tone) and demo.wav (the three in turn, what
the patch plays). Then the patch is built and taught the way a person would: play each
file, set the class, record, train; and saved.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile

HERE = Path(__file__).resolve().parent
PATCHES = HERE.parent
sys.path.insert(0, str(PATCHES.parent))
RATE = 22050  # small files; the engine resamples to its own rate


def room(rng, seconds, db=-62.0):
    return rng.normal(0.0, 10 ** (db / 20.0), int(seconds * RATE))


def claps(rng, seconds, every=0.16):
    x = room(rng, seconds)
    t = 0.02
    while t < seconds - 0.1:
        n = int(0.09 * RATE)
        burst = rng.normal(0.0, 1.0, n)
        # a clap: a few fast reflections of band-limited noise, decaying in ~20 ms
        spectrum = np.fft.rfft(burst)
        f = np.fft.rfftfreq(n, 1.0 / RATE)
        spectrum *= np.exp(-0.5 * ((f - 1800.0) / 900.0) ** 2) + 0.3 * (f > 3000) * (f < 7000)
        burst = np.fft.irfft(spectrum, n)
        env = np.exp(-np.arange(n) / (0.018 * RATE))
        env[:40] *= np.linspace(0.0, 1.0, 40)
        burst *= env / np.max(np.abs(burst * env)) * rng.uniform(0.4, 0.6)
        i = int(t * RATE)
        x[i:i + n] += burst
        t += every * rng.uniform(0.8, 1.25)
    return x


def whistle(rng, seconds):
    notes = [1320.0, 1480.0, 1175.0, 1568.0, 1320.0, 1760.0]
    n = int(seconds * RATE)
    seg = n // len(notes)
    f = np.repeat(notes, seg)
    f = np.concatenate([f, np.full(n - len(f), notes[-1])])
    f = np.convolve(f, np.ones(400) / 400, mode="same")  # glides between notes
    t = np.arange(n) / RATE
    f = f * (1.0 + 0.008 * np.sin(2 * np.pi * 5.5 * t))  # vibrato
    phase = 2 * np.pi * np.cumsum(f) / RATE
    amp = 0.35 * np.minimum(1.0, np.minimum(t, seconds - t) / 0.05)
    breath = rng.normal(0.0, 0.01, n)
    return amp * np.sin(phase) + breath + room(rng, seconds)


def write(name, x):
    soundfile.write(str(HERE / name), np.clip(x, -1, 1), RATE, subtype="PCM_16")


def make_sounds():
    rng = np.random.default_rng(12)
    write("clap.wav", claps(rng, 2.0))
    write("whistle.wav", whistle(rng, 2.0))
    write("quiet.wav", room(rng, 1.0))
    demo = np.concatenate([whistle(rng, 1.5), room(rng, 1.0), claps(rng, 1.5), room(rng, 1.0)])
    write("demo.wav", demo)


COMMENTS = [
    ([40, 20], "Clap or whistle? The sound is described 94 times a second (loudness, pitch, brightness,\n"
               "noisiness, timbre) and a classifier taught three sounds names what it hears."),
    ([40, 125], "1. audio.file plays demo.wav (a whistle,\nquiet, claps, quiet; looped) as if it were\n"
                "a microphone. For yours: link an audio.in\nto descriptors instead."),
    ([330, 125], "2. descriptors turns the sound\ninto 20 numbers (features)."),
    ([600, 125], "3. ml.classify was taught from\nclap.wav, whistle.wav and quiet.wav."),
    ([870, 125], "4. What it hears."),
    ([870, 420], "Teach your own: press a sound's name, switch\nrecord on while you make it, then off; the\n"
                 "same for the others; press train."),
]


def make_patch():
    from nodegraph import AddComment, AddNode, Connect, Runtime, SetParam
    from nodegraph.io import audio

    rt = Runtime.manual()
    rt.scheduler.base_dir = str(PATCHES)
    nodes = [
        ("file", "audio.file", {"file": "data/demo.wav"}, [40, 240]),
        ("describe", "descriptors", {"features": "all"}, [330, 240]),
        ("classifier", "ml.classify", {"algorithm": "knn", "k": 3}, [600, 240]),
        ("hears", "display", {}, [870, 240]),
        ("speakers", "audio.out", {"volume": 0.6}, [40, 480]),
        ("clap", "button", {}, [870, 520]), ("whistle", "button", {}, [1000, 520]), ("quiet", "button", {}, [1130, 520]),
        ("is_clap", "value", {"value": "clap"}, [870, 640]), ("is_whistle", "value", {"value": "whistle"}, [870, 775]),
        ("is_quiet", "value", {"value": "quiet"}, [870, 910]),
        ("record", "toggle", {}, [1160, 640]), ("train", "button", {}, [1160, 810]),
        ("autorun", "toggle", {"init": True, "value": True}, [1160, 240]),
    ]
    for node_id, t, params, pos in nodes:
        rt.do(AddNode(t, params, node_id=node_id, pos=pos))
    for link in [("file", "sound", "describe", "sound"), ("file", "sound", "speakers", "sound"),
                 ("describe", "features", "classifier", "features"), ("autorun", "out", "classifier", "run"),
                 ("classifier", "label", "hears", "in"), ("record", "out", "classifier", "record"),
                 ("train", "bang", "classifier", "train"),
                 ("clap", "bang", "is_clap", "in"), ("whistle", "bang", "is_whistle", "in"),
                 ("quiet", "bang", "is_quiet", "in"), ("is_clap", "out", "classifier", "label"),
                 ("is_whistle", "out", "classifier", "label"), ("is_quiet", "out", "classifier", "label")]:
        rt.do(Connect(*link))
    for pos, text in COMMENTS:
        rt.do(AddComment(text, pos))

    r = audio.Renderer(rt)
    rt.start(thread=False)
    r.run(0.2)
    # teach: each file in turn, recorded under its name, as a person would
    for name in ("clap", "whistle", "quiet"):
        rt.do(SetParam("file", "file", f"data/{name}.wav"))
        rt.send(name, "in", True)
        r.run(0.15)  # the analysis window fills with the new sound
        rt.send("record", "in", True)
        r.run(0.8)
        rt.send("record", "in", False)
    rt.send("train", "in", True)
    from tests.learners_util import wait_idle

    wait_idle(rt, "classifier")
    rt.do(SetParam("file", "file", "data/demo.wav"))
    rt.save(PATCHES / "sound-classifier.json")
    rt.close()


if __name__ == "__main__":
    make_sounds()
    make_patch()
    print("wrote", ", ".join(p.name for p in sorted(HERE.glob("*.wav"))), "and sound-classifier.json")
