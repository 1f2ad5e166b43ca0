"""MIDI in and out: controllers, keyboards, synths, other programs, and MIDI files.

The ports, the choice of MIDI system and reconnecting live in nodegraph/io/midi.py.
"""
from __future__ import annotations

import io
import math
import os
import re

import numpy as np

from nodegraph import BANG, Inlet, Node, NodeError, Outlet, Param, paths, register
from nodegraph.commands import Group, SetParam
from nodegraph.io import midi
from nodegraph.io.osc import Throttle, held_note
from nodegraph.types import describe

PORT = Param("port", "text", "", help="the device or program: its name or part of it; empty: the first available")
VIRTUAL = Param("virtual", "bool", False,
                help="instead open a port of this name that other programs connect to")

# message type filter -> the mido types it lets through (None: all)
KINDS = {
    "all": None,
    "cc": {"control_change"},
    "note": {"note_on", "note_off"},
    "pitchwheel": {"pitchwheel"},
    "aftertouch": {"aftertouch"},
    "polytouch": {"polytouch"},
    "program": {"program_change"},
    "sysex": {"sysex"},
    "clock": {"clock", "start", "stop", "continue", "songpos"},
}


def value_of(msg):
    """A message's main number as 0..1 (CC value, velocity, bend...), or None."""
    t = msg.type
    if t == "control_change":
        return msg.value / 127.0
    if t == "note_on":
        return msg.velocity / 127.0
    if t == "note_off":
        return 0.0
    if t == "pitchwheel":
        return (msg.pitch + 8192) / 16383.0
    if t in ("aftertouch", "polytouch"):
        return msg.value / 127.0
    if t == "program_change":
        return msg.program / 127.0
    return None


def parse(data):
    """mido message from raw bytes; ValueError for bytes that are not one MIDI message."""
    import mido  # in the MIDI types' `imports`: loaded when such a node enters a patch, not to read one

    try:
        return mido.Message.from_bytes(data)
    except (ValueError, TypeError, IndexError, KeyError) as e:
        raise ValueError(str(e) or type(e).__name__) from None


def show_bytes(data) -> str:
    return " ".join(f"{b:02X}" if isinstance(b, int) and 0 <= b < 256 else "??" for b in list(data)[:8]) + \
        (" ..." if len(data) > 8 else "")


class PortNode(Node):
    """What midi.in, midi.learn and midi.out share: a port that opens at start and reconnects
    on its own. A device named in `port` that is not there is the node's error; having
    nothing to connect to yet (no device plugged in for an empty port, no MIDI system)
    is shown in its status and logged, as Pd and Max do."""

    kind = midi.INPUT
    PORT_PARAMS = ("port", "virtual", "use_port")
    imports = ("mido",)

    def setup(self):
        self._port = None
        self._started = False
        self._shown = None  # the port problem shown as the node's error

    def wants_port(self):
        return self.params.get("use_port", True)

    def start(self):
        self._started = True
        self._open()

    def stop(self):
        self._started = False
        self._close()

    def param_changed(self, name, old):
        if name in self.PORT_PARAMS and self._started:
            self._close()
            self._open()

    def ignore_flags(self):
        return (True, True, True)

    def _open(self):
        if not self.wants_port():
            self._clear_problem()
            return
        hub = midi.hub(self.host)
        on_message = self._arrived if self.kind == midi.INPUT else None
        self._port = hub.open(self.kind, self, self.params["port"], self.params["virtual"],
                              self._status, on_message, self.ignore_flags())
        self._port.check()

    def _close(self):
        port, self._port = self._port, None
        if port is not None:
            port.close()
        self._clear_problem()

    def _status(self):
        port = self._port
        if port is None:
            return
        if port.name is not None:
            self._clear_problem()
            what = "opened the virtual port" if port.virtual else "connected to"
            self.log(f"{what} '{port.name}'" + (f" ({port.note})" if port.note else ""),
                     "warning" if port.note and "matches" in port.note else "info")
        elif port.missing:
            self._shown = port.problem
            self.host.fail(self, port.problem)
        else:
            self._clear_problem()
            self.log(port.problem, "warning")

    def _clear_problem(self):
        if self._shown is not None and self.error == self._shown:
            self.error = None
            if self.host is not None:
                self.host.notify("error", self.id, None)
        self._shown = None

    def still_not_connected(self):
        """After a run: keep showing "not connected" (a successful run clears the error)."""
        if self._shown is not None:
            raise NodeError(self._shown)

    def port_info(self):
        port = self._port
        if port is None:
            return {"connected": False, "port": None, "status": "no port" if not self.wants_port() else "not running"}
        return {"connected": port.name is not None, "port": port.name,
                "status": port.note or ("connected" if port.name else port.problem)}

    def _arrived(self, data):
        pass


