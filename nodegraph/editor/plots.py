"""The plot nodes' custom view: the picture their view() describes, with its words.

A node with a `view()` method and a plot kind (scope, dataset, confusion) gets a
drawing on the canvas: the picture itself is one texture (plotdraw paints it with
numpy; one quad for the graphics driver, however many dots), and around it a few
drawn words — axis names and ranges, a legend of class colours with the class
names, a confusion matrix's counts and class names. Both are redrawn only when
the view's version changes, read at the canvas's live-value rate. A click on a
dataset's dot shows that example and offers to delete it (an undoable command
the node makes).

`layout(kind, view)` is pure (no Dear PyGui): it says where the picture goes and
which words and swatches go around it, so it can be tested without a window.
"""
from __future__ import annotations

import dearpygui.dearpygui as dpg
import numpy as np

from ..commands import DeleteExample
from ..errors import EditError, NodegraphError
from . import plotdraw, values

# the picture's size in pixels, per kind (the words around it add margins)
PICTURE = {"scope": (300, 140), "dataset": (300, 220), "confusion": None}
CHAR_W = 7.6  # average width of a character of the 15 px UI font, for layout before a frame is drawn
TEXT = (225, 225, 225, 255)
DIM = (160, 160, 165, 255)
SMALL, NORMAL = 13, 14  # text sizes drawn on plots
ROW = 17  # a line of drawn text


def has_view(node) -> bool:
    kind = getattr(type(node), "kind", "")
    return callable(getattr(node, "view", None)) and kind in plotdraw.DRAW


def text_width(text, size=NORMAL):
    measured = None
    try:
        measured = dpg.get_text_size(text)
    except Exception:  # no context (pure tests) or no font yet
        measured = None
    if measured:
        return float(measured[0]) * size / 15.0
    return len(text) * CHAR_W * size / 15.0


def num(x) -> str:
    """A tick label, written as values on nodes are."""
    return values.number(x)


def rgb255(colour, alpha=1.0):
    return tuple(int(round(float(c) * 255)) for c in colour[:3]) + (int(round(alpha * 255)),)


class Layout:
    """Where a plot's picture goes inside its drawing, and the words and swatches around it."""

    def __init__(self, size, picture_at, picture_size):
        self.size = size  # (w, h) of the whole drawing
        self.picture_at = picture_at  # (x, y) of the picture's top-left corner in it
        self.picture_size = picture_size  # (w, h) of the picture (the texture)
        self.ops = []  # ("text", (x, y), text, colour, size) | ("rect", (x0, y0), (x1, y1), colour)

    def text(self, pos, text, colour=TEXT, size=NORMAL, align="left"):
        x, y = pos
        if align != "left":
            w = text_width(text, size)
            x -= w if align == "right" else w / 2
        self.ops.append(("text", (float(x), float(y)), text, colour, size))

    def rect(self, p0, p1, colour):
        self.ops.append(("rect", (float(p0[0]), float(p0[1])), (float(p1[0]), float(p1[1])), colour))

    def texts(self):
        return [op[2] for op in self.ops if op[0] == "text"]


def legend(lay, entries, x0, y, width):
    """Swatches with names, in rows that fit `width`; returns the y below them.
    entries: [(colour 0..1 rgb, name)]."""
    x = x0
    for colour, name in entries:
        w = 16 + text_width(name, SMALL) + 14
        if x > x0 and x + w > x0 + width:
            x, y = x0, y + ROW
        lay.rect((x, y + 3), (x + 11, y + 14), rgb255(colour))
        lay.text((x + 16, y), name, TEXT, SMALL)
        x += w
    return y + ROW


def _class_entries(classes, limit=12):
    entries = [(plotdraw.class_colour(i), str(c)) for i, c in enumerate(classes[:limit])]
    if len(classes) > limit:
        entries.append(((0.5, 0.5, 0.5), f"… {len(classes) - limit} more"))
    return entries


