"""The audio engine: sound devices, the audio thread, sound files, offline rendering.

No node classes here (those are in nodes/audio/). The engine is python-sounddevice
(PortAudio) driving numpy DSP: PortAudio opens the device (JACK, ALSA, CoreAudio,
WASAPI) and calls back once per block on its own thread; each audio node's DSP
part (a `Unit`) renders that block with numpy. The same units render offline,
block by block between the steps of a manual clock, so `nodegraph render` gives the
same file every time.

Threads.
- The device's own callback is C (rtmixer), not Python: it only copies between the
  device and two lock-free ring buffers, so it never waits for the GIL, a garbage
  collection or a Python lock, and the device never sees Python's pauses.
- The audio thread (the feeder while a device is open, the engine's own pacing
  thread when none is) renders blocks and does nothing else: no imports, no files,
  no printing. It keeps the output ring `AHEAD` frames ahead of the device: that
  is the latency bought, and the longest stall of the interpreter (another thread
  holding the GIL, a collection) that the sound survives. It reads controls from a
  queue the scheduler fills (`Engine.control`), and sends values back by posting
  to the scheduler's inbox (`Unit.send`), never by calling a node.
- The device thread opens, watches and reopens the sound device and loads sound
  files, so neither PortAudio's start-up nor a disk read ever stalls the scheduler.
- Everything else (adding units, rewiring) happens on the scheduler thread; the
  audio thread sees a new plan by one reference swap.

Devices come and go: with no device the audio nodes say why and the patch runs on
(sound nodes keep being rendered at real-time pace, so analysis of a sound file
still works); the device is retried once a second, then ever more rarely.
"""
from __future__ import annotations

import collections
import ctypes
import ctypes.util
import logging
import math
import os
import threading
import time
import weakref

import numpy as np

from .. import collector

RATE = 48000  # the sample rate when the device does not impose one, and for offline renders
BLOCK = 256  # frames per block (5.3 ms at 48 kHz)
CLIENT = "nodegraph"  # the JACK client name of our ports
log = logging.getLogger("nodegraph.audio")
RETRY_S = 1.0  # a device that cannot be opened is retried after this...
RETRY_MAX_S = 30.0  # ...doubling up to this
STALL_S = 1.5  # a running stream whose callback has not run for this long has lost its device
# Frames rendered ahead of the device: the latency the output adds, 21.3 ms at 48 kHz
# (Pd's own default on Linux is 25 ms). Less one device period, it is the longest stall
# of the interpreter the sound rides out: ~16 ms, past the 10 ms a learner holds the GIL
# to gather 10,000 examples and the machine's own hiccups (bench/audio.py; 512 frames
# still played gaps there). 0 renders inside PortAudio's callback, in Python, as before
# rtmixer: bench/audio.py compares the two.
AHEAD = 1024
FEED_PRIORITY = 1  # SCHED_FIFO, when allowed: above any ordinary thread, below JACK's (its clients get 5+)


JACK_GONE = ("no sound: the JACK server stopped (sound stays off until nodegraph is started again; "
             "the rest of the patch runs on)")


class AudioUnavailable(Exception):
    """The sound device cannot be used; the text is a sentence for the person."""


class SoundFileError(Exception):
    """A sound file cannot be read or written; the text is one line."""


# ---- sound files ------------------------------------------------------------------------------

