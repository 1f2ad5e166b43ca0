"""Subpatches and abstractions as plain data: a box that is a patch, and the one flat patch
the engine runs.

The document keeps a box as one node; the engine runs `expand(doc)`, in which every box
is replaced by its inside (ids prefixed with the box's path, "cls/classifier") and every
link that crossed a border goes straight to the node inside, so a box costs nothing
when the patch runs and the diamond, order and type rules hold as in one graph.

A box's saved node:

    {"type": "wekinator.classifier", "params": {"args": [6448, 12000]}, "pos": [40, 60]}
    {"type": "subpatch", "params": {"name": "scaling", "patch": {"nodes": {...}, "links": [...]}}}

An abstraction is a patch file found by the box's type: next to the patch, then in the
search path, then in the shipped library (nodegraph/library). `$1`, `$2`... in its params
take the box's arguments (a whole-value `$1` keeps the argument's type, `$1` inside text
becomes text); `$0` is the box's path, different for every box. A file may name its
arguments and give them defaults in its meta: {"args": [{"name": "port", "default": 6448}]}.
A box may keep state for nodes inside ({"classifier": {"examples": [...]}}): a learner's
examples are saved with the patch that uses the abstraction, not in the shared file.

Everything here is a pure function of plain dicts (the shape patchfile.read returns).
"""
from __future__ import annotations

import copy
import os
import re
from pathlib import Path

from . import patchfile, registry
from .errors import EditError, ParamError, PatchError
from .types import fits

SUBPATCH = "subpatch"
PORT_TYPES = ("inlet", "outlet")
LIBRARY = Path(__file__).with_name("library")
MAX_DEPTH = 64  # boxes in boxes: far beyond any patch, far below Python's recursion limit
MAX_NODES = 100_000  # a file using another twice, that one using a third twice...: a limit, not a hang

# a box type names a file by its name alone: no folders, so a patch from a stranger reads
# only the abstractions on the search path
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*\Z")
_DOLLAR = re.compile(r"\$(\d+)")


# ---- finding abstractions ----------------------------------------------------------------

def find(type_id, base_dir=None, search_path=()) -> Path | None:
    """The patch file a box of type `type_id` runs, or None: a registered node type always
    wins over a file of the same name; then next to the patch, the search path, the library."""
    if type_id == SUBPATCH or registry.resolve(type_id) is not None or not _NAME.match(type_id):
        return None
    for folder in (base_dir, *search_path, LIBRARY):
        if folder is not None:
            path = Path(folder) / f"{type_id}.json"
            if path.is_file():
                return path
    return None


def own_args(doc) -> list | None:
    """The arguments an abstraction opened on its own runs with: its declared defaults (None
    when the patch declares no arguments, or one of them has no default)."""
    declared = doc.get("meta", {}).get("args") if isinstance(doc.get("meta"), dict) else None
    if not isinstance(declared, list) or not declared:
        return None
    if not all(isinstance(d, dict) and "default" in d for d in declared):
        return None
    return [copy.deepcopy(d["default"]) for d in declared]


def with_own_args(doc) -> dict:
    """An abstraction opened on its own, as it runs: $1, $2… in its top-level params filled with
    its declared defaults ($0 with "self")."""
    args = own_args(doc)
    if args is None:
        return doc
    doc = copy.deepcopy(doc)
    for node in doc.get("nodes", {}).values():
        if "params" in node:
            node["params"] = substitute(node["params"], args, "self")
    return doc


def library() -> list[str]:
    """The abstractions shipped with nodegraph, by the box type that uses each."""
    return sorted(p.name[:-5] for p in LIBRARY.glob("*.json"))


# ---- ports ---------------------------------------------------------------------------------

def box_ports(inner_doc) -> tuple[list, list]:
    """A box's (inlets, outlets) as [(name, type)], from the inlet and outlet nodes inside,
    left to right."""
    inlets, outlets = _ports(inner_doc, "patch")
    return [(n, t) for n, t, _ in inlets], [(n, t) for n, t, _ in outlets]


