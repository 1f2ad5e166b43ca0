"""The node base: what a node type declares, and the few calls it makes at run time.

A node type is a short class:

    @register("math", category="math")
    class Math(Node):
        '''Arithmetic: out = a (op) b. ...'''      # the help text
        inlets = (Inlet("a", "float"), Inlet("b", "float", hot=False))
        outlets = (Outlet("out", "float"),)
        params = (Param("op", "choice", "+", choices=OPS),)

        def process(self, fired):
            self.emit("out", ...)

The scheduler stores every arriving value in `self.inputs[name]` (cold inlets
keep theirs, as in Pd) and calls `process(fired)` once per round in which a hot
inlet received a value; `fired` names the inlets that received one.
"""
from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass

from . import paths
from .errors import NodeError, ParamError
from .params import Param, check_json
from .types import TYPES, converter


_IMMUTABLE = (int, float, str, bool, type(None), tuple)


@dataclass(frozen=True)
class Inlet:
    name: str
    type: str = "any"
    hot: bool = True
    help: str = ""
    default: object = None  # the value `inputs[name]` holds before anything arrives

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"inlet {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True)
class Outlet:
    name: str
    type: str = "any"
    help: str = ""

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"outlet {self.name}: unknown type {self.type!r}")


class Node:
    # Declared by each node type:
    inlets: tuple = ()
    outlets: tuple = ()
    params: tuple = ()
    # Set by @register:
    type_id = ""
    category = "misc"
    # The layout of this type's saved state. A type that changes it bumps this and says in
    # migrate_state how to read the older layout: files keep working without a format bump.
    state_version = 1
    # True for nodes whose output is always later than their input (delay):
    # a cycle through one is feedback, not an infinite loop.
    breaks_cycles = False
    imports: tuple = ()  # heavy modules the process needs, imported off the real-time thread (registry.prepare)

    def __init__(self, node_id: str = "", params: dict | None = None):
        self.id = node_id
        specs = type(self).params
        self.params = {p.name: p.default if isinstance(p.default, _IMMUTABLE) else copy.deepcopy(p.default)
                       for p in specs}
        for name, value in (params or {}).items():
            self.params[name] = self.check_param(name, value)
        self.state = {}
        self.error = None
        self.host = None  # the scheduler, once the node is in a running graph
        self.last = {}  # outlet -> latest value, for views
        self.runs = 0
        self.probes = {}  # outlet -> [fn(value)]: watchers (scopes, meters, tests), on the scheduler thread
        self._pending = []
        self._queued = False
        self._rank = 0
        self._build_ports()
        self.setup()

    # ---- for node types to override -------------------------------------------------

    def setup(self):
        """Called once the params are set (and again after a port-shaping param changes)."""

    def ports(self):
        """(inlets, outlets); override when they depend on params."""
        return type(self).inlets, type(self).outlets

    def process(self, fired):
        """Handle the values that just arrived (`self.inputs`); emit results."""

    def param_changed(self, name, old):
        """A param was edited (the new value is in self.params)."""

    def start(self):
        """The patch starts running: open ports, start clocks."""

    def stop(self):
        """The patch stops or the node is removed: release everything start() took."""

    def outlet_linked(self, outlet):
        """A new link leaves `outlet` (while running): a node with something to show may send it now."""

    def info(self) -> dict:
        """What the editor shows on the node beyond its last values (counts, progress, score).

        Read from the editor's thread: build a fresh dict of plain values each call.
        """
        return {}

    def inlet_state(self, name):
        """What an on/off inlet's checkbox on the node shows: the state the node is in."""
        return self.inputs.get(name)

    def shown(self, name):
        """The value a param's widget on the canvas shows (a control shows its live value)."""
        return self.params[name]

    def relevant_params(self) -> list:
        """Names of the params that matter now (e.g. only the chosen algorithm's options).
        The editor shows only these on the node; the inspector shows the others apart."""
        return [p.name for p in type(self).params]

    arg_params = {}  # in an abstraction opened on its own: the params that are `$1`, `$2`… in its file

    def saved_params(self) -> dict:
        """The params as saved (a button is never saved pressed; `$1` stays `$1`)."""
        return dict(self.params, **self.arg_params) if self.arg_params else self.params

    def get_state(self) -> dict:
        """What to save with the patch, as plain JSON."""
        return self.state

    @classmethod
    def migrate_state(cls, state: dict, version: int) -> dict:
        """A state saved in layout `version`, in layout `version + 1` (pure: no side effects)."""
        raise NodeError(f"cannot read its data saved in layout {version}")

    def saved_state(self) -> dict:
        """A copy of get_state() that later changes cannot reach."""
        return self.copy_state(self.get_state())

    def copy_state(self, state: dict) -> dict:
        """Another owner's copy of a saved state (the document's and the engine's are apart).
        A node with much data shares what it never changes instead of copying it."""
        return copy.deepcopy(state)

    def set_state(self, state: dict):
        """Restore what get_state() returned (on load, undo)."""
        self.state = state

    # ---- for node types to call ------------------------------------------------------

    def emit(self, outlet, value):
        """Send `value` out of `outlet`; every linked node receives it in this cascade."""
        links = self._out.get(outlet)
        if links is None:
            raise NodeError(f"has no outlet '{outlet}'")
        self.last[outlet] = value
        if self.host is not None and self.host.quiet:
            return  # an undo or redo is being performed: it changes the patch, it does not play it
        if self.probes:
            for fn in self.probes.get(outlet, ()):
                fn(value)
        if links:
            self.host.deliver(links, value)

    @property
    def now(self) -> float:
        """Logical time in milliseconds."""
        return self.host.now

    def schedule(self, delay_ms, fn, *args):
        """Run fn(*args) `delay_ms` of logical time from now; returns a handle with .cancel()."""
        return self.host.schedule(self, delay_ms, fn, args)

    def post(self, fn, *args):
        """From any thread: run fn(*args) on the scheduler thread as a new cascade."""
        self.host.post(self, fn, args)

    def watch(self, outlet, fn):
        """Call fn(value) for every value leaving `outlet`; returns a function that stops it."""
        if outlet not in self.outlet_map:
            raise NodeError(f"has no outlet '{outlet}'")
        self.probes.setdefault(outlet, []).append(fn)

        def unwatch():
            self.probes[outlet].remove(fn)
            if not self.probes[outlet]:
                del self.probes[outlet]
        return unwatch

    def resolve_path(self, path) -> str:
        """A file path as the patch means it: relative paths start at the patch's folder,
        and no path leads out of it (NodeError; see nodegraph.paths)."""
        return paths.resolve(self, path)

    def log(self, text, level="info"):
        if self.host is not None:
            self.host.log(self, text, level)

    def propose(self, command):
        """Hand the runtime an edit this node has just made to its saved state (a take, a
        clear): it becomes an ordinary undo step. `command` is already applied."""
        if self.host is not None:
            self.host.notify("propose", command)

    def state_changed(self):
        """Tell views the state (e.g. a learner's examples) changed."""
        if self.host is not None:
            self.host.notify("state", self.id)

    # ---- used by the engine -----------------------------------------------------------

    @classmethod
    def help(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.help().split("\n", 1)[0]

    def check_param(self, name, value):
        spec = self.param_spec(name)
        try:
            return spec.check(value)
        except ParamError as e:
            raise ParamError(f"param '{name}' {e}") from None

    @classmethod
    def param_spec(cls, name) -> Param:
        for p in cls.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in cls.params) or "none"
        raise ParamError(f"{cls.type_id} has no param '{name}' (its params: {known})")

    def _build_ports(self):
        inlets, outlets = self.ports()
        self.inlets, self.outlets = tuple(inlets), tuple(outlets)
        self.inlet_map = {i.name: i for i in self.inlets}
        self.outlet_map = {o.name: o for o in self.outlets}
        self.inputs = {i.name: i.default for i in self.inlets}
        self.hot = frozenset(i.name for i in self.inlets if i.hot)
        self._convert = {i.name: converter(i.type) for i in self.inlets}
        self._out = {o.name: [] for o in self.outlets}

    def validate_state(self, state):
        if not isinstance(state, dict):
            raise ParamError("state must be an object")
        check_json(state)
        return state

    def describe(self) -> dict:
        """Everything a person (or `nodegraph nodes --json`) needs to know about this type."""
        return {
            "type": self.type_id,
            "category": self.category,
            "help": self.help(),
            "inlets": [{"name": i.name, "type": i.type, "hot": i.hot, "help": i.help} for i in self.inlets],
            "outlets": [{"name": o.name, "type": o.type, "help": o.help} for o in self.outlets],
            "params": [p.describe() for p in type(self).params],
        }

    def __repr__(self):
        return f"<{self.type_id} {self.id}>"


class Placeholder(Node):
    """A node of a type this nodegraph does not know (Pd's dashed box).

    It keeps its params, state and links exactly as the file had them and saves
    them back unchanged; it does nothing when it runs.
    """

    type_id = "placeholder"
    breaks_cycles = True  # the missing type may be a delay (a newer version's): a loop through it is kept

    def __init__(self, node_id, type_id, params, state, inlet_names=(), outlet_names=()):
        self.missing_type = type_id
        self._raw_params = params
        self._inlet_names = list(inlet_names)
        self._outlet_names = list(outlet_names)
        super().__init__(node_id)
        self.state = state
        self.error = f"unknown node type '{type_id}'"

    def ports(self):
        return (tuple(Inlet(n, hot=False) for n in self._inlet_names), tuple(Outlet(n) for n in self._outlet_names))

    def add_port(self, kind, name):
        """Links in the file name the ports the real type had; keep whatever they name."""
        names = self._inlet_names if kind == "inlet" else self._outlet_names
        if name not in names:
            names.append(name)
            old_out = self._out
            self._build_ports()
            for k, links in old_out.items():
                self._out[k] = links

    @property
    def saved_type(self):
        return self.missing_type

    def saved_params(self):
        return self._raw_params
