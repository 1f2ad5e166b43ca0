"""Recording to CSV and replaying it with its original timing."""
from __future__ import annotations

import csv
import io
import math

import numpy as np

from nodegraph import BANG, Inlet, Node, NodeError, Outlet, Param, paths, register
from nodegraph.io.writer import LineWriter

TIME_COLUMN = "time_ms"
MAX_BYTES = 64 * paths.MiB  # csv.play reads a whole recording into memory


def _path(node, text, doing) -> str:
    """Relative paths start at the patch's folder, and none may leave it (nodegraph.paths)."""
    if not text.strip():
        raise NodeError(f"choose the file to {doing}: set the node's path")
    return node.resolve_path(text)


def _why(e) -> str:
    return (getattr(e, "strerror", None) or str(e)).lower()


@register("csv.record", category="record")
class CsvRecord(Node):
    """Records incoming numbers to a file (a CSV table), one row per value with its time.

    Switch `record` on to start a new take (it replaces the file) and off to
    finish it. Each row starts with the time in milliseconds since the take
    began, then the numbers of the vector. Every row is written to disk as it
    arrives (by a writer of its own: a slow disk never holds up the patch), so
    nothing is lost if the patch stops. Replay it with csv.play.
    """

    inlets = (Inlet("values", "vector", help="a vector (or number) to write as one row"),
              Inlet("record", "bool", help="on: start a new take; off: finish it"))
    params = (Param("path", "text", "", file=True, help="the CSV file to write (replaced by each take)"),)

    def setup(self):
        self._file = None
        self._t0 = 0.0
        self._rows = 0
        self._width = None
        self._recording_path = None
        self._last_writer = None

    def process(self, fired):
        if "record" in fired:
            if self.inputs["record"]:
                if self._file is None:
                    self._open()
            else:
                self._close()
        if "values" in fired and self._file is not None:
            self._write(self.inputs["values"])

    def stop(self):
        self._close()
        self.settle(5.0)  # not the real-time thread: a patch that stops has its rows on disk

    def _open(self):
        path = _path(self, self.params["path"], "record to")
        try:
            # opened here, so a refusal (a pipe, a folder, no permission) is said at once
            f = paths.open_write(path, newline="", encoding="utf-8")
        except (OSError, ValueError) as e:
            raise NodeError(f'cannot write "{path}": {_why(e)}') from None
        self._file = LineWriter(f, lambda e: self.post(self._failed, path, e))
        self._recording_path = path
        self._t0 = self.now
        self._rows = 0
        self._width = None
        self.log(f'recording to "{path}"')

    def _write(self, v):
        values = v.tolist()
        line = []
        if self._width is None:
            self._width = len(values)
            line.append(",".join([TIME_COLUMN] + [f"v{i + 1}" for i in range(len(values))]) + "\n")
        elif len(values) != self._width:
            self.log(f"row {self._rows + 1} has {len(values)} numbers where the first had {self._width}", "warning")
            self._width = len(values)
        line.append(f"{self.now - self._t0:.3f}," + ",".join(map(repr, values)) + "\n")
        self._file.write("".join(line))
        self._rows += 1

    def _failed(self, path, e):
        if self._recording_path == path:
            self._close()
        raise NodeError(f'stopped recording: cannot write to "{path}": {_why(e)}')

    def settle(self, timeout=10.0) -> bool:
        """Wait until the rows recorded so far are on disk (tests)."""
        writer = self._file or self._last_writer
        return writer is None or writer.settle(timeout)

    def _close(self):
        if self._file is not None:
            f, self._file = self._file, None
            f.close()
            self._last_writer = f
            self.log(f'recorded {self._rows} rows to "{self._recording_path}"')

    def info(self):
        return {"recording": self._file is not None, "rows": self._rows, "path": self.params["path"]}


