"""Every edit is a command: it applies itself to a graph and knows how to undo itself.

Loading a patch replays these same commands, so a file is checked by exactly the
code that checks an edit (as Pd reads its files through its own editing messages).
"""
from __future__ import annotations

import copy
from contextlib import contextmanager

from . import dataset, registry
from .errors import EditError, NodegraphError
from .graph import Link
from .node import Placeholder


def make_node(node_id, type_id, params=None, state=None, state_version=1, boxes_from=None, owned=False):
    """A node of `type_id` with its saved state checked (and migrated from an older layout of
    its type, Node.migrate_state), or a placeholder that keeps everything if the type is
    unknown. Returns (node, state): the state as the document keeps it, not set on the node.
    `boxes_from`: a document graph, whose folder and search path find abstractions: a
    subpatch or an abstraction becomes a box record (nodegraph.boxes). `owned`: the state is
    handed over (just read from a file), so it is kept as it is, not copied."""
    params = {} if params is None else params
    if registry.resolve(type_id) is None and boxes_from is not None:
        from . import boxes  # (it reads patch files: patchfile imports this module)
        box = boxes.make(node_id, type_id, params, boxes_from.base_dir, boxes_from.search_path)
        if box is not None:
            return box, None
    if registry.resolve(type_id) is None:
        node = Placeholder(node_id, type_id, copy.deepcopy(params), {})
        node.saved_state_version = state_version
        return node, copy.deepcopy(state or {})
    cls = registry.get(type_id)
    args = getattr(boxes_from, "arguments", None)
    if args is not None and any(isinstance(v, str) and "$" in v for v in params.values()):
        # an abstraction opened on its own: the document keeps `$1`, the record is checked
        # (and the engine runs) with the declared defaults
        from .abstraction import substitute
        node = cls(node_id, substitute(params, args, "self"))
        node.arg_params = {k: v for k, v in params.items() if isinstance(v, str) and "$" in v}
    else:
        node = cls(node_id, params)
    if not state:
        return node, None
    if not owned:
        state = copy.deepcopy(state)
    if state_version > cls.state_version:
        raise EditError(f"its data was saved by a newer nodegraph (layout {state_version}; "
                        f"this one reads up to {cls.state_version})")
    for version in range(state_version, cls.state_version):
        state = cls.migrate_state(state, version)
    return node, node.validate_state(state)


def _add(graph, node_id, type_id, params, state, state_version, pos, checked=False, owned=False):
    """Add a node: to the document, a record with its state kept apart as plain data; to the
    engine, a process with its own copy of that state. `checked`: the state came from the
    document, already checked and migrated, so it is not checked again. Returns the state."""
    boxes_from = graph if graph.document else None
    if checked:
        node, _ = make_node(node_id, type_id, params, boxes_from=boxes_from)
        if isinstance(node, Placeholder):
            node.saved_state_version = state_version
    else:
        node, state = make_node(node_id, type_id, params, state, state_version, boxes_from, owned)
    if graph.document:
        graph.add_node(node, pos)
        if state:
            graph.states[node_id] = state
        return state
    if state:
        if isinstance(node, Placeholder):
            node.state = copy.deepcopy(state)
        else:
            node.set_state(node.copy_state(state) if checked else state)
    graph.add_node(node, pos)
    return state


def _version(graph, node_id):
    node = graph.node(node_id)
    return getattr(node, "saved_state_version", type(node).state_version)


def snapshot(graph, node_id) -> dict:
    """A node as plain data: what saving writes, and what undoing a removal restores."""
    node = graph.node(node_id)
    doc = {"type": getattr(node, "saved_type", node.type_id), "params": copy.deepcopy(node.saved_params())}
    if graph.document:
        state = graph.states.get(node_id)
        state = node.copy_state(state) if state else None
    else:
        state = node.saved_state()
    if state:
        doc["state"] = state
        version = _version(graph, node_id)
        if version != 1:
            doc["state_version"] = version
    doc["pos"] = list(graph.pos[node_id])
    return doc


_UNSET = object()


class Command:
    """An edit. The runtime applies it to the document first (where it is checked), then hands
    the same command to the engine: `do` and `undo` take either graph (Graph.document says
    which). Fields one side works out for itself are its own (memo for the engine, doc_memo
    for the document); what the document works out first, the engine reuses."""

    label = "edit"

    def do(self, graph):
        raise NotImplementedError

    def undo(self, graph):
        raise NotImplementedError

    def merge(self, other) -> bool:
        """Absorb `other` (a later command of the same gesture); True if it did."""
        return False


