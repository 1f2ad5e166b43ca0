"""Port types: the one table that decides every connection and every coercion."""
from __future__ import annotations

import numpy as np


class Bang:
    """The trigger value: carries nothing."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "bang"


BANG = Bang()

TYPES = ("bang", "float", "bool", "text", "vector", "label", "midi", "any", "signal")

# FITS[source] = inlet types a source outlet of that type may be linked to.
# A `bang` inlet takes any value as a trigger (Pd's [bang] does the same), and an
# `any` outlet may feed anything: its values are checked as they arrive.
FITS = {
    "bang": {"bang", "any"},
    "float": {"float", "bool", "vector", "label", "text", "bang", "any"},
    "bool": {"bool", "float", "vector", "bang", "any"},
    "text": {"text", "label", "bang", "any"},
    "vector": {"vector", "bang", "any"},
    "label": {"label", "text", "bang", "any"},
    "midi": {"midi", "bang", "any"},
    "any": set(TYPES) - {"signal"},
    # sound (Pd's ~ connections): a block stream between audio nodes, carried by the
    # audio engine, never by the scheduler; it fits only another sound inlet
    "signal": {"signal"},
}


def fits(source: str, target: str) -> bool:
    return target in FITS[source]


class CoercionError(ValueError):
    pass


def _to_float(v):
    if type(v) is float:
        return v
    if isinstance(v, (int, float, np.number)) and not isinstance(v, np.complexfloating):
        try:
            return float(v)
        except OverflowError:  # a whole number beyond any float
            raise CoercionError(f"expects a number, got a whole number too large to be one ({describe(v)})") from None
    if isinstance(v, np.ndarray) and v.size == 1:
        return float(v.reshape(-1)[0])
    raise CoercionError(f"expects a number, got {describe(v)}")


def _to_bool(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.number)):
        return v != 0
    raise CoercionError(f"expects on/off, got {describe(v)}")


def _to_vector(v):
    if type(v) is np.ndarray and v.dtype == np.float64 and v.ndim == 1:
        return v
    if isinstance(v, (bool, int, float, np.number)):
        return np.array([_to_float(v)])
    if isinstance(v, (list, tuple, np.ndarray)):
        try:
            a = np.asarray(v, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError, OverflowError):
            raise CoercionError(f"expects a list of numbers, got {describe(v)}") from None
        return a
    raise CoercionError(f"expects a vector, got {describe(v)}")


def _to_text(v):
    if isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float, bool)):
        return str(v)
    raise CoercionError(f"expects text, got {describe(v)}")


def _to_label(v):
    if isinstance(v, (str, int)) and not isinstance(v, bool):
        return v
    if isinstance(v, (float, np.number)) and float(v).is_integer():
        return int(v)
    raise CoercionError(f"expects a class name (text or whole number), got {describe(v)}")


def _to_midi(v):
    import mido  # only nodes that take MIDI pay for the import

    if isinstance(v, mido.Message):
        return v
    raise CoercionError(f"expects a MIDI message, got {describe(v)}")


def _to_bang(v):
    return BANG


def _identity(v):
    return v


def _to_signal(v):
    raise CoercionError("is a sound input: link a sound outlet (~) to it; values cannot be sent to it")


COERCE = {
    "bang": _to_bang,
    "float": _to_float,
    "bool": _to_bool,
    "text": _to_text,
    "vector": _to_vector,
    "label": _to_label,
    "midi": _to_midi,
    "any": _identity,
    "signal": _to_signal,
}

def converter(target: str):
    """The function a value goes through on its way into an inlet of type `target`
    (None: as it is). Every typed inlet converts, so a node that emits an int on a
    float outlet still delivers a float."""
    return None if target == "any" else COERCE[target]


def describe(v) -> str:
    """A short, readable description of a value for error messages."""
    if v is BANG:
        return "bang"
    if isinstance(v, np.ndarray):
        return f"a vector of length {v.size}"
    if isinstance(v, (list, tuple)):
        return f"a list of length {len(v)}"
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def to_json(v):
    """A value in plain JSON terms (for state, display and files)."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if v is BANG:
        return "bang"
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if hasattr(v, "bytes") and hasattr(v, "type"):  # a mido message
        return str(v)
    return v
