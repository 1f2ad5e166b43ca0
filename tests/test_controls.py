"""Controls and sources, driven by commands and the manual clock."""
import json

import numpy as np
import pytest

from nodegraph import BANG, AddNode, SetParam
from nodegraph.errors import ParamError

from .conftest import build, tap


def timed(rt, node_id, outlet):
    """(logical ms, value) for every value leaving node_id.outlet."""
    seen = []
    rt.graph.node(node_id).watch(outlet, lambda v: seen.append((rt.scheduler.now, v)))
    return seen


# ---- number, slider, toggle, button, xy ---------------------------------------------

def test_number_sends_when_its_value_param_is_set(rt):
    build(rt, {"n": ("number", {})})
    out = tap(rt, "n", "out")
    rt.do(SetParam("n", "value", 3))
    rt.do(SetParam("n", "value", 3))  # no change, nothing sent
    rt.do(SetParam("n", "value", -1.5))
    assert out == [3.0, -1.5]
    rt.undo()  # the saved value goes back; an undo plays nothing (downstream keeps -1.5)
    assert out == [3.0, -1.5] and rt.graph.node("n").params["value"] == 3.0


def test_number_passes_what_arrives_and_keeps_it(rt):
    build(rt, {"n": ("number", {"value": 2})})
    out = tap(rt, "n", "out")
    rt.send("n", "in", 7)
    rt.send("n", "in", BANG)
    rt.send("n", "set", 9)
    assert out == [7.0, 7.0]
    rt.send("n", "in", BANG)
    assert out == [7.0, 7.0, 9.0]
    node = rt.graph.node("n")
    assert node.info() == {"value": 9.0} and node.params["value"] == 2.0  # playing does not edit the set value
    rt.send("n", "in", "seven")
    assert "expects a number" in node.error and out[-1] == 9.0


def test_number_with_init_sends_when_the_patch_starts(rt):
    # init is on by default: a control shows what downstream was sent
    build(rt, {"n": ("number", {"value": 4}), "m": ("number", {"value": 5, "init": False})})
    a, b = tap(rt, "n", "out"), tap(rt, "m", "out")
    rt.start(thread=False)
    assert a == [4.0] and b == []


def test_slider_keeps_values_in_range_and_steps(rt):
    build(rt, {"s": ("slider", {"min": -1, "max": 1, "value": 0.5})})
    out = tap(rt, "s", "out")
    rt.do(SetParam("s", "value", 5))
    rt.send("s", "in", -7)
    assert out == [1.0, -1.0]
    rt.do(SetParam("s", "step", 0.1))
    rt.do(SetParam("s", "value", 0.33))
    assert out[-1] == 0.3
    rt.do(SetParam("s", "min", 0))  # -1 is now out of range... the value was 0.3: unchanged, silent
    assert out[-1] == 0.3 and len(out) == 3
    rt.do(SetParam("s", "max", 0.2))  # the range moved past the value: it follows and is sent
    assert out[-1] == 0.2


def test_slider_range_from_the_file_applies_to_its_value():
    from nodegraph import registry
    node = registry.get("slider")("s", {"value": 50, "min": 0, "max": 100})
    assert node.params["value"] == 50.0
    reverse = registry.get("slider")("s", {"value": 5, "min": 1, "max": 0})
    assert reverse.params["value"] == 1.0


def test_toggle_flips_on_bang_and_follows_numbers(rt):
    build(rt, {"t": ("toggle", {})})
    out = tap(rt, "t", "out")
    rt.do(SetParam("t", "value", True))
    rt.send("t", "in", BANG)
    rt.send("t", "in", BANG)
    rt.send("t", "in", 0)
    rt.send("t", "in", 3)
    assert out == [True, False, True, False, True]


def test_button_bangs_when_pressed_and_springs_back(rt, tmp_path):
    build(rt, {"b": ("button", {})})
    out = tap(rt, "b", "bang")
    rt.do(SetParam("b", "value", True))
    rt.do(SetParam("b", "value", True))
    rt.send("b", "in", 1.0)
    assert out == [BANG, BANG, BANG]
    assert rt.graph.node("b").params["value"] is False
    assert rt.to_doc()["nodes"]["b"]["params"]["value"] is False


