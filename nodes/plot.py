"""Plots: a stream over time, a learner's examples and decisions, a confusion matrix.

These nodes draw nothing themselves (no GUI here): each keeps what there is to
draw as one dict of read-only numpy arrays and plain values, rebuilt on the
scheduler thread when its data changes. The editor calls view() from its own
thread and gets the latest finished dict, never one being made.
"""
from __future__ import annotations

import time

import numpy as np

from nodegraph import Inlet, Node, NodeError, Param, register
from nodegraph.commands import DeleteExample
from nodegraph.errors import EditError
from nodegraph.glossary import counted
from nodegraph.learn.snapshot import LearnerSnapshot, frozen

from .features import numeric
from .learners.base import label_key

VIEW_MS = 16.0  # a scope rebuilds its view at most this often (about 60 times a second)
SLICE_S = 0.004  # a grid is computed in slices of this much real time, so the patch keeps flowing
SLICE_GAP_MS = 2.0  # logical time between two slices (other events run in between)


class Plot(Node):
    """What the plot nodes share: the view hand-off (not registered itself)."""

    kind = ""

    def setup(self):
        self._version = 0
        self._view = self.empty_view()

    def empty_view(self):
        return {"kind": self.kind, "version": 0}

    def view(self) -> dict:
        """What to draw now: a fresh dict (its arrays are read-only and never change)."""
        return dict(self._view)

    def _publish(self, view):
        self._version += 1
        view["kind"], view["version"] = self.kind, self._version
        self._view = view  # one reference swapped whole: a reader sees the old dict or the new one


# ---- plot.scope -------------------------------------------------------------------------------

def split_names(text):
    return [s.strip() for s in text.split(",") if s.strip()]


