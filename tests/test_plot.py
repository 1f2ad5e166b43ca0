"""plot.scope, plot.dataset, plot.confusion: what the editor will draw, computed without a GUI."""
import threading

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from nodegraph import AddNode, Connect, EditError, SetParam
from nodegraph.commands import DeleteExample
from nodegraph.learn.snapshot import LearnerSnapshot
from nodes import plot

from .conftest import build, tap
from .learners_util import run_all, teach, wait_idle

REGIONS = {"a": (0.2, 0.2), "b": (0.8, 0.25), "c": (0.5, 0.8)}


def regions(n=10, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(c, 0.05, (n, 2)) for c in REGIONS.values()])
    return X, [label for label in REGIONS for _ in range(n)]


def learner_and_plots(rt, type_id="ml.classify", params=None, plots=("plot.dataset",)):
    """A learner whose model outlet feeds the plots (ds, cm), on a started runtime."""
    nodes = {"l": (type_id, params or {})}
    names = {"plot.dataset": "ds", "plot.confusion": "cm"}
    nodes.update({names[t]: (t, {}) for t in plots})
    build(rt, nodes, [("l", "model", names[t], "model") for t in plots])
    rt.start(thread=False)
    return rt.graph.node("l")


def train(rt, node_id="l"):
    """Train and wait for it; then let logical time pass for the plots' shading, which is
    computed a few milliseconds (of real time) at a time."""
    rt.send(node_id, "train", True)
    wait_idle(rt, node_id)
    rt.advance(1000)


def grid_points(view):
    g = view["grid"]
    xx, yy = np.meshgrid(g["x"], g["y"])
    return np.column_stack([xx.ravel(), yy.ravel()])


# ---- plot.scope ---------------------------------------------------------------------------------

def test_scope_keeps_the_last_window_of_values_with_their_logical_times(rt):
    build(rt, {"s": ("plot.scope", {"window_ms": 100.0, "points": 1000})})
    rt.start(thread=False)
    for i in range(30):
        rt.send("s", "in", float(i))
        rt.advance(10)
    rt.advance(10)  # the view is rebuilt at most every 16 ms: the last values show a little later
    view = rt.graph.node("s").view()
    assert view["channels"] == 1 and view["values"].shape[1] == 1
    assert view["t"][-1] == 290.0 and view["values"][-1, 0] == 29.0
    assert view["t"][0] >= view["t"][-1] - 100 and len(view["t"]) == 11  # 190, 200, ..., 290
    assert np.all(np.diff(view["t"]) > 0)
    assert view["y"][0] < 19.0 and view["y"][1] > 29.0  # auto range with a margin
    assert not view["t"].flags.writeable and not view["values"].flags.writeable


def test_scope_keeps_at_most_points_values_and_wraps_its_buffer(rt):
    build(rt, {"s": ("plot.scope", {"window_ms": 1e6, "points": 20})})
    rt.start(thread=False)
    for i in range(500):  # many times the buffer: it slides over and over
        rt.send("s", "in", np.array([i, -i], dtype=float))
        rt.advance(20)
    view = rt.graph.node("s").view()
    assert view["values"].shape == (20, 2)
    assert view["values"][:, 0].tolist() == list(range(480, 500))
    assert view["values"][:, 1].tolist() == [-v for v in range(480, 500)]
    assert view["t"].tolist() == [20.0 * i for i in range(480, 500)]


def test_scope_view_rebuilds_at_most_every_16_ms_and_catches_up(rt):
    build(rt, {"s": ("plot.scope", {})})
    rt.start(thread=False)
    node = rt.graph.node("s")
    for i in range(50):  # 50 values within 5 ms
        rt.send("s", "in", float(i))
        rt.advance(0.1)
    assert node.view()["version"] == 1  # the first at once, the rest wait
    rt.advance(20)
    view = node.view()
    assert view["version"] == 2 and len(view["t"]) == 50 and view["values"][-1, 0] == 49.0


