"""The object box: type a node's name where you want it (Pd's Ctrl+1, Max's `n`).

The name completes as you type (fuzzy, the usual types first, with each type's
one-line help beside it); Up/Down pick a candidate, Enter or Tab makes the
highlighted one, Escape (or a click elsewhere) closes the box. Words after the
name set the node's params, as in Pd: "metro 250", "math * 2", "ml.cl knn 3".
(Tab does not copy the name into the box: Dear ImGui keeps its own copy of a
field being typed in, and giving the focus back selects all of it.)
"""
from __future__ import annotations

import dearpygui.dearpygui as dpg

from .. import registry
from ..errors import NodegraphError
from . import boxtext, fuzzy, itemstate

ROWS = 10


def clamp(screen, size):
    """A window's top-left corner at `screen`, moved in so `size` fits in the viewport."""
    w, h = dpg.get_viewport_client_width(), dpg.get_viewport_client_height()
    return [int(max(0, min(screen[0], w - size[0]))), int(max(0, min(screen[1], h - size[1])))]


class ObjectBox:
    def __init__(self, editor):
        self.editor = editor
        self.at = (0, 0)
        self.index = 0
        self.candidates = []
        self.entries = [(type_id, cls.summary()) for type_id, cls in registry.all_types().items()]
        with dpg.window(show=False, no_title_bar=True, autosize=True, no_move=True, no_saved_settings=True,
                        no_collapse=True, min_size=(200, 20)) as self.window:
            self.input = dpg.add_input_text(width=330, hint="node name, e.g. metro 250", callback=self._on_text)
            self.error = dpg.add_text("", show=False, wrap=520)
            dpg.bind_item_theme(self.error, editor.themes.error_text)
            self.rows = []
            for i in range(ROWS):
                with dpg.group(horizontal=True, show=False) as row:
                    name = dpg.add_selectable(label="", width=120, callback=self._on_pick, user_data=i)
                    summary = dpg.add_text("")
                    dpg.bind_item_theme(summary, editor.themes.dim_text)
                self.rows.append((row, name, summary))

    @property
    def is_open(self):
        return itemstate.shown(self.window)

    def open(self, screen, grid):
        """Show the box at a screen point; the node will go to `grid` (canvas coordinates)."""
        self.at = grid
        drawn = dpg.get_item_rect_size(self.window)  # its size once drawn (its list's help is wide)
        dpg.set_item_pos(self.window, clamp(screen, drawn if drawn[0] else (660, 290)))
        dpg.set_value(self.input, "")
        dpg.configure_item(self.error, show=False)
        dpg.show_item(self.window)
        dpg.focus_item(self.window)
        dpg.focus_item(self.input)
        self._update("")

    def close(self):
        dpg.hide_item(self.window)

    def contains(self, screen):
        x, y = dpg.get_item_pos(self.window)
        w, h = dpg.get_item_rect_size(self.window)
        return x <= screen[0] <= x + w and y <= screen[1] <= y + h

    def _on_text(self, sender, text):
        self._update(text)

    def type_text(self, text):
        """Put text in the box as typing would (tests and the xdotool-free path)."""
        dpg.set_value(self.input, text)
        self._update(text)

    def _update(self, text):
        word = text.split()[0] if text.split() else ""
        self.candidates = fuzzy.complete(word, self.entries, ROWS, self.editor.type_uses())
        self.index = 0
        dpg.configure_item(self.error, show=False)
        self._draw()

    def _draw(self):
        for i, (row, name, summary) in enumerate(self.rows):
            if i < len(self.candidates):
                type_id, text = self.candidates[i]
                dpg.configure_item(name, label=type_id)
                dpg.set_value(name, i == self.index)
                dpg.set_value(summary, text if len(text) < 70 else text[:69] + "…")
                dpg.show_item(row)
            else:
                dpg.hide_item(row)

    def move(self, step):
        if self.candidates:
            self.index = (self.index + step) % len(self.candidates)
            self._draw()

    def _on_pick(self, sender, app_data, user_data):
        self.index = user_data
        self.accept()

    def accept(self):
        """Enter: create the node, or say why not and keep the box open."""
        text = dpg.get_value(self.input).strip()
        words = text.split(maxsplit=1)
        if self.candidates and (self.index or not words or registry.resolve(words[0]) is None):
            # a candidate picked (Up/Down, a click), or what was typed is not a name yet:
            # the highlighted one
            text = self.candidates[self.index][0] + (" " + words[1] if len(words) > 1 else "")
        try:
            type_id, params = boxtext.parse(text, registry.resolve, lambda t: registry.get(t).params)
        except NodegraphError as e:
            self._fail(str(e))
            return False
        if self.editor.add_node(type_id, params, self.at, quiet=True) is None:
            self._fail(self.editor.last_error or "the node could not be made")
            return False
        self.close()
        return True

    def _fail(self, message):
        dpg.set_value(self.error, message)
        dpg.configure_item(self.error, show=True)
        dpg.focus_item(self.input)
