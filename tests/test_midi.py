"""MIDI nodes without ports: midi.file on the manual clock, filters, learning, notes, names.

Real ports (JACK) are in test_midi_jack.py.
"""
import json

import mido
import numpy as np
import pytest

from nodegraph import BANG, SetParam, patchfile
from nodegraph.io import midi
from nodes.midi import note_number

from .conftest import build, tap


def cc(control, value, channel=0):
    return mido.Message("control_change", control=control, value=value, channel=channel)


def note_on(note, velocity=100, channel=0):
    return mido.Message("note_on", note=note, velocity=velocity, channel=channel)


# ---- choosing a port by name -------------------------------------------------------------------

NAMES = ["Midi Through:Midi Through Port-0 14:0", "nodegraph:knobs", "nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0",
         "fluidsynth:midi_00", "nodegraph-03:synth in", "Fluid Synth 2:in"]


def test_an_exact_name_wins_then_any_part_of_a_name_in_any_case():
    assert midi.choose(NAMES, "fluidsynth:midi_00") == ("fluidsynth:midi_00", None)
    assert midi.choose(NAMES, "NANO") == ("nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0", None)


def test_a_name_matching_several_ports_picks_the_first_and_says_which():
    name, note = midi.choose(NAMES, "fluid")
    assert name == "fluidsynth:midi_00"
    assert "matches 2 ports" in note and "'Fluid Synth 2:in'" in note and "using 'fluidsynth:midi_00'" in note


def test_nodegraphs_own_ports_only_when_nothing_else_matches():
    assert midi.choose(NAMES, "synth")[0] == "fluidsynth:midi_00"  # not nodegraph-03:synth in
    assert midi.choose(NAMES, "knobs") == ("nodegraph:knobs", None)
    assert midi.own("nodegraph-03:synth in") and midi.own("nodegraph:knobs") and not midi.own("fluidsynth:x")


def test_empty_means_the_first_port_that_is_not_midi_through_nor_ours():
    name, note = midi.choose(NAMES, "", "input")
    assert name == "nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0" and "first available" in note
    name, note = midi.choose(["nodegraph:knobs"], "", "output")
    assert name is None and note == ("no MIDI output to connect to: 'nodegraph:knobs' are nodegraph's own or "
                                     "Midi Through, not taken unless named in port")
    assert midi.choose([], "")[1] == "no MIDI input to connect to (there are none)"


def test_no_match_lists_what_there_is():
    name, note = midi.choose(NAMES[:2], "korg")
    assert name is None
    assert note == "no MIDI input matches 'korg' (there are: 'Midi Through:Midi Through Port-0 14:0', 'nodegraph:knobs')"
    assert midi.choose([], "korg")[1] == "no MIDI input matches 'korg' (there are none)"


def test_port_labels_are_names_every_midi_system_takes():
    assert midi.port_label("knob 1") == "knob 1"
    assert midi.port_label("a:b/c") == "a_b_c"
    assert midi.port_label("") == "port"


# ---- midi.in filters (messages on its inlet) ----------------------------------------------------

def filtered(rt, params, messages):
    build(rt, {"in": ("midi.in", dict(params, use_port=False))})
    seen = {o: tap(rt, "in", o) for o in ("message", "value", "note", "velocity")}
    rt.start(thread=False)
    for m in messages:
        rt.send("in", "message", m)
    return seen


def test_midi_in_outlets_for_notes_and_ccs(rt):
    seen = filtered(rt, {}, [note_on(60, 127), mido.Message("note_off", note=60, velocity=30), cc(7, 127),
                             mido.Message("pitchwheel", pitch=8191)])
    assert seen["note"] == [60.0, 60.0]
    assert seen["velocity"] == [127.0, 0.0]  # a note off is velocity 0
    assert seen["value"] == [1.0, 0.0, 1.0, 1.0]
    assert [m.type for m in seen["message"]] == ["note_on", "note_off", "control_change", "pitchwheel"]
    assert rt.graph.node("in").error is None  # no port wanted: nothing to be connected to


