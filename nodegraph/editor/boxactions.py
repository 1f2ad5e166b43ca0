"""Boxes in the editor: encapsulate a selection, de-encapsulate a box, open a box's inside.

A box's inside opens in a window of its own (another editor, as Max opens an abstraction),
titled with the path back up ("cls [subpatch] — inside mouse-classifier.json"). A subpatch
opens a copy of its inside: saved there, it comes back into this patch as one undo step. An
abstraction opens its own file ($1, $2… kept as written, shown with their defaults): saved
there, or by any editor, every box here that uses it follows.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from .. import abstraction, patchfile
from ..boxes import Box
from ..commands import Deencapsulate, Encapsulate, SetParam

WATCH_EVERY = 1.0  # seconds between looks at the files opened boxes are edited in


class BoxActions:
    def _init_boxes(self):
        self._box_files = None  # abstraction files' modification times, once a box is in the patch
        self._open_insides = {}  # temporary file -> (subpatch box id, its modification time)
        self._boxes_looked = 0.0

    def box_at(self, node_id):
        node = self.rt.doc.nodes.get(node_id)
        return node if isinstance(node, Box) else None

    def encapsulate(self):
        nodes, _, _ = self.canvas.selection()
        if not nodes:
            self.say("select the nodes to put in a box")
            return None
        box_id = self.rt.doc.new_id("subpatch")
        if self.try_do(Encapsulate(nodes, box_id)) is None:
            return None
        self.say(f"put {len(nodes)} nodes in the box '{box_id}' (double-click it to open it; "
                 "Edit > De-encapsulate takes them out again)")
        return box_id

    def deencapsulate(self, box_id=None):
        if box_id is None:
            nodes, _, _ = self.canvas.selection()
            box_id = nodes[0] if len(nodes) == 1 else None
        if box_id is None or self.box_at(box_id) is None:
            self.say("select one box (a subpatch or an abstraction) to take its inside out")
            return False
        if self.try_do(Deencapsulate(box_id)) is None:
            return False
        self.say(f"'{box_id}' taken apart: its nodes are in this patch now")
        return True

    def open_box(self, box_id):
        """Open a box's inside in a window of its own; returns the file that window edits."""
        box = self.box_at(box_id)
        if box is None:
            return None
        here = os.path.basename(self.path) if self.path else "this patch"
        title = f"{box_id} [{box.saved_type}] — inside {here}"
        if box.saved_type != abstraction.SUBPATCH:
            path = abstraction.find(box.saved_type, self.rt.doc.base_dir, self.rt.doc.search_path)
            if path is None:
                self.fail(f"cannot find the file of '{box_id}' ({box.saved_type})")
                return None
            self._launch(str(path), title)
            self.say(f"opened the inside of '{box_id}', its file {path.name}: saved there, every "
                     f"{box.saved_type} box here follows")
            return str(path)
        inside = abstraction.inside({"type": box.saved_type, "params": box.saved_params()}, box_id,
                                    self.rt.doc.base_dir, self.rt.doc.search_path)
        fd, path = tempfile.mkstemp(prefix=f"{box_id}-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(patchfile.dumps(inside))
        self._open_insides[path] = (box_id, os.stat(path).st_mtime_ns)
        self._launch(path, title)
        self.say(f"opened the inside of '{box_id}': save it there (Ctrl+S) to bring it back here")
        return path

    def _launch(self, path, title):
        env = dict(os.environ, NODEGRAPH_TITLE=title)
        subprocess.Popen([sys.executable, "-m", "nodegraph", "edit", path], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def watch_boxes(self, now):
        """Follow the windows boxes were opened in (from the frame loop, once a second)."""
        if now - self._boxes_looked < WATCH_EVERY:
            return
        self._boxes_looked = now
        files = self.rt.box_files()
        if self._box_files is not None and files != self._box_files and set(files) == set(self._box_files):
            self.rt.refresh_boxes()
            self.say("an abstraction was saved: its boxes follow", "ok")
        self._box_files = files
        for path, (box_id, seen) in list(self._open_insides.items()):
            try:
                mtime = os.stat(path).st_mtime_ns
            except OSError:
                del self._open_insides[path]
                continue
            if mtime != seen:
                self._open_insides[path] = (box_id, mtime)
                self._take_inside(box_id, path)

    def _take_inside(self, box_id, path):
        if self.box_at(box_id) is None:
            return
        try:
            inside = patchfile.read(path)
        except Exception as e:
            self.fail(f"could not bring back the inside of '{box_id}': {e}")
            return
        inside.pop("format", None)
        inside.pop("version", None)
        if self.try_do(SetParam(box_id, "patch", json.loads(json.dumps(inside)))) is not None:
            self.say(f"the inside of '{box_id}' is back in this patch (Ctrl+Z undoes it)", "ok")
