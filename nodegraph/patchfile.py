"""Patch files (format version 1): read, check, migrate, write.

A file is inert data. Reading one parses JSON and replays it as edit commands;
nothing in it is ever executed. Writing is deterministic (sorted keys, sorted
links) and atomic (a temporary file renamed over the old one).
"""
from __future__ import annotations

import json
import math
import os
import sys
import tempfile

from . import detached, paths
from .commands import AddComment, AddNode, Connect, apply_all, snapshot
from .errors import NodegraphError, PatchError
from .graph import Graph

FORMAT = "nodegraph-patch"
VERSION = 1

# MIGRATIONS[n] turns a version-n document into a version-(n+1) one. Each is a
# pure function of plain data, tested against frozen fixture files.
MIGRATIONS: dict = {}

# Deeper than any patch needs (a param of kind json may nest 64 levels, 4 below the top),
# and shallow enough that copying, checking and saving never meet Python's recursion limit:
# what opens must save.
MAX_DEPTH = 100

_NODE_KEYS = {"type", "params", "state", "pos", "state_version"}
_TOP_KEYS = {"format", "version", "nodes", "links", "comments", "meta"}


def read_text(text: str, source="patch") -> dict:
    """Parse and check a patch document; raise PatchError with one clear sentence."""
    try:
        doc = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise PatchError(f"{source}: the JSON is nested too deeply") from None
    except ValueError as e:
        if "integer string conversion" in str(e):  # Python's own limit, worded for programmers
            raise PatchError(f"{source}: holds a whole number with thousands of digits, "
                             f"too large for a patch") from None
        raise PatchError(f"{source}: not valid JSON ({e})") from None
    return check_doc(doc, source)


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicates(pairs):
    """An object whose key appears twice (two nodes with one id) is refused: JSON
    would silently keep the last one."""
    d = dict(pairs)
    if len(d) < len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise ValueError(f"'{k}' appears twice in one object")
            seen.add(k)
    return d


def read(path) -> dict:
    # a regular file only, read without blocking and up to a limit: a pipe or /dev/zero is a sentence
    raw = paths.read_patch(path)
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark, as some editors write, is not an error
    except UnicodeDecodeError:
        raise PatchError(f"{path}: not a text (UTF-8) file") from None
    return read_text(text, str(path))


def check_doc(doc, source="patch") -> dict:
    """Check the document's shape and bring it to the current version."""
    if not isinstance(doc, dict):
        raise PatchError(f"{source}: a patch is a JSON object, this file holds {_kind(doc)}")
    _check_values(doc, source)
    if doc.get("format") != FORMAT:
        raise PatchError(f"{source}: field 'format' must be \"{FORMAT}\" (is this a nodegraph patch?)")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise PatchError(f"{source}: field 'version' must be a whole number, got {_short(version)}")
    if version > VERSION:
        raise PatchError(f"{source}: written by a newer nodegraph (format version {version}); "
                         f"this one reads versions up to {VERSION}")
    if version < 1:
        raise PatchError(f"{source}: format version {version} does not exist")
    while version < VERSION:
        doc = MIGRATIONS[version](doc)
        version += 1
        doc["version"] = version
    extra = set(doc) - _TOP_KEYS
    if extra:
        raise PatchError(f"{source}: unknown field '{sorted(extra)[0]}'")
    nodes = doc.get("nodes", {})
    if not isinstance(nodes, dict):
        raise PatchError(f"{source}: field 'nodes' must be an object of node id → node")
    for node_id, node in nodes.items():
        where = f"{source}: node '{node_id}'"
        if not node_id or not node_id.isprintable():
            raise PatchError(f"{source}: node id {node_id!r} must be printable, non-empty text")
        if not isinstance(node, dict):
            raise PatchError(f"{where}: must be an object, got {_kind(node)}")
        extra = set(node) - _NODE_KEYS
        if extra:
            raise PatchError(f"{where}: unknown field '{sorted(extra)[0]}'")
        if not isinstance(node.get("type"), str) or not node["type"]:
            raise PatchError(f"{where}: field 'type' must be a node type name, got {_short(node.get('type'))}")
        for key in ("params", "state"):
            if key in node and not isinstance(node[key], dict):
                raise PatchError(f"{where}: field '{key}' must be an object, got {_kind(node[key])}")
        if "pos" in node and not _is_pos(node["pos"]):
            raise PatchError(f"{where}: field 'pos' must be two numbers [x, y], got {_short(node['pos'])}")
        sv = node.get("state_version", 1)
        if isinstance(sv, bool) or not isinstance(sv, int) or not 1 <= sv <= 1_000_000:
            raise PatchError(f"{where}: field 'state_version' must be a whole number from 1, got {_short(sv)}")
    links = doc.get("links", [])
    if not isinstance(links, list):
        raise PatchError(f"{source}: field 'links' must be a list")
    for n, link in enumerate(links):
        if (not isinstance(link, list) or len(link) != 4
                or not all(isinstance(x, str) for x in link)):
            raise PatchError(f"{source}: link {n + 1} must be [source node, outlet, target node, inlet] "
                             f"as four texts, got {_short(link)}")
    comments = doc.get("comments", [])
    if not isinstance(comments, list):
        raise PatchError(f"{source}: field 'comments' must be a list")
    for n, c in enumerate(comments):
        if (not isinstance(c, dict) or set(c) - {"text", "pos"} or not isinstance(c.get("text"), str)
                or not _is_pos(c.get("pos", [0, 0]))):
            raise PatchError(f"{source}: comment {n + 1} must be {{\"text\": ..., \"pos\": [x, y]}}, "
                             f"got {_short(c)}")
    if "meta" in doc and not isinstance(doc["meta"], dict):
        raise PatchError(f"{source}: field 'meta' must be an object")
    return doc


