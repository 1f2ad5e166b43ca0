"""Subpatches and abstractions: boxes that are patches, expanded into one flat patch and run
by the real engine on a manual clock."""
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodegraph import PatchError, Runtime, patchfile
from nodegraph.abstraction import (box_ports, deencapsulate, encapsulate, expand, find, inside, keep_state,
                                   library)


PATCHES = Path(__file__).resolve().parent.parent / "patches"


def patch(nodes, links=(), **extra):
    doc = {"format": "nodegraph-patch", "version": 1, "links": [list(lk) for lk in links],
           "nodes": {k: dict(v) for k, v in nodes.items()}}
    doc.update(extra)
    return doc


def node(type_id, x=0, y=0, **params):
    return {"type": type_id, "params": params, "pos": [x, y]}


def box(type_id, *args, x=0, y=0):
    return {"type": type_id, "params": {"args": list(args)}, "pos": [x, y]}


def save(folder, name, doc):
    (folder / f"{name}.json").write_text(patchfile.dumps(doc))


# an abstraction: what comes in goes out with $1 added
ADD = patch({"in": node("inlet", 0, 0, type="float"),
             "add": node("math", 0, 50, op="+", arg="$1"),
             "out": node("outlet", 0, 100, type="float")},
            [("in", "out", "add", "a"), ("add", "out", "out", "in")])


def run(flat, inputs, watch, into=("src", "a")):
    """Load `flat` into a fresh runtime, send each input, return [(node, value)] in order."""
    rt = Runtime.manual()
    try:
        rt.load_doc(flat)
        rt.start(thread=False)
        seen = []
        for w in watch:
            node_id, outlet = w.split(".")
            rt.graph.node(node_id).watch(outlet, lambda v, w=node_id: seen.append((w, _plain(v))))
        for x in inputs:
            rt.send(*into, x)
        return seen
    finally:
        rt.close()


def _plain(v):
    return v.tolist() if hasattr(v, "tolist") else v


def through(boxes_doc, folder, inputs=(1.0, 2.0)):
    return [v for _, v in run(expand(boxes_doc, folder), inputs, ["dst.out"])]


def chain_with(middle, links_in="b", links_out="b"):
    """src -> middle box -> dst, both `math +0`."""
    return patch({"src": node("math", 0, 0), "b": middle, "dst": node("math", 0, 200)},
                 [("src", "out", links_in, "in"), (links_out, "out", "dst", "a")])


def test_arguments_fill_params_keeping_their_type_or_as_text(tmp_path):
    save(tmp_path, "add", ADD)
    assert through(chain_with(box("add", 5)), tmp_path) == [6.0, 7.0]
    labelled = patch({"in": node("inlet", type="bang"),
                      "v": node("value", value="$1"), "t": node("value", 0, 50, value="take-$1-of-$2"),
                      "out": node("outlet", type="any"), "out2": node("outlet", 10, type="any")},
                     [("in", "out", "v", "in"), ("in", "out", "t", "in"), ("v", "out", "out", "in"),
                      ("t", "out", "out2", "in")])
    save(tmp_path, "labelled", labelled)
    doc = patch({"src": node("button"), "b": box("labelled", 3, "x")},
                [("src", "bang", "b", "in"), ])
    flat = expand(doc, tmp_path)
    assert flat["nodes"]["b/v"]["params"]["value"] == 3  # a number stays a number
    assert flat["nodes"]["b/t"]["params"]["value"] == "take-3-of-x"


def test_declared_defaults_and_wrong_arguments_name_the_box(tmp_path):
    declared = dict(ADD, meta={"args": [{"name": "amount", "default": 100}]})
    save(tmp_path, "add", declared)
    assert through(chain_with(box("add")), tmp_path) == [101.0, 102.0]
    with pytest.raises(PatchError, match=r"box 'b' \(add\): node 'add' param 'arg' expects a number"):
        expand(chain_with(box("add", "lots")), tmp_path)
    with pytest.raises(PatchError, match=r"box 'b' \(add\): takes 1 arguments \(amount\), got 2"):
        expand(chain_with(box("add", 1, 2)), tmp_path)
    save(tmp_path, "add", ADD)
    with pytest.raises(PatchError, match=r"box 'b' \(add\): node 'add' uses argument \$1, but the box has 0"):
        expand(chain_with(box("add")), tmp_path)
    with pytest.raises(PatchError, match=r"box 'b' \(add\): has no inlet 'nope' \(its inlets: in\)"):
        expand(patch({"src": node("math"), "b": box("add", 1)}, [("src", "out", "b", "nope")]), tmp_path)


