"""What all learners share: plain-JSON state, big patches, the training worker, the editor's view."""
import json
import os
import time

import numpy as np
import pytest

from nodegraph import AddNode, ParamError, PatchError, Runtime, patchfile
from nodegraph.learn import fit as fitting
from nodegraph.learn import jobs, predict, wire
from nodegraph.learn.worker import Trainer, trainer

from .conftest import tap
from .learners_util import run_all, teach, wait_idle


def big_state(n=10_000, d=10, seed=0):
    rng = np.random.default_rng(seed)
    X, y = rng.uniform(size=(n, d)), rng.integers(1, 6, n)
    examples = [{"x": x.tolist(), "y": int(c), "t": float(i), "take": 1 + i // 1000}
                for i, (x, c) in enumerate(zip(X, y))]
    return {"examples": examples, "take": n // 1000}, X


def test_a_patch_with_10000_examples_saves_and_loads_quickly(rt, tmp_path):
    state, X = big_state()
    rt.do(AddNode("ml.classify", {"algorithm": "knn", "folds": 0}, node_id="clf", state=state))
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    before = run_all(rt, "clf", X[:50], ["label"])["label"]
    t0 = time.perf_counter()
    path = rt.save(tmp_path / "big.json")
    t1 = time.perf_counter()
    again = Runtime.open(path)
    t2 = time.perf_counter()
    try:
        # generous bounds for a busy CI machine; bench/learners.py measures (~0.5 s each here)
        assert t1 - t0 < 4 and t2 - t1 < 4, (t1 - t0, t2 - t1)
        lines = (tmp_path / "big.json").read_text().splitlines()
        example_lines = [line for line in lines if line.lstrip().startswith('{"t": ')]
        assert len(example_lines) == 10_000  # one line per example: a recording diffs as lines
        assert json.loads(example_lines[0].rstrip(",")) == state["examples"][0]
        wait_idle(again, "clf")
        after = run_all(again, "clf", X[:50], ["label"])["label"]
        assert after == before
    finally:
        again.close()


def test_bad_state_in_a_patch_is_one_clear_message(tmp_path):
    doc = {"format": "nodegraph-patch", "version": 1,
           "nodes": {"clf": {"type": "ml.classify", "state": {"examples": [{"x": "oops", "y": "a"}]}}}}
    with pytest.raises(PatchError, match=r"node 'clf' \(ml.classify\): example 1: 'x' must be a non-empty list"):
        Runtime().load_doc(doc)
    doc["nodes"]["clf"]["state"] = {"examples": [{"x": [1.0], "y": True}]}
    with pytest.raises(PatchError, match="'y' must be a class name"):
        Runtime().load_doc(doc)


def test_training_runs_in_another_process(rt):
    rt.do(AddNode("ml.classify", {"algorithm": "tree", "folds": 0}, node_id="clf"))
    teach(rt, "clf", [[0.0], [1.0]], ["a", "b"])
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    assert trainer().pid is not None and trainer().pid != os.getpid()


def test_the_thread_fallback_fits_the_same_model_as_the_worker():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(80, 3)), rng.integers(0, 3, 80)
    spec = {"task": "classify", "algorithm": "mlp", "options": {"hidden_units": 4}, "scaling": "minmax", "seed": 1}
    results = []
    for t in (trainer(), Trainer(inline=True)):
        box, done = {}, []
        t.submit({"kind": "train", "spec": spec, "folds": 0}, {"X": X, "y": y},
                 lambda h, a: box.update(a) if h["event"] == "model" else done.append(h))
        deadline = time.monotonic() + 60
        while not done:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert done[-1]["event"] == "done"
        results.append(predict.make(box["model"]).many(X)[1])
    assert np.array_equal(results[0], results[1])


def test_a_worker_that_dies_is_reported_and_replaced(rt):
    rng = np.random.default_rng(0)
    rt.do(AddNode("ml.classify", {"algorithm": "mlp", "hidden_units": 64, "max_iter": 100_000, "folds": 0},
                  node_id="clf"))
    status = tap(rt, "clf", "status")
    teach(rt, "clf", rng.normal(size=(3000, 10)), rng.integers(0, 2, 3000).tolist())
    rt.send("clf", "train", True)
    t = trainer()
    deadline = time.monotonic() + 30
    while t.pid is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(t.pid, 9)  # the worker this process started, by its id
    wait_idle(rt, "clf")
    assert "training process stopped" in status[-1]
    rt.do(__import__("nodegraph").SetParam("clf", "algorithm", "tree"))
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    assert status[-1].startswith("trained tree")


def test_info_is_a_fresh_plain_dict(rt):
    rt.do(AddNode("ml.classify", {"folds": 2}, node_id="clf"))
    teach(rt, "clf", [[0.0], [0.1], [1.0], [1.1]], ["a", "a", "b", "b"])
    rt.send("clf", "train", True)
    node = wait_idle(rt, "clf")
    info = node.info()
    json.dumps(info)
    assert info["counts"] == {"a": 2, "b": 2} and info["examples"] == 4 and info["takes"] == 1
    assert info["model"] == {"algorithm": "knn", "examples": 4} and info["score"]["accuracy"] == 1.0
    assert info["mode"] == "idle" and info["training"] is False and info["classes"] == ["a", "b"]
    info["counts"]["a"] = 99
    info["score"]["accuracy"] = 0
    assert node.info()["counts"]["a"] == 2 and node.info()["score"]["accuracy"] == 1.0
    rt.send("clf", "run", True)
    assert node.info()["mode"] == "running"


def test_wire_carries_nested_arrays_and_json_only():
    import io

    tree = {"a": np.arange(6.0).reshape(2, 3), "n": 3, "sub": {"b": np.array([1, 2], dtype=np.int64)},
            "items": [{"w": np.ones((2, 2)), "name": "x"}, {"w": np.zeros(1), "name": "y"}]}
    buf = io.BytesIO()
    wire.write(buf, {"event": "model"}, tree)
    buf.seek(0)
    header, back = wire.read(buf)
    assert header == {"event": "model"} and back["n"] == 3 and back["items"][1]["name"] == "y"
    assert np.array_equal(back["a"], tree["a"]) and back["sub"]["b"].dtype == np.int64
    assert np.array_equal(back["items"][0]["w"], np.ones((2, 2)))
    with pytest.raises(TypeError):
        wire.write(io.BytesIO(), {}, {"bad": np.array(["text"])})


def test_jobs_report_errors_as_sentences():
    events = []
    jobs.run({"kind": "train", "spec": {"task": "classify", "algorithm": "nope"}, "folds": 0},
             {"X": np.zeros((2, 1)), "y": np.array([0, 1])}, lambda h, a: events.append(h))
    assert events[-1]["event"] == "error" and "nope" in events[-1]["message"]


@pytest.mark.parametrize("task,algorithms", [("classify", fitting.CLASSIFIERS), ("regress", fitting.REGRESSORS)])
def test_every_algorithm_is_deterministic(task, algorithms):
    rng = np.random.default_rng(9)
    X = rng.normal(size=(60, 3))
    y = rng.integers(0, 3, 60) if task == "classify" else rng.normal(size=(60, 2))
    for algo in algorithms:
        spec = {"task": task, "algorithm": algo, "options": {"trees": 10}, "scaling": "minmax", "seed": 5}
        a, b = (predict.make(fitting.fit(spec, X, y)[0]).many(X) for _ in range(2))
        a, b = (a[1], b[1]) if task == "classify" else (a, b)
        assert np.array_equal(a, b), algo


def test_a_model_spec_that_cannot_be_fitted_is_refused_naming_the_field(rt):
    state = {"examples": [{"x": [0.0], "y": "a", "t": 0, "take": 1}, {"x": [1.0], "y": "b", "t": 0, "take": 1}],
             "take": 1, "model": {"examples": 2, "spec": {"task": "classify", "algorithm": "knn",
                                                          "options": {"k": "three"}}}}
    with pytest.raises(ParamError, match="'spec.options.k' expects a whole number"):
        rt.do(AddNode("ml.classify", {}, node_id="clf", state=state))  # a hand-edited patch, say
    assert "clf" not in rt.graph.nodes  # checked like a param: refused, not half-loaded
