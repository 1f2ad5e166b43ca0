"""Block DSP in numpy for the audio nodes: smoothing, oscillators, a filter, an envelope.

Everything here runs on the audio thread, a block at a time, with state carried
from block to block. Targets change only between blocks; within a block each
value glides along a one-pole curve computed in closed form, so a control that
jumps (a stream of predictions, a slider) never makes a step in the sound.
"""
from __future__ import annotations

import math

import numpy as np

FILTER_MODULE = "scipy.signal"  # 0.7 s to import: a node type that filters lists it in its `imports`


def _filters():
    """(scipy's lfilter, its core or None). Imported on first use, which the document's
    thread makes first (registry.prepare): never on the audio thread in a running patch."""
    from scipy.signal import lfilter
    try:  # lfilter's own core: the public wrapper costs ~4x the filtering itself on a 256-sample block
        from scipy.signal._sigtools import _linear_filter
    except ImportError:  # another SciPy layout: the public function, same result
        _linear_filter = None
    return lfilter, _linear_filter

TWO_PI = 2.0 * math.pi
_RAMP = np.arange(4096, dtype=np.float64)  # 0, 1, 2...: a steady phasor's steps, never rebuilt
_RAMP.flags.writeable = False


def ramp(n):
    """0, 1, ..., n-1 as float64 (a read-only view: no allocation for blocks up to 4096)."""
    return _RAMP[:n] if n <= len(_RAMP) else np.arange(n, dtype=np.float64)


class Smooth:
    """A value that glides to its target with time constant `ms` (a one-pole low-pass)."""

    __slots__ = ("value", "target", "ms", "rate", "_a", "_pow")

    def __init__(self, value, ms=20.0, rate=48000):
        self.value = self.target = float(value)
        self.ms = ms
        self.prepare(rate)

    def prepare(self, rate):
        self.rate = rate
        self._a = math.exp(-1000.0 / (self.ms * rate)) if self.ms > 0 else 0.0
        self._pow = None

    def set_time(self, ms):
        self.ms = ms
        self.prepare(self.rate)

    def block(self, n):
        """The next n values: a float when it has settled (numpy broadcasts it, and the
        voice skips per-sample work), else an array. Within the block:
        target + (start - target) * a^k, exactly the one-pole's response to a target held
        for the block."""
        v, t = self.value, self.target
        if v == t:
            return v
        p = self._pow
        if p is None or len(p) < n:
            p = self._pow = self._a ** np.arange(1, max(n, 256) + 1)
        y = t + (v - t) * p[:n]
        last = y[-1]
        self.value = t if abs(last - t) < 1e-9 else float(last)
        return y


def saw(phase, inc):
    """A band-limited sawtooth (PolyBLEP) from phases in [0, 1) and per-sample increments
    (a float for a steady pitch, or an array). Only the few samples next to a wrap get the
    correction, found by index (no per-sample masks, no broadcasting a steady increment)."""
    y = phase * 2.0
    y -= 1.0
    steady = not isinstance(inc, np.ndarray)
    k = np.flatnonzero(phase < inc)
    if k.size:
        x = phase[k] / (inc if steady else inc[k])
        y[k] -= x + x - x * x - 1.0
    k = np.flatnonzero(phase > 1.0 - inc)
    if k.size:
        x = (phase[k] - 1.0) / (inc if steady else inc[k])
        y[k] -= x * x + x + x + 1.0
    return y


class Phasor:
    """A phase in [0, 1) that advances by freq/rate each sample."""

    __slots__ = ("phase",)

    def __init__(self, phase=0.0):
        self.phase = phase

    def block(self, inc, n):
        """Phases for a block (the phase at each sample, before it advances); `inc` a float
        (a steady pitch) or an array."""
        if not isinstance(inc, np.ndarray):
            ph = ramp(n) * inc
            ph += self.phase
            self.phase = float((self.phase + inc * n) % 1.0)
            return np.mod(ph, 1.0, out=ph)
        ph = np.cumsum(inc)
        end = float(ph[-1])
        ph -= inc
        ph += self.phase
        self.phase = (self.phase + end) % 1.0
        return np.mod(ph, 1.0, out=ph)


class Lowpass:
    """A resonant 2-pole low-pass (RBJ biquad); coefficients follow the cutoff once per block."""

    def __init__(self):
        self.zi = np.zeros(2)
        self._key = None  # (cutoff, q, rate) the coefficients below are for
        self._b = self._a = None
        self._lfilter, self._core = _filters()

    def block(self, x, cutoff, q, rate):
        key = (cutoff, q, rate)
        if key != self._key:  # a steady note keeps its coefficients: none rebuilt per block
            w = TWO_PI * min(cutoff, 0.45 * rate) / rate
            alpha = math.sin(w) / (2.0 * q)
            cw = math.cos(w)
            a0 = 1.0 + alpha
            self._b = np.array([(1.0 - cw) / 2.0, 1.0 - cw, (1.0 - cw) / 2.0]) / a0
            self._a = np.array([1.0, -2.0 * cw / a0, (1.0 - alpha) / a0])
            self._key = key
        if self._core is not None and isinstance(x, np.ndarray) and x.dtype == np.float64 and x.ndim == 1:
            y, self.zi = self._core(self._b, self._a, x, -1, self.zi)
        else:
            y, self.zi = self._lfilter(self._b, self._a, x, zi=self.zi)
        return y


class Envelope:
    """On/off with separate attack and release times (one-pole segments, so never a step)."""

    __slots__ = ("level", "gate", "attack_ms", "release_ms", "rate")

    def __init__(self, rate=48000):
        self.level = 0.0
        self.gate = False
        self.attack_ms = 5.0
        self.release_ms = 100.0
        self.rate = rate

    def block(self, n):
        target = 1.0 if self.gate else 0.0
        v = self.level
        if v == target:
            return v
        ms = self.attack_ms if target > v else self.release_ms
        a = math.exp(-1000.0 / (max(ms, 0.5) * self.rate))
        y = target + (v - target) * a ** np.arange(1, n + 1)
        last = float(y[-1])
        self.level = target if abs(last - target) < 1e-6 else last
        return y


def last(x):
    """The value at the end of a block (a float, or an array's last)."""
    return float(x[-1]) if isinstance(x, np.ndarray) else x


def full(x, n):
    """A block as an array, whatever Smooth.block gave."""
    return x if isinstance(x, np.ndarray) else np.full(n, x)


def midi_to_hz(note):
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)
