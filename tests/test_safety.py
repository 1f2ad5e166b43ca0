"""A patch from a stranger is safe to open (issue 15): its files stay in its folder,
nothing hangs on a special file, every bad file is one sentence, what opens saves."""
import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodegraph import RemoveNode, BANG, NodeError, PatchError, Runtime, cli, patchfile, paths
from nodegraph.clock import ManualClock
from nodegraph.editor.files import FileActions
from nodegraph.io import osc

from .conftest import build, tap

HEAD = {"format": "nodegraph-patch", "version": 1}


def write(folder, doc, name="patch.json"):
    path = Path(folder) / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def check(path, *extra, capsys):
    """`nodegraph check` in this process: (exit code, stdout + stderr)."""
    code = cli.main(["check", str(path), *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def nodegraph(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "nodegraph", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def opened(path):
    rt = Runtime.open(path, clock=ManualClock())
    rt.start(thread=False)
    return rt


# ---- 1. files stay in the patch's folder ----------------------------------------------------

@pytest.fixture
def canary(tmp_path, monkeypatch):
    """A patch folder, and beside it a folder of files the patch must not touch."""
    home = tmp_path / "home"
    (home / "secret").mkdir(parents=True)
    (home / "secret" / "data.csv").write_text("0,42\nroot:x:0:0:root:/root:/bin/bash\n")
    monkeypatch.setenv("HOME", str(home))
    folder = tmp_path / "patch"
    (folder / "data").mkdir(parents=True)
    (folder / "link").symlink_to(home / "secret")
    return SimpleNamespace(folder=folder, secret=home / "secret" / "data.csv", before=(home / "secret" / "data.csv").read_text())


def stranger_paths(canary):
    return [str(canary.secret), "../home/secret/data.csv", "~/secret/data.csv", "link/data.csv",
            "data/../../home/secret/data.csv"]


def recorder(path):
    return dict(HEAD, nodes={"go": {"type": "loadbang"}, "on": {"type": "value", "params": {"value": 1}},
                             "rec": {"type": "csv.record", "params": {"path": path}}},
                links=[["go", "bang", "on", "in"], ["on", "out", "rec", "record"]])


def test_a_stranger_patch_cannot_write_or_read_outside_its_folder(canary, capsys):
    for n, path in enumerate(stranger_paths(canary)):
        for doc, node in ((recorder(path), "rec"),
                          (dict(HEAD, nodes={"go": {"type": "loadbang"}, "play": {"type": "csv.play", "params": {"path": path}}},
                                links=[["go", "bang", "play", "play"]]), "play"),
                          (dict(HEAD, nodes={"f": {"type": "midi.file", "params": {"path": path, "autostart": True}}}), "f")):
            patch = write(canary.folder, doc, f"p{n}.json")
            code, said = check(patch, capsys=capsys)
            assert code == 2 and f"node '{node}'" in said and path in said and "leads outside" in said, said
            rt = opened(patch)
            try:
                error = rt.graph.node(node).error
                assert error is not None and "leads outside the patch's folder" in error, (path, error)
                # never a line of the file (its "42" alone would match a temporary folder: pytest-442)
                assert "root:x" not in error and "0,42" not in error
            finally:
                rt.close()
    assert canary.secret.read_text() == canary.before


def test_files_inside_the_folder_work_and_allow_path_opens_another(canary, capsys):
    inside = canary.folder / "data" / "take.csv"
    for path in ("data/take.csv", str(inside)):
        patch = write(canary.folder, recorder(path))
        assert check(patch, capsys=capsys)[0] == 0
        rt = opened(patch)
        rt.send("rec", "values", np.array([1.0]))
        rt.close()
        assert inside.read_text().splitlines()[-1] == "0.000,1.0"
    patch = write(canary.folder, recorder(str(canary.secret.parent / "allowed.csv")))
    assert check(patch, "--allow-path", str(canary.secret.parent), capsys=capsys)[0] == 0
    rt = Runtime.open(patch, clock=ManualClock())
    rt.scheduler.allowed_dirs = [str(canary.secret.parent)]  # what `run --allow-path` sets
    rt.start(thread=False)
    rt.send("rec", "values", np.array([2.0]))
    rt.close()
    assert (canary.secret.parent / "allowed.csv").exists()


def test_an_unsaved_patch_keeps_its_files_in_the_data_folder(tmp_path, monkeypatch, rt):
    monkeypatch.setenv("NODEGRAPH_DATA_DIR", str(tmp_path / "data"))
    build(rt, {"rec": ("csv.record", {"path": "take.csv"})})
    rt.start(thread=False)
    rt.send("rec", "record", True)
    rt.send("rec", "values", np.array([3.0]))
    rt.send("rec", "record", False)
    assert rt.graph.node("rec").settle()
    assert (tmp_path / "data" / "take.csv").read_text().splitlines()[-1] == "0.000,3.0"
    elsewhere = tmp_path / "elsewhere.csv"
    build(rt, {"out": ("csv.record", {"path": str(elsewhere)})})
    rt.send("out", "record", True)
    assert "leads outside" in rt.graph.node("out").error and not elsewhere.exists()


def test_confine_judges_where_a_path_really_leads(tmp_path):
    (tmp_path / "a").mkdir()
    assert paths.confine("x.csv", [tmp_path / "a"]) == str((tmp_path / "a" / "x.csv").resolve())
    for bad in ("/etc/passwd", "..", "../b", "a/../../b", "x\0y"):
        with pytest.raises(NodeError):
            paths.confine(bad, [tmp_path / "a"])


# ---- 2. special files never hang or exhaust memory ----------------------------------------

@pytest.fixture
def fifo(tmp_path):
    """A named pipe, with a guard: if something opens it and blocks (the bug), the guard
    opens the other end after 20 s, so the test fails instead of hanging the suite."""
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    done = threading.Event()

    def guard():
        while not done.wait(20):
            try:  # succeeds only while a reader holds the pipe open: one is stuck in it
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
                guarded.append("a reader")
            except OSError:
                pass
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))  # frees a writer stuck in it
    guarded = []
    thread = threading.Thread(target=guard, daemon=True)
    thread.start()
    yield path
    done.set()
    thread.join()
    assert not guarded, "something blocked opening the named pipe"


def test_check_and_open_refuse_a_pipe_a_device_and_a_folder_at_once(fifo, tmp_path, capsys):
    res = nodegraph("check", fifo, timeout=30)  # a hang is a TimeoutExpired: the test fails, it does not hang
    assert res.returncode == 2 and "named pipe" in res.stderr and "Traceback" not in res.stderr
    for special, words in ((fifo, "named pipe"), ("/dev/zero", "device"), (tmp_path, "folder")):
        code, said = check(special, capsys=capsys)
        assert code == 2 and words in said, said
        with pytest.raises(PatchError, match=words):
            Runtime.open(special)  # the editor's open goes through this


def test_nodes_refuse_a_pipe_a_device_and_a_folder_at_once(fifo, tmp_path, rt):
    rt.scheduler.base_dir = str(tmp_path)
    rt.scheduler.allowed_dirs = ["/dev"]  # so that /dev/zero is judged as a file, not as a place
    for path, words in ((fifo.name, "named pipe"), ("/dev/zero", "device"), (".", "folder")):
        build(rt, {"play": ("csv.play", {"path": path}), "mid": ("midi.file", {"path": path}),
                   "rec": ("csv.record", {"path": path})})
        rt.start(thread=False)
        rt.send("play", "play", BANG)
        rt.send("mid", "play", BANG)
        rt.send("rec", "record", True)
        for node in ("play", "mid"):
            assert words in rt.graph.node(node).error, rt.graph.node(node).error
        assert rt.graph.node("rec").error is not None
        rt.stop()
        for node in ("play", "mid", "rec"):
            rt.do(RemoveNode(node))


def test_run_on_a_pipe_goes_on_and_sigterm_stops_it(fifo, tmp_path):
    patch = write(tmp_path, dict(HEAD, nodes={"go": {"type": "loadbang"},
                                              "play": {"type": "csv.play", "params": {"path": fifo.name}}},
                                 links=[["go", "bang", "play", "play"]]))
    proc = subprocess.Popen([sys.executable, "-m", "nodegraph", "run", str(patch)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "run printed nothing within 30 s"
        assert "named pipe" in proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---- 3, 4. every bad file is a sentence; what opens saves ----------------------------------

def nested(depth, leaf="1"):
    return "[" * depth + leaf + "]" * depth


@pytest.mark.parametrize("text, words", [
    ('{"format": "nodegraph-patch", "version": 1, "nodes": {"a": {"type": "loadbang", "pos": [%s, 0]}}}' % ("9" * 400),
     "node 'a' field 'pos' holds a number too large"),
    ('{"format": "nodegraph-patch", "version": 1, "nodes": {"a": {"type": "future.x", "params": {"v": 1e999}}}}',
     "node 'a' field 'params' holds a number too large"),
    ('{"format": "nodegraph-patch", "version": 1, "meta": {"v": [1, -1e999]}}', "field 'meta' holds a number too large"),
    ('{"format": "nodegraph-patch", "version": 1, "meta": %s}' % ('{"a": ' * 900 + "1" + "}" * 900),
     "nested too deeply"),
    ('{"format": "nodegraph-patch", "version": 1, "nodes": {"a": {"type": "loadbang"}, "a": {"type": "print"}}}',
     "'a' appears twice"),
    ('{"format": "nodegraph-patch", "version": 1, "nodes": {"a": {"type": "loadbang"}}, "x": %s}'
     % ("9" * 5000), "thousands of digits"),
] + [('{"format": "nodegraph-patch", "version": 1, "links": [%s]}' % nested(d), "nested too deeply")
     for d in (101, 500, 900, 985, 986, 988, 990, 995, 5000)])
def test_a_bad_file_is_one_sentence_exit_2(tmp_path, capsys, text, words):
    code, said = check(write(tmp_path, text), capsys=capsys)
    assert code == 2 and words in said and "Traceback" not in said and len(said.strip().splitlines()) == 1, said


def test_a_bom_is_read_and_a_loop_through_an_unknown_type_is_kept(tmp_path, capsys):
    doc = dict(HEAD, nodes={"a": {"type": "math"}, "d": {"type": "delay.newer"}},
               links=[["a", "out", "d", "in"], ["d", "out", "a", "b"]])
    patch = tmp_path / "p.json"
    patch.write_bytes(b"\xef\xbb\xbf" + json.dumps(doc).encode())
    code, said = check(patch, capsys=capsys)
    assert code == 0 and "placeholder" in said
    rt = Runtime.open(patch)
    saved = json.loads(patchfile.dumps(rt.to_doc()))
    assert saved["links"] == sorted(doc["links"]) and saved["nodes"]["d"]["type"] == "delay.newer"


class Saving(FileActions):
    """The editor's save gesture without a window."""

    def __init__(self, rt):
        self.rt, self.path, self.errors, self.messages = rt, None, [], []
        self.dialogs = SimpleNamespace(message=lambda title, text: self.messages.append(text))

    def fail(self, text):
        self.errors.append(text)


def test_the_editors_save_never_raises_and_keeps_the_patch(tmp_path, monkeypatch):
    rt = Runtime.manual()
    build(rt, {"p": ("print", {"prefix": "edited"})})
    editor = Saving(rt)
    for error in (RecursionError("maximum recursion depth exceeded"), ValueError("Out of range float values"),
                  OSError(28, "No space left on device")):
        def broken(path=None, error=error):
            raise error
        monkeypatch.setattr(rt, "save", broken)
        assert editor.save_to(tmp_path / "x.json") is False
        assert editor.errors[-1].startswith("cannot save") and editor.messages
    assert rt.graph.node("p").params["prefix"] == "edited" and editor.path is None


# ---- 5. saved model specs are range-checked like params ----------------------------------------

@pytest.mark.parametrize("model, field", [
    ({"examples": 2, "spec": {"task": "classify", "algorithm": "knn", "options": {"k": -3}}}, "'spec.options.k' must be at least 1"),
    ({"examples": 2, "spec": {"task": "classify", "algorithm": "knn", "options": {"k": 0}}}, "'spec.options.k' must be at least 1"),
    ({"examples": -5, "spec": {"task": "classify", "algorithm": "knn", "options": {"k": 1}}}, "field 'examples'"),
    ({"examples": 3, "spec": {"task": "classify", "algorithm": "knn", "options": {"k": 1}}}, "field 'examples'"),
    ({"examples": 2, "spec": {"task": "classify", "algorithm": "forest", "options": {"trees": 1000000}}},
     "'spec.options.trees' must be at most 1000"),
    ({"examples": 2, "spec": {"task": "classify", "algorithm": "knn", "options": {"trees": 5}}}, "not an option of knn"),
    ({"examples": 2, "spec": {"task": "classify", "algorithm": "eval", "options": {}}}, "'spec.algorithm'"),
    ({"examples": 2, "spec": {"task": "regress", "algorithm": "knn", "options": {}}}, "'spec.task'"),
    ({"examples": 2, "spec": {"task": "classify", "algorithm": "knn", "seed": -1}}, "'spec.seed'"),
])
def test_a_saved_model_spec_out_of_range_is_refused_naming_node_and_field(tmp_path, capsys, model, field):
    examples = [{"x": [0.1, 0.2], "y": "a", "t": 0, "take": 1}, {"x": [0.9, 0.8], "y": "b", "t": 1, "take": 1}]
    doc = dict(HEAD, nodes={"clf": {"type": "ml.classify", "state": {"examples": examples, "take": 1, "model": model}}})
    code, said = check(write(tmp_path, doc), capsys=capsys)
    assert code == 2 and "node 'clf'" in said and field in said, said


# ---- 6. nan features while running; node errors are rate-limited --------------------------------

def test_nan_features_while_running_are_refused_not_classified(rt):
    build(rt, {"clf": ("ml.classify", {"scaling": "none"})})
    rt.start(thread=False)
    for label, x in (("a", [0.0, 0.0]), ("b", [1.0, 1.0])):
        rt.send("clf", "label", label)
        rt.send("clf", "record", True)
        rt.send("clf", "features", np.array(x))
        rt.send("clf", "record", False)
    rt.send("clf", "train", BANG)
    rt.send("clf", "run", True)
    from .learners_util import wait_idle
    wait_idle(rt, "clf")  # fitted in the worker
    labels = tap(rt, "clf", "label")
    for bad in ([np.nan, 0.0], [np.inf, 1.0]):
        rt.send("clf", "features", np.array(bad))
        assert labels == [] and "not a number" in rt.graph.node("clf").error
    rt.send("clf", "features", np.array([0.9, 0.9]))
    assert labels == ["b"] and rt.graph.node("clf").error is None


def test_a_flood_of_node_errors_is_a_few_lines_with_a_count(rt, monkeypatch):
    clock = SimpleNamespace(t=1000.0)
    monkeypatch.setattr(osc, "time", SimpleNamespace(monotonic=lambda: clock.t))
    sched = rt.scheduler
    sched._error_lines = osc.Throttle()  # made before the fake clock
    build(rt, {"m": ("math", {})})
    node = rt.graph.node("m")
    for _ in range(2000):  # failures alternating with successes: each would be a new error
        sched.fail(node, NodeError("bad vector"))
        node.error = None
    assert rt.console.texts("error") == ["bad vector"]
    clock.t += 6
    sched.fail(node, NodeError("bad vector"))
    assert rt.console.texts("error")[-1] == "bad vector (1999 more like this not shown)"
    assert node.error == "bad vector"  # the node itself always shows its latest error


# ---- 7. control characters never reach the terminal raw ---------------------------------------------

def test_terminal_escapes_from_a_file_are_shown_escaped(tmp_path, capsys):
    evil = "\x1b]0;pwned\x07\x1b[2J"
    doc = dict(HEAD, nodes={"go": {"type": "loadbang"}, "p": {"type": "print", "params": {"prefix": evil}},
                            "u": {"type": "zz" + evil}},
               links=[["go", "bang", "p", "in"]])
    patch = write(tmp_path, doc)
    code, said = check(patch, capsys=capsys)
    assert code == 0 and "\x1b" not in said and "\x07" not in said and "\\x1b]0;pwned\\x07" in said
    res = nodegraph("run", patch, "--for", "0.5")
    assert res.returncode == 0 and "\\x1b[2J: bang" in res.stdout
    assert "\x1b" not in res.stdout + res.stderr


# ---- the fuzz: mutated example patches through `check` -------------------------------------------------

EXAMPLES = {p.name: json.loads(p.read_text()) for p in sorted((Path(__file__).parent.parent / "patches").glob("*.json"))}
INF, DEEP = "\0inf", "\0deep"  # markers for what json.dumps cannot write: 1e999 and very deep nesting

LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-2**64, 2**64), st.integers(10**300, 10**330),
    st.floats(allow_nan=False, allow_infinity=False), st.just(INF),
    st.tuples(st.just(DEEP), st.integers(50, 1100)),
    st.text(max_size=6), st.sampled_from(["\x1b]0;x\x07", "../x.csv", "/etc/passwd", "~/x", "", "loadbang",
                                          "ml.classify", "delay", "out", "in", "knn", "k"]))
VALUE = st.recursive(LEAF, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=4) | st.sampled_from(["k", "model", "spec", "options",
                                                                               "examples", "x", "y"]), inner,
                                       max_size=3), max_leaves=8)