def _ports(doc, where):
    found = {"inlet": [], "outlet": []}
    for node_id, node in doc.get("nodes", {}).items():
        if node["type"] in PORT_TYPES:
            params = node.get("params", {})
            cls = registry.get(node["type"])
            for name, value in params.items():
                _check_param(cls, name, value, node_id, where)
            x, y = node.get("pos", [0, 0])
            found[node["type"]].append(((x, y, node_id), params.get("name") or node_id,
                                        params.get("type", "any"), node_id))
    result = []
    for kind in PORT_TYPES:
        ports = [p[1:] for p in sorted(found[kind])]
        names = [p[0] for p in ports]
        for name in names:
            if names.count(name) > 1:
                raise PatchError(f"{where}: two {kind}s are named '{name}'")
        result.append(ports)
    return tuple(result)


# ---- arguments ---------------------------------------------------------------------------

def box_args(node, where="box") -> list:
    args = node.get("params", {}).get("args", [])
    if not isinstance(args, list):
        raise PatchError(f"{where}: 'args' must be a list of arguments, got {patchfile._short(args)}")
    return args


def substitute(value, args, zero=""):
    """`value` with $1, $2... replaced by args[0], args[1]... and $0 by `zero`. A KeyError
    names the missing argument's number."""
    if isinstance(value, str):
        m = _DOLLAR.fullmatch(value)
        if m:
            return _arg(args, int(m.group(1)), zero)
        if "$" in value:
            return _DOLLAR.sub(lambda m: _as_text(_arg(args, int(m.group(1)), zero)), value)
        return value
    if isinstance(value, list):
        return [substitute(v, args, zero) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, args, zero) for k, v in value.items()}
    return value


def _arg(args, n, zero):
    if n == 0:
        return zero
    if n > len(args):
        raise KeyError(n)
    return copy.deepcopy(args[n - 1])


