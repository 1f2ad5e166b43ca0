"""The side and bottom panels: inspector, node help, console, status line."""
from __future__ import annotations

import queue
import time

import dearpygui.dearpygui as dpg

from .. import glossary, registry
from ..node import Placeholder
from ..params import range_text
from . import values, widgets
from .canvas import relevant_params, signature

CONSOLE_KEEP = 300
TEXT_MARGIN = 56  # of the side panel's width: the splitter, padding, border and scrollbar


def _measure(text):
    size = dpg.get_text_size(text)
    return size[0] if size else len(text) * 7  # (no sizes before the first frame: about 7 px a letter)


class WrappedTexts:
    """Help texts in the side panel, wrapped on spaces to the panel's width (values.reflow),
    and wrapped again when the splitter changes it. Dear PyGui's own wrap breaks after any
    '.' or ',' (inside "ml.classify", "0..1") and its fixed width ran under the scrollbar."""

    def __init__(self, editor):
        self.editor, self.items = editor, []

    def width(self):
        return getattr(self.editor, "side_width", 320) - TEXT_MARGIN

    def add(self, text, dim=False):
        item = dpg.add_text(values.reflow(text, self.width(), _measure))
        if dim:
            dpg.bind_item_theme(item, self.editor.themes.dim_text)
        self.items.append((item, text))
        return item

    def add_words_used(self, description):
        """"Words used here:" and the plain definitions of the glossary's terms in this help."""
        words = glossary.words_used(*glossary.texts_of(description))
        if words:
            dpg.add_spacer(height=4)
            dpg.add_text("Words used here:")
            for line in words:
                self.add("  " + line, dim=True)

    def rewrap(self):
        width = self.width()
        self.items = [(item, text) for item, text in self.items if dpg.does_item_exist(item)]
        for item, text in self.items:
            dpg.set_value(item, values.reflow(text, width, _measure))


