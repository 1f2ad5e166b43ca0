"""ml.classify: teach it classes by example, then it names what it sees."""
from __future__ import annotations

import numpy as np

from nodegraph import Inlet, NodeError, Outlet, Param, register
from nodegraph.errors import ParamError
from nodegraph.learn.fit import CLASSIFIERS
from nodegraph.learn.snapshot import frozen

from .base import COMMON_PARAMS, CONTROL_INLETS, MODEL_OUTLET, STATUS_OUTLETS, Learner, label_key, show

# What Wekinator's supervised learners can also be told (deleteAllExamples, cancelTrain)
KEEP_MODEL_INLETS = (
    Inlet("delete_examples", "bang", help="delete every example but keep the trained model running "
                                          "(Wekinator's deleteAllExamples)"),
    Inlet("cancel", "bang", help="stop the training in progress; the previous model keeps running"),
)

MLP_PARAMS = (
    Param("hidden_layers", "int", 1, min=1, max=5, help="mlp: number of hidden layers"),
    Param("hidden_units", "int", 0, min=0, max=1000,
          help="mlp: units per hidden layer (0: as many as features, as Wekinator)"),
    Param("activation", "choice", "relu", choices=("relu", "tanh", "logistic"), help="mlp: hidden unit shape"),
    Param("solver", "choice", "lbfgs", choices=("lbfgs", "adam"),
          help="mlp: lbfgs suits the small example sets of live teaching; adam large ones"),
    Param("max_iter", "int", 500, min=10, max=100_000, help="mlp, logistic: most training iterations"),
)


def class_numbers(classes):
    """The number sent for each class (classes in label_key order: numbers, then text): a
    number class is itself; text classes are numbered on from the largest number class
    (1, 2, ... when there is none), so a name never goes out as a real class's number."""
    top = max((c for c in classes if not isinstance(c, str)), default=0)
    start = max(top, 0)
    out, names = [], 0
    for c in classes:
        if isinstance(c, str):
            names += 1
            out.append(float(start + names))
        else:
            out.append(float(c))
    return np.array(out)


