"""ml.regress through a patch, against scikit-learn on its shipped datasets."""
import warnings

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_linnerud
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import KFold, cross_val_predict, train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, PolynomialFeatures, StandardScaler

from nodegraph import AddNode, Runtime, SetParam, SetState

from .conftest import tap
from .learners_util import run_all, teach, wait_idle


def reference(algorithm, n_features, scaling="minmax"):
    # the node's default network: Wekinator's sigmoid layer (at least 8 units) on standardised targets
    est = {"mlp": lambda: TransformedTargetRegressor(
               MLPRegressor(hidden_layer_sizes=(max(8, n_features),), activation="logistic", solver="lbfgs",
                            max_iter=2000, tol=1e-9, alpha=1e-5, random_state=0), transformer=StandardScaler()),
           "linear": LinearRegression,
           "polynomial": lambda: make_pipeline(PolynomialFeatures(degree=2), LinearRegression()),
           "knn": lambda: KNeighborsRegressor(n_neighbors=3)}[algorithm]()
    return make_pipeline({"minmax": MinMaxScaler, "standard": StandardScaler}[scaling](), est)


def fitted(est, X, Y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, Y)


CASES = [(d, a, m) for d in ("diabetes", "linnerud") for a in ("mlp", "linear", "polynomial", "knn")
         for m in ("per_output", "joint") if not (d == "diabetes" and m == "joint")]


@pytest.mark.parametrize("dataset,algorithm,models", CASES, ids=["-".join(c) for c in CASES])
def test_predictions_through_a_patch_equal_scikit_learn(rt, dataset, algorithm, models):
    X, Y = (load_diabetes if dataset == "diabetes" else load_linnerud)(return_X_y=True)
    Y = Y.reshape(len(Y), -1)
    Xtr, Xte, Ytr, Yte = train_test_split(X, Y, test_size=0.3, random_state=0)
    rt.do(AddNode("ml.regress", {"algorithm": algorithm, "models": models, "k": 3, "folds": 0}, node_id="reg"))
    teach(rt, "reg", Xtr, list(Ytr), target_inlet="target")
    rt.send("reg", "train", True)
    wait_idle(rt, "reg")
    got = np.array(run_all(rt, "reg", Xte, ["values"])["values"])
    n = X.shape[1]
    if models == "per_output":  # Wekinator's way: an independent model for each output
        expected = np.column_stack([fitted(reference(algorithm, n), Xtr, Ytr[:, j]).predict(Xte)
                                    for j in range(Y.shape[1])])
    else:
        expected = fitted(reference(algorithm, n), Xtr, Ytr).predict(Xte).reshape(len(Xte), -1)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


def test_standard_scaling_is_scikit_learns(rt):
    X, y = load_diabetes(return_X_y=True)
    rt.do(AddNode("ml.regress", {"algorithm": "linear", "scaling": "standard", "folds": 0}, node_id="reg"))
    teach(rt, "reg", X[:300], [[v] for v in y[:300]], target_inlet="target")
    rt.send("reg", "train", True)
    wait_idle(rt, "reg")
    got = np.array(run_all(rt, "reg", X[300:], ["values"])["values"])[:, 0]
    expected = reference("linear", 10, "standard").fit(X[:300], y[:300]).predict(X[300:])
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_cross_validated_error_is_scikit_learns(rt):
    X, y = load_diabetes(return_X_y=True)
    rt.do(AddNode("ml.regress", {"algorithm": "linear", "folds": 4, "seed": 1}, node_id="reg"))
    teach(rt, "reg", X, [[v] for v in y], target_inlet="target")
    rt.send("reg", "train", True)
    node = wait_idle(rt, "reg")
    pred = cross_val_predict(reference("linear", 10), X, y, cv=KFold(4, shuffle=True, random_state=1))
    score = node.info()["score"]
    assert score["folds"] == 4
    assert score["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, pred)))


def test_many_outputs_from_one_node_and_target_length_checks(rt):
    rt.do(AddNode("ml.regress", {"algorithm": "linear", "folds": 0}, node_id="reg"))
    node = rt.graph.node("reg")
    status = tap(rt, "reg", "status")
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(40, 2))
    Y = np.column_stack([X[:, 0] + X[:, 1], X[:, 0] - X[:, 1], 2 * X[:, 0]])
    teach(rt, "reg", X, list(Y), target_inlet="target")
    rt.send("reg", "target", np.array([1.0, 2.0]))
    rt.send("reg", "record", True)
    assert "target of 2 values" in node.error and "have 3" in node.error
    rt.send("reg", "train", True)
    wait_idle(rt, "reg")
    got = run_all(rt, "reg", [[0.25, 0.5]], ["values"])["values"][0]
    np.testing.assert_allclose(got, [0.75, -0.25, 0.5], atol=1e-9)
    bad = {"examples": [{"x": [0.0], "y": [1.0], "t": 0, "take": 1}, {"x": [1.0], "y": [1.0, 2.0], "t": 0, "take": 1}]}
    rt.do(SetState("reg", bad))
    rt.send("reg", "train", True)
    assert "targets have different lengths (1, 2 values)" in status[-1] and node.error is None


