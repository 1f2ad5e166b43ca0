"""The canvas: the node editor drawn from the document, and the gestures made on it.

The canvas never changes the patch itself. A gesture (a link dragged, a node
moved) becomes a command handed to the editor; the document applies it and tells
its subscribers; `sync()` then brings the drawing in line with the document. What
is drawn comes from two places, neither of them a running node: the structure and
params from the document (`rt.doc`, owned by this thread), and what the patch is
doing (latest values, info, errors, on/off inlets, a control's live value, plot
data) from the reports the engine publishes (`rt.telemetry`, asked for each frame,
one frame late). Events only go into a queue and are applied between frames; the
engine's few that matter here (an error, a take) come from its thread and only
name a node. Each event names what to look at again, and looking again compares
with the document as it is now, so events that arrive late, twice or out of order
draw the same.

Zoom: imnodes has none, so the canvas draws the patch scaled itself. A node at
grid position g is drawn at (g - origin) * zoom, with a font and widgets `zoom`
times their size; a change of zoom draws every node again. The view (zoom and
origin) is never the saved positions: a drag is turned back into grid units.
"""
from __future__ import annotations

import copy
import math
import queue
import re
import textwrap
import time

import dearpygui.dearpygui as dpg

from ..commands import Connect, Disconnect, EditComment, Group, Move
from ..boxes import Box
from ..node import Node, Placeholder
from . import itemstate, plots, pointer, values, view, widgets

NODE_PAD = (8, 5)  # imnodes' NodePadding at zoom 1 (theme.py): a node's content starts this far inside its box
_UNSEEN = object()
READ_TOGETHER = 40  # nodes: a patch up to this size is read whole each period, not a share a frame
REFRESH_PERIOD = 0.1  # seconds between two readings of one node's live values (10 Hz)
ENGINE_EVENTS = ("error", "state", "propose")  # what the engine says that the document does not
COMMENT_WIDTH = 52  # characters per line of a comment
PARAMS_ON_NODE = 5  # more settings than this live in the inspector, so a node stays readable
CULL_MARGIN = 150  # px around the canvas where nodes are still drawn: a pan shows drawn nodes
RATE_PERIOD = 1.0  # seconds of runs a message-rate reading counts (it changes at most this often)
WIDGET_W = 110  # a param widget's width at zoom 1


class NodeView:
    """The DPG items that draw one node, and what they show now (to skip unchanged updates)."""

    __slots__ = ("id", "node", "tag", "sig", "inlets", "outlets", "out_text", "out_type", "shown", "params", "param_shown",
                 "controls", "control_shown", "info_attr", "info_text", "progress", "info_shown",
                 "error_attr", "error_text", "error_shown", "has_info", "theme", "plot", "pad",
                 "title", "rate_t", "rate_runs", "rate_shown", "size")

    def __init__(self, node, tag, sig, runs=None):
        self.id, self.node, self.tag, self.sig = node.id, node, tag, sig
        self.inlets, self.outlets, self.out_text, self.out_type, self.shown = {}, {}, {}, {}, {}
        self.params, self.param_shown, self.controls, self.control_shown = {}, {}, {}, {}
        self.info_attr = self.info_text = self.progress = None
        self.info_shown = None
        self.error_attr = self.error_text = None
        self.error_shown = None
        self.has_info = type(node).info is not Node.info
        self.theme = None
        self.plot = self.pad = None
        self.title = title(node)
        self.rate_t, self.rate_runs, self.rate_shown = time.monotonic(), runs, ""
        self.size = None  # (w, h) on the screen as last drawn: kept while the node is not drawn


def signature(node):
    """What decides a node's drawing beyond its values: when it changes, redraw the node."""
    return (type(node), getattr(node, "missing_type", None),
            tuple((i.name, i.type, i.hot) for i in node.inlets),
            tuple((o.name, o.type) for o in node.outlets),
            tuple(relevant_params(node)))


def relevant_params(node):
    """The params that matter with the node's current settings (Node.relevant_params);
    all of them if the node's own answer fails."""
    names = [p.name for p in type(node).params]
    try:
        chosen = set(node.relevant_params())
    except Exception:  # a node's hook must not stop the editor
        return names
    return [n for n in names if n in chosen]


def title(node) -> str:
    """A node's title: its id, and its type when the id does not already say it."""
    if isinstance(node, Placeholder):
        return f"{node.id}  ({node.missing_type}, unknown type)"
    if isinstance(node, Box):  # as Pd writes a box: what it is, then its arguments
        args = node.saved_params().get("args") or []
        what = " ".join([node.saved_type, *(str(a) for a in args)]) if isinstance(args, list) else node.saved_type
        return f"{node.id}  [{what}]  (double-click: open)"
    if node.type_id.isidentifier() and re.fullmatch(re.escape(node.type_id) + r"\d*", node.id):
        return node.id  # metro1 says it is a metro
    return f"{node.id}  ({node.type_id})"


