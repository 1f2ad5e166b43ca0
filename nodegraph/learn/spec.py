"""A saved model's spec is checked as the node's params are.

A learner refits its model on load from `state["model"]`: the number of examples
it learned from and the spec it was fitted with. Both come from the patch file,
so from a stranger: k = -3 would give negative probabilities, 1,000,000 trees
would keep a core busy for hours, and "examples": -5 would silently drop five
examples. Each option is checked by the param of the same name (its type and
range), so a spec can hold only what the node's own widgets could have set.
"""
from __future__ import annotations

from ..errors import ParamError

FIELD = "state 'model'"


# Settings a training records in its spec beside the node's params (nodegraph.learn.fit's
# small-data defaults), so a reload refits the same model; checked by range, as params are.
FIT_SETTINGS = {"alpha": (0.0, 1e3), "tol": (0.0, 1.0), "min_units": (1, 10_000), "max_iter": (1, 1_000_000)}


def check_model(node, model, n_examples: int):
    """Raise ParamError naming the field if `model` (from a learner's saved state) is not
    one this node could have trained on its `n_examples` examples."""
    if model is None:
        return
    if not isinstance(model, dict) or not isinstance(model.get("spec"), dict):
        raise ParamError(f"{FIELD} must be {{\"examples\": n, \"spec\": {{...}}}}")
    n = model.get("examples")
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= n_examples:
        raise ParamError(f"{FIELD} field 'examples' must be a whole number from 0 to {n_examples} "
                         f"(the examples saved), got {_show(n)}")
    spec = model["spec"]
    if spec.get("task") != node.task:
        raise ParamError(f"{FIELD} field 'spec.task' must be \"{node.task}\", got {_show(spec.get('task'))}")
    algo = spec.get("algorithm")
    if algo not in node.options_for or isinstance(algo, bool):
        raise ParamError(f"{FIELD} field 'spec.algorithm' must be one of {', '.join(node.options_for) or 'none'}; "
                         f"got {_show(algo)}")
    options = spec.get("options", {})
    if not isinstance(options, dict):
        raise ParamError(f"{FIELD} field 'spec.options' must be an object")
    allowed = node.options_for[algo]
    for name, value in options.items():
        if name in FIT_SETTINGS and name not in allowed:
            low, high = FIT_SETTINGS[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ParamError(f"{FIELD} field 'spec.options.{name}' must be a number from {low} to {high}, "
                                 f"got {_show(value)}")
            continue
        if name not in allowed:
            raise ParamError(f"{FIELD} field 'spec.options.{name}' is not an option of {algo} "
                             f"(its options: {', '.join(allowed) or 'none'})")
        _check(node, name, value, f"spec.options.{name}")
    for name in ("scaling", "seed"):
        if name in spec:
            _check(node, name, spec[name], f"spec.{name}")
    if not isinstance(spec.get("per_output", True), bool):
        raise ParamError(f"{FIELD} field 'spec.per_output' must be true or false")
    inputs_for = spec.get("inputs_for")
    if inputs_for is not None and not (
            isinstance(inputs_for, list) and 0 < len(inputs_for) <= 10_000
            and all(sel is None or (isinstance(sel, list) and sel and len(sel) <= 100_000 and all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 100_000 for i in sel))
                    for sel in inputs_for)):
        raise ParamError(f"{FIELD} field 'spec.inputs_for' must be a list with, for each output, null or "
                         "the input numbers (from 0) it learns from")


def _check(node, name, value, field):
    try:
        node.param_spec(name).check(value)
    except ParamError as e:
        raise ParamError(f"{FIELD} field '{field}' {e}") from None


def _show(v):
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."
