"""Showing values on the canvas."""
from __future__ import annotations

import numpy as np

from nodegraph import BANG, Inlet, Node, Param, register
from nodegraph.types import describe

SHOWN = 16  # vector elements written out in the text; the rest are summed up as "…"
KEPT = 64  # vector elements handed to the editor as numbers


@register("display", category="output")
class Display(Node):
    """Shows the latest value that arrived, right on the node.

    Numbers are shown with `digits` decimals, vectors element by element, text
    as it is. It also counts the values it has seen.
    """

    inlets = (Inlet("in", "any", help="anything to show"),)
    params = (Param("digits", "int", 3, min=0, max=12, help="decimals shown for numbers"),)

    def setup(self):
        self._seen = (None, 0)  # (latest value, how many): one tuple, swapped whole, for the editor's thread

    def process(self, fired):
        self._seen = (self.inputs["in"], self._seen[1] + 1)

    @property
    def value(self):
        return self._seen[0]

    def info(self):
        value, count = self._seen
        return {"text": show(value, self.params["digits"]) if count else "", "count": count,
                "value": plain(value)}


def show(v, digits=3) -> str:
    if v is BANG:
        return "bang"
    if isinstance(v, (bool, np.bool_)):
        return "on" if v else "off"
    if isinstance(v, (float, np.floating)):
        return f"{v:.{digits}f}"
    if isinstance(v, np.ndarray):
        flat = v.reshape(-1)
        text = " ".join(f"{x:.{digits}f}" for x in flat[:SHOWN].tolist())
        return text + (f" … ({flat.size} values)" if flat.size > SHOWN else "")
    if isinstance(v, str):
        return v if len(v) <= 200 else v[:199] + "…"
    if isinstance(v, (int, np.integer)):
        return str(v)
    if isinstance(v, (list, tuple)):
        return " ".join(show(x, digits) for x in v[:SHOWN]) + (" …" if len(v) > SHOWN else "")
    if v is None:
        return ""
    return str(v) if hasattr(v, "type") else describe(v)  # a MIDI message prints itself


def plain(v):
    """The value as plain data the editor can draw (bars for a vector), trimmed to KEPT elements."""
    if v is BANG:
        return "bang"
    if isinstance(v, np.ndarray):
        return v.reshape(-1)[:KEPT].tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v[:KEPT]]
    return show(v)
