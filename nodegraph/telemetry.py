"""What the engine publishes for views: each node's latest values, info, error, the state its
on/off inlets are in, what its played params show, and a plot's data.

Built on the scheduler thread as fresh plain values (Runtime.publish) and swapped in whole, so
a view on another thread reads one consistent report and never a live node.
"""
from __future__ import annotations

from .node import Placeholder


def report(node, with_view=False) -> dict:
    """One node's report. A node whose info() fails says so instead of breaking the others."""
    try:
        info = node.info()
    except Exception as e:
        info = {"status": f"cannot show its state ({type(e).__name__}: {e})"}
    out = {"last": dict(node.last), "info": info, "error": node.error, "runs": node.runs,
           "inlets": {i.name: node.inlet_state(i.name) for i in node.inlets if i.type == "bool"},
           "shown": {} if isinstance(node, Placeholder) else {p.name: node.shown(p.name) for p in type(node).params}}
    if with_view and hasattr(node, "view"):
        try:
            out["view"] = node.view()
        except Exception as e:
            out["view"] = None
            out["info"] = dict(info, status=f"cannot draw ({type(e).__name__}: {e})")
    return out


def collect(graph, node_ids=None, views=()) -> dict:
    """Reports of `node_ids` (None: every node) in `graph`; the plot data of those in `views`."""
    nodes = graph.nodes
    ids = nodes.keys() if node_ids is None else [i for i in node_ids if i in nodes]
    views = set(views)
    return {i: report(nodes[i], i in views) for i in ids}
