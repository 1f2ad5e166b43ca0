"""The patch model: nodes, links and comments, every change validated.

The graph is the document; networkx is only its index (order, cycles). It emits
events (`subscribe`) so a view can follow without being asked. The index is made when
first asked for: reading a patch (`nodegraph check`) never needs it, and networkx's
import is half of that command's time.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import NamedTuple

from .errors import EditError, LinkError, ParamError
from .node import Node, Placeholder
from .types import fits


class Link(NamedTuple):
    src: str
    outlet: str
    dst: str
    inlet: str

    def __str__(self):
        return f"{self.src}.{self.outlet} → {self.dst}.{self.inlet}"


class Comment(NamedTuple):
    text: str
    pos: tuple


class Graph:
    """Nodes, links and comments, every change validated.

    The same structure serves both halves of a running patch. As the document
    (`document=True`) its nodes are records that never run: their type's ports and params
    checked by the type's own code, with each node's saved state kept apart, as plain data,
    in `states`. As the engine's graph its nodes are the running processes."""

    def __init__(self, document=False):
        self.document = document
        self.base_dir, self.search_path = None, ()  # where the document's abstractions are found
        self.arguments = None  # an abstraction opened on its own: its declared defaults for $1, $2…
        self.states: dict[str, dict] = {}  # the document's saved state of each node that has one
        self.nodes: dict[str, Node] = {}
        self.pos: dict[str, tuple] = {}
        self.links: list[Link] = []
        self._link_set: set[Link] = set()
        self._defer_cycles = False  # while a file loads: one loop search at the end, not one per link
        self.comments: dict[int, Comment] = {}
        self._next_comment = 0
        self._nx = None  # the index, once asked for
        self._ranks_dirty = True
        self._listeners = []
        self.host = None  # the scheduler, when one runs this graph

    # ---- events ----------------------------------------------------------------------

    def subscribe(self, fn):
        """fn(event, *args) is called after every change; returns an unsubscribe function."""
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn)

    def notify(self, event, *args):
        for fn in list(self._listeners):
            fn(event, *args)

    # ---- nodes -----------------------------------------------------------------------

    def node(self, node_id) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise EditError(f"there is no node '{node_id}'") from None

    def new_id(self, type_id: str) -> str:
        stem = type_id.split(".")[-1] or "node"
        n = 1
        while f"{stem}{n}" in self.nodes:
            n += 1
        return f"{stem}{n}"

    def add_node(self, node: Node, pos=(0, 0)):
        if not isinstance(node.id, str) or not node.id:
            raise EditError("a node id must be non-empty text")
        if node.id in self.nodes:
            raise EditError(f"there is already a node '{node.id}'")
        self.nodes[node.id] = node
        self.pos[node.id] = _check_pos(pos)
        if self._nx is not None:
            self._nx.add_node(node.id)
        self._ranks_dirty = True
        if not self.document:
            node.host = self.host
        self.notify("node_added", node.id)

    def remove_node(self, node_id):
        node = self.node(node_id)
        attached = [link for link in self.links if node_id in (link.src, link.dst)]
        if attached:
            raise EditError(f"node '{node_id}' still has links: {', '.join(map(str, attached))}")
        del self.nodes[node_id]
        del self.pos[node_id]
        self.states.pop(node_id, None)
        if self._nx is not None:
            self._nx.remove_node(node_id)
        self._ranks_dirty = True
        self.notify("node_removed", node_id, node)
        node.host = None
        return node

    def _order_fanout(self, targets):
        """One outlet to several inlets: right to left, then bottom to top, as Max orders
        fan-out. By place, never by name or by the order links were made or listed in a
        file, so renaming a node or saving a patch never changes what it does."""
        pos = self.pos
        targets.sort(key=lambda t: (-pos[t[0].id][0], -pos[t[0].id][1], t[1]))

    def move(self, node_id, pos):
        self.node(node_id)
        old = self.pos[node_id]
        self.pos[node_id] = _check_pos(pos)
        for link in self._links_into(node_id):
            self._order_fanout(self.nodes[link.src]._out[link.outlet])
        self.notify("moved", node_id, self.pos[node_id])
        return old

    def set_param(self, node_id, name, value):
        """Validate and set; returns the old value. A bad value leaves the old one."""
        node = self.node(node_id)
        if self.document and node_id in self.states:
            node.state = self.states[node_id]  # a record checks a param against the data the document has
        raw = None
        if self.document and self.arguments is not None and isinstance(value, str) and "$" in value:
            from .abstraction import substitute
            raw, value = value, substitute(value, self.arguments, "self")
        value = node.check_param(name, value)
        old = node.params.get(name)  # (a box may gain an argument it had none of)
        old_raw = node.arg_params.get(name)
        if self.document and (raw is not None or old_raw is not None):
            # `$1` in an abstraction opened on its own: kept as written, run as its default
            node.arg_params = {k: v for k, v in node.arg_params.items() if k != name}
            if raw is not None:
                node.arg_params[name] = raw
            if raw != old_raw and value == old and type(value) is type(old):
                self.notify("param", node_id, name, value)
                return old_raw if old_raw is not None else old
        old = old_raw if old_raw is not None else old
        if value == old and type(value) is type(old):
            return old
        if node.param_spec(name).shapes_ports:
            self._reshape(node, name, value)
        else:
            node.params[name] = value
        if not self.document:  # a record does not run: only a process reacts
            node.param_changed(name, old)
        self.notify("param", node_id, name, value)
        return old

    def _reshape(self, node, name, value):
        """A param that changes the ports: refuse if a link would lose its port."""
        old = node.params[name]
        old_out = node._out
        node.params[name] = value
        try:
            node._build_ports()
        except Exception:
            node.params[name] = old
            node._build_ports()
            raise
        lost = [link for link in self.links
                if (link.src == node.id and link.outlet not in node.outlet_map)
                or (link.dst == node.id and link.inlet not in node.inlet_map)]
        if lost:
            node.params[name] = old
            node._build_ports()
            node._out = old_out
            raise ParamError(f"param '{name}' cannot change to {value!r} while these links use ports "
                             f"it would remove: {', '.join(map(str, lost))}")
        for outlet, links in old_out.items():
            node._out[outlet] = links
        node.setup()

    # ---- links -----------------------------------------------------------------------

    def check_link(self, link: Link):
        """Raise LinkError saying why `link` cannot be made; return (outlet, inlet) specs."""
        src = self.nodes.get(link.src)
        dst = self.nodes.get(link.dst)
        if src is None:
            raise LinkError(f"link {link}: there is no node '{link.src}'")
        if dst is None:
            raise LinkError(f"link {link}: there is no node '{link.dst}'")
        if isinstance(src, Placeholder):
            src.add_port("outlet", link.outlet)
        if isinstance(dst, Placeholder):
            dst.add_port("inlet", link.inlet)
        outlet = src.outlet_map.get(link.outlet)
        if outlet is None:
            names = ", ".join(src.outlet_map) or "none"
            raise LinkError(f"link {link}: node '{link.src}' ({src.type_id}) has no outlet '{link.outlet}' "
                            f"(its outlets: {names})")
        inlet = dst.inlet_map.get(link.inlet)
        if inlet is None:
            names = ", ".join(dst.inlet_map) or "none"
            raise LinkError(f"link {link}: node '{link.dst}' ({dst.type_id}) has no inlet '{link.inlet}' "
                            f"(its inlets: {names})")
        if link in self._link_set:
            raise LinkError(f"link {link} exists already")
        if not fits(outlet.type, inlet.type):
            raise LinkError(f"cannot link {link.src}.{link.outlet} ({outlet.type}) to "
                            f"{link.dst}.{link.inlet} ({inlet.type}): a {outlet.type} does not fit "
                            f"a {inlet.type} inlet" + _link_hint(outlet.type, inlet.type, link.dst, dst))
        if not src.breaks_cycles:
            if link.src == link.dst:
                raise LinkError(f"link {link} would feed '{link.src}' into itself with no delay; "
                                f"put a delay in the loop")
            if not self._defer_cycles and _nx().has_path(self.index(), link.dst, link.src):
                path = _nx().shortest_path(self.index(), link.dst, link.src)
                cycle = " → ".join([link.src, *path])
                raise LinkError(f"link {link} would close a loop with no delay in it: {cycle}; "
                                f"put a delay in the loop")
        return outlet, inlet

    def connect(self, link: Link):
        link = Link(*link)
        self.check_link(link)
        self.links.append(link)
        self._link_set.add(link)
        src, dst = self.nodes[link.src], self.nodes[link.dst]
        targets = src._out[link.outlet]
        targets.append((dst, link.inlet))
        self._order_fanout(targets)
        if not src.breaks_cycles:
            if self._nx is not None:
                self._nx.add_edge(link.src, link.dst, key=link)
            self._ranks_dirty = True
        self.notify("linked", link)

    def disconnect(self, link: Link):
        link = Link(*link)
        if link not in self._link_set:
            raise LinkError(f"there is no link {link}")
        self.links.remove(link)
        self._link_set.discard(link)
        src, dst = self.nodes[link.src], self.nodes[link.dst]
        src._out[link.outlet].remove((dst, link.inlet))
        if not src.breaks_cycles:
            if self._nx is not None and self._nx.has_edge(link.src, link.dst, key=link):
                self._nx.remove_edge(link.src, link.dst, key=link)
            self._ranks_dirty = True
        self.notify("unlinked", link)

    @contextmanager
    def loading(self):
        """Add many links with one loop search at the end (a file loading): linear in nodes
        and links, where a search per link is quadratic."""
        self._defer_cycles = True
        try:
            yield
        finally:
            self._defer_cycles = False
        cycle = _find_cycle(self.nodes, self._cascade_links())
        if cycle is None:
            return
        names = " → ".join([cycle[0][0]] + [edge[1] for edge in cycle])
        raise LinkError(f"link {cycle[-1][2]} closes a loop with no delay in it: {names}; put a delay in the loop")

    def _cascade_links(self):
        """The links a cascade follows: all but those leaving a node that breaks cycles (delay)."""
        nodes = self.nodes
        return [link for link in self.links if not nodes[link.src].breaks_cycles]

    def index(self):
        """networkx's graph of the links a cascade follows, made on first use (on the thread
        that asks: a runtime asks on its editing thread, never the scheduler's)."""
        if self._nx is None:
            index = _nx().MultiDiGraph()
            index.add_nodes_from(self.nodes)
            # (src, dst, key, attributes): a 3-tuple's third item is read as attributes when it
            # can be (a Link of four two-letter names can), and the link would not be the key
            index.add_edges_from((link.src, link.dst, link, {}) for link in self._cascade_links())
            self._nx = index
        return self._nx

    def _links_into(self, node_id):
        return [link for link in self.links if link.dst == node_id]

    def links_of(self, node_id):
        return [link for link in self.links if node_id in (link.src, link.dst)]

    # ---- comments --------------------------------------------------------------------

    def add_comment(self, text, pos, cid=None):
        if not isinstance(text, str):
            raise EditError("a comment's text must be text")
        if cid is None:
            cid = self._next_comment
        self._next_comment = max(self._next_comment, cid + 1)
        self.comments[cid] = Comment(text, _check_pos(pos))
        self.notify("comment", cid)
        return cid

    def remove_comment(self, cid):
        comment = self.comments.pop(cid)
        self.notify("comment", cid)
        return comment

    def set_comment(self, cid, text=None, pos=None):
        old = self.comments[cid]
        self.comments[cid] = Comment(old.text if text is None else text,
                                     old.pos if pos is None else _check_pos(pos))
        self.notify("comment", cid)
        return old

    # ---- order -----------------------------------------------------------------------

    def update_ranks(self):
        """Give each node its depth: the longest path to it from a node with no inputs
        (once per structural change). The scheduler runs shallower nodes first; ties go to
        the order values were sent in, so names never decide what a patch does."""
        if self._ranks_dirty:
            index, nodes = self.index(), self.nodes
            for node_id in _nx().topological_sort(index):
                depth = 0
                for pred in index.predecessors(node_id):
                    depth = max(depth, nodes[pred]._rank + 1)
                nodes[node_id]._rank = depth
            self._ranks_dirty = False


