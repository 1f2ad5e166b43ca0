"""The editor's helpers that need no window: completion, box text, fragments, values,
recent files and recovery, layout. (They import no GUI code.)"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from nodegraph import AddComment, AddNode, BANG, Connect, registry
from nodegraph.editor import boxtext, fragment, fuzzy, layout, session, values
from nodegraph.errors import EditError, PatchError

ENTRIES = [(t, c.summary()) for t, c in registry.all_types().items()]


def names(query):
    return [n for n, _ in fuzzy.complete(query, ENTRIES)]


def test_completion_ranks_exact_prefix_part_letters_then_help_words():
    assert names("metro")[0] == "metro"
    assert names("met")[0] == "metro"
    assert names("mtro")[0] == "metro", "letters in order"
    assert "osc.in" in names("in"), "the start of a dotted part"
    assert names("print")[0] == "print"
    assert names("") and len(names("")) <= 12
    assert names("zzzz") == []
    first = fuzzy.complete("writes console", ENTRIES)
    assert first and first[0][0] == "print", "words of the one-line help"


def test_completion_puts_the_usual_type_first_among_equal_matches():
    assert names("ml.cl")[:2] == ["ml.classify", "ml.cluster"], "both prefixes: the more used first"
    assert [n for n, _ in fuzzy.complete("ml.cl", ENTRIES, uses={"ml.cluster": 3})][0] == "ml.cluster"
    assert names("ml.c")[0] == "ml.classify"
    assert names("sl")[0] == "slider" and names("d")[0] == "display"
    # the kind of match comes first: a prefix beats a more used type that only contains it
    assert [n for n, _ in fuzzy.complete("pr", ENTRIES, uses={"expr": 1000})][0] == "print"
    assert [n for n, _ in fuzzy.complete("math", ENTRIES, uses={"ml.classify": 10**6})][0] == "math"
    assert names("")[0] in ("slider", "display", "ml.classify"), "an empty box offers the usual ones"


def test_type_uses_are_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("NODEGRAPH_STATE_DIR", str(tmp_path))
    assert session.type_uses() == {}
    session.save_type_uses({"ml.cluster": 4, "bad": "x"})
    assert session.type_uses() == {"ml.cluster": 4}
    (tmp_path / "uses.json").write_text("{nope")
    assert session.type_uses() == {}


def test_completion_gives_the_help_line_beside_each_name():
    (name, summary), *_ = fuzzy.complete("metro", ENTRIES)
    assert summary == registry.get("metro").summary()


def parse(text):
    return boxtext.parse(text, registry.resolve, lambda t: registry.get(t).params)


def test_box_text_sets_params_in_order_like_pd():
    assert parse("metro 250") == ("metro", {"interval": 250.0})
    assert parse("math * 2") == ("math", {"op": "*", "arg": 2.0})
    assert parse("expr ($f1 + $f2) / 2") == ("expr", {"expr": "($f1 + $f2) / 2"})
    assert parse("print hello world") == ("print", {"prefix": "hello world"})
    assert parse("osc.in 6448 /wek/inputs") == ("osc.in", {"port": 6448, "address": "/wek/inputs"})
    assert parse("metro autostart=on 100") == ("metro", {"autostart": True, "interval": 100.0})
    assert parse("t b f") == ("trigger", {"kinds": "b f"}), "aliases resolve"


@pytest.mark.parametrize("text, words", [
    ("", "type a node name"), ("nosuchthing 1", "no node type 'nosuchthing'"),
    ("math * x", "arg must be a number"), ("metro 0", "at least 1"), ("math + 1 2", "left over"),
    ("math % 1", "op must be one of")])
def test_box_text_errors_say_what_to_fix(text, words):
    with pytest.raises(EditError, match=None) as e:
        parse(text)
    assert words in str(e.value)


def test_fragment_copies_selection_and_inner_links_and_pastes_with_fresh_ids(rt):
    rt.do(AddNode("metro", {"interval": 300}, (10, 20), node_id="tick"))
    rt.do(AddNode("print", {}, (10, 120), node_id="show"))
    rt.do(AddNode("print", {}, (300, 120), node_id="other"))
    rt.do(Connect("tick", "bang", "show", "in"))
    rt.do(Connect("tick", "bang", "other", "in"))
    rt.do(AddComment("hi", (0, 0)))
    doc = fragment.copy_doc(rt.graph, ["tick", "show"], [0])
    assert set(doc["nodes"]) == {"tick", "show"} and doc["links"] == [["tick", "bang", "show", "in"]]
    text = fragment.to_text(doc)
    again = fragment.from_text(text)
    assert again == json.loads(text)
    cmds, ids = fragment.paste_commands(rt.graph, again, at=(500, 500))
    assert ids == {"tick": "tick1", "show": "show1"}
    for cmd in cmds:
        rt.do(cmd)
    assert rt.graph.pos["tick1"] == (510, 520) and rt.graph.pos["show1"] == (510, 620)  # the comment is the corner
    assert ("tick1", "bang", "show1", "in") in rt.graph.links
    assert rt.graph.nodes["tick1"].params["interval"] == 300
    assert [c.text for c in rt.graph.comments.values()] == ["hi", "hi"]
    cmds, ids = fragment.paste_commands(rt.graph, again)  # no point: moved by the offset
    assert ids["tick"] == "tick2"
    assert fragment.describe(again) == "2 nodes and 1 comment"


@pytest.mark.parametrize("text", ["", "hello", "{nope", '{"format": "other"}', "[1, 2]"])
def test_fragment_refuses_text_that_is_not_a_patch(text):
    with pytest.raises(PatchError):
        fragment.from_text(text)


def test_short_values_fit_on_a_node():
    assert values.short(BANG) == "bang"
    assert values.short(0.5) == "0.5" and values.short(3.0) == "3" and values.short(1 / 3) == "0.333"
    assert values.short(True) == "on" and values.short(np.float64(2.5)) == "2.5"
    long = values.short(np.arange(100, dtype=float))
    assert long.startswith("[0 1 2") and long.endswith("…(100)") and len(long) <= values.WIDTH + 8
    assert values.short("x" * 100).endswith("…") and len(values.short("x" * 100)) == values.WIDTH
    assert values.short({"a": 1}) == "{a: 1}"


@pytest.mark.parametrize("x, text", [
    (1.71e-05, "0.00002"), (-1.71e-05, "-0.00002"), (1e-9, "0"), (-1e-9, "0"), (0.0001234, "0.00012"),
    (0.5, "0.5"), (2 / 3, "0.667"), (12.345, "12.3"), (99.96, "100"), (440.25, "440"), (1234.5, "1234"),
    (-3.0, "-3"), (0.0, "0"), (1e20, "1e+20"), (float("nan"), "nan")])
def test_numbers_read_at_a_glance_without_e_notation(x, text):
    assert values.short(x) == text


def test_info_lines_read_naturally_and_skip_noise():
    lines, progress = values.info_lines({
        "mode": "recording", "training": True, "progress": 0.4, "examples": 12, "takes": 0,
        "counts": {"a": 5, "b": 7}, "score": {"accuracy": 0.93}, "status": "ok", "classes": []})
    assert lines[:4] == ["mode: recording", "12 examples (a: 5 · b: 7)", "score: accuracy 0.93", "status: ok"]
    assert "training" in lines and not any("takes" in l or "classes" in l for l in lines)
    assert progress == 0.4
    assert values.info_lines({"text": "0.500", "count": 3, "value": 0.5}) == (["0.500"], None)
    assert values.info_lines({"port": 9000, "received": 0}, skip={"port"}) == (["received: 0"], None)
    many = values.info_lines({f"k{i}": i + 1 for i in range(20)})[0]
    assert len(many) == values.MAX_LINES and "more in the inspector" in many[-1]
    assert values.info_lines("not a dict") == ([], None)
    # a node may choose what shows on it; the inspector (everything) shows the rest too
    chosen = {"text": "▶ running\ncross-validated accuracy 95.3% (5 folds)", "counts": {"a": 1}, "takes": 4,
              "show": ("text", "counts")}
    lines = values.info_lines(chosen)[0]
    assert lines[0] == "▶ running" and lines[-2].strip() == "(5 folds)" and lines[-1].startswith("1 example (")
    assert not any("takes" in line or "show" in line for line in lines)
    assert any("takes: 4" in line for line in values.info_lines(chosen, everything=True)[0])
    # a text longer than a node shows says that the rest is in the inspector
    long = {"text": "▶ running\n" + "word " * 60}
    on_node, everything = values.info_lines(long)[0], values.info_lines(long, everything=True)[0]
    assert len(on_node) == values.TEXT_LINES and on_node[-1].endswith(" …") and len(everything) > len(on_node)
    assert values.info_lines({"text": "▶ running\nshort"})[0] == ["▶ running", "short"]


def test_recent_files_and_recovery(tmp_path, monkeypatch):
    monkeypatch.setenv("NODEGRAPH_STATE_DIR", str(tmp_path / "state"))
    assert session.recent_files() == []
    for i in range(15):
        session.add_recent(str(tmp_path / f"p{i}.json"))
    recent = session.recent_files()
    assert len(recent) == session.RECENT_MAX and recent[0].endswith("p14.json")
    session.add_recent(str(tmp_path / "p3.json"))
    assert session.recent_files()[0].endswith("p3.json") and len(set(session.recent_files())) == session.RECENT_MAX

    patch = tmp_path / "work.json"
    patch.write_text("{}")
    doc = {"format": "nodegraph-patch", "version": 1, "nodes": {}}
    session.write_recovery(str(patch), doc)
    assert session.find_recovery(str(patch)) is not None, "this process wrote it: an earlier crash of ours"
    os.utime(patch, (2e9, 2e9))  # saved after the copy was written: the copy is stale
    assert session.find_recovery(str(patch)) is None
    session.write_recovery(None, doc)
    record = session.find_recovery(None)
    assert session.check_recovered(record) == doc
    # a copy whose writer is still running belongs to another open editor, not to a crash
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        data = json.loads(open(session.recovery_path(None)).read())
        data["pid"] = other.pid
        open(session.recovery_path(None), "w").write(json.dumps(data))
        assert session.find_recovery(None) is None
    finally:
        other.kill()
        other.wait()
    assert session.find_recovery(None) is not None
    session.discard_recovery(None)
    assert session.find_recovery(None) is None
    (tmp_path / "state" / "recent.json").write_text("{broken")
    assert session.recent_files() == [], "a damaged list is forgotten, not fatal"


def test_spread_moves_overlapping_boxes_down_keeping_order():
    rects = {"a": (0, 0, 100, 80), "b": (20, 40, 100, 80), "c": (300, 0, 50, 50), "d": (10, 300, 50, 50)}
    moved = layout.spread(rects, margin=10)
    assert moved == {"b": (20, 90)}
    rects["b"] = (20, 90, 100, 80)
    assert layout.spread(rects, margin=10) == {}
    pile = {i: (0, 0, 50, 50) for i in range(4)}
    assert [p[1] for _, p in sorted(layout.spread(pile, margin=5).items())] == [55, 110, 165]


def test_editor_helpers_import_no_gui():
    code = ("import sys; import nodegraph.editor.fuzzy, nodegraph.editor.boxtext, nodegraph.editor.fragment, "
            "nodegraph.editor.values, nodegraph.editor.session, nodegraph.editor.layout, nodegraph.editor.xdisplay; "
            "print('dearpygui' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_scope_draws_each_channel_in_its_colour_newest_at_the_right():
    from nodegraph.editor import plotdraw
    t = np.linspace(0, 1000, 50)
    values = np.column_stack([np.full(50, 0.75), np.full(50, 0.25)])
    img = plotdraw.scope({"t": t, "values": values, "now": 1000.0, "window_ms": 1000.0, "y": [0.0, 1.0]}, 100, 40)
    assert img.shape == (40, 100, 4) and img.dtype == np.float32
    row_hi, row_lo = round((1 - 0.75) * 39), round((1 - 0.25) * 39)
    assert np.allclose(img[row_hi, 5:95, :3], plotdraw.PALETTE[0])
    assert np.allclose(img[row_lo, 5:95, :3], plotdraw.PALETTE[1])
    assert np.allclose(img[20, 50, :3], plotdraw.BACK[:3]), "nothing between the lines"
    empty = plotdraw.scope({"t": np.zeros(0), "values": np.zeros((0, 0)), "y": [-1, 1]}, 10, 10)
    rows = [r for r in range(10) if np.allclose(empty[r, :, :3], plotdraw.AXIS[:3])]
    assert rows in ([4], [5]), "the zero line, mid-height, when the range spans 0"


def test_dataset_dots_over_the_shaded_regions_and_the_live_point_on_top():
    from nodegraph.editor import plotdraw
    view = {"bounds": [0.0, 1.0, 0.0, 1.0], "points": np.array([[0.1, 0.1], [0.9, 0.9]]),
            "color": np.array([0, 1]), "classes": ["a", "b"], "values": None, "value_range": None,
            "grid": {"x": np.array([0.25, 0.75]), "y": np.array([0.25, 0.75]), "z": np.array([[0, 0], [1, 1]]),
                     "kind": "class"},
            "live": [0.5, 0.5]}
    img = plotdraw.dataset(view, 101, 101)
    assert np.allclose(img[90, 10, :3], plotdraw.PALETTE[0]), "point a at the bottom left"
    assert np.allclose(img[10, 90, :3], plotdraw.PALETTE[1]), "point b at the top right"
    bottom, top = img[80, 50, :3], img[20, 50, :3]
    assert bottom[2] > bottom[0] and top[0] > top[2], "class 0 (blue) shades the bottom half, class 1 (orange) the top"
    assert np.allclose(img[50, 44, :3], 1.0) and np.allclose(img[50, 47, :3], 0.0), "the live point: a white ring"
    assert img[50, 5, 0] > 0.4 and img[5, 50, 0] > 0.4, "a cross-hair through it"
    assert plotdraw.nearest_point(view, 10, 90, 101, 101) == 0
    assert plotdraw.nearest_point(view, 50, 50, 101, 101) is None


def test_confusion_cells_green_on_the_diagonal_red_off_it():
    from nodegraph.editor import plotdraw
    img = plotdraw.confusion({"matrix": np.array([[9, 1], [0, 10]]), "classes": ["a", "b"]}, 40, 40)
    assert img[5, 5, 1] > 0.6 and img[5, 5, 0] < 0.5, "right: green"
    assert img[5, 35, 0] > img[5, 35, 1] and img[5, 35, 0] < 0.35, "a few mix-ups: faint red"
    assert np.allclose(img[35, 5, :3], plotdraw.BACK[:3]), "none: nothing"
    assert np.allclose(plotdraw.confusion({"matrix": None}, 4, 4), plotdraw.blank(4, 4))


@pytest.mark.parametrize("width", [20, 28, 36, 60])
def test_help_wraps_on_spaces_never_inside_a_word(width):
    """The help panel's text (values.reflow): every word of every node's help arrives whole,
    in order; lines fit the width unless one word alone is wider; paragraphs stay apart."""
    for type_id, cls in registry.all_types().items():
        text = cls.help()
        wrapped = values.reflow(text, width)
        assert wrapped.split() == text.split(), type_id
        for line in wrapped.splitlines():
            assert len(line) <= width or " " not in line.strip(), (type_id, line)
        assert wrapped.count("\n\n") == text.count("\n\n"), type_id


def test_help_wrap_keeps_dotted_names_items_and_indents_whole():
    text = "Link ml.classify to audio.out, values 0..1.\nA second line.\n\n`uniform`: one\n`gaussian`: two"
    assert values.reflow(text, 18) == ("Link ml.classify\nto audio.out,\nvalues 0..1. A\nsecond line.\n\n"
                                       "`uniform`: one\n`gaussian`: two")
    assert values.reflow("  features (vector): what a learner looks at", 24) == (
        "  features (vector):\n  what a learner looks\n  at")
    assert values.reflow("a averyveryverylongword b", 6) == "a\naveryveryverylongword\nb"
    pixels = values.reflow("mmm iii mmm", 56, measure=lambda s: sum(12 if c == "m" else 4 for c in s))
    assert pixels == "mmm iii\nmmm"  # measured in pixels, as the panel does


def test_a_midi_message_reads_as_a_musician_says_it():
    import mido
    assert values.short(mido.Message("control_change", control=21, value=64)) == "cc 21 = 64 ch 1"
    assert values.short(mido.Message("note_on", note=60, velocity=100, channel=2)) == "note on 60 vel 100 ch 3"
    assert values.short(mido.Message("pitchwheel", pitch=-200)) == "bend -200 ch 1"
    assert len(values.short(mido.Message("sysex", data=list(range(40))))) <= values.WIDTH
