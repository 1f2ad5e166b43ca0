"""Scheduler semantics: hot/cold, the diamond, order, time, errors, cycles."""
import numpy as np
import pytest

from nodegraph import BANG, AddNode, Connect, LinkError, Node, Inlet, Outlet, register
from nodegraph.errors import NodeError

from .conftest import build, tap


class Boom(Node):
    """Fails on negative numbers (a test node); passes others through."""

    inlets = (Inlet("in", "float"),)
    outlets = (Outlet("out", "float"),)

    def process(self, fired):
        if self.inputs["in"] < 0:
            raise ValueError("negative")
        self.emit("out", self.inputs["in"])


class Burst(Node):
    """Emits 1, 2, 3 on one outlet in one run, and 10, 20, 30 on another (a test node)."""

    inlets = (Inlet("in", "bang"),)
    outlets = (Outlet("a", "float"), Outlet("b", "float"))

    def process(self, fired):
        for v in (1.0, 2.0, 3.0):
            self.emit("a", v)
        for v in (10.0, 20.0, 30.0):
            self.emit("b", v)


@pytest.fixture(autouse=True)
def test_types(_registry_scope):
    register("test.boom", category="test")(Boom)
    register("test.burst", category="test")(Burst)


def test_hot_inlet_computes_cold_inlet_only_stores(rt):
    build(rt, {"m": ("math", {"op": "*"})})
    out = tap(rt, "m", "out")
    rt.send("m", "b", 3)
    assert out == []
    rt.send("m", "a", 2)
    assert out == [6.0]
    rt.send("m", "b", 10)
    rt.send("m", "a", 2)
    assert out == [6.0, 20.0]


@pytest.mark.parametrize("order", [0, 1])
def test_diamond_join_runs_once_with_fresh_values(rt, order):
    # a → b (×2) → d.a ; a → c (+1) → d.b ; d = b + c, whatever the link order
    nodes = {"a": ("math", {"op": "+"}), "b": ("math", {"op": "*", "arg": 2}),
             "c": ("math", {"op": "+", "arg": 1}), "d": ("math", {"op": "+"})}
    links = [("a", "out", "b", "a"), ("a", "out", "c", "a"), ("b", "out", "d", "a"), ("c", "out", "d", "b")]
    build(rt, nodes, links if order == 0 else list(reversed(links)))
    out = tap(rt, "d", "out")
    rt.send("a", "a", 5)
    assert out == [10 + 6]
    rt.send("a", "a", 1)
    assert out == [16, 2 + 2]


def test_diamond_with_both_inlets_hot_still_runs_once(rt):
    build(rt, {"a": ("math", {}), "b": ("math", {"arg": 1}), "c": ("math", {"arg": 2}),
               "p": ("pack", {"size": 2, "hot": "all"})},
          [("a", "out", "b", "a"), ("a", "out", "c", "a"), ("b", "out", "p", "in0"), ("c", "out", "p", "in1")])
    out = tap(rt, "p", "vector")
    rt.send("a", "a", 10)
    assert [v.tolist() for v in out] == [[11.0, 12.0]]


def test_several_values_on_one_outlet_each_run_downstream_in_order(rt):
    build(rt, {"burst": ("test.burst", {}), "sum": ("math", {"op": "+"})},
          [("burst", "a", "sum", "a"), ("burst", "b", "sum", "b")])
    out = tap(rt, "sum", "out")
    rt.send("burst", "in", BANG)
    # round i pairs the i-th value of each inlet: nothing is merged or dropped
    assert out == [11.0, 22.0, 33.0]


def test_same_patch_same_events_same_outputs(rt):
    def run_once():
        from nodegraph import Runtime
        r = Runtime.manual()
        build(r, {"m": ("metro", {"interval": 7}), "t": ("trigger", {"kinds": "b f"}),
                  "x": ("math", {"op": "+", "arg": 1}), "p": ("print", {})},
              [("m", "bang", "t", "in"), ("t", "out0", "p", "in"), ("t", "out1", "x", "a"),
               ("x", "out", "p", "in")])
        lines = []
        r.console.subscribe(lambda line: lines.append(str(line)))
        r.start(thread=False)
        r.send("m", "on", True)
        r.send("t", "in", 4.0)
        r.advance(50)
        r.close()
        return lines
    first = run_once()
    assert first and run_once() == first


def test_trigger_fires_right_to_left(rt):
    build(rt, {"t": ("trigger", {"kinds": "f f b"}), "p": ("print", {})},
          [("t", "out0", "p", "in"), ("t", "out1", "p", "in"), ("t", "out2", "p", "in")])
    order = []
    for name in ("out0", "out1", "out2"):
        rt.graph.node("t").watch(name, lambda v, name=name: order.append(name))
    rt.send("t", "in", 3.0)
    assert order == ["out2", "out1", "out0"]


