"""descriptors: sound turned into numbers a learner can use (FluCoMa's and Wekinator's set)."""
from __future__ import annotations

import math

import numpy as np

from nodegraph import BANG, Inlet, Outlet, Param, register
from nodegraph.io import audio

from .base import SOUND, AudioNode

NAMES = ("loudness", "pitch", "confidence", "centroid", "spread", "flatness", "rolloff")
N_MFCC = 13
N_MEL = 40
FLOOR_DB = -120.0
SETS = {  # what the `features` outlet carries
    "all": NAMES + tuple(f"mfcc{i + 1}" for i in range(N_MFCC)),
    "mfcc": tuple(f"mfcc{i + 1}" for i in range(N_MFCC)),
    "shape": ("centroid", "spread", "flatness", "rolloff"),
    "pitch": ("pitch", "confidence", "loudness"),
}


def loudness_db(x):
    """RMS level in dB relative to a full-scale sine... of amplitude 1 (dBFS RMS); -120 for silence."""
    ms = float(np.mean(x * x)) if len(x) else 0.0
    return FLOOR_DB if ms <= 1e-12 else max(FLOOR_DB, 10.0 * math.log10(ms))


def yin(x, rate, fmin=50.0, fmax=2500.0, threshold=0.15):
    """(pitch in Hz, confidence 0..1) by YIN (de Cheveigné & Kawahara 2002) on one window.

    The difference function comes from an FFT autocorrelation and running energies, so a
    2048-sample window costs two FFTs. Confidence is 1 minus the normalised difference at
    the chosen lag: near 1 for a clean tone, low for noise; 0 and pitch 0 for silence.
    """
    n = len(x)
    w = n // 2
    tau_max = min(w, int(rate / fmin) + 2)
    tau_min = max(2, int(rate / fmax))
    x = x - np.mean(x)
    x0 = x[:w]
    e0 = float(np.dot(x0, x0))
    if e0 <= 1e-10 or tau_max <= tau_min + 2:
        return 0.0, 0.0
    size = 1 << (n + w - 1).bit_length()
    corr = np.fft.irfft(np.conj(np.fft.rfft(x0, size)) * np.fft.rfft(x, size), size)[:tau_max]
    cs = np.concatenate(([0.0], np.cumsum(x * x)))
    taus = np.arange(tau_max)
    et = cs[taus + w] - cs[taus]
    d = np.maximum(e0 + et - 2.0 * corr, 0.0)
    d[0] = 0.0
    running = np.cumsum(d[1:])
    cmnd = np.ones(tau_max)
    with np.errstate(divide="ignore", invalid="ignore"):
        cmnd[1:] = np.where(running > 0, d[1:] * taus[1:] / running, 1.0)
    search = cmnd[tau_min:tau_max - 1]
    below = np.nonzero(search < threshold)[0]
    if len(below):
        t = tau_min + int(below[0])
        while t + 1 < tau_max - 1 and cmnd[t + 1] < cmnd[t]:
            t += 1
    else:
        t = tau_min + int(np.argmin(search))
    a, b, c = cmnd[t - 1], cmnd[t], cmnd[t + 1]
    den = a - 2.0 * b + c
    shift = 0.5 * (a - c) / den if abs(den) > 1e-12 else 0.0
    shift = max(-1.0, min(1.0, shift))
    confidence = max(0.0, min(1.0, 1.0 - b))
    return rate / (t + shift), confidence


def mel_bank(rate, nfft, bands=N_MEL, fmin=20.0, fmax=None):
    """Triangular mel filters (Slaney-style spacing, HTK formula) as a bands x bins matrix."""
    fmax = min(fmax or rate / 2.0, rate / 2.0, 16000.0)
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    hz = lambda m: 700.0 * (10.0 ** (m / 2595.0) - 1.0)  # noqa: E731
    edges = hz(np.linspace(mel(fmin), mel(fmax), bands + 2))
    freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
    bank = np.zeros((bands, len(freqs)))
    for i in range(bands):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        up = (freqs - lo) / (mid - lo)
        down = (hi - freqs) / (hi - mid)
        bank[i] = np.maximum(0.0, np.minimum(up, down))
    return bank


def dct_matrix(n):
    """The orthonormal DCT-II as an n x n matrix (scipy.fft.dct(eye, norm="ortho") by its
    formula: importing scipy.fft took 0.25 s of every start)."""
    k = np.arange(n)[:, None]
    m = np.sqrt(2.0 / n) * np.cos(np.pi * (np.arange(n)[None, :] + 0.5) * k / n)
    m[0] /= np.sqrt(2.0)
    return m


