"""ml.gesture: DTW matching as Wekinator does it, on synthetic gestures with noise and time stretch."""
import numpy as np
import pytest

from nodegraph import AddNode, Runtime, SetParam
from nodegraph.learn import dtw

from .conftest import tap
from .learners_util import wait_idle

REST = np.array([0.5, 0.5])


def shape(name, phase):
    """A 2-D gesture drawn as phase goes 0..1 (a mouse in a unit square)."""
    p = np.asarray(phase)
    if name == "circle":
        return np.column_stack([0.5 + 0.3 * np.cos(2 * np.pi * p), 0.5 + 0.3 * np.sin(2 * np.pi * p)])
    if name == "swipe":
        return np.column_stack([0.1 + 0.8 * p, 0.5 + 0.0 * p])
    if name == "zigzag":
        return np.column_stack([0.1 + 0.8 * p, 0.5 + 0.3 * np.sign(np.sin(6 * np.pi * p)) * np.abs(np.sin(6 * np.pi * p))])
    if name == "drop":
        return np.column_stack([0.5 + 0.0 * p, 0.9 - 0.8 * p])
    if name == "vee":
        return np.column_stack([0.1 + 0.8 * p, 0.9 - 1.6 * np.minimum(p, 1 - p)])
    raise ValueError(name)


NAMES = ["circle", "swipe", "zigzag", "drop", "vee"]


def perform(name, rng, frames=50, stretch=1.0, noise=0.01):
    """One performance: `stretch` times as many frames, unevenly paced, with sensor noise."""
    n = max(5, int(round(frames * stretch)))
    t = np.linspace(0, 1, n)
    warp = t + 0.08 * np.sin(np.pi * t) * rng.uniform(-1, 1)  # speeds up or slows down mid-way
    return shape(name, np.clip(warp, 0, 1)) + rng.normal(0, noise, size=(n, 2))


def naive_dtw(a, b, width=0):
    """The textbook recurrence, within |i - j| <= width, except that (as FastDTW with radius
    `width`) a series of at most width + 2 points is matched without a band."""
    n, m = len(a), len(b)
    if min(n, m) <= width + 2:
        width = 0
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            if width and abs(i - j) > width:
                continue
            D[i, j] = np.linalg.norm(a[i - 1] - b[j - 1]) + min(D[i - 1, j - 1], D[i - 1, j], D[i, j - 1])
    return D[n, m]


