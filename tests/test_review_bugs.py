"""Bugs found in review: each test failed before its fix."""
import numpy as np
import pytest

from nodegraph import BANG, AddNode, SetParam
from nodegraph.errors import ParamError
from nodegraph.learn import jobs
from nodegraph.params import Param
from nodegraph.types import COERCE, CoercionError

from .conftest import build


def test_normalize_refuses_nan_and_infinity_so_the_patch_still_saves(rt, tmp_path):
    build(rt, {"n": ("normalize", {})})
    node = rt.graph.node("n")
    rt.send("n", "in", np.array([1.0, 2.0]))
    for bad in (np.array([np.nan, 0.0]), np.array([np.inf, 0.0])):
        rt.send("n", "in", bad)
        assert node.error and "not a number" in node.error
    rt.save(tmp_path / "p.json")  # raised ValueError (NaN is not JSON) before the fix
    assert node.get_state()["min"] == [1.0, 2.0]


@pytest.mark.parametrize("kind", ["float", "vector", "bool", "label"])
def test_a_huge_whole_number_is_a_coercion_error_not_an_overflow(kind):
    value = [10 ** 400] if kind == "vector" else 10 ** 400
    try:
        COERCE[kind](value)
    except CoercionError:
        pass  # refused with a sentence, or accepted: both fine; OverflowError is not


def test_a_huge_whole_number_fails_the_node_it_arrives_at_not_the_sender(rt):
    build(rt, {"v": ("value", {"value": 10 ** 400}), "m": ("math", {})}, [("v", "out", "m", "a")])
    rt.send("v", "in", BANG)
    assert rt.graph.node("v").error is None
    assert "expects a number" in rt.graph.node("m").error


def test_a_huge_whole_number_param_is_a_param_error():
    with pytest.raises(ParamError):
        Param("x", "float", 0.0).check(10 ** 400)
    with pytest.raises(ParamError):
        Param("x", "vector", [0.0]).check([10 ** 400])


def test_set_param_with_a_huge_number_is_refused_with_a_sentence(rt):
    build(rt, {"m": ("metro", {})})
    with pytest.raises(ParamError):
        rt.do(SetParam("m", "interval", 10 ** 400))
    assert rt.graph.node("m").params["interval"] == 100.0


class _EagerTrainer:
    """Runs a job to its end inside submit(), before the caller gets the job id back.

    Stands in for the real worker because the race it shows (a fast job answering
    before the scheduler thread stores the id) cannot be made to happen on demand."""

    def __init__(self):
        self.next_id = 0

    def warm(self):
        pass

    def cancel(self, job_id):
        pass

    def submit(self, header, arrays, callback):
        self.next_id += 1
        job_id = self.next_id
        jobs.run(dict(header, id=job_id), arrays, lambda h, a: callback(dict(h, id=job_id), a), lambda: False)
        return job_id


def test_gesture_scoring_that_answers_at_once_is_not_lost(rt, monkeypatch):
    from nodes.learners import gesture

    monkeypatch.setattr(gesture, "trainer", lambda: _EagerTrainer())
    rt.do(AddNode("ml.gesture", {"max_length": 0, "min_length": 2}, node_id="g"))
    for label, offset in (("a", 0.0), ("b", 5.0)):
        for _ in range(2):
            rt.send("g", "label", label)
            rt.send("g", "record", True)
            for i in range(6):
                rt.send("g", "features", np.array([offset + i, offset]))
            rt.send("g", "record", False)
    node = rt.graph.node("g")
    rt.send("g", "train", True)
    rt.poll(0)
    assert node._job is None  # the "done" event reached the node
    assert node.info()["score"]["folds"] == 4


def test_noise_with_low_above_high_draws_between_them(rt):
    build(rt, {"u": ("noise", {"low": 2.0, "high": 1.0, "size": 50})})
    seen = []
    rt.graph.node("u").watch("vector", seen.append)
    rt.send("u", "bang", BANG)  # numpy raised "high - low < 0" before the fix
    assert rt.graph.node("u").error is None
    assert seen and ((seen[0] >= 1.0) & (seen[0] <= 2.0)).all()


def test_training_that_answers_at_once_is_not_lost(rt, monkeypatch):
    """The same race in the shared learner base (classify, regress, cluster)."""
    from nodes.learners import base

    monkeypatch.setattr(base, "trainer", lambda: _EagerTrainer())
    rt.do(AddNode("ml.classify", {"folds": 2}, node_id="c"))
    rt.send("c", "label", "b")
    rt.send("c", "record", True)
    for i in range(8):
        rt.send("c", "label", "a" if i % 2 else "b")
        rt.send("c", "features", np.array([float(i % 2), 0.5]))
    rt.send("c", "record", False)
    node = rt.graph.node("c")
    rt.send("c", "train", True)
    rt.poll(0)
    assert node._job is None and node.state["model"]["examples"] == 8
    assert node.error is None and node.info()["score"]["folds"] == 2  # the score event was not lost
    rt.send("c", "run", True)
    out = []
    node.watch("label", out.append)
    rt.send("c", "features", np.array([1.0, 0.5]))
    assert out == ["a"]
