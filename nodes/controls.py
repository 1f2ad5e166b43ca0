"""Controls a person plays (number, slider, toggle, button, xy pad) and sources that
make values on their own (noise, lfo, line, counter).

Playing is not editing. A control's `value` param is its set value: what the patch
saves, sent when the patch starts (`init`, on by default) and whenever the param is
edited (the inspector, or `rt.do(SetParam(id, "value", x))`). Moving the control on
the canvas, or a value arriving on `in`, changes its live value and sends it: no
undo step, and the patch is not modified. `set` changes the live value quietly.
"""
from __future__ import annotations

import math

import numpy as np

from nodegraph import BANG, Inlet, Node, Outlet, Param, register
from nodegraph.errors import NodeError, ParamError
from nodegraph.types import CoercionError, _to_float, _to_vector, describe

BIG = 1e12  # the widest range a number param offers the editor


def _number(v):
    try:
        x = _to_float(v)
    except CoercionError:
        raise NodeError(f"expects a number or a bang, got {describe(v)}") from None
    if not math.isfinite(x):  # a control's value is saved in the patch, and JSON has no inf or nan
        raise NodeError(f"expects a finite number, got {x}")
    return x


class Control(Node):
    """What number, slider, toggle and xy share: value param, in/set inlets, init."""

    inlets = (Inlet("in", "any", help="a value: show it and send it on; a bang: send the value again"),
              Inlet("set", "any", help="a value: show it without sending"))

    def check_param(self, name, value):
        value = super().check_param(name, value)
        if name == "value":
            value = self.valid(value)
            if getattr(self, "_ready", False):  # while constructing, the range params may not be set yet
                value = self.fit(value)
        return value

    def setup(self):
        self.params["value"] = self.fit(self.params["value"])
        self.live = self.params["value"]  # what the control shows and sends (process state)
        self._ready = True

    def param_changed(self, name, old):
        if name == "value":
            self.live = self.params["value"]
            self.send_value()
        elif self.fit(self.live) != self.live:  # the range moved past it: the live value follows
            # (the set value stays as it is, so undoing the range edit gives the document back)
            self.live = self.fit(self.live)
            self.send_value()

    def process(self, fired):
        if "set" in fired:
            self.live = self.fit(self.accept(self.inputs["set"]))
        if "in" in fired:
            v = self.inputs["in"]
            if v is BANG:
                self.bang()
            else:
                self.live = self.fit(self.accept(v))
                self.send_value()

    def loadbang(self):
        if self.params["init"]:
            self.send_value()

    def shown(self, name):
        """The value its widget on the canvas shows: the live one."""
        return self.live if name == "value" else self.params[name]

    def info(self):
        value = self.live
        return {"value": list(value) if isinstance(value, list) else value}

    # for each control to define
    def bang(self):
        self.send_value()

    def valid(self, value):
        """Check a param value beyond its kind (ParamError if wrong)."""
        return value

    def accept(self, v):
        """An arriving value in the param's form (NodeError if it cannot be one)."""
        return _number(v)

    def fit(self, value):
        """The value brought into the control's range."""
        return value

    def send_value(self):
        self.emit("out", self.live)


# On by default: a control shows a value, so downstream must have it from the start (a class
# slider showing 1 that the learner has never heard of records nothing).
INIT = Param("init", "bool", True, help="send the value when the patch starts, so what it shows is what was sent")


@register("number", category="control")
class Number(Control):
    """A number box: holds a number and sends it when it changes.

    Type or drag a number to send it. A number arriving on `in` is shown and sent
    on; a bang sends the number again; `set` changes it without sending.
    """

    outlets = (Outlet("out", "float"),)
    params = (Param("value", "float", 0.0, min=-BIG, max=BIG, help="where it starts (saved; moving it on the canvas plays it and is not saved: set it here to keep a place)"), INIT)


