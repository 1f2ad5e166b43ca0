"""Editor speed under Xvfb (software OpenGL): frame time with 200 live nodes, and the
time to open a 500-node patch.

The 200 nodes are 40 counters (metro 20 ms -> value -> math + -> delay 0 back, and
a display), so every node's value changes 50 times a second while the editor
draws. Frame time is the editor's own work per frame (sync from the engine, live
values, render, callbacks), not the sleep that caps the rate. Two layouts:
"spread" is a patch as people lay one out (most nodes off screen, as on any
canvas bigger than the window), "piled" puts every node inside the visible area
(worst case: all 200 drawn, overlapping). The baseline is the same editor with
an empty patch, measured in the same run.

Run: python bench/editor.py [--size 1024x700] [--frames 150] [--rounds 3]
(starts its own Xvfb when DISPLAY is not set).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from nodegraph import patchfile  # noqa: E402
from nodegraph.editor import xdisplay  # noqa: E402


def counters_doc(chains, piled=False):
    nodes, links = {}, []
    for c in range(chains):
        row = [("metro", {"interval": 20, "autostart": True}), ("value", {"value": 1}),
               ("math", {"op": "+"}), ("delay", {"time": 0}), ("display", {})]
        ids = []
        for k, (type_id, params) in enumerate(row):
            node_id = f"{type_id}{c}"
            if piled:
                pos = [20 + (c % 8) * 70 + k * 12, 20 + (c // 8) * 90 + k * 8]
            else:
                pos = [40 + k * 230, 40 + c * 190]
            nodes[node_id] = {"type": type_id, "params": params, "pos": pos}
            ids.append(node_id)
        metro, one, add, back, show = ids
        links += [[metro, "bang", one, "in"], [one, "out", add, "a"], [add, "out", back, "in"],
                  [back, "out", add, "b"], [add, "out", show, "in"]]
    return {"format": "nodegraph-patch", "version": 1, "nodes": nodes, "links": links}


def frame_times(editor, frames):
    editor.frame_times.clear()
    for _ in range(frames):
        took = editor.frame()
        if 1 / 60 - took > 0:
            time.sleep(1 / 60 - took)  # the editor's own cap, so the patch runs as it would
    times = sorted(editor.frame_times[10:])
    return statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000


def run(args):
    from nodegraph.editor.app import Editor

    width, height = map(int, args.size.split("x"))
    folder = tempfile.mkdtemp(prefix="nodegraph-bench-")
    paths = {}
    for name, doc in (("empty", {"format": "nodegraph-patch", "version": 1}),
                      ("spread", counters_doc(40)), ("piled", counters_doc(40, piled=True)),
                      ("open500", counters_doc(100))):
        paths[name] = os.path.join(folder, f"{name}.json")
        patchfile.write(paths[name], doc)

    editor = Editor(width, height)
    editor.fast = True
    try:
        # Rounds interleave the cases, so a burst of load from other processes (the
        # machine is shared) lands on all of them alike; each case reports the median of
        # its round medians.
        cases = ("empty", "spread", "piled")
        results = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name in cases:
                assert editor.open_now(paths[name]), editor.last_error
                editor.run_for(0.3)
                results[name].append(frame_times(editor, args.frames))
        summary = {name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
                   for name, runs in results.items()}
        base = summary["empty"][0]
        print(f"viewport {width}x{height}, {args.rounds} rounds of {args.frames} frames, median / p95 frame time:")
        for name, label in (("empty", "empty patch (baseline)"), ("spread", "200 live nodes, spread"),
                            ("piled", "200 live nodes, all on screen")):
            med, p95 = summary[name]
            print(f"  {label:32s} {med:6.2f} ms / {p95:6.2f} ms   x{med / base:4.1f} baseline")
        assert editor.open_now(paths["spread"])
        editor.run_for(0.5)
        updates = sum(1 for v in editor.canvas.views.values() if v.shown or v.info_shown)
        print(f"  nodes showing live values: {updates} of {len(editor.canvas.views)}")

        opens = []
        for _ in range(3):
            assert editor.open_now(paths["empty"])
            t0 = time.perf_counter()
            assert editor.open_now(paths["open500"]), editor.last_error
            editor.frame()  # the first frame lays out every node
            opens.append(time.perf_counter() - t0)
        n = len(editor.rt.graph.nodes)
        print(f"open a {n}-node patch (load, draw, first frame): median {statistics.median(opens):.2f} s "
              f"(best {min(opens):.2f} s)")
    finally:
        editor.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1024x700")
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if xdisplay.have_display():
        run(args)
    else:
        with xdisplay.PrivateXvfb(1280, 800):
            run(args)


if __name__ == "__main__":
    main()