class AddNode(Command):
    label = "add node"

    def __init__(self, type_id, params=None, pos=(0, 0), node_id=None, state=None, state_version=1, owned=False):
        self.type_id, self.params, self.pos = type_id, params, pos
        self.node_id, self.state, self.state_version = node_id, state, state_version
        self.owned = owned  # the state is handed over (a file just read): the document keeps it, uncopied
        self.checked = None  # (state, its layout) once the document has checked them

    def do(self, graph):
        if self.node_id is None:
            self.node_id = graph.new_id(self.type_id)
        if self.checked is None:
            state = _add(graph, self.node_id, self.type_id, self.params, self.state, self.state_version, self.pos,
                         owned=self.owned)
            self.owned = False  # once: a redo must not share it again
            if graph.document:
                self.checked = (state, _version(graph, self.node_id))
        else:
            _add(graph, self.node_id, self.type_id, self.params, *self.checked, self.pos, checked=True)

    def undo(self, graph):
        graph.remove_node(self.node_id)


class RemoveNode(Command):
    label = "delete node"

    def __init__(self, node_id):
        self.node_id = node_id
        self.doc = None
        self.links = []

    def do(self, graph):
        if graph.document or self.doc is None:
            # the document's own record, already checked: putting it back costs no check again
            node = graph.node(self.node_id)
            self.doc = {"type": getattr(node, "saved_type", node.type_id),
                        "params": copy.deepcopy(node.saved_params()),
                        "state": graph.states.get(self.node_id) if graph.document else node.saved_state(),
                        "state_version": _version(graph, self.node_id), "pos": graph.pos[self.node_id]}
            self.links = graph.links_of(self.node_id)
        for link in self.links:
            graph.disconnect(link)
        graph.remove_node(self.node_id)

    def undo(self, graph):
        d = self.doc
        _add(graph, self.node_id, d["type"], d["params"], d["state"], d["state_version"], d["pos"], checked=True)
        for link in self.links:
            graph.connect(link)


class Connect(Command):
    label = "link"

    def __init__(self, src, outlet, dst, inlet):
        self.link = Link(src, outlet, dst, inlet)

    def do(self, graph):
        graph.connect(self.link)

    def undo(self, graph):
        graph.disconnect(self.link)


class Disconnect(Connect):
    label = "unlink"

    def do(self, graph):
        graph.disconnect(self.link)

    def undo(self, graph):
        graph.connect(self.link)


class SetParam(Command):
    label = "set param"

    def __init__(self, node_id, name, value):
        self.node_id, self.name, self.value = node_id, name, value
        self.old = _UNSET

    def do(self, graph):
        old = graph.set_param(self.node_id, self.name, self.value)
        if self.old is _UNSET:  # the document's, first: the engine's copy is the same
            self.old = old

    def undo(self, graph):
        graph.set_param(self.node_id, self.name, self.old)

    def merge(self, other):
        if isinstance(other, SetParam) and (other.node_id, other.name) == (self.node_id, self.name):
            self.value = other.value
            return True
        return False


class Move(Command):
    label = "move"

    def __init__(self, node_id, pos):
        self.node_id, self.pos = node_id, pos
        self.old = _UNSET

    def do(self, graph):
        old = graph.move(self.node_id, self.pos)
        if self.old is _UNSET:
            self.old = old

    def undo(self, graph):
        graph.move(self.node_id, self.old)

    def merge(self, other):
        if isinstance(other, Move) and other.node_id == self.node_id:
            self.pos = other.pos
            return True
        return False


class SetState(Command):
    """Replace a node's saved state: in the document, then the engine's copy."""

    label = "change data"

    def __init__(self, node_id, state, old=None, label=None, merges=False):
        self.node_id, self.state, self.old = node_id, state, old
        self.merges = merges  # a proposal that folds into the last step if that is one like it
        if label:
            self.label = label

    def merge(self, other):
        if (isinstance(other, SetState) and other.merges and type(other) is type(self)
                and (other.node_id, other.label) == (self.node_id, self.label)):
            self.state = other.state
            return True
        return False

    def do(self, graph):
        node = graph.nodes.get(self.node_id)
        if node is None and not (graph.document and "/" in self.node_id):
            node = graph.node(self.node_id)  # (the error naming it)
        if graph.document:
            if self.old is None:
                self.old = graph.states.get(self.node_id) or {}
            state = copy.deepcopy(self.state)
            self.state = node.validate_state(state) if node is not None else state
            graph.states[self.node_id] = self.state
        else:
            node.set_state(node.copy_state(self.state))
        graph.notify("state", self.node_id)

    def undo(self, graph):
        if graph.document:
            graph.states[self.node_id] = self.old
        else:
            node = graph.node(self.node_id)
            node.set_state(node.copy_state(self.old))
        graph.notify("state", self.node_id)


