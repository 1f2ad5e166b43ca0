"""The editor window: entry points, the frame loop, and every gesture as a command.

`main(path)` is `nodegraph edit`; `screenshot(...)` is `nodegraph screenshot`.
The Editor turns clicks and keys into commands on the document (rt.do), shows
refusals instead of raising them, and draws the document and what the engine
reports of it (rt.telemetry), never a running node. It owns the runtime of the open
patch: the patch plays while it is edited.
"""
from __future__ import annotations

import inspect
import os
import shutil
import sys
import time
import traceback

import dearpygui.dearpygui as dpg

from .. import registry
from ..commands import (AddComment, AddNode, Disconnect, EditComment, Group, Move, RecordedTake, RemoveComment,
                        RemoveNode, SetParam)
from ..errors import NodegraphError, ParamError
from ..glossary import counted
from ..runtime import Runtime
from ..types import BANG
from . import fuzzy, layout, session, widgets, xdisplay
from .view import SIDE_WIDTH, ViewActions
from .canvas import Canvas
from .boxactions import BoxActions
from .clipboard import ClipboardActions
from .dialogs import Dialogs
from .files import FileActions
from .keys import KEYS_HELP, InputActions
from .menus import ContextMenu, MenuBar
from .objectbox import ObjectBox
from .panels import ConsolePanel, HelpPanel, Inspector, StatusBar
from .theme import BACKGROUND, Themes

# The loop runs at 60 Hz; it renders every time while someone works, otherwise only
# when something shown changed (at most every LIVE seconds), or every STILL seconds to
# notice input (rendering is what reads the mouse and keys). Under software OpenGL a
# frame costs 10-30 ms of CPU; on a graphics card about a millisecond.
FAST, LIVE, STILL = 1 / 60, 1 / 8, 1 / 5
AWAKE = 1.5  # seconds of full frame rate after the last input
SHIELD_AFTER_CLICK = 0.5  # a dialog closed this soon after a mouse press was closed by it
CONSOLE_HEIGHT = 150
FIT_MARGIN = 24  # grid pixels left around a patch that is fitted into view
SHOT_LARGEST, SHOT_SMALLEST = (2400, 1500), (900, 560)  # screenshots sized to the patch stay within these



