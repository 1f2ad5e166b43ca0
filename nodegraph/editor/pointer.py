"""The pointer as an instrument: the xy node's pad, and the mouse node's feed.

The pad is a square drawn inside the xy node: press on it and drag, and every
frame the pointer moved sends the point into the node's `in` inlet (through the
runtime's inbox, as a link would), so a stroke arrives as the many points along
its path, not just where it ended. That is playing, not editing: no undo step,
the patch is not marked changed. The stroke stays drawn until the next one.

The mouse node gets the pointer's place over the window (0..1, y up) and the
left button, posted to the node on the scheduler thread; the GUI never calls it.
"""
from __future__ import annotations

import time

import dearpygui.dearpygui as dpg

from . import itemstate

from ..errors import NodegraphError

PAD = 150  # the pad's side in pixels at zoom 1
TRAIL_POINTS = 2000  # a stroke longer than this keeps its newest part
BACK, GRID, EDGE = (32, 34, 40, 255), (70, 74, 86, 255), (110, 114, 125, 255)
TRAIL, DOT, DOT_EDGE = (120, 180, 255, 200), (255, 210, 90, 255), (20, 20, 20, 255)


def has_pad(node) -> bool:
    return getattr(node, "type_id", "") == "xy"


def is_mouse(node) -> bool:
    return getattr(node, "type_id", "") == "mouse"


def _clamp(v):
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


class PadView:
    """The square of one xy node: a dot where its value is, the last stroke drawn."""

    _handlers = None

    def __init__(self, pointer, node, value, parent, zoom=1.0):
        """`node`: the document's record (its ranges); `value`: the point the engine last
        reported it shows (None: its set value)."""
        self.pointer, self.node_id = pointer, node.id
        self.size = s = max(60, int(round(PAD * zoom)))
        self.drawlist = dpg.add_drawlist(s, s, parent=parent, user_data=self)
        dpg.draw_rectangle((0, 0), (s, s), color=EDGE, fill=BACK, parent=self.drawlist)
        for i in (1, 2, 3):  # quarters, so a place can be found again
            c = s * i / 4
            dpg.draw_line((c, 1), (c, s - 1), color=GRID, parent=self.drawlist)
            dpg.draw_line((1, c), (s - 1, c), color=GRID, parent=self.drawlist)
        self.trail = dpg.draw_polyline([], color=TRAIL, thickness=2, parent=self.drawlist)
        self.radius = max(4.0, 7 * zoom)
        self.dot = dpg.draw_circle((s / 2, s / 2), self.radius, color=DOT_EDGE, fill=DOT, thickness=1.5,
                                   parent=self.drawlist)
        self.points = []  # the stroke being drawn (or the last one), in pad pixels
        self.shown = None  # the dot's pixel position
        self.last_sent = None
        if PadView._handlers is None or not dpg.does_item_exist(PadView._handlers):
            with dpg.item_handler_registry() as PadView._handlers:
                dpg.add_item_activated_handler(callback=_on_press)
        dpg.bind_item_handler_registry(self.drawlist, PadView._handlers)
        self.refresh(node, node.params["value"] if value is None else value)

    # ---- the value, both ways --------------------------------------------------------------

    @staticmethod
    def _ranges(node):
        p = node.params
        return p["xmin"], p["xmax"], p["ymin"], p["ymax"]

    def to_value(self, node, u, v):
        xmin, xmax, ymin, ymax = self._ranges(node)
        return [xmin + u * (xmax - xmin), ymin + v * (ymax - ymin)]

    def to_pixel(self, node, value):
        xmin, xmax, ymin, ymax = self._ranges(node)
        u = _clamp((value[0] - xmin) / (xmax - xmin)) if xmax != xmin else 0.5
        v = _clamp((value[1] - ymin) / (ymax - ymin)) if ymax != ymin else 0.5
        return (u * self.size, (1 - v) * self.size)

    def refresh(self, node, value) -> bool:
        """Put the dot at `value`, the point the node shows (not while a stroke is drawn:
        there the dot is the pointer). True if it moved."""
        if self.pointer.pad is self:
            return False
        try:
            at = self.to_pixel(node, value)
        except (KeyError, TypeError, IndexError, ZeroDivisionError):
            return False
        return self._dot(at)

    def _dot(self, at):
        if self.shown is not None and abs(at[0] - self.shown[0]) < 0.5 and abs(at[1] - self.shown[1]) < 0.5:
            return False
        self.shown = at
        dpg.configure_item(self.dot, center=at)
        return True

    # ---- a stroke --------------------------------------------------------------------------

    def begin(self, screen):
        self.points = []
        self.last_sent = None
        self.move(screen)

    def move(self, screen):
        """The pointer at a screen point during a stroke: show it, and send it if it is new."""
        graph = self.pointer.canvas.graph  # the document: the pad's ranges
        node = graph.nodes.get(self.node_id) if graph is not None else None
        if node is None:
            return
        x0, y0 = dpg.get_item_rect_min(self.drawlist)
        u, v = _clamp((screen[0] - x0) / self.size), _clamp(1 - (screen[1] - y0) / self.size)
        value = self.to_value(node, u, v)
        if value == self.last_sent:
            return
        self.last_sent = value
        self.pointer.sent = time.perf_counter()
        try:
            self.pointer.canvas.editor.rt.send(self.node_id, "in", value)
        except NodegraphError as e:
            self.pointer.canvas.editor.fail(str(e))
        at = (u * self.size, (1 - v) * self.size)
        self.points.append(at)
        if len(self.points) > TRAIL_POINTS:
            del self.points[:len(self.points) - TRAIL_POINTS]
        dpg.configure_item(self.trail, points=self.points)
        self._dot(at)
        self.pointer.canvas.changed = True

    def centre(self):
        """The pad's middle on the screen (for tests that drag on it with the real mouse)."""
        return self.screen_of(0.5, 0.5)

    def screen_of(self, u, v):
        """The screen point of a place on the pad, u from the left, v from the bottom (0..1)."""
        x0, y0 = dpg.get_item_rect_min(self.drawlist)
        return (x0 + u * self.size, y0 + (1 - v) * self.size)


