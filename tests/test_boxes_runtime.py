"""Boxes in a running patch: the document keeps a box as one node, the engine runs its inside;
takes inside a box are undo steps; encapsulate and de-encapsulate are one undo step each."""
import json

import numpy as np

from nodegraph import AddNode, Connect, Deencapsulate, Encapsulate, Runtime, SetParam, patchfile

from .conftest import build, tap

PATCHES = __import__("pathlib").Path(__file__).parent.parent / "patches"


def test_a_box_patch_is_one_node_in_the_document_and_its_inside_in_the_engine(tmp_path):
    rt = Runtime.open(PATCHES / "wekinator-classifier-box.json")
    try:
        assert list(rt.doc.nodes) == ["wek"] and rt.doc.node("wek").saved_type == "wekinator.classifier"
        assert "wek/classifier" in rt.graph.nodes and "wek" not in rt.graph.nodes
        box = rt.doc.node("wek")  # its ports are the inlet and outlet nodes inside
        assert [i.name for i in box.inlets] == ["features"] and [o.name for o in box.outlets] == ["class"]
        saved = rt.to_doc()
        assert list(saved["nodes"]) == ["wek"] and saved == patchfile.read(PATCHES / "wekinator-classifier-box.json")
    finally:
        rt.close()


def _inner_patch(tmp_path):
    """An abstraction `double` (x2 with an argument offset) next to the patch."""
    (tmp_path / "double.json").write_text(json.dumps({
        "format": "nodegraph-patch", "version": 1,
        "nodes": {"in": {"type": "inlet", "params": {"type": "float"}, "pos": [0, 0]},
                  "m": {"type": "math", "params": {"op": "*", "arg": "$1"}, "pos": [0, 50]},
                  "out": {"type": "outlet", "params": {"type": "float"}, "pos": [0, 100]}},
        "links": [["in", "out", "m", "a"], ["m", "out", "out", "in"]]}))


def test_adding_a_box_by_an_edit_runs_its_inside_and_undo_removes_it(tmp_path):
    _inner_patch(tmp_path)
    rt = Runtime.manual()
    rt.scheduler.base_dir = rt.doc.base_dir = str(tmp_path)
    build(rt, {"n": ("number", {}), "p": ("print", {})})
    rt.do(AddNode("double", {"args": [3]}, node_id="d", pos=(0, 100)))
    rt.do(Connect("n", "out", "d", "in"))
    rt.do(Connect("d", "out", "p", "in"))
    assert "d/m" in rt.graph.nodes and "d" not in rt.graph.nodes
    seen = tap(rt, "d/m", "out")
    rt.send("n", "in", 5.0)
    assert seen == [15.0]
    rt.do(SetParam("d", "args", [10]))  # a box's argument edited: its inside follows
    rt.send("n", "in", 5.0)
    assert seen == [15.0, 50.0]  # the same process inside, its param changed
    rt.undo()
    rt.undo()
    rt.undo()
    rt.undo()
    assert not any(i.startswith("d/") for i in rt.graph.nodes) and "d" not in rt.doc.nodes
    rt.close()


def test_a_take_inside_a_box_is_an_undo_step_and_is_saved_with_the_box(tmp_path):
    (tmp_path / "learn.json").write_text(json.dumps({
        "format": "nodegraph-patch", "version": 1,
        "nodes": {"c": {"type": "ml.classify", "params": {"folds": 0}, "pos": [0, 0]}}, "links": []}))
    rt = Runtime.manual()
    rt.scheduler.base_dir = rt.doc.base_dir = str(tmp_path)
    rt.do(AddNode("learn", {}, node_id="box"))
    rt.send("box/c", "label", "a")
    rt.send("box/c", "record", True)
    for i in range(4):
        rt.send("box/c", "features", np.array([i, 0.0]))
    rt.send("box/c", "record", False)
    rt.drain()  # the document takes the take the engine proposed
    assert len(rt.doc.states["box/c"]["examples"]) == 4
    saved = rt.to_doc()
    assert len(saved["nodes"]["box"]["state"]["c"]["examples"]) == 4  # in the box, not the shared file
    rt.undo()
    assert rt.graph.node("box/c").state["examples"] == []
    assert rt.to_doc()["nodes"]["box"]["state"]["c"]["examples"] == []
    rt.redo()
    path = tmp_path / "uses.json"
    rt.save(path)
    rt.close()
    again = Runtime.open(path)
    assert len(again.graph.node("box/c").state["examples"]) == 4
    again.close()


