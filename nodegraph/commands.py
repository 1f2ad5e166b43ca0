"""Every edit is a command: it applies itself to a graph and knows how to undo itself.

Loading a patch replays these same commands, so a file is checked by exactly the
code that checks an edit (as Pd reads its files through its own editing messages).
"""
from __future__ import annotations

import copy
from contextlib import contextmanager

from . import registry
from .errors import EditError, NodegraphError
from .graph import Link
from .node import Placeholder


def make_node(node_id, type_id, params=None, state=None, state_version=1):
    """A node of `type_id`, or a placeholder that keeps everything if the type is unknown.
    A state saved in an older layout of its type is migrated first (Node.migrate_state)."""
    params = {} if params is None else params
    if registry.resolve(type_id) is None:
        node = Placeholder(node_id, type_id, copy.deepcopy(params), copy.deepcopy(state or {}))
        node.saved_state_version = state_version
        return node
    cls = registry.get(type_id)
    node = cls(node_id, params)
    if state:
        state = copy.deepcopy(state)
        if state_version > cls.state_version:
            raise EditError(f"its data was saved by a newer nodegraph (layout {state_version}; "
                            f"this one reads up to {cls.state_version})")
        for version in range(state_version, cls.state_version):
            state = cls.migrate_state(state, version)
        node.set_state(node.validate_state(state))
    return node


def snapshot(graph, node_id) -> dict:
    """A node as plain data: what saving writes, and what undoing a removal restores."""
    node = graph.node(node_id)
    if isinstance(node, Placeholder):
        doc = {"type": node.saved_type, "params": copy.deepcopy(node.saved_params())}
    else:
        doc = {"type": node.type_id, "params": copy.deepcopy(node.params)}
    state = node.saved_state()
    if state:
        doc["state"] = state
        version = getattr(node, "saved_state_version", type(node).state_version)
        if version != 1:
            doc["state_version"] = version
    doc["pos"] = list(graph.pos[node_id])
    return doc


class Command:
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

    def __init__(self, type_id, params=None, pos=(0, 0), node_id=None, state=None, state_version=1):
        self.type_id, self.params, self.pos = type_id, params, pos
        self.node_id, self.state, self.state_version = node_id, state, state_version

    def do(self, graph):
        if self.node_id is None:
            self.node_id = graph.new_id(self.type_id)
        node = make_node(self.node_id, self.type_id, self.params, self.state, self.state_version)
        graph.add_node(node, self.pos)

    def undo(self, graph):
        graph.remove_node(self.node_id)


class RemoveNode(Command):
    label = "delete node"

    def __init__(self, node_id):
        self.node_id = node_id
        self.doc = None
        self.links = []

    def do(self, graph):
        self.doc = snapshot(graph, self.node_id)
        self.links = graph.links_of(self.node_id)
        for link in self.links:
            graph.disconnect(link)
        graph.remove_node(self.node_id)

    def undo(self, graph):
        d = self.doc
        graph.add_node(make_node(self.node_id, d["type"], d["params"], d.get("state"), d.get("state_version", 1)),
                       d["pos"])
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
        self.old = None

    def do(self, graph):
        self.old = graph.set_param(self.node_id, self.name, self.value)

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
        self.old = None

    def do(self, graph):
        self.old = graph.move(self.node_id, self.pos)

    def undo(self, graph):
        graph.move(self.node_id, self.old)

    def merge(self, other):
        if isinstance(other, Move) and other.node_id == self.node_id:
            self.pos = other.pos
            return True
        return False


class SetState(Command):
    """Replace a node's saved state (e.g. undo a recording take)."""

    label = "change data"

    def __init__(self, node_id, state, old=None, label=None):
        self.node_id, self.state, self.old = node_id, state, old
        if label:
            self.label = label

    def do(self, graph):
        node = graph.node(self.node_id)
        if self.old is None:
            self.old = copy.deepcopy(node.get_state())
        node.set_state(node.validate_state(copy.deepcopy(self.state)))
        graph.notify("state", self.node_id)

    def undo(self, graph):
        node = graph.node(self.node_id)
        node.set_state(copy.deepcopy(self.old))
        graph.notify("state", self.node_id)


