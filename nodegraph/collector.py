"""Python's garbage collector, kept out of a playing patch's way.

The collector starts a full collection unasked, from whichever thread allocates, and holds
the interpreter while it walks every object it sees: 45-65 ms with the program loaded, a
stall a live stream hears. While anything plays (a patch on its thread, a sound stream),
what exists is frozen out of its sight (gc.freeze); once the last of them has stopped, the
collector sees everything again. Freezing is the whole process's, so all of them share it.
"""
from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_holders = set()


def hold(holder):
    """`holder` plays: what exists now is out of the collector's sight (again, if it was)."""
    with _lock:
        _holders.add(holder)
        gc.freeze()


def release(holder):
    """`holder` stopped: when nothing plays, what was held may be garbage now."""
    with _lock:
        if holder in _holders:
            _holders.discard(holder)
            if not _holders:
                gc.unfreeze()
