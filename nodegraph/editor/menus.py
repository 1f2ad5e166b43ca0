"""The menu bar and the canvas's right-click menu."""
from __future__ import annotations

import os

import dearpygui.dearpygui as dpg

from .. import paths, registry
from . import itemstate
from .objectbox import clamp


def by_category():
    groups = {}
    for type_id, cls in registry.all_types().items():
        groups.setdefault(cls.category, []).append((type_id, cls.summary()))
    return dict(sorted(groups.items()))


def node_type_menus(callback):
    """One submenu per category, one item per node type (its help line as a tooltip);
    returns the submenus."""
    menus = []
    for category, types in by_category().items():
        with dpg.menu(label=category) as menu:
            for type_id, summary in types:
                item = dpg.add_menu_item(label=type_id, callback=callback, user_data=type_id)
                with dpg.tooltip(item):
                    dpg.add_text(summary)
        menus.append(menu)
    return menus


class MenuBar:
    def __init__(self, editor):
        self.editor = editor
        ed = editor
        with dpg.menu_bar():
            with dpg.menu(label="File"):
                dpg.add_menu_item(label="New", shortcut="Ctrl+N", callback=lambda: ed.new())
                dpg.add_menu_item(label="Open...", shortcut="Ctrl+O", callback=lambda: ed.open())
                self.recent = dpg.add_menu(label="Open Recent")
                examples = _examples()
                if examples:
                    with dpg.menu(label="Examples"):
                        for path in examples:
                            dpg.add_menu_item(label=os.path.basename(path)[:-5], user_data=path,
                                              callback=lambda s, a, u: self.editor.open(u))
                dpg.add_separator()
                dpg.add_menu_item(label="Save", shortcut="Ctrl+S", callback=lambda: ed.save())
                dpg.add_menu_item(label="Save As...", shortcut="Ctrl+Shift+S", callback=lambda: ed.save_as())
                dpg.add_separator()
                dpg.add_menu_item(label="Quit", shortcut="Ctrl+Q", callback=lambda: ed.request_quit())
            with dpg.menu(label="Edit"):
                dpg.add_menu_item(label="Undo", shortcut="Ctrl+Z", callback=lambda: ed.undo())
                dpg.add_menu_item(label="Redo", shortcut="Ctrl+Shift+Z", callback=lambda: ed.redo())
                dpg.add_separator()
                dpg.add_menu_item(label="Cut", shortcut="Ctrl+X", callback=lambda: ed.cut())
                dpg.add_menu_item(label="Copy", shortcut="Ctrl+C", callback=lambda: ed.copy())
                dpg.add_menu_item(label="Paste", shortcut="Ctrl+V", callback=lambda: ed.paste())
                dpg.add_menu_item(label="Duplicate", shortcut="Ctrl+D", callback=lambda: ed.duplicate())
                dpg.add_menu_item(label="Delete", shortcut="Del", callback=lambda: ed.delete_selection())
                dpg.add_separator()
                dpg.add_menu_item(label="Encapsulate", shortcut="Ctrl+E", callback=lambda: ed.encapsulate())
                dpg.add_menu_item(label="De-encapsulate", shortcut="Ctrl+Shift+E", callback=lambda: ed.deencapsulate())
            with dpg.menu(label="Add"):
                dpg.add_menu_item(label="Node by name...", shortcut="N", callback=lambda: ed.open_object_box())
                dpg.add_menu_item(label="Comment", shortcut="C", callback=lambda: ed.new_comment())
                dpg.add_separator()
                node_type_menus(self._add)
            with dpg.menu(label="View"):
                # off by default: it draws every node and link again, each frame
                dpg.add_menu_item(label="Show all", shortcut="Home", callback=lambda: ed.show_all())
                dpg.add_menu_item(label="Zoom in", shortcut="Ctrl+=", callback=lambda: ed.zoom_in())
                dpg.add_menu_item(label="Zoom out", shortcut="Ctrl+-", callback=lambda: ed.zoom_out())
                dpg.add_menu_item(label="Zoom 100%", shortcut="Ctrl+0", callback=lambda: ed.zoom_reset())
                self.inspector = dpg.add_menu_item(label="Inspector", shortcut="Ctrl+I", check=True,
                                                   default_value=True, callback=lambda s, a: ed.set_side(a))
                self.minimap = dpg.add_menu_item(label="Minimap", check=True, default_value=False,
                                                 callback=lambda s, a: self.set_minimap(a))
                dpg.add_menu_item(label="Tidy up overlapping nodes", callback=lambda: ed.tidy())
                # runs per second after each node's title, read with the live values
                self.rates = dpg.add_menu_item(label="Show message rates", check=True, default_value=True,
                                               callback=lambda s, a: self.set_rates(a))
            with dpg.menu(label="Help"):
                dpg.add_menu_item(label="Node reference", shortcut="F1", callback=lambda: ed.show_help())
                dpg.add_menu_item(label="Keyboard and mouse", callback=lambda: ed.show_keys())
        self.set_recent([])

    def set_minimap(self, on):
        dpg.set_value(self.minimap, bool(on))
        dpg.configure_item(self.editor.canvas.tag, minimap=bool(on))

    def set_rates(self, on):
        dpg.set_value(self.rates, bool(on))
        self.editor.canvas.set_show_rates(on)

    def _add(self, sender, app_data, user_data):
        self.editor.add_node(user_data, {}, self.editor.canvas.visible_center())

    def set_recent(self, files):
        dpg.delete_item(self.recent, children_only=True)
        if not files:
            dpg.add_menu_item(label="(none yet)", parent=self.recent, enabled=False)
        for path in files:
            dpg.add_menu_item(label=_short_path(path), parent=self.recent, user_data=path,
                              callback=lambda s, a, u: self.editor.open(u))


