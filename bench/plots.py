"""What the plots cost the patch: recording and running with plot.dataset linked, and the
shading of a 48 x 48 grid (batched numpy vs one sample at a time).

    python bench/plots.py [--quick]

Every figure is beside its baseline from this run:
  1. recording, µs per example: ml.classify alone vs with plot.dataset on its model outlet
     (a snapshot every 100 ms of logical time, and the plot's rebuild);
  2. running, µs per sample (rt.send -> label out): ml.classify alone vs with plot.dataset
     drawing the same features as its live point;
  3. the grid: predictor.batch() over 48 x 48 points vs predictor.one() per point, per model,
     and the longest slice the scheduler spent on it (the patch runs between slices).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nodegraph import AddNode, Connect, Runtime  # noqa: E402
from nodegraph.learn import fit as fitting  # noqa: E402
from nodegraph.learn import predict  # noqa: E402
from nodes import plot  # noqa: E402


def patch(with_plot):
    rt = Runtime.manual()
    rt.do(AddNode("ml.classify", {"algorithm": "knn", "folds": 0}, node_id="clf"))
    if with_plot:
        rt.do(AddNode("plot.dataset", {}, node_id="ds"))
        rt.do(Connect("clf", "model", "ds", "model"))
    rt.start(thread=False)
    return rt


def recording(n, with_plot):
    rt = patch(with_plot)
    X = np.random.default_rng(0).uniform(size=(n, 4))
    rt.send("clf", "label", "a")
    rt.send("clf", "record", True)
    spent = 0
    for i, x in enumerate(X):
        rt.send("clf", "label", "ab"[i % 2])
        t = time.perf_counter_ns()
        rt.send("clf", "features", x)
        rt.advance(10)  # a sensor at 100 Hz; the snapshot timer falls due in here
        spent += time.perf_counter_ns() - t
    rt.send("clf", "record", False)
    rt.close()
    return spent / n / 1000


def running(n, with_plot):
    rt = patch(with_plot)
    X = np.random.default_rng(1).uniform(size=(300, 4))
    y = ["ab"[i % 2] for i in range(300)]
    rt.send("clf", "label", "a")
    rt.send("clf", "record", True)
    for x, c in zip(X, y):
        rt.send("clf", "label", c)
        rt.send("clf", "features", x)
    rt.send("clf", "record", False)
    rt.send("clf", "train", True)
    rt.send("clf", "run", True)
    times = []
    Q = np.random.default_rng(2).uniform(size=(n, 4))
    for q in Q:
        t = time.perf_counter_ns()
        rt.send("clf", "features", q)
        if with_plot:  # the live point: the same features go to the plot too
            rt.send("ds", "features", q)
        times.append(time.perf_counter_ns() - t)
    rt.close()
    return np.percentile(times, 50) / 1000, np.percentile(times, 99) / 1000


def grid(algorithm, n, options=None):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    spec = {"task": "classify", "algorithm": algorithm, "options": options or {}, "scaling": "minmax",
            "seed": 0, "n_classes": 3}
    p = predict.make(fitting.fit(spec, X, y)[0])
    plane = plot.Plane(X, [])
    xs = np.linspace(*plane.bounds[:2], 48)
    ys = np.linspace(*plane.bounds[2:], 48)
    P = plane.lift(np.column_stack([np.tile(xs, 48), np.repeat(ys, 48)]))
    t = time.perf_counter()
    batched = p.batch(P)
    t_batch = time.perf_counter() - t
    t = time.perf_counter()
    one = np.array([p.one(q)[0] for q in P])
    t_one = time.perf_counter() - t
    assert np.array_equal(batched, one)
    # the plot's own slicing: the longest slice it spends on the scheduler thread
    job = plot.GridJob(("bench",), _Snap(p), plane, 48, 0, (0, 1, 2))
    node = plot.Dataset("bench")
    node._job = job
    node.schedule = lambda ms, fn, *a: None  # the next slice: called by hand below
    node._show = lambda: None
    longest = 0.0
    while not job.done:
        start = time.perf_counter()
        node._grid_step(job)
        longest = max(longest, time.perf_counter() - start)
    return t_batch * 1000, t_one * 1000, longest * 1000


class _Snap:
    task, classes = "classify", (0, 1, 2)

    def __init__(self, p):
        self.p = p

    def predict(self, X):
        return self.p.batch(X)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 500 if args.quick else 3000
    print("1. recording, µs per example (100 Hz, one snapshot per 100 ms)")
    alone, linked = recording(n, False), recording(n, True)
    print(f"   ml.classify alone {alone:8.1f}   with plot.dataset {linked:8.1f}   ratio {linked / alone:.2f}")
    print("2. running, µs per sample p50/p99 (kNN, 300 examples x 4 features)")
    a50, a99 = running(n, False)
    b50, b99 = running(n, True)
    print(f"   ml.classify alone {a50:6.1f}/{a99:6.1f}   + plot.dataset live point {b50:6.1f}/{b99:6.1f}"
          f"   ratio p50 {b50 / a50:.2f}")
    print("3. shading 48 x 48 points (2304), ms: batch vs one() per point; longest slice")
    cases = [("knn", 150, {"k": 5}), ("knn", 1000, {"k": 1}), ("svm", 150, {}), ("mlp", 150, {}),
             ("forest", 150, {"trees": 100}), ("naive_bayes", 150, {})]
    if args.quick:
        cases = cases[:3]
    for algorithm, size, options in cases:
        tb, to, longest = grid(algorithm, size, options)
        print(f"   {algorithm:12s} {size:5d} examples: batch {tb:7.1f}   one() {to:7.1f}   x{to / tb:5.1f}"
              f"   longest slice {longest:5.1f}")


if __name__ == "__main__":
    main()
