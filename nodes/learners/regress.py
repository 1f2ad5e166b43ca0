"""ml.regress: teach it a mapping from features to continuous values."""
from __future__ import annotations

import dataclasses

import numpy as np

from nodegraph import Inlet, NodeError, Outlet, Param, register
from nodegraph.errors import ParamError
from nodegraph.learn.fit import REGRESSORS

from nodegraph.learn.snapshot import frozen

from .base import COMMON_PARAMS, CONTROL_INLETS, MODEL_OUTLET, STATUS_OUTLETS, Learner, _number, folds_text
from .classify import KEEP_MODEL_INLETS, MLP_PARAMS
from .project import BUNDLE_OUTLET, PROJECT_INLETS, PROJECT_PARAMS, Project, check_project_param


# The network's recipe for a handful of taught examples (issue 11: the old defaults, 2 relu
# units and scikit-learn's tolerances, learned a constant from three taught sounds). With
# 8+ sigmoid units (Wekinator's shape), targets standardised, a tight tolerance and a light
# weight penalty, 2 to 5 examples come back within about 2 % of their range (47 small
# problems, 6 seeds) and points between them blend. Saved in the spec, so a patch trained
# before keeps refitting its old recipe.
MLP_RECIPE = {"min_units": 8, "tol": 1e-9, "alpha": 1e-5}
_DEFAULTS = {"activation": ("logistic", None),
             "max_iter": (2000, None),
             "hidden_units": (0, "mlp: units per hidden layer (0: as many as features, at least 8)")}
REGRESS_MLP_PARAMS = tuple(
    dataclasses.replace(p, default=_DEFAULTS[p.name][0], help=_DEFAULTS[p.name][1] or p.help)
    if p.name in _DEFAULTS else p for p in MLP_PARAMS)


