"""The console: print output, errors and I/O activity, for the terminal and the editor.

Nodes write here from the scheduler thread, so writing must never wait: a line
goes into a ring of recent lines and to listeners that only queue it. A terminal
is served by a Printer on its own thread; a closed or blocked stdout drops lines
(and counts them) instead of stopping the patch.
"""
from __future__ import annotations

import os
import queue
import sys
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
        """fn(line) is called on the writer's thread (often the scheduler's): it must not block."""
        with self._lock:
            self._listeners.append(fn)
        return lambda: self._listeners.remove(fn)

    def texts(self, level=None):
        with self._lock:
            return [line.text for line in self.lines if level is None or line.level == level]


class Printer:
    """Prints console lines to a stream from its own thread.

    put() never blocks: when the stream is slower than the patch (nobody reads the
    pipe) the queue fills and further lines are dropped and counted; when the stream
    is closed (`nodegraph run … | head -1`) printing stops and the patch runs on.
    """

    def __init__(self, stream=None, backlog=10_000, format=str):
        self.stream = stream if stream is not None else sys.stdout
        self.format = format
        self.dropped = 0
        self.closed = False
        self._queue = queue.Queue(backlog)
        self._thread = threading.Thread(target=self._loop, name="nodegraph-printer", daemon=True)
        self._thread.start()

    def put(self, line):
        if self.closed:
            self.dropped += 1
            return
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            self.dropped += 1

    def _loop(self):
        while True:
            line = self._queue.get()
            if line is None:
                return
            try:
                self.stream.write(f"{self.format(line)}\n")
                self.stream.flush()
            except (OSError, ValueError):  # a closed pipe or stream: stop, keep counting
                self.closed = True
                self._silence()
                while True:
                    try:
                        if self._queue.get_nowait() is None:
                            return
                    except queue.Empty:
                        break
                    self.dropped += 1
                self.dropped += 1

    def _silence(self):
        """Point the stream's descriptor at /dev/null, so the interpreter's own flush at exit
        does not fail on the closed pipe with a traceback."""
        try:
            fd = self.stream.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def close(self, timeout=1.0):
        """Print what is queued (waiting at most `timeout` s), then stop."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)
