"""Prediction from fitted parameters with numpy alone (no scikit-learn at run time).

`make(model)` turns what `fit.fit` exported into a predictor. Per sample,
scikit-learn's `predict` spends most of its time checking its input; these do
the arithmetic scikit-learn does, in the same order, so the outputs are equal
(tests compare them on shipped datasets). Every predictor has:

    one(x)   -> classify: (class index, probabilities); regress: values;
                cluster: (cluster index, squared distances)
    many(X)  -> the same for a batch (cross-validation)
    batch(X) -> only the first of those (class or cluster indices, or values), for a
                batch, vectorised where it is cheap to (plots shade a whole grid)
"""
from __future__ import annotations

import threading
import time

import numpy as np

# What predictors import (a learner type lists them in its `imports`, so a runtime loads
# them on its editing thread): scipy.special (0.2 s), the k-d tree's scipy.spatial and the
# BLAS limit's threadpoolctl. Imported on the helper thread that builds a tree, they held
# the interpreter lock in chunks: a 1 kHz stream stalled 35-175 ms at a first train.
IMPORTS = ("scipy.special", "scipy.spatial", "threadpoolctl")
expit = logsumexp = None  # scipy.special's, loaded by make(): a command that only reads a patch never needs them


def _load_special():
    global expit, logsumexp
    if expit is None:
        from scipy.special import expit, logsumexp  # noqa: F811


def make(model):
    _load_special()
    task, algo = model["task"], model["algorithm"]
    if "outputs" in model:
        return Multi(model)
    if task == "classify" and "constant" in model:
        return Constant(model)
    if task == "classify":
        cls = {"knn": KnnClassifier, "svm": Svm, "tree": Forest, "forest": Forest, "adaboost": AdaBoost,
               "naive_bayes": NaiveBayes, "logistic": Logistic, "mlp": MlpClassifier}[algo]
    elif task == "regress":
        if "parts" in model:
            return PerOutput(model)
        cls = {"knn": KnnRegressor, "linear": Linear, "polynomial": Polynomial, "mlp": MlpRegressor}[algo]
    elif task == "cluster":
        cls = KMeans
    else:
        raise ValueError(f"unknown task {task!r}")
    return cls(model)


class Scaler:
    """MinMaxScaler / StandardScaler's transform, in the same operation order."""

    def __init__(self, spec):
        self.kind = spec["kind"] if spec else "none"
        if self.kind == "minmax":
            self.a, self.b = spec["scale"], spec["min"]
        elif self.kind == "standard":
            self.a, self.b = spec["mean"], spec["scale"]

    def __call__(self, X):
        if self.kind == "minmax":
            X = X * self.a
            X += self.b
        elif self.kind == "standard":
            X = X - self.a
            X /= self.b
        return X


class Predictor:
    def __init__(self, model):
        self.model = model
        self.scale = Scaler(model.get("scaler"))
        self.n_features = model["n_features"]
        self.cols = model.get("inputs")  # the inputs it learned from (None: all)
        limits = model.get("limits")  # regress: the lowest and highest value taught, per output
        self.limits = None if limits is None else (limits["low"], limits["high"])

    def one(self, x):
        return self._one(self.scale(x if self.cols is None else x[self.cols]))

    def many(self, X):
        X = np.asarray(X, dtype=np.float64)
        return self._many(self.scale(X if self.cols is None else X[:, self.cols]))

    def _many(self, X):
        rows = [self._one(x) for x in X]
        if isinstance(rows[0], tuple):
            return tuple(np.array(col) for col in zip(*rows))
        return np.array(rows)

    def batch(self, X):
        X = np.asarray(X, dtype=np.float64).reshape(-1, self.n_features)
        return self._batch(self.scale(X if self.cols is None else X[:, self.cols]))

    def _batch(self, X):
        rows = [self._one(x) for x in X]
        if rows and isinstance(rows[0], tuple):
            return np.array([r[0] for r in rows], dtype=np.int64)
        return np.array(rows, dtype=np.float64).reshape(len(X), -1)


_BLOCK = 1 << 18  # elements in one temporary block of a batched distance computation


