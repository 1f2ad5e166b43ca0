"""A patch's own ports: the inlets and outlets its box shows when another patch uses it."""
from __future__ import annotations

from nodegraph import Inlet, Node, Outlet, Param, register
from nodegraph.types import TYPES


class _Port(Node):
    params = (Param("name", "text", "", help="the port's name on the box (empty: this node's id)"),
              Param("type", "choice", "any", choices=TYPES, shapes_ports=True,
                    help="what the port carries; a link that does not fit is refused. Sound (signal) "
                         "passes only when the patch is a box: then its links go straight through"))

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