def test_encapsulate_then_deencapsulate_each_one_undo_step_with_the_same_behaviour(tmp_path):
    rt = Runtime.manual()
    build(rt, {"n": ("number", {}), "a": ("math", {"op": "+", "arg": 1}), "b": ("math", {"op": "*", "arg": 10}),
               "p": ("print", {})},
          [("n", "out", "a", "a"), ("a", "out", "b", "a"), ("b", "out", "p", "in")])
    for node_id, pos in (("n", (0, 0)), ("a", (0, 60)), ("b", (0, 120)), ("p", (0, 180))):
        rt.do(__import__("nodegraph").Move(node_id, pos))
    before = rt.to_doc()
    rt.do(Encapsulate(["a", "b"], "sub"))
    assert set(rt.doc.nodes) == {"n", "sub", "p"} and rt.doc.node("sub").saved_type == "subpatch"
    got = []
    rt.graph.node("sub/b").watch("out", got.append)
    rt.send("n", "in", 2.0)
    assert got == [30.0]  # (2 + 1) * 10 through the box, as before
    steps = len(rt.history.undo_stack)
    rt.do(Deencapsulate("sub"))
    assert {"a", "b"} <= set(rt.doc.nodes) and "sub" not in rt.doc.nodes
    assert len(rt.history.undo_stack) == steps + 1
    rt.undo()
    rt.undo()
    assert rt.to_doc() == before
    got = []
    rt.graph.node("b").watch("out", got.append)
    rt.send("n", "in", 2.0)
    assert got == [30.0]
    rt.close()


def test_an_edited_abstraction_file_changes_every_box_that_uses_it(tmp_path):
    _inner_patch(tmp_path)
    rt = Runtime.manual()
    rt.scheduler.base_dir = rt.doc.base_dir = str(tmp_path)
    build(rt, {"n": ("number", {})})
    for box in ("one", "two"):
        rt.do(AddNode("double", {"args": [3]}, node_id=box))
        rt.do(Connect("n", "out", box, "in"))
    files = rt.box_files()
    assert list(files) == [str(tmp_path / "double.json")]
    edited = json.loads((tmp_path / "double.json").read_text())
    edited["nodes"]["m"]["params"]["op"] = "+"  # the file now adds its argument
    (tmp_path / "double.json").write_text(json.dumps(edited))
    steps = len(rt.history.undo_stack)
    rt.refresh_boxes()
    got = []
    for box in ("one", "two"):
        rt.graph.node(f"{box}/m").watch("out", got.append)
    rt.send("n", "in", 5.0)
    assert sorted(got) == [8.0, 8.0]
    assert len(rt.history.undo_stack) == steps  # not an edit of this patch
    rt.close()


def test_a_subpatchs_inside_edited_elsewhere_comes_back_as_one_undo_step(tmp_path):
    rt = Runtime.manual()
    build(rt, {"n": ("number", {}), "a": ("math", {"op": "+", "arg": 1})}, [("n", "out", "a", "a")])
    rt.do(Encapsulate(["a"], "sub"))
    inside = rt.to_doc()["nodes"]["sub"]["params"]["patch"]
    inner_math = next(i for i, n in inside["nodes"].items() if n["type"] == "math")
    inside["nodes"][inner_math]["params"]["arg"] = 100  # what the window it opened in saved
    rt.do(SetParam("sub", "patch", inside))
    got = []
    rt.graph.node(f"sub/{inner_math}").watch("out", got.append)
    rt.send("n", "in", 1.0)
    assert got == [101.0]
    rt.undo()
    assert rt.graph.node(f"sub/{inner_math}").params["arg"] == 1
    rt.close()


def test_an_abstraction_opens_on_its_own_keeps_its_arguments_and_runs_with_their_defaults(tmp_path):
    """As Pd opens an abstraction: `$1` stays `$1` in what is edited and saved; it runs with
    the file's declared defaults; `$2` typed into a param is kept as written, and undone."""
    (tmp_path / "double.json").write_text(json.dumps({
        "format": "nodegraph-patch", "version": 1, "meta": {"args": [{"name": "by", "default": 4}]},
        "nodes": {"in": {"type": "inlet", "params": {"type": "float"}, "pos": [0, 0]},
                  "m": {"type": "math", "params": {"op": "*", "arg": "$1"}, "pos": [0, 50]},
                  "out": {"type": "outlet", "params": {"type": "float"}, "pos": [0, 100]}},
        "links": [["in", "out", "m", "a"], ["m", "out", "out", "in"]]}))
    rt = Runtime.open(tmp_path / "double.json")
    try:
        assert rt.to_doc()["nodes"]["m"]["params"]["arg"] == "$1"
        got = tap(rt, "m", "out")
        rt.send("in", "in", 3.0)
        assert got == [12.0]  # run with the default, 4
        rt.do(SetParam("m", "arg", 2.5))
        assert rt.to_doc()["nodes"]["m"]["params"]["arg"] == 2.5
        rt.undo()
        assert rt.to_doc()["nodes"]["m"]["params"]["arg"] == "$1" and rt.graph.node("m").params["arg"] == 4
        rt.save()
        assert json.loads((tmp_path / "double.json").read_text())["nodes"]["m"]["params"]["arg"] == "$1"
    finally:
        rt.close()


