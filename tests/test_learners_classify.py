"""ml.classify through a patch, against scikit-learn's own estimators on its shipped datasets."""
import json
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from nodegraph import AddNode, Runtime, SetParam, SetState

from .conftest import tap
from .learners_util import run_all, teach, wait_idle


def reference(algorithm, params, n_features):
    """scikit-learn's estimator for the same params, written out independently of nodegraph."""
    p = dict(params)
    est = {
        "knn": lambda: KNeighborsClassifier(n_neighbors=p.get("k", 1)),
        "svm": lambda: SVC(kernel=p.get("kernel", "rbf"), C=1.0, degree=2, probability=True, random_state=0),
        "tree": lambda: DecisionTreeClassifier(random_state=0),
        "forest": lambda: RandomForestClassifier(n_estimators=p.get("trees", 100), random_state=0),
        "adaboost": lambda: AdaBoostClassifier(n_estimators=p.get("trees", 100), random_state=0),
        "naive_bayes": lambda: GaussianNB(),
        "logistic": lambda: LogisticRegression(C=1.0, max_iter=500),
        "mlp": lambda: MLPClassifier(hidden_layer_sizes=(n_features,), solver="lbfgs", max_iter=500, random_state=0),
    }[algorithm]()
    return make_pipeline(MinMaxScaler(), est)


