"""The teaching patches make sound: rendered offline, listened to with numpy."""
import collections
from pathlib import Path

import numpy as np
import pytest

from nodegraph import Runtime, SetParam, patchfile
from nodegraph.cli import main as cli
from nodegraph.io import audio
from nodes.audio.analysis import yin
from nodes.audio.synth import pitch_hz
from nodes.learners.base import Learner

from .learners_util import wait_idle
from .test_audio import RATE, cents, peak_hz, rms_db
from .test_teaching_patches import free_udp_port

PATCHES = Path(__file__).resolve().parent.parent / "patches"


def render_patch(name):
    doc = patchfile.read(PATCHES / name)
    for node in doc["nodes"].values():
        if node["type"] in ("osc.in", "osc.out"):
            node["params"]["port"] = free_udp_port()
    rt = Runtime.manual()
    rt.scheduler.base_dir = str(PATCHES)
    rt.load_doc(doc, name)
    r = audio.Renderer(rt, RATE)
    rt.start(thread=False)
    for node_id, node in rt.graph.nodes.items():
        if isinstance(node, Learner):
            wait_idle(rt, node_id)
    return rt, r


@pytest.mark.parametrize("name", ["xy-to-synth.json", "midi-mapping.json", "sound-classifier.json"])
def test_sound_patches_pass_check(name, capsys):
    assert cli(["check", str(PATCHES / name)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_xy_to_synth_sounds_and_its_pitch_and_level_move_with_the_pad():
    rt, r = render_patch("xy-to-synth.json")
    try:
        values = []
        rt.graph.nodes["mapper"].watch("values", values.append)
        heard = {}
        for corner in ([0.1, 0.1], [0.9, 0.1], [0.1, 0.9], [0.9, 0.9], [0.5, 0.5]):
            rt.do(SetParam("pad", "value", corner))
            x = r.run(0.6)[RATE // 5:]  # the glide has settled
            v = values[-1]
            heard[tuple(corner)] = (rms_db(x), peak_hz(x), pitch_hz(float(np.clip(v[2], 0, 1))))
        levels = [h[0] for h in heard.values()]
        assert min(levels) > -45, heard  # every corner is heard
        assert max(levels) - min(levels) > 3  # and they differ in level
        low, high = heard[(0.1, 0.1)], heard[(0.1, 0.9)]
        # the pad's top left is taught a higher pitch (0.6) than the bottom left (0.05)
        assert high[2] > 3 * low[2]
        # the strongest partial of the brighter, higher corner is its fundamental, where the model says
        assert abs(cents(high[1], high[2])) < 10
        assert rt.graph.nodes["speakers"].error is None and rt.graph.nodes["voice"].error is None
    finally:
        rt.close()


def test_midi_mapping_plays_its_eight_controls_on_the_synth():
    rt, r = render_patch("midi-mapping.json")
    try:
        x = r.run(1.0)[RATE // 2:]
        assert rms_db(x) > -40
        rt.do(SetParam("target1", "value", 0.9))  # the first control is pitch
        y = r.run(0.5)[RATE // 4:]
        assert rt.graph.nodes["voice"].values["pitch"] == 0.9
        # an FM tone (ratio 4: odd partials); its fundamental, found by YIN, is the pitch asked for
        found = [yin(y[i:i + 2048], RATE) for i in range(0, len(y) - 2048, 1024)]
        heard = np.median([p for p, confidence in found if confidence > 0.5] or [1.0])
        assert abs(cents(heard, pitch_hz(0.9))) < 10, heard
        assert rms_db(y) > -40
    finally:
        rt.close()


def test_sound_classifier_names_what_its_sound_file_plays():
    """demo.wav is a whistle (0..1.5 s), quiet, claps (2.5..4 s), quiet; the taught classifier
    names each part, with no microphone."""
    rt, r = render_patch("sound-classifier.json")
    try:
        got = []
        rt.graph.nodes["classifier"].watch("label", lambda v: got.append((rt.scheduler.now / 1000.0, v)))
        r.run(5.0)
        parts = {}
        for start, end, name in [(0, 1.5, "whistle"), (1.5, 2.5, "quiet"), (2.5, 4.0, "clap"), (4.0, 5.0, "quiet")]:
            parts[(start, name)] = collections.Counter(v for t, v in got if start + 0.1 < t < end - 0.05)
        assert parts[(0, "whistle")]["whistle"] / sum(parts[(0, "whistle")].values()) > 0.95, parts
        claps = parts[(2.5, "clap")]
        assert claps["clap"] / sum(claps.values()) > 0.7 and claps["whistle"] == 0, parts  # gaps between claps are quiet
        for key in ((1.5, "quiet"), (4.0, "quiet")):
            assert parts[key]["quiet"] / sum(parts[key].values()) > 0.85, parts
        assert rt.graph.nodes["hears"].value in ("clap", "whistle", "quiet")
        assert {k: n.error for k, n in rt.graph.nodes.items() if n.error} == {}
    finally:
        rt.close()


def test_rendering_xy_to_synth_from_the_command_line_hears_the_learned_mapping(tmp_path):
    """`nodegraph render` lets the saved model be refitted before the first block, so the synth
    plays what the mapper gives for the pad's saved point (not its own defaults), every time."""
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    for out in (a, b):
        assert cli(["render", str(PATCHES / "xy-to-synth.json"), "--seconds", "2", "-o", str(out)]) == 0
    assert a.read_bytes() == b.read_bytes()
    import soundfile
    x, rate = soundfile.read(str(a))
    rt, r = render_patch("xy-to-synth.json")  # what the mapper says for the saved point
    try:
        values = []
        rt.graph.nodes["mapper"].watch("values", values.append)
        rt.send("mapper", "features", np.array(rt.graph.nodes["pad"].params["value"]))
        expected = pitch_hz(float(values[-1][2]))
    finally:
        rt.close()
    assert abs(cents(np.median([yin(x[i:i + 2048], rate)[0] for i in range(rate, 2 * rate - 2048, 4096)]),
                     expected)) < 10
    assert abs(expected - pitch_hz(0.5)) > 20  # not the synth's default pitch