@register("ml.classify", category="learn")
class Classify(Learner):
    """Learns kinds of things from your examples, then names each new input (Wekinator's classifier).

    Teach: send a class name to `label` (text or a number), switch `record` on
    and move (each feature vector becomes an example of that class), switch it
    off; do the same for every other class; bang `train`. Then switch `run` on:
    every feature vector sends its class out of `label` (and as a number out of
    `number`: the label itself if it is a number; names are numbered after the
    largest number class, 1, 2, ... when there is none, so they never collide),
    with the probability of each class out of `probabilities` (in the class
    order shown on the node: numbers first, then names A to Z). A score no
    better than always answering the most common class is said in words.

    `undo_take` deletes the last recording, `clear` everything (examples and
    model). With `classes` set (a Wekinator project's classes 1..N), two more
    inlets appear: `delete_examples` deletes the examples but keeps the trained
    model running, and `cancel` stops a training, as Wekinator. Training runs in
    the background (the old model keeps running until the new one is ready);
    then a cross-validated accuracy is shown. Examples are saved with the patch.

    Algorithms: knn (k nearest examples vote; Wekinator's default with k = 1),
    svm (kernel linear, rbf or poly), tree, forest (random forest), adaboost,
    naive_bayes, logistic, mlp (a neural network).
    """

    task = "classify"
    target = "label"
    counts_labels = True
    inlets = (Inlet("features", "vector", help="a feature vector: recorded, or classified while running"),
              Inlet("label", "label", hot=False, help="the class the next examples belong to"),
              *CONTROL_INLETS)
    outlets = (Outlet("label", "label", help="the class of each feature vector, while running"),
               Outlet("number", "float", help="the class as a number (Wekinator sends these)"),
               Outlet("probabilities", "vector", help="how likely each class is, in class order"),
               *STATUS_OUTLETS, MODEL_OUTLET)
    params = (Param("algorithm", "choice", "knn", choices=CLASSIFIERS, help="how it learns"),
              Param("k", "int", 1, min=1, max=100, help="knn: how many nearest examples vote"),
              Param("kernel", "choice", "rbf", choices=("linear", "rbf", "poly"), help="svm: the kernel"),
              Param("C", "float", 1.0, min=1e-6, max=1e6, help="svm, logistic: how hard to fit (larger: tighter)"),
              Param("degree", "int", 2, min=1, max=10, help="svm with the poly kernel: its exponent"),
              Param("trees", "int", 100, min=1, max=1000, help="forest, adaboost: number of trees"),
              Param("depth", "int", 0, min=0, max=100, help="tree, forest: deepest split (0: no limit)"),
              Param("classes", "int", 0, min=0, max=10_000, shapes_ports=True,
                    help="how many classes, numbered 1 to this, as in a Wekinator project: other labels are "
                         "refused with a message, and Wekinator's delete_examples and cancel inlets appear "
                         "(0: any label, text or number)"),
              *MLP_PARAMS, *COMMON_PARAMS)
    options_for = {"knn": ("k",), "svm": ("kernel", "C", "degree"), "tree": ("depth",), "forest": ("trees", "depth"),
                   "adaboost": ("trees",), "naive_bayes": (), "logistic": ("C", "max_iter"),
                   "mlp": ("hidden_layers", "hidden_units", "activation", "solver", "max_iter")}

    def ports(self):
        # a Wekinator-style project (classes 1..N) gets the controls its clients send; other
        # classifiers keep the common, shorter box
        inlets, outlets = super().ports()
        return (inlets + KEEP_MODEL_INLETS if self.params.get("classes") else inlets), outlets

    def setup(self):
        if getattr(self, "_set_up", False):
            # setup runs again when a port-shaping param (classes) changes: the ports are
            # rebuilt, but the examples, the running model and the modes must stay
            return
        self._set_up = True
        self._classes = []
        self._numbers = np.zeros(0)
        super().setup()

    def relevant_params(self):
        names = super().relevant_params()
        if self.params["kernel"] != "poly":  # only the polynomial kernel has a degree
            names = [n for n in names if n != "degree"]
        if not self.params["classes"]:
            # a Wekinator project's setting: on the box only once set, so an ordinary
            # classifier's box stays as it was (the inspector lists it with the others)
            names = [n for n in names if n != "classes"]
        return names

    def check_example(self, ex, where):
        super().check_example(ex, where)
        y = ex.get("y")
        if isinstance(y, bool) or not isinstance(y, (str, int)):
            raise ParamError(f"{where}: 'y' must be a class name (text or a whole number)")

    def make_target(self):
        label = self.inputs["label"]
        if label is None:
            raise NodeError("no label yet: send a class name to the 'label' inlet before recording")
        n = self.params["classes"]
        if n and (isinstance(label, str) or not 1 <= label <= n):
            # Wekinator's classifier has classes 1..N: 0, N+1 or a name would be a class no
            # client expects; refused with a line, the examples recorded so far stay
            raise NodeError(f"class {show(label)} is not one of this classifier's classes, 1 to {n} "
                            f"(param 'classes'): not recorded")
        return label

    def training_data(self, examples):
        # one class is allowed: the model answers it to everything (fit says so), as Wekinator,
        # whose clients wait for done-training
        labels = sorted({ex["y"] for ex in examples}, key=label_key)
        index = {label: i for i, label in enumerate(labels)}
        X = self.training_features(examples)
        y = np.fromiter((index[ex["y"]] for ex in examples), dtype=np.int64, count=len(examples))
        return X, y, {"n_classes": len(labels), "classes": labels}

    def model_ready(self, predictor, spec):
        classes = spec["classes"]
        self._classes = classes
        self._numbers = class_numbers(classes)

    def run_one(self, x):
        index, proba = self._predictor.one(x)
        self.emit("probabilities", proba)
        self.emit("number", self._numbers[index].item())
        self.emit("label", self._classes[index])

    def snapshot_extra(self, ys, score):
        extra = {"labels": tuple(ys), "classes": tuple(self._classes)}
        if score and "confusion" in score and score.get("classes", self._classes) == self._classes:
            extra["confusion"] = frozen(score["confusion"], np.int64)
        return extra

    def describe_score(self, score):
        text = f"cross-validated accuracy {score['accuracy']:.1%} ({score['folds']} folds)"
        confusion = score.get("confusion")
        if confusion:
            # the baseline a person can picture: always answering the most common class
            rows = [sum(r) for r in confusion]
            guess = max(rows) / max(1, sum(rows))
            if len(rows) > 1 and score["accuracy"] <= guess:
                return (f"no better than always answering the most common class ({guess:.0%}): add "
                        f"examples or try another algorithm; {text}")
        return text

    def info(self):
        info = super().info()
        info["classes"] = list(self._classes)
        return info
