"""A linear neuron that learns one example at a time (the delta rule), for teaching."""
from __future__ import annotations

import numpy as np

from nodegraph import Inlet, Node, NodeError, Outlet, Param, register
from nodegraph.commands import SetState
from nodegraph.errors import ParamError


@register("ml.neuron", category="learn")
class Neuron(Node):
    """One linear neuron that learns while you watch: out = sum of features × weights.

    Each time features arrive together with a target (the true answer), it compares
    its guess with the target and nudges every weight towards what would have been
    right: weight += rate × error × feature (the delta rule). The error is what
    learning shrinks (the cost); the weights outlet shows them converge, step by
    step. Features that arrive without a new target are only predicted. `reset` starts
    again from the `initial` weights. Learning is playing: turn `learn` off to keep
    the weights in the patch (an undo step), so they are saved with it.
    """

    inlets = (Inlet("features", "vector", help="the inputs, e.g. portions of each dish"),
              Inlet("target", "float", help="the true answer for the next features (e.g. the bill); used once"),
              Inlet("reset", "bang", help="forget what it learned"))
    outlets = (Outlet("out", "float", help="its guess, before it learns from this example"),
               Outlet("error", "float", help="target minus guess"),
               Outlet("weights", "vector", help="the weights after this step"))
    params = (Param("rate", "float", 0.05, min=0.0, max=1.0, help="how big each nudge is (the learning rate)"),
              Param("initial", "float", 0.0, min=-1e6, max=1e6, help="every weight's starting value"),
              Param("learn", "bool", True, help="off: only predict"))

    def setup(self):
        self.state = {"weights": [], "steps": 0}
        self._target = None  # a target waits for the features it belongs to, and is used once

    def validate_state(self, state):
        state = super().validate_state(state)
        weights = state.get("weights", [])
        if not isinstance(weights, list) or not all(isinstance(w, (int, float)) and not isinstance(w, bool)
                                                    for w in weights):
            raise ParamError("state 'weights' must be a list of numbers")
        if not isinstance(state.get("steps", 0), int):
            raise ParamError("state 'steps' must be a whole number")
        return state

    def set_state(self, state):
        self.state = {"weights": [float(w) for w in state.get("weights", [])], "steps": state.get("steps", 0)}

    def process(self, fired):
        if "reset" in fired:
            self.setup()
            self.state_changed()
        if "target" in fired:
            self._target = self.inputs["target"]
        if "features" not in fired:
            return
        x = self.inputs["features"]
        w = np.asarray(self.state["weights"], dtype=np.float64)
        if w.size == 0:
            w = np.full(x.size, self.params["initial"])
        elif w.size != x.size:
            raise NodeError(f"expects {w.size} features (it has learned {w.size} weights), got {x.size}; "
                            f"reset it to learn a new size")
        guess = float(w @ x)
        self.emit("out", guess)
        target, self._target = self._target, None
        if target is not None and self.params["learn"]:
            error = target - guess
            w = w + self.params["rate"] * error * x
            if not np.all(np.isfinite(w)):
                raise NodeError("the weights grew without bound: lower the rate and reset")
            self.state = {"weights": w.tolist(), "steps": self.state["steps"] + 1}
            self.emit("error", error)
        self.emit("weights", w)

    def param_changed(self, name, old):
        # learning from a stream is playing; stopping it keeps what was learned: an edit of the
        # patch (an undo step), as normalize's freeze keeps its range
        if name == "learn" and not self.params["learn"] and self.state["weights"]:
            self.propose(SetState(self.id, dict(self.state), label="keep the learned weights"))

    def info(self):
        return {"weights": [round(v, 4) for v in self.state["weights"]], "steps": self.state["steps"]}