def _check_values(doc, source):
    """Every value can be saved again: nested at most MAX_DEPTH levels, every number
    finite (JSON's 1e999 reads as infinity, which JSON cannot write), and every whole
    number within a float's range (positions and params become floats).
    Iterative, so a deep document gets a sentence rather than a RecursionError."""
    stack = [(doc, 1, ())]
    while stack:
        v, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            raise PatchError(f"{source}: {_field(path)} is nested too deeply (more than {MAX_DEPTH} levels)")
        if isinstance(v, list):
            try:  # the common case, a list of numbers (an example's features), at C speed
                if math.isfinite(math.fsum(v)):
                    continue
            except (TypeError, OverflowError):
                pass  # not all numbers, or one too large: look at each
        for k, x in (v.items() if isinstance(v, dict) else enumerate(v)):
            if isinstance(x, float):
                if not math.isfinite(x):
                    raise PatchError(f"{source}: {_field(path + (k,))} holds a number too large for a patch "
                                     f"({x})")
            elif isinstance(x, int):
                if not _float_sized(x):
                    raise PatchError(f"{source}: {_field(path + (k,))} holds a number too large for a patch "
                                     f"({len(str(abs(x)))} digits)")
            elif isinstance(x, (dict, list)):
                stack.append((x, depth + 1, path + (k,) if len(path) < 3 else path))


def _float_sized(n):
    """A whole number that converts to a float (comparing an int with a float is exact)."""
    return -sys.float_info.max <= n <= sys.float_info.max


def _field(path) -> str:
    """Where in the document `path` (its first three keys) points, for a message."""
    path = path[:3]
    if len(path) >= 2 and path[0] == "nodes":
        return f"node '{path[1]}'" + (f" field '{path[2]}'" if len(path) > 2 else "")
    if len(path) >= 2 and path[0] in ("links", "comments") and isinstance(path[1], int):
        return f"{path[0][:-1]} {path[1] + 1}"
    return f"field '{path[0]}'" if path else "the document"


def commands_for(doc, owned=False) -> list:
    """The edit commands that build this document's patch (`owned`: its states are handed
    over to the graph built, not copied)."""
    cmds = []
    for node_id in sorted(doc.get("nodes", {})):
        n = doc["nodes"][node_id]
        cmds.append(AddNode(n["type"], n.get("params", {}), n.get("pos", [0, 0]), node_id, n.get("state"),
                            n.get("state_version", 1), owned))
    for link in doc.get("links", []):
        cmds.append(Connect(*link))
    for c in doc.get("comments", []):
        cmds.append(AddComment(c["text"], c.get("pos", [0, 0])))
    return cmds


