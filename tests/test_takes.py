"""A take (record on, then off) is an undo step: Ctrl+Z removes that recording, redo brings it back."""
import json

import numpy as np
import pytest

from nodegraph import AddNode, Runtime
from nodegraph.commands import RecordedTake, SetParam

from .learners_util import teach, wait_idle


def _learner(rt, **params):
    rt.do(AddNode("ml.classify", dict({"algorithm": "knn", "folds": 0}, **params), node_id="clf"))
    return rt.graph.node("clf")


def _ys(node):
    return [ex["y"] for ex in node.state["examples"]]


def test_undo_removes_exactly_the_last_take_and_redo_brings_it_back(rt, tmp_path):
    node = _learner(rt)
    teach(rt, "clf", [[0.0], [0.1]], ["a", "a"])
    rt.advance(100)
    teach(rt, "clf", [[1.0], [1.1], [1.2]], ["b", "b", "b"])
    top = rt.history.undo_stack[-1]
    assert isinstance(top, RecordedTake) and (top.node_id, top.take, top.count) == ("clf", 2, 3)
    after_two = json.loads(json.dumps(node.state))

    assert rt.undo()
    assert _ys(node) == ["a", "a"] and node.state["take"] == 1
    assert node.info()["counts"] == {"a": 2}
    saved = json.loads(open(rt.save(tmp_path / "undone.json")).read())["nodes"]["clf"]["state"]
    assert saved == {"examples": node.state["examples"], "take": 1}
    assert all(ex["take"] == 1 for ex in saved["examples"])  # no trace of take 2

    assert rt.redo()
    assert node.state == after_two and node.info()["counts"] == {"a": 2, "b": 3}
    assert rt.undo() and rt.undo()
    assert node.state["examples"] == [] and node.state["take"] == 0
    assert rt.undo() and "clf" not in rt.graph.nodes  # then the AddNode
    assert not rt.undo()


def test_a_take_and_an_edit_undo_in_the_order_they_happened(rt):
    node = _learner(rt)
    teach(rt, "clf", [[0.0]], ["a"])
    rt.do(SetParam("clf", "k", 3))
    teach(rt, "clf", [[1.0], [1.1]], ["b", "b"])
    rt.undo()
    assert _ys(node) == ["a"] and node.params["k"] == 3
    rt.undo()
    assert _ys(node) == ["a"] and node.params["k"] == 1
    rt.undo()
    assert _ys(node) == []
    rt.redo()
    rt.redo()
    assert _ys(node) == ["a"] and node.params["k"] == 3
    rt.redo()
    assert _ys(node) == ["a", "b", "b"]


def test_a_new_take_after_an_undo_drops_the_redo(rt):
    node = _learner(rt)
    teach(rt, "clf", [[0.0]], ["a"])
    teach(rt, "clf", [[1.0]], ["b"])
    rt.undo()
    teach(rt, "clf", [[2.0]], ["c"])
    assert [ex["take"] for ex in node.state["examples"]] == [1, 2]  # the number is used again
    assert not rt.redo() and _ys(node) == ["a", "c"]


def test_empty_takes_are_not_undo_steps(rt):
    _learner(rt)
    before = len(rt.history.undo_stack)
    rt.send("clf", "record", True)
    rt.send("clf", "record", False)
    assert len(rt.history.undo_stack) == before


def test_a_training_is_an_undo_step_that_brings_the_old_model_back_at_once(rt):
    node = _learner(rt)
    labels = []
    node.watch("label", labels.append)
    teach(rt, "clf", [[0.0], [1.0]], ["a", "b"])
    rt.send("clf", "train", True)
    rt.send("clf", "run", True)
    wait_idle(rt, "clf")
    teach(rt, "clf", [[0.6]], ["a"])
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    rt.send("clf", "features", np.array([0.55]))
    assert labels == ["a"] and node.state["model"]["examples"] == 3
    rt.undo()  # the second training: the first model runs again, with no refit
    assert node.state["model"]["examples"] == 2 and node._job is None
    rt.send("clf", "features", np.array([0.55]))
    assert labels == ["a", "b"]
    rt.undo()  # the take the first model never knew
    assert _ys(node) == ["a", "b"] and node.state["model"]["examples"] == 2
    rt.redo()
    rt.redo()  # the second model again, at once
    assert node.state["model"]["examples"] == 3 and node._job is None
    rt.send("clf", "features", np.array([0.55]))
    assert labels == ["a", "b", "a"]
    for _ in range(4):
        rt.undo()  # the second training and take, the first training and take
    assert node.state["examples"] == [] and "model" not in node.state and node._predictor is None