@register("slider", category="control")
class Slider(Control):
    """A slider: sends a number between `min` and `max` as you move it.

    With `step` above 0 the slider moves in steps of that size from `min` (step 1
    makes whole numbers). Values from outside are kept inside the range.
    Moving it is playing, not editing: the patch saves where it starts (`value`,
    set in the inspector), as Pd's number box keeps its init value.
    """

    outlets = (Outlet("out", "float"),)
    params = (Param("value", "float", 0.0, min=-BIG, max=BIG, help="where it starts (saved; moving it on the canvas plays it and is not saved: set it here to keep a place)"),
              Param("min", "float", 0.0, min=-BIG, max=BIG, help="the value at the left/bottom end"),
              Param("max", "float", 1.0, min=-BIG, max=BIG, help="the value at the right/top end"),
              Param("step", "float", 0.0, min=0.0, max=BIG, help="0: smooth; otherwise the size of a step"),
              INIT)

    def fit(self, value):
        lo, hi, step = self.params["min"], self.params["max"], self.params["step"]
        if step > 0:
            value = round(lo + round((value - lo) / step) * step, 12)  # 0.30000000000000004 -> 0.3
        return min(max(value, min(lo, hi)), max(lo, hi))


@register("toggle", category="control")
class Toggle(Control):
    """An on/off switch: sends true when switched on, false when switched off.

    A bang on `in` flips it; a number switches it on (not 0) or off (0).
    """

    outlets = (Outlet("out", "bool"),)
    params = (Param("value", "bool", False, help="on or off as it starts (saved; moving it on the canvas plays it and is not saved: set it here to keep a place)"), INIT)

    def bang(self):
        self.live = not self.live
        self.send_value()

    def accept(self, v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        return _number(v) != 0


@register("button", category="control")
class Button(Node):
    """A button: sends a bang each time it is pressed.

    Anything arriving on `in` presses it too. To press it from a script, set its
    `value` to true: it sends a bang and springs back to false by itself.
    """

    inlets = (Inlet("in", "bang", help="anything presses the button"),)
    outlets = (Outlet("bang", "bang"),)
    params = (Param("value", "bool", False, help="set to true to press; it springs back to false"),)

    def setup(self):
        self.params["value"] = False

    def saved_params(self):
        return dict(super().saved_params(), value=False)  # a button is never saved pressed

    def param_changed(self, name, old):
        if self.params["value"]:
            self.params["value"] = False
            self.emit("bang", BANG)

    def process(self, fired):
        self.emit("bang", BANG)


@register("xy", category="control")
class XY(Control):
    """A 2-D pad: a square to draw on with the mouse; it sends where you are as [x, y].

    Press on it and move: the dot follows and it sends its place as [x, y] all
    the way along, so a drawn shape (a circle, a zigzag) arrives as the many
    points of its path, ready to record.

    x goes from `xmin` (left) to `xmax` (right), y from `ymin` (bottom) to `ymax`
    (top). It also sends x and y alone. A 2-number list on `in` moves the dot.
    Playing the pad is not an edit: it is not an undo step.
    """

    outlets = (Outlet("xy", "vector", help="[x, y]"), Outlet("x", "float"), Outlet("y", "float"))
    params = (Param("value", "vector", [0.5, 0.5], help="the point [x, y] it starts at (saved; moving it on the canvas plays it and is not saved: set it here to keep a place)"),
              Param("xmin", "float", 0.0, min=-BIG, max=BIG), Param("xmax", "float", 1.0, min=-BIG, max=BIG),
              Param("ymin", "float", 0.0, min=-BIG, max=BIG), Param("ymax", "float", 1.0, min=-BIG, max=BIG),
              INIT)

    def valid(self, value):
        if len(value) != 2:
            raise ParamError(f"param 'value' is a point [x, y], got {len(value)} numbers")
        return value

    def accept(self, v):
        try:
            v = _to_vector(v)
        except CoercionError:
            raise NodeError(f"expects a point [x, y] or a bang, got {describe(v)}") from None
        if v.size != 2:
            raise NodeError(f"expects a point [x, y], got {v.size} numbers")
        return [_number(v[0]), _number(v[1])]

    def fit(self, value):
        p = self.params
        x = min(max(value[0], min(p["xmin"], p["xmax"])), max(p["xmin"], p["xmax"]))
        y = min(max(value[1], min(p["ymin"], p["ymax"])), max(p["ymin"], p["ymax"]))
        return [x, y]

    def send_value(self):
        x, y = self.live
        self.emit("y", y)
        self.emit("x", x)
        self.emit("xy", np.array([x, y]))


@register("mouse", category="source")
class Mouse(Node):
    """The mouse pointer over the editor window: where it is, as numbers from 0 to 1.

    x goes from 0 at the window's left edge to 1 at its right edge, y from 0 at
    the bottom to 1 at the top. It sends [x, y] (and x and y alone) each time the
    pointer moves, and `button` on (true) while the left button is held, off when
    it is let go. Wire it to a learner or a synth and move the mouse: nothing else
    to build. It needs the editor window (`nodegraph edit`); run without one, it
    says so and sends nothing.
    """

    inlets = ()
    outlets = (Outlet("xy", "vector", help="[x, y]"), Outlet("x", "float"), Outlet("y", "float"),
               Outlet("button", "bool", help="on while the left button is held"))
    NEEDS_WINDOW = "the mouse node needs the editor window (nodegraph edit): without one it sends nothing"
    WAIT_MS = 1000.0  # an editor posts the pointer at once; later than this, there is none

    def setup(self):
        self._at, self._button, self._timer = None, False, None

    def start(self):
        if self._at is None and self.host is not None:
            self._timer = self.schedule(self.WAIT_MS, self._check)

    def stop(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self):
        self._timer = None
        if self._at is None:
            self.log(self.NEEDS_WINDOW, "warning")

    def pointer(self, x, y, button):
        """The editor's reading of the pointer (posted to the scheduler thread)."""
        first, moved = self._at is None, (x, y) != self._at
        self._at = (x, y)
        if bool(button) != self._button or first:
            self._button = bool(button)
            self.emit("button", self._button)
        if moved:
            self.emit("y", y)
            self.emit("x", x)
            self.emit("xy", np.array([x, y]))

    def info(self):
        if self._at is None:
            return {"status": "waiting for the pointer over the editor window"}
        return {"x": self._at[0], "y": self._at[1], "button": self._button}


@register("noise", category="source")
class Noise(Node):
    """Sends a random number each time it gets a bang (drive it with a metro).

    `uniform`: any number between `low` and `high`, all equally likely.
    `gaussian`: numbers around `mean`, most within `std` of it (a bell curve).
    The same `seed` gives the same numbers every time the patch runs. With `size`
    above 1 it sends a list of that many random numbers instead.
    """

    inlets = (Inlet("bang", "bang", help="send a random number"),)
    params = (Param("distribution", "choice", "uniform", choices=("uniform", "gaussian")),
              Param("low", "float", 0.0, min=-BIG, max=BIG, help="uniform: the smallest value"),
              Param("high", "float", 1.0, min=-BIG, max=BIG, help="uniform: the largest value"),
              Param("mean", "float", 0.0, min=-BIG, max=BIG, help="gaussian: the centre"),
              Param("std", "float", 1.0, min=0.0, max=BIG, help="gaussian: the spread"),
              Param("size", "int", 1, min=1, max=4096, shapes_ports=True,
                    help="1: one number (outlet value); more: a list (outlet vector)"),
              Param("seed", "int", 1, min=0, max=2**31 - 1, help="the same seed gives the same numbers"))

    def ports(self):
        if self.params["size"] == 1:
            return type(self).inlets, (Outlet("value", "float"),)
        return type(self).inlets, (Outlet("vector", "vector"),)

    def setup(self):
        self._rng = np.random.default_rng(self.params["seed"])

    def start(self):
        self.setup()  # every run of the patch draws the same numbers

    def param_changed(self, name, old):
        if name == "seed":
            self.setup()

    def process(self, fired):
        p, size = self.params, self.params["size"]
        n = None if size == 1 else size
        if p["distribution"] == "uniform":
            low, high = sorted((p["low"], p["high"]))  # numpy refuses a reversed range
            out = self._rng.uniform(low, high, n)
        else:
            out = self._rng.normal(p["mean"], p["std"], n)
        if n is None:
            self.emit("value", float(out))
        else:
            self.emit("vector", out)


def _sine(p):
    return math.sin(2 * math.pi * p)


def _triangle(p):
    if p < 0.25:
        return 4 * p
    if p < 0.75:
        return 2 - 4 * p
    return 4 * p - 4


def _saw(p):
    return 2 * p - 1


def _square(p):
    return 1.0 if p < 0.5 else -1.0


SHAPES = {"sine": _sine, "triangle": _triangle, "saw": _saw, "square": _square}


@register("lfo", category="source")
class LFO(Node):
    """A slow wave: a value that swings up and down `freq` times a second.

    Shapes: sine and triangle start at 0, rise to 1, fall to -1 and come back;
    saw rises from -1 to 1 and jumps back; square is 1 for the first half of each
    cycle and -1 for the second. Out = offset + amplitude × wave.

    It sends its value on each bang, and by itself every `rate` ms while `on`.
    The wave follows the patch's clock, so the same patch gives the same values
    at the same times. A new frequency takes over without a jump; `reset`
    starts the cycle again from `phase`.
    """

    inlets = (Inlet("bang", "bang", help="send the value now"),
              Inlet("on", "bool", help="on: send by itself every `rate` ms; off: stop"),
              Inlet("freq", "float", help="a new frequency in Hz (replaces the param until it changes)"),
              Inlet("reset", "bang", help="start the cycle again from `phase`"))
    outlets = (Outlet("out", "float"),)
    params = (Param("shape", "choice", "sine", choices=tuple(SHAPES)),
              Param("freq", "float", 1.0, min=0.0, max=10_000.0, help="cycles per second (Hz)"),
              Param("amplitude", "float", 1.0, min=-BIG, max=BIG, help="how far it swings from `offset`"),
              Param("offset", "float", 0.0, min=-BIG, max=BIG, help="the middle of the swing"),
              Param("phase", "float", 0.0, min=0.0, max=1.0, help="where in the cycle it starts (0 to 1)"),
              Param("rate", "float", 20.0, min=1.0, max=3_600_000.0, help="ms between values while on"),
              Param("on", "bool", False, help="send by itself every `rate` ms"))

    def setup(self):
        self._freq = self.params["freq"]
        self._anchor = None  # (time, phase) of the last frequency change; None: phase 0 at time 0
        self._timer = None

    def phase_at(self, now):
        if self._anchor is None:
            p = self.params["phase"] + self._freq * now / 1000.0
        else:
            t, p0 = self._anchor
            p = p0 + self._freq * (now - t) / 1000.0
        return p % 1.0

    def value_at(self, now):
        p = self.params
        return p["offset"] + p["amplitude"] * SHAPES[p["shape"]](self.phase_at(now))

    def _now(self):
        return self.host.now if self.host is not None else 0.0

    def _retune(self, freq):
        now = self._now()
        self._anchor = (now, self.phase_at(now))
        self._freq = freq

    def param_changed(self, name, old):
        if name == "freq":
            self._retune(self.params["freq"])
        elif name == "phase" and self._anchor is not None:
            t, p0 = self._anchor
            self._anchor = (t, p0 + self.params["phase"] - old)
        elif name == "on":
            self._run(self.params["on"])

    def start(self):
        if self.params["on"]:
            self._run(True)

    def stop(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _run(self, on):
        self.stop()
        if on and self.host is not None:
            self._tick()

    def _tick(self):
        self._timer = self.schedule(self.params["rate"], self._tick)
        self.emit("out", self.value_at(self.now))

    def process(self, fired):
        if "reset" in fired:
            self._anchor = (self._now(), self.params["phase"])
        if "freq" in fired:
            self._retune(self.inputs["freq"])
        if "on" in fired:
            self.params["on"] = self.inputs["on"]
            self._run(self.params["on"])
        if "bang" in fired:
            self.emit("out", self.value_at(self._now()))

    def info(self):
        return {"on": self.params["on"], "freq": self._freq}


@register("line", category="source")
class Line(Node):
    """Glides to a new value over a time, sending the values on the way (Pd's line).

    Send [target, ms] to glide to `target` in `ms` milliseconds; a single number
    jumps there at once (or glides for the time last sent to the `time` inlet,
    which then applies to that one glide only). It sends a value every `grain`
    ms, and the target itself exactly when the time is up. A new target during
    a glide starts from wherever the glide is.
    """

    inlets = (Inlet("target", "vector", help="[target, ms] glides; a number jumps (or uses `time`)"),
              Inlet("time", "float", hot=False, help="ms for the next single-number target"),
              Inlet("stop", "bang", help="stop where it is"),
              Inlet("set", "float", help="jump to a value without sending it"))
    outlets = (Outlet("out", "float"),)
    params = (Param("grain", "float", 20.0, min=1.0, max=60_000.0, help="ms between values during a glide"),)

    def setup(self):
        self._value = 0.0  # where it is (start of the glide in progress)
        self._glide = None  # (t0, t1, target) while gliding
        self._timer = None

    def current(self, now):
        if self._glide is None:
            return self._value
        t0, t1, target = self._glide
        if now >= t1:
            return target
        return self._value + (target - self._value) * (now - t0) / (t1 - t0)

    def process(self, fired):
        now = self.now
        if "stop" in fired or "set" in fired:
            self._value = self.current(now) if "set" not in fired else self.inputs["set"]
            self._glide = None
            self.stop()
        if "target" in fired:
            v = self.inputs["target"]
            if v.size not in (1, 2):
                raise NodeError(f"expects [target, ms] or a number, got {v.size} numbers")
            target = float(v[0])
            if v.size == 2:
                ms = float(v[1])
            else:
                ms = self.inputs["time"] or 0.0
                self.inputs["time"] = None
            self.stop()
            self._value = self.current(now)
            if ms > 0:
                self._glide = (now, now + ms, target)
                self._tick()
            else:
                self._glide = None
                self._value = target
                self.emit("out", target)

    def _tick(self):
        now = self.now
        t0, t1, target = self._glide
        left = t1 - now
        if left < 1e-9:
            self._glide, self._value, self._timer = None, target, None
            self.emit("out", target)
        else:
            self._timer = self.schedule(min(self.params["grain"], left), self._tick)
            self.emit("out", self.current(now))

    def stop(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def info(self):
        return {"value": self.current(self.now) if self.host is not None else self._value}


@register("counter", category="source")
class Counter(Node):
    """Counts bangs: each bang sends the count, then moves it on by `step`.

    `direction` up counts from `min` to `max`, down from `max` to `min`, and
    up-down goes back and forth. At the end it starts over when `wrap` is on, or
    stays at the end when it is off. `carry` sends a bang when a cycle ends.
    `reset` goes back to the start; `set` chooses the next count. Counting is
    playing, not editing: the count is not saved, and a reopened patch counts from the start.
    """

    inlets = (Inlet("bang", "bang", help="send the count and move on"),
              Inlet("reset", "bang", help="go back to the start (sends nothing)"),
              Inlet("set", "float", help="the next count to send (sends nothing)"))
    outlets = (Outlet("count", "float"), Outlet("carry", "bang", help="a bang at the end of each cycle"))
    params = (Param("min", "int", 0, min=-10**9, max=10**9),
              Param("max", "int", 9, min=-10**9, max=10**9),
              Param("step", "int", 1, min=1, max=10**9, help="how much each bang adds"),
              Param("direction", "choice", "up", choices=("up", "down", "up-down")),
              Param("wrap", "bool", True, help="start over at the end (up and down only)"))

    def setup(self):
        if not self.state:
            self.state = {"count": self._start(), "direction": 1}

    def _range(self):
        lo, hi = self.params["min"], self.params["max"]
        return min(lo, hi), max(lo, hi)

    def _start(self):
        lo, hi = self._range()
        return hi if self.params["direction"] == "down" else lo

    def validate_state(self, state):
        state = super().validate_state(state)
        count, direction = state.get("count"), state.get("direction", 1)
        if isinstance(count, bool) or not isinstance(count, int) or direction not in (1, -1):
            raise ParamError("counter state needs a whole-number count and a direction of 1 or -1")
        return {"count": count, "direction": direction}

    def process(self, fired):
        lo, hi = self._range()
        if "reset" in fired:
            self.state = {"count": self._start(), "direction": 1}
        if "set" in fired:
            self.state = {"count": min(max(int(round(_number(self.inputs["set"]))), lo), hi),
                          "direction": self.state["direction"]}
        if "bang" not in fired:
            return
        count = min(max(self.state["count"], lo), hi)
        nxt, direction, carry = self._advance(count, self.state["direction"], lo, hi)
        self.state = {"count": nxt, "direction": direction}
        if carry:
            self.emit("carry", BANG)
        self.emit("count", float(count))

    def _advance(self, count, direction, lo, hi):
        """(next count, direction, carry)."""
        step, mode, wrap = self.params["step"], self.params["direction"], self.params["wrap"]
        if mode == "up-down":
            span = hi - lo
            if span == 0:
                return lo, 1, True
            # unfold the back-and-forth onto a circle of 2*span positions
            u = count - lo if direction > 0 else 2 * span - (count - lo)
            moved = u + step
            u = moved % (2 * span)
            new = lo + (u if u <= span else 2 * span - u)
            return new, (1 if u < span else -1), moved >= 2 * span
        size = hi - lo + 1
        u = count - lo if mode == "up" else hi - count
        moved = u + step
        if moved >= size:
            u = moved % size if wrap else size - 1
        else:
            u = moved
        return (lo + u if mode == "up" else hi - u), 1, moved >= size

    def info(self):
        return {"count": self.state["count"]}