def layout_dataset(view):
    w, h = PICTURE["dataset"]
    bounds = view.get("bounds") or [0.0, 1.0, 0.0, 1.0]
    ticks = [num(b) for b in bounds]
    left = max(text_width(ticks[2], SMALL), text_width(ticks[3], SMALL)) + 8
    left = max(left, 30)
    top = ROW
    lay = Layout((0, 0), (left, top), (w, h))
    axes = list(view.get("axes") or ["", ""]) + ["", ""]
    x_name, y_name = axes[0] or "", axes[1] or ""
    # the y axis: its name above, its range beside; the x axis: range and name below
    lay.text((left, 0), f"↑ {y_name}" if y_name else "", DIM if not y_name else TEXT, SMALL)
    lay.text((left - 4, top - 2), ticks[3], DIM, SMALL, "right")
    lay.text((left - 4, top + h - ROW + 3), ticks[2], DIM, SMALL, "right")
    lay.text((left, top + h + 1), ticks[0], DIM, SMALL)
    lay.text((left + w, top + h + 1), ticks[1], DIM, SMALL, "right")
    if x_name:
        lay.text((left + w / 2, top + h + 1), f"{x_name} →", TEXT, SMALL, "center")
    y = top + h + ROW + 4
    classes = view.get("classes") or []
    value_range = view.get("value_range")
    if view.get("values") is not None or (view.get("grid") or {}).get("kind") == "value":
        lo, hi = (value_range or [0.0, 1.0])[:2]
        lay.text((left, y), "value", TEXT, SMALL)
        x = left + text_width("value", SMALL) + 8
        lay.text((x, y), num(lo), DIM, SMALL)
        x += text_width(num(lo), SMALL) + 6
        steps = 24
        for i in range(steps):  # a strip of the colour ramp
            c = plotdraw.ramp(i / (steps - 1))
            lay.rect((x + i * 4, y + 3), (x + i * 4 + 4, y + 14), rgb255(c))
        x += steps * 4 + 6
        lay.text((x, y), num(hi), DIM, SMALL)
        y += ROW
    elif classes:
        if view.get("task") == "cluster":
            entries = [(plotdraw.class_colour(i), f"group {c}") for i, c in enumerate(classes[:12])]
        else:
            entries = _class_entries(classes)
        y = legend(lay, entries, left, y, w)
    if view.get("live") is not None:
        lay.text((left, y), "▣ the live input", DIM, SMALL)
        y += ROW
    lay.size = (int(left + w + 6), int(y + 2))
    return lay


def layout_scope(view):
    w, h = PICTURE["scope"]
    lo, hi = view.get("y") or (0.0, 1.0)
    ticks = [num(hi), num(lo)]
    left = max(30, max(text_width(t, SMALL) for t in ticks) + 8)
    lay = Layout((0, 0), (left, 4), (w, h))
    top = 4
    lay.text((left - 4, top - 2), ticks[0], DIM, SMALL, "right")
    lay.text((left - 4, top + h - ROW + 3), ticks[1], DIM, SMALL, "right")
    if lo < 0 < hi:
        zero_y = top + (1 - (0 - lo) / ((hi - lo) or 1)) * (h - 1)
        lay.text((left - 4, zero_y - 8), "0", DIM, SMALL, "right")
    window = float(view.get("window_ms") or 0.0)
    span = f"{num(window / 1000)} s" if window >= 1000 else f"{num(window)} ms"
    lay.text((left, top + h + 1), f"← {span}", DIM, SMALL)
    lay.text((left + w, top + h + 1), "now", DIM, SMALL, "right")
    y = top + h + ROW + 4
    values = view.get("values")
    channels = int(view.get("channels") or 0)
    if channels and values is not None and len(values):
        latest = np.asarray(values)[-1]
        if channels == 1:
            entries = [(plotdraw.class_colour(0), f"latest {num(latest[0])}")]
        else:
            names = view.get("names") or []
            entries = [(plotdraw.class_colour(i), f"{names[i] if i < len(names) else i + 1}: {num(latest[i])}")
                       for i in range(min(channels, 10))]
            if channels > 10:
                entries.append(((0.5, 0.5, 0.5), f"… {channels - 10} more"))
        y = legend(lay, entries, left, y, w)
    lay.size = (int(left + w + 6), int(y + 2))
    return lay


