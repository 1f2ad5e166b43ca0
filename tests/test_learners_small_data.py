"""Defaults work on little data (issue 11): with two to five taught examples, every
learner's default gives back what it was taught, and ml.regress blends between them."""
import json
from pathlib import Path

import numpy as np
import pytest

from nodegraph import AddNode

from .conftest import tap
from .learners_util import run_all, teach, wait_idle
from .test_learners_gesture import perform

PATCHES = Path(__file__).resolve().parent.parent / "patches"


def synth_examples():
    doc = json.loads((PATCHES / "xy-to-synth.json").read_text())
    node = next(n for n in doc["nodes"].values() if n["type"] == "ml.regress")
    return node["state"]["examples"]


def train_default_regressor(rt, X, Y):
    rt.do(AddNode("ml.regress", {}, node_id="reg"))  # every param at its default
    teach(rt, "reg", X, [np.asarray(y, dtype=np.float64) for y in Y], target_inlet="target")
    rt.send("reg", "train", True)
    return wait_idle(rt, "reg")


def assert_gives_back(got, Y, spread):
    """Each taught output comes back at its example within 5 % of that output's spread."""
    err = np.abs(np.asarray(got) - np.asarray(Y)) / spread
    assert err.max() <= 0.05, f"worst error {err.max():.1%} of the range, at example {err.max(axis=1).argmax()}"


@pytest.mark.parametrize("takes", [(1, 2), (1, 2, 3), (1, 3, 5), (1, 2, 3, 4, 5)],
                         ids=["2 sounds", "3 sounds", "3 sounds apart", "5 sounds"])
def test_xy_to_synth_default_regressor_returns_its_taught_sounds(rt, takes):
    """The patch's own recordings (six pad positions around each sound), retrained with
    ml.regress's default params: each sound comes back where it was taught (the sliders
    run 0..1, so 5 % is 0.05), and the pad's middle between two sounds blends them."""
    examples = [ex for ex in synth_examples() if ex["take"] in takes]
    X = np.array([ex["x"] for ex in examples])
    Y = np.array([ex["y"] for ex in examples])
    train_default_regressor(rt, X, Y)
    got = run_all(rt, "reg", X, ["values"])["values"]
    assert_gives_back(got, Y, spread=1.0)
    # half-way between two neighbouring sounds (no other sound nearer): every value between
    # theirs, and not stuck at either end
    pair = (1, 5) if 5 in takes else takes[:2]
    a, b = (Y[[ex["take"] for ex in examples].index(t)] for t in pair)
    ca, cb = (X[[ex["take"] == t for ex in examples]].mean(axis=0) for t in pair)
    mid = run_all(rt, "reg", [(ca + cb) / 2], ["values"])["values"][0]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    assert np.all(mid >= lo - 0.05) and np.all(mid <= hi + 0.05), (mid, a, b)
    moving = np.abs(a - b) > 0.2
    assert np.all(np.abs(mid - a)[moving] > 0.1 * np.abs(a - b)[moving]), (mid, a, b)
    assert np.all(np.abs(mid - b)[moving] > 0.1 * np.abs(a - b)[moving]), (mid, a, b)


def well_apart(rng, n, d):
    """n points in [0, 1]^d, no two closer than 0.3 (distinct poses a person would teach)."""
    while True:
        X = rng.uniform(0, 1, size=(n, d))
        gaps = np.linalg.norm(X[:, None] - X[None], axis=2) + np.eye(n)
        if gaps.min() > 0.3:
            return X


@pytest.mark.parametrize("n", [2, 3, 5])
@pytest.mark.parametrize("scale", [1.0, 127.0], ids=["0..1", "midi"])
def test_default_regressor_gives_back_few_examples_and_blends(rt, n, scale):
    rng = np.random.default_rng(n)
    X = well_apart(rng, n, 2)
    Y = rng.uniform(0, scale, size=(n, 3))
    train_default_regressor(rt, X, Y)
    got = run_all(rt, "reg", X, ["values"])["values"]
    spread = np.ptp(Y, axis=0)
    assert_gives_back(got, Y, spread)
    mid = run_all(rt, "reg", [(X[0] + X[1]) / 2], ["values"])["values"][0]
    # within what was taught (a network may overshoot a little where other examples pull)
    lo, hi = Y.min(axis=0), Y.max(axis=0)
    assert np.all(mid >= lo - 0.1 * spread) and np.all(mid <= hi + 0.1 * spread)
    # a blend, not a copy of either end
    assert not np.allclose(mid, Y[0], atol=0.05 * spread.max()) and not np.allclose(mid, Y[1], atol=0.05 * spread.max())


@pytest.mark.parametrize("n", [2, 3, 5])
def test_default_classifier_names_each_taught_example(rt, n):
    rng = np.random.default_rng(n)
    X = well_apart(rng, n, 3)
    labels = ["low", 2, "high", 7, "mid"][:n]  # names and numbers together
    rt.do(AddNode("ml.classify", {}, node_id="clf"))
    teach(rt, "clf", X, labels)
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    assert run_all(rt, "clf", X, ["label"])["label"] == labels


@pytest.mark.parametrize("n", [2, 3, 5])
def test_default_clusterer_keeps_taught_examples_apart(rt, n):
    rng = np.random.default_rng(n)
    X = well_apart(rng, n, 2)
    rt.do(AddNode("ml.cluster", {}, node_id="km"))
    status = tap(rt, "km", "status")
    teach(rt, "km", X, [None] * n, target_inlet=None)
    rt.send("km", "train", True)
    node = wait_idle(rt, "km")
    assert node.error is None and node._predictor is not None, status
    got = run_all(rt, "km", X, ["cluster"])["cluster"]
    k = node.params["k"]
    # each example its own group while there are no more than k; beyond, all k groups are used
    assert len(set(got)) == min(n, k)
    again = run_all(rt, "km", X + 0.01, ["cluster"])["cluster"]
    assert again == got  # near a taught example: its group


