"""Engine speed: a value through chains of `math` nodes, beside a plain Python call chain.

Prints events per second and microseconds per node activation for chains of 10,
100 and 1,000 nodes, and the ratio to a loop of plain function calls doing the same
arithmetic, measured in the same run. Then the 100-node chain wrapped in 10 nested
abstractions beside the same chain flat: per-message p50/p99/worst and their ratios.
Run: python bench/engine.py
"""
import tempfile
import time
from pathlib import Path

from nodegraph import AddNode, Connect, Runtime, patchfile, registry
from nodegraph.abstraction import expand


def build_chain(n):
    rt = Runtime.manual()
    for i in range(n):
        rt.do(AddNode("math", {"op": "+", "arg": 1}, node_id=f"m{i:04d}"))
    for i in range(n - 1):
        rt.do(Connect(f"m{i:04d}", "out", f"m{i + 1:04d}", "a"))
    return rt


def plain_chain(n):
    """The same work as plain Python: n function calls, each adding one, in a loop (calls
    nested 1,000 deep would pass Python's recursion limit)."""
    fns = [lambda x: x + 1.0] * n

    def run(x):
        for fn in fns:
            x = fn(x)
        return x
    return run


def timed(fn, events):
    t0 = time.perf_counter()
    for i in range(events):
        fn(float(i))
    return time.perf_counter() - t0


def measure(n, events, repeats=5):
    rt = build_chain(n)
    sched, first = rt.scheduler, rt.graph.node("m0000")
    out = []
    rt.graph.node(f"m{n - 1:04d}").watch("out", out.append)
    sched.graph.update_ranks()

    def event(x):
        sched.send(first, "a", x)

    plain = plain_chain(n)
    assert (event(0.0), out[-1]) == (None, plain(0.0)), "the chain computes what the plain chain does"
    ours = min(timed(event, events) for _ in range(repeats))
    base = min(timed(plain, events) for _ in range(repeats))
    rt.close()
    return ours, base


def main():
    print(f"{'chain':>6} {'events/s':>10} {'µs/activation':>14} {'plain µs/call':>14} {'ratio':>7}")
    for n, events in ((10, 20000), (100, 2000), (1000, 200)):
        ours, base = measure(n, events)
        per_act = ours / (events * n) * 1e6
        per_call = base / (events * n) * 1e6
        print(f"{n:>6} {events / ours:>10.0f} {per_act:>14.2f} {per_call:>14.3f} {per_act / per_call:>6.1f}x")


def chain_doc(names, inner=None, ports=True):
    """math +1 nodes in a row (then a box of `inner`, if any), between an inlet and an outlet."""
    nodes = {name: {"type": "math", "params": {"op": "+", "arg": 1}, "pos": [0, 10 + i]}
             for i, name in enumerate(names)}
    row = list(names)
    if inner:
        nodes["deeper"] = {"type": inner, "params": {"args": []}, "pos": [0, 900]}
        row.append("deeper")
    if ports:
        nodes["in"] = {"type": "inlet", "params": {"type": "float"}, "pos": [0, 0]}
        nodes["out"] = {"type": "outlet", "params": {"type": "float"}, "pos": [0, 1000]}
        row = ["in", *row, "out"]
    links = [[a, "out", b, "in" if b in ("deeper", "out") else "a"] for a, b in zip(row, row[1:])]
    return {"format": "nodegraph-patch", "version": 1, "nodes": nodes, "links": links}


def nested(folder, levels=10, per_level=10):
    """The root patch: one box holding `levels` abstractions, each inside the one before,
    each with `per_level` math nodes; the same chain drawn flat."""
    for level in range(levels, 0, -1):
        inner = f"level{level + 1}" if level < levels else None
        doc = chain_doc([f"m{i}" for i in range(per_level)], inner)
        (folder / f"level{level}.json").write_text(patchfile.dumps(doc))
    boxed = {"format": "nodegraph-patch", "version": 1, "links": [],
             "nodes": {"b": {"type": "level1", "params": {"args": []}, "pos": [0, 0]}}}
    flat = chain_doc([f"m{i:04d}" for i in range(levels * per_level)], ports=False)
    return boxed, flat


def per_message(runs, events):
    """Each message timed alone, the runtimes taking turns message by message, so both see
    the same machine (other work on it slows both alike)."""
    sends, outs, times = [], [], []
    for rt, first, last in runs:
        out = []
        rt.graph.node(last).watch("out", out.append)
        rt.graph.update_ranks()
        sends.append((rt.scheduler.send, rt.graph.node(first)))
        outs.append(out)
        times.append([])
    turns = list(zip(sends, times))
    for i in range(events):
        for (send, node), t in (turns if i % 2 else turns[::-1]):  # neither always goes first
            t0 = time.perf_counter()
            send(node, "a", float(i))
            t.append(time.perf_counter() - t0)
    assert all(out[-1] == events - 1 + 100 for out in outs), "each chain adds 1 a hundred times"
    return times


def pct(times, q):
    times = sorted(times)
    return times[min(len(times) - 1, int(q * len(times)))]


def boxes_vs_flat(events=20000):
    with tempfile.TemporaryDirectory() as tmp:
        boxed, flat_doc = nested(Path(tmp))
        registry.all_types()  # the node library's import is not part of expanding
        t0 = time.perf_counter()
        expanded = expand(boxed, tmp)
        expand_ms = (time.perf_counter() - t0) * 1e3
    last = "b/" + "deeper/" * 9 + "m9"
    assert sum(1 for n in expanded["nodes"].values() if n["type"] == "math") == 100
    assert len(expanded["nodes"]) == 100, "no pass-through left"
    flat_rt, box_rt = Runtime.manual(), Runtime.manual()
    flat_rt.load_doc(flat_doc)
    box_rt.load_doc(expanded)
    flat, box = per_message([(flat_rt, "m0000", "m0099"), (box_rt, "b/m0", last)], events)
    flat_rt.close()
    box_rt.close()
    print(f"\n100 math nodes in 10 nested abstractions vs the same chain flat "
          f"({events} messages each; expanding took {expand_ms:.1f} ms)")
    print(f"{'':>8} {'p50 µs':>9} {'p99 µs':>9} {'worst µs':>9}")
    for name, t in (("flat", flat), ("boxes", box)):
        print(f"{name:>8} {pct(t, .5) * 1e6:>9.1f} {pct(t, .99) * 1e6:>9.1f} {max(t) * 1e6:>9.1f}")
    print(f"{'ratio':>8} {pct(box, .5) / pct(flat, .5):>8.2f}x {pct(box, .99) / pct(flat, .99):>8.2f}x "
          f"{max(box) / max(flat):>8.2f}x")


if __name__ == "__main__":
    main()
    boxes_vs_flat()
