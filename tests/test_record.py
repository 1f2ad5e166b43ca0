"""display, csv.record and csv.play, on the manual clock."""
import numpy as np
import pytest

from nodegraph import BANG, SetParam

from .conftest import build, tap


def timed(rt, node_id, outlet):
    """[(logical ms, value)] for every value leaving node_id.outlet."""
    seen = []
    rt.graph.node(node_id).watch(outlet, lambda v: seen.append((rt.scheduler.now, v)))
    return seen


@pytest.fixture
def rt(rt, tmp_path):
    rt.scheduler.base_dir = str(tmp_path)  # as when the patch is opened from tmp_path: its files live there
    return rt


def rows(seen):
    return [(t, v.tolist()) for t, v in seen]


@pytest.fixture
def take(tmp_path, rt):
    """A recording made on the manual clock: rows at 10, 25, 25 and 55 ms after `record` on."""
    path = tmp_path / "take.csv"
    build(rt, {"rec": ("csv.record", {"path": str(path)})})
    rt.start(thread=False)
    rt.advance(1000)  # logical time is not 0 when the take starts
    rt.send("rec", "record", True)
    for wait, v in [(10, [1, 2]), (15, [3, 4]), (0, [5, 6]), (30, [7, 8.125])]:
        rt.advance(wait)
        rt.send("rec", "values", np.array(v, dtype=float))
    rt.send("rec", "record", False)
    assert rt.graph.node("rec").settle()  # rows go to disk by a writer thread, never this one
    return path


def test_record_writes_a_header_and_timestamped_rows(take, rt):
    assert take.read_text().splitlines() == [
        "time_ms,v1,v2", "10.000,1.0,2.0", "25.000,3.0,4.0", "25.000,5.0,6.0", "55.000,7.0,8.125"]
    assert rt.graph.node("rec").info() == {"recording": False, "rows": 4, "path": str(take)}
    assert any("recorded 4 rows" in t for t in rt.console.texts())


def test_record_keeps_full_precision_and_takes_single_numbers(tmp_path, rt):
    path = tmp_path / "p.csv"
    build(rt, {"rec": ("csv.record", {"path": str(path)})})
    rt.send("rec", "record", True)
    rt.send("rec", "values", 0.1 + 0.2)
    rt.send("rec", "record", False)
    assert rt.graph.node("rec").settle()
    assert path.read_text().splitlines() == ["time_ms,v1", "0.000,0.30000000000000004"]


def test_every_row_is_on_disk_as_soon_as_its_writer_gets_to_it(tmp_path, rt):
    path = tmp_path / "live.csv"
    build(rt, {"rec": ("csv.record", {"path": str(path)})})
    rt.start(thread=False)
    rt.send("rec", "record", True)
    for i in range(5):
        rt.send("rec", "values", np.array([float(i)]))
        assert rt.graph.node("rec").settle()  # flushed, not only queued: a crash now loses nothing
        assert len(path.read_text().splitlines()) == i + 2  # read while still recording
    rt.stop()  # the patch stops mid-take: nothing is lost, the file is closed
    assert path.read_text().splitlines()[-1] == "0.000,4.0"
    assert rt.graph.node("rec").info()["recording"] is False


def test_values_outside_a_take_are_not_recorded_and_a_new_take_replaces_the_file(tmp_path, rt):
    path = tmp_path / "t.csv"
    build(rt, {"rec": ("csv.record", {"path": str(path)})})
    rt.send("rec", "values", 1.0)
    assert not path.exists()
    for take in (1.0, 2.0):
        rt.send("rec", "record", True)
        rt.send("rec", "values", take)
        rt.send("rec", "record", False)
    assert rt.graph.node("rec").settle()
    assert path.read_text().splitlines() == ["time_ms,v1", "0.000,2.0"]


def test_recording_where_it_cannot_write_is_a_node_error(tmp_path, rt):
    build(rt, {"rec": ("csv.record", {"path": str(tmp_path / "no-such-folder" / "x.csv")}), "m": ("math", {})})
    rt.send("rec", "record", True)
    assert 'cannot write "' in rt.graph.node("rec").error and "no such file" in rt.graph.node("rec").error
    rt.send("rec", "values", 1.0)  # nothing recorded, nothing raised
    out = tap(rt, "m", "out")
    rt.send("m", "a", 1)
    assert out == [1.0]
    rt.do(SetParam("rec", "path", ""))
    rt.send("rec", "record", True)
    assert "choose the file to record to" in rt.graph.node("rec").error


def test_play_replays_with_the_original_timing(take, rt):
    build(rt, {"play": ("csv.play", {"path": str(take)})})
    out, done = timed(rt, "play", "values"), timed(rt, "play", "done")
    start = rt.scheduler.now
    rt.send("play", "play", BANG)
    assert rows(out) == [(start, [1.0, 2.0])]  # the first row at once
    rt.advance(14.9)
    assert len(out) == 1
    rt.advance(100)
    assert rows(out) == [(start, [1.0, 2.0]), (start + 15, [3.0, 4.0]), (start + 15, [5.0, 6.0]),
                         (start + 45, [7.0, 8.125])]
    assert [t for t, _ in done] == [start + 45]
    assert rt.graph.node("play").info()["playing"] is False