def read_sound(path, rate) -> np.ndarray:
    """A sound file as float32 frames x channels at `rate`; SoundFileError in one line if not."""
    import soundfile  # not on the audio thread: called from the device thread or the renderer

    if not path or not str(path).strip():
        raise SoundFileError("no sound file chosen: set the node's file")
    if not os.path.exists(path):
        raise SoundFileError(f"the sound file '{path}' does not exist")
    try:
        data, sr = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as e:  # libsndfile's reasons come as RuntimeError/LibsndfileError/TypeError
        reason = str(e).split(":")[-1].strip() or type(e).__name__
        raise SoundFileError(f"'{os.path.basename(path)}' is not a sound file this can read ({reason})") from None
    if data.shape[0] == 0:
        raise SoundFileError(f"'{os.path.basename(path)}' has no sound in it (0 frames)")
    if sr != rate:
        from scipy.signal import resample_poly

        g = math.gcd(int(sr), int(rate))
        data = resample_poly(data, rate // g, int(sr) // g, axis=0).astype(np.float32)
    return np.ascontiguousarray(data)


def write_wav(path, frames, rate):
    """Write float frames (n or n x channels) as a 24-bit WAV, atomically."""
    import soundfile

    tmp = f"{path}.part"
    try:
        soundfile.write(tmp, np.clip(frames, -1.0, 1.0), rate, subtype="PCM_24", format="WAV")
        os.replace(tmp, path)
    except Exception as e:
        raise SoundFileError(f"cannot write '{path}': {e}") from None


# ---- DSP units: the audio-thread half of an audio node ----------------------------------------

class Unit:
    """One audio node's sound part. `render` runs on the audio thread only.

    `inputs` names the node's sound inlets; `render(n, ins)` gets, per inlet, the sum of
    what is linked to it (a float64 array of n frames) or None when nothing is, and
    returns n frames (or None for silence). Outputs (`is_output`) also leave through
    the device; inputs (`is_input`) are fed the device's channel first.
    """

    inputs = ()
    is_output = False
    is_input = False

    def __init__(self, node):
        self.node = node
        self.engine = None
        self.rate = RATE
        self.failed = False

    def prepare(self, rate):
        """The sample rate is (now) `rate`: size buffers, coefficients. Not on the audio thread."""
        self.rate = rate

    def render(self, n, ins):
        return None

    def send(self, fn, *args):
        """From the audio thread: run fn(*args) on the scheduler thread (a new cascade there)."""
        engine = self.engine
        if engine is not None:
            engine.scheduler.post(self.node, fn, args)


class _Plan:
    """What the audio thread runs: units in signal order, each with its sources per inlet."""

    __slots__ = ("steps", "outputs", "inputs")

    def __init__(self, steps=()):
        self.steps = tuple(steps)  # (unit, ((source index, ...) per inlet))
        self.outputs = tuple(i for i, (u, _) in enumerate(self.steps) if u.is_output)
        self.inputs = tuple(u for u, _ in self.steps if u.is_input)


# ---- the engine -------------------------------------------------------------------------------

class Engine:
    """The audio of one scheduler (one running patch)."""

    def __init__(self, scheduler):
        self.scheduler = scheduler
        self.offline = bool(getattr(scheduler.clock, "manual", False))
        self.rate = RATE
        self.block = BLOCK
        self.units = {}  # node id -> Unit
        self.plan = _Plan()
        self.controls = collections.deque()  # (fn, args) from the scheduler, run at the next block
        self.frames = 0  # frames rendered so far
        self.xruns = 0  # blocks the device flagged (PortAudio's status: an xrun anywhere on a JACK server)
        self.late = 0  # times the feeder fell AHEAD behind and the device played a gap
        self.status = "offline render" if self.offline else "starting"
        self.device_name = None
        self.peak = 0.0  # the output's peak over the last block (meters)
        self._render_lock = threading.Lock()  # the stream's callback and the pacing thread never overlap
        self._unsubscribe = scheduler.graph.subscribe(self._graph_changed)
        self._device = None if self.offline else _DeviceThread(self)

    # -- units (scheduler thread) --

    def add(self, node, unit):
        unit.engine = self
        unit.prepare(self.rate)
        self.units[node.id] = unit
        self.rebuild()
        if self._device is not None:
            self._device.want()

    def remove(self, node):
        unit = self.units.pop(node.id, None)
        if unit is not None:
            unit.engine = None
        self.rebuild()
        if not self.units:
            self.shutdown()
        elif self._device is not None:
            self._device.want()

    def replace(self, node, unit):
        """A node's new unit (new sizes) in its old one's place, without stopping the engine."""
        unit.engine = self
        unit.prepare(self.rate)
        old = self.units.get(node.id)
        if old is not None:
            old.engine = None
        self.units[node.id] = unit
        self.rebuild()

    def want_device(self):
        """A device param changed: the device thread looks again."""
        if self._device is not None:
            self._device.want()

    def control(self, fn, *args):
        """From the scheduler: run fn(*args) on the audio thread before its next block."""
        if self.offline:
            fn(*args)  # the renderer is this very thread, between two blocks
        else:
            self.controls.append((fn, args))

    def load(self, node, path, done):
        """Read a sound file off the scheduler thread; done(data or None, error or None) runs on the
        scheduler thread. Offline (a render) it is read at once, so the render is reproducible."""
        rate = self.rate
        if self._device is None:
            try:
                done(read_sound(path, rate), None)
            except SoundFileError as e:
                done(None, str(e))
            return
        self._device.job(lambda: _load_job(self.scheduler, node, path, rate, done))

    def rebuild(self):
        """Order the units along the sound links (sources first, ties by node id)."""
        graph = self.scheduler.graph
        ids = sorted(self.units)
        feeds = {i: {} for i in ids}  # dst -> inlet -> [src]
        edges = {i: set() for i in ids}
        for link in graph.links:
            if link.src in self.units and link.dst in self.units:
                src = graph.nodes.get(link.src)
                outlet = src.outlet_map.get(link.outlet) if src is not None else None
                if outlet is not None and outlet.type == "signal":
                    feeds[link.dst].setdefault(link.inlet, []).append(link.src)
                    edges[link.src].add(link.dst)
        order, indeg = [], {i: 0 for i in ids}
        for s in ids:
            for d in edges[s]:
                indeg[d] += 1
        ready = sorted(i for i in ids if indeg[i] == 0)
        while ready:
            i = ready.pop(0)
            order.append(i)
            for d in sorted(edges[i]):
                indeg[d] -= 1
                if indeg[d] == 0:
                    ready.append(d)
            ready.sort()
        index = {node_id: k for k, node_id in enumerate(order)}
        steps = []
        for node_id in order:
            unit = self.units[node_id]
            sources = tuple(tuple(sorted(index[s] for s in feeds[node_id].get(name, ())))
                            for name in unit.inputs)
            steps.append((unit, sources))
        self.plan = _Plan(steps)  # one reference swap: the audio thread sees old or new, whole

    def _graph_changed(self, event, *args):
        if event in ("linked", "unlinked"):
            link = args[0]
            if link.src in self.units and link.dst in self.units:
                self.rebuild()

    # -- rendering (audio thread, or the renderer) --

    def render_block(self, n, indata=None):
        """Render n frames; returns the mix of every output (n frames, mono float64)."""
        controls = self.controls
        while controls:
            fn, args = controls.popleft()
            fn(*args)
        plan = self.plan
        if indata is not None:
            for unit in plan.inputs:
                unit.feed(indata)
        outs = [None] * len(plan.steps)
        for k, (unit, sources) in enumerate(plan.steps):
            if unit.failed:
                continue
            ins = []
            for srcs in sources:
                acc = None
                for s in srcs:
                    o = outs[s]
                    if o is not None:
                        acc = o.copy() if acc is None else acc + o
                ins.append(acc if srcs else None)
            try:
                outs[k] = unit.render(n, ins)
            except Exception as e:  # a broken unit goes silent and says so; the others play on
                unit.failed = True
                unit.send(_unit_failed, unit, f"its sound stopped: {type(e).__name__}: {e}")
        mix = None
        for k in plan.outputs:
            o = outs[k]
            if o is not None:
                mix = o.copy() if mix is None else mix + o
        self.frames += n
        if mix is None:
            self.peak = 0.0
            return np.zeros(n)
        self.peak = float(np.max(np.abs(mix)))
        return mix

    # -- life --

    def shutdown(self):
        if self._device is not None:
            self._device.stop()
            self._device = None
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except ValueError:
                pass
            self._unsubscribe = None
        _forget(self)

    def wants_device(self):
        """(output wanted, input wanted, output device name, input device name, input channels)."""
        units = list(self.units.values())  # one step under the GIL: the scheduler may be adding one
        outs = [u for u in units if u.is_output]
        ins = [u for u in units if u.is_input]
        return (bool(outs), bool(ins),
                outs[0].node.params.get("device", "") if outs else "",
                ins[0].node.params.get("device", "") if ins else "",
                max((u.channel for u in ins), default=1))

    def info(self) -> dict:
        return {"status": self.status, "device": self.device_name, "rate": self.rate,
                "block": self.block, "xruns": self.xruns, "late": self.late, "offline": self.offline}

    def set_status(self, status, device_name):
        """On the scheduler thread: the device opened, failed or went away; tell the nodes."""
        self.status, self.device_name = status, device_name
        for unit in list(self.units.values()):
            if unit.is_output or unit.is_input:
                unit.node.device_status(None if device_name else status)


def _unit_failed(unit, message):
    unit.node.host.fail(unit.node, message)


def _load_job(scheduler, node, path, rate, done):
    try:
        data, error = read_sound(path, rate), None
    except SoundFileError as e:
        data, error = None, str(e)
    except Exception as e:  # MemoryError on a huge file...: the node says so, the engine goes on
        data, error = None, f"cannot load '{os.path.basename(path)}': {type(e).__name__}: {e}"
    scheduler.post(node, done, (data, error))


# ---- the device -------------------------------------------------------------------------------

_sd = None
_client_name = CLIENT.encode()  # PortAudio keeps the pointer: it must live as long as the process


def _sounddevice():
    """python-sounddevice, imported (and PortAudio started) on the device thread, with our JACK
    client name, never asking libjack to start a server, and without ALSA's console chatter."""
    global _sd
    if _sd is not None:
        return _sd
    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    os.environ.setdefault("JACK_NO_AUDIO_RESERVATION", "1")
    _quiet_alsa()
    libname = ctypes.util.find_library("portaudio")
    if libname:
        try:  # the same library sounddevice loads next; the name must be set before it starts
            lib = ctypes.CDLL(libname, mode=ctypes.RTLD_GLOBAL)
            lib.PaJack_SetClientName(ctypes.c_char_p(_client_name))
        except (OSError, AttributeError):
            pass  # a PortAudio without JACK: its ports have no name to set
    try:
        import sounddevice
    except OSError as e:  # the PortAudio library itself is missing
        raise AudioUnavailable(f"PortAudio cannot be loaded ({e}); on Debian: apt-get install libportaudio2") from None
    _sd = sounddevice
    return _sd


_alsa_handler = None


def _quiet_alsa():
    """ALSA prints a line per missing card while PortAudio looks for devices; route those nowhere."""
    global _alsa_handler
    name = ctypes.util.find_library("asound")
    if not name or _alsa_handler is not None:
        return
    try:
        asound = ctypes.CDLL(name)
        proto = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
        _alsa_handler = proto(lambda *a: None)
        asound.snd_lib_error_set_handler(_alsa_handler)
    except (OSError, AttributeError):
        pass


def _pick(sd, wanted, kind):
    """The device index for a name (or part of one); the default device for ''."""
    key = "max_output_channels" if kind == "output" else "max_input_channels"
    devices = [(i, d) for i, d in enumerate(sd.query_devices()) if d[key] > 0]
    if not devices:
        raise AudioUnavailable(f"no sound {kind} device found")
    if not wanted:
        default = sd.default.device[1 if kind == "output" else 0]
        for i, d in devices:
            if i == default:
                return i, d
        return devices[0]
    for i, d in devices:
        if d["name"] == wanted:
            return i, d
    low = wanted.casefold()
    for i, d in devices:
        if low in d["name"].casefold():
            return i, d
    names = ", ".join(f"'{d['name']}'" for _, d in devices[:8])
    raise AudioUnavailable(f"no sound {kind} device matches '{wanted}' (there are: {names})")


class _DeviceThread:
    """Opens the stream the patch needs, watches it, reopens it; paces the audio when there is
    none; loads sound files. One per engine, started with it."""

    def __init__(self, engine):
        self.engine = engine
        self._stream = None
        self._wanted = None  # what the open stream was opened for
        self._jobs = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._calls = 0  # callbacks run (the watchdog's heartbeat)
        self._retry_at = 0.0
        self._retry_s = RETRY_S
        self._problem = None
        self._on_jack = False  # the open stream is on JACK
        self.feeder = None  # renders for the open stream (None: PortAudio's callback does)
        self._thread = threading.Thread(target=self._run, name="nodegraph-audio", daemon=True)
        self._thread.start()

    def want(self):
        self._wake.set()

    def job(self, fn):
        self._jobs.append(fn)
        self._wake.set()

    def stop(self):
        self._stop.set()
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    # -- on the device thread --

    def _run(self):
        try:
            self._loop()
        except Exception as e:  # never silently: the nodes say the sound stopped
            self._report(f"no sound: the audio engine stopped ({type(e).__name__}: {e})", None)
            log.exception("the audio engine's device thread stopped")

    def _loop(self):
        engine = self.engine
        next_block = time.monotonic()
        last_calls, last_beat = -1, time.monotonic()
        while not self._stop.is_set():
            while self._jobs:
                self._jobs.popleft()()
            now = time.monotonic()
            wanted = engine.wants_device()
            if self._stream is not None:
                if wanted != self._wanted:
                    self._close()
                elif self._calls != last_calls:
                    last_calls, last_beat = self._calls, now
                elif now - last_beat > STALL_S or not self._stream.active:
                    self._close(JACK_GONE if self._on_jack else
                                "no sound: the sound device stopped answering (it reconnects when it is back)")
            if self._stream is None and (wanted[0] or wanted[1]) and _abandoned and self._problem is None:
                self._report(JACK_GONE, None)
            if self._stream is None and (wanted[0] or wanted[1]) and now >= self._retry_at and not _abandoned:
                self._open(wanted)
                last_calls, last_beat = self._calls, time.monotonic()
                next_block = time.monotonic()
            if self._stream is None:
                # no device: keep the sound nodes running at real-time pace (a sound file's
                # descriptors, a recording), silently
                now = time.monotonic()
                behind = 0
                while next_block <= now and behind < 8:
                    with engine._render_lock:
                        engine.render_block(engine.block)
                    next_block += engine.block / engine.rate
                    behind += 1
                if next_block < now:
                    next_block = now  # a long stall is not caught up
                self._wake.wait(max(0.0, min(0.25, next_block - time.monotonic())))
            else:
                self._wake.wait(0.25)
            self._wake.clear()
        self._close()
        collector.release(self)

    def _open(self, wanted):
        want_out, want_in, out_name, in_name, in_channels = wanted
        engine = self.engine
        try:
            sd = _sounddevice()
            if self._problem is not None:  # rescan: a JACK server or a card may have appeared
                sd._terminate()
                sd._initialize()
            out_dev = _pick(sd, out_name, "output") if want_out else None
            in_dev = _pick(sd, in_name, "input") if want_in else None
            if in_dev is not None and in_channels > in_dev[1]["max_input_channels"]:
                raise AudioUnavailable(f"'{in_dev[1]['name']}' has {in_dev[1]['max_input_channels']} input "
                                       f"channels, not {in_channels}")
            rate = int((out_dev or in_dev)[1]["default_samplerate"]) or RATE
            out_ch = min(2, out_dev[1]["max_output_channels"]) if out_dev else 0
            in_ch = in_channels if in_dev else 0
            self._out_ch, self._in_ch = out_ch, in_ch
            if rate != engine.rate:
                with engine._render_lock:
                    engine.rate = rate
                    for unit in list(engine.units.values()):
                        unit.prepare(rate)
            kw = dict(samplerate=rate, blocksize=0, latency="low")
            rtmixer = _rtmixer() if AHEAD > 0 else None
            feeder = None
            if rtmixer is not None:
                if out_dev and in_dev:
                    stream = rtmixer.MixerAndRecorder(device=(in_dev[0], out_dev[0]), channels=(in_ch, out_ch), **kw)
                elif out_dev:
                    stream = rtmixer.Mixer(device=out_dev[0], channels=out_ch, **kw)
                else:
                    stream = rtmixer.Recorder(device=in_dev[0], channels=in_ch, **kw)
                feeder = _Feeder(self, stream, out_ch, in_ch, AHEAD)
            else:
                kw["dtype"] = "float32"
                if out_dev and in_dev:
                    stream = sd.Stream(device=(in_dev[0], out_dev[0]), channels=(in_ch, out_ch),
                                       callback=self._duplex, **kw)
                elif out_dev:
                    stream = sd.OutputStream(device=out_dev[0], channels=out_ch, callback=self._output, **kw)
                else:
                    stream = sd.InputStream(device=in_dev[0], channels=in_ch, callback=self._input, **kw)
            # What the patch holds now is there for good: out of the collector's sight, a full
            # collection no longer walks it (300 ms, GIL held, with a learner's 10,000 examples
            # on a busy machine; 0.01 ms frozen). No collection first: that would be the stall.
            collector.hold(self)
            if feeder is not None:
                feeder.start()  # polling before the first period, or the input ring fills before it looks
            try:
                stream.start()
            except Exception:
                if feeder is not None:
                    feeder.stop()
                raise
        except (AudioUnavailable, Exception) as e:  # PortAudioError, ValueError: the reason, one line
            text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            problem = f"no sound: {text} (the patch runs on silently; it retries)"
            self._retry_at = time.monotonic() + self._retry_s
            self._retry_s = min(RETRY_MAX_S, self._retry_s * 2)
            self._report(problem, None)
            return
        self._stream, self._wanted, self.feeder = stream, wanted, feeder
        self._retry_s = RETRY_S
        name = (out_dev or in_dev)[1]["name"]
        hostapi = sd.query_hostapis(int((out_dev or in_dev)[1]["hostapi"]))["name"]
        self._on_jack = "JACK" in hostapi
        self._report(f"playing on '{name}' ({hostapi}, {rate} Hz)", name)

    def _close(self, problem=None):
        stream, self._stream = self._stream, None
        feeder, self.feeder = self.feeder, None
        if feeder is not None:
            feeder.stop()
        self._wanted = None
        if stream is not None:
            if problem is not None and self._on_jack:
                # A JACK server that died takes PortAudio with it: aborting, closing or
                # terminating then hangs or asserts (measured with jack2 1.9.21 and
                # PortAudio 19.6). So the dead stream is left alone, kept referenced,
                # and PortAudio is never shut down in this process again.
                _abandon(stream)
            else:
                try:
                    stream.abort()
                    stream.close()
                except Exception:
                    pass  # a device that vanished may refuse even this; it is gone either way
        if problem is not None:
            self._retry_at = time.monotonic() + RETRY_S
            self._report(problem, None)

    def _report(self, status, name):
        self._problem = None if name else status
        engine = self.engine
        engine.scheduler.post(None, engine.set_status, (status, name))

    # -- PortAudio's callbacks: the audio thread --

    def _output(self, outdata, frames, t, status):
        self._render(outdata, None, frames, status)

    def _input(self, indata, frames, t, status):
        self._render(None, indata, frames, status)

    def _duplex(self, indata, outdata, frames, t, status):
        self._render(outdata, indata, frames, status)

    def _render(self, outdata, indata, frames, status):
        self._calls += 1
        engine = self.engine
        if status:
            engine.xruns += 1
        if not engine._render_lock.acquire(blocking=False):
            if outdata is not None:
                outdata.fill(0)
            return
        try:
            mix = engine.render_block(frames, indata)
        except Exception:
            mix = None
        finally:
            engine._render_lock.release()
        if outdata is not None:
            if mix is None:
                outdata.fill(0)
            else:
                np.clip(mix, -1.0, 1.0, out=mix)
                outdata[:] = mix[:, None]


_rtmixer_module = None


def _rtmixer():
    """rtmixer (a PortAudio callback in C over lock-free ring buffers), or None: then sound is
    rendered in PortAudio's callback in Python, which a busy interpreter makes late."""
    global _rtmixer_module
    if _rtmixer_module is None:
        try:
            import rtmixer
        except (ImportError, OSError) as e:
            log.warning("rtmixer cannot be loaded (%s): sound is rendered in Python's callback, "
                        "and glitches when the machine is busy (pip install rtmixer)", e)
            rtmixer = False
        _rtmixer_module = rtmixer
    return _rtmixer_module or None


class _Feeder:
    """The audio thread while a device is open. rtmixer's C callback copies the output ring
    to the device and the device's input to the input ring, every period, without Python;
    this thread keeps the output ring `ahead` frames full, rendering a block at a time
    (with input: a block each time one has come in). When it falls further behind than
    that, the callback finds the ring dry, plays silence and drops it: counted in
    `engine.late`, then the rings are restarted at `ahead`."""

    def __init__(self, device, stream, out_ch, in_ch, ahead):
        rtmixer = _rtmixer()
        self.device, self.engine, self.stream = device, device.engine, stream
        block = self.engine.block
        self.ahead = max(int(ahead), block)
        size = 1 << (4 * self.ahead - 1).bit_length()  # frames; the input's backlog after a stall fits
        self.out_ring = rtmixer.RingBuffer(4 * out_ch, size) if out_ch else None
        self.in_ring = rtmixer.RingBuffer(4 * in_ch, size) if in_ch else None
        self._out = np.zeros((block, out_ch), np.float32)
        self._in = np.zeros((block, in_ch), np.float32) if in_ch else None
        self._silence = np.zeros((self.ahead, max(1, out_ch)), np.float32)
        self.play = self.record = self._stats = None
        self.low = self.ahead  # the least sound queued ahead of the device (bench/audio.py reads it)
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="nodegraph-audio-feed", daemon=True)
        self._queue(True, True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop = True
        if threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join(timeout=2)

    def _queue(self, play, record):
        """(Re)start what the callback copies: the output ring brought back to `ahead` (topped
        up with silence, or what was rendered in catching up dropped); the input's backlog
        dropped too (either, kept, would delay the sound for good)."""
        out, inp = self.out_ring, self.in_ring
        if out is not None and play:
            queued = out.read_available  # no reader now: the callback let go of this ring
            if queued < self.ahead:
                out.write(self._silence[:self.ahead - queued])
            elif queued > self.ahead:
                out.advance_read_index(queued - self.ahead)
            self.play = self.stream.play_ringbuffer(out)
        if inp is not None:
            inp.advance_read_index(inp.read_available)
            if record:
                self.record = self.stream.record_ringbuffer(inp)

    def _run(self):
        engine, device, stream = self.engine, self.device, self.stream
        out, inp = self.out_ring, self.in_ring
        block, ahead = engine.block, self.ahead
        outbuf, inbuf = self._out, self._in
        poll = block / engine.rate / 4  # the callback takes a period at a time: look 4 times a block
        next_stats = time.monotonic()
        try:  # before every ordinary thread on the machine; the device's own thread stays before it
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(FEED_PRIORITY))
        except (AttributeError, OSError):
            pass  # not allowed (no realtime rights): the ring's margin alone rides out being preempted
        while not self._stop:
            actions = stream.actions
            play_gone = out is not None and self.play not in actions
            record_gone = inp is not None and self.record not in actions
            if play_gone or record_gone:
                engine.late += 1
                self.low = 0
                self._queue(play_gone, record_gone)
            while not self._stop:
                if inp is not None:
                    if inp.read_available < block:
                        break
                    inp.readinto(inbuf)
                elif out.read_available > ahead - block:
                    break
                if out is not None:
                    queued = out.read_available
                    if queued < self.low:
                        self.low = queued
                try:
                    mix = engine.render_block(block, inbuf)
                except Exception:
                    mix = None
                if out is not None:
                    if mix is None:
                        outbuf.fill(0)
                    else:
                        np.clip(mix, -1.0, 1.0, out=mix)
                        outbuf[:] = mix[:, None]
                    out.write(outbuf)
                device._calls += 1
            if time.monotonic() >= next_stats:  # the device's own xrun flags, twice a second
                if self._stats is None:
                    self._stats = stream.fetch_and_reset_stats()
                elif self._stats not in actions:
                    s = self._stats.stats
                    engine.xruns += max(s.output_underflows, s.output_overflows, s.input_underflows,
                                        s.input_overflows)
                    self._stats = None
                    next_stats = time.monotonic() + 0.5
            time.sleep(poll)