class Editor(FileActions, ClipboardActions, InputActions, ViewActions, BoxActions):
    """The window and the open patch. Gestures on files, the clipboard, the keyboard and
    the view (zoom, show all) live in their own modules (files.py, clipboard.py, keys.py,
    view.py) as mixins."""

    def __init__(self, width=1280, height=800, title="nodegraph"):
        xdisplay.require_display()
        # what any node may need, imported now, before a patch plays: the first synth or
        # learner added to a playing patch would otherwise import it then (1.4 s here, and
        # the patch held up to 37 ms meanwhile)
        registry.prepare(registry.all_types())
        dpg.create_context()
        dpg.configure_app(manual_callback_management=True)
        self.themes = Themes()
        widgets.install_commit_handler(self._on_text_left)
        self.rt = Runtime()
        self.path = None
        self.running = True
        self.fast = False  # screenshots and benchmarks: never slow down
        self.last_error = None
        self.gesture = 0
        self._last_param = None
        self.saved_marker = None
        self.state_dirty = False
        self._init_boxes()
        self._autosaved = None
        self._next_autosave = time.monotonic() + self.AUTOSAVE_EVERY
        self._slow_at = 0.0
        self._title = None
        self._last_frame = time.monotonic()
        self._last_input = time.monotonic()
        self._last_click = 0.0
        self._mouse = (0, 0)
        self._held = set()  # modifier keys down
        self._last_render = 0.0
        self._unshown = False  # something changed that no frame has shown yet
        self._overlap_check = 0
        self.frame_times = []
        self.uses = session.type_uses()  # node types this person made, counted (the object box's order)
        self.errors = []  # failures caught in callbacks and frames, as shown (tests read them)
        self._build(width, height, title)
        self._set_runtime(self.rt, None)

    # ---- the window ---------------------------------------------------------------------

    def _build(self, width, height, title):
        with dpg.window(no_scrollbar=True, no_scroll_with_mouse=True) as self.main:
            self.menubar = MenuBar(self)
            with dpg.group(horizontal=True):
                with dpg.child_window(width=-SIDE_WIDTH, height=-CONSOLE_HEIGHT, border=False,
                                      no_scrollbar=True, no_scroll_with_mouse=True) as self.canvas_parent:
                    self.canvas = Canvas(self, self.canvas_parent)
                self.add_splitter(CONSOLE_HEIGHT)  # drag it to make the inspector wider or narrower (view.py)
                with dpg.child_window(width=-1, height=-CONSOLE_HEIGHT, border=True) as self.side:
                    with dpg.tab_bar() as self.tabs:
                        with dpg.tab(label="Inspector") as self.inspector_tab:
                            self.inspector = Inspector(self, self.inspector_tab)
                        with dpg.tab(label="Help") as self.help_tab:
                            self.help = HelpPanel(self, self.help_tab)
            with dpg.child_window(height=-28, border=True) as console_parent:
                self.console = ConsolePanel(self, console_parent)
            self.status = StatusBar(self, self.main)
        self.objectbox = ObjectBox(self)
        self.context = ContextMenu(self)
        self.dialogs = Dialogs(self)
        with dpg.handler_registry():
            dpg.add_key_press_handler(callback=self.on_key)
            dpg.add_key_release_handler(callback=self.on_key_release)
            dpg.add_mouse_click_handler(callback=self.on_mouse_click)
            dpg.add_mouse_release_handler(callback=self.on_mouse_release)
            dpg.add_mouse_double_click_handler(button=dpg.mvMouseButton_Left, callback=self.on_double_click)
        for window in (self.objectbox.window, self.context.window, self.dialogs.toast):
            dpg.bind_item_theme(window, self.themes.popup)
        dpg.create_viewport(title=title, width=width, height=height, x_pos=0, y_pos=0, vsync=False,
                            disable_close=True, clear_color=BACKGROUND)
        dpg.set_exit_callback(lambda: self.request_quit())
        dpg.setup_dearpygui()
        dpg.show_viewport()
        dpg.set_primary_window(self.main, True)
        self.menubar.set_recent(session.recent_files())

    # ---- the open patch -----------------------------------------------------------------

    def _set_runtime(self, rt, path, dirty=False):
        old = self.rt
        self.canvas.detach()
        if old is not rt:
            old.close()
        self.rt, self.path = rt, path
        rt.wait = False  # an edit is the document's at once; the engine performs it when it comes to it
        self.canvas.attach(rt)
        self.console.attach(rt.console)
        self.inspector.show(None)
        self._selected = None
        self.saved_marker = None if dirty else self._marker()
        self.state_dirty = dirty
        self._autosaved = None
        self.gesture += 1
        if os.environ.get("NODEGRAPH_TITLE"):
            # a box's inside, opened from the patch that holds it: that box runs it, not this window
            self.say("the inside of a box: the box in the patch that holds it runs it; this window "
                     "shows and edits it without running it")
        else:
            rt.start()
        self._update_title()

    def _marker(self):
        stack = self.rt.history.undo_stack
        return (len(stack), id(stack[-1]) if stack else None)

    @property
    def dirty(self):
        return self.state_dirty or self._marker() != self.saved_marker

    @property
    def name(self):
        return os.path.basename(self.path) if self.path else "untitled"

    def _update_title(self):
        # a box's inside opened from another window says where it is (the path back up)
        where = os.environ.get("NODEGRAPH_TITLE")
        text = f"{self.name}{' *' if self.dirty else ''} - {where + ' - ' if where else ''}nodegraph"
        if text != self._title:
            self._title = text
            dpg.set_viewport_title(text)

    # ---- commands -----------------------------------------------------------------------

    def try_do(self, cmd, merge=False, near_mouse=False):
        """Apply an edit; a refusal is shown (status line, console, a note at the mouse), not raised."""
        try:
            self.rt.do(cmd, merge=merge)
        except NodegraphError as e:
            self.fail(str(e), near_mouse)
            return None
        except TimeoutError as e:
            self.fail(f"the patch did not answer: {e}", near_mouse)
            return None
        self.last_error = None
        if self.status.level == "error":
            self.say("")  # a refusal shown before is not about this edit, which was done
        return cmd

    def fail(self, message, near_mouse=False):
        self.last_error = message
        self.status.set(message, "error")
        self.rt.console.write(message, None, "error")
        if near_mouse:
            self.dialogs.note_at_mouse(message)

    def say(self, message, level="info"):
        self.status.set(message, level)

    def add_node(self, type_id, params=None, pos=(0, 0), quiet=False):
        cmd = self.try_do(AddNode(type_id, params or {}, (float(pos[0]), float(pos[1]))))
        if cmd is None:
            return None
        made = registry.resolve(type_id) or type_id
        self.uses[made] = self.uses.get(made, 0) + 1
        return cmd.node_id

    def type_uses(self):
        """How often each type is made: this person's counts on top of common defaults."""
        return {t: fuzzy.COMMON.get(t, 0) + self.uses.get(t, 0) for t in set(fuzzy.COMMON) | set(self.uses)}

    def set_param(self, node_id, name, value):
        """A param edit from a widget. Edits of one gesture (a slider drag) are one undo step."""
        key = (node_id, name, self.gesture)
        done = self.try_do(SetParam(node_id, name, value), merge=key == self._last_param)
        self._last_param = key if done else None
        return done is not None

    def on_param_widget(self, sender, app_data, user_data):
        node_id, name = user_data
        node = self.rt.doc.nodes.get(node_id)
        if node is None:
            return
        spec = node.param_spec(name)
        try:
            value = widgets.from_widget(spec, app_data, node)
        except ParamError as e:
            self.fail(str(e))
            ok = False
        else:
            if value == node.params.get(name) and type(value) is type(node.params.get(name)):
                return  # Enter, then leaving the field: one edit, not two
            ok = self.set_param(node_id, name, value)
        if not ok:  # the old value stays: show it again
            dpg.set_value(sender, widgets.to_widget(spec, node.params[name], node))

    def on_played_widget(self, sender, app_data, user_data):
        """A control played on the canvas: the value goes into its `in` inlet, as a link would
        bring it. Performing is not editing: no undo step, and the patch is not modified."""
        node_id, name = user_data
        node = self.rt.doc.nodes.get(node_id)
        if node is None:
            return
        try:
            self.rt.send(node_id, "in", widgets.from_widget(node.param_spec(name), app_data, node))
        except NodegraphError as e:
            self.fail(str(e))

    def _on_text_left(self, sender, item):
        user_data = dpg.get_item_user_data(item)
        if isinstance(user_data, tuple) and len(user_data) == 2:
            self.on_param_widget(item, dpg.get_value(item), user_data)

    def on_inlet_control(self, sender, app_data, user_data):
        """A node's record/train/run/clear: a value sent into the inlet, as a link would."""
        node_id, inlet = user_data
        node = self.rt.doc.nodes.get(node_id)
        if node is None or inlet not in node.inlet_map:
            return
        value = BANG if node.inlet_map[inlet].type == "bang" else bool(app_data)
        try:
            self.rt.send(node_id, inlet, value)
        except NodegraphError as e:
            self.fail(str(e))

    def _announce_takes(self):
        takes, self.canvas.takes = self.canvas.takes, []
        for node_id, take, count in takes:
            message = f"recorded take {take} on {node_id} ({counted(count, 'example')}) — Ctrl+Z undoes it"
            self.say(message)
            self.rt.console.write(message)

    def undo(self):
        self.gesture += 1
        if not self.rt.undo():
            self.say("nothing to undo")
            return
        redo = self.rt.history.redo_stack
        self.say(_undone(redo[-1]) if redo else "undone")

    def redo(self):
        self.gesture += 1
        if not self.rt.redo():
            self.say("nothing to redo")
            return
        undo = self.rt.history.undo_stack
        self.say(_redone(undo[-1]) if undo else "redone")

    def delete_selection(self):
        nodes, comments, links = self.canvas.selection()
        cmds = [Disconnect(*link) for link in links if link.src not in nodes and link.dst not in nodes]
        cmds += [RemoveNode(n) for n in nodes] + [RemoveComment(c) for c in comments]
        if cmds:
            self.try_do(cmds[0] if len(cmds) == 1 else Group(cmds, "delete"))
            dpg.clear_selected_nodes(self.canvas.tag)
            dpg.clear_selected_links(self.canvas.tag)

    def delete_nodes(self, node_ids):
        cmds = [RemoveNode(n) for n in node_ids]
        self.try_do(cmds[0] if len(cmds) == 1 else Group(cmds, "delete"))

    def delete_comments(self, cids):
        cmds = [RemoveComment(c) for c in cids]
        self.try_do(cmds[0] if len(cmds) == 1 else Group(cmds, "delete"))

    def _boxes(self):
        return self.canvas.boxes()

    def _hint_overlaps(self):
        moves = layout.spread(self._boxes(), margin=0)
        if moves:
            self.say(f"{len(moves)} boxes sit on top of others: View > Tidy up moves them apart", "warning")

    def tidy(self):
        """Move overlapping nodes and comments down until none overlaps (one undo step)."""
        cmds = [Move(k[1], p) if k[0] == "node" else EditComment(k[1], pos=p)
                for k, p in layout.spread(self._boxes()).items()]
        if not cmds:
            self.say("nothing overlaps")
            return 0
        self.try_do(Group(cmds, "tidy up"))
        self.say(f"moved {len(cmds)} boxes so none overlaps")
        return len(cmds)

    # ---- seeing the whole patch ------------------------------------------------------------

    def size_to_show(self, box, margin=FIT_MARGIN):
        """The window size at which the canvas shows `box` (grid) as it is panned now."""
        _, _, vx1, vy1 = self.visible_box()
        z = self.canvas.zoom  # grid units to screen pixels
        return (int(dpg.get_viewport_width() + (box[2] - vx1) * z + margin),
                int(dpg.get_viewport_height() + (box[3] - vy1) * z + margin))

    def fit_window(self, largest, smallest=None, box=None):
        """Size the window so the whole patch is in view: it grows (up to `largest`), and
        shrinks too if `smallest` is given (down to it). True if everything fits."""
        box = box or self.content_box()
        if box is None:
            return True
        want = self.size_to_show(box)
        now = (dpg.get_viewport_width(), dpg.get_viewport_height())
        size = []
        for i in range(2):
            v = want[i] if smallest is not None else max(want[i], now[i])
            if smallest is not None:
                v = max(v, smallest[i])
            size.append(int(min(v, largest[i])))
        if size[0] != now[0]:
            dpg.set_viewport_width(size[0])
        if size[1] != now[1]:
            dpg.set_viewport_height(size[1])
        return want[0] <= largest[0] and want[1] <= largest[1]

    def screen_limit(self):
        screen = xdisplay.screen_size()
        return (screen[0], screen[1] - 40) if screen else (dpg.get_viewport_width(), dpg.get_viewport_height())

    # ---- comments ------------------------------------------------------------------------

    def new_comment(self, at=None):
        at = at if at is not None else self.spot()
        self.dialogs.edit_text("New comment", "", lambda text: text.strip() and self.try_do(
            AddComment(text.strip(), (float(at[0]), float(at[1])))))

    def edit_comment(self, cid):
        comment = self.rt.doc.comments.get(cid)
        if comment is None:
            return
        self.dialogs.edit_text("Edit comment", comment.text, lambda text: text != comment.text and self.try_do(
            EditComment(cid, text=text)))

    def request_quit(self):
        self.guard(self.quit_now, "quitting")

    def quit_now(self):
        self.running = False

    def close(self):
        """Leave cleanly: stop the patch, drop the recovery copy, close the window."""
        try:
            self.rt.close()
        finally:
            if not self.dirty:
                session.discard_recovery(self.path)
            session.save_type_uses(self.uses)
            dpg.destroy_context()

    # ---- helpers for gestures ------------------------------------------------------------

    def mouse_grid(self):
        return self.canvas.to_grid(dpg.get_mouse_pos(local=False))

    def spot(self):
        """Where a new thing goes: at the mouse on the canvas, else mid-canvas."""
        return self.mouse_grid() if self.canvas.hovered() else self.canvas.visible_center()

    def open_object_box(self, screen=None, grid=None):
        if grid is None:
            grid = self.spot()
        if screen is None:
            screen = self.canvas.to_screen(grid)
        self.objectbox.open(screen, grid)

    def show_help(self, node_id=None):
        if node_id is None:
            nodes, _, _ = self.canvas.selection()
            node_id = nodes[0] if nodes else None
        node = self.rt.doc.nodes.get(node_id) if node_id else None
        type_id = getattr(node, "type_id", None) if node is not None else None
        self.help.show(type_id or self.help.type_id or next(iter(registry.all_types())))
        dpg.set_value(self.tabs, self.help_tab)

    def show_keys(self):
        self.dialogs.message("Keyboard and mouse", KEYS_HELP)

    def select(self, node_id):
        """Show a node in the inspector (a click on it does this)."""
        self._selected = node_id
        self.inspector.show(node_id)
        dpg.set_value(self.tabs, self.inspector_tab)

    # ---- the frame loop ------------------------------------------------------------------

    def frame(self, draw=True):
        """One frame: follow the engine, then (unless there is nothing new to show and
        nobody is working) render and run the callbacks the frame produced.
        Returns the seconds spent."""
        start = time.perf_counter()
        now = time.monotonic()
        dt, self._last_frame = now - self._last_frame, now
        self.canvas.changed = False
        self.rt.drain()  # what the engine proposed (takes, clears, trainings) becomes undo steps here
        touched, state = self.canvas.sync()
        if touched:
            self.inspector.sync(touched)
        # a node's saved data changes only by commands (takes, clears, trainings), which the
        # undo marker counts: what changes while playing does not make the patch modified
        if self.canvas.takes:
            self._announce_takes()
        if self._overlap_check:
            self._overlap_check -= 1
            if not self._overlap_check:
                self._hint_overlaps()
        lines = self.console.sync()
        inspected = self.inspector.node
        asked, plots = self.canvas.refresh_some(dt, (inspected.id,) if inspected is not None else ())
        if asked:
            self.rt.publish(asked, plots)  # answered on the engine's thread; read next frame
        self._unshown = self._unshown or bool(touched or lines or self.canvas.changed)
        if now >= self._slow_at:
            self._slow_at = now + 0.25
            self.inspector.refresh()
            self.dialogs.tick(now)
            self.watch_boxes(now)
            self._update_title()
            if now >= self._next_autosave:
                self._next_autosave = now + self.AUTOSAVE_EVERY
                self.autosave()
        since = now - self._last_render
        if draw or (self._unshown and since >= LIVE) or since >= STILL:
            self._last_render, self._unshown = now, False
            self.canvas.cull()
            dpg.render_dearpygui_frame()
            if self.context.is_open:
                self.context.after_frame()
            popup = self.popup_open()
            self._run_callbacks()
            if popup and not self.popup_open() and now - self._last_click < SHIELD_AFTER_CLICK:
                self.dialogs.shield_canvas()
            self.dialogs.unshield(now)
            mouse = tuple(dpg.get_mouse_pos(local=False))
            if mouse != self._mouse:
                self._mouse = mouse
                self._last_input = now
            self.frame_times.append(time.perf_counter() - start)
            if len(self.frame_times) > 2000:
                del self.frame_times[:1000]
        return time.perf_counter() - start

    def popup_open(self):
        return self.dialogs.is_open or self.objectbox.is_open or self.context.is_open

    def _run_callbacks(self):
        """Dear PyGui's run_callbacks, but a callback that raises is shown and the rest
        of the frame's callbacks still run: no click or key may close the window."""
        for job in dpg.get_callback_queue() or ():
            fn = job[0]
            if fn is None:
                continue
            try:
                fn(*job[1:1 + len(inspect.signature(fn).parameters)])
            except Exception as e:
                self.internal_error(e, getattr(fn, "__qualname__", repr(fn)))

    def internal_error(self, error, where):
        """A bug in the editor: one line for the person (the patch is untouched: edits are
        whole commands), the traceback on stderr for whoever fixes it."""
        text = f"{type(error).__name__}: {error}"
        message = f"the editor hit a problem in {where} ({text}); your patch is safe, carry on or save"
        if self.errors and self.errors[-1] == message:
            return  # the same failure every frame: said once
        self.errors.append(message)
        del self.errors[:-50]
        traceback.print_exception(error, file=sys.stderr)
        try:
            self.fail(message)
        except Exception:
            pass  # the status bar itself may be what broke

    def awake(self):
        return self.fast or time.monotonic() - self._last_input < AWAKE

    def run(self):
        """The editor's loop: up to 60 frames a second while someone works; when nobody
        does, a frame only when something on screen changed (values are read ~10 times a
        second) and a few a second to notice input, so an idle editor costs little."""
        while self.running and dpg.is_dearpygui_running():
            try:
                took = self.frame(draw=self.awake())
            except Exception as e:  # the window stays, with the patch and its unsaved work
                self.internal_error(e, "drawing")
                took = 0.0
            pause = FAST - took
            if pause > 0:
                time.sleep(pause)

    def run_frames(self, n):
        for _ in range(n):
            self.frame()

    def run_for(self, seconds, period=FAST):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            took = self.frame()
            if period - took > 0:
                time.sleep(period - took)


