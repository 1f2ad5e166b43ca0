"""Gestures on UCR Trace: ml.gesture's two modes beside tslearn's 1-NN DTW, in one run.

    python bench/gesture.py [--series 100]

Trace (4 classes, 100 training and 100 test series of 275 frames, shipped in tslearn's
wheel) is recorded into an ml.gesture node, one example per training series; each test
series is then performed frame by frame from a fresh start and named by its nearest
gesture after its last frame. Printed for each mode: accuracy, and the cost of one
frame (p50/p99/worst, µs) through the node (rt.send → outlet) and in the matcher alone.
The baseline is tslearn's KNeighborsTimeSeriesClassifier(1, metric="dtw") on whole
series: its accuracy, and the cost of naming one series, which is what a live stream
would pay per frame if it were re-run after every frame.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nodegraph import AddNode, Runtime  # noqa: E402

MODES = {
    "wekinator": {"mode": "wekinator", "max_length": 10, "match_width": 5, "min_length": 5},
    "precise": {"mode": "precise"},
}


def stats(us):
    return f"p50 {np.percentile(us, 50):8.1f}  p99 {np.percentile(us, 99):8.1f}  worst {us.max():8.1f} µs"


def run_mode(params, X_train, y_train, X_test, y_test):
    rt = Runtime.manual()
    try:
        rt.do(AddNode("ml.gesture", {**params, "classes": "1 2 3 4", "threshold": 1e9}, node_id="g"))
        for x, y in zip(X_train, y_train):
            rt.send("g", "label", int(y))
            rt.send("g", "record", True)
            for frame in x:
                rt.send("g", "features", frame)
            rt.send("g", "record", False)
        node = rt.graph.node("g")
        last = []
        node.watch("distances", last.append)
        clock = time.perf_counter_ns
        through, alone, right = [], [], 0
        for x, y in zip(X_test, y_test):
            rt.send("g", "run", True)
            for frame in x:
                t = clock()
                rt.send("g", "features", frame)
                through.append(clock() - t)
            right += int(np.argmin(last[-1])) + 1 == y
        matcher = node._matcher
        for x in X_test:
            matcher.reset()
            for frame in x:
                t = clock()
                matcher.push(frame)
                alone.append(clock() - t)
        return right / len(y_test), np.array(through) / 1000, np.array(alone) / 1000
    finally:
        rt.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=100, help="test series to use (of 100)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", message="h5py not installed")
    from tslearn.datasets import CachedDatasets
    from tslearn.neighbors import KNeighborsTimeSeriesClassifier

    X_train, y_train, X_test, y_test = CachedDatasets().load_dataset("Trace")
    X_test, y_test = X_test[:args.series], y_test[:args.series]
    print(f"UCR Trace: {len(X_train)} examples, {len(X_test)} test series of {X_test.shape[1]} frames; "
          f"load average {os.getloadavg()[0]:.1f}")

    knn = KNeighborsTimeSeriesClassifier(n_neighbors=1, metric="dtw").fit(X_train, y_train)
    knn.predict(X_test[:1])  # numba compiles on the first call
    per_series = []
    for x in X_test:
        t = time.perf_counter_ns()
        knn.predict(x[None])
        per_series.append(time.perf_counter_ns() - t)
    per_series = np.array(per_series) / 1000
    base = np.mean(knn.predict(X_test) == y_test)
    print(f"\ntslearn 1-NN DTW (whole series)   accuracy {base:6.1%}")
    print(f"  one series named                  {stats(per_series)}")

    p50s = {}
    for name, params in MODES.items():
        acc, through, alone = run_mode(params, X_train, y_train, X_test, y_test)
        p50s[name] = np.percentile(through, 50), np.percentile(through, 99)
        print(f"\nml.gesture mode={name:9}          accuracy {acc:6.1%}")
        print(f"  a frame through the node          {stats(through)}")
        print(f"  a frame in the matcher alone      {stats(alone)}")

    (w50, w99), (p50, p99) = p50s["wekinator"], p50s["precise"]
    print(f"\nprecise / wekinator per frame through the node: p50 x{p50 / w50:.1f}, p99 x{p99 / w99:.1f}")
    print(f"tslearn naming one series / a precise frame (p50): x{np.percentile(per_series, 50) / p50:.0f}")


if __name__ == "__main__":
    main()