def test_xy_sends_the_point_and_each_coordinate(rt):
    build(rt, {"p": ("xy", {"xmin": -1, "xmax": 1, "ymin": 0, "ymax": 10})})
    xy, x, y = tap(rt, "p", "xy"), tap(rt, "p", "x"), tap(rt, "p", "y")
    rt.do(SetParam("p", "value", [0.25, 7]))
    rt.send("p", "in", np.array([5.0, -3.0]))  # clamped into the pad
    assert [v.tolist() for v in xy] == [[0.25, 7.0], [1.0, 0.0]]
    assert x == [0.25, 1.0] and y == [7.0, 0.0]
    with pytest.raises(ParamError, match=r"point \[x, y\]"):
        rt.do(SetParam("p", "value", [1, 2, 3]))
    rt.send("p", "in", np.array([1.0, 2.0, 3.0]))
    assert "point" in rt.graph.node("p").error and len(xy) == 2


# ---- noise ------------------------------------------------------------------------

def _draw(rt, node, n, outlet="value"):
    out = tap(rt, node, outlet)
    for _ in range(n):
        rt.send(node, "bang", BANG)
    return out


def test_noise_is_repeatable_with_a_seed(rt):
    build(rt, {"a": ("noise", {"seed": 7}), "b": ("noise", {"seed": 7}), "c": ("noise", {"seed": 8})})
    a, b, c = list(_draw(rt, "a", 50)), _draw(rt, "b", 50), _draw(rt, "c", 50)
    assert a == b and a != c
    assert all(0.0 <= v <= 1.0 for v in a) and len(set(a)) == 50
    rt.start(thread=False)  # a run starts the sequence again
    assert _draw(rt, "a", 50) == a


def test_noise_distributions_and_vectors(rt):
    build(rt, {"u": ("noise", {"low": 10, "high": 20}),
               "g": ("noise", {"distribution": "gaussian", "mean": 5, "std": 2}),
               "v": ("noise", {"size": 3})})
    u = np.array(_draw(rt, "u", 4000))
    g = np.array(_draw(rt, "g", 4000))
    assert u.min() >= 10 and u.max() <= 20 and abs(u.mean() - 15) < 0.3
    assert abs(g.mean() - 5) < 0.15 and abs(g.std() - 2) < 0.15
    v = _draw(rt, "v", 2, outlet="vector")
    assert [x.shape for x in v] == [(3,), (3,)]
    assert [o.name for o in rt.graph.node("v").outlets] == ["vector"]


# ---- lfo --------------------------------------------------------------------------

def _lfo_at(rt, times):
    out = timed(rt, "l", "out")
    for t in times:
        rt.advance(t - rt.scheduler.now)
        rt.send("l", "bang", BANG)
    return [v for _, v in out]


@pytest.mark.parametrize("shape, expected", [
    ("sine", [0, 1, 0, -1, 0]),
    ("triangle", [0, 1, 0, -1, 0]),
    ("saw", [-1, -0.5, 0, 0.5, -1]),
    ("square", [1, 1, -1, -1, 1]),
])
def test_lfo_values_at_known_times(rt, shape, expected):
    build(rt, {"l": ("lfo", {"shape": shape, "freq": 2.0})})  # 500 ms a cycle
    got = _lfo_at(rt, [0, 125, 250, 375, 500])
    assert got == pytest.approx(expected, abs=1e-12)


def test_lfo_amplitude_offset_and_phase(rt):
    build(rt, {"l": ("lfo", {"shape": "triangle", "amplitude": 0.5, "offset": 0.5, "phase": 0.25})})
    assert _lfo_at(rt, [0, 250, 500, 625]) == pytest.approx([1.0, 0.5, 0.0, 0.25])


def test_lfo_ticks_by_itself_on_the_logical_clock(rt):
    build(rt, {"l": ("lfo", {"freq": 1.0, "rate": 250})})
    out = timed(rt, "l", "out")
    rt.do(SetParam("l", "on", True))
    rt.advance(1000)
    assert [t for t, _ in out] == [0, 250, 500, 750, 1000]
    assert [v for _, v in out] == pytest.approx([0, 1, 0, -1, 0], abs=1e-12)
    rt.send("l", "on", False)
    rt.advance(1000)
    assert len(out) == 5 and rt.graph.node("l").params["on"] is False


