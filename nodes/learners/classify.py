"""ml.classify: teach it classes by example, then it names what it sees."""
from __future__ import annotations

from operator import itemgetter

import numpy as np

from nodegraph import Inlet, NodeError, Outlet, Param, register
from nodegraph.errors import ParamError
from nodegraph.learn.fit import CLASSIFIERS
from nodegraph.learn.snapshot import frozen

from .base import COMMON_PARAMS, CONTROL_INLETS, MODEL_OUTLET, STATUS_OUTLETS, Learner, folds_text, label_key, show
from .project import BUNDLE_OUTLET, PROJECT_INLETS, PROJECT_PARAMS, Project, check_project_param

_LABEL = itemgetter("y")  # an example's label

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


MULTI_LABEL = Inlet("label", "any", hot=False, help="one class per output (a list), for the next examples")
MULTI_OUTLETS = (Outlet("numbers", "vector", help="each output's class as a number, while running"),
                 Outlet("probabilities", "any", help="for each output: [output number, then how likely each "
                                                     "class is, in class order]"))


def _to_class(v):
    """A class from a list of classes: a name, or a whole number (2.0 is 2)."""
    if isinstance(v, (str, int)) and not isinstance(v, bool):
        return v
    if isinstance(v, (float, np.number)) and not isinstance(v, (bool, np.bool_)) and float(v).is_integer():
        return int(v)
    raise NodeError(f"a class must be a name or a whole number, got {v!r}: not recorded")


