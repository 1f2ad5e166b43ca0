"""Copy and paste: a selection travels as a patch document (plain JSON).

A fragment is a patch with only the selected nodes, the links between them and
the selected comments, so anything that reads patches reads it, a fragment pasted
into a text editor is a valid patch, and a patch file's text pastes as a fragment.
Pasting checks the text exactly as opening a file does.
"""
from __future__ import annotations

import re

from .. import patchfile
from ..commands import AddComment, AddNode, Connect, snapshot
from ..errors import PatchError


def copy_doc(graph, node_ids, comment_ids=()) -> dict:
    """The selection as a patch document, from the document (rt.doc, on its own thread)."""
    chosen = set(node_ids)
    nodes = {nid: snapshot(graph, nid) for nid in sorted(chosen) if nid in graph.nodes}
    links = sorted([list(link) for link in graph.links if link.src in nodes and link.dst in nodes])
    comments = [{"text": graph.comments[c].text, "pos": list(graph.comments[c].pos)}
                for c in sorted(comment_ids) if c in graph.comments]
    return {"format": patchfile.FORMAT, "version": patchfile.VERSION,
            "nodes": nodes, "links": links, "comments": comments}


def to_text(doc) -> str:
    return patchfile.dumps(doc)


def from_text(text: str) -> dict:
    """Clipboard text as a fragment; PatchError if it is not one."""
    if not isinstance(text, str) or not text.strip().startswith("{"):
        raise PatchError("the clipboard holds no nodes to paste")
    return patchfile.read_text(text, "the clipboard")


def bbox_origin(doc):
    points = [n.get("pos", [0, 0]) for n in doc.get("nodes", {}).values()]
    points += [c.get("pos", [0, 0]) for c in doc.get("comments", [])]
    if not points:
        return (0.0, 0.0)
    return (min(p[0] for p in points), min(p[1] for p in points))


def paste_commands(graph, doc, at=None, offset=(30, 30)):
    """(commands, {old id: new id}) that add the fragment to `graph`.

    Ids keep their names when free, else get the next free number ("osc2"). The
    fragment lands with its top-left corner at `at`, or moved by `offset`.
    """
    ox, oy = bbox_origin(doc)
    dx, dy = (at[0] - ox, at[1] - oy) if at is not None else offset
    taken = set(graph.nodes)
    ids = {}
    for old in doc.get("nodes", {}):
        new = old if old not in taken else _next_id(old, taken)
        taken.add(new)
        ids[old] = new
    commands = []
    for old, node in doc.get("nodes", {}).items():
        x, y = node.get("pos", [0, 0])
        commands.append(AddNode(node["type"], node.get("params", {}), (x + dx, y + dy),
                                node_id=ids[old], state=node.get("state")))
    for src, outlet, dst, inlet in doc.get("links", []):
        if src in ids and dst in ids:
            commands.append(Connect(ids[src], outlet, ids[dst], inlet))
    for c in doc.get("comments", []):
        x, y = c.get("pos", [0, 0])
        commands.append(AddComment(c["text"], (x + dx, y + dy)))
    return commands, ids


def _next_id(node_id, taken):
    stem = re.sub(r"\d+$", "", node_id) or "node"
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def describe(doc) -> str:
    n, c = len(doc.get("nodes", {})), len(doc.get("comments", []))
    parts = [f"{n} node{'s' if n != 1 else ''}"] if n else []
    if c:
        parts.append(f"{c} comment{'s' if c != 1 else ''}")
    return " and ".join(parts) or "nothing"


__all__ = ["copy_doc", "to_text", "from_text", "paste_commands", "describe"]