class DeleteExample(SetState):
    """Delete one of a learner's recorded examples (clicked in plot.dataset); undo restores it.

    The new state is worked out from the document's examples when the edit is done; `take`
    and `t` (if given) check that the example at `index` is the one meant."""

    label = "delete example"

    def __init__(self, node_id, index, take=None, t=None):
        super().__init__(node_id, None)
        self.index, self.take, self.t = index, take, t

    def do(self, graph):
        if self.state is None:
            state = graph.states.get(self.node_id) if graph.document else graph.node(self.node_id).get_state()
            inner = graph.document and "/" in self.node_id and self.node_id not in graph.nodes
            if not state or not (inner or hasattr(graph.node(self.node_id), "remove_rows")):
                raise EditError(f"node '{self.node_id}' has no examples to delete")
            self.state = dataset.without_example(state, self.index, self.take, self.t, self.node_id)
        super().do(graph)


class _Rows:
    """A learner's dataset, as the side an edit is applied to keeps it: in the document, the
    plain rows (nodegraph.dataset); in the engine, the running learner (its caches follow)."""

    def __init__(self, graph, node_id):
        node = graph.nodes.get(node_id)
        if node is None and graph.document and "/" in node_id:
            pass  # a learner inside a box: the document keeps its rows by flat id, with no record
        elif not hasattr(graph.node(node_id), "remove_rows"):
            raise EditError(f"node '{node_id}' has no examples")
        self.graph, self.node_id, self.node = graph, node_id, node
        if graph.document:
            graph.states.setdefault(node_id, {"examples": [], "take": 0})

    @property
    def state(self):
        return self.graph.states[self.node_id]

    def remove_take(self, take, rows=None):
        """Remove a take's rows; `rows`, the rows it recorded, are looked for at the end first
        (where a take just recorded, or redone, is): then the cost is the take's size."""
        indices = dataset.at_end(self._side(), rows) if rows else None
        if indices is None:
            return self.remove_where(lambda ex: ex.get("take") == take)
        return self._remove(indices, take)

    def remove_where(self, chosen):
        """Remove the rows `chosen(row)` picks; returns the memo `restore` takes."""
        return self._remove([i for i, ex in enumerate(self._side()["examples"]) if chosen(ex)])

    def _side(self):
        return self.state if self.graph.document else self.node.state

    def _remove(self, indices, whole_take=None):
        if self.graph.document:
            return dataset.remove_rows(self.state, indices, whole_take)
        return self.node.remove_rows(indices, whole_take)

    def restore(self, memo):
        if self.graph.document:
            dataset.restore_rows(self.state, memo)
        else:
            self.node.restore_rows(memo)

    def replace(self, new, running):
        """Swap in a whole new dataset (clear, delete examples): in the document `new(state)`,
        in the engine `running(learner)`; returns the memo `put_back` takes."""
        if self.graph.document:
            memo, self.graph.states[self.node_id] = self.state, new(self.state)
            return memo
        return running(self.node)

    def put_back(self, memo):
        if self.graph.document:
            self.graph.states[self.node_id] = memo
        else:
            self.node.restore_dataset(memo)


class RecordedTake(Command):
    """A take a learner recorded (record on, then off), proposed with its rows: the engine has
    them already, the document appends them. Undo removes that take's rows, redo puts them back
    where they were; on each side this costs the size of the take, not of the dataset."""

    label = "record take"

    def __init__(self, node_id, take, rows):
        self.node_id, self.take, self.rows = node_id, take, rows
        self.count = len(rows)
        self.memo = self.doc_memo = None  # the engine's and the document's: each side keeps its own

    def do(self, graph):
        rows = _Rows(graph, self.node_id)
        if not graph.document:
            if self.memo is not None:
                rows.restore(self.memo)
        elif self.doc_memo is None:
            dataset.append_rows(rows.state, self.rows, self.take)
        else:
            rows.restore(self.doc_memo)

    def undo(self, graph):
        memo = _Rows(graph, self.node_id).remove_take(self.take, self.rows)
        if graph.document:
            self.doc_memo = memo
        else:
            self.memo = memo