def test_undo_while_recording_keeps_the_take_under_way(rt):
    node = _learner(rt)
    teach(rt, "clf", [[0.0]], ["a"])
    rt.send("clf", "label", "b")
    rt.send("clf", "record", True)
    rt.send("clf", "features", np.array([1.0]))
    rt.undo()  # take 1, while take 2 records
    rt.send("clf", "features", np.array([1.1]))
    rt.send("clf", "record", False)
    assert _ys(node) == ["b", "b"]
    top = rt.history.undo_stack[-1]
    assert (top.take, top.count) == (2, 2)


def test_the_undo_take_inlet_still_works(rt):
    node = _learner(rt)
    teach(rt, "clf", [[0.0]], ["a"])
    teach(rt, "clf", [[1.0], [1.1]], ["b", "b"])
    rt.send("clf", "undo_take", True)
    assert _ys(node) == ["a"]
    rt.undo()  # the inlet's deletion is an undo step too: the take comes back
    assert _ys(node) == ["a", "b", "b"]
    rt.undo()  # then the take itself
    assert _ys(node) == ["a"]
    rt.undo()
    assert _ys(node) == []


def test_takes_from_the_scheduler_thread_are_undone_from_another(tmp_path):
    rt = Runtime()
    try:
        rt.do(AddNode("ml.classify", {"algorithm": "knn", "folds": 0}, node_id="clf"))
        rt.start()
        node = rt.graph.node("clf")
        rt.send("clf", "label", "a")
        rt.send("clf", "record", True)
        for v in range(5):
            rt.send("clf", "features", np.array([float(v)]))
        rt.send("clf", "record", False)
        rt.call(lambda: None)  # everything sent so far has been handled
        assert isinstance(rt.history.undo_stack[-1], RecordedTake)
        assert rt.undo()
        assert rt.call(lambda: list(node.state["examples"])) == []
    finally:
        rt.close()


def test_clear_is_one_undo_step_that_brings_back_the_examples_and_the_model():
    """An accidental clear must not cost the training data: Ctrl+Z restores it, model included."""
    import numpy as np
    from nodegraph import BANG, AddNode, Runtime
    rt = Runtime.manual()
    rt.do(AddNode("ml.classify", {"folds": 0}, node_id="c"))
    for label, x in (("a", 0.1), ("b", 0.9)):
        rt.send("c", "label", label)
        rt.send("c", "record", True)
        for i in range(3):
            rt.send("c", "features", np.array([x, x + 0.01 * i]))
        rt.send("c", "record", False)
    rt.send("c", "train", BANG)
    rt.send("c", "run", True)
    from .learners_util import wait_idle
    wait_idle(rt, "c")
    out = []
    rt.graph.node("c").watch("label", out.append)
    before = rt.to_doc()["nodes"]["c"]["state"]
    rt.send("c", "clear", BANG)
    assert rt.graph.node("c").state["examples"] == []
    assert any("Ctrl+Z" in t for t in rt.console.texts())
    assert rt.undo()
    assert rt.to_doc()["nodes"]["c"]["state"] == before
    rt.send("c", "features", np.array([0.85, 0.9]))
    assert out == ["b"]  # the model is back, not only the examples
    assert rt.redo() and rt.graph.node("c").state["examples"] == []
    rt.close()