def _as_text(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v if isinstance(v, str) else patchfile._one(v)


def _fill_args(node, inner, where):
    """The box's arguments, completed with the file's declared defaults."""
    args = box_args(node, where)
    declared = inner.get("meta", {}).get("args")
    if not isinstance(declared, list):
        return args
    if len(args) > len(declared):
        names = ", ".join(_arg_name(d, i) for i, d in enumerate(declared)) or "none"
        raise PatchError(f"{where}: takes {len(declared)} arguments ({names}), got {len(args)}")
    args = list(args)
    for i in range(len(args), len(declared)):
        if not isinstance(declared[i], dict) or "default" not in declared[i]:
            raise PatchError(f"{where}: needs argument {i + 1} ({_arg_name(declared[i], i)})")
        args.append(copy.deepcopy(declared[i]["default"]))
    return args


def _arg_name(d, i):
    return d.get("name", f"${i + 1}") if isinstance(d, dict) else f"${i + 1}"


def inside(node, box_id="box", base_dir=None, search_path=()) -> dict | None:
    """What a box holds, its arguments filled in (to open it, or to read its ports), or None
    when `node` is not a box (a registered type, or a missing file)."""
    ex = _Expander(search_path, "patch")
    found = ex.inside(node, box_id, base_dir, "", ())
    if found is None:
        return None
    inner_doc, _, _, args = found
    return ex.with_args(inner_doc, args, box_id, f"box '{box_id}' ({node['type']})")


# ---- expanding -----------------------------------------------------------------------------

def expand(doc, base_dir=None, search_path=(), source="patch") -> dict:
    """The flat patch the engine runs: every box replaced by its inside, at any depth.

    A box whose file is missing stays as it is (the engine makes it a placeholder that
    keeps its arguments and links). PatchError for an abstraction that contains itself,
    a wrong argument, or a link whose types do not fit across a border. Positions in the
    result are order keys (the engine orders fan-out and loadbangs by place): a box's
    inside takes the box's place in that order.
    """
    ex = _Expander(search_path, source)
    nodes, links = ex.flatten(doc, base_dir, "", (), (), source)
    if not ex.boxes:
        return copy.deepcopy(doc)
    order = sorted(nodes, key=lambda i: (ex.keys[i], i))
    for rank, node_id in enumerate(order):
        nodes[node_id]["pos"] = [float(len(order) - rank), 0.0]
    flat = {"format": patchfile.FORMAT, "version": patchfile.VERSION,
            "nodes": dict(sorted(nodes.items())), "links": sorted(links),
            "comments": copy.deepcopy(doc.get("comments", []))}
    if "meta" in doc:
        flat["meta"] = copy.deepcopy(doc["meta"])
    return flat


class _Expander:
    def __init__(self, search_path, source):
        self.search_path = tuple(search_path)
        self.source = source
        self.files = {}  # path -> checked doc, read once per expansion
        self.keys = {}  # flat id -> its place, box by box from the top: ((-x, -y), ...)
        self.types = {}  # flat id -> (inlet types, outlet types) or None
        self.boxes = 0

    def read(self, path):
        key = os.path.realpath(path)
        if key not in self.files:
            self.files[key] = patchfile.read(path)
        return self.files[key]

    def flatten(self, doc, base_dir, prefix, chain, place, where):
        """(nodes, links) of `doc` with every box inside replaced, ids under `prefix`."""
        nodes, links = {}, []
        boxes = []
        for node_id, node in doc.get("nodes", {}).items():
            flat_id = prefix + node_id
            x, y = node.get("pos", [0, 0])
            key = place + ((-x, -y),)
            inner = self.inside(node, node_id, base_dir, prefix, chain)
            if inner is None:
                _taken(nodes, flat_id, where)
                nodes[flat_id] = copy.deepcopy(node)
                self.keys[flat_id] = key
                continue
            self.boxes += 1
            inner_doc, inner_dir, inner_chain, args = inner
            box_where = f"{self.source}: box '{flat_id}' ({node['type']})"
            inner_doc = self.with_args(inner_doc, args, flat_id, box_where)
            box_prefix = flat_id + "/"
            inner_nodes, inner_links = self.flatten(inner_doc, inner_dir, box_prefix, inner_chain, key,
                                                    box_where)
            for rel_id, state in (node.get("state") or {}).items():
                if box_prefix + rel_id in inner_nodes and isinstance(state, dict):
                    inner_nodes[box_prefix + rel_id]["state"] = copy.deepcopy(state)
            for inner_id in inner_nodes:
                _taken(nodes, inner_id, where)
            nodes.update(inner_nodes)
            links.extend(inner_links)
            ins, outs = _ports(inner_doc, box_where)
            boxes.append((node_id, flat_id, box_prefix, ins, outs, box_where))
            if len(self.keys) > MAX_NODES:
                raise PatchError(f"{box_where}: expands to more than {MAX_NODES} nodes")
        by_box = {b[0]: b for b in boxes}
        passes = []
        for src, outlet, dst, inlet in doc.get("links", []):
            src_id, dst_id = prefix + src, prefix + dst
            if src in by_box:
                src_id, outlet = _port_node(by_box[src], "outlet", outlet), "out"
            if dst in by_box:
                dst_id, inlet = _port_node(by_box[dst], "inlet", inlet), "in"
            links.append([src_id, outlet, dst_id, inlet])
        for _, _, box_prefix, ins, outs, box_where in boxes:
            passes += [(box_prefix + p[2], box_where) for p in ins + outs]
        for pass_id, box_where in passes:
            links = self.bypass(nodes, links, pass_id, box_where)
        return nodes, links

    def inside(self, node, node_id, base_dir, prefix, chain):
        """(inner doc, its folder, the chain of files, args) if `node` is a box, else None."""
        type_id = node["type"]
        if type_id == SUBPATCH:
            patch = node.get("params", {}).get("patch", {})
            where = f"{self.source}: subpatch '{prefix + node_id}'"
            wrapped = {"format": patchfile.FORMAT, "version": patchfile.VERSION}
            if not isinstance(patch, dict):
                raise PatchError(f"{where}: param 'patch' must be an object holding nodes and links")
            wrapped.update(patch)
            return patchfile.check_doc(wrapped, where), base_dir, chain, None
        path = find(type_id, base_dir, self.search_path)
        if path is None:
            return None
        real = os.path.realpath(path)
        names = [name for name, _ in chain]
        if real in (p for _, p in chain):
            start = [p for _, p in chain].index(real)
            loop = " → ".join(names[start:] + [type_id])
            raise PatchError(f"{self.source}: box '{prefix + node_id}': abstraction '{type_id}' contains "
                             f"itself ({loop})")
        where = f"{self.source}: box '{prefix + node_id}' ({type_id})"
        if len(chain) >= MAX_DEPTH:
            raise PatchError(f"{where}: abstractions nested more than {MAX_DEPTH} deep")
        inner = self.read(path)
        params = node.get("params", {})
        extra = sorted(set(params) - {"args"})
        if extra:
            raise PatchError(f"{where}: has no param '{extra[0]}' (a box of an abstraction takes 'args')")
        return inner, str(path.parent), chain + ((type_id, real),), _fill_args(node, inner, where)

    def with_args(self, inner_doc, args, box_id, where):
        """The inside with $n replaced, each param checked against its node type."""
        if args is None:  # a subpatch: its $n were filled with its parent's arguments
            return inner_doc
        result = dict(inner_doc)
        result["nodes"] = {}
        for node_id, node in inner_doc.get("nodes", {}).items():
            node = dict(node)
            if "params" in node:
                try:
                    params = substitute(node["params"], args, box_id)
                except KeyError as e:
                    raise PatchError(f"{where}: node '{node_id}' uses argument ${e.args[0]}, but the box "
                                     f"has {len(args)} argument{'s' if len(args) != 1 else ''}") from None
                if params != node["params"]:
                    self.check_params(node, params, node_id, where)
                node["params"] = params
            result["nodes"][node_id] = node
        return result

    @staticmethod
    def check_params(node, params, node_id, where):
        cls = registry.get(node["type"]) if registry.resolve(node["type"]) else None
        if cls is None or node["type"] in PORT_TYPES:
            return
        for name, value in params.items():
            if value != node["params"].get(name):
                _check_param(cls, name, value, node_id, where)

    def bypass(self, nodes, links, pass_id, where):
        """Links straight past the pass-through `pass_id` (an inlet or outlet node inside a
        box), and the node gone, when that changes nothing: its type is the target's, or
        `any` and the two ends fit. Otherwise it stays and runs as a pass-through."""
        into = [lk for lk in links if lk[2] == pass_id]
        out = [lk for lk in links if lk[0] == pass_id]
        port_type = nodes[pass_id].get("params", {}).get("type", "any")
        pairs = []
        for a in into:
            s = self.type_of(nodes, a[0], "outlet", a[1])
            if s is not None and not fits(s, port_type):
                raise PatchError(f"{where}: cannot link {a[0]}.{a[1]} ({s}) to the box's "
                                 f"{nodes[pass_id]['type']} '{_port_name(nodes, pass_id)}' ({port_type})")
            for b in out:
                d = self.type_of(nodes, b[2], "inlet", b[3])
                if d is not None and not fits(port_type, d):
                    raise PatchError(f"{where}: cannot link {b[0]}.{b[1]} ({port_type}) to "
                                     f"{b[2]}.{b[3]} ({d})")
                direct = port_type == "any" and (s is None or d is None or fits(s, d)) or port_type == d
                if not direct:
                    return links
                pairs.append([a[0], a[1], b[2], b[3]])
        kept = [lk for lk in links if pass_id not in (lk[0], lk[2])]
        if any(p in kept for p in pairs):  # the same value would arrive twice: one link cannot say so
            return links
        del nodes[pass_id]
        self.keys.pop(pass_id, None)
        return kept + pairs

    def type_of(self, nodes, node_id, kind, name):
        """The type of a node's port, or None when its type is not known here (a placeholder)."""
        if node_id not in nodes:  # a link to no node: the engine names it when it loads
            return None
        if node_id not in self.types:
            node = nodes[node_id]
            self.types[node_id] = None
            if node["type"] in PORT_TYPES:
                t = node.get("params", {}).get("type", "any")
                self.types[node_id] = ({"in": t}, {"out": t})
            elif registry.resolve(node["type"]):
                try:
                    made = registry.get(node["type"])(node_id, node.get("params", {}))
                except Exception:  # the engine says what is wrong with it when it loads
                    return None
                self.types[node_id] = ({i.name: i.type for i in made.inlets},
                                       {o.name: o.type for o in made.outlets})
        found = self.types[node_id]
        if found is None:
            return None
        return found[0 if kind == "inlet" else 1].get(name)


def _port_node(box, kind, name):
    """The id (under the box's prefix) of the inlet or outlet node behind a box's port `name`."""
    _, _, box_prefix, ins, outs, where = box
    ports = ins if kind == "inlet" else outs
    for port_name, _, inner_id in ports:
        if port_name == name:
            return box_prefix + inner_id
    names = ", ".join(p[0] for p in ports) or "none"
    raise PatchError(f"{where}: has no {kind} '{name}' (its {kind}s: {names})")


def _check_param(cls, name, value, node_id, where):
    try:
        spec = cls.param_spec(name)
    except ParamError as e:
        raise PatchError(f"{where}: node '{node_id}': {e}") from None
    try:
        spec.check(value)
    except ParamError as e:
        raise PatchError(f"{where}: node '{node_id}' param '{name}' {e}") from None


def _taken(nodes, flat_id, where):
    if flat_id in nodes:
        raise PatchError(f"{where}: two nodes would be called '{flat_id}' (one of them inside a box); "
                         f"rename the one outside")


def _port_name(nodes, pass_id):
    return nodes[pass_id].get("params", {}).get("name") or pass_id.rsplit("/", 1)[-1]


# ---- saving what the boxes' insides learned -------------------------------------------------

def keep_state(doc, flat) -> dict:
    """`doc` with the state of every node inside its boxes taken from `flat` (what the
    engine saves of the running expansion): a subpatch keeps it in its own nodes, an
    abstraction box in its `state`, by inner id, so the shared file never changes."""
    doc = copy.deepcopy(doc)
    _keep(doc, flat.get("nodes", {}), "")
    return doc


def _keep(doc, flat_nodes, prefix):
    for node_id, node in doc.get("nodes", {}).items():
        flat_id = prefix + node_id
        if node["type"] == SUBPATCH and isinstance(node.get("params", {}).get("patch"), dict):
            _keep(node["params"]["patch"], flat_nodes, flat_id + "/")
        elif flat_id in flat_nodes:
            if "state" in flat_nodes[flat_id]:
                node["state"] = copy.deepcopy(flat_nodes[flat_id]["state"])
        else:
            inside = flat_id + "/"
            states = {fid[len(inside):]: copy.deepcopy(n["state"]) for fid, n in flat_nodes.items()
                      if fid.startswith(inside) and n.get("state")}
            if states:
                node["state"] = states


# ---- encapsulating -------------------------------------------------------------------------

def encapsulate(doc, node_ids, new_id) -> dict:
    """A new doc in which the nodes `node_ids` are inside one subpatch box `new_id`: a link
    that crossed the selection's border goes through an inlet or outlet node inside, one
    per outlet it came from, and a link to the box outside."""
    chosen = set(node_ids)
    nodes = doc.get("nodes", {})
    missing = sorted(chosen - set(nodes))
    if missing:
        raise EditError(f"there is no node '{missing[0]}'")
    if not chosen:
        raise EditError("select the nodes to put in a subpatch first")
    if new_id in nodes:
        raise EditError(f"there is already a node '{new_id}'")
    ports = [n for n in chosen if nodes[n]["type"] in PORT_TYPES]
    if ports:
        raise EditError(f"node '{sorted(ports)[0]}' is one of this patch's own ports; it cannot go in a subpatch")
    links = [list(lk) for lk in doc.get("links", [])]
    inner_links = [lk for lk in links if lk[0] in chosen and lk[2] in chosen]
    into = [lk for lk in links if lk[0] not in chosen and lk[2] in chosen]
    out_of = [lk for lk in links if lk[0] in chosen and lk[2] not in chosen]
    outer_links = [lk for lk in links if lk[0] not in chosen and lk[2] not in chosen]
    inner = {n: copy.deepcopy(nodes[n]) for n in sorted(chosen)}
    xs = [nodes[n].get("pos", [0, 0])[0] for n in chosen]
    ys = [nodes[n].get("pos", [0, 0])[1] for n in chosen]
    ex = _Expander((), "patch")
    types = dict(copy.deepcopy(nodes))
    taken = set(inner)

    def fresh(stem):
        i = 1
        while f"{stem}{i}" in taken:
            i += 1
        taken.add(f"{stem}{i}")
        return f"{stem}{i}"

    names = {"inlet": set(), "outlet": set()}

    def named(kind, name):
        base, i = name, 2
        while name in names[kind]:
            name, i = f"{base}{i}", i + 1
        names[kind].add(name)
        return name

    for kind, crossing in (("inlet", into), ("outlet", out_of)):
        groups = {}
        for lk in crossing:
            groups.setdefault((lk[0], lk[1]), []).append(lk)
        order = []
        for (src, outlet), group in groups.items():
            near = sorted({lk[2] if kind == "inlet" else lk[0] for lk in group})
            x = min(nodes[n].get("pos", [0, 0])[0] for n in near)
            order.append((x, src, outlet, group))
        order.sort(key=lambda o: (o[0], o[1], o[2]))
        for i, (x, src, outlet, group) in enumerate(order):
            if kind == "inlet":
                sides = {ex.type_of(types, lk[2], "inlet", lk[3]) for lk in group}
                name = named(kind, group[0][3])
            else:
                s = ex.type_of(types, src, "outlet", outlet)
                sides = {s} | {ex.type_of(types, lk[2], "inlet", lk[3]) for lk in group}
                name = named(kind, outlet)
            port_type = sides.pop() if len(sides) == 1 and None not in sides else "any"
            port_id = fresh(kind)
            y = min(ys) - 60 if kind == "inlet" else max(ys) + 60
            inner[port_id] = {"type": kind, "params": {"name": name, "type": port_type}, "pos": [x + i, y]}
            if kind == "inlet":
                outer_links.append([src, outlet, new_id, name])
                inner_links += [[port_id, "out", lk[2], lk[3]] for lk in group]
            else:
                inner_links.append([src, outlet, port_id, "in"])
                outer_links += [[new_id, name, lk[2], lk[3]] for lk in group]
    result = copy.deepcopy(doc)
    result["nodes"] = {n: v for n, v in result["nodes"].items() if n not in chosen}
    result["nodes"][new_id] = {"type": SUBPATCH, "pos": [min(xs), min(ys)],
                               "params": {"patch": {"nodes": inner, "links": sorted(inner_links),
                                                    "comments": []}}}
    result["links"] = sorted(outer_links)
    return result


def deencapsulate(doc, box_id, base_dir=None, search_path=()) -> dict:
    """The reverse of encapsulate: the box `box_id` (a subpatch, or an abstraction with its
    arguments filled in) replaced by its inside, its links going straight to the nodes."""
    nodes = doc.get("nodes", {})
    if box_id not in nodes:
        raise EditError(f"there is no node '{box_id}'")
    inner_doc = inside(nodes[box_id], box_id, base_dir, search_path)
    if inner_doc is None:
        raise EditError(f"node '{box_id}' ({nodes[box_id]['type']}) is not a subpatch or an abstraction")
    where = f"box '{box_id}' ({nodes[box_id]['type']})"
    is_file = nodes[box_id]["type"] != SUBPATCH
    ins, outs = _ports(inner_doc, where)
    port_ids = {p[2] for p in ins + outs}
    outside = set(nodes) - {box_id}
    rename = {}
    for n in sorted(inner_doc.get("nodes", {})):
        if n in port_ids:
            continue
        new, i = n, 2
        while new in outside or new in rename.values():
            new, i = f"{n}_{i}", i + 1
        rename[n] = new
    result = copy.deepcopy(doc)
    del result["nodes"][box_id]
    for n, new in rename.items():
        result["nodes"][new] = copy.deepcopy(inner_doc["nodes"][n])
        state = (nodes[box_id].get("state") or {}).get(n)
        if is_file and isinstance(state, dict):
            result["nodes"][new]["state"] = copy.deepcopy(state)
    links = []
    for src, outlet, dst, inlet in doc.get("links", []):
        if src == box_id:
            src, outlet = "\0" + _port_node(("", "", "", ins, outs, where), "outlet", outlet), "out"
        if dst == box_id:
            dst, inlet = "\0" + _port_node(("", "", "", ins, outs, where), "inlet", inlet), "in"
        links.append([src, outlet, dst, inlet])
    for src, outlet, dst, inlet in inner_doc.get("links", []):
        links.append([rename.get(src, "\0" + src), outlet, rename.get(dst, "\0" + dst), inlet])
    for port in port_ids:
        port = "\0" + port
        into = [lk for lk in links if lk[2] == port]
        out = [lk for lk in links if lk[0] == port]
        links = [lk for lk in links if port not in (lk[0], lk[2])]
        links += [[a[0], a[1], b[2], b[3]] for a in into for b in out]
    unique = []
    for lk in links:
        if lk not in unique:
            unique.append(lk)
    result["links"] = sorted(unique)
    # the box's own comments come out with its nodes, where they were inside (after the
    # patch's own, so those keep their places in the list, and their ids)
    result["comments"] = result.get("comments", []) + copy.deepcopy(inner_doc.get("comments", []))
    return result
