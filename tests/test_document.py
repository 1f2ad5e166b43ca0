"""The document and the engine, apart: edits, undo and saving never wait for the real-time
thread; the engine follows the document through its inbox; only proposals come back."""
import json
import threading
import time

import numpy as np

from nodegraph import AddNode, Connect, RemoveNode, Runtime, SetParam
from nodegraph.commands import RecordedTake

from .conftest import build, tap


def blocked(rt):
    """Hold the scheduler thread in a job until the returned event is set (a node that takes
    its time, a busy machine)."""
    release, inside = threading.Event(), threading.Event()

    def job():
        inside.set()
        release.wait(30)
    rt.scheduler.post(None, job)
    assert inside.wait(10)
    return release


def test_editing_undoing_and_saving_never_wait_for_the_engine(tmp_path):
    rt = Runtime()
    rt.wait = False  # as the editor: an edit is handed to the engine, not waited for
    build(rt, {"a": ("number", {}), "b": ("math", {"op": "+"})}, [("a", "out", "b", "a")])
    rt.start()
    try:
        release = blocked(rt)
        t = time.perf_counter()
        rt.do(SetParam("b", "op", "*"))
        rt.do(AddNode("print", {}, node_id="p", pos=(10, 200)))
        rt.do(Connect("b", "out", "p", "in"))
        rt.undo()
        rt.redo()
        path = rt.save(tmp_path / "p.json")
        took = time.perf_counter() - t
        # the engine has not moved (it is held); the document has every change, and so has the file
        assert rt.graph.node("b").params["op"] == "+" and "p" not in rt.graph.nodes
        saved = json.loads(open(path).read())
        assert saved["nodes"]["b"]["params"]["op"] == "*" and ["b", "out", "p", "in"] in saved["links"]
        assert took < 5, "an edit, an undo or a save waited for the held scheduler thread"
        release.set()
        rt.call(lambda: None)  # the engine performs what queued, in order
        assert rt.graph.node("b").params["op"] == "*" and ("b", "out", "p", "in") in rt.graph.links
    finally:
        rt.close()


def test_the_engine_follows_the_document_edit_for_edit():
    rt = Runtime.manual()
    build(rt, {"a": ("number", {}), "b": ("math", {"op": "+", "arg": 1})}, [("a", "out", "b", "a")])
    rt.do(SetParam("b", "op", "*"))
    rt.do(RemoveNode("a"))
    rt.undo()
    rt.undo()
    for graph in (rt.doc, rt.graph):
        assert set(graph.nodes) == {"a", "b"} and graph.node("b").params["op"] == "+"
        assert graph.links == [("a", "out", "b", "a")]
    assert rt.doc.document and not rt.graph.document
    assert rt.doc.node("b") is not rt.graph.node("b"), "the document's record is not the running process"


def test_an_undo_sends_nothing_and_a_redo_neither():
    rt = Runtime.manual()
    build(rt, {"n": ("number", {})})
    out = tap(rt, "n", "out")
    rt.do(SetParam("n", "value", 5))
    assert out == [5.0]
    rt.undo()
    rt.redo()
    assert out == [5.0] and rt.doc.node("n").params["value"] == 5


def test_a_take_comes_back_as_a_proposal_with_its_rows_and_the_document_keeps_them():
    rt = Runtime.manual()
    build(rt, {"c": ("ml.classify", {"folds": 0})})
    rt.send("c", "label", "x")
    rt.send("c", "record", True)
    for i in range(3):
        rt.send("c", "features", np.array([i, 1.0]))
    rt.send("c", "record", False)
    top = rt.history.undo_stack[-1]  # the history drains what the engine proposed
    assert isinstance(top, RecordedTake) and top.count == 3
    doc_rows = rt.doc.states["c"]["examples"]
    engine_rows = rt.graph.node("c").state["examples"]
    assert doc_rows == engine_rows and doc_rows is not engine_rows  # the same rows, each side its own list
    assert all(a is b for a, b in zip(doc_rows, engine_rows)), "rows are shared, never copied"
    rt.undo()
    assert rt.doc.states["c"]["examples"] == [] and rt.graph.node("c").state["examples"] == []
    rt.redo()
    assert len(rt.doc.states["c"]["examples"]) == 3 == len(rt.graph.node("c").state["examples"])


def test_playing_changes_no_saved_param_and_no_state():
    """A control played, a counter counted, a normalize learning: the document does not move."""
    rt = Runtime.manual()
    build(rt, {"s": ("slider", {}), "c": ("counter", {}), "z": ("normalize", {})})
    before = rt.to_doc()
    revision = rt.history.revision
    rt.send("s", "in", 0.7)
    for _ in range(3):
        rt.send("c", "bang", 1)
        rt.send("z", "in", np.array([1.0, float(_)]))
    assert rt.to_doc() == before and rt.history.revision == revision


def test_a_param_refused_for_the_data_is_refused_by_the_document_before_the_engine_hears_of_it():
    """ml.classify refuses a new number of outputs while it has examples: the document judges by
    its own examples, so a refusal leaves both halves as they were."""
    import pytest
    from nodegraph.errors import ParamError
    rt = Runtime.manual()
    build(rt, {"c": ("ml.classify", {"folds": 0})})
    rt.send("c", "label", "a")
    rt.send("c", "record", True)
    rt.send("c", "features", np.array([0.0, 1.0]))
    rt.send("c", "record", False)
    rt.drain()
    with pytest.raises(ParamError, match="clear them"):
        rt.do(SetParam("c", "outputs", 2))
    assert rt.doc.node("c").params["outputs"] == 1 == rt.graph.node("c").params["outputs"]


def test_a_link_of_four_two_letter_names_is_unlinked_and_relinked_in_both_halves(tmp_path):
    """xy.xy → print.in: the graph index once took such a link for a set of attributes, not
    its key, and unlinking it failed halfway (the document without it, the engine with it)."""
    from nodegraph import Disconnect

    path = tmp_path / "p.json"
    path.write_text(json.dumps({"format": "nodegraph-patch", "version": 1,
                                "nodes": {"pd": {"type": "xy", "pos": [0, 0]}, "pr": {"type": "print", "pos": [0, 100]},
                                          "p2": {"type": "print", "pos": [200, 100]}},
                                "links": [["pd", "xy", "pr", "in"]]}))
    rt = Runtime.open(str(path))
    try:
        rt.do(Connect("pd", "x", "p2", "in"))  # the document's index is made here, from the file's links
        rt.do(Disconnect("pd", "xy", "pr", "in"))
        assert [tuple(l) for l in rt.doc.links] == [tuple(l) for l in rt.graph.links] == [("pd", "x", "p2", "in")]
        rt.undo()
        assert sorted(map(tuple, rt.doc.links)) == sorted(map(tuple, rt.graph.links)) == [
            ("pd", "x", "p2", "in"), ("pd", "xy", "pr", "in")]
        rt.do(Disconnect("pd", "xy", "pr", "in"))  # and again, now that the undo put it back
        assert [tuple(l) for l in rt.doc.links] == [tuple(l) for l in rt.graph.links] == [("pd", "x", "p2", "in")]
    finally:
        rt.close()