def test_nesting_three_deep_runs_as_one_flat_graph(tmp_path):
    save(tmp_path, "add", ADD)
    # twice passes its argument down to two adds in a row; four holds two twice, each given $1
    twice = patch({"in": node("inlet", type="float"), "a1": box("add", "$1", y=50), "a2": box("add", "$1", y=100),
                   "out": node("outlet", 0, 150, type="float")},
                  [("in", "out", "a1", "in"), ("a1", "out", "a2", "in"), ("a2", "out", "out", "in")])
    four = patch({"in": node("inlet", type="float"), "t1": box("twice", "$1", y=50),
                  "t2": box("twice", "$2", y=100), "out": node("outlet", 0, 150, type="float")},
                 [("in", "out", "t1", "in"), ("t1", "out", "t2", "in"), ("t2", "out", "out", "in")])
    save(tmp_path, "twice", twice)
    save(tmp_path, "four", four)
    flat = expand(chain_with(box("four", 1, 10)), tmp_path)
    assert sorted(n for n in flat["nodes"] if "/" in n) == [
        "b/t1/a1/add", "b/t1/a2/add", "b/t2/a1/add", "b/t2/a2/add"]  # no pass-through left
    assert [lk for lk in flat["links"] if lk[0] == "src"] == [["src", "out", "b/t1/a1/add", "a"]]
    assert [v for _, v in run(flat, [0.0, 1.0], ["dst.out"])] == [22.0, 23.0]


def test_an_edit_in_the_file_is_seen_by_every_box_using_it(tmp_path):
    save(tmp_path, "add", ADD)
    doc = patch({"src": node("math"), "b1": box("add", 1), "b2": box("add", 2, x=50),
                 "d1": node("math", y=200), "d2": node("math", 50, 200)},
                [("src", "out", "b1", "in"), ("src", "out", "b2", "in"),
                 ("b1", "out", "d1", "a"), ("b2", "out", "d2", "a")])
    watch = ["d1.out", "d2.out"]
    assert sorted(run(expand(doc, tmp_path), [3.0], watch)) == [("d1", 4.0), ("d2", 5.0)]
    edited = json.loads(json.dumps(ADD))
    edited["nodes"]["add"]["params"]["op"] = "*"
    save(tmp_path, "add", edited)
    assert sorted(run(expand(doc, tmp_path), [3.0], watch)) == [("d1", 3.0), ("d2", 6.0)]


def test_a_registered_type_wins_over_a_file_and_the_library_is_found(tmp_path):
    save(tmp_path, "math", ADD)
    assert find("math", tmp_path) is None
    assert find("../x", tmp_path) is None
    assert {"wekinator.classifier", "wekinator.regression", "wekinator.gesture"} <= set(library())
    assert find("wekinator.classifier").name == "wekinator.classifier.json"
    save(tmp_path, "wekinator.classifier", ADD)
    assert find("wekinator.classifier", tmp_path) == tmp_path / "wekinator.classifier.json"


def test_box_ports_from_inlet_and_outlet_nodes_left_to_right():
    inside = patch({"right": node("inlet", 300, type="float", name="b"), "left": node("inlet", 10, type="bang"),
                    "o": node("outlet", 0, 100, type="vector", name="v")})
    assert box_ports(inside) == ([("left", "bang"), ("b", "float")], [("v", "vector")])
    twins = patch({"i": node("inlet", name="x"), "j": node("inlet", 5, name="x")})
    with pytest.raises(PatchError, match="two inlets are named 'x'"):
        box_ports(twins)


def test_a_missing_file_is_a_placeholder_that_round_trips_unchanged(tmp_path):
    gone = {"type": "not.here", "params": {"args": [1, "two", [3]]}, "pos": [40, 60], "state": {"k": 1}}
    doc = patch({"src": node("math"), "b": gone, "dst": node("math", 0, 200), "sub": {
        "type": "subpatch", "pos": [0, 300], "params": {"patch": {"nodes": {"m": node("math")}, "links": []}}}},
        [("src", "out", "b", "in"), ("b", "out", "dst", "a")])
    flat = expand(doc, tmp_path)
    assert {k: v for k, v in flat["nodes"]["b"].items() if k != "pos"} == {k: v for k, v in gone.items() if k != "pos"}
    rt = Runtime.manual()
    try:
        rt.load_doc(flat)
        assert rt.graph.node("b").type_id == "placeholder"
        again = rt.to_doc()
    finally:
        rt.close()
    assert ["src", "out", "b", "in"] in again["links"] and ["b", "out", "dst", "a"] in again["links"]
    assert keep_state(doc, again) == doc  # what the engine ran folds back into the same document


