"""What the editor shows of a learner: the params its algorithm uses, a readable state, its snapshot."""
from nodegraph import AddNode, SetParam, SetState

from .learners_util import teach, wait_idle


def test_only_the_chosen_algorithms_options_are_relevant(rt):
    rt.do(AddNode("ml.classify", {}, node_id="clf"))
    node = rt.graph.node("clf")
    assert node.relevant_params() == ["algorithm", "k", "scaling", "seed", "folds"]
    rt.do(SetParam("clf", "algorithm", "svm"))
    names = node.relevant_params()
    assert {"kernel", "C"} <= set(names) and "k" not in names and "trees" not in names
    assert "degree" not in names, "the default rbf kernel has no degree"
    rt.do(SetParam("clf", "kernel", "poly"))
    names = node.relevant_params()
    assert "degree" in names
    assert {"scaling", "seed", "folds"} <= set(names), "what every algorithm uses stays"
    rt.do(AddNode("ml.regress", {"algorithm": "polynomial"}, node_id="reg"))
    assert "degree" in rt.graph.node("reg").relevant_params()
    assert "hidden_units" not in rt.graph.node("reg").relevant_params()
    rt.do(AddNode("ml.cluster", {}, node_id="km"))  # no algorithm to choose: every param matters
    assert rt.graph.node("km").relevant_params() == [p.name for p in type(rt.graph.node("km")).params]
    rt.do(AddNode("metro", {}, node_id="m"))
    assert rt.graph.node("m").relevant_params() == [p.name for p in type(rt.graph.node("m")).params]


def test_the_info_text_says_what_the_learner_does_now(rt):
    rt.do(AddNode("ml.classify", {"folds": 2}, node_id="clf"))
    node = rt.graph.node("clf")
    info = node.info()
    assert "no examples yet" in info["text"] and info["progress"] is None
    assert info["show"] == ("text", "counts", "progress")
    rt.send("clf", "label", "a")
    rt.send("clf", "record", True)
    assert node.info()["text"].startswith("● recording take 1 as 'a'")
    teach(rt, "clf", [[0.0, 0.1], [0.1, 0.0]], ["a", "a"])
    teach(rt, "clf", [[0.9, 1.0], [1.0, 0.9]], ["b", "b"])
    assert "no model yet: record examples, then train" in node.info()["text"]
    rt.send("clf", "train", True)
    wait_idle(rt, "clf")
    rt.send("clf", "run", True)
    info = node.info()
    lines = info["text"].splitlines()
    assert lines[0] == "▶ running" and "model: knn, learned 4 examples" in lines
    assert any("accuracy 100.0%" in line for line in lines), lines
    assert info["progress"] is None and not info["training"], "no bar once the work is done"
    assert str(node.snapshot()) == "4 examples · 2 classes · knn"
    said = rt.console.texts()
    assert any("trained knn on 4 examples" in line for line in said), said
    assert any("accuracy 100.0%" in line for line in said), "the console tells the training and its score"
    # a saved model being restored, then (its model in) scored: never both "restoring" and the model
    node._job, node._job_kind = 99, "refit"
    assert "restoring the saved model (knn)…" in node.info()["text"].splitlines()
    node._modelled = 99
    lines = node.info()["text"].splitlines()
    assert "scoring (cross-validation)…" in lines and not any("restoring" in line for line in lines), lines
    node._job = None


def test_a_problem_shows_in_the_text(rt):
    rt.do(AddNode("ml.classify", {}, node_id="clf"))
    mixed = {"examples": [{"x": [0.0], "y": "a", "t": 0, "take": 1},
                          {"x": [0.0, 1.0], "y": "b", "t": 1, "take": 1}], "take": 1}
    rt.do(SetState("clf", mixed))
    rt.send("clf", "train", True)
    text = rt.graph.node("clf").info()["text"]
    assert "⚠ cannot train: the examples have different lengths" in text, text
    assert "no model" in str(rt.graph.node("clf").snapshot())
