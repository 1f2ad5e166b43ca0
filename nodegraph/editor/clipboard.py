"""Copy, cut, paste and duplicate: the Editor's clipboard gestures.

What travels is a patch fragment (fragment.py) as text: on the system clipboard,
so it pastes into another editor or a text file, and in a process-wide copy for
when the system clipboard is unavailable.
"""
from __future__ import annotations

import dearpygui.dearpygui as dpg

from ..commands import Group
from ..errors import NodegraphError
from . import fragment

_clipboard = {"text": ""}  # shared by every patch this process opens


class ClipboardActions:
    def copy(self):
        nodes, comments, _ = self.canvas.selection()
        if not nodes and not comments:
            self.say("select nodes or comments to copy")
            return None
        doc = self.rt.call(fragment.copy_doc, self.rt.graph, nodes, comments)
        text = fragment.to_text(doc)
        _clipboard["text"] = text
        try:
            dpg.set_clipboard_text(text)
        except Exception:
            pass  # the process-wide copy still works within this editor
        self.say(f"copied {fragment.describe(doc)}")
        return doc

    def cut(self):
        if self.copy() is not None:
            self.delete_selection()

    def paste(self, at=None):
        text = ""
        try:
            text = dpg.get_clipboard_text() or ""
        except Exception:
            pass
        try:
            doc = fragment.from_text(text)
        except NodegraphError as e:
            if not _clipboard["text"] or text == _clipboard["text"]:
                self.fail(str(e))
                return None
            doc = fragment.from_text(_clipboard["text"])
        if at is None:
            at = self.mouse_grid() if self.canvas.hovered() else None
        return self._paste_doc(doc, at, "paste")

    def duplicate(self):
        nodes, comments, _ = self.canvas.selection()
        if not nodes and not comments:
            self.say("select nodes or comments to duplicate")
            return None
        doc = self.rt.call(fragment.copy_doc, self.rt.graph, nodes, comments)
        return self._paste_doc(doc, None, "duplicate")

    def _paste_doc(self, doc, at, label):
        def apply():
            cmds, ids = fragment.paste_commands(self.rt.graph, doc, at)
            self.rt.history.do(Group(cmds, label))
            return ids
        try:
            ids = self.rt.call(apply)
        except NodegraphError as e:
            self.fail(f"cannot {label}: {e}")
            return None
        self.gesture += 1
        self.say(f"{label}: {fragment.describe(doc)}")
        return ids
