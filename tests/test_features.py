"""Feature extractors: scale, clip, smooth, delta, window, normalize, join, slice, magnitude."""
import numpy as np
import pytest

from nodegraph import BANG, SetParam

from .conftest import build, tap


def run(rt, node_id, values, inlet="in", outlet="out", every_ms=0):
    out = tap(rt, node_id, outlet)
    for v in values:
        rt.advance(every_ms)
        rt.send(node_id, inlet, v)
    return out


def vecs(out):
    return [v.tolist() if isinstance(v, np.ndarray) else v for v in out]


# ---- scale, clip ------------------------------------------------------------------

def test_scale_maps_ranges_for_numbers_and_vectors(rt):
    build(rt, {"s": ("scale", {"in_min": 0, "in_max": 127, "out_min": -1, "out_max": 1})})
    out = run(rt, "s", [0, 127, 63.5, 254, np.array([0.0, 127.0, 31.75])])
    assert out[:4] == [-1.0, 1.0, 0.0, 3.0]
    assert isinstance(out[0], float)
    assert out[4].tolist() == [-1.0, 1.0, -0.5]


def test_scale_clip_and_curve(rt):
    build(rt, {"s": ("scale", {"out_max": 10, "clip": True, "curve": 2.0})})
    out = run(rt, "s", [0.5, 2.0, -1.0, np.array([0.5, 1.5])])
    assert out[:3] == [2.5, 10.0, 0.0]
    assert out[3].tolist() == [2.5, 10.0]
    rt.do(SetParam("s", "clip", False))
    out2 = run(rt, "s", [-0.5])  # below the range the curve keeps its sign
    assert out2 == [-2.5]


@pytest.mark.parametrize("clip", [False, True])
def test_scale_gives_a_few_numbers_the_same_bits_as_a_long_vector(rt, clip):
    """A sensor's few numbers take a quicker way than a long vector: the result is the same
    to the last bit (NaN, infinities and -0.0 included), whatever the vector's length."""
    build(rt, {"s": ("scale", {"in_min": 0.3, "in_max": 7.1, "out_min": -2.2, "out_max": 9.7, "clip": clip})})
    rng = np.random.default_rng(7)
    x = np.concatenate([[np.nan, np.inf, -np.inf, -0.0, 0.3, 7.1], rng.normal(size=194) * 6])
    whole = run(rt, "s", [x])[0]  # 200 numbers: numpy's way
    cuts = np.cumsum([1, 3, 10, 16] * 6)  # pieces of 1, 3, 10 and 16 numbers, in a row
    few = np.concatenate(run(rt, "s", np.split(x[:cuts[-1]], cuts[:-1])))
    assert few.dtype == whole.dtype == np.float64
    assert np.array_equal(few, whole[:len(few)], equal_nan=True)
    assert np.array_equal(np.signbit(few), np.signbit(whole[:len(few)]))


def test_scale_with_an_empty_input_range_gives_out_min(rt):
    build(rt, {"s": ("scale", {"in_min": 3, "in_max": 3, "out_min": 7})})
    assert run(rt, "s", [3, 100, np.array([1.0, 2.0])])[:2] == [7.0, 7.0]


def test_scale_refuses_text_with_a_sentence(rt):
    build(rt, {"s": ("scale", {})})
    run(rt, "s", ["loud"])
    assert rt.graph.node("s").error == "expects a number or a list of numbers, got 'loud'"


def test_clip(rt):
    build(rt, {"c": ("clip", {"min": 1, "max": -1})})  # reversed ends are understood
    out = run(rt, "c", [5, -5, 0.25, np.array([-2.0, 0.5, 2.0])])
    assert vecs(out) == [1.0, -1.0, 0.25, [-1.0, 0.5, 1.0]]


# ---- smooth -----------------------------------------------------------------------

def test_smooth_one_pole(rt):
    build(rt, {"s": ("smooth", {"amount": 0.5})})
    assert run(rt, "s", [0, 1, 1, 1]) == [0.0, 0.5, 0.75, 0.875]
    rt.send("s", "reset", 1)
    out = run(rt, "s", [np.array([2.0, 4.0]), np.array([0.0, 0.0])])
    assert vecs(out) == [[2.0, 4.0], [1.0, 2.0]]


