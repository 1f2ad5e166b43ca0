"""A patch's own ports: the inlets and outlets its box shows when another patch uses it."""
from __future__ import annotations

from nodegraph import Inlet, Node, Outlet, Param, register
from nodegraph.types import TYPES

# sound goes through the audio engine, not the scheduler: a pass-through cannot carry it
PORT_TYPES = tuple(t for t in TYPES if t != "signal")


class _Port(Node):
    params = (Param("name", "text", "", help="the port's name on the box (empty: this node's id)"),
              Param("type", "choice", "any", choices=PORT_TYPES, shapes_ports=True,
                    help="what the port carries; a link that does not fit is refused"))

    def ports(self):
        t = self.params["type"]
        return (Inlet("in", t),), (Outlet("out", t),)

    def process(self, fired):
        self.emit("out", self.inputs["in"])


@register("inlet", category="patch")
class PatchInlet(_Port):
    """An input of this patch: what reaches this inlet of the patch's box comes out here.

    Used as a box in another patch, the patch shows one inlet per inlet node. Inlets appear on the box left to right in the order they stand here. Opened on its own,
    the patch passes what this node gets straight through.
    """


@register("outlet", category="patch")
class PatchOutlet(_Port):
    """An output of this patch: what arrives here leaves the patch's box through this outlet.

    Used as a box in another patch, the patch shows one outlet per outlet node. Outlets appear on the box left to right in the order they stand here.
    """