def test_dtw_distance_equals_the_textbook_recurrence():
    rng = np.random.default_rng(0)
    for _ in range(150):
        n, m, d = rng.integers(1, 14), rng.integers(1, 14), rng.integers(1, 4)
        a, b = rng.normal(size=(n, d)), rng.normal(size=(m, d))
        width = int(rng.integers(0, 4))
        ours, ref = dtw.distance(a, b, width), naive_dtw(a, b, width)
        assert (np.isinf(ours) and np.isinf(ref)) or ours == pytest.approx(ref, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("width", [0, 3])
def test_continuous_matching_equals_wekinators_candidate_search(width):
    """Every suffix of the last `longest` frames, of at least min_length, against every template;
    per label the least distance; a match only below the threshold (Wekinator's DtwModel)."""
    rng = np.random.default_rng(1)
    templates = [rng.normal(size=(int(rng.integers(5, 9)), 2)) for _ in range(6)]
    labels = [0, 0, 1, 1, 2, 2]
    matcher = dtw.Matcher(templates, labels, 4, min_length=3, threshold=4.0, factor=1, width=width)
    longest = max(len(t) for t in templates)
    stream = rng.normal(size=(30, 2))
    for i, frame in enumerate(stream):
        per_label, match = matcher.push(frame)
        buffer = stream[max(0, i + 1 - longest):i + 1]
        expected = np.full(4, np.inf)
        for length in range(3, len(buffer) + 1):
            for t, label in zip(templates, labels):
                expected[label] = min(expected[label], naive_dtw(buffer[-length:], t, width))
        np.testing.assert_allclose(per_label, expected, rtol=1e-12)
        best = int(np.argmin(expected))
        assert match == (best if expected[best] < 4.0 else -1)


def sloped_dtw(a, b, stretch=3):
    """The precise mode's recurrence, written from its definition: the whole of b against the
    whole of a, each step diagonal then at most stretch - 1 steps along one series, each
    cell's Euclidean cost counted once; inf when no such path exists."""
    c = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
    R = {(-1, -1): 0.0}

    def at(i, j):
        return R.get((i, j), np.inf)

    for i in range(len(a)):
        for j in range(len(b)):
            best = at(i - 1, j - 1)
            for r in range(1, stretch):
                if j - r >= 0:
                    best = min(best, at(i - 1, j - 1 - r) + c[i, j - r:j].sum())
                if i - r >= 0:
                    best = min(best, at(i - 1 - r, j - 1) + c[i - r:i, j].sum())
            R[i, j] = c[i, j] + best
    return at(len(a) - 1, len(b) - 1)


def test_precise_matching_is_the_best_stretch_ending_now_per_example_frame():
    """After every frame, each gesture's distance is the least over every stretch of the
    stream ending at that frame, over its examples, of the sloped DTW cost / example length."""
    rng = np.random.default_rng(4)
    templates = [rng.normal(size=(int(rng.integers(1, 8)), 2)) for _ in range(6)]
    labels = [0, 0, 1, 1, 2, 2]
    stream = rng.normal(size=(25, 2))
    for stretch in (1, 2, 3, 4):
        matcher = dtw.StreamMatcher(templates, labels, 4, threshold=1.5, stretch=stretch)
        matched = set()
        for i, frame in enumerate(stream):
            per_label, match = matcher.push(frame)
            expected = np.full(4, np.inf)
            for start in range(i + 1):
                for t, label in zip(templates, labels):
                    expected[label] = min(expected[label], sloped_dtw(stream[start:i + 1], t, stretch) / len(t))
            np.testing.assert_allclose(per_label, expected, rtol=1e-12)
            best = int(np.argmin(expected))
            assert match == (best if expected[best] < 1.5 else -1)
            matched.add(match)
        assert len(matched) > 1  # both sides of the threshold were seen
    # a 9-frame example is matched by no fewer than 3 frames: a gesture is not squeezed into one
    short = dtw.StreamMatcher([np.zeros((9, 2))], [0], 1)
    assert [np.isfinite(short.push(np.zeros(2))[0][0]) for _ in range(4)] == [False, False, True, True]


def test_downsampling_keeps_every_fth_frame_as_wekinator():
    assert dtw.downsample_factor(50, 10) == 5 and dtw.downsample_factor(9, 10) == 1
    assert dtw.downsample_factor(59, 10) == 5 and dtw.downsample_factor(50, 0) == 1
    np.testing.assert_array_equal(dtw.decimate(np.arange(12.0)[:, None], 5)[:, 0], [0, 5, 10])
    m = dtw.Matcher([np.zeros((5, 1))], [0], 1, min_length=1, factor=3)
    kept = [m.push(np.zeros(1)) is not None for _ in range(7)]
    assert kept == [True, False, False, True, False, False, True]


def record_gesture(rt, node_id, label, frames):
    rt.send(node_id, "label", label)
    rt.send(node_id, "record", True)
    for f in frames:
        rt.send(node_id, "features", f)
    rt.send(node_id, "record", False)


def teach_gestures(rt, rng, per_label=3, noise=0.01):
    for name in NAMES:
        for _ in range(per_label):
            record_gesture(rt, "g", name, perform(name, rng, stretch=rng.uniform(0.9, 1.1), noise=noise))


def test_recognises_synthetic_gestures_with_noise_and_time_stretch(rt):
    rng = np.random.default_rng(7)
    rt.do(AddNode("ml.gesture", {"threshold": 2.0}, node_id="g"))
    teach_gestures(rt, rng)
    node = rt.graph.node("g")
    assert node.info()["counts"] == {n: 3 for n in NAMES}
    assert node.info()["downsample"] == 5  # about 50 frames per example -> every 5th, as Wekinator
    labels = tap(rt, "g", "label")
    rt.send("g", "run", True)
    right = total = 0
    for trial in range(4):
        for name in NAMES:
            stretch = [0.7, 1.0, 1.25, 1.4][trial]
            before = len(labels)
            for f in np.vstack([np.repeat(REST[None], 12, axis=0), perform(name, rng, stretch=stretch, noise=0.02)]):
                rt.send("g", "features", f)
            seen = labels[before:]
            total += 1
            right += seen[-1:] == [name]  # the last match of the performance names it
            rt.send("g", "run", True)  # restart the buffer between trials, as startRunning does
    assert right / total >= 0.9, f"{right} of {total}"


def test_precise_mode_recognises_them_too_and_switching_mode_applies_at_once(rt):
    rng = np.random.default_rng(7)
    rt.do(AddNode("ml.gesture", {"threshold": 2.0}, node_id="g"))
    teach_gestures(rt, rng)
    node = rt.graph.node("g")
    rt.do(SetParam("g", "mode", "precise"))
    rt.do(SetParam("g", "threshold", 0.1))
    assert node.info()["downsample"] == 1 and isinstance(node._matcher, dtw.StreamMatcher)
    labels = tap(rt, "g", "label")
    rt.send("g", "run", True)
    right = total = 0
    for stretch in [0.4, 1.0, 1.8, 2.8]:  # a match may be a third to three times an example's length
        for name in NAMES:
            before = len(labels)
            for f in np.vstack([np.repeat(REST[None], 12, axis=0), perform(name, rng, stretch=stretch, noise=0.02)]):
                rt.send("g", "features", f)
            total += 1
            right += labels[before:][-1:] == [name]
    assert right == total, f"{right} of {total}"
    rt.do(SetParam("g", "mode", "wekinator"))
    assert node.info()["downsample"] == 5 and isinstance(node._matcher, dtw.Matcher)


def test_distances_follow_the_classes_order_and_a_match_is_sent_once(rt):
    rt.do(AddNode("ml.gesture", {"classes": "1 2 3 4 5", "threshold": 1.0}, node_id="g"))
    rng = np.random.default_rng(3)
    record_gesture(rt, "g", 2, perform("circle", rng, noise=0.0))
    record_gesture(rt, "g", 4, perform("swipe", rng, noise=0.0))
    labels, dists = tap(rt, "g", "label"), tap(rt, "g", "distances")
    rt.send("g", "run", True)
    circle = perform("circle", rng, noise=0.0)
    for f in np.vstack([circle, np.repeat(circle[-1:], 30, axis=0)]):  # then hold still at the end
        rt.send("g", "features", f)
    assert all(len(d) == 5 for d in dists)
    assert np.isinf(dists[0]).all()  # fewer frames than min_length: no candidates yet
    assert all(np.isinf(d[[0, 2, 4]]).all() for d in dists)  # gestures 1, 3, 5 have no examples
    assert labels == [2]  # matched while the circle ended; held, it is not sent again


def test_recording_rules(rt):
    rt.do(AddNode("ml.gesture", {}, node_id="g"))
    node = rt.graph.node("g")
    status = tap(rt, "g", "status")
    rt.send("g", "record", True)
    assert "no label yet" in node.error
    rt.send("g", "label", "a")
    rt.send("g", "record", True)
    rt.send("g", "record", False)
    assert "length was 0" in status[-1] and node.state["examples"] == []
    record_gesture(rt, "g", "a", np.zeros((8, 3)))
    record_gesture(rt, "g", "b", np.ones((6, 3)))
    assert [len(ex["x"]) for ex in node.state["examples"]] == [8, 6]
    assert [ex["take"] for ex in node.state["examples"]] == [2, 3]
    rt.send("g", "features", np.zeros(2))
    assert "got 2 features" in node.error and "have 3" in node.error
    rt.send("g", "undo_take", True)
    assert [ex["y"] for ex in node.state["examples"]] == ["a"]
    rt.send("g", "clear", True)
    assert node.state["examples"] == [] and node._matcher is None


def test_train_scores_the_examples_leave_one_out(rt):
    rng = np.random.default_rng(5)
    rt.do(AddNode("ml.gesture", {}, node_id="g"))
    trained = tap(rt, "g", "trained")
    teach_gestures(rt, rng, per_label=2)
    rt.send("g", "train", True)
    node = wait_idle(rt, "g")
    assert len(trained) == 1
    assert node.info()["score"] == {"folds": 10, "accuracy": 1.0}


@pytest.mark.parametrize("params", [{"max_length": 0, "match_width": 0}, {"mode": "precise"}])
def test_save_load_gives_identical_distances(rt, tmp_path, params):
    rng = np.random.default_rng(11)
    rt.do(AddNode("ml.gesture", params, node_id="g"))
    teach_gestures(rt, rng, per_label=1)
    stream = np.vstack([perform(n, rng) for n in NAMES])
    rt.send("g", "run", True)
    before = tap(rt, "g", "distances")
    for f in stream:
        rt.send("g", "features", f)
    again = Runtime.open(rt.save(tmp_path / "g.json"))
    try:
        after = tap(again, "g", "distances")
        again.send("g", "run", True)
        for f in stream:
            again.send("g", "features", f)
        assert len(before) == len(stream) and np.array_equal(np.array(before), np.array(after))
    finally:
        again.close()


def test_param_changes_apply_at_once(rt):
    rt.do(AddNode("ml.gesture", {}, node_id="g"))
    record_gesture(rt, "g", "a", np.zeros((40, 1)))
    assert rt.graph.node("g").info()["downsample"] == 4
    rt.do(SetParam("g", "max_length", 0))
    assert rt.graph.node("g").info()["downsample"] == 1