def test_lfo_saved_on_starts_ticking_when_the_patch_runs(rt):
    build(rt, {"l": ("lfo", {"on": True, "rate": 100})})
    out = timed(rt, "l", "out")
    rt.advance(300)
    assert out == []  # not running yet
    rt.start(thread=False)
    rt.advance(200)
    assert [t for t, _ in out] == [300, 400, 500]
    rt.stop()
    rt.advance(500)
    assert len(out) == 3


def test_lfo_new_frequency_takes_over_without_a_jump(rt):
    build(rt, {"l": ("lfo", {"freq": 1.0})})
    out = timed(rt, "l", "out")
    rt.advance(250)
    rt.send("l", "bang", BANG)  # phase 0.25: 1.0
    rt.do(SetParam("l", "freq", 2.0))
    rt.send("l", "bang", BANG)  # same moment, same value
    rt.advance(125)  # a quarter of the new 500 ms cycle later: phase 0.5
    rt.send("l", "bang", BANG)
    rt.send("l", "freq", 4.0)
    rt.advance(62.5)  # phase 0.75
    rt.send("l", "bang", BANG)
    assert [v for _, v in out] == pytest.approx([1, 1, 0, -1], abs=1e-12)
    rt.send("l", "reset", BANG)
    rt.send("l", "bang", BANG)
    assert out[-1][1] == pytest.approx(0.0)


# ---- line -------------------------------------------------------------------------

def test_line_glides_and_reaches_the_target_exactly_at_the_end(rt):
    build(rt, {"l": ("line", {"grain": 20})})
    out = timed(rt, "l", "out")
    rt.send("l", "target", [1.0, 100.0])
    rt.advance(1000)
    assert [t for t, _ in out] == [0, 20, 40, 60, 80, 100]
    assert [v for _, v in out] == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert out[-1][1] == 1.0


def test_line_last_step_is_shorter_when_the_grain_does_not_divide_the_time(rt):
    build(rt, {"l": ("line", {"grain": 20})})
    out = timed(rt, "l", "out")
    rt.advance(10)
    rt.send("l", "target", [-2.0, 50.0])
    rt.advance(1000)
    assert [t for t, _ in out] == [10, 30, 50, 60]
    assert [v for _, v in out] == pytest.approx([0, -0.8, -1.6, -2.0])


def test_line_new_target_starts_from_where_it_is(rt):
    build(rt, {"l": ("line", {"grain": 50})})
    out = timed(rt, "l", "out")
    rt.send("l", "target", [10.0, 100.0])
    rt.advance(50)  # at 5
    rt.advance(25)  # at 7.5, between grains
    rt.send("l", "target", [0.0, 75.0])
    rt.advance(1000)
    assert out == [(0, 0.0), (50, 5.0), (75, 7.5), (125, pytest.approx(2.5)), (150, 0.0)]


def test_line_numbers_jump_time_inlet_applies_once_stop_and_set(rt):
    build(rt, {"l": ("line", {"grain": 10})})
    out = timed(rt, "l", "out")
    rt.send("l", "target", 3.0)
    assert out == [(0, 3.0)]
    rt.send("l", "time", 20.0)
    rt.send("l", "target", 5.0)  # glides for 20 ms
    rt.advance(100)
    assert out[1:] == [(0, 3.0), (10, 4.0), (20, 5.0)]
    rt.send("l", "target", 1.0)  # the time was used up: jumps
    assert out[-1] == (100, 1.0)
    rt.send("l", "target", [2.0, 100.0])
    rt.advance(50)
    rt.send("l", "stop", BANG)
    n = len(out)
    rt.advance(200)
    assert len(out) == n and rt.graph.node("l").info()["value"] == pytest.approx(1.5)
    rt.send("l", "set", 8.0)
    rt.send("l", "target", [9.0, 10.0])
    assert out[-1] == (350, 8.0)


# ---- counter ----------------------------------------------------------------------

def _count(rt, n):
    counts, carries = tap(rt, "c", "count"), timed(rt, "c", "carry")
    for i in range(n):
        rt.advance(1)
        rt.send("c", "bang", BANG)
    return counts, [t for t, _ in carries]