def test_midi_in_filters_by_type_channel_cc_and_note(rt):
    messages = [cc(1, 10), cc(2, 20), cc(1, 30, channel=4), note_on(60), note_on(61, channel=4)]
    build(rt, {"a": ("midi.in", {"use_port": False, "type": "cc", "cc": 1}),
               "b": ("midi.in", {"use_port": False, "channel": 5}),
               "c": ("midi.in", {"use_port": False, "note": 61}),
               "d": ("midi.in", {"use_port": False, "type": "note"})})
    seen = {n: tap(rt, n, "message") for n in "abcd"}
    for m in messages:
        for n in "abcd":
            rt.send(n, "message", m)
    assert [m.value for m in seen["a"]] == [10, 30]
    assert seen["b"] == [messages[2], messages[4]]
    assert seen["c"] == [messages[4]]
    assert [m.note for m in seen["d"]] == [60, 61]
    info = rt.graph.node("a").info()
    assert (info["received"], info["passed"], info["filtered"]) == (5, 2, 3)


def test_malformed_bytes_are_counted_and_logged_once(rt):
    build(rt, {"in": ("midi.in", {"use_port": False})})
    values = tap(rt, "in", "value")
    node = rt.graph.node("in")
    for data in ([0x90, 60], [0xF4], [0x90, 200, 1], [], [0xB0, 1, 64]):
        rt.scheduler.run_event(node, node._arrived, (data,))
    assert values == [64 / 127]
    assert node.info()["malformed"] == 4
    warnings = [line for line in rt.console.lines if "malformed" in line.text]
    assert len(warnings) == 1 and "90 3C" in warnings[0].text


# ---- midi.learn -------------------------------------------------------------------------------

def test_midi_learn_follows_nothing_until_armed_then_the_next_control(rt):
    build(rt, {"learn": ("midi.learn", {"use_port": False})})
    values, bindings = tap(rt, "learn", "value"), tap(rt, "learn", "binding")
    rt.send("learn", "message", cc(74, 127))
    assert values == []
    rt.send("learn", "arm", BANG)
    rt.send("learn", "message", mido.Message("program_change", program=3))  # not a CC or note: no binding
    rt.send("learn", "message", cc(21, 64, channel=2))
    assert bindings == ["CC 21 on channel 3"] and values == [64 / 127]
    for m in (cc(21, 0), cc(20, 5, channel=2), cc(21, 127, channel=2)):
        rt.send("learn", "message", m)
    assert values == [64 / 127, 1.0]
    node = rt.graph.node("learn")
    assert node.params["armed"] is False
    saved = json.loads(json.dumps(rt.to_doc()))["nodes"]["learn"]["params"]
    assert (saved["bound"], saved["channel"], saved["number"]) == ("cc", 3, 21)


def test_a_learned_binding_survives_saving_and_arming_by_param_rebinds_to_a_note(rt, tmp_path):
    build(rt, {"learn": ("midi.learn", {"use_port": False})})
    rt.do(SetParam("learn", "armed", True))
    rt.send("learn", "message", cc(1, 1))
    path = tmp_path / "learned.json"
    rt.save(path)
    again = type(rt).manual()
    again.load(path)
    values = tap(again, "learn", "value")
    again.send("learn", "message", cc(1, 127))
    assert values == [1.0]
    again.do(SetParam("learn", "armed", True))
    again.send("learn", "message", mido.Message("note_off", note=40))  # a release does not bind
    again.send("learn", "message", note_on(40, 127))
    again.send("learn", "message", cc(1, 127))
    again.send("learn", "message", mido.Message("note_off", note=40))
    assert values == [1.0, 1.0, 0.0]
    assert again.graph.node("learn").binding() == "note 40 on channel 1"
    again.close()


# ---- midi.out without a port ------------------------------------------------------------------