def split(name):
    X, y = (load_iris if name == "iris" else load_digits)(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


CASES = [("iris", "knn", {"k": 1}), ("iris", "knn", {"k": 5}), ("iris", "svm", {"kernel": "linear"}),
         ("iris", "svm", {"kernel": "rbf"}), ("iris", "svm", {"kernel": "poly"}), ("iris", "tree", {}),
         ("iris", "forest", {"trees": 30}), ("iris", "adaboost", {"trees": 30}), ("iris", "naive_bayes", {}),
         ("iris", "logistic", {}), ("iris", "mlp", {}),
         ("digits", "knn", {"k": 1}), ("digits", "svm", {"kernel": "rbf"}), ("digits", "tree", {}),
         ("digits", "forest", {"trees": 30}), ("digits", "naive_bayes", {}), ("digits", "logistic", {}),
         ("digits", "mlp", {"hidden_units": 32})]


@pytest.mark.parametrize("dataset,algorithm,params", CASES, ids=[f"{d}-{a}-{p}" for d, a, p in CASES])
def test_predictions_through_a_patch_equal_scikit_learn(rt, dataset, algorithm, params):
    Xtr, Xte, ytr, yte = split(dataset)
    rt.do(AddNode("ml.classify", dict(params, algorithm=algorithm, folds=0, max_iter=500), node_id="clf"))
    teach(rt, "clf", Xtr, ytr.tolist())
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    got = run_all(rt, "clf", Xte, ["label", "probabilities"])

    ref_params = dict(params)
    if algorithm == "mlp":
        ref_params["hidden"] = params.get("hidden_units") or Xtr.shape[1]
    est = reference(algorithm, params, params.get("hidden_units") or Xtr.shape[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(Xtr, ytr)
    assert got["label"] == est.predict(Xte).tolist()
    np.testing.assert_allclose(np.array(got["probabilities"]), est.predict_proba(Xte), rtol=0, atol=1e-9)
    assert accuracy_score(yte, got["label"]) > 0.75  # and it learned something


def test_text_labels_class_order_and_number_outlet(rt):
    Xtr, Xte, ytr, yte = split("iris")
    names = np.array(["setosa", "versicolor", "virginica"])
    rt.do(AddNode("ml.classify", {"algorithm": "knn", "k": 3, "folds": 0}, node_id="clf"))
    teach(rt, "clf", Xtr, names[ytr].tolist())
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    got = run_all(rt, "clf", Xte, ["label", "number", "probabilities"])
    est = make_pipeline(MinMaxScaler(), KNeighborsClassifier(n_neighbors=3)).fit(Xtr, names[ytr])
    assert got["label"] == est.predict(Xte).tolist()
    info = rt.graph.node("clf").info()
    assert info["classes"] == ["setosa", "versicolor", "virginica"]
    assert info["counts"] == {n: int(np.sum(ytr == i)) for i, n in enumerate(names)}
    # text classes are numbered 1..N in class order, as Wekinator numbers its classes
    assert got["number"] == [float(info["classes"].index(label) + 1) for label in got["label"]]
    for label, proba in zip(got["label"], got["probabilities"]):
        assert proba[info["classes"].index(label)] == max(proba)


def test_number_labels_come_out_as_themselves(rt):
    rt.do(AddNode("ml.classify", {"folds": 0}, node_id="clf"))
    teach(rt, "clf", [[0.0], [1.0], [2.0]], [3, 7, 12])
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    got = run_all(rt, "clf", [[0.1], [1.1], [1.9]], ["label", "number"])
    assert got["label"] == [3, 7, 12] and got["number"] == [3.0, 7.0, 12.0]


def test_cross_validated_accuracy_is_scikit_learns(rt):
    X, y = load_iris(return_X_y=True)
    rt.do(AddNode("ml.classify", {"algorithm": "naive_bayes", "folds": 5, "seed": 3}, node_id="clf"))
    status = tap(rt, "clf", "status")
    teach(rt, "clf", X, y.tolist())
    rt.send("clf", "train", True)
    node = wait_idle(rt, "clf")
    expected = accuracy_score(y, cross_val_predict(make_pipeline(MinMaxScaler(), GaussianNB()), X, y,
                                                   cv=StratifiedKFold(5, shuffle=True, random_state=3)))
    assert node.info()["score"] == {"folds": 5, "accuracy": pytest.approx(expected)}
    assert f"{expected:.1%}" in status[-1]
    assert any("fold 3 of 5" in s for s in status)  # progress was reported on the way


def test_training_problems_are_status_messages_not_exceptions(rt):
    rt.do(AddNode("ml.classify", {}, node_id="clf"))
    node = rt.graph.node("clf")
    status = tap(rt, "clf", "status")
    rt.send("clf", "train", True)
    assert "no examples" in status[-1] and node.error is None
    teach(rt, "clf", [[0.0, 1.0], [0.5, 1.0]], ["a", "a"])
    trained = tap(rt, "clf", "trained")
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    # one class: a model that always answers it, a done-training, and words saying so
    assert any("only one class ('a'), so it is the answer to everything" in s for s in status), status
    assert status[-1] == "no score: with one class there is nothing to tell apart" and node.error is None
    assert len(trained) == 1
    assert run_all(rt, "clf", [[9.0, 9.0]], ["label", "probabilities"])["label"] == ["a"]
    rt.send("clf", "run", False)
    mixed = {"examples": [{"x": [0.0, 1.0], "y": "a", "t": 0, "take": 1},
                          {"x": [0.0, 1.0, 2.0], "y": "b", "t": 1, "take": 1}], "take": 1}
    rt.do(SetState("clf", mixed))
    rt.send("clf", "train", True)
    assert "different lengths (1 with 2 features, 1 with 3 features)" in status[-1]
    assert node.error is None and node._predictor is None


def test_feature_vector_of_another_length_is_refused_naming_both(rt):
    rt.do(AddNode("ml.classify", {}, node_id="clf"))
    node = rt.graph.node("clf")
    teach(rt, "clf", [[0.0, 1.0, 2.0]], ["a"])
    rt.send("clf", "features", np.zeros(5))
    assert node.error is not None and "got 5 features" in node.error and "have 3" in node.error
    rt.send("clf", "record", True)
    rt.send("clf", "features", np.zeros(2))
    assert len(node.state["examples"]) == 1  # not recorded
    rt.send("clf", "features", np.zeros(3))
    assert len(node.state["examples"]) == 2 and node.error is None


def test_recording_needs_a_label_and_finite_numbers(rt):
    rt.do(AddNode("ml.classify", {}, node_id="clf"))
    node = rt.graph.node("clf")
    rt.send("clf", "record", True)
    assert "no label yet" in node.error
    rt.send("clf", "label", "a")
    rt.send("clf", "record", True)
    rt.send("clf", "features", np.array([1.0, np.nan]))
    assert "not a number" in node.error and node.state["examples"] == []
    rt.send("clf", "features", np.array([-np.inf, 0.0]))
    assert "not a number" in node.error and node.state["examples"] == []
    rt.send("clf", "features", np.array([1e200, -1e200]))  # huge, but numbers: their squares are not
    assert node.error is None and len(node.state["examples"]) == 1


def test_examples_carry_time_and_take_and_undo_take_deletes_the_last(rt):
    rt.do(AddNode("ml.classify", {"folds": 0}, node_id="clf"))
    node = rt.graph.node("clf")
    teach(rt, "clf", [[0.0], [0.1]], ["a", "a"])
    rt.advance(250)
    teach(rt, "clf", [[1.0], [1.1], [1.2]], ["b", "b", "b"])
    ex = node.state["examples"]
    assert [e["take"] for e in ex] == [1, 1, 2, 2, 2]
    assert ex[0]["t"] == 0 and ex[2]["t"] == 250
    assert node.info()["counts"] == {"a": 2, "b": 3}
    rt.send("clf", "undo_take", True)
    assert [e["y"] for e in node.state["examples"]] == ["a", "a"]
    assert node.info()["counts"] == {"a": 2}
    rt.send("clf", "clear", True)
    assert node.state["examples"] == [] and node.info()["counts"] == {} and node._predictor is None


def test_the_old_model_keeps_running_until_the_new_one_is_ready(rt):
    rt.do(AddNode("ml.classify", {"algorithm": "knn", "folds": 0}, node_id="clf"))
    labels = tap(rt, "clf", "label")
    trained = tap(rt, "clf", "trained")
    teach(rt, "clf", [[0.0], [1.0]], ["low", "high"])
    rt.send("clf", "train", True)
    rt.send("clf", "run", True)
    wait_idle(rt, "clf")  # even a knn is fitted in the worker, off the real-time thread
    rt.send("clf", "features", np.array([0.9]))
    assert labels == ["high"] and len(trained) == 1
    teach(rt, "clf", [[0.8]], ["mid"])  # recording pauses running: nothing out
    assert labels == ["high"]
    rt.do(SetParam("clf", "algorithm", "forest"))
    rt.send("clf", "train", True)  # the forest trains in the worker process...
    rt.send("clf", "features", np.array([0.8]))
    assert labels[-1] == "high"  # ...while the old knn answers
    wait_idle(rt, "clf")
    assert len(trained) == 2
    rt.send("clf", "features", np.array([0.8]))
    assert labels[-1] == "mid"


def test_a_newer_training_overtakes_an_older_one(rt):
    X, y = load_iris(return_X_y=True)
    rt.do(AddNode("ml.classify", {"algorithm": "mlp", "folds": 0}, node_id="clf"))
    trained = tap(rt, "clf", "trained")
    teach(rt, "clf", X, y.tolist())
    rt.send("clf", "train", True)
    rt.do(SetParam("clf", "algorithm", "tree"))
    rt.send("clf", "train", True)
    node = wait_idle(rt, "clf")
    assert len(trained) == 1 and node.state["model"]["spec"]["algorithm"] == "tree"


@pytest.mark.parametrize("algorithm", ["knn", "svm", "forest", "adaboost", "mlp", "logistic"])
def test_save_load_gives_identical_predictions(rt, tmp_path, algorithm):
    Xtr, Xte, ytr, _ = split("iris")
    rt.do(AddNode("ml.classify", {"algorithm": algorithm, "trees": 20, "seed": 7}, node_id="clf"))
    teach(rt, "clf", Xtr, ytr.tolist())
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    before = run_all(rt, "clf", Xte, ["label", "probabilities"])
    path = rt.save(tmp_path / "p.json")
    saved = json.loads((tmp_path / "p.json").read_text())["nodes"]["clf"]["state"]
    assert set(saved) == {"examples", "take", "model"}  # examples and the recipe: no fitted model
    assert set(saved["model"]) <= {"examples", "spec", "score"}
    again = Runtime.open(path, clock=type(rt.scheduler.clock)())
    try:
        again.start(thread=False)
        wait_idle(again, "clf")
        after = run_all(again, "clf", Xte, ["label", "probabilities"])
        assert after["label"] == before["label"]
        assert np.array_equal(np.array(after["probabilities"]), np.array(before["probabilities"]))
        assert again.graph.node("clf").info()["score"] == rt.graph.node("clf").info()["score"]
    finally:
        again.close()


def test_settings_changed_after_training_do_not_change_the_reloaded_model(rt, tmp_path):
    Xtr, Xte, ytr, _ = split("iris")
    rt.do(AddNode("ml.classify", {"algorithm": "knn", "k": 1, "folds": 0}, node_id="clf"))
    teach(rt, "clf", Xtr, ytr.tolist())
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    before = run_all(rt, "clf", Xte, ["probabilities"])
    rt.do(SetParam("clf", "k", 9))  # not trained again: the running model is still k = 1
    teach(rt, "clf", Xte[:3], [0, 0, 0])  # examples recorded after training are not in the model
    again = Runtime.open(rt.save(tmp_path / "p.json"))
    try:
        wait_idle(again, "clf")
        after = run_all(again, "clf", Xte, ["probabilities"])
        assert np.array_equal(np.array(after["probabilities"]), np.array(before["probabilities"]))
        assert again.graph.node("clf").params["k"] == 9
    finally:
        again.close()


def test_text_classes_never_go_out_as_another_class_number(rt):
    """`number` for a name: numbered on after the largest number class, so 'a' beside
    classes 1 and 2 is 3, never 1 (Wekinator's clients read classes as numbers)."""
    rt.do(AddNode("ml.classify", {"folds": 0}, node_id="clf"))
    teach(rt, "clf", [[0.0], [1.0], [2.0], [3.0]], [1, 2, "a", "b"])
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    got = run_all(rt, "clf", [[0.0], [1.0], [2.0], [3.0]], ["label", "number"])
    assert got["label"] == [1, 2, "a", "b"] and got["number"] == [1.0, 2.0, 3.0, 4.0]
    rt.do(AddNode("ml.classify", {"folds": 0}, node_id="names"))
    teach(rt, "names", [[0.0], [1.0]], ["low", "high"])
    rt.send("names", "train", True)
    wait_idle(rt, "names")
    assert run_all(rt, "names", [[0.0], [1.0]], ["number"])["number"] == [2.0, 1.0]  # high, low: A to Z
