"""Widgets built from a node's declarations: one per param spec, and a button or
checkbox for each bang or on/off inlet (record, train, run, clear on a learner)."""
from __future__ import annotations

import json

import dearpygui.dearpygui as dpg

from ..errors import ParamError

SLIDER_SPAN = 1000  # a wider range (a 1 ms .. 1 h interval) is dragged, not slid


def param_widget(spec, value, parent, callback, user_data, width=110):
    """The widget for one param (showing the engine's `value`); its callback gets
    (sender, app_data, user_data)."""
    kind, label = spec.kind, spec.name
    value = to_widget(spec, value)
    common = dict(parent=parent, label=label, callback=callback, user_data=user_data)
    bounded = spec.min is not None and spec.max is not None
    if kind == "float":
        if bounded and spec.max - spec.min <= SLIDER_SPAN:
            return dpg.add_slider_float(default_value=value, min_value=spec.min, max_value=spec.max,
                                        width=width, format="%.4g", **common)
        lo = spec.min if spec.min is not None else -1e12
        hi = spec.max if spec.max is not None else 1e12
        return dpg.add_drag_float(default_value=value, min_value=lo, max_value=hi, speed=_speed(spec),
                                  clamped=True, width=width, format="%.5g", **common)
    if kind == "int":
        if bounded and spec.max - spec.min <= SLIDER_SPAN:
            return dpg.add_slider_int(default_value=value, min_value=int(spec.min), max_value=int(spec.max),
                                      width=width, **common)
        lo = int(spec.min) if spec.min is not None else -2**31
        hi = int(spec.max) if spec.max is not None else 2**31 - 1
        return dpg.add_drag_int(default_value=value, min_value=lo, max_value=hi, speed=0.2, clamped=True,
                                width=width, **common)
    if kind == "bool":
        return dpg.add_checkbox(default_value=value, **common)
    if kind == "choice":
        return dpg.add_combo([str(c) for c in spec.choices], default_value=str(value), width=width, **common)
    return dpg.add_input_text(default_value=value, width=width, on_enter=True, **common)


def _speed(spec):
    if spec.min is not None and spec.max is not None:
        return max(0.001, (spec.max - spec.min) / 2000)
    return 0.01


def to_widget(spec, value):
    """The engine's value as the widget holds it."""
    if spec.kind == "choice":
        return str(value)
    if spec.kind in ("text", "json", "vector"):
        return to_text(spec, value)
    return value


def from_widget(spec, raw):
    """What the widget gave back, as the param's value (ParamError if it does not parse)."""
    if spec.kind == "choice":
        for choice in spec.choices:
            if str(choice) == raw:
                return choice
        return raw
    if spec.kind == "json":
        try:
            return json.loads(raw)
        except ValueError:
            return raw  # a bare word is a text value, as in Pd's message boxes
    if spec.kind == "vector":
        try:
            return [float(x) for x in raw.replace(",", " ").replace("[", " ").replace("]", " ").split()]
        except ValueError:
            raise ParamError(f"param '{spec.name}' expects numbers separated by spaces, got \"{raw}\"") from None
    return raw


def to_text(spec, value):
    if spec.kind == "json":
        return value if isinstance(value, str) else json.dumps(value)
    if spec.kind == "vector":
        return " ".join(f"{x:g}" for x in value)
    return str(value)


def inlet_control(inlet, parent, callback, user_data):
    """A button for a bang inlet, a checkbox for an on/off inlet, else None."""
    if inlet.type == "bang":
        return dpg.add_button(label=inlet.name, parent=parent, callback=callback, user_data=user_data, small=True)
    if inlet.type == "bool":
        return dpg.add_checkbox(label=inlet.name, parent=parent, callback=callback, user_data=user_data,
                                default_value=bool(inlet.default))
    return None
