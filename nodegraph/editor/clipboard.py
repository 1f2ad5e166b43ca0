"""Copy, cut, paste and duplicate: the Editor's clipboard gestures.

What travels is a patch fragment (fragment.py) as text: on the system clipboard,
so it pastes into another editor or a text file, and in a process-wide copy for
when the system clipboard is unavailable.
"""
from __future__ import annotations

import ctypes

import dearpygui._dearpygui as _dearpygui
import dearpygui.dearpygui as dpg

from ..commands import Group
from ..errors import NodegraphError
from . import fragment

_clipboard = {"text": ""}  # shared by every patch this process opens


def system_text() -> str:
    """The system clipboard's text, or "" when it holds none. Not dpg.get_clipboard_text():
    it aborts the whole process (a C++ string made from NULL) when the clipboard is empty
    or holds no text, as on a fresh X session. GLFW, inside Dear PyGui, answers NULL then."""
    try:
        get = ctypes.CDLL(_dearpygui.__file__).glfwGetClipboardString
    except (OSError, AttributeError):  # not built on GLFW (Windows): its own clipboard code is safe
        try:
            return dpg.get_clipboard_text() or ""
        except Exception:
            return ""
    get.restype, get.argtypes = ctypes.c_char_p, [ctypes.c_void_p]
    raw = get(None)  # (the window argument is unused on every platform GLFW supports)
    return raw.decode("utf-8", "replace") if raw else ""


class ClipboardActions:
    def copy(self):
        nodes, comments, _ = self.canvas.selection()
        if not nodes and not comments:
            self.say("select nodes or comments to copy")
            return None
        doc = fragment.copy_doc(self.rt.doc, nodes, comments)
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
        text = system_text()
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
        doc = fragment.copy_doc(self.rt.doc, nodes, comments)
        # beside the originals, the tops in line: a copy on top of them would hide their ports
        box = self.content_box({("node", n) for n in nodes} | {("comment", c) for c in comments})
        return self._paste_doc(doc, None if box is None else (box[2] + 30, box[1]), "duplicate")

    def _paste_doc(self, doc, at, label):
        try:
            cmds, ids = fragment.paste_commands(self.rt.doc, doc, at)
            self.rt.do(Group(cmds, label))
        except NodegraphError as e:
            self.fail(f"cannot {label}: {e}")
            return None
        self.gesture += 1
        self.say(f"{label}: {fragment.describe(doc)}")
        return ids