class _Proposed(Command):
    """A change the engine made and proposed, with its memo; the document works out its own.
    Each side keeps its memo for the undo (and a redo remakes it)."""

    def __init__(self, node_id, memo):
        self.node_id, self.memo = node_id, memo
        self.doc_memo = None

    def do(self, graph):
        rows = _Rows(graph, self.node_id)
        if graph.document:
            self.doc_memo = self.change(rows)
        elif self.memo is None:
            self.memo = self.change(rows)

    def undo(self, graph):
        rows = _Rows(graph, self.node_id)
        if graph.document:
            self.revert(rows, self.doc_memo)
        else:
            self.revert(rows, self.memo)
            self.memo = None


class RemovedTake(_Proposed):
    """A take a learner deleted (its `undo_take` inlet); the engine has deleted it already."""

    label = "delete take"

    def __init__(self, node_id, take, memo):
        super().__init__(node_id, memo)
        self.take = take

    def change(self, rows):
        return rows.remove_take(self.take)

    def revert(self, rows, memo):
        rows.restore(memo)


class ClearExamples(_Proposed):
    """A learner's `clear`; the engine has cleared already. Undo brings back the same examples
    and the same running model at once (the memos hold them, nothing is copied)."""

    label = "clear examples"

    def change(self, rows):
        return rows.replace(dataset.cleared, lambda learner: learner.clear_examples())

    def revert(self, rows, memo):
        rows.put_back(memo)


class DeleteExamples(ClearExamples):
    """A learner's examples deleted with its model kept running (Wekinator's deleteAllExamples);
    the engine has done it already."""

    label = "delete examples"

    def change(self, rows):
        return rows.replace(dataset.without_examples, lambda learner: learner.delete_examples())


class TrainedModel(Command):
    """A learner's training finished and its new model runs (already, in the engine). Undo runs
    the model it replaced again, at once; redo the new one. Each is (model record, predictor):
    the document keeps the record, the engine runs the predictor."""

    label = "train"

    def __init__(self, node_id, before, after):
        self.node_id = node_id
        self.before, self.after = before, after
        self.records = (dataset.model_record(before[0]), dataset.model_record(after[0]))

    def do(self, graph):
        self._use(graph, self.records[1], self.after)

    def undo(self, graph):
        self._use(graph, self.records[0], self.before)

    def _use(self, graph, record, model):
        rows = _Rows(graph, self.node_id)
        if not graph.document:
            rows.node.use_model(*model)
        elif record is None:
            rows.state.pop("model", None)
        else:
            rows.state["model"] = dataset.model_record(record)


class Restructure(Command):
    """The document rearranged as a whole (encapsulate, de-encapsulate): `make(doc)` gives the
    new patch from the old, as plain data. One undo step; the engine follows by expansion."""

    def __init__(self, make, label="rearrange"):
        self.make, self.label = make, label
        self.old = self.new = None

    def do(self, graph):
        from . import boxes
        if not graph.document:
            raise EditError("a rearrangement is made on the document")
        if self.new is None:
            self.old = boxes.doc_of(graph)
            self.new = self.make(copy.deepcopy(self.old))
        self._load(graph, self.new)

    def undo(self, graph):
        self._load(graph, self.old)

    @staticmethod
    def _load(graph, doc):
        from . import boxes
        boxes.reload(graph, doc)


class Encapsulate(Restructure):
    """Edit > Encapsulate: these nodes into one subpatch box; links that crossed the border go
    through inlet and outlet nodes inside it."""

    def __init__(self, node_ids, box_id="sub"):
        from . import abstraction
        self.box_id = box_id
        super().__init__(lambda doc: abstraction.encapsulate(doc, list(node_ids), box_id), "encapsulate")


class Deencapsulate(Restructure):
    """Edit > De-encapsulate: a box's inside back into the patch, in its place."""

    def __init__(self, box_id):
        from . import abstraction
        self.box_id = box_id
        super().__init__(None, "de-encapsulate")
        self.make = lambda doc: abstraction.deencapsulate(doc, box_id, self._dir[0], self._dir[1])

    def do(self, graph):
        self._dir = (graph.base_dir, graph.search_path)
        super().do(graph)


class AddComment(Command):
    label = "add comment"

    def __init__(self, text, pos=(0, 0)):
        self.text, self.pos, self.cid = text, pos, None

    def do(self, graph):
        self.cid = graph.add_comment(self.text, self.pos, self.cid)

    def undo(self, graph):
        graph.remove_comment(self.cid)


class RemoveComment(Command):
    label = "delete comment"

    def __init__(self, cid):
        self.cid, self.comment = cid, None

    def do(self, graph):
        if self.cid not in graph.comments:
            raise EditError(f"there is no comment {self.cid}")
        self.comment = graph.remove_comment(self.cid)

    def undo(self, graph):
        graph.add_comment(self.comment.text, self.comment.pos, self.cid)


