"""The pad, the mouse node, zoom and fit: real editor processes, real X events (pad_zoom.py)."""

import pytest


@pytest.fixture
def run(editor_run, tmp_path):
    def go(scenario, *args, timeout=120):
        return editor_run(scenario, *args, timeout=timeout, script="pad_zoom.py")
    go.tmp = tmp_path
    return go


def test_a_stroke_on_the_pad_arrives_as_points_along_its_path(run):
    assert run("pad_stroke")["points"] >= 20


def test_the_mouse_node_says_it_needs_the_window_and_sends_what_the_editor_posts():
    """Headless, the mouse node says plainly it needs the editor window; the pointer the
    editor posts into the inbox comes out as x, y, [x, y] and the button."""
    from nodegraph.commands import AddNode
    from nodegraph.runtime import Runtime
    from nodes.controls import Mouse

    rt = Runtime.manual()
    rt.do(AddNode("mouse", {}, (0, 0)))
    node = next(iter(rt.graph.nodes.values()))
    got = []
    for outlet in ("xy", "x", "y", "button"):
        node.watch(outlet, lambda v, o=outlet: got.append((o, v.tolist() if hasattr(v, "tolist") else v)))
    rt.start(thread=False)
    rt.advance(1500)
    assert Mouse.NEEDS_WINDOW in rt.console.texts(), rt.console.texts()
    assert "waiting" in node.info()["status"] and not got
    node.post(node.pointer, 0.25, 0.75, True)  # what the editor does, from its own thread
    rt.poll()
    assert got == [("button", True), ("y", 0.75), ("x", 0.25), ("xy", [0.25, 0.75])]
    node.post(node.pointer, 0.25, 0.75, False)  # the button let go, the pointer still
    rt.poll()
    assert got[-1] == ("button", False) and len(got) == 5
    rt.close()


def test_an_editor_feeds_the_mouse_node_so_it_does_not_complain(run):
    assert run("mouse_node")["moves"] >= 5


def test_zoom_keys_and_wheel_scale_the_view_and_show_all_fits(run):
    report = run("zoom_keys")
    assert report["fit"] < 1.0


def test_every_example_patch_fits_a_1280x800_window_at_its_saved_zoom(run):
    report = run("examples_fit")
    assert len(report) >= 10


def test_a_circle_drawn_on_the_gesture_patchs_pad_is_named_circle(run):
    assert "circle" in run("gesture_circle")["named"]


def test_classes_taught_as_areas_drawn_on_the_pad(run):
    assert set(run("teach_areas")["counts"]) == {"1", "2", "3"}


def test_the_inspector_resizes_with_its_bar_and_hides_with_ctrl_i(run):
    run("side_panel")


def test_far_nodes_are_drawn_when_panned_to_and_show_all_draws_every_node(run):
    from nodegraph import patchfile

    path = run.tmp / "far.json"
    patchfile.write(str(path), far_patch())
    got = run("far_nodes", path)
    assert got["of"] - got["drawn_first"] >= 3, got  # the last row, far below the canvas, is not drawn


def far_patch(rows=5, gap=280):
    """Rows of metro -> counter -> display, `gap` apart downwards, and one long link from
    the first row's metro to the last row's display."""
    nodes, links = {}, []
    for r in range(rows):
        y = 40 + r * gap
        nodes[f"m{r}"] = {"type": "metro", "params": {"interval": 50, "autostart": True}, "pos": [40, y]}
        nodes[f"c{r}"] = {"type": "counter", "params": {}, "pos": [300, y]}
        nodes[f"d{r}"] = {"type": "display", "params": {}, "pos": [560, y]}
        links += [[f"m{r}", "bang", f"c{r}", "bang"], [f"c{r}", "count", f"d{r}", "in"]]
    nodes["far"] = {"type": "display", "params": {}, "pos": [820, 40 + (rows - 1) * gap]}
    links.append(["c0", "count", "far", "in"])
    return {"format": "nodegraph-patch", "version": 1, "nodes": nodes, "links": links}

