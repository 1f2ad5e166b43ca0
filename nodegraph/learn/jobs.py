"""Training jobs: fit a model, then cross-validate it, reporting as they go.

A job is plain data in, plain data out, so it runs the same in the worker
process and in this one. `run(header, arrays, emit, cancelled)` calls
emit(event_header, arrays) for each event: "model" (the fitted parameters, as
soon as they exist, so the new model can start running), "progress", "score",
then "done"; or "error" with a sentence for the person.
"""
from __future__ import annotations

import numpy as np

from . import fit as fitting
from . import predict


def run(header, arrays, emit, cancelled=lambda: False):
    kind = header.get("kind")
    try:
        if kind == "train":
            _train(header, arrays, emit, cancelled)
        elif kind == "gesture_score":
            _gesture_score(header, arrays, emit, cancelled)
        else:
            raise ValueError(f"unknown job kind {kind!r}")
    except Exception as e:  # reported to the node as its status, never raised into the patch
        emit({"event": "error", "message": f"{type(e).__name__}: {e}"}, {})
        return
    emit({"event": "done"}, {})


def _train(header, arrays, emit, cancelled):
    spec, folds = header["spec"], int(header.get("folds", 5))
    X, y = arrays["X"], arrays.get("y")
    steps = 1 + (folds if folds >= 2 else 0)
    if not header.get("skip_fit"):
        model, notes = fitting.fit(spec, X, y)
        emit({"event": "model", "notes": notes}, {"model": model})
    if folds >= 2 and not cancelled():
        emit({"event": "progress", "progress": 1 / steps, "stage": "cross-validating"}, {})
        score = cross_validate(spec, X, y, folds, emit, cancelled, steps)
        if score is not None:
            emit({"event": "score", "score": score}, {})


SCORE_LIMIT = 5000  # examples beyond which a score is measured once, on a held-out part