@register("midi.in", category="midi")
class MidiIn(PortNode):
    """Receives MIDI from a controller, a keyboard or another program.

    `port` names the device (its name or any part of it, e.g. "nano"); empty
    takes the first one there is. With `virtual` on, it opens a port of that
    name for other programs to send to instead. Filters keep only one `type`
    of message, one `channel` (0: all), one `cc` number or one `note` (-1: all).
    Outlets: `value` is a CC value or velocity as 0–1, `note` and `velocity`
    (0–127; a note off sends velocity 0) come from notes, `message` sends the
    whole message. A device missing or unplugged shows "not connected" (in
    red when `port` names it); the patch keeps running and it reconnects
    when the device is back. Malformed messages are counted. Messages
    from another node (a midi.file) on the inlet go through the same filters;
    switch `use_port` off to use only those.
    """

    inlets = (Inlet("message", "midi", help="MIDI messages from another node (midi.file): filtered the same way"),)
    outlets = (Outlet("message", "midi", help="each message that passes the filters"),
               Outlet("value", "float", help="CC value, velocity, pitch bend... as 0–1"),
               Outlet("note", "float", help="the note number of note on/off"),
               Outlet("velocity", "float", help="the velocity (0–127) of note on; 0 for note off"))
    params = (PORT, VIRTUAL,
              Param("type", "choice", "all", choices=tuple(KINDS), help="keep only this kind of message"),
              Param("channel", "int", 0, min=0, max=16, help="keep only this channel (1–16); 0: all"),
              Param("cc", "int", -1, min=-1, max=127, help="keep only this controller number; -1: all"),
              Param("note", "int", -1, min=-1, max=127, help="keep only this note number; -1: all"),
              Param("use_port", "bool", True, help="open a MIDI port (off: only messages on the inlet)"))

    def setup(self):
        super().setup()
        self._counts = {"received": 0, "passed": 0, "filtered": 0, "malformed": 0}
        self._throttle = Throttle()

    def ignore_flags(self):
        kind = self.params["type"]
        return (kind not in ("all", "sysex"), kind not in ("all", "clock"), True)

    def param_changed(self, name, old):
        super().param_changed(name, old)
        if name == "type" and self._port is not None:
            self._port.set_ignore(*self.ignore_flags())

    def process(self, fired):
        self._take(self.inputs["message"])
        self.still_not_connected()

    def _arrived(self, data):
        try:
            msg = parse(data)
        except ValueError as e:
            self._counts["malformed"] += 1
            held = self._throttle("malformed")
            if held is not None:
                self.log(f"ignored a malformed MIDI message ({show_bytes(data)}): {e}{held_note(held)}", "warning")
            return
        self._take(msg)

    def _take(self, msg):
        self._counts["received"] += 1
        if not self.accepts(msg):
            self._counts["filtered"] += 1
            return
        self._counts["passed"] += 1
        self.send_out(msg)

    def accepts(self, msg) -> bool:
        p = self.params
        kinds = KINDS[p["type"]]
        if kinds is not None and msg.type not in kinds:
            return False
        if p["channel"] and getattr(msg, "channel", None) != p["channel"] - 1:
            return False
        if p["cc"] >= 0 and (msg.type != "control_change" or msg.control != p["cc"]):
            return False
        if p["note"] >= 0 and getattr(msg, "note", None) != p["note"]:
            return False
        return True

    def send_out(self, msg):
        # right to left, as in Pd: a node that packs velocity with the note has it first
        t = msg.type
        if t in ("note_on", "note_off"):
            self.emit("velocity", float(msg.velocity if t == "note_on" else 0))
            self.emit("note", float(msg.note))
        elif t == "polytouch":
            self.emit("note", float(msg.note))
        value = value_of(msg)
        if value is not None:
            self.emit("value", value)
        self.emit("message", msg)

    def info(self):
        return {**self.port_info(), **self._counts}


