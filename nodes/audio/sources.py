"""Sound in and out: the sound card, sound files (played, scrubbed, recorded)."""
from __future__ import annotations

import collections
import math
import os
import threading

import numpy as np

from nodegraph import BANG, Inlet, NodeError, Outlet, Param, register
from nodegraph.io import audio

from .base import SOUND, AudioNode, sound_out
from .dsp import Smooth, full

DEVICE = Param("device", "text", "",
               help="the sound card (or JACK client): its name or part of it; empty: the default one")


def _db(x):
    return -120.0 if x <= 1e-6 else max(-120.0, 20.0 * math.log10(x))


# ---- audio.out ------------------------------------------------------------------------------

class OutUnit(audio.Unit):
    inputs = (SOUND,)
    is_output = True

    def __init__(self, node, gain):
        super().__init__(node)
        self.gain = Smooth(gain, 20.0)
        self.peak = 0.0

    def prepare(self, rate):
        super().prepare(rate)
        self.gain.prepare(rate)

    def set_gain(self, g):
        self.gain.target = g

    def render(self, n, ins):
        x = ins[0]
        g = self.gain.block(n)
        if x is None:
            self.peak = 0.0
            return None
        y = x * g
        self.peak = float(np.max(np.abs(y)))
        return y


@register("audio.out", category="sound")
class AudioOut(AudioNode):
    """Plays sound on the sound card (both speakers).

    Link any sound outlet (synth, audio.file, sampler...) to it; several links add
    up. `volume` 0..1 follows loudness as you hear it; `mute` silences it with a
    short fade, never a click. The node shows the level it plays.

    With no sound card (or no JACK server) it says why, stays silent and the rest
    of the patch runs on; it connects when a device appears. `nodegraph render`
    writes what it would play to a WAV file instead.
    """

    inlets = (Inlet(SOUND, "signal", help="the sound to play"),
              Inlet("volume", "float", help="0 silent .. 1 full"),
              Inlet("mute", "bool", help="on: silent"))
    params = (Param("volume", "float", 0.8, min=0.0, max=1.0, help="0 silent .. 1 full"),
              Param("mute", "bool", False, help="on: silent"),
              DEVICE)

    def setup(self):
        super().setup()
        self.volume = self.params["volume"]
        self.mute = self.params["mute"]

    def _gain(self):
        return 0.0 if self.mute else self.volume * self.volume

    def make_unit(self):
        return OutUnit(self, self._gain())

    def param_changed(self, name, old):
        if name in ("volume", "mute"):
            setattr(self, name, self.params[name])
            self._apply()
        elif name == "device" and self.engine is not None:
            self.engine.want_device()

    def _apply(self):
        if self.unit is not None:
            self.control(self.unit.set_gain, self._gain())

    def process(self, fired):
        if "volume" in fired:
            v = self.inputs["volume"]
            if not math.isfinite(v):
                raise NodeError(f"volume: {v} is not a number")
            self.volume = min(1.0, max(0.0, v))
        if "mute" in fired:
            self.mute = bool(self.inputs["mute"])
        self._apply()
        self.still_no_device()

    def info(self):
        unit = self.unit
        d = self.device_info()
        d["level_db"] = round(_db(unit.peak), 1) if unit is not None else -120.0
        d["volume"], d["mute"] = self.volume, self.mute
        return d


# ---- audio.in -------------------------------------------------------------------------------

class InUnit(audio.Unit):
    is_input = True

    def __init__(self, node, channel):
        super().__init__(node)
        self.channel = channel
        self.buf = None
        self.peak = 0.0

    def set_channel(self, channel):
        self.channel = channel

    def feed(self, indata):
        c = self.channel - 1
        self.buf = indata[:, c].astype(np.float64) if c < indata.shape[1] else None

    def render(self, n, ins):
        buf, self.buf = self.buf, None
        if buf is None or len(buf) != n:
            self.peak = 0.0
            return None
        self.peak = float(np.max(np.abs(buf)))
        return buf