def test_scope_starts_afresh_on_a_new_length_and_on_clear_and_has_a_fixed_range(rt):
    build(rt, {"s": ("plot.scope", {"range": "fixed", "ymin": -1.0, "ymax": 2.0})})
    rt.start(thread=False)
    node = rt.graph.node("s")
    rt.send("s", "in", np.array([1.0, 2.0]))
    rt.advance(20)
    rt.send("s", "in", 0.5)
    rt.advance(20)
    view = node.view()
    assert view["values"].tolist() == [[0.5]] and view["y"] == [-1.0, 2.0]
    rt.send("s", "clear", True)
    rt.advance(20)
    assert len(node.view()["t"]) == 0
    rt.send("s", "in", "text")
    assert "expects a number" in node.error


def test_scope_auto_range_ignores_values_that_are_not_numbers(rt):
    build(rt, {"s": ("plot.scope", {})})
    rt.start(thread=False)
    for v in (np.nan, 2.0, np.inf, 4.0):
        rt.send("s", "in", v)
        rt.advance(20)
    lo, hi = rt.graph.node("s").view()["y"]
    assert 1.0 < lo < 2.0 and 4.0 < hi < 5.0


def test_a_view_is_handed_over_whole_to_another_thread(rt):
    """The editor reads view() while the scheduler keeps replacing it: every dict it gets is
    complete and consistent (times and values of the same length)."""
    build(rt, {"s": ("plot.scope", {"points": 50})})
    rt.start(thread=False)
    node = rt.graph.node("s")
    bad, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            v = node.view()
            if len(v["t"]) != len(v["values"]) or v["kind"] != "scope":
                bad.append(v)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(2000):
            rt.send("s", "in", np.array([i, i + 1.0]))
            rt.advance(17)
    finally:
        stop.set()
        thread.join()
    assert not bad


# ---- plot.dataset: a classifier on 2 features --------------------------------------------------

def test_dataset_shows_examples_while_recording_and_then_the_decision_regions(rt):
    clf = learner_and_plots(rt, params={"algorithm": "knn", "k": 1, "folds": 0})
    ds = rt.graph.node("ds")
    X, y = regions()
    rt.send("l", "label", "a")
    rt.send("l", "record", True)
    for x in X[:10]:
        rt.send("l", "features", x)
        rt.advance(10)
    rt.advance(100)
    view = ds.view()  # while recording: the points so far, no shading yet
    assert view["source"] == "l" and view["task"] == "classify" and view["examples"] == 10
    assert view["grid"] is None and view["axes"] == ["feature 1", "feature 2"]
    assert np.allclose(view["points"], X[:10])
    rt.send("l", "record", False)
    teach(rt, "l", X[10:], y[10:])
    train(rt)
    view = ds.view()
    assert view["examples"] == 30 and view["trained"] == 30 and view["classes"] == ["a", "b", "c"]
    assert view["labels"] == y and view["color"].tolist() == [["a", "b", "c"].index(c) for c in y]
    assert view["take"].tolist() == [1] * 10 + [2] * 20 and view["index"].tolist() == list(range(30))
    assert view["grid"]["kind"] == "class" and view["grid"]["z"].shape == (48, 48)
    assert set(np.unique(view["grid"]["z"])) == {0, 1, 2}
    x0, x1, y0, y1 = view["bounds"]
    assert x0 < X[:, 0].min() and x1 > X[:, 0].max() and y0 < X[:, 1].min() and y1 > X[:, 1].max()
    assert clf.info()["examples"] == 30


def test_dataset_grid_classes_agree_with_the_learners_own_predictions(rt):
    learner_and_plots(rt, params={"algorithm": "svm", "folds": 0})
    X, y = regions(seed=3)
    teach(rt, "l", X, y)
    train(rt)
    view = rt.graph.node("ds").view()
    said = run_all(rt, "l", grid_points(view), ["label"])["label"]
    assert [view["classes"][i] for i in view["grid"]["z"].ravel()] == said