def test_undoing_a_record_toggle_is_quiet_and_keeps_the_redo_history():
    """A toggle wired to record: undoing the toggle's edits changes what the patch saves, not
    what it plays (nothing leaves an outlet because of an undo), so no take starts or ends
    behind the person's back, and the redo history stays whole."""
    import numpy as np
    from nodegraph import AddNode, Connect, Runtime, SetParam
    rt = Runtime.manual()
    rt.do(AddNode("ml.classify", {"folds": 0}, node_id="c"))
    rt.do(AddNode("toggle", {}, node_id="rec"))
    rt.do(Connect("rec", "out", "c", "record"))
    rt.send("c", "label", "a")
    rt.do(SetParam("rec", "value", True))
    for i in range(3):
        rt.send("c", "features", np.array([0.1 * i, 0.5]))
    rt.do(SetParam("rec", "value", False))  # the take ends: an undo step of its own
    node = rt.graph.node("c")
    assert len(node.state["examples"]) == 3
    steps = len(rt.history.undo_stack)
    rt.undo()                                # the take goes
    assert node.state["examples"] == []
    rt.undo()                                # the toggle's saved value goes back on, silently
    assert rt.graph.node("rec").params["value"] is True
    assert node.inlet_state("record") is False, "an undo played the toggle into the learner"
    rt.send("c", "features", np.array([0.9, 0.5]))
    rt.undo()
    assert len(rt.history.redo_stack) == 3
    assert len(rt.history.undo_stack) == steps - 3
    assert node.state["examples"] == []      # nothing was recorded: the learner never heard the undo
    for _ in range(3):
        assert rt.redo()
    assert len(node.state["examples"]) == 3 and len(rt.doc.states["c"]["examples"]) == 3
    rt.close()


LEARNERS = {  # type: (params, target inlet, two targets)
    "ml.classify": ({"folds": 0}, "label", ["a", "b"]),
    "ml.regress": ({"folds": 0}, "target", [np.array([0.0, 1.0]), np.array([1.0, 0.0])]),
    "ml.cluster": ({"folds": 0, "k": 2}, None, [None, None]),
    "ml.gesture": ({}, "label", ["a", "b"]),
}


def _take(rt, node_id, target_inlet, target, start):
    if target_inlet is not None:
        rt.send(node_id, target_inlet, target)
    rt.send(node_id, "record", True)
    for i in range(4):
        rt.send(node_id, "features", np.array([start + 0.01 * i, start]))
        rt.advance(10)
    rt.send(node_id, "record", False)


@pytest.mark.parametrize("type_id", sorted(LEARNERS))
def test_every_learner_takes_and_clear_are_undo_steps(rt, type_id):
    params, inlet, targets = LEARNERS[type_id]
    rt.do(AddNode(type_id, params, node_id="l"))
    node = rt.graph.node("l")
    _take(rt, "l", inlet, targets[0], 0.0)
    one = rt.to_doc()["nodes"]["l"]["state"]
    _take(rt, "l", inlet, targets[1], 1.0)
    two = rt.to_doc()["nodes"]["l"]["state"]
    assert one != two
    assert rt.undo() and rt.to_doc()["nodes"]["l"]["state"] == one
    assert rt.redo() and rt.to_doc()["nodes"]["l"]["state"] == two
    rt.send("l", "clear", True)
    assert node.state["examples"] == []
    assert rt.undo() and rt.to_doc()["nodes"]["l"]["state"] == two  # the clear, not the node
    assert "l" in rt.graph.nodes
    assert rt.redo() and node.state["examples"] == []
    assert rt.undo() and rt.undo() and rt.to_doc()["nodes"]["l"]["state"] == one
    assert rt.undo() and node.state["examples"] == []
    assert "l" in rt.graph.nodes  # the next undo is the node's creation
    assert rt.undo() and "l" not in rt.graph.nodes


def test_undoing_a_take_keeps_the_feature_matrix_and_counts_in_step(rt):
    # undo and redo update the learner's caches by the rows of the take (bench/stalls.py
    # measures what that costs with 10,000 examples)
    rng = np.random.default_rng(1)
    state = {"examples": [{"x": rng.uniform(size=10).round(4).tolist(), "y": "ab"[i % 2], "t": i, "take": 1}
                          for i in range(10_000)], "take": 1}
    rt.do(AddNode("ml.classify", {"folds": 0}, node_id="clf", state=state))
    node = rt.graph.node("clf")
    teach(rt, "clf", rng.uniform(size=(5, 10)), ["a"] * 5)
    X = node._xs[:10_005].copy()
    rt.undo()
    assert len(node.state["examples"]) == 10_000 and np.array_equal(node._xs[:10_000], X[:10_000])
    assert node._counts == {"a": 5_000, "b": 5_000}
    rt.redo()
    assert len(node.state["examples"]) == 10_005 and np.array_equal(node._xs[:10_005], X)
    assert node._counts == {"a": 5_005, "b": 5_000}


