"""Loading speed: `nodegraph check` of a chain of math nodes, its links listed upstream-first
and downstream-first, at 1k, 8k and 32k nodes. Loading must be linear in nodes and links,
whatever order the file lists its links in. The baseline, measured in the same run, is
json.loads of the same file (what reading it costs before any checking).
Run: python bench/load.py [sizes...]
"""
import json
import os
import sys
import tempfile
import time

from nodegraph import patchfile


def chain_doc(n, downstream_first):
    nodes = {f"m{i}": {"type": "math", "params": {"op": "+", "arg": 1}, "pos": [i * 10 % 4000, i // 400 * 80]}
             for i in range(n)}
    links = [[f"m{i}", "out", f"m{i + 1}", "a"] for i in range(n - 1)]
    if downstream_first:
        links.reverse()
    return {"format": "nodegraph-patch", "version": 1, "nodes": nodes, "links": links}


def main(sizes):
    from nodegraph import registry
    registry.resolve("math")  # the node library's import is not what is measured
    print(f"{'nodes':>6} {'links listed':>17} {'check s':>8} {'json.loads s':>12} {'ratio':>6} {'µs/node':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for downstream in (False, True):
                path = os.path.join(tmp, f"chain-{n}.json")
                with open(path, "w") as f:
                    json.dump(chain_doc(n, downstream), f)
                t0 = time.perf_counter()
                with open(path) as f:
                    json.load(f)
                t1 = time.perf_counter()
                patchfile.build(patchfile.read(path), source=path)
                t2 = time.perf_counter()
                order = "downstream-first" if downstream else "upstream-first"
                print(f"{n:>6} {order:>17} {t2 - t1:>8.2f} {t1 - t0:>12.3f} {(t2 - t1) / (t1 - t0):>6.0f} "
                      f"{(t2 - t1) / n * 1e6:>8.1f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 8000, 32000])
