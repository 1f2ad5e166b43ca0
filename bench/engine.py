"""Engine speed: a value through chains of `math` nodes, beside a plain Python call chain.

Prints events per second and microseconds per node activation for chains of 10
and 100 nodes, and the ratio to a chain of plain function calls doing the same
arithmetic, measured in the same run. Run: python bench/engine.py
"""
import statistics
import time

from nodegraph import AddNode, Connect, Runtime


def build_chain(n):
    rt = Runtime.manual()
    for i in range(n):
        rt.do(AddNode("math", {"op": "+", "arg": 1}, node_id=f"m{i:03d}"))
    for i in range(n - 1):
        rt.do(Connect(f"m{i:03d}", "out", f"m{i + 1:03d}", "a"))
    return rt


def plain_chain(n):
    """The same work as plain Python: n functions, each adding and calling the next."""
    def last(x):
        return x + 1.0
    fn = last
    for _ in range(n - 1):
        fn = (lambda nxt: (lambda x: nxt(x + 1.0)))(fn)
    return fn


def timed(fn, events):
    t0 = time.perf_counter()
    for i in range(events):
        fn(float(i))
    return time.perf_counter() - t0


def measure(n, events, repeats=5):
    rt = build_chain(n)
    sched, first = rt.scheduler, rt.graph.node("m000")
    out = []
    rt.graph.node(f"m{n - 1:03d}").watch("out", out.append)
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
    for n, events in ((10, 20000), (100, 2000)):
        ours, base = measure(n, events)
        per_act = ours / (events * n) * 1e6
        per_call = base / (events * n) * 1e6
        print(f"{n:>6} {events / ours:>10.0f} {per_act:>14.2f} {per_call:>14.3f} {per_act / per_call:>6.1f}x")


if __name__ == "__main__":
    main()