def test_an_abstraction_containing_itself_is_refused_naming_the_chain(tmp_path):
    save(tmp_path, "a", patch({"x": box("b")}))
    save(tmp_path, "b", patch({"y": box("c")}))
    save(tmp_path, "c", patch({"z": box("a")}))
    with pytest.raises(PatchError, match=r"box 'top/x/y/z': abstraction 'a' contains itself \(a → b → c → a\)"):
        expand(patch({"top": box("a")}), tmp_path)
    save(tmp_path, "self", patch({"me": box("self")}))
    with pytest.raises(PatchError, match=r"\(self → self\)"):
        expand(patch({"top": box("self")}), tmp_path)


FAN = patch({"in": node("inlet", type="float"),
             "plus": node("math", 0, 50, op="+", arg=1), "times": node("math", 100, 50, op="*", arg=2),
             "a": node("outlet", 0, 100, type="float"), "b": node("outlet", 100, 100, type="float")},
            [("in", "out", "plus", "a"), ("in", "out", "times", "a"),
             ("plus", "out", "a", "in"), ("times", "out", "b", "in")])


def test_the_diamond_across_a_box_border_joins_once(tmp_path):
    save(tmp_path, "fan", FAN)
    doc = patch({"src": node("math"), "fan": box("fan", y=50),
                 "join": node("pack", 0, 150, size=2, hot="all")},
                [("src", "out", "fan", "in"), ("fan", "a", "join", "in0"), ("fan", "b", "join", "in1")])
    assert run(expand(doc, tmp_path), [1.0, 5.0], ["join.vector"]) == [("join", [2.0, 2.0]), ("join", [6.0, 10.0])]
    # the same with the join inside a subpatch, fed from outside and from the box
    sub = {"type": "subpatch", "pos": [0, 150], "params": {"patch": {
        "nodes": {"l": node("inlet", type="float"), "r": node("inlet", 50, type="float"),
                  "join": node("pack", 0, 50, size=2, hot="all"), "o": node("outlet", 0, 100, type="vector")},
        "links": [["l", "out", "join", "in0"], ["r", "out", "join", "in1"], ["join", "vector", "o", "in"]]}}}
    doc = patch({"src": node("math"), "fan": box("fan", y=50), "sub": sub, "end": node("unpack", 0, 300)},
                [("src", "out", "fan", "in"), ("fan", "a", "sub", "l"), ("fan", "b", "sub", "r"),
                 ("sub", "o", "end", "vector")])
    flat = expand(doc, tmp_path)
    assert not [n for n, v in flat["nodes"].items() if v["type"] in ("inlet", "outlet")]
    assert run(flat, [3.0], ["sub/join.vector"]) == [("sub/join", [4.0, 6.0])]


def test_trigger_order_across_a_border_is_the_flat_patch_order(tmp_path):
    """A trigger's right outlet reaches a node inside a box before its left outlet reaches one
    outside, exactly as when the same nodes are drawn flat."""
    save(tmp_path, "add", ADD)
    drawn_flat = patch({"t": node("trigger", kinds="f f"), "add": node("math", 100, 50, arg=1),
                        "left": node("math", 0, 50), "after": node("math", 100, 100)},
                       [("t", "out1", "add", "a"), ("t", "out0", "left", "a"), ("add", "out", "after", "a")])
    boxed = patch({"t": node("trigger", kinds="f f"), "b": box("add", 1, x=100, y=50),
                   "left": node("math", 0, 50), "after": node("math", 100, 100)},
                  [("t", "out1", "b", "in"), ("t", "out0", "left", "a"), ("b", "out", "after", "a")])
    flat_order = run(drawn_flat, [7.0], ["add.out", "left.out", "after.out"], into=("t", "in"))
    boxed_order = run(expand(boxed, tmp_path), [7.0], ["b/add.out", "left.out", "after.out"], into=("t", "in"))
    assert [(n.replace("b/", ""), v) for n, v in boxed_order] == flat_order == [
        ("add", 8.0), ("left", 7.0), ("after", 8.0)]