@pytest.mark.parametrize("params, counts, carry_at", [
    ({"min": 0, "max": 3}, [0, 1, 2, 3, 0, 1, 2, 3, 0], [4, 8]),
    ({"min": 0, "max": 3, "direction": "down"}, [3, 2, 1, 0, 3, 2], [4]),
    ({"min": 0, "max": 3, "direction": "up-down"}, [0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2], [6]),
    ({"min": 1, "max": 4, "wrap": False}, [1, 2, 3, 4, 4, 4], [4, 5, 6]),
    ({"min": 0, "max": 9, "step": 4}, [0, 4, 8, 2, 6, 0], [3, 5]),
    ({"min": 5, "max": 5}, [5, 5], [1, 2]),
])
def test_counter_sequences(rt, params, counts, carry_at):
    build(rt, {"c": ("counter", params)})
    got, carries = _count(rt, len(counts))
    assert got == counts
    assert carries == carry_at


def test_counter_reset_set_and_count_is_not_saved(rt, tmp_path):
    """A counter's count is process state, as a slider's live value: counting plays the
    patch, it does not edit it. The saved patch holds no count; reopened, it starts over."""
    build(rt, {"c": ("counter", {"max": 100})})
    revision = rt.history.revision
    got, _ = _count(rt, 3)
    rt.send("c", "reset", BANG)
    rt.send("c", "set", 42)
    rt.send("c", "bang", BANG)
    rt.send("c", "set", 1000)  # kept in range
    rt.send("c", "bang", BANG)
    assert got == [0, 1, 2, 42, 100]
    assert rt.history.revision == revision
    path = rt.save(tmp_path / "c.json")
    assert "state" not in json.loads(open(path).read())["nodes"]["c"]
    again = type(rt).open(path)
    seen = []
    again.graph.node("c").watch("count", seen.append)
    again.send("c", "bang", BANG)
    again.send("c", "bang", BANG)
    assert seen == [0.0, 1.0]
    again.close()


def test_counter_refuses_a_broken_saved_state(rt):
    with pytest.raises(ParamError, match="whole-number count"):
        rt.do(AddNode("counter", node_id="c", state={"count": "many"}))


def test_controls_drive_a_chain(rt):
    """A slider into expr into a number: the same commands the editor sends."""
    build(rt, {"s": ("slider", {"max": 10}), "x": ("expr", {"expr": "$f1 * $f1"}), "n": ("number", {})},
          [("s", "out", "x", "f1"), ("x", "out", "n", "in")])
    out = tap(rt, "n", "out")
    rt.do(SetParam("s", "value", 3), merge=True)
    rt.do(SetParam("s", "value", 4), merge=True)
    # the number shows what arrived; its saved value stays (a value arriving is not an edit)
    assert out == [9.0, 16.0] and rt.graph.node("n").info()["value"] == 16.0
    assert rt.graph.node("n").params["value"] == 0.0
    rt.undo()  # one undo step for the whole edit, performed quietly: nothing is sent
    assert out == [9.0, 16.0] and rt.graph.node("s").params["value"] == 0.0


def test_playing_a_control_is_not_an_edit(rt, tmp_path):
    # values played into a slider (the canvas widget sends them to `in`) reach downstream,
    # but leave no undo step and no change in what the patch saves
    build(rt, {"s": ("slider", {"max": 10, "value": 2}), "n": ("number", {})}, [("s", "out", "n", "in")])
    steps = len(rt.history.undo_stack)
    saved = rt.to_doc()
    out = tap(rt, "n", "out")
    for v in (3, 5, 8):
        rt.send("s", "in", v)
    assert out == [3.0, 5.0, 8.0] and rt.graph.node("s").info()["value"] == 8.0
    assert len(rt.history.undo_stack) == steps and rt.history.revision == steps
    assert rt.to_doc() == saved  # the set value (2) is what is saved
    rt.undo()  # the last edit (the link), not a slider move
    assert rt.graph.links == []


def test_undoing_a_toggle_edit_does_not_play_it(rt):
    # a toggle switched by a person while playing is not in the history, so Ctrl+Z never
    # sends False downstream because of it
    build(rt, {"t": ("toggle", {}), "n": ("number", {})}, [("t", "out", "n", "in")])
    out = tap(rt, "n", "out")
    rt.send("t", "in", BANG)
    assert out == [1.0]
    rt.undo()
    assert out == [1.0]