def test_smooth_moving_average_equals_numpy(rt):
    build(rt, {"s": ("smooth", {"mode": "average", "n": 4})})
    xs = np.random.default_rng(0).normal(size=(30, 3))
    out = run(rt, "s", list(xs))
    for i, got in enumerate(out):
        assert got == pytest.approx(xs[max(0, i - 3):i + 1].mean(axis=0))
    floats = run(rt, "s", [1, 2, 3, 4, 5])  # a float stream starts afresh
    assert floats[-5:] == [1.0, 1.5, 2.0, 2.5, 3.5]


# ---- delta ------------------------------------------------------------------------

def test_delta_is_velocity_per_second_of_logical_time(rt):
    build(rt, {"d": ("delta", {})})
    out = tap(rt, "d", "out")
    rt.send("d", "in", 1.0)
    rt.advance(100)
    rt.send("d", "in", 2.0)  # +1 in 0.1 s
    rt.advance(500)
    rt.send("d", "in", 1.0)  # -1 in 0.5 s
    assert out == [0.0, pytest.approx(10.0), pytest.approx(-2.0)]


def test_delta_on_vectors_and_values_in_one_moment(rt):
    build(rt, {"d": ("delta", {})})
    out = tap(rt, "d", "out")
    rt.send("d", "in", np.array([0.0, 0.0]))
    rt.advance(250)
    rt.send("d", "in", np.array([1.0, -1.0]))
    rt.send("d", "in", np.array([2.0, -2.0]))  # no time passed: the last velocity again
    rt.advance(250)
    rt.send("d", "in", np.array([2.0, -2.0]))  # the jump is counted now: from [1, -1], kept, over 0.25 s
    assert vecs(out) == [[0, 0], [4.0, -4.0], [4.0, -4.0], [4.0, -4.0]]
    rt.advance(500)
    rt.send("d", "in", np.array([2.0, -2.0]))
    assert vecs(out)[-1] == [0.0, 0.0]


def test_delta_difference_mode_and_reset(rt):
    build(rt, {"d": ("delta", {"mode": "difference"})})
    assert run(rt, "d", [1, 4, 2]) == [0.0, 3.0, -2.0]
    rt.send("d", "reset", 1)
    assert run(rt, "d", [10])[-1] == 0.0


# ---- window -----------------------------------------------------------------------

def test_window_statistics_equal_numpys(rt):
    n = 7
    build(rt, {"w": ("window", {"n": n})})
    outs = {k: tap(rt, "w", k) for k in ("mean", "std", "min", "max")}
    xs = np.random.default_rng(1).normal(size=(40, 3)) * 10
    for x in xs:
        rt.send("w", "in", x)
    for i in range(len(xs)):
        recent = xs[max(0, i - n + 1):i + 1]
        assert outs["mean"][i] == pytest.approx(recent.mean(axis=0), rel=1e-12)
        assert outs["std"][i] == pytest.approx(recent.std(axis=0), rel=1e-9)
        assert outs["min"][i].tolist() == recent.min(axis=0).tolist()
        assert outs["max"][i].tolist() == recent.max(axis=0).tolist()


def test_window_on_numbers_sends_numbers(rt):
    build(rt, {"w": ("window", {"n": 3})})
    mean, mx = tap(rt, "w", "mean"), tap(rt, "w", "max")
    for x in [1, 2, 3, 10]:
        rt.send("w", "in", x)
    assert mean == [1.0, 1.5, 2.0, 5.0] and mx == [1.0, 2.0, 3.0, 10.0]
    assert all(type(v) is float for v in mean)
    rt.send("w", "reset", 1)
    rt.send("w", "in", 4)
    assert mean[-1] == 4.0


# ---- normalize --------------------------------------------------------------------

def test_normalize_min_max_learns_then_freezes(rt):
    build(rt, {"n": ("normalize", {})})
    out = run(rt, "n", [5, 10, 0, 7.5])
    assert out == [0.5, 1.0, 0.0, 0.75]
    rt.send("n", "freeze", True)  # playing the inlet freezes the process; the saved param stays
    assert rt.graph.node("n").info()["frozen"] is True and rt.doc.node("n").params["freeze"] is False
    more = run(rt, "n", [20, 5])
    assert more[-2:] == [2.0, 0.5]  # the range stays 0..10 while frozen
    # frozen, the range is what the patch keeps: an undo step
    assert rt.to_doc()["nodes"]["n"]["state"]["max"] == [10.0]
    rt.send("n", "freeze", False)
    assert run(rt, "n", [20])[-1] == 1.0