def build(doc, graph=None, source="patch", applied=None, owned=False) -> Graph:
    """Replay a checked document into `graph` (a new one by default); the commands applied
    are appended to `applied` when given (the engine replays the same ones)."""
    graph = Graph() if graph is None else graph
    try:
        with graph.loading():
            for cmd in commands_for(doc, owned):
                try:
                    apply_all(graph, [cmd])
                    if applied is not None:
                        applied.append(cmd)
                except NodegraphError as e:
                    raise PatchError(f"{source}: {_where(cmd)}{e}") from None
                except Exception as e:  # a node type's own checks of its state
                    raise PatchError(f"{source}: {_where(cmd)}{type(e).__name__}: {e}") from None
    except PatchError:
        raise
    except NodegraphError as e:  # a loop found once every link is in
        raise PatchError(f"{source}: {e}") from None
    meta = dict(doc.get("meta", {}))
    if isinstance(getattr(graph, "meta", None), dict):
        graph.meta.clear()  # shared with the engine's graph: the same dict, filled in place
        graph.meta.update(meta)
    else:
        graph.meta = meta
    return graph


def _where(cmd) -> str:
    if isinstance(cmd, AddNode):
        return f"node '{cmd.node_id}' ({cmd.type_id}): "
    return ""


def to_doc(graph) -> dict:
    doc = {"format": FORMAT, "version": VERSION,
           "nodes": {node_id: snapshot(graph, node_id) for node_id in sorted(graph.nodes)},
           "links": sorted([list(link) for link in graph.links]),
           "comments": [{"text": c.text, "pos": list(c.pos)}
                        for _, c in sorted(graph.comments.items())]}
    if getattr(graph, "meta", None):
        doc["meta"] = graph.meta
    return doc


def dumps(doc) -> str:
    """JSON with one line per node field, per link and per training example, so a
    patch diffs well in git (a recorded example is one changed line)."""
    return _format(doc, "") + "\n"


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _one(v):
    return _ENCODER.encode(v)  # one encoder: json.dumps with options builds one per call


def _flat(v):
    if isinstance(v, dict):
        return all(not isinstance(x, (dict, list)) or (isinstance(x, list) and _scalars(x)) for x in v.values())
    return _scalars(v)


def _scalars(v):
    return all(not isinstance(x, (dict, list)) for x in v)


def _keys(d):
    """Sorted, but a node's `type` first: what a box is reads before how it is set."""
    return sorted(d, key=lambda k: (k != "type", k))


def _format(v, indent):
    if not isinstance(v, (dict, list)) or not v or _flat(v):
        if isinstance(v, dict) and "type" in v:
            return "{" + ", ".join(f"{_one(k)}: {_one(v[k])}" for k in _keys(v)) + "}"
        return _one(v)
    inner = indent + "  "
    if isinstance(v, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_format(v[k], inner)}" for k in _keys(v)]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + _format(x, inner) for x in v) + "\n" + indent + "]"


def write(path, doc):
    """Write atomically: a crash leaves the old file or the new one, never half of one.
    The text is made in a copy of this process (nodegraph.detached), off the lock the
    scheduler thread needs."""
    detached.run(_write, path, doc)


def _write(path, doc):
    text = dumps(doc)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".nodegraph-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fchmod(f.fileno(), _mode_for(path))
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _mode_for(path):
    """Keep an existing file's permissions; a new file gets what the umask allows
    (mkstemp's private 0600 would hide a shared patch from its collaborators)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _is_pos(p):
    return (isinstance(p, list) and len(p) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and _float_sized(v)
                    and math.isfinite(v) for v in p))


def _kind(v):
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def _short(v):
    try:
        text = json.dumps(v, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = _kind(v)
    return text if len(text) <= 60 else text[:57] + "..."
