"""What a learner shows the plots: an immutable picture of its examples and running model.

A learner sends one out of its `model` outlet whenever its examples or its model
change, so a plot linked to it redraws from data that came along a visible link.
Nothing in it is ever changed after it is made (its arrays are read-only), so it
can be kept, compared and read from any thread.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def frozen(a, dtype=np.float64):
    """A read-only copy of `a`."""
    a = np.array(a, dtype=dtype)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class LearnerSnapshot:
    source: str  # the learner's node id (to address edits such as deleting an example)
    task: str  # "classify", "regress" or "cluster"
    version: int  # grows with every snapshot the learner sends
    epoch: int  # changes when the examples change other than by new ones added at the end
    X: np.ndarray  # (n, d) the examples' features
    takes: np.ndarray  # (n,) the recording each example came from
    times: np.ndarray  # (n,) logical ms at which each was recorded
    labels: tuple | None = None  # classify: the n class names
    targets: np.ndarray | None = None  # regress: (n, outputs) the taught values
    classes: tuple = ()  # classify: the running model's class order
    trained: int = 0  # examples the running model learned from (0: no model)
    model_version: int = 0  # changes exactly when a new model starts running
    scaling: str = "none"
    predictor: object = field(default=None, repr=False)  # predict.Predictor, or None
    score: dict | None = None  # the cross-validation score (plain values, no matrix)
    confusion: np.ndarray | None = None  # classify: (k, k) counts, rows true, columns predicted
    recording: bool = False
    limits: tuple | None = field(default=None, repr=False)  # regress: (low, high) its answers are kept in


    @property
    def n(self) -> int:
        return len(self.X)

    @property
    def dim(self) -> int:
        return self.X.shape[1] if self.X.ndim == 2 and len(self.X) else (self.predictor.n_features
                                                                           if self.predictor is not None else 0)

    def predict(self, X) -> np.ndarray:
        """The running model on a batch: class indices into `classes` (classify), cluster
        indices (cluster), or an (n, outputs) array of values (regress)."""
        if self.predictor is None:
            raise ValueError("no model is running")
        if self.limits is not None:
            return np.clip(self.predictor.batch(X), *self.limits)
        return self.predictor.batch(X)

    def __str__(self):
        """A readable line for the editor: "150 examples · 3 classes · knn"."""
        parts = [f"{self.n} example{'s' if self.n != 1 else ''}"]
        if self.task == "classify":
            classes = len(self.classes) or len(set(self.labels or ()))
            parts.append(f"{classes} class{'es' if classes != 1 else ''}")
        elif self.task == "regress" and self.targets is not None and self.targets.ndim == 2:
            parts.append(f"{self.targets.shape[1]} output{'s' if self.targets.shape[1] != 1 else ''}")
        if self.predictor is not None:
            algo = getattr(self.predictor, "model", {}).get("algorithm")
            parts.append(algo or "trained")
        else:
            parts.append("no model")
        return " · ".join(parts)

    def __repr__(self):
        model = f", model of {self.trained}" if self.predictor is not None else ""
        return f"<{self.task} '{self.source}': {self.n} examples{model}>"