def test_comments_keep_their_ids_through_encapsulate_and_its_undo_so_earlier_edits_undo():
    """The history names comments by id. Encapsulate and de-encapsulate reload the whole
    document: its comments must keep their ids, or undoing a comment's move made before
    them fails (KeyError: the signature of a CI failure of the GUI random-action test)."""
    from nodegraph import AddComment, EditComment, RemoveComment
    rt = Runtime.manual()
    build(rt, {"n": ("number", {}), "a": ("math", {"op": "+", "arg": 1})}, [("n", "out", "a", "a")])
    for text in ("one", "two", "three"):
        rt.do(AddComment(text, (0, 0)))
    rt.do(RemoveComment(0))
    before = rt.to_doc()
    cids = sorted(rt.doc.comments)
    rt.do(EditComment(cids[0], pos=(10, 20)))  # a comment dragged
    rt.do(Encapsulate(["a"], "sub"))
    assert sorted(rt.doc.comments) == cids
    rt.do(EditComment(cids[1], text="three!"))
    rt.do(Deencapsulate("sub"))
    assert sorted(rt.doc.comments) == cids
    for _ in range(4):
        assert rt.undo()
    assert sorted(rt.doc.comments) == cids and rt.to_doc() == before
    for _ in range(4):
        assert rt.redo()
    assert rt.doc.comments[cids[0]].pos == (10, 20) and rt.doc.comments[cids[1]].text == "three!"
    rt.close()


def test_taking_a_box_apart_keeps_its_comments_and_the_patchs_own_keep_their_ids():
    """A subpatch's own comments come out with its nodes (they were lost), after the patch's
    own, which keep their ids: a move of one made before still undoes, and so does it all."""
    from nodegraph import AddComment, AddNode, EditComment
    rt = Runtime.manual()
    inner = {"nodes": {"in1": {"type": "inlet", "params": {"name": "x", "type": "float"}, "pos": [0, 0]},
                       "m": {"type": "math", "params": {}, "pos": [40, 40]}},
             "links": [["in1", "out", "m", "a"]],
             "comments": [{"text": "inside: adds", "pos": [40, 0]}]}
    rt.do(AddNode("subpatch", {"patch": inner}, (200, 200), node_id="box"))
    rt.do(AddComment("outside", (0, 0)))
    before = rt.to_doc()
    cid = next(iter(rt.doc.comments))
    rt.do(EditComment(cid, pos=(5, 5)))
    rt.do(Deencapsulate("box"))
    texts = {c.text: k for k, c in rt.doc.comments.items()}
    assert set(texts) == {"outside", "inside: adds"} and texts["outside"] == cid
    assert rt.doc.comments[cid].pos == (5, 5)
    assert rt.undo() and rt.undo()  # the de-encapsulate, then the move
    assert rt.to_doc() == before and sorted(rt.doc.comments) == [cid]
    while rt.undo():  # and on to the empty patch, without a comment lost on the way
        pass
    assert not rt.doc.nodes and not rt.doc.comments
    rt.close()


def test_a_comment_a_box_brought_out_can_be_edited_and_its_redo_finds_it():
    """The engine follows the document's comments after a rearrangement (an edit of a comment
    a box brought out was refused: the engine had no such comment), and a redo gives the
    comments a box brings out the ids they had (a redo of the edit found no comment)."""
    from nodegraph import AddNode, EditComment
    rt = Runtime.manual()
    inner = {"nodes": {"m": {"type": "math", "params": {}, "pos": [40, 40]}}, "links": [],
             "comments": [{"text": "inside", "pos": [40, 0]}]}
    rt.do(AddNode("subpatch", {"patch": inner}, (200, 200), node_id="box"))
    rt.do(Deencapsulate("box"))
    (cid,) = rt.doc.comments
    rt.do(EditComment(cid, text="inside!"))
    assert rt.graph.comments[cid].text == "inside!", "the engine has the comment too"
    assert rt.undo() and rt.undo()
    assert rt.redo() and rt.redo()
    assert rt.doc.comments[cid].text == "inside!" and rt.graph.comments == rt.doc.comments
    rt.close()
