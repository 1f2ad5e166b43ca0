"""Modal questions and messages, file pickers, and the short note shown at the mouse.

Every dialog is built once and reused; each question calls back with the answer,
so the frame loop never blocks waiting for a person.
"""
from __future__ import annotations

import os
import time

import dearpygui.dearpygui as dpg

from . import itemstate

SHIELD = 0.4  # seconds after a click closed a dialog that the canvas ignores the mouse (a double-click)


class Dialogs:
    def __init__(self, editor):
        self.editor = editor
        themes = editor.themes
        self._answers = {}
        with dpg.window(label="nodegraph", modal=True, show=False, no_saved_settings=True, autosize=True,
                        no_collapse=True, min_size=(360, 60)) as self.ask_window:
            self.ask_text = dpg.add_text("", wrap=420)
            dpg.add_spacer(height=4)
            with dpg.group(horizontal=True):
                self.buttons = [dpg.add_button(label=" ", width=120, callback=self._on_button, user_data=i)
                                for i in range(3)]
        with dpg.window(label="Comment", modal=True, show=False, no_saved_settings=True, autosize=True,
                        no_collapse=True) as self.text_window:
            self.text_input = dpg.add_input_text(multiline=True, width=420, height=100, tab_input=False)
            with dpg.group(horizontal=True):
                dpg.add_button(label="OK", width=100, callback=self._on_text_ok)
                dpg.add_button(label="Cancel", width=100, callback=lambda: dpg.hide_item(self.text_window))
        self._text_done = None
        with dpg.window(show=False, no_title_bar=True, autosize=True, no_move=True, no_saved_settings=True,
                        no_scrollbar=True, min_size=(60, 20)) as self.toast:
            self.toast_text = dpg.add_text("", wrap=420)
            dpg.bind_item_theme(self.toast_text, themes.error_text)
        self.toast_until = 0.0
        # an invisible window over everything, shown briefly after a click closed a dialog, so
        # the rest of that click (the second press of a double-click) never lands on the canvas
        with dpg.window(show=False, no_title_bar=True, no_background=True, no_move=True, no_resize=True,
                        no_scrollbar=True, no_saved_settings=True, no_collapse=True) as self.shield:
            pass
        self.shield_until = 0.0
        self._file_done = None
        self.pickers = {}  # title -> file picker
        self.file_dialog = self._picker("Open patch")  # the picker last shown

    # ---- questions --------------------------------------------------------------------

    @property
    def is_open(self):
        return any(itemstate.shown(w) for w in (self.ask_window, self.text_window, self.file_dialog))

    def ask(self, title, text, choices, done, escape=-1):
        """Show `text` with up to three buttons; done(choice label) when one is pressed.
        Escape presses `escape` (by default the last choice: Cancel, Keep, OK); None
        closes the question unanswered."""
        dpg.configure_item(self.ask_window, label=title)
        dpg.set_value(self.ask_text, text)
        for i, button in enumerate(self.buttons):
            if i < len(choices):
                dpg.configure_item(button, label=choices[i], show=True)
            else:
                dpg.configure_item(button, show=False)
        self._answers = {"choices": list(choices), "done": done,
                         "escape": choices[-1] if escape == -1 else escape}
        self._center(self.ask_window, 440, 120)
        dpg.show_item(self.ask_window)

    def answer(self, choice):
        """Press a button of the open question (what a click does)."""
        done = self._answers.get("done")
        dpg.hide_item(self.ask_window)
        self._answers = {}
        if done is not None:
            done(choice)

    def _on_button(self, sender, app_data, user_data):
        choices = self._answers.get("choices", [])
        if user_data < len(choices):
            self.answer(choices[user_data])

    def escape(self):
        """Escape: close the dialog on top as its Cancel would. True if there was one."""
        if itemstate.shown(self.file_dialog):
            dpg.hide_item(self.file_dialog)
            self._file_done = None
        elif itemstate.shown(self.text_window):
            dpg.hide_item(self.text_window)
        elif itemstate.shown(self.ask_window):
            choice = self._answers.get("escape")
            if choice is None:
                dpg.hide_item(self.ask_window)
                self._answers = {}
            else:
                self.answer(choice)
        else:
            return False
        return True

    def message(self, title, text):
        self.ask(title, text, ["OK"], lambda choice: None)

    def edit_text(self, title, text, done):
        dpg.configure_item(self.text_window, label=title)
        dpg.set_value(self.text_input, text)
        self._text_done = done
        self._center(self.text_window, 440, 160)
        dpg.show_item(self.text_window)
        dpg.focus_item(self.text_input)

    def _on_text_ok(self):
        dpg.hide_item(self.text_window)
        if self._text_done is not None:
            self._text_done(dpg.get_value(self.text_input))

    # ---- files ------------------------------------------------------------------------

    def _picker(self, title):
        """The file picker titled `title`, made once: Dear PyGui's picker shows nothing at all
        once its title has been changed (Open, then Save As, showed no picker and took every key)."""
        picker = self.pickers.get(title)
        if picker is None:
            with dpg.file_dialog(label=title, show=False, modal=True, width=620, height=420,
                                 callback=self._on_file, cancel_callback=self._on_file_cancel) as picker:
                dpg.add_file_extension(".json", color=(120, 210, 120, 255))
                dpg.add_file_extension(".*")
            dpg.bind_item_theme(picker, self.editor.themes.popup)
            self.pickers[title] = picker
        return picker

    def pick_file(self, title, done, save=False, start=None):
        """The file picker; done(path) with the chosen path (".json" added when saving)."""
        folder = os.path.dirname(os.path.abspath(start)) if start else os.getcwd()
        name = os.path.basename(start) if (start and save) else "."
        self.file_dialog = self._picker(title)
        dpg.configure_item(self.file_dialog, default_path=folder, default_filename=name)
        self._file_done = (done, save)
        dpg.show_item(self.file_dialog)

    def _on_file(self, sender, app_data):
        done, save = self._file_done or (None, False)
        self._file_done = None
        path = (app_data or {}).get("file_path_name") or ""
        if not path or done is None:
            return
        if path.endswith(".*"):
            path = path[:-2]
        if save and not os.path.splitext(path)[1]:
            path += ".json"
        done(path)

    def accept_file(self, clicked=False):
        """Enter in the file picker, or a double-click on a file in it: what its OK does, for
        a file that can be opened (or, saving, a name typed or picked). True if taken."""
        if not itemstate.shown(self.file_dialog) or self._file_done is None:
            return False
        save = self._file_done[1]
        info = dpg.get_file_dialog_info(self.file_dialog)
        path = info.get("file_path_name") or ""
        if clicked:  # opening: the row the double-click chose (a folder's opens the folder)
            chosen = info.get("selections") or {}
            if save or len(chosen) != 1:
                return False
            (name, path), = chosen.items()
            # a choice kept from a folder left since (the picker keeps it) is not this one
            if name != info.get("file_name") or os.path.dirname(path) != info.get("current_path"):
                return False
        name = os.path.basename(path)
        if not name or name.startswith(".") and not os.path.isfile(path) or os.path.isdir(path):
            return False  # no name yet (the picker shows "." and its filter's extension)
        if not save and not os.path.isfile(path):
            return False
        dpg.hide_item(self.file_dialog)
        self._on_file(self.file_dialog, dict(info, file_path_name=path))
        return True

    def _on_file_cancel(self, sender, app_data):
        self._file_done = None

    # ---- the note at the mouse --------------------------------------------------------

    def note_at_mouse(self, text, seconds=4.0):
        x, y = dpg.get_mouse_pos(local=False)
        w = dpg.get_viewport_client_width()
        dpg.set_value(self.toast_text, text)
        dpg.set_item_pos(self.toast, [int(max(0, min(x + 16, w - 440))), int(y + 16)])
        dpg.show_item(self.toast)
        dpg.focus_item(self.toast)  # in front of the canvas, which had the focus
        self.toast_until = time.monotonic() + seconds

    def shield_canvas(self, seconds=SHIELD):
        dpg.configure_item(self.shield, pos=(0, 0), width=dpg.get_viewport_client_width(),
                           height=dpg.get_viewport_client_height(), show=True)
        dpg.focus_item(self.shield)  # in front of the canvas
        self.shield_until = time.monotonic() + seconds

    def unshield(self, now):
        if self.shield_until and now > self.shield_until:
            dpg.hide_item(self.shield)
            self.shield_until = 0.0

    def tick(self, now):
        if self.toast_until and now > self.toast_until:
            dpg.hide_item(self.toast)
            self.toast_until = 0.0

    def _center(self, window, w, h):
        vw, vh = dpg.get_viewport_client_width(), dpg.get_viewport_client_height()
        dpg.set_item_pos(window, [max(0, (vw - w) // 2), max(0, (vh - h) // 3)])