def test_a_port_that_converts_stays_as_a_pass_through(tmp_path):
    """A bang inlet feeding a `value` (any): the value must get a bang and send what it holds,
    so the inlet node stays and converts; a float reaching it is refused as a float-to-vector
    link would be."""
    inside = patch({"in": node("inlet", type="bang"), "v": node("value", 0, 50, value=42),
                    "out": node("outlet", 0, 100, type="float")},
                   [("in", "out", "v", "in"), ("v", "out", "out", "in")])
    save(tmp_path, "hold", inside)
    flat = expand(chain_with(box("hold")), tmp_path)
    assert flat["nodes"]["b/in"]["type"] == "inlet" and "b/out" not in flat["nodes"]
    assert [v for _, v in run(flat, [1.0], ["dst.out"])] == [42.0]
    save(tmp_path, "vec", patch({"in": node("inlet", type="vector"), "o": node("outlet", type="vector")},
                                [("in", "out", "o", "in")]))
    doc = patch({"t": node("trigger", kinds="t"), "b": box("vec")}, [("t", "out0", "b", "in")])
    with pytest.raises(PatchError, match=r"box 'b' \(vec\): cannot link t.out0 \(text\) to the box's inlet "
                                         r"'in' \(vector\)"):
        expand(doc, tmp_path)


def test_encapsulate_and_deencapsulate_round_trip():
    doc = patch({"src": node("math", 0, 0), "plus": node("math", 0, 50, arg=1),
                 "times": node("math", 100, 50, op="*", arg=2), "both": node("math", 50, 100, op="+"),
                 "t": node("trigger", 200, 50, kinds="f"), "dst": node("math", 50, 200)},
                [("src", "out", "plus", "a"), ("src", "out", "times", "a"), ("plus", "out", "both", "a"),
                 ("times", "out", "both", "b"), ("src", "out", "t", "in"), ("t", "out0", "plus", "b"),
                 ("both", "out", "dst", "a"), ("times", "out", "dst", "b")],
                comments=[{"text": "hello", "pos": [0, 0]}])
    boxed = encapsulate(doc, ["plus", "times", "both"], "group")
    inside = boxed["nodes"]["group"]["params"]["patch"]
    assert set(boxed["nodes"]) == {"src", "t", "dst", "group"}
    ins, outs = box_ports(inside)
    assert ins == [("a", "float"), ("b", "float")]  # src.out (to plus and times) and t.out0
    assert outs == [("out", "float"), ("out2", "float")]  # both.out and times.out
    assert sorted(lk for lk in boxed["links"] if "group" in (lk[0], lk[2])) == [
        ["group", "out", "dst", "a"], ["group", "out2", "dst", "b"],
        ["src", "out", "group", "a"], ["t", "out0", "group", "b"]]
    back = deencapsulate(boxed, "group")
    assert back["nodes"] == doc["nodes"] and back["comments"] == doc["comments"]
    assert back["links"] == sorted(doc["links"])
    # x = 1: t sets plus's b to 1 first (it stands right of plus), so plus = 2, times = 2, both = 4
    flat_run = run(doc, [1.0, 3.0], ["both.out", "dst.out"])
    assert flat_run == [("both", 4.0), ("dst", 6.0), ("both", 12.0), ("dst", 18.0)]
    boxed_run = run(expand(boxed), [1.0, 3.0], ["group/both.out", "dst.out"])
    assert [(n.replace("group/", ""), v) for n, v in boxed_run] == flat_run


def test_deencapsulate_an_abstraction_fills_its_arguments(tmp_path):
    save(tmp_path, "add", ADD)
    doc = chain_with(box("add", 4))
    doc["nodes"]["add"] = node("print", 300, 300)  # a name taken outside: the inner add is renamed
    flat = deencapsulate(doc, "b", tmp_path)
    assert flat["nodes"]["add_2"]["params"] == {"op": "+", "arg": 4}
    assert flat["links"] == [["add_2", "out", "dst", "a"], ["src", "out", "add_2", "a"]]


def test_a_boxs_inner_state_is_saved_with_the_box_not_in_the_file(tmp_path):
    counter = patch({"in": node("inlet", type="float"), "v": node("value", 0, 50)}, [("in", "out", "v", "set")])
    counter["nodes"]["v"]["state"] = {"seen": 0}
    save(tmp_path, "keep", counter)
    doc = patch({"b": box("keep")})
    flat = expand(doc, tmp_path)
    flat["nodes"]["b/v"]["state"] = {"seen": 3}
    kept = keep_state(doc, flat)
    assert kept["nodes"]["b"]["state"] == {"v": {"seen": 3}}
    assert expand(kept, tmp_path)["nodes"]["b/v"]["state"] == {"seen": 3}
    assert patchfile.read(tmp_path / "keep.json")["nodes"]["v"]["state"] == {"seen": 0}


