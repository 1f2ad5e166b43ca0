"""The score after a train: python bench/score.py [--n 30000]

A learner's score runs in the worker after the new model is already running. Beyond
nodegraph.learn.jobs.SCORE_LIMIT examples it is measured once, on a held-out part of at
most that many, by a model trained on the rest; this prints, for kNN and a random forest
at n x 10 examples: the fit on all n (what the running model is), the score as it is now,
and the 5-fold score on all n (as it was), in the same run; CPU seconds of this process
(the worker does the same work), and both scores, to see what measuring once changes.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from nodegraph.learn import fit as fitting  # noqa: E402
from nodegraph.learn import jobs  # noqa: E402


def timed(fn, *args):
    t = time.process_time()
    out = fn(*args)
    return time.process_time() - t, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30000)
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(args.n, 10))
    y_class = (X[:, 0] + X[:, 1] > 1).astype(np.int64) + (X[:, 2] > 0.7)
    y_reg = np.stack([np.sin(3 * X[:, 0]), X[:, 1] * X[:, 2]], axis=1)
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{args.n} x 10 examples, 5 folds; now: once, on a held-out part of at most {jobs.SCORE_LIMIT}; CPU seconds")
    print(f"{'':28s} {'fit (all)':>10s} {'score now':>10s} {'score on all':>13s} {'ratio':>6s}  scores (now / all)")
    cases = (("kNN classify (k=1)", {"task": "classify", "algorithm": "knn", "k": 1, "n_classes": 3}, y_class),
             ("kNN regress (k=1)", {"task": "regress", "algorithm": "knn", "k": 1}, y_reg),
             ("random forest classify", {"task": "classify", "algorithm": "forest", "n_classes": 3}, y_class))
    for name, spec, y in cases:
        spec = dict(spec, scaling="minmax", seed=0)
        fitting.fit(spec, X[:50], y[:50])  # imports, not timed
        fit_s, _ = timed(fitting.fit, spec, X, y)
        now_s, now = timed(jobs.cross_validate, spec, X, y, 5)
        all_s, every = timed(jobs.cross_validate_all, spec, X, y, 5)
        key = "accuracy" if spec["task"] == "classify" else "r2"
        print(f"{name:28s} {fit_s:10.2f} {now_s:10.2f} {all_s:13.2f} {all_s / max(now_s, 1e-9):5.1f}x  "
              f"{now[key]:.4f} / {every[key]:.4f}", flush=True)


if __name__ == "__main__":
    main()