def test_normalize_z_score_equals_numpy(rt):
    build(rt, {"n": ("normalize", {"mode": "z-score"})})
    xs = np.random.default_rng(2).normal(3, 2, size=(50, 2))
    out = run(rt, "n", list(xs))
    for i in range(1, len(xs)):
        seen = xs[:i + 1]
        assert out[i] == pytest.approx((xs[i] - seen.mean(axis=0)) / seen.std(axis=0), rel=1e-9)
    assert out[0].tolist() == [0.0, 0.0]


def test_normalize_saves_what_it_learned(rt, tmp_path):
    build(rt, {"n": ("normalize", {})})
    run(rt, "n", [np.array([0.0, -1.0]), np.array([10.0, 1.0])])
    rt.do(SetParam("n", "freeze", True))
    again = type(rt).open(rt.save(tmp_path / "n.json"))
    got = []
    again.graph.node("n").watch("out", got.append)
    again.send("n", "in", np.array([5.0, 0.0]))
    assert got[0].tolist() == [0.5, 0.5]
    state = again.to_doc()["nodes"]["n"]["state"]
    assert state["min"] == [0.0, -1.0] and state["max"] == [10.0, 1.0] and state["count"] == 2
    again.close()


def test_normalize_errors_and_reset(rt):
    build(rt, {"n": ("normalize", {"freeze": True})})
    run(rt, "n", [1])
    node = rt.graph.node("n")
    assert "frozen before learning" in node.error
    rt.do(SetParam("n", "freeze", False))
    run(rt, "n", [np.array([1.0, 2.0])])
    rt.send("n", "freeze", True)
    run(rt, "n", [np.array([1.0, 2.0, 3.0])])
    assert "for 2 numbers, got 3" in node.error
    rt.send("n", "reset", 1)
    assert node.get_state() == {}
    with pytest.raises(Exception, match="normalize state"):
        from nodegraph import SetState
        rt.do(SetState("n", {"count": 2, "min": [0], "max": [1, 2], "mean": [0], "m2": [0]}))


# ---- join, slice, magnitude -------------------------------------------------------

def test_join_waits_for_every_inlet_then_any_sends(rt):
    build(rt, {"j": ("join", {"size": 3})})
    out = tap(rt, "j", "vector")
    rt.send("j", "in0", np.array([1.0, 2.0]))
    rt.send("j", "in2", 9)
    assert out == []
    rt.send("j", "in1", 3)
    rt.send("j", "in2", np.array([7.0, 8.0]))
    assert vecs(out) == [[1, 2, 3, 9], [1, 2, 3, 7, 8]]


def test_join_hot_first(rt):
    build(rt, {"j": ("join", {"hot": "first"})})
    out = tap(rt, "j", "vector")
    rt.send("j", "in1", 2)
    rt.send("j", "in0", 1)
    rt.send("j", "in1", 5)
    assert vecs(out) == [[1, 2]]


@pytest.mark.parametrize("start, stop, expected", [
    (0, 0, [0, 1, 2, 3, 4]), (1, 3, [1, 2]), (-2, 0, [3, 4]), (0, -1, [0, 1, 2, 3]), (3, 100, [3, 4]),
])
def test_slice(rt, start, stop, expected):
    build(rt, {"s": ("slice", {"start": start, "stop": stop})})
    out = run(rt, "s", [np.arange(5.0)], inlet="vector", outlet="vector")
    assert vecs(out) == [expected]


def test_slice_of_nothing_is_an_error(rt):
    build(rt, {"s": ("slice", {"start": 4})})
    run(rt, "s", [np.arange(3.0)], inlet="vector", outlet="vector")
    assert "are none" in rt.graph.node("s").error


def test_magnitude(rt):
    build(rt, {"m": ("magnitude", {})})
    assert run(rt, "m", [np.array([3.0, 4.0]), np.array([-2.0]), 0.0], inlet="vector") == [5.0, 2.0, 0.0]


def test_a_feature_chain_through_links(rt):
    """xy pad positions → delta (velocity) → magnitude (speed) → window mean."""
    build(rt, {"p": ("xy", {}), "d": ("delta", {}), "m": ("magnitude", {}), "w": ("window", {"n": 2})},
          [("p", "xy", "d", "in"), ("d", "out", "m", "vector"), ("m", "out", "w", "in")])
    speed, mean = tap(rt, "m", "out"), tap(rt, "w", "mean")
    for point in ([0.0, 0.0], [0.3, 0.4]):
        rt.do(SetParam("p", "value", point))
        rt.advance(100)
    rt.send("p", "in", BANG)  # the same point again: no movement
    assert speed == [0.0, pytest.approx(5.0), 0.0]
    assert mean == [0.0, pytest.approx(2.5), pytest.approx(2.5)]
