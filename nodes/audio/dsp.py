"""Block DSP in numpy for the audio nodes: smoothing, oscillators, a filter, an envelope.

Everything here runs on the audio thread, a block at a time, with state carried
from block to block. Targets change only between blocks; within a block each
value glides along a one-pole curve computed in closed form, so a control that
jumps (a stream of predictions, a slider) never makes a step in the sound.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter

TWO_PI = 2.0 * math.pi


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
    """A band-limited sawtooth (PolyBLEP) from phases in [0, 1) and per-sample increments."""
    inc = np.broadcast_to(inc, phase.shape)
    y = 2.0 * phase - 1.0
    m = phase < inc
    if m.any():
        x = phase[m] / inc[m]
        y[m] -= x + x - x * x - 1.0
    m = phase > 1.0 - inc
    if m.any():
        x = (phase[m] - 1.0) / inc[m]
        y[m] -= x * x + x + x + 1.0
    return y


class Phasor:
    """A phase in [0, 1) that advances by freq/rate each sample."""

    __slots__ = ("phase",)

    def __init__(self, phase=0.0):
        self.phase = phase

    def block(self, inc, n):
        """Phases for a block (the phase at each sample, before it advances); `inc` a float
        (a steady pitch) or an array."""
        if np.ndim(inc) == 0:
            ph = self.phase + inc * np.arange(n)
            self.phase = float((self.phase + inc * n) % 1.0)
            return ph % 1.0
        c = np.cumsum(inc)
        ph = self.phase + c - inc
        self.phase = float((self.phase + c[-1]) % 1.0)
        return ph % 1.0


class Lowpass:
    """A resonant 2-pole low-pass (RBJ biquad); coefficients follow the cutoff once per block."""

    def __init__(self):
        self.zi = np.zeros(2)

    def block(self, x, cutoff, q, rate):
        w = TWO_PI * min(cutoff, 0.45 * rate) / rate
        alpha = math.sin(w) / (2.0 * q)
        cw = math.cos(w)
        a0 = 1.0 + alpha
        b = np.array([(1.0 - cw) / 2.0, 1.0 - cw, (1.0 - cw) / 2.0]) / a0
        a = np.array([1.0, -2.0 * cw / a0, (1.0 - alpha) / a0])
        y, self.zi = lfilter(b, a, x, zi=self.zi)
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
    return x if np.ndim(x) == 0 else float(x[-1])


def full(x, n):
    """A block as an array, whatever Smooth.block gave."""
    return np.full(n, x) if np.ndim(x) == 0 else x


def midi_to_hz(note):
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)
