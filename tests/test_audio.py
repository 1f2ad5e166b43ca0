"""Sound, rendered offline on the manual clock and analysed with numpy: the synth's pitch,
no clicks while controls stream, volume, descriptors of known signals, onsets, files that
are missing or not sound, recording, the sampler, and `nodegraph render`."""
import math

import numpy as np
import pytest
import soundfile

from nodegraph import AddNode, RemoveNode, Runtime, SetParam
from nodegraph.cli import main as cli
from nodegraph.io import audio
from nodes.audio.analysis import Analyser, yin
from nodes.audio.synth import pitch_hz

from .conftest import build, tap

RATE = 48000


def cents(f, ref):
    return 1200.0 * math.log2(f / ref)


def peak_hz(x, rate=RATE):
    """The strongest frequency, interpolated between FFT bins (log-parabolic on a Hann window)."""
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    k = int(np.argmax(spec[1:])) + 1
    a, b, c = np.log(spec[k - 1:k + 2] + 1e-30)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * rate / len(x)


def rms_db(x):
    return 10 * math.log10(np.mean(x * x) + 1e-30)


@pytest.fixture(autouse=True)
def unsaved_patches_keep_files_in(tmp_path, monkeypatch):
    """These patches are never saved: their files live in the data folder (nodegraph.paths),
    here the test's own folder."""
    monkeypatch.setenv("NODEGRAPH_DATA_DIR", str(tmp_path))


def patch(nodes, links=()):
    rt = Runtime.manual()
    build(rt, nodes, links)
    r = audio.Renderer(rt, RATE)
    rt.start(thread=False)
    return rt, r


def synth_patch(**params):
    params.setdefault("brightness", 0.0)
    params.setdefault("filter", 1.0)
    return patch({"s": ("synth", params), "o": ("audio.out", {"volume": 1.0})}, [("s", "sound", "o", "sound")])


def wav(path, x, rate=RATE):
    soundfile.write(str(path), x, rate, subtype="FLOAT")
    return str(path)