class Analyser:
    """Every descriptor of one window. Pure numpy; `prepare` once per rate and size."""

    def __init__(self, rate, size):
        self.rate, self.size = rate, size
        self.window = np.hanning(size)
        self.freqs = np.fft.rfftfreq(size, 1.0 / rate)
        self.bank = mel_bank(rate, size)
        # the orthonormal DCT-II of the log mel bands, as a matrix (only the 13 rows kept):
        # one small product per analysis instead of scipy.fft's dispatch
        self.dct = dct_matrix(N_MEL)[:N_MFCC]
        self.flat_n = len(self.freqs) - 1

    def __call__(self, frame) -> dict:
        out = {"loudness": loudness_db(frame)}
        pitch, conf = yin(frame, self.rate)
        out["pitch"], out["confidence"] = pitch, conf
        r = np.fft.rfft(frame * self.window)
        spec = r.real * r.real
        spec += r.imag * r.imag  # |X|^2 without a square root and a square
        total = float(np.sum(spec))
        f = self.freqs
        if total <= 1e-12:
            out.update(centroid=0.0, spread=0.0, flatness=0.0, rolloff=0.0)
        else:
            c = float(np.dot(f, spec) / total)
            out["centroid"] = c
            out["spread"] = float(math.sqrt(max(0.0, np.dot((f - c) ** 2, spec) / total)))
            p = spec[1:] + 1e-20  # without DC
            out["flatness"] = float(np.exp(np.mean(np.log(p))) / np.mean(p))
            cum = np.cumsum(spec)
            out["rolloff"] = float(f[min(len(f) - 1, int(np.searchsorted(cum, 0.95 * total)))])
        mels = self.bank @ spec
        mels += 1e-10
        out["mfcc"] = self.dct @ np.log(mels, out=mels)
        return out


class DescriptorUnit(audio.Unit):
    inputs = (SOUND,)

    def __init__(self, node, window, hop, onset_db):
        super().__init__(node)
        self.window_size, self.hop = window, hop
        self.onset_db = onset_db
        self.ring = np.zeros(window)
        self.count = 0  # samples since the last analysis
        self.history = [FLOOR_DB] * 4  # the short-term level of the last hops (onsets)
        self.since_onset = 10 ** 9
        self.analyser = None

    def prepare(self, rate):
        super().prepare(rate)
        self.analyser = Analyser(rate, self.window_size)

    def render(self, n, ins):
        x = ins[0]
        if x is None:
            x = np.zeros(n)
        done = 0
        while done < n:
            k = min(n - done, self.hop - self.count)
            chunk = x[done:done + k]
            ring = self.ring
            ring[:-k] = ring[k:]
            ring[-k:] = chunk
            self.count += k
            done += k
            if self.count >= self.hop:
                self.count = 0
                self._analyse()
        return None

    def _analyse(self):
        d = self.analyser(self.ring)
        short = loudness_db(self.ring[-self.hop:])
        self.since_onset += self.hop
        refractory = 0.1 * self.rate
        onset = (short > -50.0 and short - min(self.history) >= self.onset_db and self.since_onset >= refractory)
        if onset:
            self.since_onset = 0
        self.history = self.history[1:] + [short]
        d["onset"] = onset
        self.send(self.node.analysed, d)


@register("descriptors", category="sound")
class Descriptors(AudioNode):
    """Turns sound into numbers: how loud, what pitch, how bright, how noisy, and when it starts.

    Every `hop` samples it looks at the last `window` samples and sends:
    loudness (dB, about -120 silence .. 0 full scale), pitch (Hz) with its
    confidence (0 noise .. 1 a clear tone), the spectrum's centroid (its
    brightness, Hz), spread (Hz), flatness (0 a pure tone .. about 0.6 white
    noise), rolloff (the frequency under which 95% of the energy lies, Hz), 13
    MFCCs (the timbre, as speech and music recognisers use it), and a bang on
    `onset` when a new sound starts (a clap, a note). `features` sends the set
    chosen by `features` as one list, ready for a learner.
    """

    inlets = (Inlet(SOUND, "signal", help="the sound to describe"),)
    outlets = (Outlet("features", "vector", help="the chosen descriptors as one list, for a learner"),
               *(Outlet(name, "float") for name in NAMES),
               Outlet("mfcc", "vector", help="13 MFCCs: the timbre"),
               Outlet("onset", "bang", help="a new sound started"))
    params = (Param("hop", "choice", 512, choices=(128, 256, 512, 1024, 2048, 4096),
                    help="samples between two analyses (512 at 48 kHz: 94 a second)"),
              Param("window", "choice", 2048, choices=(1024, 2048, 4096),
                    help="samples looked at each time (longer: lower pitches, slower to follow)"),
              Param("features", "choice", "all", choices=tuple(SETS),
                    help="what the features outlet sends: all 20, the 13 MFCCs, the spectrum's shape, "
                         "or pitch, confidence and loudness"),
              Param("onset", "float", 9.0, min=1.0, max=40.0,
                    help="how many dB the level must jump for an onset (smaller: more sensitive)"))

    def setup(self):
        super().setup()
        self.latest = None

    def make_unit(self):
        return DescriptorUnit(self, self.params["window"], self.params["hop"], self.params["onset"])

    def param_changed(self, name, old):
        if self.unit is not None and name in ("hop", "window", "onset"):
            self.unit = self.make_unit()  # a new unit with the new sizes, in the old one's place
            self.engine.replace(self, self.unit)

    def analysed(self, d):
        """On the scheduler thread: one analysis from the audio thread."""
        self.latest = d
        if d["onset"]:
            self.emit("onset", BANG)
        self.emit("mfcc", d["mfcc"])
        for name in reversed(NAMES):
            self.emit(name, d[name])
        self.emit("features", self.vector(d))

    def vector(self, d):
        names = SETS[self.params["features"]]
        return np.array([d["mfcc"][int(n[4:]) - 1] if n.startswith("mfcc") else d[n] for n in names])

    def info(self):
        d = self.latest
        if d is None:
            return {}
        return {name: round(float(d[name]), 3) for name in NAMES}