def test_note_names():
    assert [note_number(n) for n in ("C4", "c4", "C#4", "Db4", "A4", "C-1", "G9", "Bb2", "61")] == \
        [60, 60, 61, 61, 69, 0, 127, 46, 61]
    for bad in ("H2", "C10", "60.5", "", "C#"):
        with pytest.raises(ValueError):
            note_number(bad)


def test_midi_out_refuses_what_is_not_a_note_with_a_sentence(rt):
    build(rt, {"out": ("midi.out", {})})
    for bad, words in (("C4 loud", "velocity or \"off\""), ("X9", "is not a note"), (BANG, "expects a note"),
                       ([1, 2, 3], "expects a note")):
        rt.send("out", "note", bad)
        assert words in rt.graph.node("out").error
    rt.send("out", "value", np.array([0.5] * 130))
    assert "would go past CC 127" in rt.graph.node("out").error


# ---- midi.file on the manual clock ------------------------------------------------------------

def write_song(path):
    """120 bpm: C4 at 0 ms, a chord at 500, then twice the speed: a CC at 1000,
    the chord's note offs at 1250, the end at 1500 ms."""
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track += [mido.MetaMessage("set_tempo", tempo=500000, time=0),
              mido.Message("note_on", note=60, velocity=90, time=0),
              mido.Message("note_on", note=64, velocity=91, time=480),
              mido.Message("note_on", note=67, velocity=92, time=0),
              mido.Message("note_on", note=72, velocity=93, time=0),
              mido.MetaMessage("set_tempo", tempo=250000, time=480),
              mido.Message("control_change", control=1, value=42, time=0),
              mido.Message("note_off", note=64, time=480),
              mido.Message("note_off", note=67, time=0),
              mido.MetaMessage("end_of_track", time=480)]
    mid.save(str(path))
    return path


SONG = [(0.0, "note_on 60"), (500.0, "note_on 64"), (500.0, "note_on 67"), (500.0, "note_on 72"),
        (1000.0, "control_change 1"), (1250.0, "note_off 64"), (1250.0, "note_off 67")]


def played(rt, node_id="f"):
    seen = []

    def record(msg):
        seen.append((rt.scheduler.now, f"{msg.type} {getattr(msg, 'note', getattr(msg, 'control', ''))}"))
    rt.graph.node(node_id).watch("message", record)
    return seen


@pytest.fixture
def song_rt(rt, tmp_path):
    write_song(tmp_path / "song.mid")
    rt.scheduler.base_dir = str(tmp_path)  # as when the patch is opened from tmp_path
    return rt


def test_midi_file_plays_with_its_own_timing_chords_together(song_rt):
    rt = song_rt
    build(rt, {"f": ("midi.file", {"path": "song.mid"}), "in": ("midi.in", {"use_port": False, "type": "note"})},
          [("f", "message", "in", "message")])
    seen, ends, notes = played(rt), tap(rt, "f", "end"), tap(rt, "in", "note")
    rt.start(thread=False)
    rt.advance(100)
    rt.send("f", "play", BANG)
    rt.advance(1499)
    assert [(t - 100, m) for t, m in seen] == SONG
    assert ends == []
    rt.advance(1)
    assert ends == [BANG]
    assert notes == [60.0, 64.0, 67.0, 72.0, 64.0, 67.0]  # the chord reaches the next node whole, in order
    rt.advance(5000)
    assert len(seen) == len(SONG) and len(ends) == 1  # no loop
    assert rt.graph.node("f").info()["playing"] is False


def test_midi_file_tempo_loop_and_stop(song_rt):
    rt = song_rt
    build(rt, {"f": ("midi.file", {"path": "song.mid", "tempo": 2.0, "loop": True})})
    seen, ends = played(rt), tap(rt, "f", "end")
    rt.start(thread=False)
    rt.send("f", "play", 1.0)
    rt.advance(1600)  # two passes of 750 ms and the start of a third
    assert [t for t, _ in seen] == [t / 2 for t, _ in SONG] + [750 + t / 2 for t, _ in SONG] + [1500.0]
    assert len(ends) == 2
    rt.send("f", "play", 0.0)
    rt.advance(5000)
    assert len(seen) == 2 * len(SONG) + 1