@pytest.mark.parametrize("voice", ["subtractive", "fm"])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.85])
def test_synth_plays_the_pitch_its_control_names(voice, p):
    rt, r = synth_patch(voice=voice, pitch=p)
    try:
        x = r.run(1.0)[RATE // 4:]
        assert rms_db(x) > -30
        assert abs(cents(peak_hz(x), pitch_hz(p))) < 3, (peak_hz(x), pitch_hz(p))
    finally:
        rt.close()


def test_a_render_is_the_same_every_time():
    runs = []
    for _ in range(2):
        rt, r = synth_patch(voice="subtractive", brightness=0.8, filter=0.4, resonance=0.6)
        rt.send("s", "pitch", 0.3)
        a = r.run(0.3)
        rt.send("s", "vector", np.array([0.7, 0.2]))
        runs.append(np.concatenate([a, r.run(0.3)]))
        rt.close()
    assert np.array_equal(runs[0], runs[1])
    assert np.max(np.abs(runs[0])) > 0.05


def test_streamed_predictions_never_click():
    """Controls jump at random 200 times a second; the sound's largest step between two
    samples stays under what a pure tone at the highest pitch and level takes anyway.
    Without smoothing, one level jump alone would step by 0.5."""
    rt, r = synth_patch(pitch=0.5, level=0.5, resonance=0.0)  # no resonant peak: the bound below holds
    rng = np.random.default_rng(1)
    try:
        chunks = []
        for _ in range(200):  # one second
            rt.send("s", "vector", rng.random(5) * np.array([1, 0, 1, 1, 0]))  # pitch, -, detune, filter, -
            rt.send("s", "level", float(rng.random()))
            chunks.append(r.run(0.005))
        x = np.concatenate(chunks)
        steepest_tone = 2 * math.pi * pitch_hz(1.0) / RATE * 0.5  # amplitude at level 1: 0.5
        assert np.max(np.abs(np.diff(x))) < steepest_tone * 1.05
        assert rms_db(x) > -40  # and it did play
    finally:
        rt.close()


def test_switching_the_gate_fades_without_a_click():
    rt, r = synth_patch(pitch=0.4, level=1.0, attack=0.0, release=0.0)
    try:
        on = r.run(0.2)
        rt.send("s", "gate", False)
        off = r.run(0.2)
        x = np.concatenate([on, off])
        assert np.max(np.abs(np.diff(x))) < 2 * math.pi * pitch_hz(0.4) / RATE * 0.5 * 1.05
        assert rms_db(off[-2000:]) < -100
    finally:
        rt.close()


def test_loudness_follows_volume_and_mute_silences():
    rt, r = synth_patch(pitch=0.5)
    try:
        full = r.run(0.5)[RATE // 10:]
        rt.send("o", "volume", 0.5)
        half = r.run(0.5)[RATE // 10:]
        rt.send("o", "mute", True)
        muted = r.run(0.5)[RATE // 10:]
        assert rms_db(full) - rms_db(half) == pytest.approx(12.04, abs=0.2)  # volume is squared: 0.5 -> -12 dB
        assert np.max(np.abs(muted[RATE // 10:])) < 1e-4  # faded out within 0.2 s (no click: a glide)
    finally:
        rt.close()


def test_a_wrong_vector_length_is_one_line_and_the_synth_plays_on():
    rt, r = synth_patch(pitch=0.5, order="pitch level")
    try:
        r.run(0.1)
        rt.send("s", "vector", np.array([0.2, 0.9, 0.5]))
        err = rt.graph.nodes["s"].error
        assert err and "\n" not in err and "3 numbers for 2 controls" in err
        x = r.run(0.5)[RATE // 5:]
        assert abs(cents(peak_hz(x), pitch_hz(0.2))) < 3  # the ones that fit were set
    finally:
        rt.close()


def test_a_short_vector_plays_what_came_and_says_so_once_without_an_error():
    """One learner output into `vector` sets the pitch (the first control): it works, so the
    synth is not shown in error; the console says once what the numbers set."""
    rt, r = synth_patch(pitch=0.5)
    try:
        r.run(0.1)
        for p in (0.2, 0.21, 0.2):
            rt.send("s", "vector", np.array([p]))
        assert rt.graph.nodes["s"].error is None
        said = [line for line in rt.console.texts() if "vector:" in line]
        assert len(said) == 1 and "set the first 1 of pitch" in said[0], said
        x = r.run(0.5)[RATE // 5:]
        assert abs(cents(peak_hz(x), pitch_hz(0.2))) < 3
    finally:
        rt.close()


# ---- descriptors ------------------------------------------------------------------------------

def tone(f, seconds=0.5, amp=0.5, rate=RATE):
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * f * t)


def test_descriptors_of_known_signals_against_references():
    an = Analyser(RATE, 2048)
    rng = np.random.default_rng(0)
    for f in (110.0, 220.0, 440.0, 1000.0):
        d = an(tone(f)[:2048])
        assert abs(cents(d["pitch"], f)) < 10 and d["confidence"] > 0.95
        assert d["centroid"] == pytest.approx(f, rel=0.03)
        assert d["flatness"] < 0.01
        assert d["loudness"] == pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=0.2)
    noise = rng.uniform(-0.5, 0.5, 2048)
    d = an(noise)
    assert d["flatness"] > 0.4 and d["confidence"] < 0.5
    assert d["centroid"] == pytest.approx(RATE / 4, rel=0.1)  # white noise: the middle of 0..rate/2
    silent = an(np.zeros(2048))
    assert silent["loudness"] <= -100 and silent["pitch"] == 0.0 and silent["centroid"] == 0.0
    two = tone(300)[:2048] + tone(3000)[:2048]
    d = an(two)
    # reference: the power-weighted mean of the two partials, each equal
    assert d["centroid"] == pytest.approx(1650, rel=0.05)
    assert d["rolloff"] == pytest.approx(3000, rel=0.05)
    assert d["spread"] == pytest.approx(1350, rel=0.05)
    assert d["mfcc"].shape == (13,)
    assert np.linalg.norm(an(noise)["mfcc"][1:] - d["mfcc"][1:]) > 5  # timbres differ


def test_yin_follows_a_low_and_a_high_voice():
    for f in (55.0, 82.4, 1760.0):
        p, c = yin(tone(f)[:2048], RATE)
        assert abs(cents(p, f)) < 10 and c > 0.9


def test_descriptors_node_on_a_sound_file_and_onsets_on_bursts(tmp_path):
    """A file with four noise bursts in silence: four onsets, each within a hop of its burst;
    the pitch outlet names the tone that follows."""
    x = np.zeros(RATE * 2)
    rng = np.random.default_rng(3)
    starts = [0.2, 0.6, 1.0, 1.4]
    for s in starts:
        i = int(s * RATE)
        x[i:i + 2400] = rng.uniform(-0.5, 0.5, 2400) * np.exp(-np.arange(2400) / 600)
    x = np.concatenate([x, tone(330.0, 1.0)])
    path = wav(tmp_path / "bursts.wav", x)
    rt, r = patch({"f": ("audio.file", {"file": path, "loop": False}),
                   "d": ("descriptors", {"hop": 256})}, [("f", "sound", "d", "sound")])
    try:
        times = []
        rt.graph.nodes["d"].watch("onset", lambda v: times.append(rt.scheduler.now / 1000.0))
        pitches = tap(rt, "d", "pitch")
        feats = tap(rt, "d", "features")
        r.run(3.0)
        assert len(times) == 5  # four bursts, and the tone's start
        for t, s in zip(times, starts + [2.0]):
            assert s <= t <= s + 0.02  # within a hop and a block
        assert abs(cents(np.median(pitches[-50:]), 330.0)) < 10
        assert len(feats) == pytest.approx(3.0 * RATE / 256, abs=3) and feats[-1].shape == (20,)
    finally:
        rt.close()


# ---- files ------------------------------------------------------------------------------------

def test_a_file_that_is_not_sound_is_one_line_and_the_patch_runs_on(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not a sound file\n")
    rt, r = patch({"f": ("audio.file", {"file": str(bad)}),
                   "g": ("audio.file", {"file": str(tmp_path / "missing.wav")}),
                   "s": ("synth", {"pitch": 0.5}),
                   "o": ("audio.out", {}),
                   "tick": ("metro", {"interval": 100}),
                   "count": ("counter", {})},
                  [("f", "sound", "o", "sound"), ("g", "sound", "o", "sound"), ("s", "sound", "o", "sound"),
                   ("tick", "bang", "count", "bang")])
    try:
        counts = tap(rt, "count", "count")
        rt.send("tick", "on", True)
        x = r.run(1.0)
        f, g = rt.graph.nodes["f"].error, rt.graph.nodes["g"].error
        assert f and "\n" not in f and "notes.wav" in f and "not a sound file" in f
        assert g and "\n" not in g and "does not exist" in g
        assert rms_db(x[RATE // 2:]) > -30  # the synth plays on
        assert len(counts) >= 9  # and the rest of the patch runs
    finally:
        rt.close()


def test_audio_file_loops_and_audio_record_writes_what_it_heard(tmp_path):
    src = wav(tmp_path / "a.wav", tone(440.0, 0.25))
    out = tmp_path / "take.wav"
    rt, r = patch({"f": ("audio.file", {"file": src}), "rec": ("audio.record", {"file": str(out)}),
                   "o": ("audio.out", {"volume": 1.0})},
                  [("f", "sound", "rec", "sound"), ("f", "sound", "o", "sound")])
    try:
        ends = tap(rt, "f", "end")
        done = tap(rt, "rec", "done")
        rt.send("rec", "record", True)
        played = r.run(1.0)
        assert len(ends) == 3  # 0.25 s looped for 1 s: the end passes 3 times (the 4th is next block)
        rt.send("rec", "record", False)
        r.run(0.1)
        rt.stop()
        took, rate = soundfile.read(str(out))
        assert rate == RATE and len(took) == pytest.approx(RATE, abs=512)
        n = min(len(took), len(played))
        assert np.max(np.abs(took[:n] - played[:n])) < 1e-4
        assert done == [str(out)]
    finally:
        rt.close()


def test_sampler_plays_faster_and_scrubs_in_grains(tmp_path):
    src = wav(tmp_path / "sweep.wav", np.concatenate([tone(300.0, 1.0), tone(900.0, 1.0)]))
    rt, r = patch({"sp": ("sampler", {"file": src, "rate": 2.0}), "o": ("audio.out", {"volume": 1.0})},
                  [("sp", "sound", "o", "sound")])
    try:
        x = r.run(0.4)[RATE // 10:]
        assert abs(cents(peak_hz(x), 600.0)) < 5
        rt.do(SetParam("sp", "mode", "grain"))
        rt.do(SetParam("sp", "rate", 1.0))
        rt.send("sp", "position", 0.75)  # into the 900 Hz half
        x = r.run(0.5)[RATE // 5:]
        # overlapping grains of a tone interfere a little: the pitch is that of the place, roughly
        assert abs(cents(peak_hz(x), 900.0)) < 40 and rms_db(x) > -20
        rt.send("sp", "position", 0.2)
        x = r.run(0.5)[RATE // 5:]
        assert abs(cents(peak_hz(x), 300.0)) < 40
    finally:
        rt.close()


# ---- the command ------------------------------------------------------------------------------

def test_render_command_writes_the_same_file_twice(tmp_path, capsys):
    p = tmp_path / "p.json"
    p.write_text('{"format": "nodegraph-patch", "version": 1, "nodes": {'
                 '"s": {"type": "synth", "params": {"voice": "fm", "pitch": 0.25, "brightness": 0.0}, "pos": [0, 0]},'
                 '"o": {"type": "audio.out", "pos": [0, 100]}}, "links": [["s", "sound", "o", "sound"]]}')
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    assert cli(["render", str(p), "--seconds", "1.5", "-o", str(a)]) == 0
    assert cli(["render", str(p), "--seconds", "1.5", "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    x, rate = soundfile.read(str(a))
    assert rate == RATE and len(x) == int(1.5 * RATE) and x.ndim == 1
    assert abs(cents(peak_hz(x[RATE // 4:]), pitch_hz(0.25))) < 5
    assert "peak" in capsys.readouterr().out
    assert cli(["render", str(p), "--seconds", "0", "-o", str(a)]) == 2


def test_changing_the_hop_while_playing_keeps_the_analysis_going():
    rt, r = patch({"s": ("synth", {"pitch": 0.5, "brightness": 0.0}), "d": ("descriptors", {"hop": 1024})},
                  [("s", "sound", "d", "sound")])
    try:
        feats = tap(rt, "d", "features")
        r.run(1.0)
        slow = len(feats)
        rt.do(SetParam("d", "hop", 256))
        r.run(1.0)
        fast = len(feats) - slow
        assert slow == pytest.approx(RATE / 1024, abs=2) and fast == pytest.approx(RATE / 256, abs=3)
        assert audio.current(rt.scheduler) is not None and rt.graph.nodes["d"].error is None
    finally:
        rt.close()


def test_the_engine_lives_while_the_patch_has_an_audio_node():
    rt = Runtime.manual()
    build(rt, {"tick": ("metro", {})})
    rt.start(thread=False)
    try:
        assert audio.current(rt.scheduler) is None  # a patch without sound has no engine
        rt.do(AddNode("synth", {}, node_id="s"))
        assert audio.current(rt.scheduler) is not None
        rt.do(RemoveNode("s"))
        assert audio.current(rt.scheduler) is None
    finally:
        rt.close()


def test_recording_into_a_folder_that_does_not_exist_is_one_line(tmp_path):
    rt, r = patch({"s": ("synth", {}), "rec": ("audio.record", {"file": str(tmp_path / "no" / "take.wav")})},
                  [("s", "sound", "rec", "sound")])
    try:
        rt.send("rec", "record", True)
        err = rt.graph.nodes["rec"].error
        assert err and "folder does not exist" in err and "\n" not in err
        r.run(0.1)  # and the sound runs on
        assert rt.graph.nodes["s"].error is None
    finally:
        rt.close()


def test_a_keyboard_plays_the_synth_by_note_and_velocity():
    """midi.in's velocity then note (as Pd's notein) into the synth: the note number is the
    pitch heard (60: 261.6 Hz), velocity 0 ends it, and letting go of a key pressed before
    the one sounding does not stop the one sounding (a mono synth plays the last key)."""
    rt, r = synth_patch(gate=False, release=0.0)
    try:
        r.run(0.2)
        assert rms_db(r.run(0.2)) < -90, "silent before a key"

        def key(note, velocity):
            rt.send("s", "velocity", float(velocity))
            rt.send("s", "note", float(note))
        key(60, 100)
        x = r.run(0.8)[RATE // 4:]
        assert rms_db(x) > -30 and abs(cents(peak_hz(x), 261.6256)) < 3, peak_hz(x)
        key(67, 90)  # a second key while the first is held: it plays
        x = r.run(0.8)[RATE // 4:]
        assert abs(cents(peak_hz(x), 391.9954)) < 3, peak_hz(x)
        key(60, 0)  # the first key let go: the second still sounds
        assert rms_db(r.run(0.5)[RATE // 4:]) > -30
        key(67, 0)  # the sounding key let go: it fades out (release 0: at once)
        r.run(0.5)
        assert rms_db(r.run(0.3)) < -90
    finally:
        rt.close()
