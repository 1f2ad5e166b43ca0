"""Boxes in the document, their insides in the engine.

The document keeps an abstraction or a subpatch as one node (a `Box` record, whose ports are
the inlet and outlet nodes inside); the engine runs the flat expansion (nodegraph.abstraction).
A patch with boxes keeps the engine in step by expanding the document after a structural edit
and applying the difference (`sync`): nodes that stay keep their process and what it learned.
The state of a node inside a box lives in the document under its flat id ("cls/classifier"),
and is folded back into the box when the patch is saved.
"""
from __future__ import annotations

import copy

from . import abstraction
from .errors import PatchError
from .graph import Link
from .node import Inlet, Node, Outlet
from .params import Param


_BOX_PARAM = Param("box", "json", None, shapes_ports=True)  # a box's arguments or inside: its ports follow


class Box(Node):
    """A box that holds a patch: a subpatch, or an abstraction (a patch file used as a box,
    its arguments filling $1, $2… inside).

    Its inlets and outlets are the inlet and outlet nodes inside it, left to right.
    Double-click it to open the inside in a window of its own; Edit > De-encapsulate
    takes the inside out into this patch, Edit > Encapsulate puts a selection in a new box.
    """

    type_id = "box"
    category = "patch"

    def __init__(self, node_id, type_id, params, base_dir=None, search_path=()):
        self._type, self._raw = type_id, copy.deepcopy(params)
        self._where = (base_dir, tuple(search_path))
        super().__init__(node_id)
        self.params = self._raw

    @property
    def saved_type(self):
        return self._type

    def saved_params(self):
        return self._raw

    def check_param(self, name, value):
        return value  # a box's arguments are checked where they are used: expanding it

    @classmethod
    def param_spec(cls, name):
        return _BOX_PARAM

    def inside(self) -> dict:
        inner = abstraction.inside({"type": self._type, "params": self._raw}, self.id, *self._where)
        if inner is None:
            raise PatchError(f"box '{self.id}' ({self._type}): cannot read what it holds")
        return inner

    def ports(self):
        inlets, outlets = abstraction.box_ports(self.inside())
        return tuple(Inlet(n, t) for n, t in inlets), tuple(Outlet(n, t) for n, t in outlets)


def make(node_id, type_id, params, base_dir=None, search_path=()):
    """A Box record if `type_id` is a subpatch or names an abstraction, else None."""
    if type_id != abstraction.SUBPATCH and abstraction.find(type_id, base_dir, search_path) is None:
        return None
    return Box(node_id, type_id, params or {}, base_dir, search_path)


def has_boxes(graph) -> bool:
    """The engine runs an expansion of this document: it has boxes, or it is an abstraction
    opened on its own (its $1, $2… filled with their defaults)."""
    return (graph.arguments is not None or any(isinstance(n, Box) for n in graph.nodes.values())
            or any("/" in i for i in graph.states))


def inner_states(graph) -> dict:
    """{flat id: state} of the nodes inside boxes, as the document keeps them."""
    return {i: s for i, s in graph.states.items() if "/" in i}


def doc_of(graph) -> dict:
    """The document as a patch file holds it: what nodes inside boxes learned folded back into
    their boxes."""
    from . import patchfile
    doc = patchfile.to_doc(graph)
    inner = inner_states(graph)
    if inner:
        doc = abstraction.keep_state(doc, {"nodes": {i: {"state": s} for i, s in inner.items()}})
    return doc


def load(graph, doc, source="patch", owned=False):
    """Fill an empty document graph from a checked patch; returns the commands applied, and
    the flat expansion when it has boxes (else None)."""
    from . import patchfile
    commands = []
    graph.arguments = abstraction.own_args(doc)
    patchfile.build(doc, graph, source, commands, owned)
    if not has_boxes(graph) and graph.arguments is None:
        return commands, None
    flat = abstraction.expand(abstraction.with_own_args(doc), graph.base_dir, graph.search_path, source)
    # what a box's own saved state changes from what its file holds (a learner's examples):
    # kept by the document, so an untouched box saves back as it was
    bare = copy.deepcopy(doc)
    for node in bare.get("nodes", {}).values():
        if isinstance(graph.nodes.get(node.get("type")), Box) or node.get("type") == abstraction.SUBPATCH or \
                abstraction.find(node["type"], graph.base_dir, graph.search_path) is not None:
            node.pop("state", None)
    base = abstraction.expand(abstraction.with_own_args(bare), graph.base_dir, graph.search_path, source)["nodes"]
    for node_id, node in flat["nodes"].items():
        if "/" in node_id and node.get("state") and node["state"] != base.get(node_id, {}).get("state"):
            graph.states[node_id] = node["state"]
    return commands, flat


def reload(graph, doc):
    """Replace the document's patch by `doc` (a rearrangement, abstraction files read again).
    Its comments keep their ids, in order: commands in the history name comments by id (a
    move, an edit, a delete), and must find them after the reload, its undo and its redo.
    A rearrangement keeps the patch's comments first, in order; those a box brings out come
    after them and are numbered from the ids before it, so a redo gives them the same ids."""
    cids = sorted(graph.comments)
    clear(graph)
    result = load(graph, doc)
    loaded = [graph.remove_comment(cid) for cid in sorted(graph.comments)]
    top = max(cids, default=-1) + 1
    for cid, comment in zip(cids + list(range(top, top + len(loaded))), loaded):
        graph.add_comment(comment.text, comment.pos, cid)
    return result


def clear(graph):
    for link in list(graph.links):
        graph.disconnect(link)
    for node_id in list(graph.nodes):
        graph.remove_node(node_id)
    for cid in list(graph.comments):
        graph.remove_comment(cid)
    graph.states.clear()


def sync(engine, flat, comments):
    """Bring the engine's graph to the flat patch `flat` by the difference: links that went
    first, then nodes that went or changed type, then new nodes, params, places, new links;
    and its comments to the document's `comments` (a copy: ids and all, so the comment
    commands that follow find theirs)."""
    for cid in [c for c in engine.comments if c not in comments]:
        engine.remove_comment(cid)
    for cid, comment in comments.items():
        if engine.comments.get(cid) != comment:
            engine.add_comment(comment.text, comment.pos, cid)
    want = flat.get("nodes", {})
    links = {Link(*link) for link in flat.get("links", [])}
    for link in list(engine.links):
        if link not in links:
            engine.disconnect(link)
    for node_id, node in list(engine.nodes.items()):
        w = want.get(node_id)
        if w is None or w["type"] != getattr(node, "saved_type", node.type_id):
            for link in engine.links_of(node_id):
                engine.disconnect(link)
            engine.remove_node(node_id)
    from .commands import AddNode
    for node_id, w in want.items():
        node = engine.nodes.get(node_id)
        if node is None:
            AddNode(w["type"], w.get("params", {}), w.get("pos", [0, 0]), node_id, w.get("state"),
                    w.get("state_version", 1)).do(engine)
            continue
        for name, value in w.get("params", {}).items():
            if name in node.params and node.params[name] != value:
                engine.set_param(node_id, name, value)
        pos = tuple(w.get("pos", [0, 0]))
        if engine.pos[node_id] != pos:
            engine.move(node_id, pos)
    have = set(engine.links)
    for link in sorted(links - have):
        engine.connect(link)
