"""A running patch: the document, the engine that performs it, undo history and console.

Headless programs, tests and the editor all go through this. The document (`doc`, plain
records, links, comments and each node's saved state) belongs to the thread that edits it:
every edit and every undo is checked and applied there, and saving serialises it without
asking the real-time thread for anything. The engine (`graph`, the running processes, and
the scheduler) receives each change as the same command through its inbox and performs it;
an undo or redo quietly, so nothing leaves an outlet because of one. A process that changes
what is saved (a finished take, a clear, a training) proposes a command: the document takes
it at its next turn (`drain`) as an ordinary undo step.
"""
from __future__ import annotations

import collections
import os
import threading

from . import abstraction, boxes, collector, patchfile, registry, telemetry
from .clock import ManualClock
from .commands import AddNode, Connect, Group, History, Move, RemoveNode, Restructure, SetParam
from .errors import NodegraphError
from .console import Console
from .graph import Graph
from .node import Placeholder
from .scheduler import Scheduler


STRUCTURAL = (AddNode, RemoveNode, Connect, SetParam, Move, Group, Restructure)  # what a box patch re-expands after


class Runtime:
    def __init__(self, clock=None):
        self.doc = Graph(document=True)
        self.graph = Graph()  # the engine's: the processes
        self.doc.meta = self.graph.meta = {}
        self.console = Console()
        self.scheduler = Scheduler(self.graph, clock, self.console)
        self._history = History(self.doc, perform=self._perform)
        self.path = None
        self.running = False
        self.start_errors = []  # (node id, type, message) of the nodes that failed to start
        self.wait = True  # edits wait until the engine performed them (the editor does not)
        self._proposals = collections.deque()  # commands the engine proposed, for the document
        self._proposing = threading.Lock()
        self._boxed = False  # the document has boxes: the engine runs its expansion
        self.telemetry = {}  # node id -> its latest report (nodegraph.telemetry), swapped in whole
        self._publishing = False
        self.graph.subscribe(self._follow)
        self.doc.subscribe(self._prepare)

    def _prepare(self, event, *args):
        """A node entered the document: what its process will import is imported here, on
        the editing thread, before the engine builds it (registry.prepare)."""
        if event == "node_added":
            registry.prepare((self.doc.nodes[args[0]].type_id,))

    @staticmethod
    def _prepare_flat(flat):
        if flat is not None:  # a box's inside runs in the engine, not in the document
            registry.prepare({node["type"] for node in flat["nodes"].values()})
        return flat

    @classmethod
    def open(cls, path, clock=None) -> "Runtime":
        rt = cls(clock)
        rt.load(path)
        return rt

    @classmethod
    def manual(cls) -> "Runtime":
        """A runtime on a manual clock: time moves only with advance() (tests)."""
        return cls(ManualClock())

    # ---- files -----------------------------------------------------------------------

    def load(self, path):
        """Load a patch file into this (empty) runtime; PatchError if anything is wrong."""
        doc = patchfile.read(path)
        self.scheduler.base_dir = os.path.dirname(os.path.abspath(path))
        self.load_doc(doc, str(path), owned=True)
        self.path = str(path)

    def load_doc(self, doc, source="patch", owned=False):
        """Build the document from a checked patch (every node, link and state checked there,
        by the commands an edit uses), then the engine from the same commands."""
        doc = patchfile.check_doc(doc, source)
        self.doc.base_dir = self.scheduler.base_dir
        # the engine runs the boxes' insides; what those learned is the document's, by flat id
        commands, flat = boxes.load(self.doc, doc, source, owned)
        self._prepare_flat(flat)
        self._boxed = flat is not None
        if self._boxed:
            self.call(patchfile.build, flat, self.graph, source)
        else:
            self.call(self._build_engine, commands)
        self._history.clear()

    def _build_engine(self, commands):
        with self.graph.loading():
            for cmd in commands:
                cmd.do(self.graph)

    def to_doc(self) -> dict:
        """The patch as plain data, from the document alone (the engine is not asked)."""
        self.drain()
        return boxes.doc_of(self.doc)

    def box_files(self) -> dict:
        """{path: modification time} of the abstraction files the document's boxes use."""
        found = {}
        for node in self.doc.nodes.values():
            if isinstance(node, boxes.Box) and node.saved_type != abstraction.SUBPATCH:
                path = abstraction.find(node.saved_type, self.doc.base_dir, self.doc.search_path)
                if path is not None:
                    try:
                        found[str(path)] = path.stat().st_mtime_ns
                    except OSError:
                        pass
        return found

    def refresh_boxes(self):
        """Read the abstraction files again (one was edited and saved): every box that uses
        one shows its new ports and runs its new inside. Not an edit of this patch."""
        self.drain()
        doc = boxes.doc_of(self.doc)
        _, flat = boxes.reload(self.doc, doc)
        if flat is None:
            flat = abstraction.expand(doc, self.doc.base_dir, self.doc.search_path)
        self._prepare_flat(flat)
        comments = dict(self.doc.comments)
        if self.wait:
            self.call(boxes.sync, self.graph, flat, comments)
        else:
            self.scheduler.post(None, boxes.sync, (self.graph, flat, comments))

    def flat(self) -> dict:
        """The flat patch the engine runs: the document with every box replaced by its inside."""
        return abstraction.expand(abstraction.with_own_args(self.to_doc()), self.doc.base_dir, self.doc.search_path)

    def save(self, path=None):
        path = path or self.path
        patchfile.write(path, self.to_doc())
        self.path = str(path)
        self.scheduler.base_dir = self.doc.base_dir = os.path.dirname(os.path.abspath(path))
        return self.path

    # ---- edits -----------------------------------------------------------------------

    @property
    def history(self) -> History:
        self.drain()
        return self._history

    def do(self, cmd, merge=False):
        """Apply an edit command (checked; undoable); raises a NodegraphError if refused."""
        self.drain()
        return self._history.do(cmd, merge)

    def undo(self) -> bool:
        self.drain()
        return self._history.undo()

    def redo(self) -> bool:
        self.drain()
        return self._history.redo()

    def drain(self):
        """Take what the engine proposed (takes, clears, trainings) into the document, each an
        undo step; on the document's thread."""
        while True:
            with self._proposing:
                if not self._proposals:
                    return
                cmd = self._proposals.popleft()
            try:
                self._history.record(cmd)
            except NodegraphError as e:  # the node it came from is gone, or not the document's
                self.console.log(f"not kept in the patch: {cmd.label} ({e})", "warning")

    def _perform(self, cmd, method, quiet):
        """Hand a change the document took to the engine: the same command, or (a patch with
        boxes, after a structural edit) the document expanded, for the engine to follow."""
        sched = self.scheduler
        if not self._boxed and boxes.has_boxes(self.doc):
            self._boxed = True  # from now on the engine runs an expansion
        flat = self._prepare_flat(self.flat()) if self._boxed and isinstance(cmd, STRUCTURAL) else None
        comments = dict(self.doc.comments) if flat is not None else None  # (the editing thread's, copied)

        def job():
            sched.quiet = quiet
            try:
                if flat is not None:
                    boxes.sync(self.graph, flat, comments)
                else:
                    getattr(cmd, method)(self.graph)
            finally:
                sched.quiet = False
                self.graph.update_ranks()

        if sched.on_thread():
            job()
            sched._cascade()
            return
        if not self.wait:
            sched.post(None, job)
            return
        self.call(job)

    def call(self, fn, *args):
        """Run fn(*args) on the scheduler thread, then the cascade it started; return its result."""
        sched = self.scheduler
        if sched.on_thread():
            sched.graph.update_ranks()
            try:
                return fn(*args)
            finally:
                sched.graph.update_ranks()
                sched._cascade()
        done = threading.Event()
        box = {}

        def job():
            try:
                box["value"] = fn(*args)
            except BaseException as e:
                box["error"] = e
            finally:
                done.set()

        sched.post(None, job)
        if not done.wait(10):
            raise TimeoutError("the scheduler did not answer within 10 s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    # ---- telemetry: what views read ---------------------------------------------------

    def publish(self, node_ids=None, views=()):
        """Ask the engine for a fresh report of these nodes (None: all; `views`: the plot nodes
        whose data to include). Returns at once; the report replaces `self.telemetry` when
        the scheduler thread has built it (at once, on that thread). At most one is pending."""
        if self.scheduler.on_thread():
            self.telemetry = telemetry.collect(self.graph, node_ids, views)
            return
        if self._publishing:
            return
        self._publishing = True

        def job():
            try:
                self.telemetry = telemetry.collect(self.graph, node_ids, views)
            finally:
                self._publishing = False
        self.scheduler.post(None, job)

    def send(self, node_id, inlet, value):
        """Put a value into a node's inlet, as if a link brought it (any thread). Checked
        against the document when it has the node (the engine may not have caught up with an
        edit yet); a node inside a box, which only the engine has, is checked there."""
        from .errors import EditError
        sched = self.scheduler
        record = self.doc.nodes.get(node_id)
        if sched.on_thread() or record is None or isinstance(record, boxes.Box):
            record = self.graph.node(node_id)  # (the error naming it, for a box)
        if inlet not in record.inlet_map:
            raise EditError(f"node '{node_id}' has no inlet '{inlet}' (its inlets: {', '.join(record.inlet_map)})")
        if sched.on_thread():
            sched.send(record, inlet, value)
            return

        def job():  # the engine finds its own node on its own thread
            node = self.graph.nodes.get(node_id)
            if node is not None and inlet in node.inlet_map:
                sched.deliver([(node, inlet)], value)
        sched.post(None, job)

    # ---- running ---------------------------------------------------------------------

    def start(self, thread=True):
        """Start every node, fire the loadbangs, and (by default) the scheduler thread."""
        if self.running:
            return
        self.running = True
        self.call(self._start_nodes)
        if thread:
            self.scheduler.start_thread()
            collector.hold(self)  # what the program holds once the patch plays is there for good

    def _start_nodes(self):
        # by place on the canvas, never by name (renaming must not change which of two
        # loadbangs fires first): right to left, then bottom to top, as Max orders what one
        # object sends to several; so a switch at the right (a learner's `run`) is on before
        # a value sent from the left arrives
        pos = self.graph.pos
        nodes = sorted(self.graph.nodes.values(), key=lambda n: (-pos[n.id][0], -pos[n.id][1]))
        self.start_errors = []
        for node in nodes:
            before = node.error
            self.scheduler.run_event(node, node.start)
            if node.error is not None and node.error != before and not isinstance(node, Placeholder):
                self.start_errors.append((node.id, node.type_id, node.error))
        self.graph.update_ranks()
        for node in sorted(nodes, key=lambda n: n._rank):
            if hasattr(node, "loadbang"):
                self.scheduler.run_event(node, node.loadbang)

    def stop(self):
        if not self.running:
            return
        self.scheduler.stop_thread()
        for node in list(self.graph.nodes.values()):
            try:
                node.stop()
            except Exception as e:
                self.scheduler.fail(node, e)
        self.scheduler.clear_timers()  # a node that forgot its own must not fire after a restart
        self.running = False

    def close(self):
        self.stop()
        self.scheduler.close()
        collector.release(self)

    def advance(self, ms):
        """Manual clock: move logical time forward, running what falls due."""
        self.scheduler.advance(ms)

    def poll(self, timeout=0.0):
        """Without the thread: handle pending socket data and posted events once."""
        self.scheduler.poll(timeout)

    def _follow(self, event, *args):
        if event == "propose":
            # a node made an edit of its own (a take, a clear): an undo step like any edit, taken
            # by the document at its next turn. One that performing an undo or redo causes is a
            # by-product, not a new step: recording it would wipe the redo stack.
            cmd = args[0]
            if self.scheduler.quiet:
                return
            with self._proposing:
                queue = self._proposals
                # one that folds into the last (a neuron's weights, step after step) does so at once
                if not (getattr(cmd, "merges", False) and queue and queue[-1].merge(cmd)):
                    queue.append(cmd)
            return
        if not self.running:
            return
        if event == "node_added":
            node = self.graph.nodes[args[0]]
            self.scheduler.run_event(node, node.start)
        elif event == "linked":
            node = self.graph.nodes[args[0].src]
            self.scheduler.run_event(node, node.outlet_linked, (args[0].outlet,))
        elif event == "node_removed":
            node = args[1]
            try:
                node.stop()
            except Exception as e:
                self.scheduler.fail(node, e)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
