"""Feature extractors: shape a stream of numbers or vectors before a learner sees it.

Most boxes here take a number or a vector and send the same kind back, working
on each element of a vector separately. Time-based ones (delta) use the patch's
logical clock, so a recording replayed gives exactly the same features.
"""
from __future__ import annotations

import math

import numpy as np

from nodegraph import Inlet, Node, Outlet, Param, register
from nodegraph.commands import SetState
from nodegraph.errors import NodeError, ParamError
from nodegraph.types import describe

BIG = 1e12


def numeric(v):
    """A float, or a 1-D float64 array; NodeError for anything else."""
    if type(v) is float or (type(v) is np.ndarray and v.dtype == np.float64 and v.ndim == 1):
        return v
    if isinstance(v, (bool, int, float, np.bool_, np.number)) and not isinstance(v, np.complexfloating):
        return float(v)
    if isinstance(v, (np.ndarray, list, tuple)):
        try:
            a = np.asarray(v, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise NodeError(f"expects a number or a list of numbers, got {describe(v)}") from None
        return a
    raise NodeError(f"expects a number or a list of numbers, got {describe(v)}")


def remembered_input(node, fired):
    """The value on `in` for a node that remembers past values (setup() forgets them):
    `reset` forgets, and so does a value of another shape than those remembered.
    None when `in` did not fire."""
    if "reset" in fired:
        node.setup()
    if "in" not in fired:
        return None
    x = numeric(node.inputs["in"])
    kind = (True, 1) if isinstance(x, float) else (False, x.size)
    if kind != node._kind:
        node.setup()
        node._kind = kind
    return x


def as_output(a, like):
    """Send back the kind that came in: a float for a float, a vector for a vector."""
    return float(a[0]) if isinstance(like, float) else a


IN = Inlet("in", "any", help="a number or a vector")
RESET = Inlet("reset", "bang", help="forget the past values")


@register("scale", category="features")
class Scale(Node):
    """Maps numbers from one range to another, such as 0–127 to 0–1.

    A value at `in_min` becomes `out_min`, a value at `in_max` becomes `out_max`,
    and those between are spread in between. With `clip` on, values outside the
    input range stay at the ends. `curve` bends the mapping: 1 is straight, 2
    rises slowly then fast, 0.5 rises fast then slowly. Vectors are scaled
    element by element.
    """

    inlets = (IN,)
    outlets = (Outlet("out", "any", help="a number or a vector, as it came in"),)
    params = (Param("in_min", "float", 0.0, min=-BIG, max=BIG), Param("in_max", "float", 1.0, min=-BIG, max=BIG),
              Param("out_min", "float", 0.0, min=-BIG, max=BIG), Param("out_max", "float", 1.0, min=-BIG, max=BIG),
              Param("clip", "bool", False, help="keep results inside the output range"),
              Param("curve", "float", 1.0, min=0.01, max=100.0, help="1: straight; above 1: slow start; "
                                                                       "below 1: fast start"))

    def process(self, fired):
        x = numeric(self.inputs["in"])
        p = self.params
        width = p["in_max"] - p["in_min"]
        span = p["out_max"] - p["out_min"]
        curve, clip = p["curve"], p["clip"]
        if isinstance(x, float):
            t = (x - p["in_min"]) / width if width else 0.0
            if clip:
                t = min(max(t, 0.0), 1.0)
            if curve != 1.0:
                t = math.copysign(abs(t) ** curve, t)  # stays defined below in_min
            self.emit("out", p["out_min"] + span * t)
        elif x.size <= 16 and curve == 1.0 and width:
            # a sensor's few numbers: Python's arithmetic on each, the same operations in the
            # same order as below (so the same bits), without numpy's cost per operation
            lo, out_min = p["in_min"], p["out_min"]
            if clip:
                t = [min(max((v - lo) / width, 0.0), 1.0) * span + out_min for v in x.tolist()]
            else:
                t = [(v - lo) / width * span + out_min for v in x.tolist()]
            self.emit("out", np.array(t))
        else:  # in place: each array made for a value costs more than its arithmetic
            t = x - p["in_min"]
            if width:
                t /= width
            else:
                t[:] = 0.0
            if clip:
                np.clip(t, 0.0, 1.0, out=t)
            if curve != 1.0:
                t = np.copysign(np.abs(t) ** curve, t)
            t *= span
            t += p["out_min"]
            self.emit("out", t)


@register("clip", category="features")
class Clip(Node):
    """Keeps numbers between `min` and `max`: smaller ones become `min`, larger `max`.

    Vectors are clipped element by element.
    """

    inlets = (IN,)
    outlets = (Outlet("out", "any"),)
    params = (Param("min", "float", 0.0, min=-BIG, max=BIG), Param("max", "float", 1.0, min=-BIG, max=BIG))

    def process(self, fired):
        x = numeric(self.inputs["in"])
        lo, hi = sorted((self.params["min"], self.params["max"]))
        self.emit("out", min(max(x, lo), hi) if isinstance(x, float) else np.clip(x, lo, hi))


@register("smooth", category="features")
class Smooth(Node):
    """Smooths a jittery stream of numbers or vectors.

    `one-pole`: each output moves part of the way towards the input; `amount`
    near 1 is very smooth (and slow), 0 is no smoothing. `average`: the mean
    of the last `n` values. A change of vector length starts afresh.
    """

    inlets = (IN, RESET)
    outlets = (Outlet("out", "any"),)
    params = (Param("mode", "choice", "one-pole", choices=("one-pole", "average")),
              Param("amount", "float", 0.9, min=0.0, max=1.0, help="one-pole: 0 no smoothing, near 1 very smooth"),
              Param("n", "int", 5, min=1, max=100_000, help="average: how many values"))

    def setup(self):
        self._y = None  # one-pole output, float or array
        self._buf = None  # average: (n, d) ring of past values
        self._count = 0
        self._kind = None  # (is_float, length) of the values remembered

    def param_changed(self, name, old):
        if name != "amount":
            self.setup()

    def process(self, fired):
        x = remembered_input(self, fired)
        if x is None:
            return
        if self.params["mode"] == "one-pole":
            a = self.params["amount"]
            self._y = x if self._y is None else a * self._y + (1.0 - a) * x
            self.emit("out", self._y)
            return
        n = self.params["n"]
        if self._buf is None:
            self._buf = np.empty((n, self._kind[1]))
        self._buf[self._count % n] = x
        self._count += 1
        mean = self._buf[:min(self._count, n)].mean(axis=0)
        self.emit("out", as_output(mean, x))


@register("delta", category="features")
class Delta(Node):
    """How fast a value changes: its velocity, in units per second.

    Each output is (value − previous value) / (seconds since the previous
    value), by the patch's clock. The first value gives 0. With `mode`
    difference it is just value − previous value. Vectors work element by
    element.
    """

    inlets = (IN, RESET)
    outlets = (Outlet("out", "any"),)
    params = (Param("mode", "choice", "per second", choices=("per second", "difference")),)

    def setup(self):
        self._prev = None  # (time, value)
        self._last = None  # the last output, repeated when no time has passed

    def param_changed(self, name, old):
        self.setup()

    def process(self, fired):
        if "reset" in fired:
            self.setup()
        if "in" not in fired:
            return
        x = numeric(self.inputs["in"])
        now = self.now
        prev = self._prev
        if prev is None or type(prev[1]) is not type(x) or np.shape(prev[1]) != np.shape(x):
            self._prev = (now, x)
            self._last = 0.0 if isinstance(x, float) else np.zeros_like(x)
            self.emit("out", self._last)
            return
        if self.params["mode"] == "difference":
            self._last = x - prev[1]
            self._prev = (now, x)
        elif now > prev[0]:
            self._last = (x - prev[1]) * (1000.0 / (now - prev[0]))
            self._prev = (now, x)
        # else: no time has passed (two values in one moment): repeat the last velocity and
        # keep the older value, so the movement is counted when time moves on.
        self.emit("out", self._last)


@register("window", category="features")
class Window(Node):
    """Describes the last `n` values: their mean (average), spread (standard deviation), min and max.

    Until `n` values have arrived it uses those it has. For vectors each
    statistic is a vector, element by element. A change of vector length
    starts afresh. Only the statistics linked to something are computed.
    """

    inlets = (IN, RESET)
    outlets = (Outlet("mean", "any"), Outlet("std", "any", help="standard deviation (spread)"),
               Outlet("min", "any"), Outlet("max", "any"))
    params = (Param("n", "int", 10, min=1, max=100_000, help="how many recent values"),)

    def setup(self):
        self._buf = None
        self._count = 0
        self._kind = None

    def param_changed(self, name, old):
        self.setup()

    def process(self, fired):
        n = self.params["n"]
        x = remembered_input(self, fired)
        if x is None:
            return
        if self._buf is None:
            self._buf = np.empty((n, self._kind[1]))
        self._buf[self._count % n] = x
        self._count += 1
        recent = self._buf[:min(self._count, n)]
        for name, stat in (("max", np.max), ("min", np.min), ("std", np.std), ("mean", np.mean)):
            if self._out[name] or name in self.probes:  # only what something listens to
                self.emit(name, as_output(stat(recent, axis=0), x))


@register("normalize", category="features")
class Normalize(Node):
    """Brings numbers of any size into a common range (such as 0 to 1), learning their range.

    `min-max`: 0 at the smallest value seen so far, 1 at the largest (0.5 while
    they are equal). `z-score`: how many standard deviations from the mean of
    the values seen (0 while they are all equal). Turn `freeze` on to stop
    learning and keep the range learned so far; `reset` forgets it. What it has
    learned is saved with the patch. Vectors work element by element.
    """

    inlets = (IN, RESET, Inlet("freeze", "bool", help="on: stop learning; off: learn again"))
    outlets = (Outlet("out", "any"),)
    params = (Param("mode", "choice", "min-max", choices=("min-max", "z-score")),
              Param("freeze", "bool", False, help="stop learning the range and keep it"))

    def setup(self):
        self._forget()
        self._frozen = self.params["freeze"]

    def param_changed(self, name, old):
        if name == "freeze":
            self._freeze(self.params["freeze"])

    def _freeze(self, on):
        """The running range is process state; frozen, it is what the patch keeps: an edit of
        the document (an undo step) that saves it."""
        if on and not self._frozen and self._n:
            self.propose(SetState(self.id, self.get_state(), label="keep the learned range"))
        self._frozen = on

    def _forget(self):
        self._n = 0
        self._min = self._max = self._mean = self._m2 = None

    def process(self, fired):
        if "freeze" in fired:
            self._freeze(bool(self.inputs["freeze"]))
        if "reset" in fired:
            self._forget()
            self.state_changed()
        if "in" not in fired:
            return
        x = numeric(self.inputs["in"])
        v = np.array([x]) if isinstance(x, float) else x
        if self._n and v.size != self._min.size:
            if self._frozen:
                raise NodeError(f"learned its range for {self._min.size} numbers, got {v.size}; "
                                f"reset it or unfreeze it to learn again")
            self._forget()
        if not self._frozen:
            if not np.isfinite(v).all():  # it would be learned, saved, and JSON has no nan or inf
                raise NodeError("got a value that is not a number (nan or infinity): not learned")
            self._learn(v)
        elif not self._n:
            raise NodeError("is frozen before learning any range; unfreeze it to learn")
        self.emit("out", as_output(self._apply(v), x))

    def _learn(self, v):
        if not self._n:
            self._n, self._min, self._max = 1, v.copy(), v.copy()
            self._mean, self._m2 = v.copy(), np.zeros_like(v)
            return
        self._n += 1
        np.minimum(self._min, v, out=self._min)
        np.maximum(self._max, v, out=self._max)
        d = v - self._mean  # Welford: a running mean and variance without keeping the values
        self._mean += d / self._n
        self._m2 += d * (v - self._mean)

    def _apply(self, v):
        if self.params["mode"] == "min-max":
            width = self._max - self._min
            safe = np.where(width > 0, width, 1.0)
            return np.where(width > 0, (v - self._min) / safe, 0.5)
        std = np.sqrt(self._m2 / self._n)
        safe = np.where(std > 0, std, 1.0)
        return np.where(std > 0, (v - self._mean) / safe, 0.0)

    def get_state(self):
        if not self._n:
            return {}
        return {"count": self._n, "min": self._min.tolist(), "max": self._max.tolist(),
                "mean": self._mean.tolist(), "m2": self._m2.tolist()}

    def validate_state(self, state):
        state = super().validate_state(state)
        if not state:
            return state
        try:
            count = state["count"]
            arrays = [np.asarray(state[k], dtype=np.float64) for k in ("min", "max", "mean", "m2")]
        except (KeyError, TypeError, ValueError):
            raise ParamError("normalize state needs count, min, max, mean and m2") from None
        sizes = {a.shape for a in arrays}
        if (isinstance(count, bool) or not isinstance(count, int) or count < 1 or len(sizes) != 1
                or len(arrays[0].shape) != 1 or not arrays[0].size or (arrays[3] < 0).any()):
            raise ParamError("normalize state needs a count above 0 and min, max, mean, m2 lists of one "
                             "length (m2 not negative)")
        return state

    def set_state(self, state):
        if not state:
            self._forget()
            return
        self._n = state["count"]
        self._min, self._max, self._mean, self._m2 = (np.array(state[k], dtype=np.float64)
                                                      for k in ("min", "max", "mean", "m2"))

    def info(self):
        return {"count": self._n, "frozen": self._frozen}


@register("join", category="vector")
class Join(Node):
    """Joins numbers and vectors end to end into one vector.

    [1, 2] and [3] make [1, 2, 3]. It sends once every inlet has had a value;
    with `hot` = all any inlet sends (Max's pak), with first only the first.
    """

    outlets = (Outlet("vector", "vector"),)
    params = (Param("size", "int", 2, min=2, max=32, shapes_ports=True, help="how many inlets"),
              Param("hot", "choice", "all", choices=("all", "first"), shapes_ports=True,
                    help="all: any inlet sends; first: only the first"))

    def ports(self):
        all_hot = self.params["hot"] == "all"
        return (tuple(Inlet(f"in{i}", "vector", hot=(i == 0 or all_hot)) for i in range(self.params["size"])),
                type(self).outlets)

    def process(self, fired):
        parts = [self.inputs[i.name] for i in self.inlets]
        if any(p is None for p in parts):
            return  # not every inlet has had a value yet
        self.emit("vector", np.concatenate(parts))


@register("slice", category="vector")
class Slice(Node):
    """Takes some numbers out of a list (vector): from `start` up to, not including, `stop`.

    Counting starts at 0. `stop` 0 means up to the end; negative numbers count
    from the end (-1 is the last element).
    """

    inlets = (Inlet("vector", "vector"),)
    outlets = (Outlet("vector", "vector"),)
    params = (Param("start", "int", 0, min=-100_000, max=100_000, help="first element (0 is the first)"),
              Param("stop", "int", 0, min=-100_000, max=100_000, help="element to stop before; 0: the end"))

    def process(self, fired):
        v = self.inputs["vector"]
        start, stop = self.params["start"], self.params["stop"]
        part = v[start:stop if stop != 0 else None]
        if not part.size:
            raise NodeError(f"elements {start} to {stop or 'the end'} of a vector of length {v.size} are none")
        self.emit("vector", part)


@register("magnitude", category="vector")
class Magnitude(Node):
    """How big a vector is, whichever way it points: its length.

    It is the square root of the sum of its squared elements. For a velocity
    vector this is the speed, whatever the direction.
    """

    inlets = (Inlet("vector", "vector"),)
    outlets = (Outlet("out", "float"),)

    def process(self, fired):
        self.emit("out", float(np.linalg.norm(self.inputs["vector"])))