@pytest.mark.parametrize("n", [2, 3, 5])
def test_default_gesture_learner_names_each_taught_gesture(rt, n):
    names = ["circle", "swipe", "zigzag", "drop", "vee"][:n]
    rng = np.random.default_rng(n)
    rt.do(AddNode("ml.gesture", {}, node_id="g"))
    for i, name in enumerate(names):
        rt.send("g", "label", i + 1)
        rt.send("g", "record", True)
        for f in perform(name, rng, noise=0.0):
            rt.send("g", "features", f)
        rt.send("g", "record", False)
    labels = tap(rt, "g", "label")
    rt.send("g", "run", True)
    for i, name in enumerate(names):
        rt.send("g", "run", True)  # a fresh start for each performance
        seen = len(labels)
        for f in perform(name, np.random.default_rng(100 + i), noise=0.0):
            rt.send("g", "features", f)
        assert labels[seen:] and labels[-1] == i + 1, (name, labels[seen:])


def test_a_poor_fit_says_so_in_words_and_r2_is_explained(rt):
    rng = np.random.default_rng(3)
    rt.do(AddNode("ml.regress", {"algorithm": "linear"}, node_id="reg"))
    status = tap(rt, "reg", "status")
    X = rng.uniform(size=(20, 2))
    teach(rt, "reg", X, list(rng.uniform(size=(20, 1))), target_inlet="target")  # no relation to learn
    rt.send("reg", "train", True)
    node = wait_idle(rt, "reg")
    assert node.info()["score"]["r2"] < 0
    words = "worse than guessing the average (R² "
    assert words in status[-1] and "add examples or try another algorithm" in status[-1]
    assert words in node.info()["text"]
    # a good fit: R² with what it means
    rt.do(AddNode("ml.regress", {"algorithm": "linear"}, node_id="good"))
    teach(rt, "good", X, list(X @ [1.0, 2.0] + 0.5), target_inlet="target")
    rt.send("good", "train", True)
    text = wait_idle(rt, "good").info()["text"]
    assert "R² 1.00 (how much better than guessing the average: 1 is perfect, 0 no better)" in text


def test_r2_ignores_an_output_taught_one_value_everywhere():
    from nodegraph.learn.jobs import cross_validate
    X = np.repeat([[0.1, 0.1], [0.9, 0.9]], 6, axis=0) + np.random.default_rng(0).normal(0, 0.01, (12, 2))
    Y = np.column_stack([np.repeat([0.0, 1.0], 6), np.full(12, 0.05)])  # a slider left alone
    score = cross_validate({"task": "regress", "algorithm": "linear", "scaling": "minmax"}, X, Y, 3)
    assert 0.9 < score["r2"] <= 1.0


def test_a_network_trained_before_the_new_recipe_refits_as_it_was():
    """Saved specs without the recipe (min_units, tol, alpha, target_scaling) keep
    scikit-learn's old defaults, so an old patch answers after loading as it did."""
    from sklearn.neural_network import MLPRegressor

    from nodegraph.learn import fit, predict
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    y = np.array([0.2, 0.9, 0.5])
    old = {"task": "regress", "algorithm": "mlp", "scaling": "none", "seed": 0,
           "options": {"activation": "relu", "hidden_units": 0, "max_iter": 500, "solver": "lbfgs"}}
    model, _ = fit.fit(old, X, y)
    assert "target" not in model and model["coefs"][0]["w"].shape == (2, 2)
    ref = MLPRegressor(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=500, random_state=0).fit(X, y)
    np.testing.assert_allclose(predict.make(model).many(X)[:, 0], ref.predict(X), rtol=1e-12)


def test_a_classifier_no_better_than_the_commonest_class_says_so(rt):
    rng = np.random.default_rng(4)
    rt.do(AddNode("ml.classify", {}, node_id="clf"))
    status = tap(rt, "clf", "status")
    X = rng.uniform(size=(40, 2))
    labels = list(rng.choice(["a", "b"], size=40, p=[0.75, 0.25]))  # unrelated to X
    teach(rt, "clf", X, labels)
    rt.send("clf", "train", True)
    node = wait_idle(rt, "clf")
    assert node.info()["score"]["accuracy"] <= max(labels.count("a"), labels.count("b")) / 40
    assert "no better than always answering the most common class" in status[-1]


def test_setting_a_wekinator_project_size_keeps_what_was_taught(rt):
    """`classes` / `outputs` add Wekinator's delete_examples and cancel inlets: changing
    them rebuilds the ports, never the examples or the running model."""
    from nodegraph import SetParam
    rt.do(AddNode("ml.classify", {"folds": 0}, node_id="clf"))
    node = rt.graph.node("clf")
    assert "delete_examples" not in node.inlet_map  # an ordinary classifier keeps its short box
    teach(rt, "clf", [[0.0], [1.0]], [1, 2])
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    rt.do(SetParam("clf", "classes", 2))
    assert {"delete_examples", "cancel"} <= set(node.inlet_map)
    assert len(node.state["examples"]) == 2
    assert run_all(rt, "clf", [[0.0], [1.0]], ["label"])["label"] == [1, 2]
    rt.do(AddNode("ml.regress", {"algorithm": "linear", "folds": 0, "outputs": 2}, node_id="reg"))
    assert "delete_examples" in rt.graph.node("reg").inlet_map
