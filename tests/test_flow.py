"""Flow: route, select, gate, change."""
import numpy as np
import pytest

from nodegraph import BANG, SetParam
from nodegraph.errors import NodegraphError, ParamError

from .conftest import build, tap


def taps(rt, node_id):
    node = rt.graph.node(node_id)
    return {o.name: tap(rt, node_id, o.name) for o in node.outlets}


def plain(out):
    return {k: [x.tolist() if isinstance(x, np.ndarray) else x for x in v] for k, v in out.items() if v}


# ---- route ------------------------------------------------------------------------

def test_route_by_first_word(rt):
    build(rt, {"r": ("route", {"keys": "play stop 3"})})
    out = taps(rt, "r")
    for v in ["play 0.5", "stop", "play 1 2", "play fast now", "pause 1", "3 x"]:
        rt.send("r", "in", v)
    assert plain(out) == {"play": [0.5, [1.0, 2.0], "fast now"], "stop": [BANG], "3": ["x"],
                          "reject": ["pause 1"]}


def test_route_osc_messages_by_address(rt):
    build(rt, {"r": ("route", {"keys": "/fader /xy /name"})})
    out = taps(rt, "r")
    rt.send("r", "in", ["/fader", 0.3])
    rt.send("r", "in", ["/xy", 0.1, 0.2])
    rt.send("r", "in", ["/name", "bob", 1])
    rt.send("r", "in", ["/other", 1])
    rt.send("r", "in", ["/fader"])
    assert plain(out) == {"/fader": [0.3, BANG], "/xy": [[0.1, 0.2]], "/name": [["bob", 1]],
                          "reject": [["/other", 1]]}


def test_route_vectors_numbers_labels_and_bang(rt):
    build(rt, {"r": ("route", {"keys": "1 2 wave bang"})})
    out = taps(rt, "r")
    rt.send("r", "in", np.array([1.0, 5.0, 6.0]))
    rt.send("r", "in", np.array([2.0, 7.0]))
    rt.send("r", "in", 2)  # a number or an int label matches by value
    rt.send("r", "in", True)  # true is 1
    rt.send("r", "in", "wave")
    rt.send("r", "in", BANG)
    rt.send("r", "in", 4.0)
    assert plain(out) == {"1": [[5.0, 6.0], BANG], "2": [7.0, BANG], "wave": [BANG], "bang": [BANG],
                          "reject": [4.0]}


@pytest.mark.parametrize("keys, says", [
    ("", "at least one"), ("a b a", "'a' twice"), ("x reject", "cannot use 'reject'"),
])
def test_route_keys_are_checked(rt, keys, says):
    build(rt, {"r": ("route", {})})
    with pytest.raises(ParamError, match=says):
        rt.do(SetParam("r", "keys", keys))
    assert rt.graph.node("r").params["keys"] == "play stop"
    assert [o.name for o in rt.graph.node("r").outlets] == ["play", "stop", "reject"]


def test_route_outlets_follow_the_keys_and_links_keep_their_names(rt):
    build(rt, {"r": ("route", {"keys": "a b"}), "g": ("gate", {"open": True})}, [("r", "b", "g", "in")])
    rt.do(SetParam("r", "keys", "z a b"))  # a new key in front does not move the link off 'b'
    out = tap(rt, "g", "out")
    rt.send("r", "in", "b 1")
    assert out == [1.0]
    with pytest.raises(NodegraphError, match="links use ports"):
        rt.do(SetParam("r", "keys", "a"))


# ---- select -----------------------------------------------------------------------

def test_select_bangs_on_equal_values(rt):
    build(rt, {"s": ("select", {"keys": "1 2.5 wave"})})
    out = taps(rt, "s")
    for v in [1, 1.0, 2.5, "wave", "wave 2", 3, np.array([2.5]), np.array([1.0, 2.0])]:
        rt.send("s", "in", v)
    got = plain(out)
    assert got["1"] == [BANG, BANG] and got["2.5"] == [BANG, BANG] and got["wave"] == [BANG]
    assert got["reject"] == ["wave 2", 3, [1.0, 2.0]]


def test_sel_is_an_alias(rt):
    build(rt, {"s": ("sel", {"keys": "a"})})
    assert rt.graph.node("s").type_id == "select"


# ---- gate -------------------------------------------------------------------------

def test_gate_passes_only_while_open(rt):
    build(rt, {"g": ("gate", {})})
    out = tap(rt, "g", "out")
    rt.send("g", "in", 1)
    rt.do(SetParam("g", "open", True))
    rt.send("g", "in", 2)
    rt.send("g", "open", False)
    rt.send("g", "in", 3)
    rt.send("g", "open", True)
    rt.send("g", "in", "four")
    assert out == [2, "four"]
    assert rt.graph.node("g").info() == {"open": True}


def test_gate_opened_and_fed_in_one_moment_lets_the_value_through(rt):
    """A toggle switches the gate on and a value arrives in the same cascade (trigger fans out)."""
    build(rt, {"t": ("trigger", {"kinds": "a a"}), "g": ("gate", {}), "b": ("toggle", {})},
          [("t", "out1", "b", "in"), ("b", "out", "g", "open"), ("t", "out0", "g", "in")])
    out = tap(rt, "g", "out")
    rt.send("t", "in", 5.0)
    assert out == [5.0]


# ---- change -----------------------------------------------------------------------

def test_change_drops_repeats(rt):
    build(rt, {"c": ("change", {})})
    out = tap(rt, "c", "out")
    for v in [1, 1.0, 2, 2, "a", "a", 1, np.array([1.0, 2.0]), np.array([1.0, 2.0]), np.array([1.0, 3.0]),
              np.array([1.0])]:
        rt.send("c", "in", v)
    assert [x.tolist() if isinstance(x, np.ndarray) else x for x in out] == [
        1, 2, "a", 1, [1.0, 2.0], [1.0, 3.0], [1.0]]


def test_change_bang_and_set(rt):
    build(rt, {"c": ("change", {})})
    out = tap(rt, "c", "out")
    rt.send("c", "in", BANG)  # nothing yet
    rt.send("c", "in", 4)
    rt.send("c", "in", BANG)
    rt.send("c", "set", 5)
    rt.send("c", "in", 5)
    rt.send("c", "in", 6)
    assert out == [4, 4, 6]