@register("midi.learn", category="midi")
class MidiLearn(MidiIn):
    """Learns which knob or key to follow: arm it, then move the control.

    Until it is armed it follows nothing. Bang `arm` (or set `armed`) and the
    next CC or note that arrives binds it: its channel and number are kept in
    the patch. From then on it sends that control's `value` as 0–1 (a note's
    velocity; 0 when released) and its `message`, like a filtered midi.in.
    Arm it again to bind another control. `port` and `virtual` are as in
    midi.in; messages on the `message` inlet (from a midi.in or midi.file)
    are learned from too.
    """

    inlets = (Inlet("message", "midi", help="MIDI messages from another node, learned from like the port's"),
              Inlet("arm", "bang", help="the next CC or note binds it"))
    outlets = (Outlet("value", "float", help="the bound control's value (0–1)"),
               Outlet("message", "midi", help="each message of the bound control"),
               Outlet("binding", "text", help="what it is bound to, when it binds"))
    params = (PORT, VIRTUAL,
              Param("armed", "bool", False, help="on: the next CC or note binds it"),
              Param("bound", "choice", "nothing", choices=("nothing", "cc", "note"), help="what it follows"),
              Param("channel", "int", 1, min=1, max=16, help="the bound channel"),
              Param("number", "int", 0, min=0, max=127, help="the bound CC or note number"),
              Param("use_port", "bool", True, help="open a MIDI port (off: only messages on the inlet)"))

    def ignore_flags(self):
        return (True, True, True)

    def process(self, fired):
        if "arm" in fired:
            self._set("armed", True)
        if "message" in fired:
            self._take(self.inputs["message"])
        self.still_not_connected()

    def accepts(self, msg) -> bool:
        p = self.params
        t = msg.type
        if p["armed"] and (t == "control_change" or (t == "note_on" and msg.velocity > 0)):
            self._bind(msg)
            return True
        if p["bound"] == "cc":
            return t == "control_change" and msg.control == p["number"] and msg.channel == p["channel"] - 1
        if p["bound"] == "note":
            return (t in ("note_on", "note_off", "polytouch") and msg.note == p["number"]
                    and msg.channel == p["channel"] - 1)
        return False

    def _bind(self, msg):
        cc = msg.type == "control_change"
        binding = {"bound": "cc" if cc else "note", "channel": msg.channel + 1,
                   "number": msg.control if cc else msg.note, "armed": False}
        for name, value in binding.items():
            self._set(name, value)
        # what it bound is what the patch keeps: an edit of the document, one undo step
        self.propose(Group([SetParam(self.id, name, value) for name, value in binding.items()], "MIDI learn"))
        text = self.binding()
        self.log(f"learned {text}")
        self.emit("binding", text)

    def binding(self):
        p = self.params
        if p["bound"] == "nothing":
            return "nothing"
        return f"{'CC' if p['bound'] == 'cc' else 'note'} {p['number']} on channel {p['channel']}"

    def _set(self, name, value):
        """Playing (arming, binding) changes the process's own params at once."""
        if self.params[name] != value:
            self.params[name] = value
            if self.host is not None:
                self.host.notify("param", self.id, name, value)

    def send_out(self, msg):
        value = value_of(msg)
        if value is not None:
            self.emit("value", value)
        self.emit("message", msg)

    def info(self):
        return {**super().info(), "armed": self.params["armed"], "binding": self.binding()}


