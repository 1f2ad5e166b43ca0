"""Param specs: what a node's settings are, and the checks every value goes through."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ParamError

KINDS = ("float", "int", "bool", "text", "choice", "vector", "json")


@dataclass(frozen=True)
class Param:
    """One setting of a node. The editor builds its widget from this."""

    name: str
    kind: str
    default: object
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    help: str = ""
    shapes_ports: bool = False  # changing it changes the node's inlets or outlets
    file: bool = False  # a file path: confined to the patch's folder (nodegraph.paths), checked by `check`

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"param {self.name}: unknown kind {self.kind!r}")
        object.__setattr__(self, "choices", tuple(self.choices))
        self.check(self.default)  # a spec whose default is invalid is a programming error

    def check(self, value):
        """Return `value` in its canonical form, or raise ParamError saying why not."""
        kind = self.kind
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
                raise ParamError(f"expects a number, got {_show(value)}")
            value = float(value)
        elif kind == "int":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParamError(f"expects a whole number, got {_show(value)}")
        elif kind == "bool":
            if not isinstance(value, bool):
                raise ParamError(f"expects true or false, got {_show(value)}")
        elif kind == "text":
            if not isinstance(value, str):
                raise ParamError(f"expects text, got {_show(value)}")
        elif kind == "choice":
            if value not in self.choices or isinstance(value, bool):
                raise ParamError(f"expects one of {', '.join(map(str, self.choices))}; got {_show(value)}")
        elif kind == "vector":
            if not isinstance(value, (list, tuple)) or not all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) and _finite(x) for x in value):
                raise ParamError(f"expects a list of numbers, got {_show(value)}")
            value = [float(x) for x in value]
        elif kind == "json":
            check_json(value)
        if self.min is not None and kind in ("float", "int") and value < self.min:
            raise ParamError(f"must be at least {_num(self.min)}, got {_num(value)}")
        if self.max is not None and kind in ("float", "int") and value > self.max:
            raise ParamError(f"must be at most {_num(self.max)}, got {_num(value)}")
        return value

    def describe(self) -> dict:
        d = {"name": self.name, "kind": self.kind, "default": self.default}
        if self.min is not None:
            d["min"] = self.min
        if self.max is not None:
            d["max"] = self.max
        if self.choices:
            d["choices"] = list(self.choices)
        if self.help:
            d["help"] = self.help
        return d


def range_text(d: dict) -> str:
    """A described param's allowed values for people: "a | b | c", "0 .. 1", or ""."""
    if "choices" in d:
        return " | ".join(map(str, d["choices"]))
    if "min" in d or "max" in d:
        return f"{_num(d['min']) if 'min' in d else ''} .. {_num(d['max']) if 'max' in d else ''}"
    return ""


def floats(values) -> bool:
    """A list of plain finite floats (the common case: features), told without a Python
    call per number. False says only "look at each"."""
    return bool(values) and set(map(type, values)) == _FLOAT and math.isfinite(math.fsum(values))


_FLOAT = {float}


def check_json(value, depth=0):
    """Plain JSON data only: no objects that could carry behaviour."""
    if depth > 64:
        raise ParamError("is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ParamError(f"holds a number JSON cannot store ({value})")
        return value
    if isinstance(value, list):
        if floats(value):  # an example's features: checked at C speed, not a call per number
            return value
        for x in value:
            check_json(x, depth + 1)
        return value
    if isinstance(value, dict):
        for k, x in value.items():
            if not isinstance(k, str):
                raise ParamError(f"has a key that is not text ({k!r})")
            check_json(x, depth + 1)
        return value
    raise ParamError(f"holds {type(value).__name__}, which is not plain JSON data")


def _finite(x):
    """A float param can hold it: finite, and (a whole number) not beyond any float."""
    try:
        return math.isfinite(x)
    except OverflowError:
        return False


def _num(x):
    if abs(x) >= 1e16:  # 1e308 from a file is one short number, not 309 digits
        return f"{x:.6g}" if isinstance(x, float) or abs(x) < 1e300 else f"a number of {len(str(abs(x)))} digits"
    return str(int(x)) if float(x).is_integer() else str(x)


def _show(value):
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 40 else text[:37] + "..."
