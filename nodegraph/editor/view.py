"""Seeing the patch: zoom in and out, and Show all, which fits the whole patch in the
canvas (zooming out as far as it needs). The Editor takes these as a mixin.

Zooming changes the view only (canvas.py draws grid positions scaled), never the
saved positions, so it is not an undo step and does not mark the patch changed.
The zoom is kept in the patch's `meta.view.zoom` (an optional field), so a patch
opens as it was last seen.

A box's drawn size is not exactly proportional to the zoom (fonts come in whole
pixel sizes, padding does not scale), so Show all measures again once the new
drawing has its sizes, and zooms out a little more if something is still cut off.
"""
from __future__ import annotations

import dearpygui.dearpygui as dpg

from . import itemstate

# the steps of Ctrl+= and Ctrl+-: the 15 px font in whole pixels (7/15 draws it at 7 px)
ZOOMS = (6 / 15, 7 / 15, 8 / 15, 9 / 15, 10 / 15, 11 / 15, 12 / 15, 13 / 15, 1.0, 17 / 15, 20 / 15, 24 / 15, 2.0)
FIT_MARGIN = 24  # screen pixels left around a patch that is fitted into view
SETTLE_FRAMES = 2  # frames until a new drawing has its sizes
SIDE_WIDTH = 320  # the side panel's width as the editor opens (the splitter's included)
SIDE_LIMITS = (160, 900)
SPLITTER = 5  # the bar's width
FIT_TRIES = 4


def percent(zoom) -> str:
    return f"{round(zoom * 100)}%"


def zoom_of(meta) -> float:
    """A patch's saved zoom (1 if it has none, or a wrong one)."""
    view = (meta or {}).get("view") if isinstance(meta, dict) else None
    zoom = view.get("zoom") if isinstance(view, dict) else None
    if isinstance(zoom, (int, float)) and not isinstance(zoom, bool) and ZOOMS[0] <= zoom <= ZOOMS[-1]:
        return float(zoom)
    return 1.0


def step(zoom, direction):
    """The next zoom step above (direction 1) or below (-1) `zoom`."""
    if direction > 0:
        return next((z for z in ZOOMS if z > zoom + 1e-6), ZOOMS[-1])
    return next((z for z in reversed(ZOOMS) if z < zoom - 1e-6), ZOOMS[0])


def fit_zoom(box, avail, most=1.0):
    """The zoom at which a grid box (l, t, r, b) fits `avail` (w, h) screen pixels."""
    w, h = max(1.0, box[2] - box[0]), max(1.0, box[3] - box[1])
    zoom = min(most, avail[0] / w, avail[1] / h)
    return max(ZOOMS[0], min(ZOOMS[-1], int(zoom * 100) / 100))