def test_dataset_live_point_and_its_refusal_of_another_length(rt):
    learner_and_plots(rt, params={"algorithm": "knn", "folds": 0})
    teach(rt, "l", *regions())
    ds = rt.graph.node("ds")
    rt.send("ds", "features", np.array([0.3, 0.7]))
    assert ds.view()["live"] == [0.3, 0.7]
    rt.send("ds", "features", np.array([0.3, 0.7, 1.0]))
    assert "got 3 features" in ds.error and ds.view()["live"] == [0.3, 0.7]


def test_the_grid_is_computed_in_slices_and_equals_one_computation(rt):
    """A model slow to evaluate over the grid does not hold the patch up: the shading is
    made a few rows per turn of the scheduler, and comes out the same."""
    learner_and_plots(rt, params={"algorithm": "knn", "k": 3, "folds": 0})
    rng = np.random.default_rng(5)
    X = rng.uniform(size=(1500, 2))
    teach(rt, "l", X, ["a" if x[0] + x[1] < 1 else "b" for x in X])
    rt.do(SetParam("ds", "grid", 64))
    rt.send("l", "train", True)
    wait_idle(rt, "l")  # the model runs, and its shading begins
    ds = rt.graph.node("ds")
    assert ds.view()["grid"] is None and ds._job is not None  # not all in one go
    rt.advance(10_000)
    view = ds.view()
    snap = ds._snap
    whole = snap.predict(ds._plane.lift(grid_points(view))).reshape(64, 64)
    assert np.array_equal(view["grid"]["z"], whole)


# ---- plot.dataset: PCA for more than 2 features ------------------------------------------------

@pytest.fixture
def iris_taught(rt):
    X, y = load_iris(return_X_y=True)
    names = ["setosa", "versicolor", "virginica"]
    learner_and_plots(rt, params={"algorithm": "knn", "k": 5}, plots=("plot.dataset", "plot.confusion"))
    teach(rt, "l", X, [names[i] for i in y])
    train(rt)
    return X, y


def test_pca_plane_for_four_features(rt, iris_taught):
    X, _ = iris_taught
    view = rt.graph.node("ds").view()
    assert view["axes"][0].startswith("PC1 (") and view["axes"][1].startswith("PC2 (")
    B = view["components"]
    assert B.shape == (2, 4) and np.allclose(B @ B.T, np.eye(2))
    # the points are the standardised examples on the first two principal axes
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    _, _, Vt = np.linalg.svd(Z, full_matrices=False)
    assert np.allclose(np.abs(B), np.abs(Vt[:2]))
    assert np.allclose(view["points"], Z @ B.T)
    assert view["feature_names"] == ["feature 1", "feature 2", "feature 3", "feature 4"]
    first = int(view["axes"][0].split("(")[1].rstrip("%)"))
    assert 70 <= first <= 75  # iris: the first component carries ~73% of the standardised variance


def test_pca_grid_agrees_with_the_learner_at_the_lifted_points(rt, iris_taught):
    ds = rt.graph.node("ds")
    view = ds.view()
    lifted = ds._plane.lift(grid_points(view))
    assert lifted.shape == (48 * 48, 4)
    said = run_all(rt, "l", lifted, ["label"])["label"]
    assert [view["classes"][i] for i in view["grid"]["z"].ravel()] == said
    # the live point lands where the plane puts it
    rt.send("ds", "features", lifted[100])
    assert np.allclose(ds.view()["live"], grid_points(view)[100])


def test_the_plane_is_the_same_for_the_same_examples(rt, iris_taught):
    X, y = iris_taught
    a = plot.Plane(X, [])
    b = plot.Plane(X.copy(), [])
    assert np.array_equal(a.basis, b.basis) and np.array_equal(a.project(X), b.project(X))
    assert np.array_equal(rt.graph.node("ds").view()["points"], a.project(X))