def _on_press(sender, app_data):
    item = app_data[1] if isinstance(app_data, (list, tuple)) else app_data
    pad = dpg.get_item_user_data(item)
    if isinstance(pad, PadView):
        pad.pointer.press(pad)


class Pointer:
    """Follows the mouse for the canvas: the pad being drawn on, and the mouse nodes."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.pad = None
        self.mice = set()  # ids of the mouse nodes on the canvas
        self.button = False
        self.sent = None  # perf_counter of the last value a pad sent (benchmarks)
        with dpg.handler_registry() as self.handlers:
            dpg.add_mouse_move_handler(callback=self._on_move)
            dpg.add_mouse_down_handler(button=dpg.mvMouseButton_Left, callback=self._on_down)
            dpg.add_mouse_release_handler(button=dpg.mvMouseButton_Left, callback=self._on_release)
            dpg.add_mouse_wheel_handler(callback=lambda sender, delta: canvas.editor.on_wheel(delta))

    def press(self, pad):
        self.pad = pad
        pad.begin(dpg.get_mouse_pos(local=False))

    def drop(self, node_id):
        """A node's drawing is gone."""
        self.mice.discard(node_id)
        if self.pad is not None and self.pad.node_id == node_id:
            self.pad = None

    def forget(self):
        self.pad = None
        self.mice.clear()

    def _on_move(self, sender, app_data):
        pos = dpg.get_mouse_pos(local=False)
        pad = self.pad
        if pad is not None:
            if dpg.does_item_exist(pad.drawlist):
                pad.move(pos)  # also when the button came up in this frame: where the stroke ended
                if not itemstate.active(pad.drawlist):
                    self.pad = None
            else:
                self.pad = None
        if self.mice:
            self.feed(pos)

    def _on_down(self, sender, app_data):
        if not self.button:
            self.button = True
            if self.mice:
                self.feed(dpg.get_mouse_pos(local=False))

    def _on_release(self, sender, app_data):
        pad, self.pad = self.pad, None
        if pad is not None and dpg.does_item_exist(pad.drawlist):
            pad.move(dpg.get_mouse_pos(local=False))  # where the stroke ended
        self.button = False
        if self.mice:
            self.feed(dpg.get_mouse_pos(local=False))

    def feed(self, pos):
        """Post the pointer's place over the window to each mouse node."""
        w = max(1, dpg.get_viewport_client_width())
        h = max(1, dpg.get_viewport_client_height())
        x, y = _clamp(pos[0] / w), _clamp(1 - pos[1] / h)
        rt = self.canvas.rt
        if rt is None or not rt.running:
            return
        button = self.button
        for node_id in list(self.mice):
            rt.scheduler.post(None, _to_mouse, (rt, node_id, x, y, button))


def _to_mouse(rt, node_id, x, y, button):
    """On the scheduler thread: the engine's own mouse node gets the pointer (this editor
    never holds it)."""
    node = rt.graph.nodes.get(node_id)  # engine: on its own thread, where its nodes run
    if node is not None and hasattr(node, "pointer"):
        node.runs += 1  # engine: its message rate counts the pointer, as a post would
        rt.scheduler.run_event(node, node.pointer, (x, y, button))