class ViewActions:
    _fit = None  # (tries left, margin) while Show all waits for the new drawing's sizes

    def canvas_rect(self):
        """(left, top, width, height) of the canvas on the screen."""
        x, y = dpg.get_item_pos(self.canvas_parent)  # a child window's pos is on the screen
        w, h = dpg.get_item_rect_size(self.canvas_parent)
        return x, y, w, h

    def zoom_in(self):
        self.zoom_to(step(self.canvas.zoom, 1))

    def zoom_out(self):
        self.zoom_to(step(self.canvas.zoom, -1))

    def zoom_reset(self):
        self.zoom_to(1.0)

    def zoom_to(self, zoom, anchor=None):
        """Zoom keeping the point under `anchor` (a screen point; the mouse over the canvas,
        else the canvas's middle) where it is."""
        canvas = self.canvas
        zoom = max(ZOOMS[0], min(ZOOMS[-1], float(zoom)))
        if anchor is None:
            if canvas.hovered():
                anchor = tuple(dpg.get_mouse_pos(local=False))
            else:
                x, y, w, h = self.canvas_rect()
                anchor = (x + w / 2, y + h / 2)
        ox, oy = canvas.offset()
        z0, (gx0, gy0) = canvas.zoom, canvas.origin
        gx, gy = (anchor[0] - ox) / z0 + gx0, (anchor[1] - oy) / z0 + gy0  # the grid point under it
        canvas.set_view(zoom, (gx - (anchor[0] - ox) / zoom, gy - (anchor[1] - oy) / zoom))
        self._remember_zoom(zoom)
        self.say(f"zoom {percent(zoom)}  (Ctrl+0: 100%, Home: show all)")

    def on_wheel(self, delta):
        """Ctrl+wheel over the canvas zooms at the mouse."""
        if delta and self.canvas.hovered() and (dpg.is_key_down(dpg.mvKey_ModCtrl) or self._held & _CTRL):
            self.zoom_to(step(self.canvas.zoom, 1 if delta > 0 else -1), tuple(dpg.get_mouse_pos(local=False)))

    def _remember_zoom(self, zoom):
        """The zoom goes into the patch's meta (saved with it; not an edit of the patch)."""
        meta = self.rt.doc.meta  # the document's, on the editor's own thread
        if zoom == 1.0:
            meta.pop("view", None)
        else:
            meta["view"] = {"zoom": round(zoom, 4)}

    # ---- show all ---------------------------------------------------------------------------

    def content_box(self, keys=None):
        """(left, top, right, bottom) on the grid around every node and comment as drawn (or
        those of `keys`: ("node", id), ("comment", cid)), or None."""
        rects = [r for k, r in self.canvas.boxes().items() if keys is None or k in keys]
        if not rects:
            return None
        return (min(r[0] for r in rects), min(r[1] for r in rects),
                max(r[0] + r[2] for r in rects), max(r[1] + r[3] for r in rects))

    def visible_box(self):
        """(left, top, right, bottom) on the grid of the part of the canvas in view."""
        cx, cy, cw, ch = self.canvas_rect()
        ox, oy = self.canvas.offset()
        z, (gx, gy) = self.canvas.zoom, self.canvas.origin
        x0, y0 = (cx - ox) / z + gx, (cy - oy) / z + gy
        return (x0, y0, x0 + cw / z, y0 + ch / z)

    def cut_off(self, margin=0):
        """The nodes and comments not wholly inside the canvas (as drawn at the last frame)."""
        cx, cy, cw, ch = self.canvas_rect()
        out = []
        for key, (x, y, w, h) in self.canvas.boxes().items():
            sx, sy = self.canvas.to_screen((x, y))
            z = self.canvas.zoom
            if sx < cx + margin or sy < cy + margin or sx + w * z > cx + cw - margin or sy + h * z > cy + ch - margin:
                out.append(key)
        return out

    def show_all(self, margin=FIT_MARGIN):
        """View > Show all: the whole patch in the canvas, zoomed out as far as it needs (and
        no further in than 100%). Nothing in the patch moves: only the view."""
        box = self.content_box()
        if box is None:
            self.say("the patch is empty")
            return
        self._fit = (FIT_TRIES, margin)
        self._fit_to(box, margin, fit_zoom(box, self._room(margin)))

    def _room(self, margin):
        _, _, cw, ch = self.canvas_rect()
        return (cw - 2 * margin, ch - 2 * margin)

    def _fit_to(self, box, margin, zoom):
        cx, cy, _, _ = self.canvas_rect()
        ox, oy = self.canvas.offset()
        # the box's top-left corner goes `margin` inside the canvas's
        origin = (box[0] - (cx + margin - ox) / zoom, box[1] - (cy + margin - oy) / zoom)
        self.canvas.set_view(zoom, origin)
        self.canvas.settle(SETTLE_FRAMES, self._fit_check)

    def _fit_check(self):
        """The new drawing has its sizes: does all of it fit? If not, zoom out a little more."""
        if self._fit is None:
            return
        tries, margin = self._fit
        box = self.content_box()
        if box is None:
            self._fit = None
            return
        zoom = self.canvas.zoom
        if not self.cut_off() or tries <= 1 or zoom <= ZOOMS[0]:
            self._fit = None
            self._remember_zoom(zoom)
            if self.cut_off():
                self.say("the patch is larger than the canvas even zoomed out: drag with the middle mouse "
                         "button to move around it", "warning")
            else:
                self.say(f"the whole patch is in view (zoom {percent(zoom)})")
            return
        self._fit = (tries - 1, margin)
        self._fit_to(box, margin, max(ZOOMS[0], min(fit_zoom(box, self._room(margin)), zoom * 0.95)))

    def fits(self):
        return not self.cut_off()

    # ---- the side panel (inspector and help) -------------------------------------------------

    side_width = SIDE_WIDTH

    def add_splitter(self, bottom):
        """The thin bar between the canvas and the side panel: drag it to resize the panel."""
        self.splitter = dpg.add_button(label="", width=SPLITTER, height=-bottom)
        with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
            dpg.add_theme_color(dpg.mvThemeCol_Button, (45, 47, 54))
            dpg.add_theme_color(dpg.mvThemeCol_ButtonHovered, (90, 110, 150))
            dpg.add_theme_color(dpg.mvThemeCol_ButtonActive, (110, 135, 185))
        dpg.bind_item_theme(self.splitter, theme)
        with dpg.item_handler_registry() as handlers:
            dpg.add_item_active_handler(callback=self._on_splitter)
        dpg.bind_item_handler_registry(self.splitter, handlers)

    def _on_splitter(self, sender, app_data):
        x = dpg.get_mouse_pos(local=False)[0]
        self.set_side_width(dpg.get_viewport_client_width() - x)

    def set_side_width(self, width):
        width = int(max(SIDE_LIMITS[0], min(SIDE_LIMITS[1], dpg.get_viewport_client_width() * 0.7, width)))
        if width != self.side_width:
            self.side_width = width
            if itemstate.shown(self.side):
                dpg.configure_item(self.canvas_parent, width=-width)
            self.inspector.texts.rewrap()  # the help wraps to the new width
            self.help.texts.rewrap()

    def set_side(self, on):
        """View > Inspector: hide the side panel (the canvas takes its room) or show it again."""
        on = bool(on)
        dpg.configure_item(self.side, show=on)
        dpg.configure_item(self.splitter, show=on)
        dpg.configure_item(self.canvas_parent, width=-self.side_width if on else -1)
        dpg.set_value(self.menubar.inspector, on)

    def toggle_side(self):
        self.set_side(not itemstate.shown(self.side))


_CTRL = {dpg.mvKey_LControl, dpg.mvKey_RControl}
