"""Helpers for the learner tests: teach a learner through its inlets, wait for training."""
import time

import numpy as np


def wait_idle(rt, node_id, timeout=120.0):
    """Handle posted events until the learner's background job (training, refit, scoring)
    is over. Training is real work in the worker process, so this waits on real time."""
    node = rt.graph.node(node_id)
    deadline = time.monotonic() + timeout
    rt.poll(0)
    while node._job is not None or node._refit is not None:
        if node._refit is not None and node._job is None:
            node._refit_now()
        assert time.monotonic() < deadline, f"{node_id} still busy after {timeout} s: {node.info()}"
        rt.poll(0.02)
    rt.poll(0)
    return node


def teach(rt, node_id, X, targets, target_inlet="label"):
    """Record X with one target per row, in order, in one take (target_inlet None: no targets)."""
    if target_inlet is not None:
        rt.send(node_id, target_inlet, targets[0])
    rt.send(node_id, "record", True)
    for x, t in zip(X, targets):
        if target_inlet is not None:
            rt.send(node_id, target_inlet, t)
        rt.send(node_id, "features", np.asarray(x, dtype=np.float64))
    rt.send(node_id, "record", False)


def run_all(rt, node_id, X, outlets):
    """Send every row with run on; collect what each outlet sent, one value per row."""
    node = rt.graph.node(node_id)
    got = {name: [] for name in outlets}
    stops = [node.watch(name, got[name].append) for name in outlets]
    rt.send(node_id, "run", True)
    for x in X:
        rt.send(node_id, "features", np.asarray(x, dtype=np.float64))
    for stop in stops:
        stop()
    for name in outlets:
        assert len(got[name]) == len(X), f"{name}: {len(got[name])} values for {len(X)} inputs ({node.error})"
    return got
