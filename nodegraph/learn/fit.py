"""Fitting with scikit-learn, exported as plain arrays that `predict.py` runs with numpy.

A *spec* says what to fit: {"task": "classify" | "regress" | "cluster",
"algorithm": ..., "options": {...}, "scaling": "minmax" | "standard" | "none",
"seed": int, "per_output": bool, "target_scaling": "standard" (regress mlp: fit the
network on standardised targets), "multi": [...] (many outputs, one model each)}. `estimator(spec, n_features, n_outputs)` is the
scikit-learn object that spec means; `fit(spec, X, y)` fits it and returns the
fitted parameters as a nested dict of numpy arrays and plain values. The same
spec and data always give the same model (every random choice is seeded).

Runs in the training worker process and, for instant models, in the scheduler.
"""
from __future__ import annotations

import warnings

import numpy as np

CLASSIFIERS = ("knn", "svm", "tree", "forest", "adaboost", "naive_bayes", "logistic", "mlp")
REGRESSORS = ("mlp", "linear", "polynomial", "knn")
CLUSTERERS = ("kmeans",)

def in_process(spec) -> bool:
    """Fitted here in numpy alone (no scikit-learn import, nothing held long): kNN, scaled by
    min-max or not at all, one model. The worker's pipes would take longer than the fit."""
    return (spec.get("algorithm") == "knn" and spec.get("task") in ("classify", "regress")
            and spec.get("scaling", "none") in ("minmax", "none") and not is_multi(spec))


