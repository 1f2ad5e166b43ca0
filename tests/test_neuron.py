"""ml.neuron and the cafeteria patch: the delta rule finds the true prices."""
from pathlib import Path

import numpy as np
import pytest

from nodegraph import BANG, Runtime, SetParam
from nodegraph.clock import ManualClock

from .conftest import build, tap

PATCH = Path(__file__).parent.parent / "patches" / "cafeteria.json"


def test_one_step_follows_the_delta_rule(rt):
    build(rt, {"n": ("ml.neuron", {"rate": 0.1, "initial": 1.0})})
    out, err, weights = tap(rt, "n", "out"), tap(rt, "n", "error"), tap(rt, "n", "weights")
    rt.send("n", "target", 10.0)
    rt.send("n", "features", np.array([1.0, 2.0]))
    assert out == [3.0] and err == [7.0]
    assert weights[-1].tolist() == pytest.approx([1.0 + 0.1 * 7 * 1, 1.0 + 0.1 * 7 * 2])
    rt.send("n", "features", np.array([1.0, 2.0]))  # no fresh target: predict only
    assert err == [7.0] and out[-1] == pytest.approx(1.7 + 2 * 2.4)


def test_wrong_length_is_refused_naming_both_and_reset_starts_again(rt):
    build(rt, {"n": ("ml.neuron", {})})
    rt.send("n", "target", 1.0)
    rt.send("n", "features", np.array([1.0, 2.0, 3.0]))
    rt.send("n", "features", np.array([1.0, 2.0]))
    assert "expects 3 features" in rt.graph.node("n").error and "got 2" in rt.graph.node("n").error
    rt.send("n", "reset", BANG)
    rt.send("n", "features", np.array([1.0, 2.0]))
    assert rt.graph.node("n").error is None


def test_cafeteria_weights_converge_on_the_true_prices_and_survive_a_reload(tmp_path):
    rt = Runtime.open(PATCH, clock=ManualClock())
    errors = tap(rt, "neuron", "error")
    rt.start(thread=False)
    rt.advance(200 * 300)  # 300 meals
    weights = rt.graph.node("neuron").state["weights"]
    assert weights == pytest.approx([1.5, 0.5, 1.0], abs=0.01)
    assert abs(errors[0]) > 1 and abs(errors[-1]) < 0.02
    assert all(node.error is None for node in rt.graph.nodes.values())
    rt.do(SetParam("meals", "autostart", False))
    saved = rt.to_doc()["nodes"]["neuron"].get("state", {})
    assert saved.get("weights", []) == [], "learning from a stream is playing, not editing"
    rt.do(SetParam("neuron", "learn", False))  # keep what it learned: now the patch holds it
    rt.save(tmp_path / "cafe.json")
    rt.close()
    again = Runtime.open(tmp_path / "cafe.json", clock=ManualClock())
    assert again.graph.node("neuron").state["weights"] == weights
    again.close()
