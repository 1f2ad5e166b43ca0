"""The plot nodes' custom view: the picture their view() describes, as one texture.

A node with a `view()` method and a plot kind (scope, dataset, confusion) gets an
image on the canvas, redrawn (by plotdraw) only when the view's version changes,
and read at the canvas's live-value rate. A click on a dataset's dot shows that
example and offers to delete it (an undoable command the node makes).
"""
from __future__ import annotations

import dearpygui.dearpygui as dpg
import numpy as np

from ..errors import NodegraphError
from . import plotdraw

SIZE = (240, 170)


def has_view(node) -> bool:
    kind = getattr(type(node), "kind", "")
    return callable(getattr(node, "view", None)) and kind in plotdraw.DRAW


class PlotView:
    _registry = None
    _click_handlers = None

    def __init__(self, editor, node, parent):
        self.editor, self.node_id, self.kind = editor, node.id, type(node).kind
        w, h = SIZE
        if PlotView._registry is None or not dpg.does_item_exist(PlotView._registry):
            PlotView._registry = dpg.add_texture_registry()
        self.texture = dpg.add_raw_texture(w, h, default_value=plotdraw.blank(w, h).ravel(),
                                           format=dpg.mvFormat_Float_rgba, parent=PlotView._registry)
        self.image = dpg.add_image(self.texture, parent=parent, user_data=self)
        self.caption = dpg.add_text("", parent=parent, wrap=w, show=False)
        dpg.bind_item_theme(self.caption, editor.themes.dim_text)
        self.version = None
        self.view = None
        if self.kind == "dataset":
            if PlotView._click_handlers is None or not dpg.does_item_exist(PlotView._click_handlers):
                with dpg.item_handler_registry() as PlotView._click_handlers:
                    dpg.add_item_clicked_handler(button=dpg.mvMouseButton_Left, callback=_on_click)
            dpg.bind_item_handler_registry(self.image, PlotView._click_handlers)

    def refresh(self, node) -> bool:
        """Redraw if the node's view changed; True if it did."""
        try:
            view = node.view()
        except Exception:  # a view that fails must not stop the editor
            return False
        if view.get("version") == self.version:
            return False
        self.version, self.view = view.get("version"), view
        w, h = SIZE
        try:
            img = plotdraw.DRAW[self.kind](view, w, h)
        except Exception as e:
            img = plotdraw.blank(w, h)
            self._caption(f"cannot draw this view: {type(e).__name__}: {e}")
        else:
            self._caption(caption(self.kind, view))
        dpg.set_value(self.texture, np.ascontiguousarray(img, dtype=np.float32).ravel())
        return True

    def _caption(self, text):
        dpg.set_value(self.caption, text)
        dpg.configure_item(self.caption, show=bool(text))

    def delete(self):
        if dpg.does_item_exist(self.texture):
            dpg.delete_item(self.texture)

    def clicked(self, screen):
        """A click on the picture at a screen point: offer the example under it."""
        if self.kind != "dataset" or self.view is None:
            return
        x0, y0 = dpg.get_item_rect_min(self.image)
        point = plotdraw.nearest_point(self.view, screen[0] - x0, screen[1] - y0, *SIZE)
        node = self.editor.rt.graph.nodes.get(self.node_id)
        if point is None or node is None:
            return
        try:
            example = node.example(point)
            command = node.delete_command(point)
        except NodegraphError as e:
            self.editor.fail(str(e))
            return
        what = ", ".join(f"{k} {_short(v)}" for k, v in example.items() if k not in ("features", "index"))
        text = f"Example {example.get('index', point) + 1}: {what}\nfeatures {_short(example.get('features'))}"

        def answer(choice):
            if choice == "Delete":
                self.editor.try_do(command)
        self.editor.dialogs.ask("Example", text, ["Delete", "Keep"], answer)


def _on_click(sender, app_data):
    item = app_data[1] if isinstance(app_data, (list, tuple)) else app_data
    view = dpg.get_item_user_data(item)
    if isinstance(view, PlotView):
        view.clicked(dpg.get_mouse_pos(local=False))


def caption(kind, view):
    if kind == "dataset":
        axes = view.get("axes") or ["", ""]
        parts = []
        if any(axes):
            parts.append(f"across: {axes[0]}   up: {axes[1]}")
        classes = view.get("classes") or []
        if classes and view.get("values") is None:
            names = [plotdraw_name(i) for i in range(len(classes))]
            parts.append("  ".join(f"{c} {n}" for c, n in zip(classes[:8], names)))
        return "\n".join(parts)
    if kind == "confusion":
        matrix, classes = view.get("matrix"), view.get("classes") or []
        if matrix is None or not classes or len(classes) > 6:
            return ""
        width = max(len(str(c)) for c in classes) + 1
        head = " " * width + " ".join(f"{str(c)[:4]:>4}" for c in classes)
        rows = [f"{str(c):<{width}}" + " ".join(f"{int(v):>4}" for v in row) for c, row in zip(classes, matrix)]
        return "rows: true class, columns: taken for\n" + "\n".join([head, *rows])
    return ""


COLOUR_NAMES = ("blue", "orange", "green", "red", "purple", "sand", "pink", "grey", "lime", "cyan")


def plotdraw_name(i):
    return f"({COLOUR_NAMES[i % len(COLOUR_NAMES)]})"


def _short(v):
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list):
        return "[" + " ".join(_short(x) for x in v[:6]) + (" …" if len(v) > 6 else "") + "]"
    return str(v)