def main(path=None):
    """`nodegraph edit [PATCH]`: open the editor until it is closed."""
    editor = Editor()
    try:
        if path:
            if os.path.exists(path):
                if editor.open_now(path):
                    editor.run_frames(2)  # boxes have their sizes once drawn
                    if not editor.fit_window(editor.screen_limit()) and not editor.fits():
                        editor.show_all()  # zoomed out until it fits; its saved positions stay
                editor.offer_recovery(path)
            else:
                editor.path = os.path.abspath(path)
                editor.offer_recovery(path)
                editor.say(f"{path} does not exist yet: it will be written when you save", "info")
                editor._update_title()
        else:
            editor.offer_recovery(None)
        editor.run()
    finally:
        editor.close()
    return 0


def screenshot(path, output, width=None, height=None, seconds=1.0):
    """`nodegraph screenshot PATCH -o FILE.png`: the editor with the patch playing, as a PNG.
    Without a width or height, the window is sized to show the whole patch (within
    SHOT_LARGEST). It draws on a private virtual screen when Xvfb is installed (big
    enough for any such window), else on the display."""
    if xdisplay.have_display() and not shutil.which("Xvfb"):
        return _screenshot(path, output, width, height, seconds)
    w = max(width or 0, SHOT_LARGEST[0] if width is None else 0, 1280)
    h = max(height or 0, SHOT_LARGEST[1] if height is None else 0, 800)
    with xdisplay.PrivateXvfb(w, h):
        return _screenshot(path, output, width, height, seconds)