@register("ml.regress", category="learn")
class Regress(Project, Learner):
    """Learns to turn features into smooth output values (Wekinator's continuous outputs).

    Teach: set the output values you want (a vector on `target`, e.g. from
    sliders through a pack), switch `record` on while you hold a pose or move,
    switch it off; repeat with other values; bang `train`. With `run` on, every
    feature vector sends the values the model makes of it out of `values`,
    in between the taught ones. One node gives as many outputs as the target
    vector has.

    `models`: one model per output (Wekinator's way; each output learns on its
    own) or one joint model for all. Algorithms: mlp (a neural network;
    Wekinator's default), linear, polynomial (of `degree`), knn (the mean of
    the k nearest examples). With its defaults the network gives back what it
    was taught from as few as two or three examples. A model may overshoot
    between or beyond its examples (a network more than the others): tick
    `limit` to keep each output between the lowest and highest value it was
    taught (as Wekinator's hard limits keep outputs in their range). After training, a
    cross-validated error (RMSE) and R² are shown: R² says how much better than
    guessing the average the model does on examples it has not seen (1 is
    perfect, 0 no better, below 0 worse: add examples or try another
    algorithm). `undo_take` deletes the last recording, `clear` everything. With
    `outputs` set (a Wekinator project's number of outputs), two more inlets
    appear: `delete_examples` deletes the examples but keeps the trained model
    running, and `cancel` stops a training (Wekinator's deleteAllExamples,
    cancelTrain), with inlets for Wekinator's per-output messages (switch an
    output's recording or running, choose its inputs, delete its examples, save
    or load its model): an output whose recording is off gets no value in the
    examples recorded meanwhile, and learns without them.
    """

    task = "regress"
    target = "target"
    inlets = (Inlet("features", "vector", help="a feature vector: recorded, or mapped while running"),
              Inlet("target", "vector", hot=False, help="the output values the next examples should give"),
              *CONTROL_INLETS)
    outlets = (Outlet("values", "vector", help="the output values for each feature vector, while running"),
               *STATUS_OUTLETS, MODEL_OUTLET)
    params = (Param("algorithm", "choice", "mlp", choices=REGRESSORS, help="how it learns"),
              Param("models", "choice", "per_output", choices=("per_output", "joint"),
                    help="one model per output value (Wekinator) or one for all"),
              Param("degree", "int", 2, min=1, max=6, help="polynomial: the highest power"),
              Param("k", "int", 1, min=1, max=100, help="knn: how many nearest examples are averaged"),
              Param("limit", "bool", False, help="keep each output between the lowest and highest value taught"),
              Param("outputs", "int", 0, min=0, max=10_000, shapes_ports=True,
                    help="how many output values, as in a Wekinator project: before any target arrives, examples "
                         "get zeros, and Wekinator's delete_examples and cancel inlets appear "
                         "(0: as many as the target has; a target is needed)"),
              *PROJECT_PARAMS, *REGRESS_MLP_PARAMS, *COMMON_PARAMS)
    options_for = {"mlp": ("hidden_layers", "hidden_units", "activation", "solver", "max_iter"),
                   "linear": (), "polynomial": ("degree",), "knn": ("k",)}

    def setup(self):
        self.reset_switches()
        if getattr(self, "_set_up", False):
            return  # a port-shaping param (outputs) changed: keep the examples, model and modes
        self._set_up = True
        super().setup()

    def n_outputs(self):
        return self.params.get("outputs") or 1

    def project(self):
        return bool(self.params.get("outputs"))

    def ports(self):
        # a Wekinator-style project (a set number of outputs) gets the controls its clients send
        inlets, outlets = super().ports()
        if not self.project():
            return inlets, outlets
        return inlets + KEEP_MODEL_INLETS + PROJECT_INLETS, outlets + (BUNDLE_OUTLET,)

    def check_param(self, name, value):
        value = super().check_param(name, value)
        check_project_param(name, value)
        return value

    def relevant_params(self):
        names = super().relevant_params()
        if not self.params["outputs"]:  # a Wekinator project's setting: on the box once set
            names = [n for n in names if n not in ("outputs", "record_outputs", "run_outputs", "inputs_for")
                     or (n != "outputs" and self.params[n] != "all")]
        return names

    def check_example(self, ex, where):
        super().check_example(ex, where)
        y = ex.get("y")
        missing_ok = self.project()  # an output whose recording was off has no value (null)
        if (not isinstance(y, list) or not y or not all(_number(v) or (missing_ok and v is None) for v in y)
                or all(v is None for v in y)):
            raise ParamError(f"{where}: 'y' must be a non-empty list of numbers (the target values)")

    def check_output_value(self, y, where):
        if not _number(y):
            raise ParamError(f"{where}: 'y' must be a number")

    def _record(self, x):
        if self.project() and not any(self._record_on):
            return  # every output's recording is off (disableModelRecording): nothing to keep
        super()._record(x)

    def make_target(self):
        target = self._target()
        return self.masked_target(target) if self.project() else target

    def _target(self):
        target = self.inputs["target"]
        n = self.params["outputs"]
        if n and target is None:
            return [0.0] * n  # Wekinator's outputs start at 0, and its examples record them
        if n and len(target) != n:
            raise NodeError(f"got a target of {len(target)} values, but this learner has {n} outputs "
                            f"(param 'outputs'): send {n} values; not recorded")
        if target is None or len(target) == 0:
            raise NodeError("no target yet: send the output values to the 'target' inlet before recording")
        if not np.isfinite(target).all():
            raise NodeError("the target contains a value that is not a number (nan or infinity)")
        examples = self.state["examples"]
        if examples and len(examples[-1]["y"]) != len(target):
            raise NodeError(f"got a target of {len(target)} values, but the examples have "
                            f"{len(examples[-1]['y'])}: clear to change the number of outputs")
        return target.tolist()

    def training_data(self, examples):
        lengths = {len(ex["y"]) for ex in examples}
        if len(lengths) > 1:
            return (f"the targets have different lengths ({', '.join(map(str, sorted(lengths)))} values); "
                    "clear and record again")
        X = self.training_features(examples)
        Y = np.array([[np.nan if v is None else v for v in ex["y"]] for ex in examples], dtype=np.float64)
        extra = {"n_outputs": Y.shape[1]}
        if np.isnan(Y).any():  # some outputs did not record some examples: each learns on its own
            extra["multi"] = [{} for _ in range(Y.shape[1])]
        return X, Y, extra

    def spec(self):
        spec = super().spec()
        if self.project():
            inputs = self.inputs_spec()
            if inputs is not None:
                spec["inputs_for"] = inputs
        spec["per_output"] = self.params["models"] == "per_output"
        if spec["algorithm"] == "mlp":
            spec["options"].update(MLP_RECIPE)
            spec["target_scaling"] = "standard"
        return spec

    def run_one(self, x):
        if not self.project():
            self.emit("values", self._limited(self._predictor.one(x)))
        else:
            self.emit("values", self.bundle_row(x))

    def param_changed(self, name, old):
        super().param_changed(name, old)
        if name == "limit":
            self._shown_predictor = None  # the plots' picture of the model changes: drawn again
            self._publish()

    def _limited(self, values):
        limits = self._predictor.limits
        if self.params["limit"] and limits is not None:
            # a copy (a knn's answer may be its own examples' row); half np.clip's cost on a few numbers
            return np.minimum(np.maximum(values, limits[0]), limits[1])
        return values

    def bundle_row(self, x):
        values = self._limited(self._predictor.one(x))
        if len(self._last) != len(values):
            self._last = np.zeros(len(values))
        # an output not running (or with no model yet) sends its last value, as Wekinator
        on = np.isfinite(values) & np.array(self._run_on[:len(values)])
        self._last[on] = values[on]
        return self._last.copy()

    def snapshot_extra(self, ys, score):
        limits = self._predictor.limits if self._predictor is not None and self.params["limit"] else None
        extra = {"limits": limits}
        if not ys or len({len(y) for y in ys}) > 1 or any(v is None for y in ys for v in y):
            return extra  # an output not recorded in some examples: no table of targets to draw
        return dict(extra, targets=frozen(ys).reshape(len(ys), -1))

    def describe_score(self, score):
        r2 = score.get("r2")
        error = f"cross-validated error (RMSE) {score['rmse']:.4g} ({folds_text(score)})"
        if r2 is None:
            return error
        if r2 < 0:
            # R² below 0: on examples it had not seen, the model did worse than always
            # answering the examples' average. Say it in words, and what to do.
            return (f"worse than guessing the average (R² {r2:.2f}): add examples or try another "
                    f"algorithm; {error}")
        return f"{error}; R² {r2:.2f} (how much better than guessing the average: 1 is perfect, 0 no better)"

    def info(self):
        info = super().info()
        ex = self.state["examples"]
        info["outputs"] = len(ex[-1]["y"]) if ex else None
        return info