class DeleteExample(SetState):
    """Delete one of a learner's recorded examples (clicked in plot.dataset); undo restores it.

    The new state is worked out when the edit is done, from the learner as it is then;
    `take` and `t` (if given) check that the example at `index` is the one meant."""

    label = "delete example"

    def __init__(self, node_id, index, take=None, t=None):
        super().__init__(node_id, None)
        self.index, self.take, self.t = index, take, t

    def do(self, graph):
        if self.state is None:
            without = getattr(graph.node(self.node_id), "without_example", None)
            if without is None:
                raise EditError(f"node '{self.node_id}' has no examples to delete")
            self.state = without(self.index, self.take, self.t)
        super().do(graph)


def _learner(graph, node_id):
    node = graph.node(node_id)
    if not hasattr(node, "remove_rows"):
        raise EditError(f"node '{node_id}' has no examples")
    return node


class RecordedTake(Command):
    """A take a learner recorded (record on, then off). It is already done when it enters
    the history (History.record): undo removes that take's rows, redo puts them back where
    they were. Each costs the size of the take, not of the dataset."""

    label = "record take"

    def __init__(self, node_id, take, count):
        self.node_id, self.take, self.count = node_id, take, count
        self.memo = None

    def do(self, graph):
        if self.memo is not None:
            _learner(graph, self.node_id).restore_rows(self.memo)

    def undo(self, graph):
        node = _learner(graph, self.node_id)
        self.memo = node.remove_rows(node.take_rows(self.take))


class RemovedTake(RecordedTake):
    """A take a learner deleted (its `undo_take` inlet); already done when it enters the history."""

    label = "delete take"

    def __init__(self, node_id, take, memo):
        super().__init__(node_id, take, len(memo["rows"]))
        self.memo = memo

    def do(self, graph):
        if self.memo is None:
            node = _learner(graph, self.node_id)
            self.memo = node.remove_rows(node.take_rows(self.take))

    def undo(self, graph):
        _learner(graph, self.node_id).restore_rows(self.memo)
        self.memo = None


class ClearExamples(Command):
    """A learner's `clear`; already done when it enters the history. Undo brings back the same
    examples and the same running model at once (the memo holds them, nothing is copied)."""

    label = "clear examples"

    def __init__(self, node_id, memo):
        self.node_id, self.memo = node_id, memo

    def do(self, graph):
        if self.memo is None:
            self.memo = _learner(graph, self.node_id).clear_examples()

    def undo(self, graph):
        _learner(graph, self.node_id).restore_dataset(self.memo)
        self.memo = None


class DeleteExamples(ClearExamples):
    """A learner's examples deleted with its model kept running (Wekinator's deleteAllExamples);
    already done when it enters the history."""

    label = "delete examples"

    def do(self, graph):
        if self.memo is None:
            self.memo = _learner(graph, self.node_id).delete_examples()


class TrainedModel(Command):
    """A learner's training finished and its new model runs (already done when it enters the
    history). Undo runs the model it replaced again, at once; redo the new one."""

    label = "train"

    def __init__(self, node_id, before, after):
        self.node_id, self.before, self.after = node_id, before, after  # (model record, predictor)

    def do(self, graph):
        _learner(graph, self.node_id).use_model(*self.after)

    def undo(self, graph):
        _learner(graph, self.node_id).use_model(*self.before)


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
        self.old = graph.set_comment(self.cid, self.text, self.pos)

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
    """Undo and redo. `group()` makes a gesture one step; `do(cmd, merge=True)`
    folds a command into the previous one of the same kind (a slider drag)."""

    def __init__(self, graph, limit=500):
        self.graph = graph
        self.undo_stack: list[Command] = []
        self.redo_stack: list[Command] = []
        self.limit = limit
        self._open: list[Group] = []
        self.revision = 0  # bumps on every change; the editor compares it to the saved one

    def do(self, cmd: Command, merge=False):
        cmd.do(self.graph)
        self.revision += 1
        target = self._open[-1].commands if self._open else self.undo_stack
        if merge and target and target[-1].merge(cmd):
            return cmd
        target.append(cmd)
        if not self._open:
            self.redo_stack.clear()
            del self.undo_stack[:-self.limit]
        return cmd

    def record(self, cmd: Command):
        """Add a command that has already been applied (a take a learner just recorded)."""
        self.revision += 1
        if self._open:
            self._open[-1].commands.append(cmd)
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
        return True

    def redo(self) -> bool:
        if not self.redo_stack:
            return False
        cmd = self.redo_stack.pop()
        cmd.do(self.graph)
        self.undo_stack.append(cmd)
        self.revision += 1
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
           "AddComment", "RemoveComment", "EditComment", "Group", "History", "NodegraphError"]
