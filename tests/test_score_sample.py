"""The score after a train, on a big dataset: measured once, on a held-out part of at most
SCORE_LIMIT examples, by a model trained on all the rest (a 5-fold score of 30,000
examples took 20 s for kNN and 70 s for a forest); it keeps every class and says what
it was measured on. Up to SCORE_LIMIT examples, k folds as before."""
import numpy as np

from nodegraph.learn import fit as fitting
from nodegraph.learn import jobs
from nodes.learners.classify import Classify
from nodes.learners.regress import Regress


def test_a_big_dataset_is_scored_once_on_a_held_out_part_that_keeps_every_class(monkeypatch):
    sizes, fit = [], fitting.fit
    monkeypatch.setattr(fitting, "fit", lambda spec, X, y: (sizes.append(len(X)), fit(spec, X, y))[1])
    rng = np.random.default_rng(1)
    n = 6 * jobs.SCORE_LIMIT
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] > 0).astype(np.int64)
    X[:, 0] += np.where(y == 1, 3.0, -3.0)  # the classes far apart
    y[:3] = 2  # a class of three examples among 30,000
    spec = {"task": "classify", "algorithm": "knn", "k": 1, "scaling": "minmax", "n_classes": 3}
    test = jobs.held_out(spec, y, n, 5)
    assert abs(len(test) - jobs.SCORE_LIMIT) <= 3 and len(set(test)) == len(test)
    assert abs(np.mean(y[test] == 1) - np.mean(y == 1)) < 0.02, "classes in proportion"
    score = jobs.cross_validate(spec, X, y, 5)
    assert sizes == [n - score["held_out"]], "one model, trained on everything not held out"
    assert score["held_out"] == len(test) and score["of"] == n
    assert score["accuracy"] > 0.99  # the first feature tells them apart (the rare class aside)
    assert sum(map(sum, score["confusion"])) == len(test)
    text = Classify.describe_score(None, score)
    assert f"on {len(test):,} held-out of {n:,} examples" in text, text


def test_a_small_dataset_is_scored_by_folds_and_says_nothing_more():
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(300, 3))
    Y = X @ np.array([[1.0], [2.0], [-1.0]])
    spec = {"task": "regress", "algorithm": "linear", "scaling": "minmax"}
    score = jobs.cross_validate(spec, X, Y, 5)
    assert "held_out" not in score and score["folds"] == 5 and score["r2"] > 0.999
    assert "(5 folds)" in Regress.describe_score(None, score)


def test_the_held_out_score_agrees_with_the_k_fold_score():
    """What the bound costs in truth: on 20,000 examples the held-out score is within a
    few hundredths of the 5-fold one (a kNN, which needs its data most)."""
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(4 * jobs.SCORE_LIMIT, 3))
    Y = np.sin(3 * X[:, :1]) + 0.1 * rng.normal(size=(len(X), 1))
    spec = {"task": "regress", "algorithm": "knn", "k": 5, "scaling": "minmax", "seed": 0}
    once, every = jobs.cross_validate(spec, X, Y, 5), jobs.cross_validate_all(spec, X, Y, 5)
    assert once["held_out"] == len(X) // 5 and every["folds"] == 5  # a fifth, as a fold would be
    assert abs(once["r2"] - every["r2"]) < 0.02, (once, every)