NUMBER = st.one_of(st.integers(-5, 1000), st.floats(-1e6, 1e6), st.sampled_from([0, -3, 10**6, 1e308, 2**63]))
POS = st.lists(NUMBER | VALUE, min_size=2, max_size=2)


def mutate(doc, data):
    """One change that keeps most of the document valid (so that what passes is saved and
    read back), or a change anywhere."""
    nodes = doc.setdefault("nodes", {}) if isinstance(doc.get("nodes"), dict) else {}
    how = data.draw(st.sampled_from(["unknown", "param", "state", "meta", "link", "pos", "anywhere", "anywhere"]))
    if how == "unknown":  # a type this version does not know keeps whatever it has
        nodes[data.draw(st.text(min_size=1, max_size=4))] = {
            "type": data.draw(st.text(min_size=1, max_size=6) | st.sampled_from(["\x1b]0;x\x07", "ml.future"])),
            "params": data.draw(st.dictionaries(st.text(max_size=4), VALUE, max_size=3)),
            "state": data.draw(st.dictionaries(st.text(max_size=4), VALUE, max_size=2)), "pos": data.draw(POS)}
    elif how in ("param", "state", "pos") and nodes:
        node = nodes[data.draw(st.sampled_from(sorted(nodes)))]
        if not isinstance(node, dict):
            return
        if how == "pos":
            node["pos"] = data.draw(POS)
        elif isinstance(node.get(how, {}), dict):
            fields = node.setdefault(how, {})
            name = data.draw(st.sampled_from(sorted(fields) + ["k", "path", "model", "examples"]))
            fields[name] = data.draw(NUMBER | VALUE)
    elif how == "meta":
        doc["meta"] = data.draw(st.dictionaries(st.text(max_size=4), VALUE, max_size=3))
    elif how == "link" and nodes and isinstance(doc.get("links", []), list):
        ports = st.sampled_from(["out", "in", "bang", "label", "features", "values", "a", "b"])
        ids = st.sampled_from(sorted(nodes))
        doc.setdefault("links", []).append([data.draw(ids), data.draw(ports), data.draw(ids), data.draw(ports)])
    else:
        mutate_anywhere(doc, data)