def test_midi_file_tempo_change_mid_play_keeps_the_position(song_rt):
    rt = song_rt
    build(rt, {"f": ("midi.file", {"path": "song.mid"})})
    seen = played(rt)
    rt.start(thread=False)
    rt.send("f", "play", BANG)
    rt.advance(250)  # a quarter of the way to the chord at 500
    rt.do(SetParam("f", "tempo", 0.5))
    rt.advance(2000)
    assert [t for t, _ in seen][:2] == [0.0, 750.0]  # the 250 ms left take 500


def test_midi_file_autostart_and_patch_relative_path(tmp_path):
    from nodegraph import Runtime
    from nodegraph.clock import ManualClock
    write_song(tmp_path / "song.mid")
    doc = {"format": "nodegraph-patch", "version": 1, "links": [],
           "nodes": {"f": {"type": "midi.file", "params": {"path": "song.mid", "autostart": True}, "pos": [0, 0]}}}
    patchfile.write(tmp_path / "p.json", doc)
    rt = Runtime.open(tmp_path / "p.json", clock=ManualClock())
    seen = played(rt)
    rt.start(thread=False)
    rt.advance(2000)
    assert [m for _, m in seen] == [m for _, m in SONG]
    rt.close()


def test_midi_file_problems_are_sentences_on_the_node(rt, tmp_path):
    (tmp_path / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\x00\x20\x00\x90")
    (tmp_path / "text.mid").write_text("not a midi file")
    rt.scheduler.base_dir = str(tmp_path)
    build(rt, {"f": ("midi.file", {})})
    node = rt.graph.node("f")
    for path, words in (("", "no MIDI file: set the path"), ("missing.mid", "cannot find the MIDI file 'missing.mid'"),
                        ("broken.mid", "cannot read the MIDI file 'broken.mid'"),
                        ("text.mid", "cannot read the MIDI file 'text.mid'")):
        rt.do(SetParam("f", "path", path))
        rt.send("f", "play", BANG)
        assert node.error is not None and node.error.startswith(words), node.error


def test_without_python_rtmidi_the_library_loads_and_midi_nodes_say_why_they_cannot_connect():
    """A missing python-rtmidi (or its libasound.so.2) must not take every other node down."""
    import subprocess
    import sys
    code = ("import sys; sys.modules['rtmidi'] = None\n"
            "import nodes\n"
            "from nodegraph import AddNode, Runtime\n"
            "rt = Runtime.manual(); rt.do(AddNode('midi.in', node_id='a')); rt.do(AddNode('math', node_id='m'))\n"
            "rt.start(thread=False); a = rt.graph.node('a')\n"
            "print(a.error, '|', a.info()['status'], '|', rt.console.texts('warning')); rt.close()\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    error, status, warnings = run.stdout.split(" | ")
    assert error == "None"  # the machine lacks something: a status and a console line, not a node error
    assert status.startswith("not connected: python-rtmidi cannot be loaded") and status in warnings


def test_midi_file_tempo_inlet_changes_the_speed_while_it_plays(song_rt):
    rt = song_rt
    build(rt, {"f": ("midi.file", {"path": "song.mid"})})
    seen = played(rt)
    rt.start(thread=False)
    rt.send("f", "play", BANG)
    rt.advance(250)
    rt.send("f", "tempo", 2.0)  # the 250 ms left to the chord take 125
    rt.advance(2000)
    assert [t for t, _ in seen][:2] == [0.0, 375.0]
    rt.send("f", "tempo", 1000.0)
    assert "outside 0.01–100" in rt.graph.node("f").error
