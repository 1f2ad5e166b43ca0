"""Every edit is a command: validated, undoable, redoable, groupable; loading uses the same path."""
import pytest

from nodegraph import (AddComment, AddNode, Connect, Disconnect, EditComment, EditError, LinkError, Move,
                       ParamError, RemoveComment, RemoveNode, Runtime, SetParam, SetState)
from nodegraph.patchfile import commands_for

from .conftest import build, tap


def doc_of(rt):
    return rt.to_doc()


def test_every_edit_undoes_and_redoes_to_the_same_document(rt):
    steps = [AddNode("math", {"op": "*"}, (10, 10), "a"), AddNode("print", None, (10, 90), "p"),
             Connect("a", "out", "p", "in"), SetParam("a", "arg", 3), Move("a", (50, 60)),
             AddComment("hello", (0, 0)), EditComment(0, text="hello there"),
             AddNode("value", None, (0, 0), "v"), Connect("v", "out", "a", "a"),
             Disconnect("a", "out", "p", "in"), RemoveNode("a"), RemoveComment(0),
             SetState("v", {"k": 1})]
    docs = [doc_of(rt)]
    for cmd in steps:
        rt.do(cmd)
        docs.append(doc_of(rt))
    for expected in reversed(docs[:-1]):
        assert rt.undo()
        assert doc_of(rt) == expected
    assert not rt.undo()
    for expected in docs[1:]:
        assert rt.redo()
        assert doc_of(rt) == expected
    assert not rt.redo()


def test_removing_a_node_and_undo_restores_its_links_params_and_state(rt):
    build(rt, {"a": ("math", {"op": "-", "arg": 1}), "b": ("math", {}), "c": ("print", {})},
          [("a", "out", "b", "a"), ("b", "out", "c", "in")])
    before = doc_of(rt)
    rt.do(RemoveNode("b"))
    assert rt.graph.links == []
    rt.undo()
    assert doc_of(rt) == before
    out = tap(rt, "b", "out")
    rt.send("a", "a", 5)
    assert out == [4.0]


def test_refused_edits_change_nothing(rt):
    build(rt, {"a": ("math", {}), "p": ("pack", {}), "s": ("synth", {})})
    before = doc_of(rt)
    with pytest.raises(ParamError, match="param 'op'"):
        rt.do(SetParam("a", "op", "sqrt"))
    with pytest.raises(EditError, match="already a node 'a'"):
        rt.do(AddNode("math", node_id="a"))
    with pytest.raises(LinkError, match=r"cannot link p\.vector \(vector\) to a\.a \(float\).*"
                                        r"unpack or slice takes numbers out of a vector"):
        rt.do(Connect("p", "vector", "a", "a"))
    # a target with an inlet that fits: named
    with pytest.raises(LinkError, match=r"s's vector inlet takes it"):
        rt.do(Connect("p", "vector", "s", "pitch"))
    with pytest.raises(EditError, match="unknown|no node"):
        rt.do(Move("zz", (0, 0)))
    assert doc_of(rt) == before
    assert len(rt.history.undo_stack) == 3


def test_a_slider_drag_is_one_undo_step(rt):
    build(rt, {"a": ("math", {})})
    for v in range(1, 20):
        rt.do(SetParam("a", "arg", float(v)), merge=True)
    assert rt.graph.node("a").params["arg"] == 19.0
    rt.undo()
    assert rt.graph.node("a").params["arg"] == 0.0


def test_group_is_one_step_and_rolls_back_when_a_part_fails(rt):
    with rt.history.group("paste"):
        rt.do(AddNode("math", node_id="x"))
        rt.do(AddNode("math", node_id="y"))
        rt.do(Connect("x", "out", "y", "a"))
    assert len(rt.history.undo_stack) == 1
    rt.undo()
    assert rt.graph.nodes == {}
    with pytest.raises(LinkError):
        with rt.history.group("bad paste"):
            rt.do(AddNode("math", node_id="x"))
            rt.do(Connect("x", "out", "x", "a"))
    assert rt.graph.nodes == {} and rt.history.undo_stack == []


def test_changing_a_port_shaping_param_keeps_or_refuses_links(rt):
    build(rt, {"p": ("pack", {"size": 3}), "m": ("math", {})}, [("m", "out", "p", "in2")])
    with pytest.raises(ParamError, match="m.out → p.in2"):
        rt.do(SetParam("p", "size", 2))
    assert len(rt.graph.node("p").inlets) == 3
    rt.do(SetParam("p", "size", 4))
    out = tap(rt, "p", "vector")
    rt.send("m", "a", 5)
    rt.send("p", "in0", 1)
    assert out[-1].tolist() == [1.0, 0.0, 5.0, 0.0]
    rt.undo()
    assert len(rt.graph.node("p").inlets) == 3


def test_loading_replays_the_same_commands_as_editing(rt):
    build(rt, {"a": ("math", {"op": "max"}), "b": ("print", {})}, [("a", "out", "b", "in")])
    rt.do(AddComment("note", (1, 2)))
    doc = doc_of(rt)
    replay = Runtime.manual()
    for cmd in commands_for(doc):
        replay.do(cmd)
    assert doc_of(replay) == doc
    replay.close()


def test_graph_events_let_a_view_follow(rt):
    events = []
    rt.graph.subscribe(lambda event, *args: events.append(event))
    build(rt, {"a": ("math", {}), "b": ("math", {})}, [("a", "out", "b", "a")])
    rt.do(SetParam("a", "arg", 2))
    rt.do(Move("a", (5, 5)))
    rt.undo()
    assert events == ["node_added", "node_added", "linked", "param", "moved", "moved"]


def test_nodes_added_to_a_running_patch_start_and_removed_ones_stop(rt):
    rt.start(thread=False)
    build(rt, {"m": ("metro", {"interval": 10, "autostart": True})})
    ticks = tap(rt, "m", "bang")
    rt.advance(25)
    assert len(ticks) == 2  # 10, 20 (the first tick at 0 came before the tap)
    rt.do(RemoveNode("m"))
    rt.advance(100)
    assert len(ticks) == 2
