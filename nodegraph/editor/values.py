"""Short texts for live values and node info: what fits on a node and reads at a glance."""
from __future__ import annotations

import math
import re
import textwrap

import numpy as np

from ..types import BANG

WIDTH = 28  # characters of a value shown on a node
DIGITS = 3  # significant digits of a number shown
DECIMALS = 5  # at most: smaller values read as 0.00002 or 0, never as 1.71e-05


def short(v, width: int = WIDTH) -> str:
    if v is BANG:
        return "bang"
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "on" if v else "off"
    if isinstance(v, (float, np.floating)):
        return number(float(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, str):
        return _cut(v.replace("\n", " "), width)
    if isinstance(v, np.ndarray) or isinstance(v, (list, tuple)):
        flat = np.asarray(v).reshape(-1) if isinstance(v, np.ndarray) else list(v)
        size = len(flat)
        parts, used = [], 0
        for x in list(flat[:16]):
            text = short(x.item() if isinstance(x, np.generic) else x, width)
            if used + len(text) + 1 > width - 6:
                break
            parts.append(text)
            used += len(text) + 1
        more = f" …({size})" if len(parts) < size else ""
        return "[" + " ".join(parts) + "]" + more
    if isinstance(v, dict):
        return _cut("{" + ", ".join(f"{k}: {short(x, 8)}" for k, x in list(v.items())[:4]) + "}", width)
    if hasattr(v, "type") and hasattr(v, "bytes"):  # a mido message
        return _cut(_midi(v), width)
    if type(v).__str__ is not object.__str__:  # a value that says what it is (a learner's snapshot)
        try:
            return _cut(str(v).replace("\n", " "), max(width, 32))
        except Exception:
            pass
    return _cut(type(v).__name__, width)


_MIDI_SHORT = {"control_change": ("cc", "control", "value"), "note_on": ("note on", "note", "velocity"),
               "note_off": ("note off", "note", "velocity"), "polytouch": ("touch", "note", "value"),
               "pitchwheel": ("bend", "pitch", None), "aftertouch": ("touch", "value", None),
               "program_change": ("program", "program", None)}


def _midi(msg) -> str:
    """A MIDI message as a musician reads it: "cc 21 = 64 ch 1", "note on 60 vel 100 ch 1"
    (mido's own text, "control_change channel=0 control=21 value=64 time=0", widened
    every node it was shown on)."""
    short_form = _MIDI_SHORT.get(msg.type)
    if short_form is None:
        return str(msg).replace(" time=0", "")
    name, a, b = short_form
    text = f"{name} {getattr(msg, a)}"
    if b is not None:
        text += f" vel {msg.velocity}" if b == "velocity" else f" = {getattr(msg, b)}"
    return text + f" ch {msg.channel + 1}"


def same_reading(a, b) -> bool:
    """Would a person read `a` and `b` as the same value (an info key repeating an outlet,
    perhaps rounded)?"""
    if short(a) == short(b):
        return True
    try:
        x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return x.shape == y.shape and x.size > 0 and bool(np.allclose(x, y, rtol=1e-3, atol=1e-6))


def number(x: float) -> str:
    """A number as a person reads it at a glance: 3 significant digits, whole numbers
    kept whole, no trailing zeros, never e-notation (0.333, 12.3, 440, 1235, 0.00002, 0)."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 1e15:
        return f"{x:.3g}"  # (no one reads 16 digits either)
    if x.is_integer():
        return str(int(x))
    decimals = min(DECIMALS, max(0, DIGITS - 1 - math.floor(math.log10(abs(x)))))
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


HIDDEN = {"value", "count"}  # raw data a view may draw; as text they only repeat "text"
KEEP_ZERO = {"count", "examples", "received", "sent", "value"}  # a zero here is news; elsewhere noise
MAX_LINES = 8
TEXT_LINES = 5
FIRST = ("text", "mode", "counts", "score", "status", "training")  # what a glance should catch first


def wrap(line: str, width: int) -> list:
    """A line wrapped to `width` characters, never inside brackets ("(5 folds)" stays whole)."""
    kept = re.sub(r"\([^()]{1,24}\)", lambda m: m.group(0).replace(" ", "\u00a0"), line)
    return [part.replace("\u00a0", " ") for part in textwrap.wrap(kept, width, subsequent_indent="  ")] or [""]


ITEM = re.compile(r"^(`[^`]+`:|[-•*] |\s)")  # a line that starts an item of its own: "`uniform`: ..."


def reflow(text: str, width: float, measure=len) -> str:
    """Help text wrapped to `width` on spaces only, never inside a word ("ml.classify",
    "0..1" and "e.g." stay whole; a word longer than the width gets a line of its own).

    The docstring's own line breaks inside a paragraph are dropped (they were made for an
    editor 80 characters wide); blank lines and lines that start an item are kept, and an
    indented line's continuation lines keep its indent. `measure` gives a line's width in
    the same unit as `width` (characters, or pixels)."""
    lines = []
    for block in text.split("\n\n"):
        paragraphs = []
        for line in block.split("\n"):
            if paragraphs and line.strip() and not ITEM.match(line):
                paragraphs[-1] += " " + line.strip()
            else:
                paragraphs.append(line.rstrip())
        for paragraph in paragraphs:
            indent = paragraph[:len(paragraph) - len(paragraph.lstrip())]
            line = ""
            for word in paragraph.split():
                if line and measure(line + " " + word) > width:
                    lines.append(line)
                    line = indent + word
                else:
                    line = f"{line} {word}" if line else indent + word
            lines.append(line)
        lines.append("")
    return "\n".join(lines[:-1])


def info_lines(info: dict, width: int = 34, skip=(), max_lines: int = MAX_LINES, everything: bool = False):
    """(lines of text, progress in 0..1 or None) for a node's info() dict.

    Known keys read naturally: text as is (wrapped), examples per label, progress as
    a bar, the score; any other plain value as "key: value", so new node types show
    something without the editor knowing them. Empty values, zero counters and keys in
    `skip` (the node's params, already shown as widgets) are left out. A node may
    name the keys worth showing on it in info["show"]; `everything` (the inspector)
    shows the rest too.
    """
    lines, progress = [], None
    if not isinstance(info, dict):
        return lines, progress
    counts = info.get("counts")
    chosen = info.get("show")
    keys = [k for k in info if k != "show" and (everything or not isinstance(chosen, (list, tuple)) or k in chosen)]
    order = sorted(keys, key=lambda k: FIRST.index(k) if k in FIRST else len(FIRST))
    for key in order:
        value = info[key]
        if key in skip or value is None or value is False or (isinstance(value, (str, list, tuple, dict)) and not value
                                                              and key != "counts"):
            continue
        if key == "text":
            text_lines = []
            for line in str(value).splitlines():
                text_lines.extend(wrap(line, width))
            if len(text_lines) > TEXT_LINES and not everything:  # the rest is in the inspector: say so
                text_lines = text_lines[:TEXT_LINES - 1] + [text_lines[TEXT_LINES - 1].rstrip() + " …"]
            lines.extend(text_lines)
        elif key == "progress":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                progress = min(1.0, max(0.0, float(value)))
        elif key == "counts" and isinstance(value, dict):
            total = sum(v for v in value.values() if isinstance(v, (int, float)))
            body = " · ".join(f"{k}: {short(v, 8)}" for k, v in list(value.items())[:8])
            more = " …" if len(value) > 8 else ""
            text = f"{short(total)} example{'' if total == 1 else 's'}" + (f" ({body}{more})" if body else "")
            lines.extend(wrap(text, width)[:3])
        elif key == "examples" and isinstance(counts, dict):
            continue  # the counts line says it, per label
        elif key in HIDDEN and "text" in info:
            continue
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0 and key not in KEEP_ZERO:
            continue
        elif isinstance(value, dict):
            body = ", ".join(f"{k} {short(x, 10)}" for k, x in list(value.items())[:4])
            lines.append(_cut(f"{key}: {body}", width))
        elif value is True:
            lines.append(key)
        else:
            lines.append(_cut(f"{key}: {short(value, width)}", width))
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [f"… {len(lines) - max_lines + 1} more in the inspector"]
    return lines, progress