_abandoned = []  # streams whose JACK server died: never touched again, never collected


def _abandon(stream):
    import atexit

    _abandoned.append(stream)
    sd = _sd
    if sd is not None and hasattr(sd, "_exit_handler"):
        atexit.unregister(sd._exit_handler)  # Pa_Terminate at exit would hang on the dead stream


_engines = weakref.WeakKeyDictionary()  # scheduler -> Engine
_engines_lock = threading.Lock()


def engine(scheduler) -> Engine:
    """The audio engine of a scheduler (made when its first audio node starts)."""
    with _engines_lock:
        e = _engines.get(scheduler)
        if e is None:
            e = _engines[scheduler] = Engine(scheduler)
        return e


def current(scheduler):
    """The scheduler's engine if it has one, else None."""
    with _engines_lock:
        return _engines.get(scheduler)


def _forget(e):
    with _engines_lock:
        if _engines.get(e.scheduler) is e:
            del _engines[e.scheduler]


# ---- offline rendering ------------------------------------------------------------------------

class Renderer:
    """Runs a patch on its manual clock as fast as it can, block by block, collecting what its
    audio outputs play. Between blocks the scheduler runs what falls due and what the audio
    posted, so the same patch gives the same sound every time.

        rt = Runtime.manual(); rt.load(path)
        r = Renderer(rt)          # before rt.start(): the engine takes this rate and block
        rt.start(thread=False)
        sound = r.run(2.0)        # 2 s of sound (frames,) float64; call again to go on
    """

    def __init__(self, rt, rate=RATE, block=BLOCK):
        if not getattr(rt.scheduler.clock, "manual", False):
            raise ValueError("offline rendering needs a runtime on a manual clock (Runtime.manual())")
        self.rt = rt
        self.engine = engine(rt.scheduler)
        self.engine.rate, self.engine.block = int(rate), int(block)
        for unit in self.engine.units.values():
            unit.prepare(self.engine.rate)
        self.frames = 0

    def run(self, seconds) -> np.ndarray:
        rt, eng = self.rt, self.engine
        rate, block = eng.rate, eng.block
        total = int(round(seconds * rate))
        out = np.zeros(total)
        done = 0
        clock = rt.scheduler.clock
        while done < total:
            n = min(block, total - done)
            target = self.frames * 1000.0 / rate
            if target > clock.t:
                rt.advance(target - clock.t)  # timers due by this block's start
            rt.poll()  # what the audio posted last block (descriptors...), at the time that block ended
            e = current(rt.scheduler) or eng  # the engine follows the patch's audio nodes
            out[done:done + n] = e.render_block(n)
            done += n
            self.frames += n
        return out