def rate_text(per_second: float) -> str:
    """A message rate as a node shows it after its title: "" when it did not run."""
    if per_second <= 0:
        return ""
    if per_second < 9.5:
        return f"{per_second:.1f}/s" if per_second < 0.95 else f"{per_second:.0f}/s"
    if per_second < 999.5:
        return f"{round(per_second)}/s"
    return f"{per_second / 1000:.1f}k/s"


def comment_label(text: str) -> str:
    lines = []
    for para in (text or " ").splitlines() or [" "]:
        lines.extend(textwrap.wrap(para, COMMENT_WIDTH) or [" "])
    return "\n".join(lines)


class Canvas:
    def __init__(self, editor, parent):
        self.editor = editor
        self.themes = editor.themes
        self.parent = parent
        self.tag = dpg.add_node_editor(parent=parent, callback=self._on_link, delink_callback=self._on_delink,
                                       width=-1, height=-1, minimap=False,
                                       minimap_location=dpg.mvNodeMiniMap_Location_BottomRight)
        dpg.bind_item_theme(self.tag, self.themes.editor)
        self.rt = None
        self.graph = None  # the document of rt
        self._unsubscribe = ()
        self.events = queue.SimpleQueue()
        self.show_rates = True
        self.pointer = pointer.Pointer(self)
        self.zoom, self.origin = 1.0, (0.0, 0.0)  # the view: drawn = (grid - origin) * zoom
        self._offset = None
        self._font = None  # the font of the zoom (None: the UI's own, at 100%)
        self._settle = None  # (frame number, fn): call fn once the drawing of that frame has its sizes
        self._reset()

    def _reset(self):
        self.views: dict[str, NodeView] = {}
        self.items = {}  # dpg node item -> ("node", id) or ("comment", cid)
        self.attrs = {}  # dpg attribute item -> (node id, "in" or "out", port name)
        self.links = {}  # Link -> dpg link item
        self.link_items = {}  # dpg link item -> Link
        self.comments = {}  # comment id -> dpg node item
        self.comment_shown = {}  # comment id -> (label, pos)
        self._order = []
        self.changed = False  # set when a frame's drawing changed (the editor then keeps drawing)
        self._cursor = 0
        self._owed = 0.0
        self.takes = []  # (node id, take, examples) of takes recorded since the editor last looked
        self.reports = {}  # node id -> the engine's latest report on it (nodegraph.telemetry)
        self._merged = None  # the telemetry last merged into reports
        self._due = []  # views whose fresh reports were asked for last frame
        self._soon = set()  # ids of nodes to ask about next frame, out of turn (just edited, failed)
        self.hidden = set()  # node items not drawn: nowhere near the visible canvas (cull)
        self.hidden_links = set()  # link items not drawn (one of their nodes is not)
        self._layout = 0  # counts changes to what is drawn where (cull looks again)
        self._culled_for = None

    # ---- following a graph ------------------------------------------------------------

    def attach(self, rt, reports=None):
        """Draw the patch of runtime `rt` and follow its changes from now on (a patch newly
        opened: at the zoom it was saved with); `reports`: what the engine said of its nodes
        already (the same patch drawn again)."""
        graph = rt.doc
        if graph is not self.graph:
            self.zoom, self.origin = view.zoom_of(getattr(graph, "meta", None)), _start_origin(graph)
        self._font = self.themes.font_for(self.zoom) if self.zoom != 1.0 else None
        self.detach()
        self.rt, self.graph = rt, graph
        self.reports = dict(reports or {})
        put = self.events.put

        def from_engine(event, *args):  # on the scheduler thread: the event names a node, no more
            if event in ENGINE_EVENTS:
                put((graph, event, args))
        self._unsubscribe = (graph.subscribe(lambda event, *args: put((graph, event, args))),
                             rt.graph.subscribe(from_engine))  # engine: subscribing reads no node
        self._merge()
        links = set(graph.links)
        for node_id in list(graph.nodes):
            self._sync_node(node_id, ())  # links once, below: not once per node
        for link in links:
            self._sync_link(link, links)
        for cid in list(graph.comments):
            self._sync_comment(cid)

    def detach(self):
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = ()
        # links first: deleting a node that still has links can crash Dear PyGui 2.3
        for item in list(self.link_items):
            if dpg.does_item_exist(item):
                dpg.delete_item(item)
        dpg.delete_item(self.tag, children_only=True)
        for view in self.views.values():
            if view.plot is not None:
                view.plot.delete()
        self.graph = None
        self.pointer.forget()
        self._reset()
        while not self.events.empty():
            self.events.get_nowait()

    def _merge(self):
        """Take in what the engine published since the last look (a report of the nodes asked
        for, swapped in whole: each is one consistent reading, never a live node)."""
        telemetry = self.rt.telemetry if self.rt is not None else None
        if telemetry is None or telemetry is self._merged:
            return
        self._merged = telemetry
        nodes, reports = self.graph.nodes, self.reports
        for node_id, report in telemetry.items():
            if node_id in nodes:  # a report on a node deleted since is not kept
                reports[node_id] = report

    def report(self, node_id) -> dict:
        """The engine's latest report on a node ({} before the first)."""
        return self.reports.get(node_id) or {}

    def sync(self):
        """Apply the graph events queued since the last frame. Returns the node ids touched
        and whether a node's saved state changed (a learner's examples: unsaved data that
        no command recorded)."""
        nodes, links, comments, moved = {}, set(), set(), set()
        touched, state = set(), False
        while True:
            try:
                graph, event, args = self.events.get_nowait()
            except queue.Empty:
                break
            if graph is not self.graph:
                continue  # from a patch that was closed
            state = state or event == "state"
            if event == "propose" and type(args[0]).__name__ == "RecordedTake":
                self.takes.append((args[0].node_id, args[0].take, args[0].count))
            elif event in ("node_added", "node_removed", "param", "state", "error"):
                nodes[args[0]] = True
            elif event in ("linked", "unlinked"):
                links.add(args[0])
            elif event == "moved":
                moved.add(args[0])
            elif event == "comment":
                comments.add(args[0])
        if not (nodes or links or comments or moved):
            return touched, state
        self._layout += 1
        graph_links = set(self.graph.links)
        for node_id in nodes:
            self._sync_node(node_id, graph_links)
            touched.add(node_id)
        self._soon.update(touched)  # what it does now is worth asking the engine at once
        for link in links:
            self._sync_link(link, graph_links)
        for node_id in moved - set(nodes):
            self._sync_pos(node_id)
        for cid in comments:
            self._sync_comment(cid)
        return touched, state

    def _sync_node(self, node_id, graph_links):
        node = self.graph.nodes.get(node_id)
        view = self.views.get(node_id)
        if node is None:
            self.reports.pop(node_id, None)
            if view is not None:
                self._drop(view)
            return
        if view is None or view.node is not node or view.sig != signature(node):
            if view is not None:
                self._drop(view)
            self._build(node, self.graph.pos.get(node_id, (0, 0)))
            for link in graph_links:
                if node_id in (link.src, link.dst):
                    self._sync_link(link, graph_links)
            return
        self._sync_params(view)
        self._sync_pos(node_id)
        self.refresh(view)

    def _sync_params(self, view):
        widgets.show_params(view.params, view.node, ranges=True, live=self.report(view.id).get("shown"))

    def _sync_pos(self, node_id):
        view = self.views.get(node_id)
        pos = self.graph.pos.get(node_id)
        if view is None or pos is None:
            return
        at = self.drawn(pos)
        if not _same_pos(dpg.get_item_pos(view.tag), at):
            dpg.set_item_pos(view.tag, at)

    def _sync_link(self, link, graph_links):
        item = self.links.get(link)
        src, dst = self.views.get(link.src), self.views.get(link.dst)
        want = (link in graph_links and src is not None and dst is not None
                and link.outlet in src.outlets and link.inlet in dst.inlets)
        if want and item is None:
            item = dpg.add_node_link(src.outlets[link.outlet], dst.inlets[link.inlet], parent=self.tag)
            self.links[link] = item
            self.link_items[item] = link
        elif not want and item is not None:
            if dpg.does_item_exist(item):
                dpg.delete_item(item)
            del self.links[link]
            self.link_items.pop(item, None)
            self.hidden_links.discard(item)

    def _sync_comment(self, cid):
        comment = self.graph.comments.get(cid)
        item = self.comments.get(cid)
        if comment is None:
            if item is not None:
                dpg.delete_item(item)
                del self.comments[cid]
                self.items.pop(item, None)
                self.comment_shown.pop(cid, None)
            return
        label = comment_label(comment.text)
        if item is None:
            # comments go before every node: drawn first, so they stay underneath
            first = next(iter(self.items), 0)
            item = dpg.add_node(label=label, pos=self.drawn(comment.pos), parent=self.tag,
                                before=first if dpg.does_item_exist(first) else 0)
            dpg.bind_item_theme(item, self.themes.node("comment", self.zoom))
            if self._font is not None:
                dpg.bind_item_font(item, self._font)
            self.comments[cid] = item
            self.items[item] = ("comment", cid)
            self.comment_shown[cid] = (label, tuple(comment.pos))
            return
        shown_label, shown_pos = self.comment_shown[cid]
        if label != shown_label:
            dpg.set_item_label(item, label)
        at = self.drawn(comment.pos)
        if not _same_pos(dpg.get_item_pos(item), at):
            dpg.set_item_pos(item, at)
        self.comment_shown[cid] = (label, tuple(comment.pos))

    # ---- drawing one node -------------------------------------------------------------

    def _build(self, node, pos):
        ed, themes = self.editor, self.themes
        z = self.zoom
        with dpg.node(label=title(node), pos=self.drawn(pos), parent=self.tag) as tag:
            report = self.report(node.id)
            view = NodeView(node, tag, signature(node), report.get("runs"))
            hidden = widgets.hidden_params(node)
            specs = {} if isinstance(node, Placeholder) else {p.name: p for p in type(node).params
                                                              if p.name not in hidden}
            for inlet in node.inlets:
                shape = dpg.mvNode_PinShape_CircleFilled if inlet.hot else dpg.mvNode_PinShape_Circle
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Input, shape=shape) as attr:
                    spec = specs.pop(inlet.name, None)
                    if spec is not None:  # an inlet that sets a param shares its row with the param's widget
                        self._param(view, spec, attr)
                    else:
                        control = widgets.inlet_control(inlet, attr, ed.on_inlet_control, (node.id, inlet.name), node,
                                                        scale=z)
                        if control is None:
                            dpg.add_text(inlet.name)
                        else:
                            view.controls[inlet.name] = control
                dpg.bind_item_theme(attr, themes.pins[inlet.type])
                view.inlets[inlet.name] = attr
                self.attrs[attr] = (node.id, "in", inlet.name)
            relevant = set(relevant_params(node))
            rest = [spec for spec in specs.values() if spec.name in relevant]  # the others: in the inspector
            # a plot's picture, a pad's square is what matters: their settings live in the inspector
            limit = 0 if plots.has_view(node) or pointer.has_pad(node) else PARAMS_ON_NODE
            shown, hidden = rest[:limit], rest[limit:]
            for spec in shown:
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static) as attr:
                    self._param(view, spec, attr)
            if hidden:
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static):
                    more = dpg.add_button(label=f"{len(hidden)} {'more ' if shown else ''}settings...", small=True,
                                          callback=self._on_more, user_data=node.id)
                    dpg.bind_item_theme(more, themes.link_button)
            for outlet in node.outlets:
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Output) as attr:
                    view.out_text[outlet.name] = dpg.add_text(outlet.name)
                dpg.bind_item_theme(attr, themes.pins[outlet.type])
                view.outlets[outlet.name] = attr
                view.out_type[outlet.name] = outlet.type
                self.attrs[attr] = (node.id, "out", outlet.name)
            if plots.has_view(node):
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static) as attr:
                    view.plot = plots.PlotView(self.editor, node, report.get("view"), attr, zoom=z)
            if pointer.has_pad(node):
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static) as attr:
                    view.pad = pointer.PadView(self.pointer, node, (report.get("shown") or {}).get("value"), attr,
                                               zoom=z)
            if view.has_info:
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static, show=False) as attr:
                    view.info_text = dpg.add_text("", wrap=int(260 * z))
                    view.progress = dpg.add_progress_bar(width=int(160 * z), show=False)
                view.info_attr = attr
            with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static, show=False) as attr:
                view.error_text = dpg.add_text("", wrap=int(240 * z))
                dpg.bind_item_theme(view.error_text, themes.error_text)
            view.error_attr = attr
        if self._font is not None:  # fonts bound to the node editor do not reach its nodes
            dpg.bind_item_font(tag, self._font)
        self.views[node.id] = view
        self.items[tag] = ("node", node.id)
        if pointer.is_mouse(node):
            self.pointer.mice.add(node.id)
            self.pointer.feed(dpg.get_mouse_pos(local=False))  # it hears from the window at once
        self._order = None
        self._layout += 1
        self._set_theme(view)
        self.refresh(view)
        return view

    def _param(self, view, spec, parent):
        node = view.node
        # a control's value on the canvas is played, not edited (the inspector edits it)
        played = widgets.played(node, spec.name)
        value = node.params[spec.name]
        if played:
            value = (self.report(node.id).get("shown") or {}).get(spec.name, value)
        view.params[spec.name] = widgets.param_widget(
            spec, value, parent,
            self.editor.on_played_widget if played else self.editor.on_param_widget,
            (node.id, spec.name), width=int(WIDGET_W * self.zoom), node=node)

    def _on_more(self, sender, app_data, user_data):
        self.editor.select(user_data)

    def _set_theme(self, view):
        node = view.node
        if isinstance(node, Placeholder):
            theme = self.themes.node("placeholder", self.zoom)
        elif view.error_shown:
            theme = self.themes.node("error", self.zoom)
        else:
            theme = self.themes.category(node.category, self.zoom)
        if theme is not view.theme:
            dpg.bind_item_theme(view.tag, theme)
            view.theme = theme

    def _drop(self, view):
        for link in [link for link in self.links if view.id in (link.src, link.dst)]:
            item = self.links.pop(link)
            self.link_items.pop(item, None)
            self.hidden_links.discard(item)
            if dpg.does_item_exist(item):
                dpg.delete_item(item)
        for attr in (*view.inlets.values(), *view.outlets.values()):
            self.attrs.pop(attr, None)
        self.items.pop(view.tag, None)
        if dpg.does_item_exist(view.tag):
            dpg.delete_item(view.tag)
        if view.plot is not None:
            view.plot.delete()
        del self.views[view.id]
        self.pointer.drop(view.id)
        self.hidden.discard(view.tag)
        self._order = None
        self._layout += 1

    # ---- live values ------------------------------------------------------------------

    def settle(self, frames, fn):
        """Call fn() once `frames` more frames have been drawn (new boxes have their sizes)."""
        self._settle = (dpg.get_frame_count() + frames, fn)

    def refresh_some(self, dt, also=()):
        """Show the engine's reports on the nodes asked about last frame, and ask about the
        next share, so each node is read ~10 times a second and no frame pays for all of
        them. Returns what to ask the engine for (rt.publish): (node ids, plot ids); `also`
        is asked about every frame (the inspector's node)."""
        if self._settle is not None and dpg.get_frame_count() >= self._settle[0]:
            fn, self._settle = self._settle[1], None
            fn()
        self._merge()
        views = self.views
        due, self._due = self._due, []
        hidden = self.hidden
        for view in due:
            if views.get(view.id) is view and view.tag not in hidden:
                self.refresh(view)
        if self._order is None:
            self._order = list(views.values())
            self._cursor = 0
        n = len(self._order)
        batch = [views[i] for i in self._soon if i in views]
        self._soon.clear()
        if n:
            self._owed = min(float(n), self._owed + n * dt / REFRESH_PERIOD)
            count = int(self._owed)
            if n <= READ_TOGETHER:
                # a patch this small is read whole, all in one report: displays fed by one
                # message show that message together (a share per frame showed the truth
                # beside an answer to the row before)
                count = n if count >= n else 0
                self._cursor = 0 if count else self._cursor
            self._owed -= count
            order = self._order
            for _ in range(count):
                if self._cursor >= n:
                    self._cursor = 0
                if order[self._cursor].tag not in hidden:  # read again when it is drawn again
                    batch.append(order[self._cursor])
                self._cursor += 1
        self._due = batch
        ids = [v.id for v in batch]
        ids.extend(i for i in also if i is not None)
        return ids, [v.id for v in batch if v.plot is not None]

    def set_show_rates(self, on):
        """View > Show message rates: each node's runs per second after its title."""
        self.show_rates = bool(on)
        now = time.monotonic()
        for view in self.views.values():
            view.rate_t, view.rate_runs = now, self.report(view.id).get("runs")
            if view.rate_shown:
                view.rate_shown = ""
                dpg.set_item_label(view.tag, view.title)
        self.changed = True

    def _refresh_rate(self, view, now, runs):
        if view.rate_runs is None:  # the first reading: a rate needs two
            view.rate_t, view.rate_runs = now, runs
            return
        text = rate_text((runs - view.rate_runs) / (now - view.rate_t))
        view.rate_t, view.rate_runs = now, runs
        if text != view.rate_shown:  # most readings repeat the last: no call into Dear PyGui
            view.rate_shown = text
            dpg.set_item_label(view.tag, f"{view.title}   {text}" if text else view.title)
            self.changed = True

    def refresh(self, view):
        """Bring one node's drawing up to its params (the document) and to what the engine
        last reported of it."""
        node = view.node
        report = self.reports.get(view.id) or {}
        shown = report.get("shown") or {}
        played = view.params.get("value")
        if played is not None and "value" in shown and widgets.played(node, "value"):
            widgets.show_params({"value": played}, node, live=shown)  # a control follows its live value
        if self.show_rates and "runs" in report:
            now = time.monotonic()
            if view.rate_runs is None or now - view.rate_t >= RATE_PERIOD:
                self._refresh_rate(view, now, report["runs"])
        info = report.get("info") if view.has_info else None
        last = report.get("last")
        if last:
            for outlet, item in view.out_text.items():
                if outlet in last and view.out_type[outlet] != "bang":
                    try:
                        value = last[outlet]
                        if isinstance(info, dict) and outlet in info and values.same_reading(info[outlet], value):
                            text = outlet  # the info below says it already
                        else:
                            text = f"{outlet}: {values.short(value)}"
                    except Exception:  # a value we cannot describe must not stop the view
                        text = outlet
                    if text != view.shown.get(outlet):
                        dpg.set_value(item, text)
                        view.shown[outlet] = text
                        self.changed = True
        error = report.get("error", view.error_shown)
        if error != view.error_shown:
            view.error_shown = error
            self.changed = True
            if error:
                dpg.set_value(view.error_text, "⚠ " + (error if len(error) < 300 else error[:299] + "…"))
            dpg.configure_item(view.error_attr, show=bool(error))
            self._set_theme(view)
        if info is not None:
            try:
                lines, progress = values.info_lines(info, skip=node.params)
            except Exception as e:
                lines, progress = [f"info failed: {type(e).__name__}"], None
            shown_info = ("\n".join(lines), progress)
            if shown_info != view.info_shown:
                view.info_shown = shown_info
                self.changed = True
                dpg.set_value(view.info_text, shown_info[0])
                dpg.configure_item(view.info_text, show=bool(lines))
                if progress is not None:
                    dpg.set_value(view.progress, progress)
                    dpg.configure_item(view.progress, overlay=f"{progress * 100:.0f}%")
                dpg.configure_item(view.progress, show=progress is not None)
                dpg.configure_item(view.info_attr, show=bool(lines) or progress is not None)
        params = node.params
        for name, item in view.params.items():
            if name == "value" and widgets.played(node, name):
                continue  # shows the live value, above
            value = params.get(name)
            if name in shown and name in node.inlet_map:
                value = shown[name]  # an inlet of its name plays it (a synth's pitch): what sounds now
            if value != view.param_shown.get(name, _UNSEEN) and not itemstate.active(item):
                view.param_shown[name] = copy.copy(value)
                shown_value = widgets.to_widget(node.param_spec(name), value, node)
                if not widgets.same_value(dpg.get_value(item), shown_value):
                    dpg.set_value(item, shown_value)
                    self.changed = True
        if view.plot is not None and "view" in report and view.plot.refresh(report["view"]):
            self.changed = True
        if view.pad is not None and "value" in shown and view.pad.refresh(node, shown["value"]):
            self.changed = True
        if view.controls:
            inlets = report.get("inlets") or {}
            for name, item in view.controls.items():
                if name in inlets:
                    value = bool(inlets[name])
                    if value != view.control_shown.get(name):
                        view.control_shown[name] = value
                        self.changed = True
                        dpg.set_value(item, value)

    # ---- gestures ---------------------------------------------------------------------

    def _on_link(self, sender, app_data):
        a, b = (self.attrs.get(x) for x in app_data)
        if a is None or b is None:
            return
        if a[1] == "in":
            a, b = b, a
        self.editor.try_do(Connect(a[0], a[2], b[0], b[2]), near_mouse=True)

    def _on_delink(self, sender, app_data):
        link = self.link_items.get(app_data)
        if link is not None:
            self.editor.try_do(Disconnect(*link))

    def link_between(self, src, outlet, dst, inlet):
        """The attribute pair a dragged link joins (what imnodes hands the link callback)."""
        return self.views[src].outlets[outlet], self.views[dst].inlets[inlet]

    def selection(self):
        """(node ids, comment ids, links) selected on the canvas."""
        nodes, comments = [], []
        for item in dpg.get_selected_nodes(self.tag):
            kind, key = self.items.get(item, (None, None))
            if kind == "node":
                nodes.append(key)
            elif kind == "comment":
                comments.append(key)
        links = [self.link_items[i] for i in dpg.get_selected_links(self.tag) if i in self.link_items]
        return nodes, comments, links

    def moves(self):
        """Commands for the nodes and comments a drag has moved (compared with the graph)."""
        cmds = []
        graph = self.graph
        for item in dpg.get_selected_nodes(self.tag):
            kind, key = self.items.get(item, (None, None))
            drawn = dpg.get_item_pos(item)
            pos = self.grid_of(drawn)
            comments = graph.comments
            if kind == "node" and key in graph.pos and not _same_pos(drawn, self.drawn(graph.pos[key])):
                cmds.append(Move(key, pos))
            elif kind == "comment" and key in comments and not _same_pos(drawn, self.drawn(comments[key].pos)):
                cmds.append(EditComment(key, pos=pos))
                self.comment_shown[key] = (self.comment_shown[key][0], pos)
        if not cmds:
            return None
        return cmds[0] if len(cmds) == 1 else Group(cmds, "move")

    def hovered(self):
        return itemstate.hovered(self.tag)

    def item_at(self, screen):
        """("node", id) or ("comment", cid) under a screen point, or None (topmost last drawn)."""
        x, y = screen
        found = None
        pad = self.node_pad()
        for item, key in self.items.items():
            rx, ry = dpg.get_item_rect_min(item)
            w, h = dpg.get_item_rect_size(item)
            left, top = rx - pad[0], ry - pad[1]
            if left <= x <= left + w and top <= y <= top + h:
                found = key
        return found

    def offset(self):
        """Screen position of the grid's origin (panning included), measured on a drawn node."""
        tried = 0
        for item in self.items:
            if item in self.hidden:
                continue
            tried += 1
            if tried > 8:
                break
            size = dpg.get_item_rect_size(item)
            if size[0] > 0:
                rx, ry = dpg.get_item_rect_min(item)
                dx, dy = dpg.get_item_pos(item)
                pad = self.node_pad()
                self._offset = (rx - pad[0] - dx, ry - pad[1] - dy)
                return self._offset
        if self._offset is None:
            return tuple(dpg.get_item_pos(self.parent))  # an empty canvas: assume it is not panned
        return self._offset

    def to_grid(self, screen):
        ox, oy = self.offset()
        gx, gy = self.grid_of((screen[0] - ox, screen[1] - oy))
        return (round(gx), round(gy))

    def to_screen(self, grid):
        ox, oy = self.offset()
        dx, dy = self.drawn(grid)
        return (dx + ox, dy + oy)

    # ---- the view: zoom and origin --------------------------------------------------------

    def node_pad(self):
        """imnodes' padding inside a node at this zoom (theme.py scales it with the font)."""
        return (NODE_PAD[0] * self.zoom, NODE_PAD[1] * self.zoom)

    def drawn(self, grid):
        """Where imnodes draws a grid position (the view applied)."""
        z, (ox, oy) = self.zoom, self.origin
        return [float((grid[0] - ox) * z), float((grid[1] - oy) * z)]

    def grid_of(self, drawn):
        """The grid position of a drawn one (whole grid units: what a drag saves)."""
        z, (ox, oy) = self.zoom, self.origin
        return (float(round(drawn[0] / z + ox)), float(round(drawn[1] / z + oy)))

    def set_view(self, zoom, origin=None):
        """Draw the patch at another zoom (and origin): every node is drawn again, at its
        new size, with the font of that size. The panning imnodes keeps is unchanged."""
        self.offset()  # measured while the old drawing is there: the new one has no size yet
        self.zoom = float(zoom)
        if origin is not None:
            self.origin = (float(origin[0]), float(origin[1]))
        if self.graph is not None:
            # drawing again must not lose what the engine reported meanwhile (a finished take)
            pending, takes, reports = [], self.takes, self.reports
            while not self.events.empty():
                pending.append(self.events.get_nowait())
            self.attach(self.rt, reports)
            for event in pending:
                self.events.put(event)
            self.takes = takes
        self.changed = True

    def boxes(self):
        """{("node", id) or ("comment", cid): (x, y, w, h)} on the grid, as drawn now."""
        rects = {}
        graph, z = self.graph, self.zoom
        if graph is None:
            return rects
        for item, key in self.items.items():
            pos = graph.pos.get(key[1]) if key[0] == "node" else getattr(graph.comments.get(key[1]), "pos", None)
            if item in self.hidden:
                w, h = self.views[key[1]].size
            else:
                w, h = dpg.get_item_rect_size(item)
            if pos is not None and w > 0:
                rects[key] = (pos[0], pos[1], w / z, h / z)
        return rects

    def pin_screen(self, node_id, side, port):
        """Screen point of a pin (for tests that drag with the real mouse)."""
        view = self.views[node_id]
        attr = view.inlets[port] if side == "in" else view.outlets[port]
        rx, ry = dpg.get_item_rect_min(view.tag)
        w, _ = dpg.get_item_rect_size(view.tag)
        child = dpg.get_item_children(attr, 1)[0]
        cy = dpg.get_item_rect_min(child)[1] + dpg.get_item_rect_size(child)[1] / 2
        pad = self.node_pad()
        x = rx - pad[0] if side == "in" else rx - pad[0] + w
        return (round(x), round(cy))

    def cull(self):
        """Draw only the nodes near the visible canvas. imnodes lays out, and software
        OpenGL draws, every node shown, on screen or not: on a big patch that is most of a
        frame. A node is left undrawn when it, and every link it has, lie wholly outside
        the canvas and a margin; a link is drawn when both its nodes are, so no link ever
        ends in nothing. One node is always drawn, to measure the panning on (imnodes does
        not say it). Sizes are those last drawn; a node is drawn until it has one."""
        if not self.views:
            return
        x, y = dpg.get_item_pos(self.parent)  # a child window's pos is on the screen
        w, h = dpg.get_item_rect_size(self.parent)
        ox, oy = self.offset()
        key = (round(ox), round(oy), x, y, w, h, self.zoom, self.origin, self._layout)
        if key == self._culled_for:
            return
        left, top = x - ox - CULL_MARGIN, y - oy - CULL_MARGIN  # the kept area, in drawn units
        right, bottom = x - ox + w + CULL_MARGIN, y - oy + h + CULL_MARGIN
        rects, near = {}, {}
        pos = self.graph.pos
        for node_id, view in self.views.items():
            if view.tag in self.hidden:
                dx, dy = self.drawn(pos.get(node_id, (0, 0)))
            else:  # where it is drawn now: a node being dragged is not yet where the document says
                size = dpg.get_item_rect_size(view.tag)
                if size[0] > 0:
                    view.size = (size[0], size[1])
                dx, dy = dpg.get_item_pos(view.tag)
            if view.size is None:
                rects[node_id] = None  # not yet measured: drawn
                continue
            rw, rh = view.size[0] + 2 * NODE_PAD[0] * self.zoom, view.size[1] + 2 * NODE_PAD[1] * self.zoom
            rects[node_id] = (dx, dy, dx + rw, dy + rh)
            near[node_id] = abs(dx + rw / 2 - (left + right) / 2) + abs(dy + rh / 2 - (top + bottom) / 2)

        # a node not drawn yet has no size: look again next frame
        self._culled_for = None if None in rects.values() else key

        def seen(r):
            return r is None or (r[0] < right and r[2] > left and r[1] < bottom and r[3] > top)

        keep = {node_id for node_id, r in rects.items() if seen(r)}
        keep.update(key for kind, key in (self.items.get(item, (None, None))
                                          for item in dpg.get_selected_nodes(self.tag)) if kind == "node")
        for link in self.links:
            a, b = rects.get(link.src, False), rects.get(link.dst, False)
            if a is False or b is False:
                continue
            if a is None or b is None or seen((min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))):
                keep.update((link.src, link.dst))
        if not keep and near:
            keep.add(min(near, key=near.get))
        for node_id, view in self.views.items():
            show = node_id in keep
            if show == (view.tag in self.hidden):
                if show:
                    self.hidden.discard(view.tag)
                    # imnodes forgot where an undrawn node was: it is told again
                    dpg.set_item_pos(view.tag, self.drawn(pos.get(node_id, (0, 0))))
                    self._soon.add(node_id)
                else:
                    self.hidden.add(view.tag)
                dpg.configure_item(view.tag, show=show)
        hidden, views = self.hidden, self.views
        for link, item in self.links.items():
            show = views[link.src].tag not in hidden and views[link.dst].tag not in hidden
            if show == (item in self.hidden_links):
                (self.hidden_links.discard if show else self.hidden_links.add)(item)
                dpg.configure_item(item, show=show)

    def visible_center(self):
        """The grid point at the middle of the visible canvas (for nodes added from a menu)."""
        rx, ry = dpg.get_item_pos(self.parent)  # a child window's pos is on the screen
        w, h = dpg.get_item_rect_size(self.parent)
        return self.to_grid((rx + w * 0.4, ry + h * 0.4))




def _same_pos(a, b):
    return math.isclose(a[0], b[0], abs_tol=0.5) and math.isclose(a[1], b[1], abs_tol=0.5)


def _start_origin(graph):
    """Where a patch just opened is first seen from: the grid's origin, or further up and left
    when boxes were saved above or left of it (dragged there), so that none starts cut off."""
    points = list(graph.pos.values()) + [c.pos for c in graph.comments.values()]
    if not points:
        return (0.0, 0.0)
    return (min(0.0, min(p[0] for p in points) - 20.0), min(0.0, min(p[1] for p in points) - 20.0))