def minmax(X):
    """MinMaxScaler().fit_transform(X) and its exported scaler, in numpy, to the bit: the same
    operations in the same order (a range under 10 eps counts as 1, as scikit-learn's)."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = hi - lo
    span[span < 10 * np.finfo(span.dtype).eps] = 1.0
    scale = 1.0 / span
    low = 0.0 - lo * scale
    out = X * scale
    out += low
    return out, {"kind": "minmax", "scale": scale, "min": low}


def hidden_layers(options, n_features):
    """Wekinator's rule: `hidden_units` 0 means as many units as features; `min_units` (in
    newer specs) raises that floor, since two or three units cannot hold a handful of taught
    points (an xy pad has 2 features)."""
    units = options.get("hidden_units", 0) or max(options.get("min_units", 1), n_features)
    return (units,) * options.get("hidden_layers", 1)


def scaler(spec):
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    return {"minmax": MinMaxScaler, "standard": StandardScaler}.get(spec.get("scaling", "none"), lambda: None)()


def estimator(spec, n_features, n_outputs=1):
    """The scikit-learn estimator (without scaling) that `spec` describes."""
    task, algo, o, seed = spec["task"], spec["algorithm"], spec.get("options", {}), spec.get("seed", 0)
    if task == "classify":
        if algo == "knn":
            from sklearn.neighbors import KNeighborsClassifier
            return KNeighborsClassifier(n_neighbors=o.get("k", 1), algorithm="brute")
        if algo == "svm":
            from sklearn.svm import SVC
            svc = SVC(kernel=o.get("kernel", "rbf"), C=o.get("C", 1.0), degree=o.get("degree", 2), random_state=seed)
            if "probability" in svc.get_params():  # deprecated in scikit-learn 1.9, gone in 1.11
                svc.set_params(probability=True)
            return svc
        if algo == "tree":
            from sklearn.tree import DecisionTreeClassifier
            return DecisionTreeClassifier(max_depth=o.get("depth") or None, random_state=seed)
        if algo == "forest":
            from sklearn.ensemble import RandomForestClassifier
            return RandomForestClassifier(n_estimators=o.get("trees", 100), max_depth=o.get("depth") or None,
                                          random_state=seed)
        if algo == "adaboost":
            from sklearn.ensemble import AdaBoostClassifier
            return AdaBoostClassifier(n_estimators=o.get("trees", 100), random_state=seed)
        if algo == "naive_bayes":
            from sklearn.naive_bayes import GaussianNB
            return GaussianNB()
        if algo == "logistic":
            from sklearn.linear_model import LogisticRegression
            return LogisticRegression(C=o.get("C", 1.0), max_iter=o.get("max_iter", 1000))
        if algo == "mlp":
            from sklearn.neural_network import MLPClassifier
            return MLPClassifier(hidden_layer_sizes=hidden_layers(o, n_features), activation=o.get("activation", "relu"),
                                 solver=o.get("solver", "lbfgs"), max_iter=o.get("max_iter", 500), random_state=seed)
    elif task == "regress":
        if algo == "mlp":
            from sklearn.neural_network import MLPRegressor
            # tol and alpha are in the spec (the node's recipe, not params): older saved specs
            # lack them and refit with scikit-learn's defaults, as they were trained
            return MLPRegressor(hidden_layer_sizes=hidden_layers(o, n_features), activation=o.get("activation", "relu"),
                                solver=o.get("solver", "lbfgs"), max_iter=o.get("max_iter", 500),
                                tol=o.get("tol", 1e-4), alpha=o.get("alpha", 1e-4), random_state=seed)
        if algo == "linear":
            from sklearn.linear_model import LinearRegression
            return LinearRegression()
        if algo == "polynomial":
            from sklearn.linear_model import LinearRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import PolynomialFeatures
            return make_pipeline(PolynomialFeatures(degree=o.get("degree", 2)), LinearRegression())
        if algo == "knn":
            from sklearn.neighbors import KNeighborsRegressor
            return KNeighborsRegressor(n_neighbors=o.get("k", 1), algorithm="brute")
    elif task == "cluster" and algo == "kmeans":
        from sklearn.cluster import KMeans
        return KMeans(n_clusters=o.get("k", 2), n_init=10, random_state=seed)
    raise ValueError(f"unknown algorithm {algo!r} for {task}")


def pipeline(spec, n_features, n_outputs=1):
    """Scaling + estimator, as one scikit-learn object (what tests compare against)."""
    from sklearn.pipeline import make_pipeline

    scale = scaler(spec)
    est = estimator(spec, n_features, n_outputs)
    if _scales_targets(spec):
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import StandardScaler
        est = TransformedTargetRegressor(regressor=est, transformer=StandardScaler())
    return est if scale is None else make_pipeline(scale, est)


def _scales_targets(spec):
    return spec.get("task") == "regress" and spec.get("algorithm") == "mlp" and spec.get("target_scaling") == "standard"


def fit(spec, X, y=None):
    """Fit `spec` on X (and y); return (fitted parameters, list of warnings as text)."""
    X = np.asarray(X, dtype=np.float64)
    if is_multi(spec):
        return _fit_multi(spec, X, y)
    notes = []
    cols = (spec.get("inputs_for") or [None])[0]  # one output that learns from some inputs
    n_inputs = int(X.shape[1])
    if cols is not None:
        X = X[:, cols]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = {"task": spec["task"], "algorithm": spec["algorithm"], "n_features": n_inputs}
        if cols is not None:
            model["inputs"] = np.asarray(cols, dtype=np.int64)
        if spec.get("scaling", "none") == "minmax":
            X, model["scaler"] = minmax(X)
        else:
            scale = scaler(spec)
            if scale is not None:
                X = scale.fit_transform(X)
                model["scaler"] = _export_scaler(scale)
        task = spec["task"]
        if task == "classify" and spec.get("n_classes") == 1:
            # one class taught: a model that always answers it (Wekinator trains one too, and
            # says done-training), whatever the algorithm; most cannot fit a single class
            classes = spec.get("classes") or [1]
            warnings.warn(f"only one class ({classes[0]!r}), so it is the answer to everything: "
                          "record another class to tell them apart")
            model.update(n_classes=1, constant=0)
        elif task == "classify":
            model.update(_fit_classifier(spec, X, np.asarray(y, dtype=np.int64)))
        elif task == "regress":
            Y = np.asarray(y, dtype=np.float64)
            Y = Y.reshape(len(Y), -1)
            if spec.get("per_output", True) and Y.shape[1] > 1 and spec["algorithm"] == "mlp":
                # one model per output (Wekinator's way); for linear, polynomial and knn the
                # joint model is exactly the per-output models side by side
                parts = [_fit_regressor(spec, X, Y[:, [j]]) for j in range(Y.shape[1])]
                model["parts"] = parts
            else:
                model.update(_fit_regressor(spec, X, Y))
            model["n_outputs"] = int(Y.shape[1])
            # the range each output was taught, for a learner that keeps its answers inside it
            model["limits"] = {"low": Y.min(axis=0), "high": Y.max(axis=0)}
        elif task == "cluster":
            model.update(_fit_clusterer(spec, X))
        else:
            raise ValueError(f"unknown task {task!r}")
    for w in caught:
        if issubclass(w.category, (FutureWarning, DeprecationWarning)):
            continue  # for us, not for the person training
        text = str(w.message).split("\n")[0]
        if text not in notes:
            notes.append(text)
    return model, notes


def _export_scaler(s):
    from sklearn.preprocessing import MinMaxScaler

    if isinstance(s, MinMaxScaler):
        return {"kind": "minmax", "scale": s.scale_.copy(), "min": s.min_.copy()}
    return {"kind": "standard", "mean": s.mean_.copy(), "scale": s.scale_.copy()}


def _tree_arrays(t):
    tree = t.tree_
    return {"left": tree.children_left.astype(np.int64), "right": tree.children_right.astype(np.int64),
            "feature": tree.feature.astype(np.int64), "threshold": tree.threshold.astype(np.float64),
            "value": tree.value[:, 0, :].astype(np.float64)}


def _fit_classifier(spec, X, y):
    algo = spec["algorithm"]
    n_classes = int(spec.get("n_classes") or y.max() + 1)
    out = {"n_classes": n_classes}
    if algo == "knn":
        out.update(X=X.copy(), y=y.copy(), k=int(spec.get("options", {}).get("k", 1)))
        return out
    est = estimator(spec, X.shape[1])
    est.fit(X, y)
    if algo == "svm":
        out.update(sv=est.support_vectors_.copy(), n_support=est.n_support_.astype(np.int64),
                   dual_coef=np.asarray(est._dual_coef_, dtype=np.float64).copy(),
                   intercept=np.asarray(est._intercept_, dtype=np.float64).copy(),
                   prob_a=np.asarray(getattr(est, "_probA", ()), dtype=np.float64).copy(),
                   prob_b=np.asarray(getattr(est, "_probB", ()), dtype=np.float64).copy(),
                   kernel=est.kernel, gamma=float(est._gamma), degree=int(est.degree), coef0=float(est.coef0))
    elif algo == "tree":
        out["trees"] = [_tree_arrays(est)]
    elif algo == "forest":
        out["trees"] = [_tree_arrays(t) for t in est.estimators_]
    elif algo == "adaboost":
        out["trees"] = [_tree_arrays(t) for t in est.estimators_]
        out["weights"] = est.estimator_weights_[:len(est.estimators_)].copy()
        out["weight_sum"] = float(est.estimator_weights_.sum())
    elif algo == "naive_bayes":
        out.update(theta=est.theta_.copy(), var=est.var_.copy(), prior=est.class_prior_.copy())
    elif algo == "logistic":
        out.update(coef=est.coef_.copy(), intercept=est.intercept_.copy())
    elif algo == "mlp":
        out.update(_mlp_arrays(est), output=est.out_activation_)
    if hasattr(est, "classes_"):
        out["fit_classes"] = np.asarray(est.classes_, dtype=np.int64)
    return out


def _mlp_arrays(est):
    return {"coefs": [{"w": w.copy(), "b": b.copy()} for w, b in zip(est.coefs_, est.intercepts_)],
            "activation": est.activation, "iterations": int(est.n_iter_)}


def _fit_regressor(spec, X, Y):
    algo = spec["algorithm"]
    if algo == "knn":
        return {"X": X.copy(), "Y": Y.copy(), "k": int(spec.get("options", {}).get("k", 1))}
    est = estimator(spec, X.shape[1], Y.shape[1])
    target = None
    if _scales_targets(spec):
        # the network learns targets of mean 0 and spread 1 whatever their units (0..1,
        # MIDI 0..127, Hz): its initial weights and its weight penalty suit that scale
        from sklearn.preprocessing import StandardScaler
        target = StandardScaler().fit(Y)
        Y = target.transform(Y)
    est.fit(X, Y[:, 0] if Y.shape[1] == 1 else Y)
    if algo == "linear":
        return {"coef": np.atleast_2d(est.coef_).copy(), "intercept": np.atleast_1d(est.intercept_).astype(np.float64)}
    if algo == "polynomial":
        poly, lin = est.steps[0][1], est.steps[1][1]
        return {"powers": poly.powers_.astype(np.int64), "coef": np.atleast_2d(lin.coef_).copy(),
                "intercept": np.atleast_1d(lin.intercept_).astype(np.float64)}
    if algo == "mlp":
        out = _mlp_arrays(est)
        if target is not None:
            out["target"] = {"mean": target.mean_.copy(), "scale": target.scale_.copy()}
        return out
    raise ValueError(f"unknown regression algorithm {algo!r}")


def _fit_clusterer(spec, X):
    est = estimator(spec, X.shape[1])
    distinct = len(np.unique(X, axis=0))
    if distinct < est.n_clusters:
        # fewer different examples than groups asked for: each example is its own group
        # (what was taught comes back), and the person is told why there are fewer
        warnings.warn(f"{distinct} different examples, so {distinct} groups (k is {est.n_clusters})")
        est.set_params(n_clusters=distinct)
    est.fit(X)
    return {"centers": est.cluster_centers_.copy(), "inertia": float(est.inertia_)}


# ---- many outputs, one model each (a Wekinator project's outputs) ------------------------------
# spec["multi"] holds one entry per output ({} for a regression output; a classifier's gives
# "n_classes" and "classes"), spec["inputs_for"] the inputs (from 0) each output learns from
# (None: all). y has one column per output; an example an output did not record has -1
# (classify) or nan (regress) there, and that output learns without it.

def is_multi(spec):
    return "multi" in spec or len(spec.get("inputs_for") or ()) > 1


def output_parts(spec, X, y):
    """(sub-spec, X, y) for each output's own model, or None for an output with no examples."""
    base = {k: v for k, v in spec.items() if k not in ("multi", "inputs_for")}
    y = np.asarray(y).reshape(len(X), -1)
    multi = spec.get("multi") or [{}] * y.shape[1]
    inputs_for = spec.get("inputs_for") or [None] * len(multi)
    for j, extra in enumerate(multi):
        column = y[:, j]
        rows = column >= 0 if spec["task"] == "classify" else np.isfinite(column)
        if not rows.any():
            yield None
            continue
        cols = inputs_for[j]
        Xj = X[rows] if cols is None else X[rows][:, cols]
        yj = column[rows].astype(np.int64) if spec["task"] == "classify" else column[rows]
        yield dict(base, **extra), Xj, yj


def _fit_multi(spec, X, y):
    outputs, notes = [], []
    inputs_for = spec.get("inputs_for") or [None] * np.asarray(y).reshape(len(X), -1).shape[1]
    for j, part in enumerate(output_parts(spec, X, y)):
        if part is None:
            outputs.append({"empty": True})
            continue
        model, part_notes = fit(*part)
        out = {"model": model}
        if inputs_for[j] is not None:
            out["inputs"] = np.asarray(inputs_for[j], dtype=np.int64)
        outputs.append(out)
        notes += [f"output {j + 1}: {n}" for n in part_notes if f"output {j + 1}: {n}" not in notes]
    model = {"task": spec["task"], "algorithm": spec["algorithm"], "n_features": int(X.shape[1]),
             "outputs": outputs}
    return model, notes