def test_takes_are_numbered_from_1_again_after_a_clear_and_undo_brings_the_old_numbers_back(rt):
    """A clear starts over: "take 4" right after it reads as if something were still there."""
    params, inlet, targets = LEARNERS["ml.classify"]
    rt.do(AddNode("ml.classify", params, node_id="l"))
    node = rt.graph.node("l")
    for n in range(3):
        _take(rt, "l", inlet, targets[n % 2], float(n))
    before = rt.to_doc()["nodes"]["l"]["state"]
    assert node.state["take"] == 3
    rt.send("l", "clear", True)
    _take(rt, "l", inlet, targets[0], 0.0)
    assert {ex["take"] for ex in node.state["examples"]} == {1}
    assert rt.undo() and node.state["take"] == 0  # that take
    assert rt.undo() and rt.to_doc()["nodes"]["l"]["state"] == before  # the clear: exactly as it was
    assert rt.redo() and rt.redo() and {ex["take"] for ex in node.state["examples"]} == {1}
    assert node.state["take"] == 1


def test_counts_of_one_read_in_the_singular(rt):
    """A count of one is said in the singular: "1 example in 1 take", never "1 takes"."""
    rt.do(AddNode("ml.regress", {"folds": 0}, node_id="r"))
    node = rt.graph.node("r")
    rt.send("r", "target", np.array([0.5]))
    rt.send("r", "record", True)
    rt.send("r", "features", np.array([0.1, 0.2]))
    rt.send("r", "record", False)
    assert node._status.startswith("recorded 1 example in take 1; 1 example")
    assert "1 example in 1 take" in node.info()["text"]


def test_a_plot_of_the_examples_follows_an_undone_take(rt):
    """The undo itself sends nothing; the learner's picture of its examples (its `model`
    outlet, a view of what it holds) follows just after, so a plot never shows a take that
    is gone."""
    from nodegraph import AddNode, Connect
    node = _learner(rt)
    rt.do(AddNode("plot.dataset", {}, node_id="plot"))
    rt.do(Connect("clf", "model", "plot", "model"))
    teach(rt, "clf", [[0.0], [0.1]], ["a", "a"])
    rt.advance(100)
    teach(rt, "clf", [[1.0], [1.1], [1.2]], ["b", "b", "b"])
    rt.advance(100)
    plot = rt.graph.node("plot")
    assert plot.view()["examples"] == 5
    sent = []
    stop = node.watch("model", sent.append)
    assert rt.undo()
    assert sent == [], "nothing leaves an outlet while the undo is performed"
    rt.advance(100)
    stop()
    assert len(sent) == 1 and plot.view()["examples"] == 2 == len(node.state["examples"])


class _Watched(list):
    """A dataset's rows that count how often something walks all of them."""

    walks = 0

    def __iter__(self):
        _Watched.walks += 1
        return super().__iter__()


def test_undoing_and_redoing_a_take_costs_the_take_not_the_dataset(rt):
    """Ctrl+Z after a take looks at as many rows as the take has, on both sides (the document's
    thread and the engine's), however many examples came before it."""
    node = _learner(rt)
    teach(rt, "clf", [[float(i)] for i in range(2000)], ["a"] * 2000)
    rt.drain()  # the document takes the take (the editor does so each frame)
    for state in (node.state, rt.doc.states["clf"]):
        state["examples"] = _Watched(state["examples"])
    before = node.state["examples"][:]  # (a slice: not a walk)
    teach(rt, "clf", [[5.0], [5.1], [5.2]], ["b", "b", "b"])
    rt.drain()
    _Watched.walks = 0
    assert rt.undo()
    assert _Watched.walks == 0
    assert node.state["examples"][:] == before and node.state["take"] == 1
    assert rt.doc.states["clf"]["examples"][:] == before
    assert rt.redo() and rt.undo()
    assert _Watched.walks == 0 and node.state["examples"][:] == before
    teach(rt, "clf", [[6.0]], ["c"])  # the next take reuses the undone one's number
    assert node.state["examples"][-1]["take"] == 2