NOTE_NAME = re.compile(r"^([A-Ga-g])([#b]?)(-?\d+)$")
MAX_MIDI_BYTES = 16 * 1024 * 1024
SEMITONES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}


def note_number(text) -> int:
    """"C4" -> 60 (middle C), "F#3" -> 54, "Bb2" -> 46, "61" -> 61; ValueError if not a note."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        n = int(text)
    else:
        m = NOTE_NAME.match(text)
        if not m:
            raise ValueError(f'"{text}" is not a note (write C4, F#3, Bb2 or a number 0–127)')
        letter, accidental, octave = m.groups()
        n = (int(octave) + 1) * 12 + SEMITONES[letter.lower()] + {"#": 1, "b": -1, "": 0}[accidental]
    if not 0 <= n <= 127:
        raise ValueError(f'"{text}" is outside the MIDI notes (0–127, C-1 to G9)')
    return n


def _byte(x, what) -> int:
    if not math.isfinite(x):
        raise NodeError(f"cannot send {x} as a {what}")
    return min(127, max(0, int(round(x))))


@register("midi.out", category="midi")
class MidiOut(PortNode):
    """Sends MIDI to a synth, a DAW or another program.

    `port` names where to send (its name or any part of it; empty: the first
    one there is); with `virtual` on it opens a port of that name that other
    programs connect to. `message` sends MIDI messages as they are. `value`
    sends a control change (CC number `cc` on `channel`): a number 0–1, or
    0–127 when `range` says so; a vector sends one CC per element, numbered
    from `cc` up. `note` plays a note: a number, a name such as C4 (middle C),
    F#3 or Bb2, "C4 off", or [note, velocity]; the velocity is the last one on
    the `velocity` inlet, else the param (0 is a note off). With `duration`
    above 0 each note stops by itself after that many milliseconds. Notes still
    on when the patch stops are switched off.
    """

    kind = midi.OUTPUT
    inlets = (Inlet("message", "midi", help="MIDI messages to send as they are"),
              Inlet("value", "vector", help="CC value(s): 0–1 (or 0–127, see range); a vector: cc, cc+1..."),
              Inlet("note", "any", help="a note: 60, C4, \"C4 off\" or [note, velocity]"),
              Inlet("velocity", "float", hot=False, help="velocity (0–127) of the next notes; 0: note off"))
    params = (PORT, VIRTUAL,
              Param("channel", "int", 1, min=1, max=16, help="the channel CCs and notes go on"),
              Param("cc", "int", 1, min=0, max=127, help="the controller number a value goes to"),
              Param("range", "choice", "0-1", choices=("0-1", "0-127"), help="what values on `value` span"),
              Param("velocity", "int", 100, min=0, max=127, help="velocity of notes until one arrives"),
              Param("duration", "float", 0.0, min=0.0, max=600_000.0,
                    help="milliseconds until a note stops by itself; 0: until its note off"))

    def setup(self):
        super().setup()
        self._held = {}  # (channel, note) -> the timer that ends it, or None
        self._counts = {"sent": 0, "dropped": 0}

    def stop(self):
        self._release_notes()
        super().stop()

    def param_changed(self, name, old):
        if name in self.PORT_PARAMS:
            self._release_notes()  # on the port they were played on
        super().param_changed(name, old)

    def _release_notes(self):
        for (ch, note), timer in list(self._held.items()):
            if timer is not None:
                timer.cancel()
            self._send([0x80 | ch, note, 0], quiet=True)
        self._held.clear()

    def process(self, fired):
        if "message" in fired:
            self._send(self.inputs["message"].bytes())
        if "value" in fired:
            self._values(self.inputs["value"])
        if "note" in fired:
            self._note(self.inputs["note"])

    def _values(self, v):
        p = self.params
        if len(v) == 0:
            return
        if p["cc"] + len(v) - 1 > 127:
            raise NodeError(f"{len(v)} values from CC {p['cc']} would go past CC 127")
        status = 0xB0 | (p["channel"] - 1)
        scale = 127.0 if p["range"] == "0-1" else 1.0
        for i, x in enumerate(v.tolist()):
            self._send([status, p["cc"] + i, _byte(x * scale, "CC value")])

    def _note(self, v):
        vel = self.inputs["velocity"]
        vel = self.params["velocity"] if vel is None else _byte(vel, "velocity")
        if isinstance(v, str):
            parts = v.split()
            if not parts or len(parts) > 2:
                raise NodeError(f'"{v}" is not a note (write C4, "C4 off", "C4 90" or a number)')
            try:
                note = note_number(parts[0])
            except ValueError as e:
                raise NodeError(str(e)) from None
            if len(parts) == 2:
                if parts[1].lower() == "off":
                    vel = 0
                elif re.fullmatch(r"\d+", parts[1]):
                    vel = _byte(float(parts[1]), "velocity")
                else:
                    raise NodeError(f'"{v}": after the note comes a velocity or "off"')
        elif isinstance(v, (bool, np.bool_)) or v is BANG or v is None:
            raise NodeError(f"expects a note (a number, a name such as C4, or [note, velocity]), got {describe(v)}")
        elif isinstance(v, (int, float, np.number)):
            note = _byte(float(v), "note")
        elif isinstance(v, (list, tuple, np.ndarray)) and len(v) == 2:
            try:
                note, vel = _byte(float(v[0]), "note"), _byte(float(v[1]), "velocity")
            except (TypeError, ValueError):
                raise NodeError(f"expects [note, velocity], got {describe(v)}") from None
        else:
            raise NodeError(f"expects a note (a number, a name such as C4, or [note, velocity]), got {describe(v)}")
        ch = self.params["channel"] - 1
        key = (ch, note)
        timer = self._held.pop(key, None)
        if timer is not None:
            timer.cancel()
        if vel == 0:
            self._send([0x80 | ch, note, 0])
            return
        self._send([0x90 | ch, note, vel])
        duration = self.params["duration"]
        self._held[key] = self.schedule(duration, self._end_note, key) if duration > 0 else None

    def _end_note(self, key):
        if self._held.pop(key, None) is not None:
            self._send([0x80 | key[0], key[1], 0])

    def _send(self, data, quiet=False):
        port = self._port
        if port is None:
            self._counts["dropped"] += 1
            return  # not running (nodegraph check, or a stopped patch)
        if not port.send(data):
            self._counts["dropped"] += 1
            if port.missing and not quiet:
                raise NodeError(port.problem)
            return
        self._counts["sent"] += 1

    def info(self):
        return {**self.port_info(), **self._counts, "notes_on": len(self._held)}


@register("midi.file", category="midi")
class MidiFilePlayer(Node):
    """Plays a MIDI file (.mid) into the patch with its own timing.

    Bang `play` (or send 1) to play from the start, 0 to stop. Messages that
    fall at the same moment (a chord) come out together. `tempo` scales the
    speed (2: twice as fast), `loop` starts again at the end, `autostart`
    plays when the patch starts. `end` bangs each time the file ends. A
    relative `path` starts at the patch's folder. Timing follows the patch
    clock, so a test or a teacher can drive a patch without a controller.
    """

    inlets = (Inlet("play", "any", help="bang or 1: play from the start; 0: stop"),
              Inlet("tempo", "float", help="speed from now on: 1 as written, 2 twice as fast"))
    outlets = (Outlet("message", "midi", help="the file's messages, at their time"),
               Outlet("end", "bang", help="the file has ended (each time, when looping)"))
    imports = ("mido",)
    params = (Param("path", "text", "", file=True, help="the .mid file, in the patch's folder"),
              Param("loop", "bool", False, help="start again at the end"),
              Param("tempo", "float", 1.0, min=0.01, max=100.0, help="speed: 1 as written, 2 twice as fast"),
              Param("autostart", "bool", False, help="play when the patch starts"))

    def setup(self):
        self._events = None  # [(ms from the start, message)]
        self._length = 0.0
        self._loaded = None  # (path, mtime) the events are from
        self._timer = None
        self._origin = 0.0  # logical time at which the file's time 0 falls
        self._rate = self.params["tempo"]
        self._next = 0
        self._plays = 0

    def loadbang(self):
        if self.params["autostart"]:
            self._play()

    def stop(self):
        self._halt()

    def param_changed(self, name, old):
        if name == "tempo":
            self._retime(self.params["tempo"])
        elif name == "path":
            self._events = None

    def process(self, fired):
        if "tempo" in fired:
            t = self.inputs["tempo"]
            if not (math.isfinite(t) and 0.01 <= t <= 100.0):
                raise NodeError(f"tempo {t} is outside 0.01–100")
            self._retime(t)
        if "play" in fired:
            v = self.inputs["play"]
            if v is BANG or (not isinstance(v, str) and v is not None and bool(np.any(v))):
                self._play()
            else:
                self._halt()

    def _load(self):
        path = self.params["path"]
        if not path:
            raise NodeError("no MIDI file: set the path param to a .mid file")
        full = self.resolve_path(path)
        try:
            key = (full, os.path.getmtime(full))
            if self._events is not None and self._loaded == key:
                return
            # read whole (MIDI files are small) and without blocking: a pipe or a device cannot hang the patch
            data = paths.read_bytes(full, MAX_MIDI_BYTES)
        except FileNotFoundError:
            raise NodeError(f"cannot find the MIDI file '{path}' (looked at {full})") from None
        except (OSError, ValueError) as e:
            raise NodeError(f"cannot read the MIDI file '{path}': {getattr(e, 'strerror', None) or e}") from None
        try:
            import mido

            mid = mido.MidiFile(file=io.BytesIO(data))
            events, t = [], 0.0
            for msg in mid:  # the tracks merged, times in seconds with the file's tempo changes
                t += msg.time
                if not msg.is_meta:
                    events.append((t * 1000.0, msg.copy(time=0)))
            length = mid.length * 1000.0
        except Exception as e:  # mido raises many kinds for a broken file
            raise NodeError(f"cannot read the MIDI file '{path}': {e or type(e).__name__}") from None
        self._events, self._length, self._loaded = events, max(length, events[-1][0] if events else 0.0), key

    def _play(self):
        self._halt()
        self._load()
        self._rate = self.inputs["tempo"] or self.params["tempo"]
        self._origin, self._next = self.now, 0
        self._plays += 1
        self._step()

    def _halt(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _retime(self, rate):
        """A new speed mid-play: the file position now stays where it is."""
        if self._timer is not None:
            pos = (self.now - self._origin) * self._rate
            self._origin = self.now - pos / rate
            self._rate = rate
            self._halt()
            self._wait()
        else:
            self._rate = rate

    def _at(self, file_ms):
        return self._origin + file_ms / self._rate

    def _step(self):
        self._timer = None
        events, now = self._events, self.now
        while self._next < len(events) and self._at(events[self._next][0]) <= now + 1e-6:
            self.emit("message", events[self._next][1])  # a chord: several values in this one run
            self._next += 1
        if self._next < len(events) or self._at(self._length) > now + 1e-6:
            self._wait()
            return
        self.emit("end", BANG)
        if self.params["loop"] and self._length > 0:
            self._origin, self._next = self._at(self._length), 0
            self._step()

    def _wait(self):
        if self._next < len(self._events):
            due = self._at(self._events[self._next][0])
        else:
            due = self._at(self._length)
        self._timer = self.schedule(max(0.0, due - self.now), self._step)

    def info(self):
        playing = self._timer is not None
        pos = (self.now - self._origin) * self._rate if playing and self.host is not None else None
        return {"playing": playing, "events": len(self._events) if self._events else 0,
                "length_ms": round(self._length, 1), "position_ms": None if pos is None else round(pos, 1),
                "plays": self._plays}