class Inspector:
    """The selected node: its params (full width, with their help), ports, info, error, help."""

    def __init__(self, editor, parent):
        self.editor = editor
        self.group = dpg.add_group(parent=parent)
        self.node = None
        self.sig = None
        self.params = {}
        self.info_text = self.error_text = self.detail_text = None
        self._shown = None
        self.texts = WrappedTexts(editor)
        self.show(None)

    def show(self, node_id):
        graph = self.editor.rt.doc
        node = graph.nodes.get(node_id) if node_id is not None else None
        self.node, self.params = node, {}
        self.sig = signature(node) if node is not None else None
        self._shown = None
        self.texts.items = []
        dpg.delete_item(self.group, children_only=True)
        themes = self.editor.themes
        with dpg.group(parent=self.group):
            if node is None:
                dpg.add_text("Select a node to see its settings, ports and help.", wrap=280)
                dpg.add_spacer(height=6)
                t = dpg.add_text("n or double-click: new node\nc: comment\nDrag from an outlet (right)\nto an inlet (left) to link.\n"
                                 "Delete: remove the selection\nCtrl+Z / Ctrl+Shift+Z: undo / redo\n"
                                 "Ctrl+C, Ctrl+V, Ctrl+D: copy, paste,\nduplicate", wrap=280)
                dpg.bind_item_theme(t, themes.dim_text)
                return
            dpg.add_text(node.id)
            kind = node.missing_type if isinstance(node, Placeholder) else node.type_id
            t = dpg.add_text(f"{kind}  ·  {node.category}")
            dpg.bind_item_theme(t, themes.dim_text)
            self.error_text = dpg.add_text("", wrap=280, show=False)
            dpg.bind_item_theme(self.error_text, themes.error_text)
            self.info_text = dpg.add_text("", wrap=280, show=False)
            self.detail_text = dpg.add_text("", wrap=280, show=False)
            dpg.bind_item_theme(self.detail_text, themes.dim_text)
            if not isinstance(node, Placeholder) and type(node).params:
                dpg.add_separator()
                dpg.add_text("Settings")
                relevant = set(relevant_params(node))
                used = [spec for spec in type(node).params if spec.name in relevant]
                unused = [spec for spec in type(node).params if spec.name not in relevant]
                for spec in used:
                    self._param(node, spec)
                if unused:
                    # kept editable (to prepare another choice), but apart and greyed
                    dpg.add_spacer(height=4)
                    t = dpg.add_text("Not used with the settings above:", wrap=280)
                    dpg.bind_item_theme(t, themes.dim_text)
                    for spec in unused:
                        self._param(node, spec, dim=True)
            for title, ports in (("Inlets", node.inlets), ("Outlets", node.outlets)):
                if ports:
                    dpg.add_separator()
                    dpg.add_text(title)
                    for p in ports:
                        cold = ", cold" if getattr(p, "hot", True) is False else ""
                        line = f"  {p.name} ({p.type}{cold})" + (f": {p.help}" if p.help else "")
                        self.texts.add(line, dim=True)
            dpg.add_separator()
            dpg.add_text("Help")
            if isinstance(node, Placeholder):
                self.texts.add(f"nodegraph does not know the type '{node.missing_type}'. The node keeps its "
                               f"settings and links and is saved back unchanged.")
            else:
                self.texts.add(type(node).help())
                self.texts.add_words_used(node.describe())
        self.refresh()

    def _param(self, node, spec, dim=False):
        themes = self.editor.themes
        item = self.params[spec.name] = widgets.param_widget(
            spec, node.params[spec.name], dpg.last_container(),
            self.editor.on_param_widget, (node.id, spec.name), width=150, node=node)
        if dim:
            dpg.bind_item_theme(item, themes.dim_text)
        if spec.help:
            self.texts.add("    " + spec.help, dim=True)

    def sync(self, touched):
        node = self.node
        if node is None or node.id not in touched:
            return
        current = self.editor.rt.doc.nodes.get(node.id)
        if current is not node or signature(current) != self.sig:
            self.show(node.id if current is not None else None)
            return
        for name, item in self.params.items():
            widgets.update_range(item, node.param_spec(name), node)
        self.refresh()  # sets the values

    def refresh(self):
        node = self.node
        if node is None:
            return
        widgets.show_params(self.params, node)  # its set values (the canvas shows a control's live one)
        report = self.editor.canvas.report(node.id)
        error, last = report.get("error"), report.get("last") or {}
        try:
            info = report.get("info") or {}
            # what the node shows on itself first, then (dimmed) the rest of its info
            lines, progress = values.info_lines(info, width=200, max_lines=40)
            chosen = info.get("show") if isinstance(info, dict) else None
            rest = {k: v for k, v in info.items() if k not in chosen} if isinstance(chosen, (list, tuple)) else {}
            details = values.info_lines(rest, width=200, max_lines=40, everything=True)[0]
        except Exception:
            info, lines, progress, details = {}, [], None, []
        if progress is not None:
            lines.append(f"progress {progress * 100:.0f}%")
        outs = [f"{k}: {values.short(v, 60)}" for k, v in last.items()
                if not (isinstance(info, dict) and k in info)]  # the info said it already
        shown = (error, "\n".join(lines + outs), "\n".join(details))
        if shown == self._shown:
            return
        self._shown = shown
        dpg.set_value(self.error_text, f"⚠ {error}" if error else "")
        dpg.configure_item(self.error_text, show=bool(error))
        dpg.set_value(self.info_text, shown[1])
        dpg.configure_item(self.info_text, show=bool(shown[1]))
        dpg.set_value(self.detail_text, shown[2])
        dpg.configure_item(self.detail_text, show=bool(shown[2]))


