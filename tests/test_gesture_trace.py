"""UCR Trace through ml.gesture in both modes (issue 13: gestures better than Wekinator's).

Trace (4 classes, 100 training and 100 test series of 275 frames) ships inside tslearn's
wheel, so no download. Each training series is recorded as one example; each test series
is performed from a fresh start (`run`) and named by its nearest gesture after its last
frame. Wekinator's defaults (downsampled to about 10 frames, FastDTW radius 5) name 72 of
100, where full-resolution 1-NN DTW names all of them; the precise mode must name >= 95.
"""
from pathlib import Path

import numpy as np
import pytest

from nodegraph import AddNode, patchfile

from .conftest import tap

PATCHES = Path(__file__).resolve().parent.parent / "patches"

datasets = pytest.importorskip("tslearn.datasets", reason="tslearn is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def trace():
    return datasets.CachedDatasets().load_dataset("Trace")


def settings(patch):
    """The ml.gesture params a shipped patch uses (its mode and its Wekinator settings)."""
    doc = patchfile.read(PATCHES / patch)
    [node] = [n for n in doc["nodes"].values() if n["type"] == "ml.gesture"]
    return node["params"]


def accuracy(rt, trace, params):
    X_train, y_train, X_test, y_test = trace
    # every gesture's distance is read after the last frame: no threshold, and Trace's classes
    params = {**params, "classes": "1 2 3 4", "threshold": 1e9}
    rt.do(AddNode("ml.gesture", params, node_id="g"))
    node = rt.graph.node("g")
    for x, y in zip(X_train, y_train):
        rt.send("g", "label", int(y))
        rt.send("g", "record", True)
        for frame in x:
            rt.send("g", "features", frame)
        rt.send("g", "record", False)
    assert node.info()["counts"] == {str(c): int((y_train == c).sum()) for c in (1, 2, 3, 4)}
    distances = tap(rt, "g", "distances")
    right = 0
    for x, y in zip(X_test, y_test):
        rt.send("g", "run", True)  # a fresh start for each performance, as startRunning does
        before = len(distances)
        for frame in x:
            rt.send("g", "features", frame)
        assert len(distances) > before, node.error
        right += int(np.argmin(distances[-1])) + 1 == y
    return right / len(y_test)


def test_wekinator_mode_lands_at_wekinators_known_accuracy(rt, trace):
    params = settings("wekinator-gesture.json")
    assert params.get("mode", "wekinator") == "wekinator"
    acc = accuracy(rt, trace, params)
    assert rt.graph.node("g").info()["downsample"] == 27  # 275 frames -> every 27th: 11 points
    assert abs(acc - 0.72) <= 0.03, acc  # Wekinator's 72 %


def test_the_gesture_patchs_precise_mode_names_at_least_95_percent(rt, trace):
    params = settings("gesture.json")
    assert params["mode"] == "precise"
    acc = accuracy(rt, trace, params)
    assert rt.graph.node("g").info()["downsample"] == 1
    assert acc >= 0.95, acc
