"""A take (record on, then off) is an undo step: Ctrl+Z removes that recording, redo brings it back."""
import json

import numpy as np

from nodegraph import AddNode, Runtime
from nodegraph.commands import RecordedTake, SetParam

from .learners_util import teach


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


def test_undo_refits_the_model_without_the_take(rt):
    node = _learner(rt)
    labels = []
    node.watch("label", labels.append)
    teach(rt, "clf", [[0.0], [1.0]], ["a", "b"])
    teach(rt, "clf", [[0.6]], ["a"])
    rt.send("clf", "train", True)  # knn: fitted at once
    rt.send("clf", "run", True)
    rt.send("clf", "features", np.array([0.55]))
    assert labels == ["a"] and node.state["model"]["examples"] == 3
    rt.undo()  # take 2: the model forgets it
    assert node.state["model"]["examples"] == 2
    rt.send("clf", "features", np.array([0.55]))
    assert labels == ["a", "b"]
    rt.redo()  # not trained since: the model that knew take 2 runs again
    assert node.state["model"]["examples"] == 3
    rt.send("clf", "features", np.array([0.55]))
    assert labels == ["a", "b", "a"]
    rt.undo()
    rt.undo()  # take 1 too: no examples, no model
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
    rt.undo()  # the take the inlet already deleted: nothing more goes
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


def test_undoing_a_record_toggle_past_its_take_keeps_the_redo_history():
    """A toggle wired to record: undoing the toggle restarts recording and undoing again ends
    that take. That take comes from replaying the history, so it must not wipe the redo stack."""
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
    rt.undo()                                # the toggle goes back on: recording again
    rt.send("c", "features", np.array([0.9, 0.5]))
    rt.undo()                                # the toggle goes off: that take ends during the undo
    assert len(rt.history.redo_stack) == 3, "replaying the history did not add to it"
    assert len(rt.history.undo_stack) == steps - 3
    assert len(node.state["examples"]) == 1  # and what was recorded meanwhile is kept
    for _ in range(3):
        assert rt.redo()
    assert len(node.state["examples"]) >= 3
    rt.close()