def test_rows_due_together_are_sent_in_one_run(take, rt):
    build(rt, {"play": ("csv.play", {"path": str(take)}), "m": ("math", {})})
    node = rt.graph.node("play")
    calls = []
    tick = node._tick
    node._tick = lambda: (calls.append(rt.scheduler.now), tick())
    rt.send("play", "play", BANG)
    rt.advance(100)
    # three timer runs for four rows: the two rows at 15 ms left in one run
    start = calls[0]
    assert [t - start for t in calls] == [0, 15, 45]


def test_speed_loop_and_stop(take, rt):
    build(rt, {"play": ("csv.play", {"path": str(take), "speed": 2.0, "loop": True})})
    out, done = timed(rt, "play", "values"), timed(rt, "play", "done")
    start = rt.scheduler.now
    rt.send("play", "play", BANG)
    rt.advance(40)
    # at double speed: 0, 7.5, 7.5, 22.5; the loop lasts (45 + 15) / 2 = 30 ms
    assert [t - start for t, _ in out] == [0, 7.5, 7.5, 22.5, 30, 37.5, 37.5]
    assert [t - start for t, _ in done] == [22.5]
    rt.send("play", "stop", BANG)
    rt.advance(1000)
    assert len(out) == 7 and rt.graph.node("play").info()["playing"] is False


def test_changing_speed_while_playing_keeps_the_place(take, rt):
    build(rt, {"play": ("csv.play", {"path": str(take)})})
    out = timed(rt, "play", "values")
    start = rt.scheduler.now
    rt.send("play", "play", BANG)
    rt.advance(5)  # 5 ms into the take; the next row is 10 ms of recording away
    rt.do(SetParam("play", "speed", 2.0))
    rt.advance(100)
    assert [t - start for t, _ in out] == [0, 10, 10, 25]


def test_play_again_restarts_from_the_beginning(take, rt):
    build(rt, {"play": ("csv.play", {"path": str(take)})})
    out = timed(rt, "play", "values")
    rt.send("play", "play", BANG)
    rt.advance(20)
    rt.send("play", "play", BANG)
    rt.advance(100)
    assert [v.tolist()[0] for _, v in out] == [1, 3, 5, 1, 3, 5, 7]


@pytest.mark.parametrize("content, message", [
    (None, "there is no such file"),
    ("", "it has no rows"),
    ("time_ms,v1\n", "it has no rows"),
    ("time_ms,v1\n0,1\n5,abc\n", "line 3, column 2 is not a number"),
    ("0,1\n10\n", "line 2 has a time but no values"),
    ("0,1\n10,2\n5,3\n", "line 3: the time goes back (5 after 10)"),
    ("nan,1\n", "line 1: the time is nan"),
])
def test_a_missing_or_bad_file_is_a_clear_node_error(tmp_path, rt, content, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    build(rt, {"play": ("csv.play", {"path": str(path)}), "m": ("math", {})})
    out = tap(rt, "play", "values")
    rt.send("play", "play", BANG)
    error = rt.graph.node("play").error
    assert error.startswith(f'cannot play "{path}"') and message in error
    assert out == []
    m = tap(rt, "m", "out")
    rt.send("m", "a", 2)  # the patch carries on
    assert m == [2.0]


def test_a_hand_written_file_plays_without_a_header_and_with_blank_lines(tmp_path, rt):
    path = tmp_path / "hand.csv"
    path.write_text("100, 0.5, 1\n\n150,0.25,2\n")
    build(rt, {"play": ("csv.play", {"path": str(path)})})
    out = timed(rt, "play", "values")
    rt.send("play", "play", BANG)
    rt.advance(60)
    assert [(t, v) for t, v in rows(out)] == [(0, [0.5, 1.0]), (50, [0.25, 2.0])]


def test_display_keeps_the_latest_value_for_the_editor(rt):
    build(rt, {"d": ("display", {"digits": 2})})
    node = rt.graph.node("d")
    assert node.info() == {"text": "", "count": 0, "value": None}
    rt.send("d", "in", 0.12345)
    assert node.info() == {"text": "0.12", "count": 1, "value": 0.12345}
    rt.send("d", "in", np.arange(20, dtype=float))
    info = node.info()
    assert info["text"].startswith("0.00 1.00") and info["text"].endswith("… (20 values)")
    assert info["value"] == list(range(20)) and info["count"] == 2
    for v, text in [(BANG, "bang"), (True, "on"), ("hello", "hello"), (7, "7"), (["/a", 1.5], "/a 1.50")]:
        rt.send("d", "in", v)
        assert node.info()["text"] == text
    first = node.info()
    first["value"].append("mutated")  # a fresh dict each time: the editor may keep it
    assert node.info()["value"] == ["/a", 1.5]


def test_relative_csv_path_starts_at_the_patch_folder(tmp_path, monkeypatch):
    """A patch and its recording travel together: `nodegraph run` works from any folder."""
    import json
    from nodegraph import Runtime
    from nodegraph.clock import ManualClock
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "take.csv").write_text("time_ms,v1\n0,1.5\n10,2.5\n")
    doc = {"format": "nodegraph-patch", "version": 1,
           "nodes": {"play": {"type": "csv.play", "params": {"path": "take.csv"}}}}
    (folder / "p.json").write_text(json.dumps(doc))
    monkeypatch.chdir(tmp_path)
    rt = Runtime.open(folder / "p.json", clock=ManualClock())
    seen = []
    rt.graph.node("play").watch("values", seen.append)
    rt.send("play", "play", 1.0)
    rt.advance(20)
    rt.close()
    assert [v.tolist() for v in seen] == [[1.5], [2.5]]
