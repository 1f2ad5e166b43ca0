"""ml.cluster: finds groups in recorded examples by itself (k-means)."""
from __future__ import annotations

from nodegraph import Inlet, Outlet, Param, register

from .base import COMMON_PARAMS, CONTROL_INLETS, MODEL_OUTLET, STATUS_OUTLETS, Learner


@register("ml.cluster", category="learn")
class Cluster(Learner):
    """Finds k groups in your examples by itself (k-means), then tells which group each new input is in.

    Record examples (no labels needed: `record` on, move, `record` off), bang
    `train`, switch `run` on: each feature vector sends the number of its group
    (0 to k-1) out of `cluster` (with fewer than k different examples, each is
    its own group), and its squared distance to every group's
    centre out of `distances`. After training, a silhouette score (-1 to 1;
    higher means better separated groups) is shown. `undo_take` deletes the last
    recording, `clear` everything.
    """

    task = "cluster"
    inlets = (Inlet("features", "vector", help="a feature vector: recorded, or grouped while running"),
              *CONTROL_INLETS)
    outlets = (Outlet("cluster", "float", help="the group of each feature vector (0 to k-1), while running"),
               Outlet("distances", "vector", help="squared distance to each group's centre"),
               *STATUS_OUTLETS, MODEL_OUTLET)
    params = (Param("k", "int", 3, min=1, max=100, help="how many groups to find"),
              *COMMON_PARAMS)
    options_for = {"kmeans": ("k",)}

    def training_data(self, examples):
        # fewer examples than k is fine: each becomes its own group (fit says so)
        return self.training_features(examples), None, {}

    def run_one(self, x):
        index, d2 = self._predictor.one(x)
        self.emit("distances", d2)
        self.emit("cluster", float(index))

    def describe_score(self, score):
        return f"silhouette {score['silhouette']:.2f} (inertia {score['inertia']:.4g})"