def mutate_anywhere(doc, data):
    """Replace, delete or add one value somewhere in `doc` (a walk down from the top)."""
    target = doc
    while True:
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        inner = [k for k in keys if isinstance(target[k], (dict, list)) and target[k]]
        if inner and data.draw(st.integers(0, 3)):
            target = target[data.draw(st.sampled_from(inner))]
            continue
        action = data.draw(st.sampled_from(["set", "delete", "add"]))
        if action == "delete" and keys:
            del target[data.draw(st.sampled_from(keys))]
        elif action == "set" and keys:
            target[data.draw(st.sampled_from(keys))] = data.draw(VALUE)
        elif isinstance(target, dict):
            target[data.draw(st.text(max_size=5))] = data.draw(VALUE)
        else:
            target.append(data.draw(VALUE))
        return


def to_text(doc):
    def encode(v):
        if v == INF:
            return "@INF@"
        if isinstance(v, tuple):
            return f"@DEEP{v[1]}@"
        if isinstance(v, dict):
            return {k: encode(x) for k, x in v.items()}
        if isinstance(v, list):
            return [encode(x) for x in v]
        return v
    text = json.dumps(encode(doc))
    text = text.replace('"@INF@"', "1e999")
    while "@DEEP" in text:
        start = text.index('"@DEEP')
        end = text.index('@"', start + 1)
        text = text[:start] + nested(int(text[start + 6:end])) + text[end + 2:]
    return text


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_check_exits_0_or_2_with_a_sentence_and_what_passes_saves_back(data, fuzz_dir, capsys):
    doc = json.loads(json.dumps(EXAMPLES[data.draw(st.sampled_from(sorted(EXAMPLES)))]))
    for _ in range(data.draw(st.integers(1, 3))):
        mutate(doc, data)
    patch = write(fuzz_dir, to_text(doc))
    code, said = check(patch, capsys=capsys)
    assert code in (0, 2), said
    assert "cannot be checked" not in said and "Traceback" not in said, said  # no exception of ours
    assert all(c.isprintable() for line in said.splitlines() for c in line), said
    if code == 0:
        rt = Runtime.open(patch)
        text = patchfile.dumps(rt.to_doc())
        again = Runtime()
        again.load_doc(patchfile.read_text(text))
        assert patchfile.dumps(again.to_doc()) == text