def settle(rt, timeout=120.0):
    """Before an offline render: let every learner make the model it will play with (a model
    saved with the patch is refitted), waiting in real time, so the render starts from the
    patch as it would be once ready, and gives the same sound every time. The score a refit
    works out afterwards changes no sound and is not waited for (it took 4 of a render's 8 s).

    Learners have no public "busy" flag yet: this reads the attributes their shared workflow
    keeps (`_refit`: a saved model waiting to be refitted; `_job`: a fit running in the
    worker; `_predictor`: the model playing). A node without them is never waited for.
    """
    deadline = time.monotonic() + timeout
    while True:
        busy = False
        for node in list(rt.graph.nodes.values()):
            if getattr(node, "_refit", None) is not None and getattr(node, "_job", None) is None:
                node._refit_now()
            if getattr(node, "_refit", None) is not None or (
                    getattr(node, "_job", None) is not None and getattr(node, "_predictor", None) is None):
                busy = True
        if not busy:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the patch's learners were still busy after {timeout:g} s")
        rt.poll(0.02)


def render(path, seconds, output=None, rate=RATE, block=BLOCK):
    """Render a patch file offline: (frames as a float64 array, the runtime's console lines)."""
    from ..runtime import Runtime

    rt = Runtime.manual()
    lines = []
    rt.console.subscribe(lines.append)
    try:
        rt.load(path)
        settle(rt)  # saved models refitted before anything plays: the first block already hears them
        r = Renderer(rt, rate, block)
        rt.start(thread=False)
        sound = r.run(seconds)
        rt.stop()  # recordings close their files
    finally:
        rt.close()
    if output is not None:
        write_wav(output, sound, rate)
    return sound, lines