def _find_cycle(nodes, links):
    """A loop among `links` as [(src, dst, link)], or None: Kahn's peeling first (linear, and
    the common answer is "none"), then a walk inside what could not be peeled."""
    indegree = dict.fromkeys(nodes, 0)
    out, into = {}, {}
    for link in links:
        indegree[link.dst] += 1
        out.setdefault(link.src, []).append(link.dst)
        into.setdefault(link.dst, []).append(link)
    ready = [n for n, d in indegree.items() if d == 0]
    while ready:
        for succ in out.get(ready.pop(), ()):
            indegree[succ] -= 1
            if indegree[succ] == 0:
                ready.append(succ)
    left = {n for n, d in indegree.items() if d > 0}
    if not left:
        return None
    # every node left has a predecessor left: walk backwards until a node repeats
    node, seen, path = next(iter(left)), {}, []
    while node not in seen:
        seen[node] = len(path)
        link = next(k for k in into[node] if k.src in left)
        path.append((link.src, node, link))
        node = link.src
    loop = path[seen[node]:]
    return [(s, d, k) for s, d, k in reversed(loop)]


def _nx():
    import networkx

    return networkx


def _check_pos(pos):
    if (not isinstance(pos, (list, tuple)) or len(pos) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos)):
        raise EditError(f"a position must be two numbers [x, y], got {pos!r}")
    return (pos[0], pos[1])


_BETWEEN = {("vector", "float"): "unpack or slice takes numbers out of a vector",
            ("vector", "bool"): "unpack or slice takes numbers out of a vector",
            ("vector", "label"): "a learner (ml.classify) names a vector",
            ("text", "float"): "select or route picks out texts",
            ("label", "float"): "select picks out labels, ml's number outlet gives a class's number",
            ("midi", "float"): "midi.in's outlets give numbers (note, velocity, value)"}


def _link_hint(kind, target, dst_id, dst) -> str:
    """What would fit instead: the target's inlets that take this type, or a node between."""
    hints = []
    inlets = [i.name for i in dst.inlets if fits(kind, i.type)]
    if inlets:
        hints.append(f"{dst_id}'s {' or '.join(inlets[:3])} inlet takes it")
    if (kind, target) in _BETWEEN:
        hints.append(_BETWEEN[kind, target])
    return "; " + "; ".join(hints) if hints else ""
