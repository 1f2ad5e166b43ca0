"""The console: print output, errors and I/O activity, for the terminal and the editor."""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import NamedTuple


class Line(NamedTuple):
    time: float
    node: str | None
    level: str  # info, warning, error
    text: str

    def __str__(self):
        who = f"{self.node}: " if self.node else ""
        return f"{who}{self.text}" if self.level == "info" else f"[{self.level}] {who}{self.text}"


class Console:
    def __init__(self, keep=2000):
        self.lines = deque(maxlen=keep)
        self._listeners = []
        self._lock = threading.Lock()

    def write(self, text, node=None, level="info"):
        line = Line(time.time(), node, level, str(text))
        with self._lock:
            self.lines.append(line)
            listeners = list(self._listeners)
        for fn in listeners:
            fn(line)

    def subscribe(self, fn):
        with self._lock:
            self._listeners.append(fn)
        return lambda: self._listeners.remove(fn)

    def texts(self, level=None):
        with self._lock:
            return [line.text for line in self.lines if level is None or line.level == level]