@register("csv.play", category="record")
class CsvPlay(Node):
    """Plays a CSV recording back with its original timing, row by row, as vectors.

    A bang on `play` starts from the beginning (the first row at once), `stop`
    stops. `speed` 2 plays twice as fast; `loop` starts again after the last row.
    The first column is the time in milliseconds (as csv.record writes it), the
    others the numbers to send; a first line of column names is skipped. A row
    whose last column is text (a class name such as "setosa") sends that text out
    of `label` just before its numbers, so a recorded, labelled dataset can teach
    a learner (link `label` to its `label` inlet). Rows that fall due at the same
    moment are all sent, in order. `done` bangs at the end of every pass.
    """

    inlets = (Inlet("play", "bang", help="start from the beginning"),
              Inlet("stop", "bang", help="stop playing"))
    outlets = (Outlet("values", "vector", help="one row's numbers"),
               Outlet("done", "bang", help="the last row was sent"),
               Outlet("label", "label", help="a row's text in its last column (a class name), before its numbers"))
    params = (Param("path", "text", "", file=True, help="the CSV file to play"),
              Param("speed", "float", 1.0, min=0.01, max=100.0, help="2 = twice as fast"),
              Param("loop", "bool", False, help="start again after the last row"))

    def setup(self):
        self._times = []  # ms since the first row
        self._rows = []
        self._labels = []
        self._i = 0
        self._start = 0.0  # logical time at which the current pass began
        self._timer = None
        self._passes = 0

    def process(self, fired):
        if "stop" in fired:
            self._halt()
        if "play" in fired:
            self._halt()
            self._times, self._rows, self._labels = load_labelled(_path(self, self.params["path"], "play"))
            self._i, self._start, self._passes = 0, self.now, 0
            self._tick()

    def stop(self):
        self._halt()

    def param_changed(self, name, old):
        if name == "speed" and self._timer is not None:
            # keep the place in the recording: only what is still to come plays faster or slower
            now = self.now
            position = (now - self._start) * old
            self._start = now - position / self.params["speed"]
            self._halt()
            self._schedule_next(now)

    def _due(self, i):
        return self._start + self._times[i] / self.params["speed"]

    def _tick(self):
        self._timer = None
        now = self.now + 1e-6  # a timer fires at its due time give or take rounding
        times, rows, n = self._times, self._rows, len(self._rows)
        while self._i < n and self._due(self._i) <= now:
            label = self._labels[self._i]
            if label is not None:
                self.emit("label", label)
            self.emit("values", rows[self._i])
            self._i += 1
            if self._i == n:
                self._passes += 1
                self.emit("done", BANG)
                period = _period(times)
                if not self.params["loop"] or period <= 0:
                    return
                self._start += period / self.params["speed"]
                self._i = 0
        self._schedule_next(self.now)

    def _schedule_next(self, now):
        if self._i < len(self._rows):
            self._timer = self.schedule(max(0.0, self._due(self._i) - now), self._tick)

    def _halt(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def info(self):
        n = len(self._rows)
        return {"playing": self._timer is not None, "row": self._i, "rows": n,
                "progress": self._i / n if n else 0.0, "passes": self._passes}


def _period(times) -> float:
    """A loop's length: the recording plus one average gap, so the last row and the
    first row of the next pass do not land on the same moment."""
    if len(times) < 2:
        return 0.0
    return times[-1] + times[-1] / (len(times) - 1)


def load(path):
    """(times in ms from the first row, rows as vectors) from a CSV recording; NodeError if unreadable."""
    times, rows, _ = load_labelled(path)
    return times, rows


def load_labelled(path):
    """load(), plus each row's label: the text in its last column, or None."""
    try:
        text = paths.read_bytes(path, MAX_BYTES).decode("utf-8")
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except FileNotFoundError:
        raise NodeError(f'cannot play "{path}": there is no such file') from None
    except (OSError, ValueError, csv.Error) as e:  # UnicodeDecodeError is a ValueError
        reason = _why(e) if isinstance(e, OSError) or type(e) is ValueError else "it is not a readable CSV text file"
        raise NodeError(f'cannot play "{path}": {reason}') from None
    times, rows, labels, first = [], [], [], True
    for number, cells in enumerate(lines, 1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if first:
            first = False
            try:
                float(cells[0])
            except ValueError:
                continue  # the column names
        label = None
        if len(cells) > 2 and cells[-1] and not _is_number(cells[-1]):
            label, cells = cells[-1], cells[:-1]
        try:
            numbers = [float(c) for c in cells]
        except ValueError:
            # which column, not what it holds: an error message never quotes a file's contents
            column = next(i for i, c in enumerate(cells, 1) if not _is_number(c))
            raise NodeError(f'cannot play "{path}": line {number}, column {column} is not a number') from None
        t = numbers[0]
        if not math.isfinite(t):
            raise NodeError(f'cannot play "{path}": line {number}: the time is {cells[0]}')
        if len(numbers) < 2:
            raise NodeError(f'cannot play "{path}": line {number} has a time but no values')
        if times and t < times[-1]:
            raise NodeError(f'cannot play "{path}": line {number}: the time goes back ({cells[0]} after {times[-1]:g})')
        times.append(t)
        rows.append(np.array(numbers[1:], dtype=np.float64))
        labels.append(label)
    if not rows:
        raise NodeError(f'cannot play "{path}": it has no rows')
    t0 = times[0]
    return [t - t0 for t in times], rows, labels


def _is_number(text) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