class ContextMenu:
    """Right-click on the canvas: make a node or comment there, paste there; on a node, its
    help and delete."""

    WIDTH = 260  # at most: an autosized window holding menus grows to the screen's edge once one opens

    def __init__(self, editor):
        self.editor = editor
        self.grid = (0, 0)
        self.target = None
        self.size = (self.WIDTH, 420)  # until it has been drawn once
        self._on_submenu = False
        with dpg.window(show=False, no_title_bar=True, autosize=True, no_move=True, no_saved_settings=True,
                        min_size=(160, 20), max_size=(self.WIDTH, 10000)) as self.window:
            dpg.add_menu_item(label="New node here...   N", callback=self._box)
            dpg.add_menu_item(label="Comment here   C", callback=self._comment)
            dpg.add_menu_item(label="Paste here   Ctrl+V", callback=self._paste)
            self.node_items = dpg.add_group()
            dpg.add_separator()
            self.categories = node_type_menus(self._add)

    @property
    def is_open(self):
        return itemstate.shown(self.window)

    def open(self, screen, grid, target):
        self.grid, self.target = grid, target
        dpg.delete_item(self.node_items, children_only=True)
        if target and target[0] == "node":
            node_id = target[1]
            dpg.add_menu_item(label=f"Help for {node_id}", parent=self.node_items,
                              callback=lambda: self._then(lambda: self.editor.show_help(node_id)))
            dpg.add_menu_item(label=f"Delete {node_id}", parent=self.node_items,
                              callback=lambda: self._then(lambda: self.editor.delete_nodes([node_id])))
            if self.editor.box_at(node_id) is not None:
                dpg.add_menu_item(label="Open inside", parent=self.node_items,
                                  callback=lambda: self._then(lambda: self.editor.open_box(node_id)))
                dpg.add_menu_item(label="De-encapsulate", parent=self.node_items,
                                  callback=lambda: self._then(lambda: self.editor.deencapsulate(node_id)))
        elif target and target[0] == "comment":
            cid = target[1]
            dpg.add_menu_item(label="Edit comment", parent=self.node_items,
                              callback=lambda: self._then(lambda: self.editor.edit_comment(cid)))
            dpg.add_menu_item(label="Delete comment", parent=self.node_items,
                              callback=lambda: self._then(lambda: self.editor.delete_comments([cid])))
        dpg.set_item_pos(self.window, clamp(screen, self.size))
        dpg.show_item(self.window)
        self._on_submenu = False

    def after_frame(self):
        """Right after a frame is drawn: note whether the mouse is on an open submenu (an open
        submenu reports its window hovered, read only until the next frame starts), and once
        the menu's real size is known, move it in so every row shows."""
        self._on_submenu = any(itemstate.hovered(menu) for menu in self.categories)
        w, h = dpg.get_item_rect_size(self.window)
        if not h:
            return
        self.size = (w, h)
        pos = list(dpg.get_item_pos(self.window))
        fit = clamp(pos, self.size)
        if fit != pos:
            dpg.set_item_pos(self.window, fit)

    def close(self):
        dpg.hide_item(self.window)

    def contains(self, screen):
        """On the menu, or on the submenu open beside it (to the right, or to the left where
        the screen ends: Dear ImGui chooses)."""
        x, y = dpg.get_item_pos(self.window)
        w, h = dpg.get_item_rect_size(self.window)
        return (x <= screen[0] <= x + w and y <= screen[1] <= y + h) or self._on_submenu

    def _then(self, fn):
        self.close()
        fn()

    def _box(self):
        self._then(lambda: self.editor.open_object_box(self.editor.canvas.to_screen(self.grid), self.grid))

    def _comment(self):
        self._then(lambda: self.editor.new_comment(self.grid))

    def _paste(self):
        self._then(lambda: self.editor.paste(self.grid))

    def _add(self, sender, app_data, user_data):
        self._then(lambda: self.editor.add_node(user_data, {}, self.grid))


def _short_path(path):
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if path.startswith(home + os.sep) else path


FIRST_EXAMPLES = ("hello", "mouse-classifier", "xy-to-synth", "gesture", "iris", "sound-classifier", "midi-mapping")


def _examples():
    """The example patches beside the program (a source checkout or an editable install): the
    teaching ones first, in the order the README walks through them."""
    folder = paths.EXAMPLES
    try:
        names = [n[:-5] for n in os.listdir(folder) if n.endswith(".json")]
    except OSError:
        return []
    names.sort(key=lambda n: (FIRST_EXAMPLES.index(n) if n in FIRST_EXAMPLES else len(FIRST_EXAMPLES), n))
    return [os.path.join(folder, n + ".json") for n in names]

