"""Asking a Dear PyGui item how it is (hovered, active, focused, shown) without crashing.

Dear PyGui's `is_item_active(item)` and friends index the item's state dict: an item
type without that state (a window is never "active", a menu item has no "hovered")
raises KeyError, and an item deleted since raises a bare Exception. Whatever was
focused, hovered or deleted a frame ago can be any of these, so every such question in
the editor goes through here: no such state is "no".
"""
from __future__ import annotations

import dearpygui.dearpygui as dpg


def state(item, key: str) -> bool:
    """The item's `key` state ("hovered", "active", "focused", "visible"...); False when
    the item is gone or its type has no such state."""
    if not item or not dpg.does_item_exist(item):
        return False
    return bool(dpg.get_item_state(item).get(key, False))


def active(item) -> bool:
    return state(item, "active")


def hovered(item) -> bool:
    return state(item, "hovered")


def shown(item) -> bool:
    """Is the item set to show (a configuration, not a state; False once deleted)."""
    if not item or not dpg.does_item_exist(item):
        return False
    return bool(dpg.get_item_configuration(item).get("show", False))


def typing() -> bool:
    """True while a text field (or a dragged widget) has the keyboard."""
    return active(dpg.get_focused_item())
