"""Node types by id. A renamed type keeps its old id as an alias, so old patches open."""
from __future__ import annotations

import importlib
from contextlib import contextmanager

from .errors import EditError

_types: dict[str, type] = {}
_aliases: dict[str, str] = {}
_loaded = False


def register(type_id: str, category: str = "misc", aliases: tuple = ()):
    """Class decorator: make a Node subclass available under `type_id`."""

    def deco(cls):
        if type_id in _types and _types[type_id] is not cls:
            raise ValueError(f"node type '{type_id}' is registered twice")
        cls.type_id = type_id
        cls.category = category
        if not cls.__doc__:
            raise ValueError(f"node type '{type_id}' has no help text (docstring)")
        _types[type_id] = cls
        for alias in aliases:
            _aliases[alias] = type_id
        return cls

    return deco


def _load_library():
    global _loaded
    if not _loaded:
        _loaded = True
        importlib.import_module("nodes")


def resolve(type_id: str) -> str | None:
    """The current id for `type_id` (following aliases), or None if unknown."""
    _load_library()
    type_id = _aliases.get(type_id, type_id)
    return type_id if type_id in _types else None


def get(type_id: str) -> type:
    resolved = resolve(type_id)
    if resolved is None:
        raise EditError(f"unknown node type '{type_id}'")
    return _types[resolved]


def prepare(type_ids):
    """Import the heavy modules the types' processes need (a node class's `imports`), here.
    A runtime calls it on the thread that edits its document, as a node enters it, so the
    engine building the same node on the real-time thread finds them loaded; a command
    that only reads a patch (`nodegraph check`) never loads them."""
    for type_id in type_ids:
        resolved = resolve(type_id)
        for name in getattr(_types.get(resolved), "imports", ()):
            importlib.import_module(name)


def all_types() -> dict[str, type]:
    _load_library()
    return dict(sorted(_types.items()))


@contextmanager
def scoped():
    """Types registered inside are gone after (tests' own node types must not leak into the
    library that other tests, and `nodegraph nodes`, see)."""
    _load_library()
    types, aliases = dict(_types), dict(_aliases)
    try:
        yield
    finally:
        _types.clear()
        _types.update(types)
        _aliases.clear()
        _aliases.update(aliases)
