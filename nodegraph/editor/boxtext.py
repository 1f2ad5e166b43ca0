"""What a person types into an object box: a type name, then its params (Pd style).

"metro 250" sets metro's first param to 250; "math * 2" sets op and arg; a text
param takes the rest of the line ("expr ($f1 + $f2) / 2"); "name=value" sets one
by name. Nothing typed is ever executed: values are parsed as numbers or JSON.
"""
from __future__ import annotations

import json

from ..errors import EditError


def parse(text: str, resolve, spec_of):
    """(type_id, params) for the typed text.

    resolve(name) -> type id or None; spec_of(type_id) -> the type's Param specs.
    Raises EditError with a sentence a person can act on.
    """
    tokens = text.split()
    if not tokens:
        raise EditError("type a node name, e.g. metro 250")
    name, rest = tokens[0], text.strip()[len(tokens[0]):].strip()
    type_id = resolve(name)
    if type_id is None:
        raise EditError(f"there is no node type '{name}'")
    specs = list(spec_of(type_id))
    by_name = {p.name: p for p in specs}
    params = {}
    positional = []
    for token in rest.split():
        key, eq, value = token.partition("=")
        if eq and key in by_name:
            params[key] = convert(by_name[key], value)
        else:
            positional.append(token)
    free = [p for p in specs if p.name not in params]
    i = 0
    while i < len(positional):
        if not free:
            raise EditError(f"{type_id} takes at most {len(specs)} value(s); "
                            f"'{' '.join(positional[i:])}' is left over")
        p = free.pop(0)
        take = 1
        if _takes_rest(p, free):
            take = len(positional) - i
        params[p.name] = convert(p, " ".join(positional[i:i + take]))
        i += take
    return type_id, params


def _takes_rest(param, later):
    """A text (a formula, a prefix, a path) swallows the rest of the line, spaces and
    all, unless a later param wants its own word; a list or JSON value does when last."""
    if param.kind == "text":
        return not any(q.kind in ("int", "float", "bool", "text") for q in later)
    return param.kind in ("json", "vector") and not later


def convert(param, raw: str):
    kind = param.kind
    try:
        if kind == "int":
            value = float(raw)
            if not value.is_integer():
                raise ValueError
            return param.check(int(value))
        if kind == "float":
            return param.check(float(raw))
        if kind == "bool":
            low = raw.lower()
            if low in ("1", "true", "on", "yes"):
                return True
            if low in ("0", "false", "off", "no"):
                return False
            raise ValueError
        if kind == "choice":
            for choice in param.choices:
                if str(choice) == raw:
                    return choice
            raise ValueError
        if kind == "vector":
            return param.check([float(x) for x in raw.replace(",", " ").split()])
        if kind == "json":
            try:
                return param.check(json.loads(raw))
            except ValueError:
                return param.check(raw)
        return param.check(raw)
    except (ValueError, TypeError):
        pass
    except Exception as e:  # a ParamError: already a clear sentence
        raise EditError(f"{param.name}: {e}") from None
    expected = {"int": "a whole number", "float": "a number", "bool": "on or off",
                "choice": "one of " + ", ".join(map(str, param.choices)),
                "vector": "numbers"}.get(kind, "a value")
    raise EditError(f"{param.name} must be {expected}, got '{raw}'")
