"""Flow: send values one way or another depending on what they are (Pd's route,
select, spigot and change)."""
from __future__ import annotations

import numpy as np

from nodegraph import BANG, Inlet, Node, Outlet, Param, register
from nodegraph.errors import ParamError

REJECT = "reject"


def _parse_keys(text, what):
    """The keys of a route/select: [(name, number or None)], checked."""
    names = text.split()
    if not names:
        raise ParamError(f"param 'keys' needs at least one {what}, such as: play stop")
    seen = set()
    for name in names:
        if name == REJECT:
            raise ParamError(f"param 'keys' cannot use '{REJECT}': it is the name of the last outlet")
        if name in seen:
            raise ParamError(f"param 'keys' lists '{name}' twice")
        seen.add(name)
    return [(name, _number(name)) for name in names]


def _number(text):
    try:
        x = float(text)
    except ValueError:
        return None
    return x if x == x else None  # "nan" is a word here, not a number


def _is_number(v):
    return isinstance(v, (int, float, np.number, np.bool_)) and not isinstance(v, np.complexfloating)


class _Keyed(Node):
    """route and select: one outlet per key, then the reject outlet."""

    inlets = (Inlet("in", "any"),)

    def ports(self):
        keys = _parse_keys(self.params["keys"], "key")
        outlets = tuple(Outlet(name, self.key_type, help=f"{self.key_help} {name}") for name, _ in keys)
        return type(self).inlets, outlets + (Outlet(REJECT, "any", help="everything that matches no key"),)

    def setup(self):
        keys = _parse_keys(self.params["keys"], "key")
        self._by_text = {name: name for name, _ in keys}
        self._by_number = {}
        for name, number in keys:
            if number is not None:
                self._by_number.setdefault(number, name)

    def match(self, head):
        """The outlet a head value (a word, a number or a bang) goes to, or None."""
        if head is BANG:
            return self._by_text.get("bang")
        if isinstance(head, str):
            return self._by_text.get(head)
        if _is_number(head):
            return self._by_number.get(float(head))
        return None


@register("route", category="flow")
class Route(_Keyed):
    """Sorts messages by their first word or number: each goes out of the outlet of that name.

    With keys `play stop`, the text "play 0.5" sends 0.5 out of `play`; "stop"
    alone sends a bang out of `stop`. It also routes OSC messages by address
    ([/fader 0.3] sends 0.3 out of `/fader`), vectors by their first number,
    and labels (a classifier's output) by name. What matches no key goes out of
    `reject` unchanged.
    """

    key_type, key_help = "any", "the rest of a message that starts with"
    params = (Param("keys", "text", "play stop", shapes_ports=True,
                    help="words or numbers, separated by spaces; one outlet each"),)

    def process(self, fired):
        v = self.inputs["in"]
        if isinstance(v, str):
            words = v.split()
            outlet = self.match(words[0]) if words else None
            if outlet is not None:
                return self.emit(outlet, _rest(words[1:], text=True))
        elif isinstance(v, (list, tuple)) and v:
            outlet = self.match(v[0])
            if outlet is not None:
                return self.emit(outlet, _rest(list(v[1:])))
        elif isinstance(v, np.ndarray) and v.ndim == 1 and v.size:
            outlet = self.match(float(v[0]))
            if outlet is not None:
                return self.emit(outlet, _rest(v[1:]))
        else:
            outlet = self.match(v)
            if outlet is not None:
                return self.emit(outlet, BANG)
        self.emit(REJECT, v)


def _rest(items, text=False):
    """What follows the matched head: nothing is a bang, one item itself, numbers a vector."""
    if isinstance(items, np.ndarray):
        return BANG if not items.size else float(items[0]) if items.size == 1 else items
    if not items:
        return BANG
    if text:
        numbers = [_number(w) for w in items]
        if None in numbers:
            return " ".join(items)
        items = numbers
    if len(items) == 1:
        return float(items[0]) if _is_number(items[0]) and not isinstance(items[0], bool) else items[0]
    if all(_is_number(x) for x in items):
        return np.array(items, dtype=np.float64)
    return list(items)


@register("select", category="flow", aliases=("sel",))
class Select(_Keyed):
    """Picks out chosen values: when one arrives, a bang goes out of its outlet (Pd's sel).

    With keys `1 2 wave`, the number 2 bangs outlet `2` and the label "wave"
    bangs outlet `wave`. Numbers match by value (2 and 2.0 are the same).
    Anything else goes out of `reject` unchanged.
    """

    key_type, key_help = "bang", "a bang when the value is"
    params = (Param("keys", "text", "0 1", shapes_ports=True,
                    help="numbers or words, separated by spaces; one outlet each"),)

    def process(self, fired):
        v = self.inputs["in"]
        head = float(v[0]) if isinstance(v, np.ndarray) and v.shape == (1,) else v
        outlet = self.match(head) if not isinstance(head, (list, tuple, np.ndarray)) else None
        if outlet is not None:
            self.emit(outlet, BANG)
        else:
            self.emit(REJECT, v)


@register("gate", category="flow", aliases=("spigot",))
class Gate(Node):
    """A valve: lets values through only while it is open, to switch a flow on and off.

    Open and close it with the `open` param or inlet (on/off). While closed,
    values are dropped, not kept for later.
    """

    inlets = (Inlet("in", "any", help="what to let through"),
              Inlet("open", "bool", help="on: let values through; off: stop them"))
    outlets = (Outlet("out", "any"),)
    params = (Param("open", "bool", False, help="let values through"),)

    def process(self, fired):
        if "open" in fired:  # before `in`, so "open, then a value" in one moment lets it through
            self.params["open"] = self.inputs["open"]
        if "in" in fired and self.params["open"]:
            self.emit("out", self.inputs["in"])

    def info(self):
        return {"open": self.params["open"]}


@register("change", category="flow")
class Change(Node):
    """Lets a value through only when it changes, so a repeated value does not act twice.

    Repeats are dropped. A bang sends the last value again; `set` changes the
    remembered value without sending it.
    """

    inlets = (Inlet("in", "any", help="a value: passed on if new; a bang: send the last value again"),
              Inlet("set", "any", help="remember this value without sending it"))
    outlets = (Outlet("out", "any"),)

    _NOTHING = object()

    def setup(self):
        self._last = self._NOTHING

    def process(self, fired):
        if "set" in fired:
            self._last = self.inputs["set"]
        if "in" not in fired:
            return
        v = self.inputs["in"]
        if v is BANG:
            if self._last is not self._NOTHING:
                self.emit("out", self._last)
            return
        if self._last is self._NOTHING or not _same(v, self._last):
            self._last = v
            self.emit("out", v)


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.shape == b.shape and bool(np.array_equal(a, b))
    if _is_number(a) and _is_number(b):
        return float(a) == float(b)
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:  # values that cannot say whether they are equal are different
        return False