# ---- plot.confusion ---------------------------------------------------------------------------------

def test_confusion_is_scikit_learns_cross_val_predict_confusion(rt, iris_taught):
    X, y = iris_taught
    view = rt.graph.node("cm").view()
    assert view["classes"] == ["setosa", "versicolor", "virginica"] and view["folds"] == 5
    assert view["matrix"].sum() == 150 == view["examples"]
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    pred = cross_val_predict(make_pipeline(MinMaxScaler(), KNeighborsClassifier(5)), X, y, cv=folds)
    assert np.array_equal(view["matrix"], confusion_matrix(y, pred))
    assert view["accuracy"] == pytest.approx(np.trace(view["matrix"]) / 150)
    assert rt.graph.node("l").info()["score"] == {"folds": 5, "accuracy": view["accuracy"]}
    assert "accuracy" in rt.graph.node("cm").info()["text"]


def test_confusion_refuses_a_regressor_and_waits_for_training(rt):
    learner_and_plots(rt, "ml.regress", {"algorithm": "linear"}, plots=("plot.confusion",))
    rt.send("l", "target", np.array([1.0]))
    rt.send("l", "record", True)
    rt.send("l", "features", np.array([0.5]))
    rt.send("l", "record", False)
    assert "classifier" in rt.graph.node("cm").error
    rt.do(AddNode("ml.classify", {}, node_id="c2"))
    rt.do(AddNode("plot.confusion", {}, node_id="cm2"))
    rt.do(Connect("c2", "model", "cm2", "model"))  # a new link is answered at once
    assert rt.graph.node("cm2").view()["source"] == "c2" and rt.graph.node("cm2").view()["matrix"] is None


# ---- regressors and clusters -------------------------------------------------------------------

def test_regression_surface_is_the_first_output_of_the_model(rt):
    learner_and_plots(rt, "ml.regress", {"algorithm": "linear", "folds": 0})
    X = np.random.default_rng(1).uniform(size=(20, 2))
    Y = np.column_stack([X[:, 0] + 2 * X[:, 1], X[:, 0] - X[:, 1]])
    teach(rt, "l", X, list(Y), target_inlet="target")
    train(rt)
    view = rt.graph.node("ds").view()
    assert view["grid"]["kind"] == "value" and np.allclose(view["values"], Y[:, 0])
    P = grid_points(view)
    assert np.allclose(view["grid"]["z"].ravel(), P[:, 0] + 2 * P[:, 1])
    lo, hi = view["value_range"]
    assert lo <= min(Y[:, 0].min(), view["grid"]["range"][0]) and hi >= view["grid"]["range"][1]
    rt.do(SetParam("ds", "output", 2))
    rt.advance(1000)
    assert np.allclose(rt.graph.node("ds").view()["grid"]["z"].ravel(), P[:, 0] - P[:, 1])


def test_cluster_points_are_coloured_by_the_group_found(rt):
    learner_and_plots(rt, "ml.cluster", {"k": 3, "folds": 0})
    X, _ = regions()
    teach(rt, "l", X, [None] * len(X), target_inlet=None)
    train(rt)
    view = rt.graph.node("ds").view()
    groups = run_all(rt, "l", X, ["cluster"])["cluster"]
    assert view["color"].tolist() == [int(g) for g in groups] and view["classes"] == [0, 1, 2]
    assert view["grid"]["kind"] == "cluster"


# ---- clicking a point: show it, delete it, undo ----------------------------------------------

