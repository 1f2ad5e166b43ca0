"""Widgets built from a node's declarations: one per param spec, and a button or
checkbox for each bang or on/off inlet (record, train, run, clear on a learner).

A few control types get a view of their own (the custom views DESIGN.md keeps in
the editor): a slider's value slides between its own min and max params, an xy
pad's point is two sliders in the inspector (on the canvas it is a square to draw on:
pointer.py), a button is one big button. Everything else is built
from the specs alone, so a new node type needs nothing here.
"""
from __future__ import annotations

import json
import math

import dearpygui.dearpygui as dpg

from ..errors import ParamError
from . import itemstate



def param_widget(spec, value, parent, callback, user_data, width=110, node=None):
    """The widget for one param (showing the engine's `value`); its callback gets
    (sender, app_data, user_data)."""
    kind, label = spec.kind, spec.name
    custom = _custom(node, spec)
    if custom is not None:
        return custom[0](spec, value, parent, callback, user_data, width, node)
    value = to_widget(spec, value)
    common = dict(parent=parent, label=label, callback=callback, user_data=user_data)
    # numbers are dragged (or double-clicked to type), as Pd's number boxes: a slider's click
    # jumps to where it lands, and a click meant to type into `k` made it 49
    if kind == "float":
        lo = spec.min if spec.min is not None else -1e12
        hi = spec.max if spec.max is not None else 1e12
        return dpg.add_drag_float(default_value=value, min_value=lo, max_value=hi, speed=_speed(spec),
                                  clamped=True, width=width, format="%.5g", **common)
    if kind == "int":
        lo = int(spec.min) if spec.min is not None else -2**31
        hi = int(spec.max) if spec.max is not None else 2**31 - 1
        return dpg.add_drag_int(default_value=value, min_value=lo, max_value=hi, speed=_speed(spec, 0.2),
                                clamped=True, width=width, **common)
    if kind == "bool":
        return dpg.add_checkbox(default_value=value, **common)
    if kind == "choice":
        return dpg.add_combo([str(c) for c in spec.choices], default_value=str(value), width=width, **common)
    item = dpg.add_input_text(default_value=value, width=int(width * 1.4), on_enter=True, **common)
    if _commit_handlers is not None:
        dpg.bind_item_handler_registry(item, _commit_handlers)  # Tab or a click elsewhere commits too
    return item


_commit_handlers = None


def install_commit_handler(callback):
    """One shared handler: a text field left after an edit (Tab, a click elsewhere)
    commits like Enter does. callback(sender, item) gets the text field."""
    global _commit_handlers
    with dpg.item_handler_registry() as _commit_handlers:
        dpg.add_item_deactivated_after_edit_handler(callback=callback)


def _speed(spec, unbounded=0.01):
    """Per pixel dragged: a bounded range is crossed in about 300 pixels."""
    if spec.min is not None and spec.max is not None and spec.max - spec.min <= 1e6:
        return max(0.001, (spec.max - spec.min) / 300)
    return unbounded


def to_widget(spec, value, node=None):
    """The engine's value as the widget holds it."""
    if _custom(node, spec) is not None:
        return list(value) if isinstance(value, (list, tuple)) else value
    if spec.kind == "choice":
        return str(value)
    if spec.kind in ("text", "json", "vector"):
        return to_text(spec, value)
    return value


def from_widget(spec, raw, node=None):
    """What the widget gave back, as the param's value (ParamError if it does not parse)."""
    if _custom(node, spec) is not None:
        return [float(x) for x in raw[:2]] if spec.kind == "vector" else raw
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


def inlet_control(inlet, parent, callback, user_data, node=None, scale=1.0):
    """A button for a bang inlet, a checkbox for an on/off inlet, else None."""
    if inlet.type == "bang":
        if node is not None and node.type_id == "button":
            return dpg.add_button(label="bang", parent=parent, callback=callback, user_data=user_data,
                                  width=int(90 * scale), height=int(26 * scale))
        return dpg.add_button(label=inlet.name, parent=parent, callback=callback, user_data=user_data, small=True)
    if inlet.type == "bool":
        return dpg.add_checkbox(label=inlet.name, parent=parent, callback=callback, user_data=user_data,
                                default_value=bool(inlet.default))
    return None


# ---- custom views -------------------------------------------------------------------------

def hidden_params(node):
    """Params a node's own view stands in for on the canvas (a button's `value` is its big
    button, an xy pad's is the dot on its square)."""
    return {"value"} if node is not None and getattr(node, "type_id", "") in ("button", "xy") else set()


def update_range(item, spec, node):
    """Keep a custom widget's range in step with the params that set it."""
    custom = _custom(node, spec)
    if custom is not None and custom[1] is not None:
        custom[1](item, node)


def _custom(node, spec):
    if node is None or spec.name != "value":
        return None
    params = node.params
    if spec.kind == "float" and _number(params.get("min")) and _number(params.get("max")):
        return _make_slider, _slider_range
    if spec.kind == "vector" and all(_number(params.get(k)) for k in ("xmin", "xmax", "ymin", "ymax")):
        return _make_pad, _pad_range
    return None


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _make_slider(spec, value, parent, callback, user_data, width, node):
    lo, hi = sorted((node.params["min"], node.params["max"]))
    return dpg.add_slider_float(parent=parent, label="", default_value=value, min_value=lo, max_value=hi,
                                width=int(width * 1.4), format="%.4g", callback=callback, user_data=user_data)


def _slider_range(item, node):
    lo, hi = sorted((node.params["min"], node.params["max"]))
    dpg.configure_item(item, min_value=lo, max_value=hi)


def _pad_range(item, node):
    p = node.params
    dpg.configure_item(item, min_value=min(p["xmin"], p["xmax"], p["ymin"], p["ymax"]),
                       max_value=max(p["xmin"], p["xmax"], p["ymin"], p["ymax"]))


def _make_pad(spec, value, parent, callback, user_data, width, node):
    p = node.params
    return dpg.add_slider_floatx(parent=parent, label="x y", size=2, default_value=list(value),
                                 min_value=min(p["xmin"], p["xmax"], p["ymin"], p["ymax"]),
                                 max_value=max(p["xmin"], p["xmax"], p["ymin"], p["ymax"]),
                                 width=int(width * 1.4), format="%.3g", callback=callback, user_data=user_data)


def played(node, name):
    """Is this param's widget on the canvas played (a control's value) rather than edited?"""
    return name == "value" and hasattr(node, "live") and "in" in node.inlet_map


def show_params(items, node, ranges=False, live=None):
    """Bring param widgets ({name: item}) up to the node's values (and, with ranges, their
    limits), leaving alone a widget the person is dragging. `live`: what the engine
    reported its played params show (a control's value widget shows its live value)."""
    for name, item in items.items():
        spec = node.param_spec(name)
        if ranges:
            update_range(item, spec, node)
        if live and name in live and played(node, name):
            value = live[name]
        else:
            value = node.params.get(name)
        shown = to_widget(spec, value, node)
        if not itemstate.active(item) and not same_value(dpg.get_value(item), shown):
            dpg.set_value(item, shown)


def same_value(shown, value):
    """A widget showing `value` already? (Dear PyGui keeps floats in single precision.)"""
    if isinstance(value, list) and isinstance(shown, (list, tuple)):
        return all(same_value(a, b) for a, b in zip(shown, value))
    if isinstance(value, float) and isinstance(shown, (int, float)) and not isinstance(shown, bool):
        return math.isclose(shown, value, rel_tol=1e-6, abs_tol=1e-9)
    return shown == value
