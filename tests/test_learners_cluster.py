"""ml.cluster: k-means through a patch, against scikit-learn's KMeans."""
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris, make_blobs

from nodegraph import AddNode

from .conftest import tap
from .learners_util import run_all, teach, wait_idle


def test_clusters_equal_scikit_learns_kmeans(rt):
    X, _ = load_iris(return_X_y=True)
    rt.do(AddNode("ml.cluster", {"k": 3, "scaling": "none", "seed": 2}, node_id="km"))
    teach(rt, "km", X, [None] * len(X), target_inlet=None)
    rt.send("km", "train", True)
    node = wait_idle(rt, "km")
    got = run_all(rt, "km", X, ["cluster", "distances"])
    est = KMeans(n_clusters=3, n_init=10, random_state=2).fit(X)
    assert got["cluster"] == [float(c) for c in est.predict(X)]
    np.testing.assert_allclose(np.array(got["distances"]), est.transform(X) ** 2, rtol=1e-9, atol=1e-9)
    assert node.info()["score"]["silhouette"] > 0.5


def test_well_separated_blobs_are_found(rt):
    X, y = make_blobs(n_samples=90, centers=[[0, 0], [5, 5], [0, 5]], cluster_std=0.3, random_state=0)
    rt.do(AddNode("ml.cluster", {"k": 3}, node_id="km"))
    teach(rt, "km", X, [None] * len(X), target_inlet=None)
    rt.send("km", "train", True)
    wait_idle(rt, "km")
    got = np.array(run_all(rt, "km", X, ["cluster"])["cluster"])
    for blob in range(3):  # each blob lands in one cluster of its own
        assert len(set(got[y == blob])) == 1
    assert len(set(got)) == 3


def test_fewer_examples_than_groups_makes_each_its_own_group_and_says_so(rt):
    rt.do(AddNode("ml.cluster", {"k": 4}, node_id="km"))
    status = tap(rt, "km", "status")
    teach(rt, "km", [[0.0], [1.0], [1.0]], [None] * 3, target_inlet=None)
    rt.send("km", "train", True)
    wait_idle(rt, "km")
    assert any("2 different examples, so 2 groups (k is 4)" in s for s in status), status
    got = run_all(rt, "km", [[0.0], [1.0], [0.1]], ["cluster", "distances"])
    assert got["cluster"][0] != got["cluster"][1] and got["cluster"][2] == got["cluster"][0]
    assert len(got["distances"][0]) == 2
    assert rt.graph.node("km").error is None
