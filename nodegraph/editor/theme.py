"""Colours and fonts: categories tint title bars, pins are coloured by port type, an
errored node turns red, comments look like sticky notes."""
from __future__ import annotations

import os

import dearpygui.dearpygui as dpg

NODES = dpg.mvThemeCat_Nodes

TYPE_COLOURS = {
    "bang": (235, 200, 60), "float": (110, 200, 120), "bool": (90, 170, 230),
    "text": (230, 140, 70), "vector": (170, 120, 230), "label": (230, 110, 170),
    "midi": (80, 210, 200), "any": (190, 190, 190),
    "signal": (240, 240, 240),
}
CATEGORY_COLOURS = {
    "time": (45, 95, 105), "math": (50, 75, 120), "data": (85, 60, 110), "output": (75, 75, 75),
    "osc": (45, 105, 70), "midi": (40, 100, 95), "ml": (125, 80, 35), "learn": (125, 80, 35),
    "record": (105, 55, 55), "control": (60, 90, 60), "input": (45, 105, 70),
}
ERROR_RED = (230, 75, 70)
WARN_YELLOW = (230, 190, 80)
DIM = (150, 150, 150)
OK_GREEN = (120, 210, 120)

FONT_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
              "/usr/share/fonts/dejavu/DejaVuSans.ttf",
              "/usr/share/fonts/TTF/DejaVuSans.ttf")


class Themes:
    """Built once per DPG context; items bind the shared themes (no per-node themes)."""

    def __init__(self, font_size=15):
        self.font_size = font_size
        self.font = self._font(font_size)
        self._fonts = {font_size: self.font}  # by pixel size: the canvas's font at each zoom
        self.pins = {t: self._pin(c) for t, c in TYPE_COLOURS.items()}
        self._nodes = {}  # (kind, zoom) -> a node's theme
        self.error = self.node("error")
        self.placeholder = self.node("placeholder")
        self.comment = self.node("comment")
        self.error_text = self._text(ERROR_RED)
        self.dim_text = self._text(DIM)
        self.warn_text = self._text(WARN_YELLOW)
        self.ok_text = self._text(OK_GREEN)
        self.editor = self._editor()
        self.global_ = self._global()
        self.popup = popup_theme()
        self.link_button = self._link_button()

    def category(self, name, zoom=1.0):
        return self.node(("category", name), zoom)

    def node(self, kind, zoom=1.0):
        """A node's theme: its colours ("error", "placeholder", "comment" or ("category", name))
        and, at a zoom, the spacing inside it scaled with the font. imnodes reads the spacing
        from the node's own theme only (one bound to the node editor does not reach it)."""
        key = (kind, round(float(zoom), 2))
        theme = self._nodes.get(key)
        if theme is None:
            if kind == "error":
                theme = self._node((150, 40, 38), (185, 55, 50), outline=ERROR_RED, zoom=zoom)
            elif kind == "placeholder":
                theme = self._node((70, 70, 70), (90, 90, 90), outline=(160, 160, 160), background=(40, 40, 40),
                                   zoom=zoom)
            elif kind == "comment":
                theme = self._node((85, 80, 38), (105, 100, 50), outline=(0, 0, 0, 0), background=(0, 0, 0, 0),
                                   selected=(125, 118, 60), zoom=zoom)
            else:
                base = CATEGORY_COLOURS.get(kind[1].split(".")[0], (60, 60, 70))
                lighter = tuple(min(255, int(c * 1.3)) for c in base)
                theme = self._node(base, lighter, zoom=zoom)
            self._nodes[key] = theme
        return theme

    def font_for(self, zoom):
        """The UI font at `zoom` times its size, rounded down to whole pixels (never larger:
        a zoomed-out box is never bigger than its place; made once per size)."""
        size = max(6, int(self.font_size * zoom + 1e-3))  # a zoom saved as 0.5333 is 8 px
        if size not in self._fonts:
            self._fonts[size] = self._font(size, bind=False)
        return self._fonts[size]

    @staticmethod
    def _font(size, bind=True):
        path = next((p for p in FONT_PATHS if os.path.exists(p)), None)
        if path is None:
            return None  # DPG's built-in font: smaller, but it works
        with dpg.font_registry():
            font = dpg.add_font(path, size)
        if bind:
            dpg.bind_font(font)
        return font

    @staticmethod
    def _pin(colour):
        with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
            dpg.add_theme_color(dpg.mvNodeCol_Pin, colour, category=NODES)
            dpg.add_theme_color(dpg.mvNodeCol_PinHovered, tuple(min(255, c + 50) for c in colour), category=NODES)
        return theme

    @staticmethod
    def _node(title, hovered, outline=None, background=None, selected=None, zoom=1.0):
        with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
            if zoom != 1.0:
                _spacing(zoom)
            dpg.add_theme_color(dpg.mvNodeCol_TitleBar, title, category=NODES)
            dpg.add_theme_color(dpg.mvNodeCol_TitleBarHovered, hovered, category=NODES)
            dpg.add_theme_color(dpg.mvNodeCol_TitleBarSelected, selected or hovered, category=NODES)
            if outline is not None:
                dpg.add_theme_color(dpg.mvNodeCol_NodeOutline, outline, category=NODES)
            if background is not None:
                dpg.add_theme_color(dpg.mvNodeCol_NodeBackground, background, category=NODES)
                dpg.add_theme_color(dpg.mvNodeCol_NodeBackgroundHovered, background, category=NODES)
                dpg.add_theme_color(dpg.mvNodeCol_NodeBackgroundSelected, background, category=NODES)
        return theme

    @staticmethod
    def _text(colour):
        with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
            dpg.add_theme_color(dpg.mvThemeCol_Text, colour)
        return theme

    @staticmethod
    def _link_button():
        with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
            dpg.add_theme_color(dpg.mvThemeCol_Button, (0, 0, 0, 0))
            dpg.add_theme_color(dpg.mvThemeCol_ButtonHovered, (70, 75, 90))
            dpg.add_theme_color(dpg.mvThemeCol_Text, (150, 170, 210))
        return theme

    @staticmethod
    def _editor():
        with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
            dpg.add_theme_color(dpg.mvNodeCol_Link, (200, 200, 200), category=NODES)
            dpg.add_theme_color(dpg.mvNodeCol_LinkHovered, (255, 255, 255), category=NODES)
            dpg.add_theme_color(dpg.mvNodeCol_LinkSelected, (255, 210, 90), category=NODES)
            dpg.add_theme_color(dpg.mvNodeCol_NodeBackground, (48, 50, 56), category=NODES)
            dpg.add_theme_color(dpg.mvNodeCol_NodeBackgroundHovered, (56, 58, 64), category=NODES)
            dpg.add_theme_color(dpg.mvNodeCol_NodeBackgroundSelected, (62, 64, 72), category=NODES)
            dpg.add_theme_color(dpg.mvNodeCol_NodeOutline, (90, 92, 100), category=NODES)
            dpg.add_theme_style(dpg.mvNodeStyleVar_LinkThickness, 2.5, category=NODES)
            dpg.add_theme_style(dpg.mvNodeStyleVar_NodeCornerRounding, 0, category=NODES)  # Pd's square boxes
            dpg.add_theme_style(dpg.mvNodeStyleVar_PinHoverRadius, 12, category=NODES)
            dpg.add_theme_color(dpg.mvThemeCol_FrameBg, (66, 70, 82))
            dpg.add_theme_color(dpg.mvThemeCol_FrameBgHovered, (80, 86, 100))
            dpg.add_theme_color(dpg.mvThemeCol_FrameBgActive, (92, 98, 115))
            dpg.add_theme_color(dpg.mvThemeCol_Button, (60, 88, 130))
            dpg.add_theme_color(dpg.mvThemeCol_ButtonHovered, (75, 108, 160))
            dpg.add_theme_color(dpg.mvThemeCol_ButtonActive, (95, 130, 190))
            dpg.add_theme_color(dpg.mvThemeCol_CheckMark, (140, 220, 140))
            dpg.add_theme_color(dpg.mvNodesCol_MiniMapBackground, (25, 27, 30, 200), category=NODES)
            _spacing(1.0)  # NodePadding: canvas.NODE_PAD
        return theme

    @staticmethod
    def _global():
        # Under software OpenGL every pixel filled costs (a fill of a 1024x700 window is
        # 5-10 ms on llvmpipe), so nothing paints large areas: the windows, panels and canvas
        # are transparent over the cleared (black) viewport, and the canvas has no grid
        # lines (they cost about as much as a fill). Dear PyGui 2.3 ignores the viewport's
        # clear colour here, hence black. The canvas colours only apply from a global
        # theme: imnodes draws its background after item themes are popped.
        with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
            dpg.add_theme_style(dpg.mvStyleVar_WindowPadding, 6, 6)
            dpg.add_theme_style(dpg.mvStyleVar_FrameRounding, 0)  # square corners: fewer triangles to draw
            dpg.add_theme_color(dpg.mvThemeCol_WindowBg, (0, 0, 0, 0))
            dpg.add_theme_color(dpg.mvThemeCol_ChildBg, (0, 0, 0, 0))
            dpg.add_theme_color(dpg.mvThemeCol_Border, (70, 72, 80))
            dpg.add_theme_color(dpg.mvNodeCol_GridBackground, (0, 0, 0, 0), category=NODES)
            dpg.add_theme_color(dpg.mvNodeCol_GridLine, (0, 0, 0, 0), category=NODES)
            dpg.add_theme_color(dpg.mvNodesCol_GridLinePrimary, (0, 0, 0, 0), category=NODES)
        dpg.bind_theme(theme)
        return theme