@register("ml.classify", category="learn")
class Classify(Project, Learner):
    """Learns kinds of things from your examples, then names each new input (Wekinator's classifier).

    Teach: send a class name to `label` (text or a number), switch `record` on
    and move (each feature vector becomes an example of that class), switch it
    off; do the same for every other class; bang `train`. Then switch `run` on:
    every feature vector sends its class out of `label` (and as a number out of
    `number`: the label itself if it is a number; names are numbered after the
    largest number class, 1, 2, ... when there is none, so they never collide),
    with the probability of each class out of `probabilities` (in the class
    order shown on the node: numbers first, then names A to Z; with `classes`
    set, one for each class 1 to N, as Wekinator sends them). A score no
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

    `outputs` above 1 makes it a classifier of many outputs (Wekinator's
    project of N classifiers): `label` then takes one class per output, each
    output learns its own model, and `numbers` sends one class per output.
    With `classes` set, inlets for Wekinator's per-output messages appear
    (switch an output's recording or running, choose its inputs, delete its
    examples, save or load its model), and for a bundle of inputs in a file
    and for starting a new project.
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
              Param("send_probabilities", "bool", False,
                    help="with `classes` set: send each class's probability out of `probabilities` (Wekinator's "
                         "'send probabilities' box; without `classes` they are always sent)"),
              Param("outputs", "int", 1, min=1, max=1000, shapes_ports=True,
                    help="how many outputs, each with its own model (a Wekinator project's classifiers): "
                         "the label is then a list of one class per output"),
              *PROJECT_PARAMS, *MLP_PARAMS, *COMMON_PARAMS)
    options_for = {"knn": ("k",), "svm": ("kernel", "C", "degree"), "tree": ("depth",), "forest": ("trees", "depth"),
                   "adaboost": ("trees",), "naive_bayes": (), "logistic": ("C", "max_iter"),
                   "mlp": ("hidden_layers", "hidden_units", "activation", "solver", "max_iter")}

    @property
    def counts_labels(self):
        return self.params.get("outputs", 1) == 1  # many outputs: counted per output, in info()

    def n_outputs(self):
        return self.params.get("outputs", 1)

    def project(self):
        return bool(self.params.get("classes"))

    def ports(self):
        # a Wekinator-style project (classes 1..N) gets the controls its clients send; other
        # classifiers keep the common, shorter box
        inlets, outlets = super().ports()
        if self.n_outputs() > 1:
            inlets = tuple(MULTI_LABEL if i.name == "label" else i for i in inlets)
            outlets = MULTI_OUTLETS + tuple(o for o in outlets if o.name not in ("label", "number", "probabilities"))
        if not self.project():
            return inlets, outlets
        return inlets + KEEP_MODEL_INLETS + PROJECT_INLETS, outlets + (BUNDLE_OUTLET,)

    def setup(self):
        self.reset_switches()
        if getattr(self, "_set_up", False):
            # setup runs again when a port-shaping param (classes) changes: the ports are
            # rebuilt, but the examples, the running model and the modes must stay
            return
        self._set_up = True
        self._classes = []
        self._numbers = np.zeros(0)
        self._place = None
        super().setup()

    def check_param(self, name, value):
        value = super().check_param(name, value)
        check_project_param(name, value)
        if name == "outputs" and value != self.params.get("outputs", value) and getattr(self, "state", {}).get("examples"):
            raise ParamError(f"the examples have {self.params['outputs']} output(s) each: clear them before "
                             "changing the number of outputs")
        return value

    def relevant_params(self):
        names = super().relevant_params()
        if self.params["kernel"] != "poly":  # only the polynomial kernel has a degree
            names = [n for n in names if n != "degree"]
        if not self.params["classes"]:
            # a Wekinator project's settings: on the box only once set, so an ordinary
            # classifier's box stays as it was (the inspector lists it with the others)
            names = [n for n in names if n not in ("classes", "send_probabilities")]
        if self.n_outputs() == 1:
            names = [n for n in names if n != "outputs" and (n not in ("record_outputs", "run_outputs", "inputs_for")
                                                             or self.params[n] != "all")]
        return names

    def check_example(self, ex, where):
        super().check_example(ex, where)
        y = ex.get("y")
        n = self.n_outputs()
        if n > 1:
            if not isinstance(y, list) or len(y) != n or all(v is None for v in y):
                raise ParamError(f"{where}: 'y' must be a list of {n} classes (null for an output not recorded)")
            for v in y:
                if v is not None:
                    self.check_output_value(v, where)
        else:
            self.check_output_value(y, where)

    def pack_target(self, values):
        return values if self.n_outputs() > 1 else values[0]

    def check_output_value(self, y, where):
        if isinstance(y, bool) or not isinstance(y, (str, int)):
            raise ParamError(f"{where}: 'y' must be a class name (text or a whole number)")

    def _record(self, x):
        if not any(self._record_on):
            return  # every output's recording is off (disableModelRecording): nothing to keep
        super()._record(x)

    def make_target(self):
        if self.n_outputs() > 1:
            return self._multi_target()
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

    def _multi_target(self):
        label, n = self.inputs["label"], self.n_outputs()
        if label is None:
            raise NodeError(f"no classes yet: send {n} classes (one per output) to the 'label' inlet before recording")
        values = label.tolist() if isinstance(label, np.ndarray) else list(label) if isinstance(label, (list, tuple)) else [label]
        if len(values) != n:
            raise NodeError(f"got {len(values)} classes, but this classifier has {n} outputs (param 'outputs'): "
                            f"send {n}; not recorded")
        values = [_to_class(v) for v in values]
        top = self.params["classes"]
        for j, v in enumerate(values):
            if top and (isinstance(v, str) or not 1 <= v <= top):
                raise NodeError(f"class {show(v)} of output {j + 1} is not one of this classifier's classes, "
                                f"1 to {top} (param 'classes'): not recorded")
        return self.masked_target(values)

    def training_data(self, examples):
        if self.n_outputs() > 1:
            return self._multi_training_data(examples)
        # one class is allowed: the model answers it to everything (fit says so), as Wekinator,
        # whose clients wait for done-training
        ys = list(map(_LABEL, examples))  # at C speed: this runs on the scheduler's thread
        labels = sorted(set(ys), key=label_key)
        index = {label: i for i, label in enumerate(labels)}
        X = self.training_features(examples)
        y = np.fromiter(map(index.__getitem__, ys), dtype=np.int64, count=len(ys))
        return X, y, {"n_classes": len(labels), "classes": labels}

    def _multi_training_data(self, examples):
        n = self.n_outputs()
        per = [sorted({ex["y"][j] for ex in examples if ex["y"][j] is not None}, key=label_key) for j in range(n)]
        index = [{c: i for i, c in enumerate(classes)} for classes in per]
        y = np.full((len(examples), n), -1, dtype=np.int64)
        for r, ex in enumerate(examples):
            for j, v in enumerate(ex["y"]):
                if v is not None:
                    y[r, j] = index[j][v]
        return self.training_features(examples), y, {"multi": [{"n_classes": len(c), "classes": c} for c in per]}

    def spec(self):
        spec = super().spec()
        inputs = self.inputs_spec()
        if inputs is not None:
            spec["inputs_for"] = inputs
        return spec

    def model_ready(self, predictor, spec):
        if "multi" in spec:
            self._classes = [out["classes"] for out in spec["multi"]]
            self._numbers = [class_numbers(c) for c in self._classes]
            self._place = [self._places(c) for c in self._classes]
            return
        classes = spec["classes"]
        self._classes = classes
        self._numbers = class_numbers(classes)
        self._place = self._places(classes)

    def _places(self, classes):
        """Where each class's probability goes in a distribution over 1..`classes` (None: as it is)."""
        top = self.params["classes"]
        if not top:
            return None
        where = np.array([c - 1 if isinstance(c, int) and 1 <= c <= top else -1 for c in classes], dtype=np.int64)
        return where >= 0, where[where >= 0], top

    def _distribution(self, places, proba):
        if places is None:
            return proba
        keep, where, top = places
        full = np.zeros(top)
        full[where] = proba[keep]
        return full

    def _probabilities_wanted(self):
        # a Wekinator project sends them only when asked; each costs a message per output and input
        return not self.project() or self.params["send_probabilities"]

    def _compute_multi(self, x):
        """Each running output's class into self._last; [(output, probabilities)] of those."""
        indices, probas = self._predictor.one(x)
        sent = []
        for j, i in enumerate(indices):
            if i >= 0 and self._run_on[j]:
                self._last[j] = self._numbers[j][i]
                sent.append((j, probas[j]))
        return sent

    def bundle_row(self, x):
        if self.n_outputs() > 1:
            self._compute_multi(x)
        elif self._run_on[0]:
            self._last[0] = self._numbers[self._predictor.one(x)[0]]
        return self._last.copy()

    def run_one(self, x):
        if self.n_outputs() > 1:
            sent = self._compute_multi(x)
            if self._probabilities_wanted():
                for j, proba in sent:
                    self.emit("probabilities", [j + 1, *self._distribution(self._place[j], proba).tolist()])
            self.emit("numbers", self._last.copy())  # an output not running sends its last value
            return
        if not self._run_on[0]:
            self.emit("number", float(self._last[0]))  # an output not running sends its last value
            return
        index, proba = self._predictor.one(x)
        self._last[0] = self._numbers[index]
        if self._probabilities_wanted():
            self.emit("probabilities", self._distribution(self._place, proba))
        self.emit("number", self._numbers[index].item())
        self.emit("label", self._classes[index])

    def snapshot_extra(self, ys, score):
        if self.n_outputs() > 1:
            return {}
        extra = {"labels": tuple(ys), "classes": tuple(self._classes)}
        if score and "confusion" in score and score.get("classes", self._classes) == self._classes:
            extra["confusion"] = frozen(score["confusion"], np.int64)
        return extra

    def describe_score(self, score):
        text = f"cross-validated accuracy {score['accuracy']:.1%} ({folds_text(score)})"
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
        if self.n_outputs() > 1:
            counts = [{} for _ in range(self.n_outputs())]
            for ex in list(self.state["examples"]):
                for j, v in enumerate(ex["y"]):
                    if v is not None:
                        counts[j][str(v)] = counts[j].get(str(v), 0) + 1
            info["counts"] = counts
            # one short line on the node (its text keeps 5 lines); the inspector lists the classes
            info["text"] += "\nexamples per output: " + " · ".join(str(sum(per.values())) for per in counts)
            info["show"] = ("text", "progress")
        return info