class EditComment(Command):
    label = "edit comment"

    def __init__(self, cid, text=None, pos=None):
        self.cid, self.text, self.pos, self.old = cid, text, pos, None

    def do(self, graph):
        if self.cid not in graph.comments:
            raise EditError(f"there is no comment {self.cid}")
        old = graph.set_comment(self.cid, self.text, self.pos)
        if self.old is None:
            self.old = old

    def undo(self, graph):
        graph.set_comment(self.cid, self.old.text, self.old.pos)

    def merge(self, other):
        if isinstance(other, EditComment) and other.cid == self.cid:
            self.text = other.text if other.text is not None else self.text
            self.pos = other.pos if other.pos is not None else self.pos
            return True
        return False


class Group(Command):
    """Several commands as one step; if one fails, those done are undone."""

    def __init__(self, commands=(), label="edit"):
        self.commands = list(commands)
        self.label = label

    def do(self, graph):
        done = []
        try:
            for cmd in self.commands:
                cmd.do(graph)
                done.append(cmd)
        except Exception:
            for cmd in reversed(done):
                cmd.undo(graph)
            raise

    def undo(self, graph):
        for cmd in reversed(self.commands):
            cmd.undo(graph)


class History:
    """Undo and redo, on the document alone. `group()` makes a gesture one step;
    `do(cmd, merge=True)` folds a command into the previous one of the same kind (a slider drag).

    `perform(cmd, method, quiet)`, when given, hands each change to the engine after the
    document took it: an edit with its effects, an undo or redo quietly."""

    def __init__(self, graph, limit=500, perform=None):
        self.graph = graph
        self.undo_stack: list[Command] = []
        self.redo_stack: list[Command] = []
        self.limit = limit
        self._open: list[Group] = []
        self.revision = 0  # bumps on every change; the editor compares it to the saved one
        self.perform = perform or (lambda cmd, method, quiet: None)

    def do(self, cmd: Command, merge=False):
        cmd.do(self.graph)
        self.revision += 1
        self.perform(cmd, "do", False)
        target = self._open[-1].commands if self._open else self.undo_stack
        if merge and target and target[-1].merge(cmd):
            return cmd
        target.append(cmd)
        if not self._open:
            self.redo_stack.clear()
            del self.undo_stack[:-self.limit]
        return cmd

    def record(self, cmd: Command):
        """Add a command the engine has already performed (a take a learner just recorded):
        the document takes it, the engine is not asked again."""
        cmd.do(self.graph)
        self.revision += 1
        if self._open:
            self._open[-1].commands.append(cmd)
            return cmd
        if getattr(cmd, "merges", False) and self.undo_stack and self.undo_stack[-1].merge(cmd):
            return cmd
        self.undo_stack.append(cmd)
        self.redo_stack.clear()
        del self.undo_stack[:-self.limit]
        return cmd

    @contextmanager
    def group(self, label="edit"):
        group = Group(label=label)
        self._open.append(group)
        try:
            yield group
        except BaseException:
            self._open.pop()
            group.undo(self.graph)
            self.perform(group, "undo", True)
            raise
        self._open.pop()
        if group.commands:
            if self._open:
                self._open[-1].commands.append(group)
            else:
                self.undo_stack.append(group)
                self.redo_stack.clear()

    def undo(self) -> bool:
        if not self.undo_stack:
            return False
        cmd = self.undo_stack.pop()
        cmd.undo(self.graph)
        self.redo_stack.append(cmd)
        self.revision += 1
        self.perform(cmd, "undo", True)
        return True

    def redo(self) -> bool:
        if not self.redo_stack:
            return False
        cmd = self.redo_stack.pop()
        cmd.do(self.graph)
        self.undo_stack.append(cmd)
        self.revision += 1
        self.perform(cmd, "do", True)
        return True

    def clear(self):
        self.undo_stack.clear()
        self.redo_stack.clear()


def apply_all(graph, commands):
    """Apply commands in order with no history (loading); raise on the first that fails."""
    for cmd in commands:
        cmd.do(graph)


__all__ = ["AddNode", "RemoveNode", "Connect", "Disconnect", "SetParam", "Move", "SetState", "DeleteExample", "RecordedTake",
           "RemovedTake", "ClearExamples", "DeleteExamples", "TrainedModel",
           "Restructure", "Encapsulate", "Deencapsulate", "AddComment", "RemoveComment", "EditComment", "Group", "History", "NodegraphError"]