def test_metro_ticks_on_the_manual_clock(rt):
    build(rt, {"m": ("metro", {"interval": 100})})
    times = []
    rt.graph.node("m").watch("bang", lambda v: times.append(rt.scheduler.now))
    rt.start(thread=False)
    rt.send("m", "on", BANG)
    rt.advance(350)
    assert times == [0.0, 100.0, 200.0, 300.0]
    rt.send("m", "on", 0)
    rt.advance(500)
    assert len(times) == 4


def test_metro_interval_inlet_changes_the_next_interval(rt):
    build(rt, {"m": ("metro", {"interval": 100})})
    times = []
    rt.graph.node("m").watch("bang", lambda v: times.append(rt.scheduler.now))
    rt.send("m", "interval", 50)
    rt.send("m", "on", 1)
    rt.advance(120)
    assert times == [0.0, 50.0, 100.0]


def test_delay_waits_and_retriggers(rt):
    build(rt, {"d": ("delay", {"time": 100})})
    out = []
    rt.graph.node("d").watch("out", lambda v: out.append((rt.scheduler.now, v)))
    rt.send("d", "in", 1.0)
    rt.advance(60)
    rt.send("d", "in", 2.0)  # restarts the wait (Pd's delay)
    rt.advance(99)
    assert out == []
    rt.advance(1)
    assert out == [(160.0, 2.0)]
    rt.send("d", "in", 3.0)
    rt.send("d", "stop", BANG)
    rt.advance(500)
    assert out == [(160.0, 2.0)]


def test_feedback_through_delay_counts(rt):
    build(rt, {"one": ("value", {"value": 1}), "sum": ("math", {}), "back": ("delay", {"time": 0})},
          [("one", "out", "sum", "a"), ("sum", "out", "back", "in"), ("back", "out", "sum", "b")])
    out = tap(rt, "sum", "out")
    for _ in range(3):
        rt.send("one", "in", BANG)
        rt.advance(1)
    assert out == [1.0, 2.0, 3.0]


def test_zero_delay_cycle_is_refused_naming_the_cycle(rt):
    build(rt, {"a": ("math", {}), "b": ("math", {}), "c": ("math", {})},
          [("a", "out", "b", "a"), ("b", "out", "c", "a")])
    with pytest.raises(LinkError) as e:
        rt.do(Connect("c", "out", "a", "b"))
    assert "c → a → b → c" in str(e.value)
    assert len(rt.graph.links) == 2
    with pytest.raises(LinkError, match="itself"):
        rt.do(Connect("a", "out", "a", "b"))


def test_error_in_a_node_is_isolated(rt):
    build(rt, {"src": ("math", {}), "bad": ("test.boom", {}), "good": ("math", {"arg": 100}),
               "after": ("math", {})},
          [("src", "out", "bad", "in"), ("src", "out", "good", "a"), ("bad", "out", "after", "a")])
    good, after = tap(rt, "good", "out"), tap(rt, "after", "out")
    events = []
    rt.graph.subscribe(lambda *e: events.append(e))
    rt.send("src", "a", -1)
    bad = rt.graph.node("bad")
    assert bad.error == "ValueError: negative"
    assert ("error", "bad", "ValueError: negative") in events
    assert good == [99.0] and after == []
    assert any("negative" in t for t in rt.console.texts("error"))
    rt.send("src", "a", 5)  # the patch keeps running, and the node recovers
    assert good == [99.0, 105.0] and after == [5.0]
    assert bad.error is None


def test_wrong_value_type_on_an_any_link_marks_the_receiver(rt):
    build(rt, {"v": ("value", {"value": "text"}), "m": ("math", {})}, [("v", "out", "m", "a")])
    out = tap(rt, "m", "out")
    rt.send("v", "in", BANG)
    assert out == [] and "expects a number" in rt.graph.node("m").error


def test_ints_and_bools_arrive_as_float(rt):
    build(rt, {"v": ("value", {"value": 3}), "m": ("math", {})}, [("v", "out", "m", "a")])
    out = tap(rt, "m", "out")
    rt.send("v", "in", BANG)
    rt.send("m", "a", True)
    assert out == [3.0, 1.0] and all(type(v) is float for v in out)


def test_pack_and_unpack(rt):
    build(rt, {"p": ("pack", {"size": 3}), "u": ("unpack", {"size": 3})}, [("p", "vector", "u", "vector")])
    outs = [tap(rt, "u", f"out{i}") for i in range(3)]
    rt.send("p", "in2", 3)
    rt.send("p", "in1", 2)
    rt.send("p", "in0", 1)
    assert [o for o in outs] == [[1.0], [2.0], [3.0]]
    rt.send("u", "vector", np.array([7.0]))  # shorter: only the first outlet
    assert outs[0] == [1.0, 7.0] and outs[1] == [2.0]


def test_node_error_message_is_kept_as_written(rt):
    @register("test.refuse", category="test")
    class Refuse(Node):
        """Refuses everything (a test node)."""
        inlets = (Inlet("in", "any"),)

        def process(self, fired):
            raise NodeError("expects 3 features, got 2")

    rt.do(AddNode("test.refuse", node_id="r"))
    rt.send("r", "in", 1)
    assert rt.graph.node("r").error == "expects 3 features, got 2"