def test_deleting_a_clicked_example_is_undoable(rt):
    learner_and_plots(rt, params={"algorithm": "knn", "folds": 3})
    X, y = regions()
    teach(rt, "l", X, y)
    train(rt)
    ds, clf = rt.graph.node("ds"), rt.graph.node("l")
    before = [dict(ex) for ex in clf.state["examples"]]
    shown = ds.example(12)
    assert shown == {"index": 12, "take": 1, "time": before[12]["t"], "features": before[12]["x"], "label": "b"}
    rt.do(ds.delete_command(12))
    assert "score" not in clf.state["model"]  # it was the old examples' score
    wait_idle(rt, "l")  # refitted without it, and scored again, in the worker
    rt.advance(1000)
    assert len(clf.state["examples"]) == 29 and before[12] not in clf.state["examples"]
    assert clf.state["model"]["examples"] == 29 and clf.state["model"]["score"]["confusion"]
    view = ds.view()
    assert view["examples"] == 29 and view["trained"] == 29 and view["grid"] is not None
    assert run_all(rt, "l", [X[12]], ["label"])["label"] == ["b"]  # its neighbours still say b
    assert rt.undo()
    wait_idle(rt, "l")  # the score is derived: worked out again for the examples that are back
    rt.advance(1000)
    assert clf.state["examples"] == before and clf.state["model"]["examples"] == 30
    assert "score" in clf.state["model"] and ds.view()["examples"] == 30
    assert rt.redo()
    assert len(clf.state["examples"]) == 29


def test_a_stale_click_is_refused(rt):
    learner_and_plots(rt, params={"folds": 0})
    X, y = regions()
    teach(rt, "l", X, y)
    cmd = rt.graph.node("ds").delete_command(0)
    rt.send("l", "undo_take", True)  # the examples change under the click
    rt.advance(10)
    teach(rt, "l", X[5:], y[5:])
    with pytest.raises(EditError, match="changed"):
        rt.do(cmd)
    with pytest.raises(EditError, match="no example"):
        rt.do(DeleteExample("l", 99))
    assert len(rt.graph.node("l").state["examples"]) == 25


# ---- the model outlet -------------------------------------------------------------------------------

def test_snapshots_are_frozen_and_throttled_while_recording(rt):
    build(rt, {"l": ("ml.classify", {})})
    seen = tap(rt, "l", "model")
    rt.start(thread=False)
    rt.send("l", "label", "a")
    rt.send("l", "record", True)
    for i in range(100):  # one second of examples every 10 ms
        rt.send("l", "features", np.array([i, 0.0]))
        rt.advance(10)
    rt.send("l", "record", False)
    assert 9 <= len(seen) <= 12  # about one every 100 ms, and one when recording stops
    snap = seen[-1]
    assert isinstance(snap, LearnerSnapshot) and snap.n == 100 and snap.labels == ("a",) * 100
    assert snap.X[-1].tolist() == [99.0, 0.0] and snap.times[-1] == 990.0
    with pytest.raises(ValueError):
        snap.X[0, 0] = 1.0
    assert [s.version for s in seen] == sorted({s.version for s in seen})
    assert "100 examples" in repr(snap)


def test_a_learner_with_nothing_on_its_model_outlet_builds_no_snapshot(rt, monkeypatch):
    build(rt, {"l": ("ml.classify", {})})
    rt.start(thread=False)
    built = []
    node = rt.graph.node("l")
    monkeypatch.setattr(node, "snapshot", lambda: built.append(1))
    teach(rt, "l", *regions())
    rt.advance(1000)
    assert built == []


def test_plot_dataset_refuses_what_is_not_a_snapshot(rt):
    build(rt, {"ds": ("plot.dataset", {})})
    rt.send("ds", "model", 1.0)
    assert "learner's `model` outlet" in rt.graph.node("ds").error
    assert rt.graph.node("ds").info()["text"].startswith("link a learner")


def test_scope_names_its_lines(rt):
    build(rt, {"s": ("plot.scope", {"names": "x, y"})})
    rt.send("s", "in", np.array([0.1, 0.2]))
    rt.advance(50)
    assert rt.graph.node("s").view()["names"] == ["x", "y"]