def held_out(spec, y, n, folds, seed=0):
    """Test indices for scoring a big dataset once: a random 1/folds of it, at most
    SCORE_LIMIT, each class in proportion (and never its last example)."""
    rng = np.random.default_rng(seed)
    size = min(SCORE_LIMIT, n // max(2, folds))
    if spec["task"] == "classify" and y is not None and y.ndim == 1:
        share = size / n
        parts = []
        for c in np.unique(y):
            where = np.flatnonzero(y == c)
            parts.append(rng.choice(where, min(len(where) - 1, round(len(where) * share)), replace=False))
        return np.sort(np.concatenate(parts))
    return np.sort(rng.choice(n, size, replace=False))


def cross_validate(spec, X, y, folds, emit=None, cancelled=lambda: False, steps=None):
    """The score after a train. Up to SCORE_LIMIT examples: k-fold (cross_validate_all).
    Beyond: once, the model trained on all but a held-out part and scored on it (a k-fold
    score of 30,000 examples took 20 s for kNN and 70 s for a forest, and says no more):
    the score then says so ("held_out" of "of")."""
    n = len(X)
    if n <= SCORE_LIMIT or folds < 2 or spec["task"] == "cluster" or fitting.is_multi(spec):
        return cross_validate_all(spec, X, y, folds, emit, cancelled, steps)
    test = held_out(spec, y, n, folds, spec.get("seed", 0))
    train = np.setdiff1d(np.arange(n), test, assume_unique=True)
    score = cross_validate_all(spec, X, y, folds, emit, cancelled, steps, splits=[(train, test)])
    if isinstance(score, dict) and "skipped" not in score:
        score.update(held_out=len(test), of=n)
    return score


def cross_validate_all(spec, X, y, folds, emit=None, cancelled=lambda: False, steps=None, splits=None):
    """k-fold score: accuracy (classify), RMSE and R² (regress), silhouette (cluster); over
    `splits` ((train, test) index pairs) instead of k folds when given.
    None if cancelled; {"skipped": reason} when the data is too small. A classifier's score
    also has its confusion matrix (cross_val_predict's: every example predicted once, by
    the model of the fold that left it out), rows the true class, columns the predicted,
    in the class order of spec["classes"] (given as "classes" too, when the spec has it)."""
    task, seed = spec["task"], spec.get("seed", 0)
    if fitting.is_multi(spec):
        return _multi_score(spec, X, y, folds, cancelled)
    if task == "cluster":
        return _cluster_score(spec, X, seed)
    from sklearn.model_selection import KFold, StratifiedKFold

    n = len(X)
    if task == "classify" and spec.get("n_classes") == 1:
        return {"skipped": "with one class there is nothing to tell apart"}
    if task == "classify":
        counts = np.bincount(y)
        smallest = int(counts[counts > 0].min())
        k = min(folds, smallest)
        if k < 2:
            return {"skipped": "cross-validation needs at least 2 examples of every class"}
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        k = min(folds, n)
        if k < 2:
            return {"skipped": "cross-validation needs at least 2 examples"}
        splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
    hits, total = 0, 0
    truth, preds = [], []
    if task == "classify":
        n_classes = int(spec.get("n_classes") or y.max() + 1)
        confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    if splits is not None:
        k = len(splits)
    for i, (tr, te) in enumerate(splitter.split(X, y) if splits is None else splits):
        if cancelled():
            return None
        model, _ = fitting.fit(spec, X[tr], y[tr])
        p = predict.make(model)
        if task == "classify":
            index, _ = p.many(X[te])
            hits += int(np.sum(index == y[te]))
            np.add.at(confusion, (y[te], index.astype(np.int64)), 1)
        else:
            values = p.many(X[te])
            truth.append(y[te].reshape(len(te), -1))
            preds.append(values.reshape(len(te), -1))
        total += len(te)
        if emit is not None and steps:
            emit({"event": "progress", "progress": (2 + i) / steps, "stage": f"fold {i + 1} of {k}"}, {})
    if task == "classify":
        score = {"folds": k, "accuracy": hits / total, "confusion": confusion.tolist()}
        if spec.get("classes") is not None:
            score["classes"] = list(spec["classes"])
        return score
    from sklearn.metrics import r2_score

    truth, preds = np.concatenate(truth), np.concatenate(preds)
    rmse = float(np.sqrt(np.mean((truth - preds) ** 2)))
    # weighted by each output's variance: an output taught one value everywhere (a slider
    # left alone) has none, and must not turn the whole score into -10^26 by rounding
    varies = np.ptp(truth, axis=0) > 1e-12 * np.maximum(1.0, np.abs(truth).max(axis=0))
    r2 = (float(r2_score(truth, preds, multioutput="variance_weighted"))
          if len(truth) > 1 and varies.any() else float("nan"))
    return {"folds": k, "rmse": rmse, "r2": r2 if np.isfinite(r2) else None}


def _multi_score(spec, X, y, folds, cancelled):
    """Each output's model scored on its own examples; the score is their mean."""
    scores = []
    for part in fitting.output_parts(spec, X, y):
        if part is None:
            continue
        score = cross_validate(*part, folds, cancelled=cancelled)
        if score is None:
            return None
        scores.append(score)
    scored = [s for s in scores if "skipped" not in s]
    if not scored:
        return scores[0] if scores else {"skipped": "no output has examples"}
    keys = ("accuracy",) if spec["task"] == "classify" else ("rmse", "r2")
    score = {"folds": min(s["folds"] for s in scored), "outputs_scored": len(scored)}
    for key in keys:
        values = [s[key] for s in scored if s.get(key) is not None]
        score[key] = float(np.mean(values)) if values else None
    return score


def _cluster_score(spec, X, seed):
    from sklearn.metrics import silhouette_score

    model, _ = fitting.fit(spec, X)
    index, _ = predict.make(model).many(X)
    n_labels = len(np.unique(index))
    if not 2 <= n_labels < len(X):
        return {"skipped": "a silhouette score needs at least 2 clusters with room between them"}
    sample = min(len(X), 2000)
    score = silhouette_score(predict.make(model).scale(X), index, sample_size=sample, random_state=seed)
    return {"silhouette": float(score), "inertia": model["inertia"]}


def _gesture_score(header, arrays, emit, cancelled):
    """Leave-one-out: is each template nearest (by DTW) to a template of its own label?"""
    from . import dtw

    lengths = arrays["lengths"]
    flat, labels = arrays["frames"], arrays["labels"]
    starts = np.concatenate([[0], np.cumsum(lengths)])
    series = [flat[starts[i]:starts[i + 1]] for i in range(len(lengths))]
    n = len(series)
    if n < 2 or len(np.unique(labels)) < 2:
        emit({"event": "score", "score": {"skipped": "scoring needs examples of at least 2 gestures"}}, {})
        return
    width = int(header.get("width", 0))
    D = np.full((n, n), np.inf)
    for i in range(n):
        if cancelled():
            return
        for j in range(i + 1, n):
            D[i, j] = D[j, i] = dtw.distance(series[i], series[j], width)
        emit({"event": "progress", "progress": (i + 1) / n, "stage": f"gesture {i + 1} of {n}"}, {})
    nearest = D.argmin(axis=1)
    emit({"event": "score", "score": {"folds": n, "accuracy": float(np.mean(labels[nearest] == labels))}}, {})