def test_threaded_runtime_posts_from_other_threads():
    import threading
    from nodegraph import Runtime
    with Runtime() as r:
        build(r, {"m": ("math", {"arg": 1})})
        got = []
        done = threading.Event()
        r.graph.node("m").watch("out", lambda v: (got.append((v, threading.current_thread().name)), done.set()))
        r.start()
        r.send("m", "a", 41)
        assert done.wait(5)
        assert got == [(42.0, "nodegraph-scheduler")]


def test_stopping_drops_pending_timers(rt):
    from nodegraph import Node, Outlet, register

    @register("test.forgetful", category="test")
    class Forgetful(Node):
        """Schedules a bang and never cancels it (a test node)."""
        outlets = (Outlet("out", "bang"),)

        def start(self):
            self.schedule(100, self.emit, "out", BANG)

    rt.do(AddNode("test.forgetful", node_id="f"))
    out = tap(rt, "f", "out")
    rt.start(thread=False)
    rt.stop()
    rt.advance(500)
    assert out == []


@pytest.mark.parametrize("names", [("left", "right"), ("zz", "aa"), ("a1", "b2"), ("b2", "a1")])
def test_trigger_order_does_not_depend_on_names(rt, names):
    # Pd's trigger: the right outlet's target runs first, whatever the targets are called
    left, right = names
    build(rt, {"t": ("trigger", {"kinds": "b b"}), left: ("print", {"prefix": "LEFT"}),
               right: ("print", {"prefix": "RIGHT"})},
          [("t", "out0", left, "in"), ("t", "out1", right, "in")])
    rt.send("t", "in", 1.0)
    assert [line for line in rt.console.texts() if line.startswith(("LEFT", "RIGHT"))] == ["RIGHT: bang", "LEFT: bang"]


def test_diamond_still_joins_once_after_a_trigger(rt):
    # t.right → b (+1) → d.b ; t.left → d.a : d runs once, after b, with both values
    build(rt, {"t": ("trigger", {"kinds": "f f"}), "b": ("math", {"op": "+", "arg": 1}),
               "d": ("math", {"op": "+"})},
          [("t", "out0", "d", "a"), ("t", "out1", "b", "a"), ("b", "out", "d", "b")])
    out = tap(rt, "d", "out")
    rt.send("t", "in", 5.0)
    assert out == [5 + 6]


@pytest.mark.parametrize("names", [("a", "b"), ("b", "a")])
def test_fan_out_goes_right_to_left_whatever_the_names_and_link_order(rt, names):
    # one outlet to two prints: the one placed right hears first (Max's order), whatever the
    # nodes are called and whichever link was made first; moving them swaps the order
    from nodegraph import Move
    left, right = names
    rt.do(AddNode("value", {"value": 1}, node_id="v"))
    rt.do(AddNode("print", {"prefix": "LEFT"}, pos=(0, 100), node_id=left))
    rt.do(AddNode("print", {"prefix": "RIGHT"}, pos=(300, 100), node_id=right))
    for target in sorted(names):
        rt.do(Connect("v", "out", target, "in"))
    rt.send("v", "in", BANG)
    rt.do(Move(right, (-300, 100)))
    rt.send("v", "in", BANG)
    heard = [t.split(":")[0] for t in rt.console.texts() if t.startswith(("LEFT", "RIGHT"))]
    assert heard == ["RIGHT", "LEFT", "LEFT", "RIGHT"]


def test_a_playing_patch_is_out_of_the_garbage_collectors_sight_until_it_closes():
    """Python's collector walks every object it sees, holding the interpreter (45-65 ms with
    scikit-learn loaded: a stall a live stream hears). Once a patch plays on its thread, what
    was there before is out of its sight; closing the patch gives it back."""
    import gc

    from nodegraph import Runtime

    rt = Runtime()
    build(rt, {"m": ("math", {"op": "+", "arg": 1}), "l": ("ml.classify", {})}, [])
    learner = rt.graph.node("l")
    rt.start()
    try:
        assert gc.get_freeze_count() > 0
        assert not any(o is learner for o in gc.get_objects())
        rt.send("m", "a", 1.0)  # the patch still plays
        rt.call(lambda: None)  # the scheduler's thread has handled it
        assert rt.graph.node("m").last["out"] == 2.0
        # a sound stream that stops while the patch plays (its last synth deleted) leaves the
        # patch's objects out of sight: the freeze is the whole process's, shared
        from nodegraph import collector

        stream = object()
        collector.hold(stream)
        collector.release(stream)
        assert gc.get_freeze_count() > 0 and not any(o is learner for o in gc.get_objects())
    finally:
        rt.close()
    assert gc.get_freeze_count() == 0
    assert any(o is learner for o in gc.get_objects())