def _chunks(n, row_size):
    step = max(1, _BLOCK // max(1, row_size))
    return ((s, min(n, s + step)) for s in range(0, n, step))


def _sq_distances(points, X):
    """Squared distances from each row of X to every point, as one() computes them per row."""
    d = points[None, :, :] - X[:, None, :]
    return np.einsum("bij,bij->bi", d, d)


# ---- classifiers: one() -> (index, probabilities) -----------------------------------------

class Classifier(Predictor):
    def __init__(self, model):
        super().__init__(model)
        self.n_classes = model["n_classes"]
        fc = model.get("fit_classes")
        # a cross-validation fold may miss a class: map the model's classes back
        self.remap = None if fc is None or len(fc) == self.n_classes else np.asarray(fc)

    def _full(self, index, proba):
        if self.remap is None:
            return index, proba
        full = np.zeros(self.n_classes)
        full[self.remap] = proba
        return int(self.remap[index]), full

    def _indices(self, index):
        return index if self.remap is None else self.remap[index]


class Constant(Classifier):
    """One class was taught: every input gets it."""

    def _one(self, x):
        return int(self.model["constant"]), np.ones(1)

    def _batch(self, X):
        return np.full(len(X), int(self.model["constant"]), dtype=np.int64)


def _softmax(z):
    z = z - z.max()
    np.exp(z, out=z)
    z /= z.sum()
    return z


class KnnClassifier(Classifier):
    """KNeighborsClassifier(algorithm="brute", weights="uniform")."""

    def __init__(self, model):
        super().__init__(model)
        self.X, self.y, self.k = model["X"], model["y"], min(int(model["k"]), len(model["y"]))
        self.search = Neighbours(self.X, self.k)

    def _one(self, x):
        return self.vote(self.search.near(x))

    def vote(self, near):
        """(class index, probabilities) from the indices of the nearest examples."""
        if self.k == 1:
            label = int(self.y[near[0]])
            proba = np.zeros(self.n_classes)  # not a row of an identity matrix: classes may be thousands
            proba[label] = 1.0
            return label, proba
        counts = np.bincount(self.y[near], minlength=self.n_classes).astype(np.float64)
        return int(counts.argmax()), counts / self.k

    def _many(self, X):
        self.search.wait()  # batch work (cross-validation) is off the real-time path: use the tree
        return super()._many(X)

    def _batch(self, X):
        if self.search.tree is not None:
            return super()._batch(X)  # a plot's grid: per row through the tree beats a brute block
        out = np.empty(len(X), dtype=np.int64)
        for s, e in _chunks(len(X), self.X.size):
            d2 = _sq_distances(self.X, X[s:e])
            if self.k == 1:
                out[s:e] = self.y[d2.argmin(axis=1)]
                continue
            near = self.y[np.argpartition(d2, self.k - 1, axis=1)[:, :self.k]]
            counts = (near[:, :, None] == np.arange(self.n_classes)).sum(axis=1)
            out[s:e] = counts.argmax(axis=1)
        return out


class Svm(Classifier):
    """SVC(probability=True): libsvm's one-vs-one votes and pairwise-coupled Platt probabilities."""

    def __init__(self, model):
        super().__init__(model)
        self.sv = model["sv"]
        self.kernel, self.gamma = model["kernel"], model["gamma"]
        self.degree, self.coef0 = model["degree"], model["coef0"]
        self.sv_sq = np.einsum("ij,ij->i", self.sv, self.sv)
        n_support = model["n_support"]
        k = len(n_support)
        self.k = k
        start = np.concatenate([[0], np.cumsum(n_support)])
        coef = model["dual_coef"]
        pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
        A = np.zeros((len(pairs), len(self.sv)))
        for p, (i, j) in enumerate(pairs):
            A[p, start[i]:start[i + 1]] = coef[j - 1, start[i]:start[i + 1]]
            A[p, start[j]:start[j + 1]] = coef[i, start[j]:start[j + 1]]
        self.A = A
        self.pi = np.array([i for i, _ in pairs], dtype=np.int64)
        self.pj = np.array([j for _, j in pairs], dtype=np.int64)
        self.intercept = model["intercept"]
        self.prob_a, self.prob_b = model["prob_a"], model["prob_b"]
        self.has_proba = self.prob_a.size > 0

    def _kernel(self, x):
        if self.kernel == "linear":
            return self.sv @ x
        if self.kernel == "rbf":
            d = self.sv - x
            return np.exp(-self.gamma * np.einsum("ij,ij->i", d, d))
        if self.kernel == "poly":
            return (self.gamma * (self.sv @ x) + self.coef0) ** self.degree
        if self.kernel == "sigmoid":
            return np.tanh(self.gamma * (self.sv @ x) + self.coef0)
        raise ValueError(f"unknown kernel {self.kernel!r}")

    def _one(self, x):
        dec = self.A @ self._kernel(x) + self.intercept
        win = dec > 0
        votes = np.bincount(np.where(win, self.pi, self.pj), minlength=self.k)
        index = int(votes.argmax())
        proba = self._proba(dec) if self.has_proba else votes / votes.sum()
        return self._full(index, proba)

    def _batch(self, X):
        out = np.empty(len(X), dtype=np.int64)
        for s, e in _chunks(len(X), self.sv.size):
            B = X[s:e]
            if self.kernel == "rbf":
                K = np.exp(-self.gamma * _sq_distances(self.sv, B))
            elif self.kernel == "linear":
                K = B @ self.sv.T
            elif self.kernel == "poly":
                K = (self.gamma * (B @ self.sv.T) + self.coef0) ** self.degree
            else:
                K = np.tanh(self.gamma * (B @ self.sv.T) + self.coef0)
            dec = K @ self.A.T + self.intercept
            chosen = np.where(dec > 0, self.pi, self.pj)
            votes = (chosen[:, :, None] == np.arange(self.k)).sum(axis=1)
            out[s:e] = votes.argmax(axis=1)
        return self._indices(out)

    def _proba(self, dec):
        f = dec * self.prob_a + self.prob_b
        with np.errstate(over="ignore"):
            e = np.exp(-np.abs(f))
        r = np.where(f >= 0, e / (1.0 + e), 1.0 / (1.0 + e))
        r = np.clip(r, 1e-7, 1 - 1e-7)
        k = self.k
        R = np.zeros((k, k))
        R[self.pi, self.pj] = r
        R[self.pj, self.pi] = 1.0 - r
        return _couple(R, k)


def _couple(r, k):
    """libsvm's multiclass_probability: pairwise coupling (Wu, Lin and Weng 2004, method 2)."""
    Q = np.empty((k, k))
    for t in range(k):
        Q[t, t] = 0.0
        for j in range(t):
            Q[t, t] += r[j, t] * r[j, t]
            Q[t, j] = Q[j, t]
        for j in range(t + 1, k):
            Q[t, t] += r[j, t] * r[j, t]
            Q[t, j] = -r[j, t] * r[t, j]
    p = np.full(k, 1.0 / k)
    eps = 0.005 / k
    for _ in range(max(100, k)):
        Qp = Q @ p
        pQp = float(p @ Qp)
        if np.max(np.abs(Qp - pQp)) < eps:
            break
        for t in range(k):
            diff = (-Qp[t] + pQp) / Q[t, t]
            p[t] += diff
            pQp = (pQp + diff * (diff * Q[t, t] + 2 * Qp[t])) / (1 + diff) / (1 + diff)
            Qp = (Qp + diff * Q[t]) / (1 + diff)
            p /= 1 + diff
    return p


class Forest(Classifier):
    """Decision trees (one, or a random forest): every tree walked at once, with sklearn's
    float32 comparison of the input against each split."""

    def __init__(self, model):
        super().__init__(model)
        trees = model["trees"]
        self.n_trees = len(trees)
        offsets = np.cumsum([0] + [len(t["left"]) for t in trees[:-1]])
        left, right, feature, threshold, value = [], [], [], [], []
        for off, t in zip(offsets, trees):
            leaf = t["left"] < 0
            idx = np.arange(len(t["left"])) + off
            # leaves point at themselves, so walking `depth` steps from the root lands on one
            left.append(np.where(leaf, idx, t["left"] + off))
            right.append(np.where(leaf, idx, t["right"] + off))
            feature.append(np.where(leaf, 0, t["feature"]))
            threshold.append(np.where(leaf, np.inf, t["threshold"]))
            value.append(t["value"])
        self.left, self.right = np.concatenate(left), np.concatenate(right)
        self.feature, self.threshold = np.concatenate(feature), np.concatenate(threshold)
        self.value = np.concatenate(value)
        norm = self.value.sum(axis=1, keepdims=True)
        norm[norm == 0.0] = 1.0
        self.proba = self.value / norm
        self.roots = offsets.astype(np.int64)
        self.depth = max(_depth(t["left"], t["right"]) for t in trees)

    def leaves(self, x):
        x = x.astype(np.float32).astype(np.float64)
        node = self.roots
        for _ in range(self.depth):
            node = np.where(x[self.feature[node]] <= self.threshold[node], self.left[node], self.right[node])
        return node

    def _batch(self, X):
        if type(self) is not Forest:
            return super()._batch(X)
        out = np.empty(len(X), dtype=np.int64)
        for s, e in _chunks(len(X), self.n_trees * self.proba.shape[1]):
            B = X[s:e].astype(np.float32).astype(np.float64)
            rows = np.arange(len(B))[:, None]
            node = np.broadcast_to(self.roots, (len(B), self.n_trees))
            for _ in range(self.depth):
                node = np.where(B[rows, self.feature[node]] <= self.threshold[node], self.left[node], self.right[node])
            if self.n_trees == 1:
                out[s:e] = self.value[node[:, 0]].argmax(axis=1)
            else:
                out[s:e] = np.add.reduce(self.proba[node], axis=1).argmax(axis=1)
        return self._indices(out)

    def _one(self, x):
        node = self.leaves(x)
        if self.n_trees == 1:
            return self._full(int(self.value[node[0]].argmax()), self.proba[node[0]].copy())
        proba = np.add.reduce(self.proba[node], axis=0)
        proba /= self.n_trees
        return self._full(int(proba.argmax()), proba)


def _depth(left, right):
    depth, level = 0, [0]
    while level:
        nxt = [c for n in level for c in (left[n], right[n]) if c >= 0]
        depth += 1 if nxt else 0
        level = nxt
    return depth


class AdaBoost(Forest):
    """AdaBoostClassifier (SAMME): weighted votes of its trees, softmax probabilities."""

    def __init__(self, model):
        super().__init__(model)
        self.weights = model["weights"]
        self.weight_sum = model["weight_sum"]
        k = self.n_classes_fit = self.proba.shape[1]
        self.miss = -1.0 / (k - 1) if k > 1 else 0.0

    def _one(self, x):
        node = self.leaves(x)
        k = self.n_classes_fit
        votes = self.value[node].argmax(axis=1)
        hit = votes[:, None] == np.arange(k)
        terms = np.where(hit, self.weights[:, None], self.miss * self.weights[:, None])
        pred = np.add.reduce(terms, axis=0)
        pred /= self.weight_sum
        if k == 2:
            pred[0] *= -1
            d = pred.sum()
            return self._full(int(d > 0), _softmax(np.array([-d, d]) / 2))
        index = int(pred.argmax())
        return self._full(index, _softmax(pred / (k - 1)))


class NaiveBayes(Classifier):
    """GaussianNB's joint log likelihood, term by term."""

    def __init__(self, model):
        super().__init__(model)
        self.theta, self.var = model["theta"], model["var"]
        self.const = -0.5 * np.sum(np.log(2.0 * np.pi * self.var), axis=1)
        self.log_prior = np.log(model["prior"])

    def _one(self, x):
        n = self.const - 0.5 * np.sum(((x - self.theta) ** 2) / self.var, axis=1)
        jll = self.log_prior + n
        proba = np.exp(jll - logsumexp(jll))
        return self._full(int(jll.argmax()), proba)

    def _batch(self, X):
        n = self.const - 0.5 * np.sum(((X[:, None, :] - self.theta) ** 2) / self.var, axis=2)
        return self._indices((self.log_prior + n).argmax(axis=1))


class Logistic(Classifier):
    def __init__(self, model):
        super().__init__(model)
        self.coef, self.intercept = model["coef"], model["intercept"]
        self.binary = self.coef.shape[0] == 1

    def _one(self, x):
        d = self.coef @ x + self.intercept
        if self.binary:
            p = float(expit(d[0]))
            return self._full(int(d[0] > 0), np.array([1.0 - p, p]))
        return self._full(int(d.argmax()), _softmax(d))

    def _batch(self, X):
        d = X @ self.coef.T + self.intercept
        return self._indices((d[:, 0] > 0).astype(np.int64) if self.binary else d.argmax(axis=1))


ACTIVATIONS = {"relu": lambda a: np.maximum(a, 0, out=a), "tanh": lambda a: np.tanh(a, out=a),
               "logistic": lambda a: expit(a, out=a), "identity": lambda a: a}


class Mlp(Predictor):
    def __init__(self, model):
        super().__init__(model)
        self.layers = [(layer["w"], layer["b"]) for layer in model["coefs"]]
        self.act = ACTIVATIONS[model["activation"]]

    def forward(self, x):
        a = x
        last = len(self.layers) - 1
        for i, (w, b) in enumerate(self.layers):
            a = a @ w
            a += b
            if i != last:
                self.act(a)
        return a


class MlpClassifier(Mlp, Classifier):
    def __init__(self, model):
        super().__init__(model)
        self.output = model["output"]

    def _one(self, x):
        a = self.forward(x)
        if self.output == "logistic":
            p = float(expit(a[0]))
            return self._full(int(p > 0.5), np.array([1.0 - p, p]))
        return self._full(int(a.argmax()), _softmax(a))

    def _batch(self, X):
        a = self.forward(X)
        if self.output == "logistic":
            return self._indices((expit(a[:, 0]) > 0.5).astype(np.int64))
        return self._indices(a.argmax(axis=1))


# ---- regressors: one() -> values --------------------------------------------------------------

class MlpRegressor(Mlp):
    """MLPRegressor, inside TransformedTargetRegressor(StandardScaler()) when the model has a
    "target" scaling: its outputs are scaled back as inverse_transform does (×scale, +mean)."""

    def __init__(self, model):
        super().__init__(model)
        target = model.get("target")
        self.y_scale, self.y_mean = (target["scale"], target["mean"]) if target else (None, None)

    def _one(self, x):
        return self._unscale(self.forward(x))

    def _batch(self, X):
        return self._unscale(self.forward(X))

    def _unscale(self, a):
        if self.y_scale is not None:
            a *= self.y_scale
            a += self.y_mean
        return a


class Linear(Predictor):
    def __init__(self, model):
        super().__init__(model)
        self.coef_t = np.ascontiguousarray(model["coef"].T)
        self.intercept = model["intercept"]

    def _one(self, x):
        return x @ self.coef_t + self.intercept

    def _batch(self, X):
        return X @ self.coef_t + self.intercept


class Polynomial(Linear):
    """PolynomialFeatures(degree) then LinearRegression."""

    def __init__(self, model):
        super().__init__(model)
        self.powers = model["powers"]

    def _one(self, x):
        return np.prod(x ** self.powers, axis=1) @ self.coef_t + self.intercept

    def _batch(self, X):
        return np.prod(X[:, None, :] ** self.powers, axis=2) @ self.coef_t + self.intercept


class KnnRegressor(Predictor):
    """KNeighborsRegressor(algorithm="brute", weights="uniform"): the mean of the k nearest,
    summed nearest first as scikit-learn sums them."""

    def __init__(self, model):
        super().__init__(model)
        self.X, self.Y, self.k = model["X"], model["Y"], min(int(model["k"]), len(model["Y"]))
        self.search = Neighbours(self.X, self.k)

    def _one(self, x):
        return self.vote(self.search.near(x))

    def vote(self, near):
        """(class index, probabilities) from the indices of the nearest examples."""
        if self.k == 1:
            return self.Y[near[0]].copy()
        return self.Y[near].mean(axis=0)

    def _many(self, X):
        self.search.wait()
        return super()._many(X)

    def _batch(self, X):
        if self.search.tree is not None:
            return super()._batch(X)
        out = np.empty((len(X), self.Y.shape[1]))
        for s, e in _chunks(len(X), self.X.size):
            d2 = _sq_distances(self.X, X[s:e])
            if self.k == 1:
                out[s:e] = self.Y[d2.argmin(axis=1)]
            else:
                out[s:e] = self.Y[np.argpartition(d2, self.k - 1, axis=1)[:, :self.k]].mean(axis=1)
        return out


# ---- nearest neighbours -------------------------------------------------------------------------

TREE_FROM = 10_000  # examples; below this one BLAS scan beats a tree query (bench/learners.py, 1b)
_BLAS_THREADED = 9216  # elements: from here OpenBLAS splits a matrix-vector product among threads
_blas_limited = False


def _one_blas_thread():
    """One BLAS thread for this process. A prediction is one small matrix-vector product:
    handing it to threads on a busy machine costs more than it saves (30,000 x 10: p99
    1.7 ms with OpenBLAS's threads, 0.13 ms with one). Called off the real-time thread,
    once: threadpoolctl (scikit-learn's) loads in tens of ms."""
    global _blas_limited
    if not _blas_limited:
        _blas_limited = True
        from threadpoolctl import threadpool_limits
        threadpool_limits(1, user_api="blas")
_LOOSE = 1 + 1e-9  # the tree's distances may round differently from ours: never trust a closer call than this


class Neighbours:
    """The k examples nearest to x, nearest first; among equally near examples the one
    recorded first wins. Where no tie decides, these are scikit-learn's neighbours;
    on ties scikit-learn has no one answer (its brute force keeps whichever equal
    example its heaps meet first, which changes with the number of threads, and its
    kd_tree and ball_tree differ again), so ours is a rule that does not change.
    Distances are computed the same way whichever search finds the candidates, so
    the answer never depends on which one ran.

    A scan (one BLAS product, then an exact check of the closest calls) costs a read
    of every example: tens of µs at 3,000 x 10, about 50-100 µs at 30,000. From
    TREE_FROM examples a k-d tree (scipy's cKDTree) is built on a helper thread as soon
    as the model exists (at train time, never on a prediction), timed against the scan
    on this data, and kept if it is faster; the scan answers until then. Exact
    duplicates (a hand held still while recording) are one point in the tree with
    its list of examples: a tree cannot split a pile of equal points, and equal
    distances are where the tie rule matters.
    """

    def __init__(self, X, k):
        self.X, self.k = X, k
        # The scan ranks the examples in float32 (half the bytes to read: the scan is bound
        # by reading them; at 300 examples it is still 2x quicker than exact distances) on
        # data moved to its mean (distances do not change, and the rounding shrinks with
        # the norms), then ranks again exactly, in float64, every example the float32
        # ranking cannot tell from the k-th.
        self._mean = X.mean(axis=0)
        Xc = X - self._mean
        # -2 X^T: scaling by 2 is exact in floating point, so this ranks as X^T did, one
        # multiplication less per query
        self._XT32 = np.ascontiguousarray(Xc.T * -2.0, dtype=np.float32)
        norms = np.einsum("ij,ij->i", Xc, Xc)
        self._norms32 = norms.astype(np.float32)
        big = float(norms.max())
        # a bound on the float32 rounding of |X_i|² - 2 X_i·x, with room to spare: per term
        # (d + 4) roundings of eps32, on norms up to `big` and a query of norm |x|
        self._eps = 4 * (X.shape[1] + 4) * float(np.finfo(np.float32).eps)
        self._big, self._root_big = big, big ** 0.5
        # k > 1 on many examples: the k-th of every 16th example is a bound on the k-th of
        # all (it is the k-th of a subset), found in a 16th of the time np.partition takes
        self._stride = 16 if k > 1 and len(X) >= 64 * k else 1
        self.tree = None  # (cKDTree, unique rows, members, start, counts) once built, if faster
        self.timings = None  # {"scan": µs, "tree": µs} as measured when the tree was built
        self._thread = None
        if X.size >= _BLAS_THREADED:
            self._thread = threading.Thread(target=self._build, name="knn tree", daemon=True)
            self._thread.start()

    def wait(self):
        """Block until the tree (if any) is built: for batch work and tests, not the real-time path."""
        if self._thread is not None:
            self._thread.join()

    def _build(self):
        _one_blas_thread()
        if len(self.X) < TREE_FROM:
            return
        built = self.make_tree()
        self.timings = self._time_both(built)
        if self.timings["tree"] < self.timings["scan"]:
            self.tree = built

    def make_tree(self):
        from scipy.spatial import cKDTree

        rows, members, start, counts = _unique_rows(self.X)
        # sliding midpoint splits (balanced_tree=False) build 2x faster and answer faster on
        # clustered data; leafsize 16 measured best at 30,000 x 10. cKDTree releases the GIL
        # while it builds, so the scheduler thread runs on meanwhile.
        tree = cKDTree(rows, leafsize=16, balanced_tree=False, compact_nodes=False, copy_data=False)
        return tree, rows, members, start, counts

    def _time_both(self, built, n=41):
        """Median µs of the scan and of the tree on this data, on examples moved slightly
        (what a performer plays near what they recorded). Which wins depends on the data:
        a k-d tree in 10 dimensions does no better than one scan on data spread through
        every dimension, and better on data with fewer real dimensions. Both give the
        same answers, so the choice changes only the time."""
        X = self.X
        rng = np.random.default_rng(0)
        queries = X[rng.integers(0, len(X), n)] + 0.01 * X.std(axis=0) * rng.standard_normal((n, X.shape[1]))
        search = Neighbours.__new__(Neighbours)
        search.__dict__.update(self.__dict__, tree=built)
        clock = time.perf_counter_ns
        scan, tree = [], []
        for q in queries:
            t0 = clock()
            search._scan(q)
            t1 = clock()
            search._search(q)
            tree.append(clock() - t1)
            scan.append(t1 - t0)
            time.sleep(0)  # let the scheduler thread have the GIL between queries
        return {"scan": float(np.median(scan)) / 1000, "tree": float(np.median(tree)) / 1000}

    def near(self, x):
        """Indices of the k nearest examples, nearest first (ties: lower index first)."""
        if self.tree is None:
            return self._scan(x)
        return self._search(x)

    def _scan(self, x):
        xc = x - self._mean
        a = xc.astype(np.float32) @ self._XT32  # one BLAS call: -2 X_i·x for every example
        a += self._norms32  # |X_i|² - 2 X_i·x: d² less |x|², which all examples share
        k = self.k
        if k == 1:
            kth = a.min()
        elif self._stride > 1:
            kth = np.partition(a[::self._stride], k - 1)[k - 1]  # at least the k-th: an upper bound
        else:
            kth = np.partition(a, k - 1)[k - 1]
        q2 = float(xc @ xc)
        slack = 2 * self._eps * (self._big + 2 * self._root_big * q2 ** 0.5 + q2)
        cand = (a <= kth + slack).nonzero()[0]
        if self._stride > 1 and len(cand) > k:
            # the bound let in more than the k nearest: the k-th among these is the k-th of all
            a = a[cand]
            cand = cand[a <= np.partition(a, k - 1)[k - 1] + slack]
        if len(cand) == 1:
            return cand
        if not len(cand):  # numbers beyond float32 (or NaN): rank every example exactly
            cand = np.arange(len(self.X))
        d = self.X[cand] - x
        d2 = np.einsum("ij,ij->i", d, d)
        return cand[np.lexsort((cand, d2))[:k]]

    def _search(self, x):
        tree, rows, members, start, counts = self.tree
        k, m = self.k, len(rows)
        kk = min(k + 1, m)
        dist, j = tree.query(x, kk)
        if kk == 1:
            cand = np.array([j])
        else:
            # the k-th nearest example lies in row b; rows after it are out unless as near as row b
            b = k - 1 if members is None or k == 1 else int(np.searchsorted(np.cumsum(counts[j]), k))
            if b + 1 >= kk:
                cand = j  # every row
            elif dist[b + 1] > dist[b] * _LOOSE:
                cand = j[:b + 1]
                if b == 0 or (dist[1:b + 1] > dist[:b] * _LOOSE).all():
                    # no two candidates are close: the tree's order is the order (the common case)
                    if members is None:
                        return cand
                    if k == 1:
                        s = start[cand[0]]
                        return members[s:s + 1]
            else:  # a tie at the edge: every row as near as row b is a candidate
                cand = np.asarray(tree.query_ball_point(x, dist[b] * _LOOSE + 1e-300), dtype=np.intp)
        d = rows[cand] - x
        d2 = np.einsum("ij,ij->i", d, d)
        if members is None:
            return cand[np.lexsort((cand, d2))[:k]]
        # each row stands for its examples (lowest index first); at most k of one row can win
        take = np.minimum(counts[cand], k)
        idx = np.concatenate([members[s:s + t] for s, t in zip(start[cand], take)])
        return idx[np.lexsort((idx, np.repeat(d2, take)))[:k]]


def _unique_rows(X):
    """(unique rows, members, start, counts): the examples of unique row r are
    members[start[r]:start[r] + counts[r]], ascending. members is None when every row is
    unique. Rows are grouped by a random projection, then compared whole: equal rows
    project equally, and a pair the grouping misses only costs speed, never correctness."""
    n = len(X)
    h = X @ np.random.default_rng(0).standard_normal(X.shape[1])
    order = np.argsort(h, kind="stable")
    Xs, hs = X[order], h[order]
    same = (hs[1:] == hs[:-1]) & (Xs[1:] == Xs[:-1]).all(axis=1)
    if not same.any():
        return X, None, None, None
    first = np.concatenate([[True], ~same])
    group = np.cumsum(first) - 1  # unique row of each sorted example
    counts = np.bincount(group)
    # within a group, `order` is ascending (stable sort of equal projections)
    rows = Xs[first]
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return rows, order, start, counts


class PerOutput(Predictor):
    """One model per output (Wekinator's way): each predicts its own column.

    Neural networks of one shape are run as one network whose weights are the
    parts' side by side (first layer) and block-diagonal (the others): the same
    arithmetic, with zeros where the networks do not touch, in one pass."""

    def __init__(self, model):
        super().__init__(model)
        parts = []
        for part in model["parts"]:
            sub = dict(part, task="regress", algorithm=model["algorithm"], n_features=model["n_features"])
            parts.append(make(sub))
        self.parts = parts
        self.joint = _stack(parts) if model["algorithm"] == "mlp" else None

    def _one(self, x):
        if self.joint is not None:
            return self.joint._one(x)
        return np.concatenate([p._one(x) for p in self.parts])

    def _batch(self, X):
        if self.joint is not None:
            return self.joint._batch(X)
        return np.hstack([p._batch(X) for p in self.parts])


def _stack(mlps):
    """One MlpRegressor computing every part's output, or None if their shapes differ."""
    if len({len(m.layers) for m in mlps}) != 1 or len({m.model["activation"] for m in mlps}) != 1:
        return None
    layers = []
    for i in range(len(mlps[0].layers)):
        ws = [m.layers[i][0] for m in mlps]
        if i == 0:
            w = np.hstack(ws)
        else:
            w = np.zeros((sum(a.shape[0] for a in ws), sum(a.shape[1] for a in ws)))
            r = c = 0
            for a in ws:
                w[r:r + a.shape[0], c:c + a.shape[1]] = a
                r, c = r + a.shape[0], c + a.shape[1]
        layers.append({"w": w, "b": np.concatenate([m.layers[i][1] for m in mlps])})
    targets = [m.model.get("target") for m in mlps]
    if any(t is None for t in targets) and any(t is not None for t in targets):
        return None
    joint = {"task": "regress", "algorithm": "mlp", "n_features": mlps[0].n_features,
             "coefs": layers, "activation": mlps[0].model["activation"]}
    if targets[0] is not None:
        joint["target"] = {k: np.concatenate([t[k] for t in targets]) for k in ("mean", "scale")}
    return MlpRegressor(joint)


class Multi:
    """Many outputs, one model each, each on its own inputs (a Wekinator project).

    one(x): classify -> (class index per output, -1 where an output has no model; the
    probabilities of each, None there); regress -> values, nan where an output has none."""

    def __init__(self, model):
        self.model = model
        self.task = model["task"]
        self.n_features = model["n_features"]
        self.parts = []
        for out in model["outputs"]:
            if out.get("empty"):
                self.parts.append((None, None))
            else:
                cols = out.get("inputs")
                self.parts.append((make(out["model"]), None if cols is None else np.asarray(cols)))
        self.limits = None
        if self.task == "regress":  # an output with no model has no limits
            ends = [(-np.inf, np.inf) if p is None or p.limits is None else (p.limits[0][0], p.limits[1][0])
                    for p, _ in self.parts]
            self.limits = (np.array([lo for lo, _ in ends]), np.array([hi for _, hi in ends]))
        # kNN outputs taught on the same examples (the usual project: every output records every
        # example) have the same nearest examples: one search answers them all, each by its classes
        self.leader = [None] * len(self.parts)
        for j, (p, cols) in enumerate(self.parts):
            if isinstance(p, KnnClassifier):
                self.leader[j] = next((i for i in range(j) if self.leader[i] == i
                                       and _same_search(self.parts[i], (p, cols))), j)

    def one(self, x):
        if self.task == "classify":
            indices, probas = np.full(len(self.parts), -1, dtype=np.int64), []
            near = {}
            for j, (p, cols) in enumerate(self.parts):
                if p is None:
                    probas.append(None)
                    continue
                lead = self.leader[j]
                if lead is None:
                    indices[j], proba = p.one(x if cols is None else x[cols])
                else:
                    if lead not in near:
                        near[lead] = p.search.near(p.scale(x if cols is None else x[cols]))
                    indices[j], proba = p.vote(near[lead])
                probas.append(proba)
            return indices, probas
        return np.array([np.nan if p is None else p.one(x if cols is None else x[cols])[0]
                         for p, cols in self.parts])

    def batch(self, X):
        """What plots shade: the first output's classes (-1 if untrained), or every value."""
        X = np.asarray(X, dtype=np.float64).reshape(-1, self.n_features)
        if self.task == "classify":
            p, cols = self.parts[0]
            return np.full(len(X), -1, dtype=np.int64) if p is None else p.batch(X if cols is None else X[:, cols])
        return np.column_stack([np.full(len(X), np.nan) if p is None else
                                p.batch(X if cols is None else X[:, cols]).reshape(len(X), -1)[:, 0]
                                for p, cols in self.parts])


def _same_search(a, b):
    """Two kNN parts whose nearest examples are always the same ones."""
    (p, pc), (q, qc) = a, b
    same_cols = (pc is None and qc is None) or (pc is not None and qc is not None and np.array_equal(pc, qc))
    sp, sq = p.scale, q.scale
    same_scale = sp.kind == sq.kind and (sp.kind == "none" or (np.array_equal(sp.a, sq.a) and np.array_equal(sp.b, sq.b)))
    return same_cols and same_scale and p.k == q.k and np.array_equal(p.X, q.X)


# ---- clustering: one() -> (index, squared distances) --------------------------------------------

class KMeans(Predictor):
    def __init__(self, model):
        super().__init__(model)
        self.centers = model["centers"]

    def _one(self, x):
        d = self.centers - x
        d2 = np.einsum("ij,ij->i", d, d)
        return int(d2.argmin()), d2

    def _batch(self, X):
        return np.concatenate([_sq_distances(self.centers, X[s:e]).argmin(axis=1)
                               for s, e in _chunks(len(X), self.centers.size)] or [np.zeros(0, np.int64)])