def confusion_cells(n):
    """(cell width, cell height) for n classes: roomy for a few, smaller for many."""
    return max(18, min(80, 300 // max(n, 1))), max(14, min(40, 220 // max(n, 1)))


def layout_confusion(view):
    classes = [str(c) for c in view.get("classes") or []]
    matrix = view.get("matrix")
    n = len(classes) if matrix is None else int(np.asarray(matrix).shape[0])
    if not n:
        lay = Layout((0, 0), (0, 0), (220, 60))
        lay.text((8, 20), "no classes yet", DIM, SMALL)
        lay.size = (220, 60)
        return lay
    cw, ch = confusion_cells(n)
    names = classes[:n] + [str(i + 1) for i in range(len(classes), n)]
    short = [_fit(name, cw - 4) for name in names]
    left = min(110, max(text_width(name, SMALL) for name in names) + 12)
    left = max(left, text_width("true ↓", SMALL) + 8)
    top = 2 * ROW
    lay = Layout((0, 0), (left, top), (cw * n, ch * n))
    lay.text((left, 0), "predicted as →", TEXT, SMALL)
    lay.text((4, ROW), "true ↓", TEXT, SMALL)
    for j, name in enumerate(short):
        lay.text((left + j * cw + cw / 2, ROW), name, DIM, SMALL, "center")
    for i, name in enumerate(names):
        lay.text((left - 6, top + i * ch + ch / 2 - 8), _fit(name, left - 10), DIM, SMALL, "right")
    if matrix is not None and n <= 12:
        m = np.asarray(matrix)
        share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
        for i in range(n):
            for j in range(n):
                colour = (20, 20, 20, 255) if share[i, j] > 0.55 else TEXT
                lay.text((left + j * cw + cw / 2, top + i * ch + ch / 2 - 8), str(int(m[i, j])), colour, NORMAL,
                         "center")
    lay.size = (int(left + cw * n + 6), int(top + ch * n + 4))
    return lay


def _fit(name, width):
    """A name cut to fit `width` pixels."""
    if text_width(name, SMALL) <= width:
        return name
    while len(name) > 1 and text_width(name + "…", SMALL) > width:
        name = name[:-1]
    return name + "…"


LAYOUT = {"scope": layout_scope, "dataset": layout_dataset, "confusion": layout_confusion}


def layout(kind, view) -> Layout:
    return LAYOUT[kind](view)


class PlotView:
    _registry = None
    _click_handlers = None

    def __init__(self, editor, node, view, parent, zoom=1.0):
        """`node`: the document's record; `view`: the engine's latest plot data (None: none
        yet, drawn as the type's empty picture)."""
        self.editor, self.node_id, self.kind = editor, node.id, type(node).kind
        self.zoom = z = float(zoom)  # the canvas's zoom: the drawing is scaled, the texture is not
        if PlotView._registry is None or not dpg.does_item_exist(PlotView._registry):
            PlotView._registry = dpg.add_texture_registry()
        self.texture, self.texture_size = None, None
        lay = layout(self.kind, view or node.empty_view())  # a record's empty_view reads no engine
        self.drawlist = dpg.add_drawlist(*self._scaled(lay.size), parent=parent, user_data=self)
        self.image = None
        self.words = None
        self.picture_at = lay.picture_at
        self._texture(lay.picture_size)
        self.caption = dpg.add_text("", parent=parent, wrap=int(lay.size[0] * z), show=False)
        dpg.bind_item_theme(self.caption, editor.themes.dim_text)
        self.version = None
        self.view = None
        if self.kind == "dataset":
            if PlotView._click_handlers is None or not dpg.does_item_exist(PlotView._click_handlers):
                with dpg.item_handler_registry() as PlotView._click_handlers:
                    dpg.add_item_clicked_handler(button=dpg.mvMouseButton_Left, callback=_on_click)
            dpg.bind_item_handler_registry(self.drawlist, PlotView._click_handlers)

    @property
    def size(self):
        return self.texture_size

    def _scaled(self, size):
        return [max(1, int(round(v * self.zoom))) for v in size]

    def _picture_rect(self):
        z, (x, y), (w, h) = self.zoom, self.picture_at, self.texture_size
        return (x * z, y * z), ((x + w) * z, (y + h) * z)

    def _texture(self, size):
        """The picture's texture, made again when its size changes (a confusion matrix of more classes)."""
        w, h = int(size[0]), int(size[1])
        if self.texture_size == (w, h):
            return
        old = self.texture
        self.texture = dpg.add_raw_texture(w, h, default_value=plotdraw.blank(w, h).ravel(),
                                           format=dpg.mvFormat_Float_rgba, parent=PlotView._registry)
        self.texture_size = (w, h)
        pmin, pmax = self._picture_rect()
        if self.image is None:
            self.image = dpg.draw_image(self.texture, pmin, pmax, parent=self.drawlist)
        else:
            dpg.configure_item(self.image, texture_tag=self.texture, pmin=pmin, pmax=pmax)
        if old is not None and dpg.does_item_exist(old):
            dpg.delete_item(old)

    def refresh(self, view) -> bool:
        """Redraw if the engine's plot data (a node's view, as published) is a new version;
        True if it was."""
        if not isinstance(view, dict) or view.get("version") == self.version:
            return False
        self.version, self.view = view.get("version"), view
        try:
            lay = layout(self.kind, view)
            w, h = lay.picture_size
            img = plotdraw.DRAW[self.kind](view, w, h)
        except Exception as e:
            lay = None
            w, h = self.texture_size
            img = plotdraw.blank(w, h)
            self._caption(f"cannot draw this view: {type(e).__name__}: {e}")
        else:
            self._caption("")
        if lay is not None:
            self.picture_at = lay.picture_at
            self._texture(lay.picture_size)
            pmin, pmax = self._picture_rect()
            dpg.configure_item(self.image, pmin=pmin, pmax=pmax)
            self._words(lay)
        dpg.set_value(self.texture, np.ascontiguousarray(img, dtype=np.float32).ravel())
        return True

    def _words(self, lay):
        z = self.zoom
        width, height = self._scaled(lay.size)
        dpg.configure_item(self.drawlist, width=width, height=height)
        if self.words is not None and dpg.does_item_exist(self.words):
            dpg.delete_item(self.words)
        self.words = dpg.add_draw_layer(parent=self.drawlist)
        for op in lay.ops:
            if op[0] == "text":
                _, pos, text, colour, size = op
                if text:
                    dpg.draw_text((pos[0] * z, pos[1] * z), text, color=colour, size=size * z, parent=self.words)
            else:
                _, p0, p1, colour = op
                dpg.draw_rectangle((p0[0] * z, p0[1] * z), (p1[0] * z, p1[1] * z), color=colour, fill=colour,
                                   parent=self.words)

    def _caption(self, text):
        dpg.set_value(self.caption, text)
        dpg.configure_item(self.caption, show=bool(text))

    def delete(self):
        if self.texture is not None and dpg.does_item_exist(self.texture):
            dpg.delete_item(self.texture)

    def picture_origin(self):
        """Screen position of the picture's top-left pixel."""
        x0, y0 = dpg.get_item_rect_min(self.drawlist)
        return x0 + self.picture_at[0] * self.zoom, y0 + self.picture_at[1] * self.zoom

    def clicked(self, screen):
        """A click on the picture at a screen point: offer the example under it."""
        if self.kind != "dataset" or self.view is None:
            return
        x0, y0 = self.picture_origin()
        z = self.zoom
        point = plotdraw.nearest_point(self.view, (screen[0] - x0) / z, (screen[1] - y0) / z, *self.texture_size)
        if point is None or self.node_id not in self.editor.rt.doc.nodes:
            return
        try:
            example = example_at(self.view, point)
            command = delete_command(self.view, point)
        except NodegraphError as e:
            self.editor.fail(str(e))
            return
        what = ", ".join(f"recorded at {v / 1000:.1f} s" if k == "time" else f"{k} {_short(v)}"
                         for k, v in example.items() if k not in ("features", "index"))  # (time: logical ms)
        text = f"Example {example.get('index', point) + 1}: {what}\nfeatures {_short(example.get('features'))}"

        def answer(choice):
            if choice == "Delete":
                self.editor.try_do(command)
        self.editor.dialogs.ask("Example", text, ["Delete", "Keep"], answer)


def example_at(view, point) -> dict:
    """What a dataset plot shows for a clicked point (its position in view["points"]): read
    from the plot data the engine published, as drawn."""
    if not 0 <= point < len(view["index"]):
        raise EditError(f"there is no point {point}")
    out = {"index": int(view["index"][point]), "take": int(view["take"][point]),
           "time": float(view["time"][point]), "features": view["features"][point].tolist()}
    if view.get("labels") is not None:
        out["label"] = view["labels"][point]
    if view.get("values") is not None:
        out["value"] = float(view["values"][point])
    return out


def delete_command(view, point) -> DeleteExample:
    """The undoable edit that deletes a clicked example from its learner (the document checks
    by its take and time that it is the one drawn)."""
    if view.get("source") is None:
        raise EditError("no learner is linked to this plot")
    ex = example_at(view, point)
    return DeleteExample(view["source"], ex["index"], take=ex["take"], t=ex["time"])


def _on_click(sender, app_data):
    item = app_data[1] if isinstance(app_data, (list, tuple)) else app_data
    view = dpg.get_item_user_data(item)
    if isinstance(view, PlotView):
        view.clicked(dpg.get_mouse_pos(local=False))


def _short(v):
    if isinstance(v, float):
        return values.number(v)
    if isinstance(v, list):
        return "[" + " ".join(_short(x) for x in v[:6]) + (" …" if len(v) > 6 else "") + "]"
    return str(v)