NODE_PADDING = (8, 5)


def _spacing(zoom):
    """The spacing inside a node, `zoom` times its size (inside a theme component)."""
    dpg.add_theme_style(dpg.mvNodeStyleVar_NodePadding, NODE_PADDING[0] * zoom, NODE_PADDING[1] * zoom,
                        category=NODES)
    dpg.add_theme_style(dpg.mvStyleVar_FramePadding, 4 * zoom, 1 * zoom)
    dpg.add_theme_style(dpg.mvStyleVar_ItemSpacing, 6 * zoom, 2 * zoom)
    dpg.add_theme_style(dpg.mvStyleVar_ItemInnerSpacing, 4 * zoom, 4 * zoom)
    dpg.add_theme_style(dpg.mvStyleVar_GrabMinSize, max(4.0, 10 * zoom))
    dpg.add_theme_style(dpg.mvNodeStyleVar_PinCircleRadius, 4.5 * max(zoom, 0.6), category=NODES)


BACKGROUND = (0, 0, 0, 255)  # the viewport's clear colour: what shows behind everything


def popup_theme():
    """Windows that float over the canvas (object box, menus, dialogs) need their own background."""
    with dpg.theme() as theme, dpg.theme_component(dpg.mvAll):
        dpg.add_theme_color(dpg.mvThemeCol_WindowBg, (44, 46, 53, 255))
        dpg.add_theme_color(dpg.mvThemeCol_Border, (110, 114, 125, 255))
        dpg.add_theme_color(dpg.mvThemeCol_FrameBg, (70, 74, 88))
        dpg.add_theme_color(dpg.mvThemeCol_Header, (60, 88, 130))
        dpg.add_theme_color(dpg.mvThemeCol_HeaderHovered, (75, 108, 160))
    return theme
