"""One contract, checked over every registered node type (scikit-learn's check_estimator idea)."""
import json

import mido
import numpy as np
import pytest

from nodegraph import BANG, AddNode, registry
from nodegraph.errors import NodegraphError
from nodegraph.params import Param

TYPES = sorted(registry.all_types())

SAMPLES = {
    "bang": [BANG],
    "float": [0.0, 0.5, -3.0, 1e6],
    "bool": [True, False],
    "text": ["", "hello"],
    "vector": [np.zeros(2), np.array([0.25, 0.75, 1.0])],
    "label": ["a", 2],
    "midi": [mido.Message("note_on", note=60, velocity=100), mido.Message("control_change", control=1, value=64)],
    "any": [BANG, 1.0, "x", np.array([1.0, 2.0])],
    "signal": [],  # sound inlets take links from sound outlets, never sent values
}


def test_library_is_not_empty():
    assert {"loadbang", "metro", "delay", "value", "math", "trigger", "pack", "unpack", "print"} <= set(TYPES)


@pytest.mark.parametrize("type_id", TYPES)
def test_constructs_from_defaults_with_help(type_id):
    cls = registry.get(type_id)
    node = cls("n")
    assert cls.help().strip(), "a node type's docstring is its help text"
    assert len(cls.summary()) <= 100, "the first line is a one-line summary"
    for p in cls.params:
        assert isinstance(p, Param)
        assert p.check(p.default) == node.params[p.name]
    d = node.describe()
    json.dumps(d)
    assert d["type"] == type_id


@pytest.mark.parametrize("type_id", TYPES)
def test_params_and_state_round_trip_through_json(type_id, rt):
    rt.do(AddNode(type_id, node_id="n"))
    doc = json.loads(json.dumps(rt.to_doc()))
    again = type(rt)()
    again.load_doc(doc)
    assert again.graph.nodes["n"].params == rt.graph.nodes["n"].params
    assert json.dumps(again.to_doc(), sort_keys=True) == json.dumps(doc, sort_keys=True)
    again.close()


@pytest.mark.parametrize("type_id", TYPES)
def test_processes_its_declared_input_types(type_id, rt):
    """Every inlet takes every sample of its type: the node runs or refuses with a NodeError
    (marked errored), never any other exception, and the patch keeps running."""
    rt.do(AddNode(type_id, node_id="n"))
    node = rt.graph.nodes["n"]
    for inlet in node.inlets:
        for value in SAMPLES[inlet.type]:
            rt.send("n", inlet.name, value)
            assert node.error is None or isinstance(node.error, str)
            if node.error and not node.error.startswith(("inlet", "has no")):
                # an error must read as a sentence, not a Python exception name
                assert not node.error.split(":")[0].endswith(("Error", "Exception")), node.error
    rt.advance(10)


@pytest.mark.parametrize("type_id", TYPES)
def test_bad_param_value_is_refused_and_old_value_stays(type_id, rt):
    rt.do(AddNode(type_id, node_id="n"))
    node = rt.graph.nodes["n"]
    for p in type(node).params:
        if p.kind == "json":
            continue
        before = node.params[p.name]
        bad = {"float": "x", "int": 1.5, "bool": "yes", "text": 3, "choice": "no-such-choice",
               "vector": ["a"]}[p.kind]
        with pytest.raises(NodegraphError):
            from nodegraph import SetParam
            rt.do(SetParam("n", p.name, bad))
        assert node.params[p.name] == before


def test_no_test_node_type_is_in_the_library():
    # tests register their own types inside a registry scope (tests/conftest.py)
    assert not [t for t in registry.all_types() if t.startswith("test.")]
    assert set(TYPES) == set(registry.all_types())


def _drive(rt, node_id, seen):
    """Start the patch, send every sample into every inlet, let time pass; record every value
    that leaves (per outlet) and check it fits the outlet's declared type."""
    from nodegraph.types import CoercionError, converter
    node = rt.graph.nodes[node_id]
    for outlet in node.outlets:
        convert = converter(outlet.type)

        def check(v, outlet=outlet, convert=convert):
            if convert is not None:
                try:
                    convert(v)
                except CoercionError as e:
                    raise AssertionError(f"{node_id}.{outlet.name} ({outlet.type}) sent {v!r}: {e}")
            seen.append((outlet.name, _plain(v)))
        node.watch(outlet.name, check)
    rt.start(thread=False)
    sent = []
    for inlet in node.inlets:
        for value in SAMPLES[inlet.type]:
            copy = value.copy() if isinstance(value, np.ndarray) else value
            sent.append((value, copy))
            rt.send(node_id, inlet.name, value)
            rt.advance(7)
    rt.advance(500)
    for value, copy in sent:  # a node must not change the arrays it is given
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, copy), f"{node_id} changed an input array"


def _plain(v):
    if isinstance(v, np.ndarray):
        return ("array", v.tolist())
    if isinstance(v, mido.Message):
        return ("midi", v.bytes())
    return v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)


@pytest.mark.parametrize("type_id", TYPES)
def test_runs_stops_sends_its_declared_types_and_is_deterministic(type_id):
    from nodegraph import Runtime
    runs = []
    for _ in range(2):
        rt = Runtime.manual()
        try:
            rt.do(AddNode(type_id, node_id="n"))
            seen = []
            _drive(rt, "n", seen)
            doc = json.loads(json.dumps(rt.to_doc()))  # the document survives activity as JSON
            again = Runtime.manual()
            again.load_doc(doc)
            assert json.dumps(again.to_doc(), sort_keys=True) == json.dumps(doc, sort_keys=True)
            again.close()
            rt.stop()
            runs.append(seen)
        finally:
            rt.close()
    assert runs[0] == runs[1], "the same events must give the same outputs in the same order"


@pytest.mark.parametrize("type_id", TYPES)
def test_every_param_edit_is_undone_exactly(type_id, rt):
    from nodegraph import SetParam
    rt.do(AddNode(type_id, node_id="n"))
    node = rt.graph.nodes["n"]
    for p in type(node).params:
        other = {"float": lambda d: (d or 0) + 1 if p.max is None or (d or 0) + 1 <= p.max else (d or 0) - 1,
                 "int": lambda d: d + 1 if p.max is None or d + 1 <= p.max else d - 1,
                 "bool": lambda d: not d, "text": lambda d: (d or "") + "x",
                 "choice": lambda d: next((c for c in p.choices if c != d), d)}.get(p.kind)
        if other is None:
            continue
        before = rt.to_doc()
        try:
            rt.do(SetParam("n", p.name, other(node.params[p.name])))
        except NodegraphError:
            continue  # that value is refused: nothing changed
        rt.undo()
        assert rt.to_doc() == before, f"undoing {p.name} did not restore the document"