def through_ports(nodes, links, x=0, y=0):
    """A subpatch box: `nodes` between an inlet and an outlet of floats."""
    nodes = dict(nodes, i=node("inlet", type="float"), o=node("outlet", 0, 500, type="float"))
    return {"type": "subpatch", "pos": [x, y], "params": {"patch": {"nodes": nodes, "links": links}}}


def test_subpatches_nest_and_share_their_abstractions_arguments(tmp_path):
    """As in Pd, $1 and $0 inside a subpatch are those of the abstraction around it."""
    inner = through_ports({"m": node("math", 0, 50, arg="$1"), "tag": node("value", 50, 0, value="$0-x")},
                          [["i", "out", "m", "a"], ["m", "out", "o", "in"]])
    outer = through_ports({"s2": inner}, [["i", "out", "s2", "i"], ["s2", "o", "o", "in"]])
    save(tmp_path, "deep", patch({"in": node("inlet", type="float"), "s1": outer,
                                  "out": node("outlet", 0, 500, type="float")},
                                 [["in", "out", "s1", "i"], ["s1", "o", "out", "in"]]))
    flat = expand(chain_with(box("deep", 7)), tmp_path)
    assert flat["nodes"]["b/s1/s2/tag"]["params"]["value"] == "b-x"
    assert set(flat["nodes"]) == {"src", "dst", "b/s1/s2/m", "b/s1/s2/tag"}
    assert [v for _, v in run(flat, [1.0], ["dst.out"])] == [8.0]
    opened = inside(box("deep", 7), "b", tmp_path)  # what the editor shows when the box is opened
    assert opened["nodes"]["s1"]["params"]["patch"]["nodes"]["s2"]["params"]["patch"]["nodes"]["m"]["params"] \
        == {"arg": 7}


def test_one_value_through_two_inlets_to_one_node_still_arrives_twice(tmp_path):
    twice = patch({"i1": node("inlet", type="float"), "i2": node("inlet", 50, type="float"),
                   "m": node("math", 0, 50, arg=1)}, [("i1", "out", "m", "a"), ("i2", "out", "m", "a")])
    save(tmp_path, "twice", twice)
    doc = patch({"src": node("math"), "b": box("twice", y=50)}, [("src", "out", "b", "i1"), ("src", "out", "b", "i2")])
    assert run(expand(doc, tmp_path), [1.0], ["b/m.out"]) == [("b/m", 2.0), ("b/m", 2.0)]


EXAMPLES = sorted(p for p in PATCHES.glob("*.json") if not p.name.endswith("-box.json"))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_selection_of_any_example_encapsulates_and_comes_back(data):
    """Encapsulating is undone exactly by de-encapsulating, and the box runs the very links
    the patch had: its inlet and outlet nodes leave nothing behind once expanded."""
    doc = patchfile.read(data.draw(st.sampled_from(EXAMPLES)))
    chosen = data.draw(st.sets(st.sampled_from(sorted(doc["nodes"])), min_size=1))
    boxed = encapsulate(doc, chosen, "group")
    back = deencapsulate(boxed, "group")
    assert back["nodes"] == doc["nodes"] and back["links"] == sorted(doc["links"])
    flat = expand(boxed)
    assert sorted(flat["nodes"]) == sorted(n if n not in chosen else f"group/{n}" for n in doc["nodes"])
    assert sorted([lk[0].removeprefix("group/"), lk[1], lk[2].removeprefix("group/"), lk[3]]
                  for lk in flat["links"]) == sorted(doc["links"])
    rt = Runtime.manual()
    try:
        rt.load_doc(flat)  # the engine's own checks: every port there, every type fitting
    finally:
        rt.close()


def test_fanning_out_into_a_box_orders_its_inside_at_the_boxs_place(tmp_path):
    """Right to left as always: the box (x 300) before the node at x 100, and inside the box
    its own right to left, wherever its nodes stand in its own canvas."""
    save(tmp_path, "pair", patch({"in": node("inlet", type="float"), "a": node("math", 0, 50),
                                  "b": node("math", 500, 50)}, [("in", "out", "a", "a"), ("in", "out", "b", "a")]))
    doc = patch({"src": node("math"), "o": node("math", 100, 50), "box": box("pair", x=300, y=50),
                 "far": node("math", 1000, 50)},
                [("src", "out", "o", "a"), ("src", "out", "box", "in"), ("src", "out", "far", "a")])
    order = run(expand(doc, tmp_path), [1.0], ["o.out", "box/a.out", "box/b.out", "far.out"])
    assert [n for n, _ in order] == ["far", "box/b", "box/a", "o"]
