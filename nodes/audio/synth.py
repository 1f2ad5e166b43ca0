"""synth: a small instrument a learner (or a slider, a MIDI knob) can play directly."""
from __future__ import annotations

import math

import numpy as np

from nodegraph import Inlet, NodeError, Param, register
from nodegraph.io import audio

from .base import AudioNode, sound_out
from . import dsp
from .dsp import Envelope, Lowpass, Phasor, Smooth, last, midi_to_hz, saw

# Every control is 0..1, so any learner's output can drive any of them.
CONTROLS = ("pitch", "brightness", "detune", "filter", "resonance", "attack", "release", "level")
DEFAULTS = {"pitch": 0.5, "brightness": 0.5, "detune": 0.2, "filter": 0.7, "resonance": 0.2,
            "attack": 0.1, "release": 0.3, "level": 0.7}
HELP = {
    "pitch": "0 is C2 (65 Hz), 1 is C7 (2093 Hz), in even steps of semitones (0.5 is F#4, 370 Hz)",
    "brightness": "subtractive: from a pure tone (0) to a full buzzy sawtooth (1); fm: how much the tone is bent",
    "detune": "subtractive: a second oscillator drifts up to 25 cents away (a chorus); fm: the modulator's ratio, "
              "1 to 7 (between whole numbers the sound turns bell-like)",
    "filter": "the low-pass filter's cutoff, which follows the pitch: 0 dark (half the note's frequency) to "
              "1 open (256 times it)",
    "resonance": "the filter's peak at the cutoff: 0 none, 1 a strong whistle",
    "attack": "how fast the sound starts when the gate opens: 0 at once, 1 three seconds",
    "release": "how slowly it fades when the gate closes: 0 at once, 1 four seconds",
    "level": "how loud: 0 silent, 1 full (it follows loudness as you hear it)",
}
VOICES = ("subtractive", "fm")
SMOOTH_MS = 25.0  # every control glides over ~25 ms: a prediction stream at 200 Hz never clicks


LOWEST_NOTE, NOTES = 36.0, 60.0  # pitch 0 is C2 (MIDI note 36), 1 is five octaves up (C7)


def pitch_hz(p):
    """The frequency the synth plays for a pitch control p (0..1)."""
    return midi_to_hz(LOWEST_NOTE + NOTES * p)


class SynthUnit(audio.Unit):
    def __init__(self, node, voice, values, gate):
        super().__init__(node)
        self.voice = voice
        self.s = {name: Smooth(values[name], SMOOTH_MS) for name in CONTROLS}
        self.osc1, self.osc2 = Phasor(), Phasor(0.37)
        self.lp = Lowpass()
        self.env = Envelope()
        self.env.gate = gate
        self.env.level = 1.0 if gate else 0.0  # a drone that is on when the patch opens starts at once...
        self.fade = Smooth(0.0, 10.0)  # ...but fades in over 10 ms, so it never starts with a click
        self.fade.target = 1.0

    def prepare(self, rate):
        super().prepare(rate)
        for sm in self.s.values():
            sm.prepare(rate)
        self.fade.prepare(rate)
        self.env.rate = rate

    def set(self, name, value):
        self.s[name].target = value
        if name == "attack":
            self.env.attack_ms = 1.0 + 3000.0 * value * value
        elif name == "release":
            self.env.release_ms = 5.0 + 4000.0 * value * value

    def set_gate(self, on):
        self.env.gate = on

    def set_voice(self, voice):
        self.voice = voice

    def render(self, n, ins):
        s = self.s
        rate = self.rate
        f = midi_to_hz(36.0 + 60.0 * s["pitch"].block(n))
        inc = f / rate
        bright = s["brightness"].block(n)
        detune = s["detune"].block(n)
        ph1 = self.osc1.block(inc, n)
        if self.voice == "fm":
            ratio = 1.0 + 6.0 * detune
            ph2 = self.osc2.block(inc * ratio, n)
            # Sidebands that matter reach about (index + 2) x the modulator (Carson's rule, with
            # margin); keep them under 0.4 x the rate, or high notes alias into tones that are
            # not the note's harmonics (measured: a 1480 Hz note heard an octave low)
            if isinstance(f, np.ndarray) or isinstance(bright, np.ndarray) or isinstance(ratio, np.ndarray):
                index = np.minimum(8.0 * bright, np.maximum(0.0, (0.4 * rate - f) / (f * ratio) - 2.0))
            else:  # a steady note: the index is one number
                index = min(8.0 * bright, max(0.0, (0.4 * rate - f) / (f * ratio) - 2.0))
            ph2 *= math.tau  # in place: the phases are this block's own arrays
            m = np.sin(ph2, out=ph2)
            m *= index
            ph1 *= math.tau
            ph1 += m
            x = np.sin(ph1, out=ph1)
        else:
            inc2 = inc * 2.0 ** (25.0 * detune / 1200.0)
            ph2 = self.osc2.block(inc2, n)
            sine = np.sin(math.tau * ph1)
            if not isinstance(bright, np.ndarray) and bright == 0.0:
                x = sine  # a pure tone: no sawtooth to compute
            else:
                x = sine + bright * (0.5 * (saw(ph1, inc) + saw(ph2, inc2)) - sine)
        # the cutoff follows the note (key tracking), so a timbre stays the same at every pitch
        cutoff = max(20.0, last(f) * 2.0 ** (9.0 * last(s["filter"].block(n)) - 1.0))
        q = 0.707 + 9.0 * last(s["resonance"].block(n))
        if cutoff < 0.45 * rate or q > 0.8:
            x = self.lp.block(x, cutoff, q, rate)
        level = s["level"].block(n)
        return x * (self.env.block(n) * (level * level) * 0.5 * self.fade.block(n))