def test_recording_needs_a_target(rt):
    rt.do(AddNode("ml.regress", {}, node_id="reg"))
    rt.send("reg", "record", True)
    assert "no target yet" in rt.graph.node("reg").error


def test_save_load_gives_identical_predictions(rt, tmp_path):
    X, Y = load_linnerud(return_X_y=True)
    rt.do(AddNode("ml.regress", {"algorithm": "mlp", "hidden_units": 5, "seed": 4}, node_id="reg"))
    teach(rt, "reg", X, list(Y), target_inlet="target")
    rt.send("reg", "train", True)
    wait_idle(rt, "reg")
    before = run_all(rt, "reg", X, ["values"])["values"]
    again = Runtime.open(rt.save(tmp_path / "r.json"), clock=type(rt.scheduler.clock)())
    try:
        again.start(thread=False)
        wait_idle(again, "reg")
        again.do(SetParam("reg", "models", "joint"))  # a setting changed but not trained: same model
        after = run_all(again, "reg", X, ["values"])["values"]
        assert np.array_equal(np.array(before), np.array(after))
    finally:
        again.close()
    again = Runtime.open(tmp_path / "r.json", clock=type(rt.scheduler.clock)())
    try:
        again.do(SetParam("reg", "models", "joint"))
        again.start(thread=False)
        wait_idle(again, "reg")
        after = run_all(again, "reg", X, ["values"])["values"]
        assert np.array_equal(np.array(before), np.array(after))
    finally:
        again.close()


@pytest.mark.parametrize("algorithm", ["mlp", "linear", "polynomial", "knn"])
def test_limit_keeps_every_output_inside_the_range_it_was_taught(rt, algorithm):
    """A newcomer's xy-to-synth sent cutoff 2.71 after a take taught in 0..1. With `limit`
    the answers stay within each output's taught range, exactly the free model's where it
    already does; off (the default) they are the model's own."""
    X = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]], dtype=float)
    Y = np.array([[0.1, 0.9], [0.9, 0.2], [0.5, 0.5], [0.3, 0.4], [0.8, 0.7]])
    rt.do(AddNode("ml.regress", {"algorithm": algorithm, "k": 1, "folds": 0}, node_id="reg"))
    teach(rt, "reg", X, list(Y), target_inlet="target")
    rt.send("reg", "train", True)
    wait_idle(rt, "reg")
    grid = np.array([[a, b] for a in np.linspace(-3, 4, 15) for b in np.linspace(-3, 4, 15)])
    free = np.array(run_all(rt, "reg", grid, ["values"])["values"])
    assert (free < Y.min(axis=0) - 0.05).any() or (free > Y.max(axis=0) + 0.05).any() or algorithm == "knn"
    rt.do(SetParam("reg", "limit", True))
    kept = np.array(run_all(rt, "reg", grid, ["values"])["values"])
    assert (kept >= Y.min(axis=0)).all() and (kept <= Y.max(axis=0)).all()
    np.testing.assert_array_equal(kept, np.clip(free, Y.min(axis=0), Y.max(axis=0)))
    # the plots' picture of the model is the limited one too
    snap = rt.graph.node("reg").snapshot()
    np.testing.assert_allclose(snap.predict(grid), kept, rtol=1e-12, atol=1e-12)  # a batch: last bits differ
    if algorithm == "knn":  # its answers are its examples' own rows, which the limit must not clip in place
        np.testing.assert_array_equal(np.array(run_all(rt, "reg", X, ["values"])["values"]), Y)


def test_limit_in_a_wekinator_project_holds_each_output_to_its_own_range(rt):
    rt.do(AddNode("ml.regress", {"algorithm": "linear", "outputs": 2, "folds": 0, "limit": True}, node_id="reg"))
    X = np.array([[0.0], [1.0], [2.0]])
    teach(rt, "reg", X, [[0.0, 10.0], [0.5, 20.0], [1.0, 30.0]], target_inlet="target")
    rt.send("reg", "train", True)
    wait_idle(rt, "reg")
    got = np.array(run_all(rt, "reg", np.array([[-5.0], [1.0], [9.0]]), ["values"])["values"])
    np.testing.assert_allclose(got, [[0.0, 10.0], [0.5, 20.0], [1.0, 30.0]], atol=1e-9)
