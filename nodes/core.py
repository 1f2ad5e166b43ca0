"""The basic boxes of any patch: time, arithmetic, routing of order, printing."""
from __future__ import annotations

import math
import operator

import numpy as np

from nodegraph import BANG, Inlet, Node, Outlet, Param, register
from nodegraph.errors import NodeError
from nodegraph.types import describe


@register("loadbang", category="time")
class Loadbang(Node):
    """Sends a bang once, when the patch starts running.

    Use it to switch things on when a patch opens: a metro, a starting value.
    """

    outlets = (Outlet("bang", "bang"),)

    def loadbang(self):
        self.emit("bang", BANG)


@register("metro", category="time")
class Metro(Node):
    """A metronome: sends a bang every `interval` milliseconds while it is on.

    Left inlet: on/off (a bang also switches it on). Right inlet: a new interval.
    """

    inlets = (Inlet("on", "any", help="on, a non-zero number or a bang starts; off or 0 stops"),
              Inlet("interval", "float", hot=False, help="milliseconds between bangs"))
    outlets = (Outlet("bang", "bang"),)
    params = (Param("interval", "float", 100.0, min=1.0, max=3_600_000.0, help="milliseconds between bangs"),
              Param("autostart", "bool", False, help="start ticking when the patch starts"))

    def setup(self):
        self._timer = None

    def start(self):
        if self.params["autostart"]:
            self._tick()

    def stop(self):
        self._halt()

    def process(self, fired):
        self._halt()
        on = self.inputs["on"]
        if on is BANG or (on is not None and not isinstance(on, str) and bool(np.any(on))):
            self._tick()

    def _tick(self):
        interval = self.inputs["interval"]
        interval = self.params["interval"] if interval is None else max(1.0, interval)
        self._timer = self.schedule(interval, self._tick)
        self.emit("bang", BANG)

    def _halt(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


@register("delay", category="time")
class Delay(Node):
    """Waits, then passes a value on: `time` milliseconds later, to make things happen in time.

    A new value before the time is up starts the wait again (Pd's delay). A loop
    that goes back into itself needs a delay in it: that is feedback in time.
    """

    breaks_cycles = True
    inlets = (Inlet("in", "any", help="the value to send later (a bang is a bang)"),
              Inlet("stop", "bang", help="forget the waiting value"))
    outlets = (Outlet("out", "any"),)
    params = (Param("time", "float", 100.0, min=0.0, max=3_600_000.0, help="milliseconds to wait"),)

    def setup(self):
        self._timer = None

    def process(self, fired):
        self.stop()
        if "in" in fired:
            self._timer = self.schedule(self.params["time"], self.emit, "out", self.inputs["in"])

    def stop(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


@register("value", category="data")
class Value(Node):
    """Remembers a value and sends it again each time it gets a bang.

    A bang sends the stored value; anything else replaces it and is sent too.
    The `set` inlet replaces it quietly. The patch starts with the `value` param.
    """

    inlets = (Inlet("in", "any", help="bang: send the value; anything else: store and send"),
              Inlet("set", "any", hot=False, help="store without sending"))
    outlets = (Outlet("out", "any"),)
    params = (Param("value", "json", 0.0, help="the value to hold"),)

    def setup(self):
        self.current = self.params["value"]

    def param_changed(self, name, old):
        self.current = self.params["value"]

    def process(self, fired):
        if "set" in fired:
            self.current = self.inputs["set"]
        if "in" in fired:
            if self.inputs["in"] is not BANG:
                self.current = self.inputs["in"]
            out = self.current
            self.emit("out", np.asarray(out, dtype=float) if isinstance(out, list) else out)


def _div(a, b):
    return a / b if b != 0 else 0.0  # Pd's choice: dividing by zero gives 0, not an error


def _mod(a, b):
    return math.fmod(a, b) if b != 0 else 0.0


OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": _div,
       "min": min, "max": max, "pow": pow, "mod": _mod}


@register("math", category="math")
class Math(Node):
    """Arithmetic on two numbers (add, multiply, min, power...): out = a (op) b.

    A number on the left inlet (a) computes and sends the result. The right inlet
    (b) only stores the number to use next; it starts as `arg`. Dividing by zero
    gives 0.
    """

    inlets = (Inlet("a", "float", help="computes and sends"),
              Inlet("b", "float", hot=False, help="stored for the next computation"))
    outlets = (Outlet("out", "float"),)
    params = (Param("op", "choice", "+", choices=tuple(OPS)),
              Param("arg", "float", 0.0, help="the right operand until one arrives"))

    def setup(self):
        self._op = OPS[self.params["op"]]
        self.inputs["b"] = self.params["arg"]

    def param_changed(self, name, old):
        if name == "op":
            self._op = OPS[self.params["op"]]
        else:
            self.inputs["b"] = self.params["arg"]

    def process(self, fired):
        try:
            result = self._op(self.inputs["a"], self.inputs["b"])
        except (OverflowError, ValueError) as e:
            raise NodeError(f"{self.inputs['a']} {self.params['op']} {self.inputs['b']}: {e}") from None
        if isinstance(result, complex):
            raise NodeError(f"{self.inputs['a']} pow {self.inputs['b']} is not a real number")
        self.emit("out", result)


TRIGGER_KINDS = {"b": "bang", "f": "float", "a": "any", "t": "text", "v": "vector", "l": "label"}


@register("trigger", category="data", aliases=("t",))
class Trigger(Node):
    """Sends one value out of several outlets in turn, right to left, so you control what happens first.

    Each outlet converts the value to its own kind, one letter each in `kinds`:
    b bang, f float, a anything, t text, v vector, l label. As in Pd, the
    rightmost outlet fires first.
    """

    inlets = (Inlet("in", "any"),)
    params = (Param("kinds", "text", "b b", shapes_ports=True,
                    help="one letter per outlet: b f a t v l"),)

    def ports(self):
        kinds = self.params["kinds"].split()
        bad = [k for k in kinds if k not in TRIGGER_KINDS]
        if bad or not kinds:
            from nodegraph.errors import ParamError
            raise ParamError(f"param 'kinds' takes letters from {' '.join(TRIGGER_KINDS)}, got "
                             f"\"{self.params['kinds']}\"")
        outlets = tuple(Outlet(f"out{i}", TRIGGER_KINDS[k]) for i, k in enumerate(kinds))
        return type(self).inlets, outlets

    def process(self, fired):
        value = self.inputs["in"]
        for outlet in reversed(self.outlets):
            self.emit(outlet.name, BANG if outlet.type == "bang" else value)


@register("pack", category="data")
class Pack(Node):
    """Joins several numbers into one list (a vector), such as two sliders into one [x, y].

    Each inlet holds one element. With `hot` = first, only the first inlet sends
    (as Pd's pack); with `hot` = all, any inlet sends (as Max's pak).
    """

    outlets = (Outlet("vector", "vector"),)
    params = (Param("size", "int", 2, min=1, max=64, shapes_ports=True),
              Param("hot", "choice", "first", choices=("first", "all"), shapes_ports=True))

    def ports(self):
        all_hot = self.params["hot"] == "all"
        inlets = tuple(Inlet(f"in{i}", "float", hot=(i == 0 or all_hot), default=0.0)
                       for i in range(self.params["size"]))
        return inlets, type(self).outlets

    def process(self, fired):
        self.emit("vector", np.array([self.inputs[i.name] for i in self.inlets], dtype=np.float64))


@register("unpack", category="data")
class Unpack(Node):
    """Splits a list (vector) into separate numbers, one per outlet, rightmost first.

    A shorter vector fills only the first outlets; extra elements are ignored.
    """

    inlets = (Inlet("vector", "vector"),)
    params = (Param("size", "int", 2, min=1, max=64, shapes_ports=True),)

    def ports(self):
        return type(self).inlets, tuple(Outlet(f"out{i}", "float") for i in range(self.params["size"]))

    def process(self, fired):
        v = self.inputs["vector"]
        for i in reversed(range(min(len(v), len(self.outlets)))):
            self.emit(f"out{i}", float(v[i]))


@register("print", category="output")
class Print(Node):
    """Writes whatever arrives to the console (the bottom panel), after a prefix: to see what flows."""

    inlets = (Inlet("in", "any"),)
    params = (Param("prefix", "text", "print"),)

    def process(self, fired):
        self.log(f"{self.params['prefix']}: {format_value(self.inputs['in'])}")


def format_value(v) -> str:
    if isinstance(v, np.ndarray):
        return " ".join(f"{x:g}" for x in v.tolist())
    if isinstance(v, float):
        return f"{v:g}"
    if v is BANG:
        return "bang"
    if isinstance(v, (str, int, bool)) or v is None:
        return str(v)
    return describe(v) if not hasattr(v, "type") else str(v)