@register("plot.scope", category="plot")
class Scope(Plot):
    """Draws numbers or vectors over time as scrolling lines, to watch how they move (a scope).

    Every number or vector arriving on `in` is kept with the time it came, for
    the last `window_ms` milliseconds (and at most `points` of them); a vector
    draws one line per element. `range` auto fits the lines in; fixed shows
    `ymin` to `ymax`. A vector of another length starts afresh; `clear` forgets.
    """

    kind = "scope"
    inlets = (Inlet("in", "any", help="a number or a vector to draw"),
              Inlet("clear", "bang", help="forget what is shown"))
    params = (Param("window_ms", "float", 5000.0, min=10.0, max=3_600_000.0, help="how much time is shown, in ms"),
              Param("points", "int", 500, min=2, max=100_000, help="the most values kept"),
              Param("range", "choice", "auto", choices=("auto", "fixed"),
                    help="auto: fit the values in; fixed: from ymin to ymax"),
              Param("ymin", "float", 0.0, min=-1e12, max=1e12, help="fixed range: the bottom"),
              Param("ymax", "float", 1.0, min=-1e12, max=1e12, help="fixed range: the top"),
              Param("names", "text", "", help="names of the lines, e.g. \"x, y\" (else 1, 2 ...)"))

    def setup(self):
        self._forget()
        self._built_at = -np.inf
        self._timer = None
        super().setup()

    def empty_view(self):
        return {"kind": self.kind, "version": 0, "t": frozen(np.zeros(0)), "values": frozen(np.zeros((0, 0))),
                "channels": 0, "now": 0.0, "window_ms": self.params["window_ms"], "y": self._y_range(None),
                "names": split_names(self.params["names"])}

    def _forget(self):
        cap = 2 * self.params["points"] + 16
        self._t = np.zeros(cap)
        self._v = None  # (cap, channels), made by the first value
        self._start = self._end = 0

    def param_changed(self, name, old):
        if name == "points":
            kept_t, kept_v = self._t[self._start:self._end], None if self._v is None else self._v[self._start:self._end]
            self._forget()
            if kept_v is not None:
                for t, v in zip(kept_t[-self.params["points"]:], kept_v[-self.params["points"]:]):
                    self._append(t, v)
        self._changed()

    def stop(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def process(self, fired):
        if "clear" in fired:
            self._forget()
            self._changed()
        if "in" in fired:
            x = numeric(self.inputs["in"])
            v = np.array([x]) if isinstance(x, float) else x
            if not v.size:
                raise NodeError("got an empty vector: nothing to draw")
            if self._v is not None and v.size != self._v.shape[1]:
                self._forget()  # another length of vector: start afresh
            self._append(self.now, v)
            self._changed()

    def _append(self, t, v):
        if self._v is None:
            self._v = np.zeros((len(self._t), v.size))
        if self._end == len(self._t):  # full: slide what is kept to the front (amortised O(1))
            n = self._end - self._start
            self._t[:n] = self._t[self._start:self._end]
            self._v[:n] = self._v[self._start:self._end]
            self._start, self._end = 0, n
        self._t[self._end] = t
        self._v[self._end] = v
        self._end += 1
        self._start = max(self._start, self._end - self.params["points"])
        oldest = t - self.params["window_ms"]
        while self._start < self._end and self._t[self._start] < oldest:
            self._start += 1

    def _changed(self):
        """Rebuild the view now, or once VIEW_MS after the last build if that is sooner."""
        if self.host is None:
            return
        if self._timer is not None:
            return  # a rebuild is already due
        wait = self._built_at + VIEW_MS - self.now
        if wait <= 0:
            self._build()
        else:
            self._timer = self.schedule(wait, self._build)

    def _build(self):
        self._timer = None
        self._built_at = self.now
        s, e = self._start, self._end
        values = self._v[s:e] if self._v is not None else np.zeros((0, 0))
        self._publish({"t": frozen(self._t[s:e]), "values": frozen(values), "channels": values.shape[1],
                       "now": float(self.now), "window_ms": self.params["window_ms"],
                       "y": self._y_range(values), "names": split_names(self.params["names"])})

    def _y_range(self, values):
        p = self.params
        if p["range"] == "fixed" or values is None or not values.size:
            return [p["ymin"], p["ymax"]]
        finite = values[np.isfinite(values)]
        if not finite.size:
            return [p["ymin"], p["ymax"]]
        lo, hi = float(finite.min()), float(finite.max())
        pad = 0.05 * (hi - lo) if hi > lo else max(0.5, 0.05 * abs(hi))
        return [lo - pad, hi + pad]

    def info(self):
        view = self._view
        n = len(view["t"])
        return {"text": f"{n} values, {view['channels']} line{'s' if view['channels'] != 1 else ''}" if n else ""}


# ---- plot.dataset ------------------------------------------------------------------------------

class Plane:
    """The 2-D plane a learner's examples are drawn in: the features themselves (1 or 2 of
    them), or their first two principal components (PCA, on standardised features)."""

    _ids = 0

    def __init__(self, X, names):
        n, d = X.shape
        Plane._ids += 1
        self.id, self.dim, self.n = Plane._ids, d, n
        if d <= 2:
            self.center, self.scale, self.basis = np.zeros(d), np.ones(d), np.eye(2, d)
            self.explained = None
            self.axes = [names[i] if i < len(names) else f"feature {i + 1}" for i in range(d)] + [""] * (2 - d)
        else:
            self.center = X.mean(axis=0)
            std = X.std(axis=0)
            self.scale = np.where(std > 0, std, 1.0)
            Z = (X - self.center) / self.scale
            _, S, Vt = np.linalg.svd(Z, full_matrices=n < d)
            basis = Vt[:2].copy()
            for row in basis:  # a fixed sign, so the same examples always give the same picture
                if row[np.argmax(np.abs(row))] < 0:
                    row *= -1
            self.basis = basis
            total = float(np.sum(S ** 2))
            self.explained = [float(S[i] ** 2 / total) if total > 0 and i < len(S) else 0.0 for i in range(2)]
            self.axes = [f"PC{i + 1} ({round(100 * e)}%)" for i, e in enumerate(self.explained)]
        self.bounds = _bounds(self.project(X)) if n else [0.0, 1.0, 0.0, 1.0]

    @property
    def pca(self):
        return self.explained is not None

    def project(self, X):
        """Feature vectors (n, d) -> points (n, 2) in the plane."""
        return ((np.asarray(X, dtype=np.float64) - self.center) / self.scale) @ self.basis.T

    def lift(self, P):
        """Points (n, 2) of the plane -> feature vectors (n, d): PCA's inverse transform."""
        return self.center + self.scale * (P @ self.basis)


def _bounds(P):
    out = []
    for j in range(2):
        lo, hi = float(P[:, j].min()), float(P[:, j].max())
        pad = 0.1 * (hi - lo) if hi > lo else max(0.5, 0.1 * abs(hi))
        out += [lo - pad, hi + pad]
    return out


class GridJob:
    """A learner's decisions over a grid of the plane, computed a few rows at a time."""

    def __init__(self, key, snap, plane, size, output, classes):
        self.key, self.snap, self.plane, self.output = key, snap, plane, output
        x0, x1, y0, y1 = plane.bounds
        self.x = (np.arange(size) + 0.5) / size * (x1 - x0) + x0
        self.y = (np.arange(size) + 0.5) / size * (y1 - y0) + y0
        self.row = 0
        self.step = 1  # rows per step, adapted to the model's speed
        self.kind = {"classify": "class", "regress": "value", "cluster": "cluster"}[snap.task]
        self.z = np.zeros((size, size), dtype=np.float64 if self.kind == "value" else np.int64)
        order = {c: i for i, c in enumerate(classes)}
        self.to_class = np.array([order[c] for c in snap.classes], dtype=np.int64) if self.kind == "class" else None

    def rows(self, count):
        """Compute the next `count` rows of z."""
        rows = self.y[self.row:self.row + count]
        P = np.column_stack([np.tile(self.x, len(rows)), np.repeat(rows, len(self.x))])
        out = self.snap.predict(self.plane.lift(P))
        if self.kind == "value":
            out = out[:, self.output]
        elif self.kind == "class":
            out = self.to_class[out]
        self.z[self.row:self.row + len(rows)] = out.reshape(len(rows), len(self.x))
        self.row += len(rows)

    @property
    def done(self):
        return self.row >= len(self.y)

    def result(self):
        grid = {"x": frozen(self.x), "y": frozen(self.y), "z": frozen(self.z, self.z.dtype), "kind": self.kind}
        if self.kind == "value":
            grid["range"] = [float(self.z.min()), float(self.z.max())]
        return grid


@register("plot.dataset", category="plot")
class Dataset(Plot):
    """Shows a learner's examples as points, coloured by class, with what it has learned behind them.

    Link a learner's `model` outlet to `model` (ml.classify, ml.regress or
    ml.cluster), and the features it gets to `features`. Each recorded example
    is a point, coloured by its class (classify), its taught value (regress) or
    the group found (cluster). Behind them, the running model's answer over the
    whole plane is shaded: its decision regions, or its output surface (the
    value of output number `output`). The live input is the point on top.

    With 2 features the axes are the features themselves. With more, the plot
    shows the two directions in which the examples vary most (PCA, principal
    components; the percentage is how much of the variation each shows), and
    the shading is the model's answer on that plane. Clicking a point shows
    that example (its take and time); it can be deleted, and undone.
    """

    kind = "dataset"
    inlets = (Inlet("model", "any", help="a learner's `model` outlet: its examples and running model"),
              Inlet("features", "vector", help="the live input, drawn on top"))
    params = (Param("regions", "bool", True, help="shade what the model answers everywhere in the plane"),
              Param("grid", "int", 48, min=4, max=256, help="how finely the shading is computed (cells per side)"),
              Param("output", "int", 1, min=1, max=1000, help="regression: which output value to shade"),
              Param("points", "int", 5000, min=10, max=1_000_000,
                    help="the most examples drawn (evenly thinned beyond that)"),
              Param("names", "text", "", help="feature names for the axes, e.g. \"x, y\" (2 features)"))

    def setup(self):
        self._snap = None
        self._plane = None
        self._grid = None  # (key, grid dict)
        self._job = None
        self._timer = None
        self._base = None  # the view without the live point
        self._live = None
        self._colors = (None, [])  # (whose labels, class index of each), grown as examples come
        super().setup()

    def empty_view(self):
        return {"kind": self.kind, "version": 0, "source": None, "task": None, "axes": ["", ""],
                "points": frozen(np.zeros((0, 2))), "index": frozen(np.zeros(0), np.int64),
                "take": frozen(np.zeros(0), np.int64), "time": frozen(np.zeros(0)),
                "features": frozen(np.zeros((0, 0))), "labels": None, "color": frozen(np.zeros(0), np.int64),
                "values": None, "value_range": None, "classes": [], "grid": None, "live": None,
                "bounds": [0.0, 1.0, 0.0, 1.0], "examples": 0, "trained": 0, "components": None,
                "feature_names": []}

    def stop(self):
        self._stop_job()

    def param_changed(self, name, old):
        if self._snap is not None and self.host is not None:
            self._take(self._snap, refit=name == "names")

    def process(self, fired):
        if "model" in fired:
            snap = self.inputs["model"]
            if not isinstance(snap, LearnerSnapshot):
                raise NodeError("expects what a learner's `model` outlet sends (link ml.classify, ml.regress "
                                "or ml.cluster to it)")
            self._take(snap)
        if "features" in fired:
            self._show_live(self.inputs["features"])

    # ---- a new snapshot ---------------------------------------------------------------------

    def _take(self, snap, refit=False):
        old, plane = self._snap, self._plane
        self._snap = snap
        if snap.n == 0:
            self._plane = None
        elif (refit or plane is None or plane.dim != snap.dim or old is None or old.source != snap.source
              or old.epoch != snap.epoch or snap.model_version != old.model_version
              or (snap.predictor is None and snap.n >= 1.1 * plane.n + 1)):
            # a new model, other examples, or (no model yet) a tenth more of them: fit the plane
            # to the examples. While recording more for a running model, the plane stays, and
            # so does the shading.
            self._plane = Plane(snap.X, self._names())
        self._base = self._base_view(snap)
        self._start_grid(snap)
        self._show()

    def _feature_names(self, dim):
        names = self._names()
        return [names[i] if i < len(names) else f"feature {i + 1}" for i in range(dim)]

    def _names(self):
        return split_names(self.params["names"])

    def _classes(self, snap):
        if snap.task == "classify":
            return sorted(set(snap.classes) | set(snap.labels or ()), key=label_key)
        if snap.task == "cluster" and snap.predictor is not None:
            return list(range(len(getattr(snap.predictor, "centers", ()))))
        return []

    def _base_view(self, snap):
        plane, n = self._plane, snap.n
        shown = np.arange(n)
        if n > self.params["points"]:
            shown = np.unique(np.linspace(0, n - 1, self.params["points"]).round().astype(np.int64))
        X = snap.X[shown] if len(shown) != n else snap.X
        points = plane.project(X) if plane is not None else np.zeros((0, 2))
        classes = self._classes(snap)
        color, labels, values, value_range = np.full(len(shown), -1, dtype=np.int64), None, None, None
        if snap.task == "classify" and snap.labels is not None:
            key, colors = self._colors
            if key != (snap.source, snap.epoch, tuple(classes)) or len(colors) > n:
                colors = []
                self._colors = ((snap.source, snap.epoch, tuple(classes)), colors)
            if len(colors) < n:
                order = {c: i for i, c in enumerate(classes)}
                colors.extend(order[c] for c in snap.labels[len(colors):n])
            color = np.array(colors[:n], dtype=np.int64)
            if len(shown) == n:
                labels = list(snap.labels)
            else:
                labels, color = [snap.labels[i] for i in shown.tolist()], color[shown]
        elif snap.task == "cluster" and snap.predictor is not None and len(X):
            color = snap.predict(X).astype(np.int64)
        elif snap.task == "regress" and snap.targets is not None and len(shown):
            j = min(self.params["output"], snap.targets.shape[1]) - 1
            values = frozen(snap.targets[shown, j])
            value_range = [float(values.min()), float(values.max())]
        bounds = list(plane.bounds) if plane is not None else [0.0, 1.0, 0.0, 1.0]
        if len(points):
            b = _bounds(points)
            bounds = [min(bounds[0], b[0]), max(bounds[1], b[1]), min(bounds[2], b[2]), max(bounds[3], b[3])]
        return {"source": snap.source, "task": snap.task,
                "axes": list(plane.axes) if plane is not None else ["", ""],
                "points": frozen(points), "index": frozen(shown, np.int64), "take": frozen(snap.takes[shown], np.int64),
                "time": frozen(snap.times[shown]), "features": frozen(X), "labels": labels,
                "color": frozen(color, np.int64), "values": values, "value_range": value_range,
                "classes": list(classes), "grid": None, "live": None, "bounds": bounds, "examples": n,
                "trained": snap.trained,
                "components": frozen(plane.basis) if plane is not None and plane.pca else None,
                "feature_names": self._feature_names(snap.dim)}

    # ---- the shading, a few rows at a time --------------------------------------------------

    def _start_grid(self, snap):
        plane, p = self._plane, self.params
        if (not p["regions"] or plane is None or snap.predictor is None
                or snap.predictor.n_features != plane.dim or snap.task not in ("classify", "regress", "cluster")):
            self._stop_job()
            self._grid = None
            return
        output = 0
        if snap.task == "regress":
            outputs = getattr(snap.predictor, "model", {}).get("n_outputs") or (
                snap.targets.shape[1] if snap.targets is not None else 1)
            output = min(p["output"], outputs) - 1
        classes = tuple(self._classes(snap))
        key = (snap.source, snap.model_version, plane.id, p["grid"], output, classes)
        if self._grid is not None and self._grid[0] == key:
            return
        if self._job is not None and self._job.key == key:
            return
        self._stop_job()
        self._grid = None
        self._job = GridJob(key, snap, plane, p["grid"], output, classes)
        self._grid_step(self._job)

    def _grid_step(self, job):
        self._timer = None
        if job is not self._job:
            return
        start = time.perf_counter()
        try:
            while not job.done and time.perf_counter() - start < SLICE_S:
                t = time.perf_counter()
                job.rows(job.step)
                # as many rows a step as fit in half a slice, from what the last step took
                per_row = (time.perf_counter() - t) / job.step
                job.step = max(1, min(len(job.y), int(SLICE_S / 2 / max(per_row, 1e-9))))
        except Exception as e:  # a model that cannot answer over the plane: no shading, a sentence
            self._job = None
            raise NodeError(f"cannot shade the model's answers: {type(e).__name__}: {e}") from None
        if job.done:
            self._job = None
            self._grid = (job.key, job.result())
            self._show()
        else:
            self._timer = self.schedule(SLICE_GAP_MS, self._grid_step, job)

    def _stop_job(self):
        self._job = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # ---- the live point ---------------------------------------------------------------------

    def _show_live(self, x):
        plane = self._plane
        if plane is None:
            if self._snap is not None and self._snap.dim and len(x) != self._snap.dim:
                raise NodeError(f"got {len(x)} features, but the learner's examples have {self._snap.dim}")
            self._live = [float(x[0]), float(x[1]) if len(x) > 1 else 0.0] if len(x) <= 2 and len(x) else None
        else:
            if len(x) != plane.dim:
                raise NodeError(f"got {len(x)} features, but the learner's examples have {plane.dim}: "
                                f"link the same features to both")
            u, v = plane.project(x[None, :])[0]
            self._live = [float(u), float(v)]
        self._show()

    def _show(self):
        base = self._base if self._base is not None else self.empty_view()
        view = dict(base, live=self._live)
        if self._grid is not None:
            view["grid"] = self._grid[1]
            grid = self._grid[1]
            if "range" in grid and base.get("value_range") is not None:
                lo, hi = base["value_range"]
                view["value_range"] = [min(lo, grid["range"][0]), max(hi, grid["range"][1])]
            elif "range" in grid:
                view["value_range"] = list(grid["range"])
        self._publish(view)

    # ---- for the editor ---------------------------------------------------------------------

    def example(self, point) -> dict:
        """What the editor shows for a clicked point (its position in view()["points"])."""
        view = self._view
        if not 0 <= point < len(view["index"]):
            raise EditError(f"there is no point {point}")
        out = {"index": int(view["index"][point]), "take": int(view["take"][point]),
               "time": float(view["time"][point]), "features": view["features"][point].tolist()}
        if view["labels"] is not None:
            out["label"] = view["labels"][point]
        if view["values"] is not None:
            out["value"] = float(view["values"][point])
        return out

    def delete_command(self, point) -> DeleteExample:
        """The undoable edit that deletes the clicked example from its learner: rt.do(it)."""
        view = self._view
        if view["source"] is None:
            raise EditError("no learner is linked to this plot")
        ex = self.example(point)
        return DeleteExample(view["source"], ex["index"], take=ex["take"], t=ex["time"])

    def info(self):
        view = self._view
        if not view["examples"]:
            return {"text": "no examples yet" if view["source"] else "link a learner's model outlet here"}
        parts = [counted(view["examples"], "example")]
        if view["components"] is not None:
            parts.append(" × ".join(view["axes"]))
        if view["grid"] is not None:
            parts.append(f"model of {view['trained']}")
        return {"text": "; ".join(parts)}


# ---- plot.confusion ----------------------------------------------------------------------------

@register("plot.confusion", category="plot")
class Confusion(Plot):
    """Shows which classes a trained classifier mixes up (its confusion matrix).

    Link ml.classify's `model` outlet here. After training, the classifier is
    tested on examples it did not learn from (cross-validation: each example is
    left out once and predicted by a model trained on the others). Row = the
    true class, column = the class it was taken for: everything on the diagonal
    is right, everything off it is a mix-up.
    """

    kind = "confusion"
    inlets = (Inlet("model", "any", help="ml.classify's `model` outlet"),)

    def empty_view(self):
        return {"kind": self.kind, "version": 0, "source": None, "classes": [], "matrix": None,
                "accuracy": None, "folds": None, "examples": 0}

    def process(self, fired):
        snap = self.inputs["model"]
        if not isinstance(snap, LearnerSnapshot):
            raise NodeError("expects what ml.classify's `model` outlet sends")
        if snap.task != "classify":
            raise NodeError(f"shows a classifier's mix-ups; this is a {snap.task} learner (link ml.classify)")
        view = {"source": snap.source, "classes": list(snap.classes), "matrix": None, "accuracy": None,
                "folds": None, "examples": 0}
        if snap.confusion is not None and snap.predictor is not None:
            view.update(matrix=snap.confusion, accuracy=snap.score.get("accuracy"), folds=snap.score.get("folds"),
                        examples=int(snap.confusion.sum()))
        old = self._view
        if (any(view[k] != old.get(k) for k in view if k != "matrix")
                or not _same(view["matrix"], old.get("matrix"))):
            self._publish(view)  # only a change: snapshots come often while recording

    def info(self):
        view = self._view
        if view["matrix"] is None:
            return {"text": "train the classifier to see its mix-ups" if view["source"] else
                    "link ml.classify's model outlet here"}
        return {"text": f"accuracy {view['accuracy']:.0%} on {counted(view['examples'], 'example')} ({counted(view['folds'], 'fold')})"}


def _same(a, b):
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool((a == b).all())