@register("synth", category="sound")
class Synth(AudioNode):
    """A small synthesizer: every control 0..1, so a learner can play it directly.

    Two voices: `subtractive` (two sawtooth oscillators, a little detuned, through a
    low-pass filter) and `fm` (one sine bending another: bells, brass, metal).
    Each control (pitch, brightness, detune, filter, resonance, attack, release,
    level) has its own inlet; or send them all at once as one list of numbers
    into `vector` (a learner's output), in the order the `order` param names.
    Every change glides over a few milliseconds, so a stream of predictions
    never clicks. `gate` on: it sounds (a drone, the default); off: it fades
    out over the release time. Link its sound outlet to audio.out to hear it.

    From a keyboard: link midi.in's `note` and `velocity` to the inlets of the
    same names. A note number (60 is middle C; 36 to 96 play) sets the pitch
    and starts the note; velocity 0 (a key let go) ends it, unless another
    key was pressed since.
    """

    imports = (dsp.FILTER_MODULE,)

    inlets = (Inlet("vector", "vector", help="several controls at once, 0..1 each, in the order of `order`"),
              *(Inlet(name, "float", help=HELP[name]) for name in CONTROLS),
              Inlet("gate", "bool", help="on: it sounds; off: it fades out (release)"),
              Inlet("note", "float", help="a MIDI note number (60: middle C, 36 to 96): plays that note"),
              Inlet("velocity", "float", hot=False, help="a MIDI velocity with the note: 0 ends the note"))
    outlets = (sound_out("the synth's sound: link it to audio.out"),)
    params = (Param("voice", "choice", "subtractive", choices=VOICES,
                    help="subtractive: sawtooth and filter; fm: frequency modulation"),
              *(Param(name, "float", DEFAULTS[name], min=0.0, max=1.0, help=HELP[name]) for name in CONTROLS),
              Param("gate", "bool", True, help="on: it sounds from the start (a drone)"),
              Param("order", "text", "pitch brightness detune filter attack",
                    help="which controls the numbers of `vector` set, in order"))

    def setup(self):
        super().setup()
        self.values = {name: self.params[name] for name in CONTROLS}
        self.gate = self.params["gate"]
        self._order = self._parse_order(self.params["order"])
        self._note = None  # the note a keyboard plays now
        self._short_seen = None  # the length of a short vector already told about

    @staticmethod
    def _parse_order(text):
        """The controls `vector` sets; a name that is no control is refused when a vector comes."""
        return text.replace(",", " ").split()

    def make_unit(self):
        unit = SynthUnit(self, self.params["voice"], self.values, self.gate)
        for name in ("attack", "release"):
            unit.set(name, self.values[name])
        return unit

    def param_changed(self, name, old):
        if name in CONTROLS:
            self._set(name, self.params[name])
        elif name == "gate":
            self._set_gate(self.params["gate"])
        elif name == "voice" and self.unit is not None:
            self.control(self.unit.set_voice, self.params["voice"])
        elif name == "order":
            self._order = self._parse_order(self.params["order"])

    def _set(self, name, value):
        value = min(1.0, max(0.0, float(value)))
        if not math.isfinite(value):
            return
        self.values[name] = value
        if self.unit is not None:
            self.control(self.unit.set, name, value)

    def _set_gate(self, on):
        self.gate = bool(on)
        if self.unit is not None:
            self.control(self.unit.set_gate, self.gate)

    def process(self, fired):
        if "note" in fired:  # (velocity is cold: it comes with its note)
            self._play_note(self.inputs["note"], self.inputs["velocity"])
        for name in fired:
            value = self.inputs[name]
            if name in ("note", "velocity"):
                continue
            if name == "gate":
                self._set_gate(value)
            elif name == "vector":
                self._set_vector(value)
            elif name in CONTROLS:
                if not math.isfinite(value):
                    raise NodeError(f"{name}: {value} is not a number it can play")
                self._set(name, value)

    def _play_note(self, note, velocity):
        """A keyboard's note (midi.in sends velocity first, then the note, as Pd's notein)."""
        if velocity is not None and not math.isfinite(velocity):
            raise NodeError(f"velocity: {velocity} is not a number")
        on = velocity is None or velocity > 0
        if not math.isfinite(note):
            raise NodeError(f"note: {note} is not a note number")
        if on:
            self._note = note
            self._set("pitch", (note - LOWEST_NOTE) / NOTES)
            self._set_gate(True)
        elif note == self._note:  # the key let go is the one sounding (not one pressed before it)
            self._note = None
            self._set_gate(False)

    def _set_vector(self, v):
        order = self._order
        bad = [n for n in order if n not in CONTROLS]
        if bad:
            raise NodeError(f"order: '{bad[0]}' is not a control (they are: {', '.join(CONTROLS)})")
        if not np.all(np.isfinite(v)):
            raise NodeError("vector: holds a value that is not a number (nan or infinity); ignored")
        for name, x in zip(order, v):
            self._set(name, x)
        if len(v) > len(order):  # numbers lost: an error until the lengths agree
            raise NodeError(f"vector: got {len(v)} numbers for {len(order)} controls ({' '.join(order)}); "
                            "the extra ones were ignored")
        if len(v) < len(order) and len(v) != self._short_seen:  # fewer: it plays what came, said once
            self._short_seen = len(v)
            self.log(f"vector: {len(v)} numbers set the first {len(v)} of {' '.join(order)}", "warning")

    def shown(self, name):
        """On the canvas a control shows what plays now (an inlet of its name may have set it)."""
        if name in CONTROLS:
            return self.values[name]
        return self.gate if name == "gate" else super().shown(name)

    def info(self):
        return {"voice": self.params["voice"], "pitch_hz": round(pitch_hz(self.values["pitch"]), 1),
                "gate": self.gate}