@register("audio.in", category="sound")
class AudioIn(AudioNode):
    """Sound from the sound card's input: a microphone, a line in, a JACK port.

    `channel` picks which input (1 is the first). Link its sound outlet to
    descriptors to turn it into numbers a learner can use. With no sound card it
    says why and gives silence; use audio.file to work from a recording instead.
    """

    outlets = (sound_out("the input's sound"),)
    params = (DEVICE, Param("channel", "int", 1, min=1, max=64, help="which input: 1 is the first"))

    def make_unit(self):
        return InUnit(self, self.params["channel"])

    def started(self):
        if self.engine.offline:
            self.log("an offline render has no live input: audio.in is silent (audio.file plays a recording)",
                     "warning")

    def param_changed(self, name, old):
        if self.unit is not None and name in ("channel", "device"):
            self.control(self.unit.set_channel, self.params["channel"])
            self.engine.want_device()

    def info(self):
        d = self.device_info()
        d["level_db"] = round(_db(self.unit.peak), 1) if self.unit is not None else -120.0
        return d


# ---- files: audio.file and sampler ----------------------------------------------------------

class FileNode(AudioNode):
    """Loads `file` off the scheduler thread when the patch starts or the file changes."""

    def setup(self):
        super().setup()
        self.loaded = None  # (path, frames, seconds) once loaded
        self._gen = 0

    def started(self):
        self._load()

    def _load(self):
        self._gen += 1
        gen = self._gen
        text = self.params["file"].strip()
        if not text:
            self.host.fail(self, "no sound file chosen: set the node's file")
            return
        path = self.resolve_path(text)
        self.engine.load(self, path, lambda data, error: self._loaded(gen, path, data, error))

    def _loaded(self, gen, path, data, error):
        if gen != self._gen or self.unit is None:
            return
        if error is not None:
            self.loaded = None
            self.control(self.unit.set_buffer, None)
            self.host.fail(self, error)  # one line; the node is silent, the patch plays on
            return
        mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
        mono = mono.astype(np.float64)
        self.loaded = (path, len(mono), len(mono) / self.engine.rate)
        self.control(self.unit.set_buffer, mono)
        if self.error is not None:
            self.error = None
            self.host.notify("error", self.id, None)
        self.log(f"loaded '{os.path.basename(path)}' ({self.loaded[2]:.2f} s)")

    def file_info(self):
        if self.loaded is None:
            return {"file": None}
        return {"file": os.path.basename(self.loaded[0]), "seconds": round(self.loaded[2], 2)}


class PlayerUnit(audio.Unit):
    """What plays a loaded sound file: its gain, and a fade on start, stop and every jump
    or loop seam, so none clicks. `frames(buf, n)` gives the next n frames as recorded."""

    def __init__(self, node, playing, loop, gain):
        super().__init__(node)
        self.buf = None
        self.playing, self.loop = playing, loop
        self.gain = Smooth(gain, 20.0)
        self.fade = Smooth(0.0, 5.0)

    def prepare(self, rate):
        super().prepare(rate)
        self.gain.prepare(rate)
        self.fade.prepare(rate)

    def set(self, attr, value):
        setattr(self, attr, value)

    def set_gain(self, g):
        self.gain.target = g

    def render(self, n, ins):
        buf = self.buf
        self.fade.target = 1.0 if (self.playing and buf is not None) else 0.0
        if buf is None or (self.fade.value == 0.0 and self.fade.target == 0.0):
            return None
        return self.frames(buf, n) * self.gain.block(n) * self.fade.block(n)


class FileUnit(PlayerUnit):
    def __init__(self, node, playing, loop, gain):
        super().__init__(node, playing, loop, gain)
        self.pos = 0

    def set_buffer(self, buf):
        self.buf, self.pos = buf, 0

    def rewind(self):
        self.pos = 0

    def frames(self, buf, n):
        size = len(buf)
        out = np.zeros(n)
        done = 0
        while done < n:
            if self.pos >= size:
                if not self.loop:
                    self.playing = False
                    self.send(self.node.ended)
                    break
                self.pos = 0
                self.send(self.node.ended)
            k = min(n - done, size - self.pos)
            out[done:done + k] = buf[self.pos:self.pos + k]
            self.pos += k
            done += k
        return out