def _screenshot(path, output, width, height, seconds):
    editor = Editor(width or 1280, height or 800)
    try:
        editor.fast = True
        if not editor.open_now(path):
            raise NodegraphError(editor.last_error or f"cannot open {path}")
        editor.run_for(seconds)
        if width is None or height is None:
            fit_shot(editor, width, height)
        write_png(editor, output)
    finally:
        editor.close()
    print(f"wrote {output}")
    return 0


def fit_shot(editor, width=None, height=None):
    """Size the window to the whole patch for a screenshot (a given width or height stays)."""
    editor.fit_window(SHOT_LARGEST, SHOT_SMALLEST)
    if width is not None:
        dpg.set_viewport_width(width)
    if height is not None:
        dpg.set_viewport_height(height)
    editor.run_frames(3)  # the panels follow the new size


def write_png(editor, output):
    output = os.path.abspath(output)
    if os.path.exists(output):
        os.unlink(output)
    dpg.output_frame_buffer(file=output)
    for _ in range(3):
        editor.frame()
    if not os.path.exists(output):
        raise NodegraphError(f"the screenshot was not written to {output}")
    return output


def _what(cmd):
    node, name = getattr(cmd, "node_id", None), getattr(cmd, "name", None)
    label = f"{cmd.label} {name}" if isinstance(name, str) else cmd.label
    return f"{label} on {node}" if node else label


def _undone(cmd):
    """The status line after Ctrl+Z: what was undone (a take: what it took away)."""
    if isinstance(cmd, RecordedTake):
        back = "it" if cmd.count == 1 else "them"
        return f"undid take {cmd.take} on {cmd.node_id}: {_take_examples(cmd)} gone (Ctrl+Shift+Z brings {back} back)"
    return f"undid {_what(cmd)} (Ctrl+Shift+Z redoes it)"


def _redone(cmd):
    if isinstance(cmd, RecordedTake):
        return f"redid take {cmd.take} on {cmd.node_id}: {_take_examples(cmd)} back"
    return f"redid {_what(cmd)}"


def _take_examples(cmd):
    return f"its {counted(cmd.count, 'example')} {'is' if cmd.count == 1 else 'are'}"
