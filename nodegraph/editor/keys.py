"""Keyboard and mouse: shortcuts, the object box's keys, clicks, drags and double-clicks
on the canvas, each turned into one of the Editor's gestures."""
from __future__ import annotations

import time

import dearpygui.dearpygui as dpg

from . import itemstate


class InputActions:
    def typing(self):
        """True while a text field (or a dragged widget) has the keyboard."""
        return itemstate.typing()

    def on_key(self, sender, key):
        self._last_input = time.monotonic()
        if key in MODIFIER_KEYS:
            self._held.add(key)
            return
        if key >= FIRST_NON_KEY:
            return  # mouse buttons and modifier flags also arrive here
        # Modifiers are followed through their own press/release callbacks, which run in
        # the order the keys went down: by the time a fast Ctrl+Z's callback runs, ImGui
        # may already have seen Ctrl go up.
        held = self._held
        ctrl = bool(held & CTRL_KEYS) or dpg.is_key_down(dpg.mvKey_ModCtrl)
        shift = bool(held & SHIFT_KEYS) or dpg.is_key_down(dpg.mvKey_ModShift)
        self.handle_key(key, ctrl, shift)

    def on_key_release(self, sender, key):
        self._held.discard(key)

    def handle_key(self, key, ctrl=False, shift=False):
        """One key press (the key handler and tests come here)."""
        if key == dpg.mvKey_Escape and self.dialogs.escape():
            return
        if self.objectbox.is_open:
            action = {dpg.mvKey_Return: self.objectbox.accept, dpg.mvKey_NumPadEnter: self.objectbox.accept,
                      dpg.mvKey_Escape: self.objectbox.close, dpg.mvKey_Up: lambda: self.objectbox.move(-1),
                      dpg.mvKey_Down: lambda: self.objectbox.move(1),
                      dpg.mvKey_Tab: self.objectbox.accept}.get(key)
            if action is not None:
                action()
            return
        if self.context.is_open and key == dpg.mvKey_Escape:
            self.context.close()
            return
        if key in (dpg.mvKey_Return, dpg.mvKey_NumPadEnter) and self.dialogs.accept_file():
            return
        if self.dialogs.is_open or self.typing():
            return
        action = SHORTCUTS.get((key, ctrl, shift))
        if action is not None:
            self.gesture += 1
            getattr(self, action)()

    def on_mouse_click(self, sender, button):
        self._last_input = self._last_click = time.monotonic()
        pos = dpg.get_mouse_pos(local=False)
        if self.objectbox.is_open and not self.objectbox.contains(pos):
            self.objectbox.close()
        if self.context.is_open and not self.context.contains(pos):
            self.context.close()
        if button == dpg.mvMouseButton_Right and self.canvas.hovered() and not self.dialogs.is_open:
            self.context.open(pos, self.canvas.to_grid(pos), self.canvas.item_at(pos))

    def on_mouse_release(self, sender, button):
        self._last_input = time.monotonic()
        if button != dpg.mvMouseButton_Left or self.dialogs.is_open:
            return
        cmd = self.canvas.moves()
        if cmd is not None:
            self.try_do(cmd)
        self.gesture += 1
        nodes, _, _ = self.canvas.selection()
        chosen = nodes[0] if len(nodes) == 1 else None
        if chosen != self._selected and (chosen is not None or self.canvas.hovered()):
            self.select(chosen)

    def on_double_click(self, sender, button):
        if self.dialogs.is_open:
            self.dialogs.accept_file(clicked=True)
            return
        if self.objectbox.is_open or not self.canvas.hovered():
            return
        pos = dpg.get_mouse_pos(local=False)
        target = self.canvas.item_at(pos)
        if target is None:
            self.open_object_box(pos, self.canvas.to_grid(pos))
        elif target[0] == "comment":
            self.edit_comment(target[1])
        elif self.box_at(target[1]) is not None:
            self.open_box(target[1])
        else:
            self.select(target[1])


CTRL_KEYS = {dpg.mvKey_LControl, dpg.mvKey_RControl}
SHIFT_KEYS = {dpg.mvKey_LShift, dpg.mvKey_RShift}
MODIFIER_KEYS = CTRL_KEYS | SHIFT_KEYS | {dpg.mvKey_LAlt, dpg.mvKey_RAlt, dpg.mvKey_LWin, dpg.mvKey_RWin}
KEY_EQUAL = 602  # ImGuiKey_Equal, which Dear PyGui 2.3 has no name for (its mvKey_Plus is not it)
FIRST_NON_KEY = 641  # ImGuiKey_GamepadStart: gamepad, mouse (656 = left button) and modifier flags follow

SHORTCUTS = {
    (dpg.mvKey_Z, True, False): "undo", (dpg.mvKey_Z, True, True): "redo", (dpg.mvKey_Y, True, False): "redo",
    (dpg.mvKey_C, True, False): "copy", (dpg.mvKey_X, True, False): "cut", (dpg.mvKey_V, True, False): "paste",
    (dpg.mvKey_D, True, False): "duplicate", (dpg.mvKey_S, True, False): "save",
    (dpg.mvKey_S, True, True): "save_as", (dpg.mvKey_O, True, False): "open", (dpg.mvKey_N, True, False): "new",
    (dpg.mvKey_Q, True, False): "request_quit",
    (dpg.mvKey_N, False, False): "open_object_box", (dpg.mvKey_1, True, False): "open_object_box",
    (dpg.mvKey_C, False, False): "new_comment", (dpg.mvKey_5, True, False): "new_comment",
    (dpg.mvKey_Delete, False, False): "delete_selection", (dpg.mvKey_Back, False, False): "delete_selection",
    (dpg.mvKey_F1, False, False): "show_help", (dpg.mvKey_Home, False, False): "show_all",
    (KEY_EQUAL, True, False): "zoom_in", (KEY_EQUAL, True, True): "zoom_in",  # Ctrl+= and Ctrl++
    (dpg.mvKey_Add, True, False): "zoom_in", (dpg.mvKey_Minus, True, False): "zoom_out",
    (dpg.mvKey_Subtract, True, False): "zoom_out", (dpg.mvKey_0, True, False): "zoom_reset",
    (dpg.mvKey_I, True, False): "toggle_side",
    (dpg.mvKey_E, True, False): "encapsulate", (dpg.mvKey_E, True, True): "deencapsulate",
}

KEYS_HELP = """N, Ctrl+1 or double-click the canvas: a new node by name (Enter or Tab makes the highlighted one)
Escape closes a dialog, the name box or the right-click menu (a menu of the bar: click outside it)
C or Ctrl+5: a comment; double-click a comment to edit it
Ctrl+E: put the selected nodes in a box (a subpatch); Ctrl+Shift+E: take a box apart;
double-click a box to open its inside in a window of its own
Drag from an outlet (right side) to an inlet (left side): a link
Click a link or node, or drag a box around several, then Delete
Ctrl+Z undo, Ctrl+Shift+Z redo
Ctrl+C copy, Ctrl+X cut, Ctrl+V paste (at the mouse), Ctrl+D duplicate
Ctrl+N new, Ctrl+O open, Ctrl+S save, Ctrl+Shift+S save as
Right-click the canvas: add a node (by category) or a comment there, paste there; on a node: its help, delete
Middle-drag: move around the canvas; Home: show the whole patch
Ctrl+= / Ctrl+- or Ctrl+wheel: zoom in / out; Ctrl+0: 100%; Ctrl+I: hide or show the inspector
Press and move on an xy pad to draw: it sends every point of the stroke
Filled pins are hot (they compute), hollow pins are cold (they store)"""
