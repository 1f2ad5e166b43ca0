"""Patch files: round trips, placeholders, migrations, and every error a clear message."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodegraph import AddComment, AddNode, Connect, Runtime, patchfile
from nodegraph.clock import ManualClock
from nodegraph.errors import PatchError

PATCHES = Path(__file__).parent.parent / "patches"
EXAMPLE = PATCHES / "metro-count.json"
FROZEN_V1 = Path(__file__).parent / "fixtures" / "v1-metro-count.json"  # never edited: migrations are tested on it


def load(doc):
    rt = Runtime.manual()
    rt.load_doc(doc)
    return rt


def base_doc():
    return {"format": "nodegraph-patch", "version": 1,
            "nodes": {"a": {"type": "math", "params": {"op": "*", "arg": 2}, "pos": [0, 0]},
                      "b": {"type": "print", "pos": [0, 80]}},
            "links": [["a", "out", "b", "in"]]}


def test_save_load_save_is_byte_identical(tmp_path):
    rt = Runtime.open(EXAMPLE, clock=None)
    first = tmp_path / "one.json"
    rt.save(first)
    again = Runtime.open(first)
    second = tmp_path / "two.json"
    again.save(second)
    assert first.read_bytes() == second.read_bytes()
    doc = json.loads(first.read_text())
    assert set(doc["nodes"]) == {"start", "tick", "one", "sum", "back", "show"}
    assert doc["comments"][0]["text"].startswith("Counts up")


def test_order_of_editing_does_not_change_the_file(tmp_path):
    def make(order):
        rt = Runtime.manual()
        ids = ["x", "y", "z"]
        for i in (ids if order else reversed(ids)):
            rt.do(AddNode("math", node_id=i, pos=(0, 0)))
        links = [("x", "out", "y", "a"), ("y", "out", "z", "a"), ("x", "out", "z", "b")]
        for link in (links if order else reversed(links)):
            rt.do(Connect(*link))
        return patchfile.dumps(rt.to_doc())
    assert make(True) == make(False)


def test_unknown_node_type_loads_as_placeholder_and_saves_back_unchanged(tmp_path):
    doc = base_doc()
    doc["nodes"]["fx"] = {"type": "granular.cloud", "params": {"grains": 64, "shape": [1, 2]},
                          "state": {"seed": 7}, "pos": [200, 10]}
    doc["links"] += [["a", "out", "fx", "density"], ["fx", "cloud", "b", "in"]]
    rt = load(doc)
    fx = rt.graph.node("fx")
    assert "unknown node type 'granular.cloud'" in fx.error
    rt.send("a", "a", 3)  # the rest of the patch runs
    saved = rt.to_doc()
    assert saved["nodes"]["fx"] == doc["nodes"]["fx"]
    assert ["a", "out", "fx", "density"] in saved["links"] and ["fx", "cloud", "b", "in"] in saved["links"]


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    path.write_text("old")
    rt = load(base_doc())

    def crash(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        rt.save(path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_comments_round_trip():
    rt = Runtime.manual()
    rt.do(AddComment("first, read this", (10, 20)))
    doc = rt.to_doc()
    assert doc["comments"] == [{"text": "first, read this", "pos": [10, 20]}]
    assert load(doc).to_doc() == doc


def test_migration_hook_upgrades_older_versions(monkeypatch):
    """A frozen 'version 1' file read by a future nodegraph at version 2."""
    def v1_to_v2(doc):
        doc = dict(doc)
        doc["nodes"] = {k: dict(v, pos=[p * 2 for p in v.get("pos", [0, 0])]) for k, v in doc["nodes"].items()}
        return doc
    monkeypatch.setattr(patchfile, "VERSION", 2)
    monkeypatch.setitem(patchfile.MIGRATIONS, 1, v1_to_v2)
    frozen = json.loads(FROZEN_V1.read_text())
    doc = patchfile.check_doc(frozen)
    assert doc["version"] == 2
    assert doc["nodes"]["tick"]["pos"] == [80, 240]
    assert frozen["version"] == 1  # the migration did not touch its input


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(format="other"), "field 'format'"),
    (lambda d: d.update(version=99), "newer nodegraph"),
    (lambda d: d.update(version="1"), "field 'version'"),
    (lambda d: d["nodes"]["a"].pop("type"), "node 'a': field 'type'"),
    (lambda d: d["nodes"]["a"].update(params={"op": "sqrt"}), "node 'a' (math): param 'op' expects one of"),
    (lambda d: d["nodes"]["a"].update(params={"arg": "two"}), "node 'a' (math): param 'arg' expects a number"),
    (lambda d: d["nodes"]["a"].update(params={"nope": 1}), "node 'a' (math): math has no param 'nope'"),
    (lambda d: d["nodes"]["a"].update(pos=[1]), "node 'a': field 'pos'"),
    (lambda d: d["nodes"]["a"].update(colour="red"), "node 'a': unknown field 'colour'"),
    (lambda d: d["links"].append(["a", "out", "ghost", "in"]), "there is no node 'ghost'"),
    (lambda d: d["links"].append(["a", "result", "b", "in"]), "node 'a' (math) has no outlet 'result'"),
    (lambda d: d["links"].append(["b", "in", "a"]), "link 2 must be"),
    (lambda d: d["links"].append(["a", "out", "a", "a"]), "no delay"),
    (lambda d: d.update(nodes=[]), "field 'nodes'"),
    (lambda d: d.update(comments=[{"text": 3}]), "comment 1"),
])
def test_each_mistake_gets_one_clear_message(mutate, message):
    doc = base_doc()
    mutate(doc)
    with pytest.raises(PatchError) as e:
        load(doc)
    assert message in str(e.value)
    assert "Traceback" not in str(e.value) and "\n" not in str(e.value)


def test_type_mismatch_in_file_names_both_ports_and_types():
    doc = base_doc()
    doc["nodes"]["t"] = {"type": "trigger", "params": {"kinds": "v"}}
    doc["links"].append(["t", "out0", "a", "a"])
    with pytest.raises(PatchError, match=r"cannot link t\.out0 \(vector\) to a\.a \(float\)"):
        load(doc)


def test_bad_json_and_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "nodegraph-patch", "version": 1, "nodes": {')
    with pytest.raises(PatchError, match="not valid JSON"):
        patchfile.read(bad)
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PatchError, match="UTF-8"):
        patchfile.read(bad)
    with pytest.raises(PatchError, match="cannot read"):
        patchfile.read(tmp_path / "missing.json")
    bad.write_text('{"format": "nodegraph-patch", "version": 1, "nodes": {"a": {"type": "math", "pos": [NaN, 1]}}}')
    with pytest.raises(PatchError):
        patchfile.read(bad)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=20)


def _mutations(doc):
    """Paths into the document, to replace one part with junk."""
    paths = [()]
    def walk(v, path):
        if isinstance(v, dict):
            for k, x in v.items():
                paths.append(path + (k,))
                walk(x, path + (k,))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                paths.append(path + (i,))
                walk(x, path + (i,))
    walk(doc, ())
    return paths


def _loads_or_refuses_clearly(doc):
    try:
        rt = load(doc)
    except PatchError as e:
        assert str(e) and "\n" not in str(e)
    else:
        patchfile.dumps(rt.to_doc())  # what loads can be saved
        rt.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_patches_load_or_give_the_documented_error(data):
    doc = json.loads(EXAMPLE.read_text())
    path = data.draw(st.sampled_from(_mutations(doc)))
    junk = data.draw(JSON)
    if path:
        target = doc
        for key in path[:-1]:
            target = target[key]
        if data.draw(st.booleans()) or isinstance(target, list):
            target[path[-1]] = junk
        else:
            target.pop(path[-1])
            if isinstance(junk, str) and junk:
                target[junk] = data.draw(JSON)
    else:
        doc = junk
    _loads_or_refuses_clearly(doc)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_fuzz_random_text_gives_the_documented_error(text):
    with pytest.raises(PatchError):
        patchfile.read_text(text)


def test_opening_a_patch_never_runs_code(tmp_path):
    marker = tmp_path / "pwned"
    evil = base_doc()
    evil["nodes"]["a"]["params"] = {"op": f"__import__('os').system('touch {marker}')"}
    evil["nodes"]["x"] = {"type": "os.system", "params": {"cmd": f"touch {marker}"}}
    with pytest.raises(PatchError):
        load(evil)
    del evil["nodes"]["a"]
    evil["links"] = []
    load(evil)
    assert not marker.exists()


def test_cli_check_run_and_nodes(tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "nodegraph", *args], capture_output=True, text=True, timeout=60)
    ok = cli("check", str(EXAMPLE))
    assert ok.returncode == 0 and "ok (6 nodes, 6 links)" in ok.stdout
    doc = base_doc()
    doc["nodes"]["a"]["params"]["op"] = "sqrt"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    res = cli("check", str(bad))
    assert res.returncode == 2 and "param 'op'" in res.stderr and "Traceback" not in res.stderr
    doc = base_doc()
    doc["nodes"]["z"] = {"type": "no.such"}
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps(doc))
    res = cli("check", str(unknown))
    assert res.returncode == 0 and "unknown node type 'no.such'" in res.stderr
    run = cli("run", str(EXAMPLE), "--for", "0.6")
    assert run.returncode == 0
    counts = [line for line in run.stdout.splitlines() if line.startswith("show: count:")]
    assert counts[:2] == ["show: count: 1", "show: count: 2"]
    listing = cli("nodes", "--json")
    described = {d["type"]: d for d in json.loads(listing.stdout)}
    assert described["math"]["inlets"][1] == {"name": "b", "type": "float", "hot": False,
                                              "help": "stored for the next computation"}
    assert cli("nodes", "no.such").returncode == 2


def test_cli_run_stops_cleanly_on_sigterm():
    import signal
    import time
    proc = subprocess.Popen([sys.executable, "-m", "nodegraph", "run", str(EXAMPLE)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # it is running once it has counted
    assert line.startswith("show: count:")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_engine_imports_without_dearpygui():
    code = "import sys, nodegraph, nodes; nodegraph.registry.all_types(); print('dearpygui' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_saving_keeps_permissions_like_an_ordinary_write(tmp_path):
    rt = load(base_doc())
    new = tmp_path / "new.json"
    old_umask = os.umask(0o022)
    try:
        rt.save(new)
    finally:
        os.umask(old_umask)
    assert new.stat().st_mode & 0o777 == 0o644
    shared = tmp_path / "shared.json"
    shared.write_text("{}")
    shared.chmod(0o664)
    rt.save(shared)
    assert shared.stat().st_mode & 0o777 == 0o664


def test_frozen_version_1_file_still_loads_and_runs():
    rt = Runtime.open(FROZEN_V1, clock=ManualClock())
    counts = []
    rt.graph.node("sum").watch("out", counts.append)
    rt.start(thread=False)
    rt.advance(600)
    rt.close()
    assert counts == [1.0, 2.0, 3.0]


def test_a_node_type_migrates_its_own_saved_state(tmp_path):
    # a type that changed its saved layout (2: "count" became "counts" per label) reads
    # files in the old layout without a format version bump, and saves the new one
    from nodegraph import Node, Runtime, register

    @register("test.counter2", category="test")
    class Counter2(Node):
        """Counts (a test node whose saved state changed layout)."""
        state_version = 2

        @classmethod
        def migrate_state(cls, state, version):
            assert version == 1
            return {"counts": {"all": state["count"]}}

    old = {"format": "nodegraph-patch", "version": 1,
           "nodes": {"c": {"type": "test.counter2", "state": {"count": 3}, "pos": [0, 0]}}, "links": []}
    rt = Runtime.manual()
    rt.load_doc(old)
    assert rt.graph.node("c").state == {"counts": {"all": 3}}
    saved = rt.to_doc()["nodes"]["c"]
    assert saved["state"] == {"counts": {"all": 3}} and saved["state_version"] == 2
    newer = dict(old, nodes={"c": dict(old["nodes"]["c"], state_version=3)})
    with pytest.raises(PatchError, match="newer nodegraph"):
        Runtime.manual().load_doc(newer)
    rt.close()