@register("audio.file", category="sound")
class AudioFile(FileNode):
    """Plays a sound file as if it were the input, looped: for teaching and testing without a microphone.

    `file` is a WAV, AIFF, FLAC or OGG file (relative to the patch's folder).
    Link its sound outlet to descriptors (to learn from it) and/or to audio.out
    (to hear it). `play` off pauses it; `rewind` starts it again from the
    beginning; `end` bangs each time it reaches the end. A file that is missing or
    not sound gives a one-line message on the node; the patch runs on.
    """

    inlets = (Inlet("play", "bool", help="on: play; off: pause"),
              Inlet("rewind", "bang", help="back to the beginning"))
    outlets = (sound_out("the file's sound"), Outlet("end", "bang", help="the end was reached"))
    params = (Param("file", "text", "", help="the sound file (relative to the patch's folder)"),
              Param("loop", "bool", True, help="start again at the end"),
              Param("play", "bool", True, help="playing when the patch starts"),
              Param("gain", "float", 1.0, min=0.0, max=4.0, help="how loud (1 as recorded)"))

    def make_unit(self):
        return FileUnit(self, self.params["play"], self.params["loop"], self.params["gain"])

    def param_changed(self, name, old):
        if self.unit is None:
            return
        if name == "file":
            self._load()
        elif name in ("loop", "play"):
            self.control(self.unit.set, "playing" if name == "play" else "loop", self.params[name])
        elif name == "gain":
            self.control(self.unit.set_gain, self.params["gain"])

    def process(self, fired):
        if self.unit is None:
            return
        if "play" in fired:
            self.control(self.unit.set, "playing", bool(self.inputs["play"]))
        if "rewind" in fired:
            self.control(self.unit.rewind)
            self.control(self.unit.set, "playing", True)

    def ended(self):
        self.emit("end", BANG)

    def info(self):
        return self.file_info()


# ---- sampler --------------------------------------------------------------------------------

GRAIN_OVERLAP = 4  # grains sounding at once in grain mode


