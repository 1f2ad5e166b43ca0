"""Dynamic time warping for gesture matching, Wekinator's way, in numpy.

Wekinator (learning/dtw) compares the live stream against every recorded
template continuously: after each (downsampled) frame, every suffix of the
recent buffer whose length lies between a minimum and the longest template is a
candidate; a gesture's distance is the smallest DTW cost between any candidate
and any of its templates; the gesture matches when the smallest distance of all
is under a threshold. The cost is the total Euclidean distance along the warp
path (not divided by length).

Every candidate is a DTW table started at some recent frame. They advance
together: each new frame adds one row to every open table at once (a min-plus
scan along the template, done with a cumulative sum and a running minimum,
across all starts and all templates in one go). A
start older than the longest template is dropped, which is Wekinator's buffer.

Wekinator uses FastDTW with radius `match_width` (5). FastDTW computes exact,
unconstrained DTW whenever either series has at most radius+2 points (its
minimum size before it coarsens), so here too: a template or a candidate that
short is matched without a band. Longer pairs are limited to the band
|i - j| <= width (frames since the candidate's start vs template points), where
FastDTW uses a window of the same radius around its coarse path.
"""
from __future__ import annotations

import numpy as np

INF = np.inf


def downsample_factor(longest, max_length=10):
    """Wekinator's DOWNSAMPLE_TO_MAX_LENGTH: keep every f-th frame, f = longest // max_length."""
    if max_length <= 0:
        return 1
    return max(1, int(longest) // int(max_length))


def decimate(series, factor):
    """Frames 0, f, 2f, ... (no averaging, as Wekinator)."""
    return np.asarray(series, dtype=np.float64)[::factor]


class Templates:
    """Templates stacked for batch matching, padded to one length.

    Tables are laid out (template point j, candidate, template k), so the scan along
    the template runs over whole contiguous slabs.
    """

    def __init__(self, series, width=0):
        series = [np.asarray(s, dtype=np.float64) for s in series]
        self.count = len(series)
        self.lengths = np.array([len(s) for s in series], dtype=np.int64)
        self.longest = int(self.lengths.max()) if series else 0
        self.dim = series[0].shape[1] if series else 0
        padded = np.zeros((self.longest, self.count, self.dim))
        for k, s in enumerate(series):
            padded[:len(s), k] = s
        self.points = padded.reshape(-1, self.dim)  # (M*K, d), point-major
        self.last = self.lengths - 1
        self.take = np.arange(self.count)
        self.width = int(width)
        # FastDTW's rule: a template of at most width+2 points is matched without a band
        self.free = self.lengths <= self.width + 2
        self.banded = self.width > 0 and not self.free.all()
        self.cols = np.arange(self.longest)[:, None]

    def pen(self, rows):
        """(M, n, K): 0 inside the band (or for a short template), inf outside; added, never
        multiplied, so no nan."""
        out = np.abs(self.cols - np.asarray(rows)[None, :]) > self.width
        return np.where(out[:, :, None] & ~self.free[None, None, :], INF, 0.0)

    def costs(self, frame):
        """Euclidean distance from one frame to every template point: (M, K)."""
        d = self.points - frame
        return np.sqrt(np.einsum("ij,ij->i", d, d)).reshape(self.longest, self.count)

    def first_row(self, c):
        """The table row of a candidate that starts at this frame (horizontal steps only): (M, K)."""
        row = np.cumsum(c, axis=0)
        if self.banded:
            row += self.pen([0])[:, 0]
        return row

    def advance(self, D, c, rows, out=None):
        """The tables in D (M, n, K) one frame further (costs c: (M, K)); rows[n] is the row
        each table reaches. Returns the new tables (in `out` if given)."""
        S = np.cumsum(c, axis=0)
        before = (S - c)[:, None, :]
        a = np.empty_like(D) if out is None else out
        a[0] = D[0]
        np.minimum(D[:-1], D[1:], out=a[1:])  # a diagonal or a vertical step
        if self.banded:
            pen = self.pen(rows)
            a += pen
        a -= before
        # D[i, j] = S_j + min over k <= j of (a_k - S_{k-1}): the horizontal steps, as a running
        # minimum along the template (one whole-slab operation per template point)
        for j in range(1, len(a)):
            np.minimum(a[j], a[j - 1], out=a[j])
        a += S[:, None, :]
        if self.banded:
            a += pen
        return a

    def ends(self, D):
        """Each table's cost at its template's last point: (n, K)."""
        return D[self.last, :, self.take].T


def free_length(width):
    """Series of at most this many points are matched without a band (FastDTW's minimum
    size, radius + 2); 0 when there is no band at all."""
    return int(width) + 2 if width > 0 else 0


def distance(a, b, width=0):
    """DTW cost between two whole series (frames × features): exact, within the band
    |i - j| <= width when width > 0 and both series are longer than width + 2."""
    a = np.asarray(a, dtype=np.float64)
    if len(a) <= free_length(width):
        width = 0  # FastDTW: a series this short is matched in full
    t = Templates([b], width)
    D = t.first_row(t.costs(a[0]))[:, None, :]
    for i, frame in enumerate(a[1:], 1):
        D = t.advance(D, t.costs(frame), np.array([i]))
    return float(t.ends(D)[0, 0])


class Matcher:
    """Continuous matching of a live stream against templates (Wekinator's LABEL_CONTINUOUSLY).

    templates: downsampled series; labels: the label index of each; a frame is
    kept only every `factor` frames, and only kept frames are classified.
    """

    def __init__(self, templates, labels, n_labels, min_length=5, threshold=5.0, factor=1, width=0):
        self.t = Templates(templates, width)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.n_labels = n_labels
        self.min_length = max(1, int(min_length))
        self.threshold = float(threshold)
        self.factor = max(1, int(factor))
        self.size = max(1, self.t.longest)  # the longest candidate: the longest template
        # candidates of up to width+2 frames are matched without a band (FastDTW's rule): their
        # tables are kept unbanded alongside, and read while the candidate is that short
        self.free = Templates(templates, 0) if self.t.banded else None
        self.short = free_length(width)
        self.reset()

    def reset(self):
        self.D = np.full((self.t.longest, self.size, self.t.count), INF)
        self.spare = np.empty_like(self.D)
        if self.free is not None:
            self.F = np.full_like(self.D, INF)
            self.fspare = np.empty_like(self.D)
        self.rows = np.full(self.size, -1, dtype=np.int64)  # -1: slot unused
        self.slot = -1
        self.counter = 0

    def push(self, frame):
        """Feed one input frame. Returns None when downsampling skips it, otherwise
        (per-label distances, inf where there is no candidate; matched label index or -1)."""
        keep = self.counter % self.factor == 0
        self.counter += 1
        if not keep:
            return None
        per_label = np.full(self.n_labels, INF)
        if self.t.count == 0:
            return per_label, -1
        c = self.t.costs(frame)
        used = self.rows >= 0
        free = self.free
        if used.all():
            self.rows += 1
            self.D, self.spare = self.t.advance(self.D, c, self.rows, out=self.spare), self.D
            if free is not None:
                self.F, self.fspare = free.advance(self.F, c, self.rows, out=self.fspare), self.F
        elif used.any():  # the first frames after a reset
            self.rows[used] += 1
            self.D[:, used] = self.t.advance(self.D[:, used], c, self.rows[used])
            if free is not None:
                self.F[:, used] = free.advance(self.F[:, used], c, self.rows[used])
        self.slot = (self.slot + 1) % self.size  # the oldest start gives way to a new one
        self.D[:, self.slot] = self.t.first_row(c)
        if free is not None:
            self.F[:, self.slot] = free.first_row(c)
        self.rows[self.slot] = 0
        ok = self.rows >= self.min_length - 1
        if not ok.any():
            return per_label, -1
        ends = self.t.ends(self.D)
        if free is not None:
            short = self.rows < self.short  # at most width+2 frames: the unbanded table
            ends[short] = free.ends(self.F)[short]
        best = ends[ok].min(axis=0)  # each template's best candidate
        np.minimum.at(per_label, self.labels, best)
        match = int(per_label.argmin())
        return per_label, (match if per_label[match] < self.threshold else -1)


class StreamMatcher:
    """Continuous matching at full resolution (ml.gesture's "precise" mode).

    One DTW table per template, open at the start: a match may begin at any frame
    of the stream (subsequence DTW, as SPRING), so one new column per frame covers
    every candidate at once, where Wekinator keeps a table per start. Each step of
    the warp is diagonal, then at most `stretch` - 1 sideways or upward steps (a
    slope between 1/stretch and stretch): a match is from 1/stretch to `stretch`
    times an example's length, so a whole example is never squeezed into a frame
    or two. It also makes each column depend on the `stretch` before it only: a
    frame costs a few whole-array operations, no scan along the template. A
    template's distance is its path cost divided by its length (the average
    distance per example frame), so the threshold does not depend on how long the
    examples are.
    """

    def __init__(self, templates, labels, n_labels, threshold=5.0, stretch=3):
        self.t = Templates(templates, 0)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.n_labels = n_labels
        self.threshold = float(threshold)
        self.runs = max(1, int(stretch)) - 1  # the longest run of sideways or upward steps
        self.factor = 1
        self.scale = 1.0 / np.maximum(self.t.lengths, 1)
        shape = (self.t.longest, self.t.count)
        # one contiguous (M, K) slab per feature: a frame's costs are a few whole-slab operations
        self.points = np.ascontiguousarray(self.t.points.T.reshape(self.t.dim, *shape))
        self.reset()

    def reset(self):
        shape = (self.t.longest, self.t.count)
        self.D = [np.full(shape, INF) for _ in range(self.runs + 1)]  # the last frames' columns, newest first
        self.C = [np.full(shape, INF) for _ in range(self.runs)]  # and their costs
        self.spare, self.tmp = np.empty(shape), np.empty(shape)
        self.sides = [np.empty(shape), np.empty(shape)]

    def costs(self, frame):
        """Euclidean distance from one frame to every template point: (M, K), a new array."""
        c = np.subtract(self.points[0], frame[0])
        if len(self.points) == 1:
            return np.abs(c, out=c)
        c *= c
        tmp = self.tmp
        for p, v in zip(self.points[1:], frame[1:]):
            np.subtract(p, v, out=tmp)
            tmp *= tmp
            c += tmp
        return np.sqrt(c, out=c)

    def push(self, frame):
        """Feed one input frame: (per-label distances, inf where no match can end yet; matched
        label index or -1)."""
        per_label = np.full(self.n_labels, INF)
        if self.t.count == 0:
            return per_label, -1
        c = self.costs(np.asarray(frame, dtype=np.float64))
        M = len(c)
        D, new = self.D, self.spare
        new[0] = 0.0  # a match starts here, at the example's first frame
        new[1:] = D[0][:-1]  # a diagonal step
        if self.runs and M > 1:
            # a diagonal step then r along the example, built from r - 1: side[j] = side'[j-1] + c[j-1]
            side, prev = self.sides
            side[1] = c[0]  # started at this frame
            np.add(D[0][:-2], c[1:-1], out=side[2:])
            np.minimum(new[1:], side[1:], out=new[1:])
            for r in range(2, min(self.runs, M - 1) + 1):
                side, prev = prev, side
                np.add(prev[r - 1:-1], c[r - 1:-1], out=side[r:])
                np.minimum(new[r:], side[r:], out=new[r:])
            # a diagonal step then r along the stream: the last r frames' costs at the same point
            side, run = self.sides[0], self.C[0]
            for r in range(1, self.runs + 1):
                if r > 1:
                    run = np.add(run, self.C[r - 1], out=self.tmp)
                np.add(D[r][:-1], run[1:], out=side[1:])
                np.minimum(new[1:], side[1:], out=new[1:])
        new += c
        self.spare = D.pop()
        D.insert(0, new)
        if self.runs:
            self.C.pop()
            self.C.insert(0, c)
        best = self.t.ends(new[:, None, :])[0] * self.scale
        np.minimum.at(per_label, self.labels, best)
        match = int(per_label.argmin())
        return per_label, (match if per_label[match] < self.threshold else -1)
