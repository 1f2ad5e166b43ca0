"""A text file written by a thread of its own: the scheduler thread hands it lines and never
waits for a disk (a slow or full disk stalls the writer, not the patch)."""
from __future__ import annotations

import queue
import threading

_CLOSE = object()


class LineWriter:
    """Writes what `write` is given to the open file `f`, in order, flushed after each batch
    (a crash or a kill loses at most the lines still queued). `on_error(exception)` is
    called once, from the writer's thread, if the file cannot be written; what follows is
    dropped."""

    def __init__(self, f, on_error):
        self._f, self._on_error = f, on_error
        self._queue = queue.SimpleQueue()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="nodegraph-writer", daemon=True)
        self._thread.start()

    def write(self, text: str):
        self._idle.clear()
        self._queue.put(text)

    def close(self):
        """Finish what is queued, then close; returns at once."""
        self._idle.clear()
        self._queue.put(_CLOSE)

    def settle(self, timeout=10.0) -> bool:
        """Wait until everything written so far is on disk (tests, and a patch that stops)."""
        return self._idle.wait(timeout)

    def _run(self):
        failed = False
        while True:
            batch = [self._queue.get()]
            while True:  # everything waiting, in one write and one flush
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            closing = batch[-1] is _CLOSE
            lines = [t for t in batch if t is not _CLOSE]
            if not failed and lines:
                try:
                    self._f.write("".join(lines))
                    self._f.flush()
                except (OSError, ValueError) as e:
                    failed = True
                    self._on_error(e)
            if closing or _CLOSE in batch:
                try:
                    self._f.close()
                except OSError:
                    pass
                self._idle.set()
                return
            if self._queue.empty():
                self._idle.set()
