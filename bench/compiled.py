"""What a compiled path would buy, measured on the hottest function of our own code in the
trained kNN patch: the nearest-example search (`Neighbours.near`, numpy and BLAS) against
the same search compiled by numba (exact float64 distances, ties to the lower index: the
same answers). Printed beside it, measured in the same run: the whole per-message cost of
that patch's classifier path in this process (learner and osc.out, a listener bound), so
the share a compiled search would save is read off directly.

    python bench/compiled.py          (numba is not a dependency: pip install numba first)

numba is left out of nodegraph itself: its import (~0.5 s) and first compilation (~1 s)
would double `nodegraph run`'s start, and it adds ~40 MB of LLVM to the install, for the
share this prints.
"""
from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
import timeit

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))


def per_call(fn, n=5000, repeat=5):
    return min(timeit.repeat(fn, number=n, repeat=repeat)) / n * 1e6


def main():
    try:
        import numba
    except ImportError:
        print("numba is not installed here: pip install numba, then run this again")
        return
    from nodegraph.learn.predict import Neighbours

    @numba.njit(cache=False, fastmath=False)
    def nearest(X, x):
        best, where = np.inf, -1
        for i in range(X.shape[0]):
            d = 0.0
            for j in range(X.shape[1]):
                t = X[i, j] - x[j]
                d += t * t
            if d < best:
                best, where = d, i
        return where

    rng = np.random.default_rng(3)
    print(f"numba {numba.__version__}; µs per query, best of 5 runs")
    print(f"{'examples':>9} {'ours (numpy/BLAS)':>18} {'numba':>8} {'saved':>7}  same answers")
    for n in (300, 3000, 30000):
        X = rng.uniform(size=(n, 10))
        search = Neighbours(X, 1)
        search.wait()
        queries = X[rng.integers(0, n, 200)] + rng.normal(scale=0.02, size=(200, 10))
        nearest(X, queries[0])  # compile
        same = all(search.near(q)[0] == nearest(X, q) for q in queries)
        q = queries[7]
        ours, comp = per_call(lambda: search.near(q), n=max(200, 600000 // n)), per_call(lambda: nearest(X, q),
                                                                                     n=max(200, 600000 // n))
        print(f"{n:>9} {ours:>18.2f} {comp:>8.2f} {ours - comp:>7.2f}  {same}")
    whole = classifier_path()
    print(f"\nthe trained kNN patch (300 x 10), classifier and osc.out in this process: {whole:.1f} µs a message;")
    print("the search is the share above of it; the rest is the interpreted cascade, the learner's checks and "
          "the socket calls, spread over about fifteen functions of 1-3 µs each")


def classifier_path():
    import osc_latency as ol

    from nodegraph import Runtime

    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sink.setblocking(False)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "knn.json")
        X = ol.knn_patch(ol.free_port(), sink.getsockname()[1], path)
        rt = Runtime.open(path)
        try:
            rt.start(thread=False)
            node = rt.graph.node("classifier")
            rt.send("classifier", "run", True)
            end = time.monotonic() + 30
            while node._predictor is None and time.monotonic() < end:
                rt.poll(0.02)
            xs = [np.array(x) for x in X]
            send = rt.scheduler.send

            def drain():
                try:
                    while True:
                        sink.recv(2048)
                except BlockingIOError:
                    pass

            best = float("inf")
            for _ in range(5):
                t0 = time.process_time()
                for i in range(2000):
                    send(node, "features", xs[i % 300])
                best = min(best, (time.process_time() - t0) / 2000 * 1e6)
                drain()
            return best
        finally:
            rt.close()
            sink.close()


if __name__ == "__main__":
    main()