class HelpPanel:
    """Help for any node type: a filter, the list of types, and the chosen type's full help."""

    def __init__(self, editor, parent):
        self.editor = editor
        self.types = registry.all_types()
        with dpg.group(parent=parent):
            self.filter = dpg.add_input_text(hint="filter node types", width=-1, callback=self._on_filter)
            self.list = dpg.add_listbox(list(self.types), num_items=8, width=-1, callback=self._on_pick)
            dpg.add_separator()
            self.body = dpg.add_group()
        self.type_id = None
        self.names = list(self.types)  # what the list shows
        self.texts = WrappedTexts(editor)

    def _on_filter(self, sender, text):
        words = text.lower().split()
        self.names = [t for t, cls in self.types.items()
                      if all(w in t.lower() or w in cls.summary().lower() for w in words)]
        dpg.configure_item(self.list, items=self.names)
        # the text below is always the help of the type highlighted in the list
        if self.names and self.type_id not in self.names:
            self.show(self.names[0])
        elif not self.names:
            self.type_id = None
            dpg.delete_item(self.body, children_only=True)
            dpg.add_text(f"no node type matches '{text}'", parent=self.body)

    def _on_pick(self, sender, type_id):
        self.show(type_id)

    def show(self, type_id):
        cls = self.types.get(registry.resolve(type_id) or "")
        if cls is None:
            return
        type_id = cls.type_id
        if type_id not in self.names:  # a type the filter hides: show the whole list again
            dpg.set_value(self.filter, "")
            self.names = list(self.types)
            dpg.configure_item(self.list, items=self.names)
        self.type_id = type_id
        dpg.set_value(self.list, type_id)
        dpg.delete_item(self.body, children_only=True)
        self.texts.items = []
        try:
            desc = cls().describe()
        except Exception:  # a type that cannot be built from defaults still has its help text
            desc = {"help": cls.help(), "inlets": [], "outlets": [], "params": []}
        with dpg.group(parent=self.body):
            dpg.add_text(f"{cls.type_id}  ·  {cls.category}")
            self.texts.add(cls.help())
            for title in ("inlets", "outlets"):
                if desc[title]:
                    dpg.add_text(title.capitalize())
                    for p in desc[title]:
                        cold = ", cold" if p.get("hot") is False else ""
                        self.texts.add(f"  {p['name']} ({p['type']}{cold})" + (f": {p['help']}" if p["help"] else ""),
                                       dim=True)
            if desc["params"]:
                dpg.add_text("Settings")
                for p in desc["params"]:
                    allowed = range_text(p)
                    extra = f": {allowed}" if allowed else ""
                    line = f"  {p['name']} ({p['kind']}{extra}), default {p['default']!r}"
                    if p.get("help"):
                        line += f"\n    {p['help']}"
                    self.texts.add(line, dim=True)
            self.texts.add_words_used(desc)


class ConsolePanel:
    """Print output, errors, OSC and MIDI activity: the runtime's console, coloured by level."""

    def __init__(self, editor, parent):
        self.editor = editor
        self.lines = queue.SimpleQueue()
        with dpg.group(parent=parent):
            with dpg.group(horizontal=True):
                dpg.add_text("Console")
                dpg.add_button(label="clear", small=True, callback=lambda: self.clear())
            with dpg.child_window(height=-1, border=False) as self.window:
                self.body = dpg.add_group()
        self.items = []
        self._unsubscribe = None
        self._follow = True

    def attach(self, console):
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.clear()
        for line in list(console.lines)[-50:]:
            self.lines.put(line)
        self._unsubscribe = console.subscribe(self.lines.put)

    def clear(self):
        dpg.delete_item(self.body, children_only=True)
        self.items = []

    def sync(self, limit=200):
        """Show the lines that arrived since the last frame (at most `limit` per frame)."""
        added = 0
        at_bottom = dpg.get_y_scroll(self.window) >= dpg.get_y_scroll_max(self.window) - 4
        themes = self.editor.themes
        while added < limit:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            stamp = time.strftime("%H:%M:%S", time.localtime(line.time))
            item = dpg.add_text(f"{stamp}  {line}", parent=self.body)
            if line.level == "error":
                dpg.bind_item_theme(item, themes.error_text)
            elif line.level == "warning":
                dpg.bind_item_theme(item, themes.warn_text)
            self.items.append(item)
            added += 1
        if added:
            excess = len(self.items) - CONSOLE_KEEP
            if excess > 0:
                for item in self.items[:excess]:
                    dpg.delete_item(item)
                del self.items[:excess]
            if at_bottom:
                dpg.set_y_scroll(self.window, 1e9)  # clamped to the bottom
        return added

    def texts(self):
        return [dpg.get_value(i) for i in self.items]


class StatusBar:
    def __init__(self, editor, parent):
        self.editor = editor
        self.text = dpg.add_text("", parent=parent)
        self.level = None
        self.message = ""
        self.since = 0.0

    def set(self, message, level="info"):
        self.message, self.level, self.since = message, level, time.monotonic()
        dpg.set_value(self.text, message)
        themes = self.editor.themes
        dpg.bind_item_theme(self.text, {"error": themes.error_text, "warning": themes.warn_text,
                                        "ok": themes.ok_text}.get(level, 0))