class SamplerUnit(PlayerUnit):
    def __init__(self, node, p):
        super().__init__(node, p["play"], p["loop"], p["gain"])
        self.head = 0.0  # play mode: the read position in frames
        self.position = Smooth(p["position"], 30.0)
        self.rate_ = Smooth(p["rate"], 30.0)
        self.mode = p["mode"]
        self.grain_ms, self.jitter = p["grain"], p["jitter"]
        self.grains = []  # [start frame, age]
        self.until_next = 0
        self.rng = np.random.default_rng(0)  # seeded: a render is the same every time
        self.pending_jump = None

    def prepare(self, rate):
        super().prepare(rate)
        self.position.prepare(rate)
        self.rate_.prepare(rate)

    def set_buffer(self, buf):
        self.buf = buf
        self.head = self.position.target * (len(buf) - 1) if buf is not None else 0.0
        self.grains = []

    def set_position(self, p, jump):
        self.position.target = p
        if jump:
            self.pending_jump = p

    def set_smooth(self, name, value):
        getattr(self, name).target = value

    def frames(self, buf, n):
        size = len(buf)
        pos = full(self.position.block(n), n)
        rate = full(self.rate_.block(n), n)
        if self.mode == "grain":
            return self._grains(buf, size, pos, rate, n)
        return self._play(buf, size, rate, n)

    def _play(self, buf, size, rate, n):
        if self.pending_jump is not None:  # a new position: jump there (the fade hides the seam)
            self.head = self.pending_jump * (size - 1)
            self.pending_jump = None
        idx = self.head + np.cumsum(rate) - rate
        self.head = float(idx[-1] + rate[-1])
        if self.loop:
            idx %= size - 1 if size > 1 else 1
            self.head %= size - 1 if size > 1 else 1
        elif self.playing and not 0 <= self.head <= size - 1:
            self.playing = False  # fades out; `end` once
            self.send(self.node.ended)
        return _interp(buf, np.clip(idx, 0, size - 1))

    def _grains(self, buf, size, pos, rate, n):
        self.pending_jump = None
        length = max(16, int(self.grain_ms * self.rate / 1000.0))
        gap = max(1, length // GRAIN_OVERLAP)
        out = np.zeros(n)
        t = self.until_next
        while t < n:  # start the grains due in this block, at the position at that moment
            jitter = self.jitter * length * (self.rng.random() - 0.5)
            self.grains.append([pos[t] * (size - 1) + jitter, -t])
            t += gap
        self.until_next = t - n
        window_norm = 2.0 / GRAIN_OVERLAP  # Hann grains overlapping 4x sum to 2: scale to 1
        keep = []
        for g in self.grains:
            start, age = g
            k0 = max(0, -age)
            ages = age + np.arange(k0, n)
            ages = ages[ages < length]
            if len(ages):
                r = rate[k0:k0 + len(ages)]
                idx = start + ages * r
                if self.loop:
                    idx %= size
                w = 0.5 - 0.5 * np.cos(2 * math.pi * ages / length)
                out[k0:k0 + len(ages)] += _interp(buf, np.clip(idx, 0, size - 1)) * w * window_norm
            g[1] = age + n
            if g[1] < length:
                keep.append(g)
        self.grains = keep
        return out


def _interp(buf, idx):
    i0 = idx.astype(np.int64)
    i1 = np.minimum(i0 + 1, len(buf) - 1)
    frac = idx - i0
    return buf[i0] * (1.0 - frac) + buf[i1] * frac


@register("sampler", category="sound")
class Sampler(FileNode):
    """Plays a sound file from any point, at any speed; or in grains, to scrub through it.

    `play` mode: a tape head. `position` (0 start .. 1 end) jumps it there,
    `rate` sets the speed (1 as recorded, 2 an octave up, -1 backwards).
    `grain` mode: many short overlapping grains are taken from around
    `position`, so moving `position` slowly (the mouse, a learner) scrubs through
    the sound and holding it still freezes it. `grain` sets their length, `jitter`
    how far around the position they wander.
    """

    inlets = (Inlet("position", "float", help="0 the start .. 1 the end"),
              Inlet("rate", "float", help="speed: 1 as recorded, 0.5 an octave down, -1 backwards"),
              Inlet("play", "bool", help="on: play; off: silent"))
    outlets = (sound_out("the sampler's sound"), Outlet("end", "bang", help="play mode, no loop: the end was reached"))
    params = (Param("file", "text", "", help="the sound file (relative to the patch's folder)"),
              Param("mode", "choice", "play", choices=("play", "grain"), help="play: a tape head; grain: scrub"),
              Param("position", "float", 0.0, min=0.0, max=1.0, help="where to play from: 0 start .. 1 end"),
              Param("rate", "float", 1.0, min=-8.0, max=8.0, help="speed: 1 as recorded"),
              Param("loop", "bool", True, help="start again at the end"),
              Param("play", "bool", True, help="playing when the patch starts"),
              Param("grain", "float", 80.0, min=5.0, max=1000.0, help="grain mode: each grain's length (ms)"),
              Param("jitter", "float", 0.1, min=0.0, max=4.0, help="grain mode: how far grains wander (in grains)"),
              Param("gain", "float", 1.0, min=0.0, max=4.0, help="how loud (1 as recorded)"))

    def make_unit(self):
        return SamplerUnit(self, self.params)

    def param_changed(self, name, old):
        if self.unit is None:
            return
        value = self.params[name]
        if name == "file":
            self._load()
        elif name == "position":
            self.control(self.unit.set_position, value, True)
        elif name in ("rate", "gain"):
            self.control(self.unit.set_smooth, "rate_" if name == "rate" else name, value)
        elif name in ("mode", "loop", "play", "jitter"):
            self.control(self.unit.set, "playing" if name == "play" else name, value)
        elif name == "grain":
            self.control(self.unit.set, "grain_ms", value)

    def process(self, fired):
        for name in fired:
            v = self.inputs[name]
            if name != "play" and not math.isfinite(v):
                raise NodeError(f"{name}: {v} is not a number")
            if self.unit is None:
                continue
            if name == "position":
                self.control(self.unit.set_position, min(1.0, max(0.0, v)), True)
            elif name == "rate":
                self.control(self.unit.set_smooth, "rate_", min(8.0, max(-8.0, v)))
            elif name == "play":
                self.control(self.unit.set, "playing", bool(v))

    def ended(self):
        self.emit("end", BANG)

    def info(self):
        return self.file_info()


# ---- audio.record ---------------------------------------------------------------------------

class RecordUnit(audio.Unit):
    inputs = (SOUND,)

    def __init__(self, node):
        super().__init__(node)
        self.queue = None  # a deque the writer drains, while recording

    def set_queue(self, q):
        self.queue = q

    def end_take(self, writer):
        self.queue = None
        writer.done.set()

    def render(self, n, ins):
        q = self.queue
        if q is not None:
            x = ins[0]
            q.append(np.zeros(n, np.float32) if x is None else x.astype(np.float32))
        return None


class _Writer(threading.Thread):
    """Writes the blocks the audio thread queues to a WAV file (neither the audio nor the
    scheduler thread ever touches the disk)."""

    def __init__(self, path, rate, queue, on_error, on_done):
        super().__init__(name="nodegraph-audio-record", daemon=True)
        self.path, self.rate, self.queue, self.on_error, self.on_done = path, rate, queue, on_error, on_done
        self.done = threading.Event()
        self.frames = 0

    def run(self):
        import soundfile

        try:
            with soundfile.SoundFile(self.path, "w", samplerate=self.rate, channels=1,
                                     subtype="PCM_24", format="WAV") as f:
                while True:
                    finishing = self.done.is_set()
                    while self.queue:
                        block = self.queue.popleft()
                        f.write(np.clip(block, -1.0, 1.0))
                        self.frames += len(block)
                    if finishing:
                        break
                    self.done.wait(0.05)
            self.on_done()
        except Exception as e:
            self.on_error(f"cannot record to '{self.path}': {str(e).splitlines()[0] if str(e) else type(e).__name__}")


@register("audio.record", category="sound")
class AudioRecord(AudioNode):
    """Records the sound linked to it into a WAV file.

    Switch `record` on to start (the file is replaced) and off to finish; each
    take is written to disk as it goes. `file` is relative to the patch's folder.
    """

    inlets = (Inlet(SOUND, "signal", help="the sound to record"),
              Inlet("record", "bool", help="on: start a new take; off: finish it"))
    outlets = (Outlet("done", "text", help="the file's path when a take is finished"),)
    params = (Param("file", "text", "recording.wav", help="the WAV file to write (replaced by each take)"),)

    Unit = RecordUnit

    def setup(self):
        super().setup()
        self._writer = None

    def process(self, fired):
        if "record" not in fired:
            return
        if self.inputs["record"]:
            self._start()
        else:
            self._finish()

    def _start(self):
        if self._writer is not None or self.unit is None:
            return
        text = self.params["file"].strip()
        if not text:
            raise NodeError("choose the file to record to: set the node's file")
        path = self.resolve_path(text)
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            raise NodeError(f"cannot record to '{path}': its folder does not exist")
        q = collections.deque()
        offline = self.engine.offline  # a render waits for the file instead: same events every time
        self._writer = _Writer(path, self.engine.rate, q, lambda msg: self.post(self._failed, msg),
                               (lambda: None) if offline else (lambda: self.post(self._written, path)))
        self._writer.start()
        self.control(self.unit.set_queue, q)
        self.log(f"recording to '{path}'")

    def _finish(self, wait=False):
        writer, self._writer = self._writer, None
        if writer is None:
            return
        if self.unit is not None and self.engine is not None:
            # on the audio thread, after its last block for this take: no block is lost or late
            self.control(self.unit.end_take, writer)
            if self.engine.offline:
                writer.join(timeout=10)
                if not wait:  # stopping: the take is saved, nothing runs any more
                    self._written(writer.path)
        else:
            writer.done.set()
        if wait:
            writer.done.set()
            writer.join(timeout=10)

    def _written(self, path):
        self.log(f"recorded to '{path}'")
        self.emit("done", path)

    def _failed(self, message):
        self.host.fail(self, message)

    def stop(self):
        self._finish(wait=True)
        super().stop()

    def info(self):
        return {"recording": self._writer is not None}
