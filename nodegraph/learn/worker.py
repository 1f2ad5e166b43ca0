"""Training away from the scheduler: a worker process, and the client that feeds it.

Why a process: fitting runs long stretches of Python (scikit-learn's MLP loop,
tree building) that hold the GIL, and a thread doing that would stall the
scheduler thread for milliseconds at a time. The worker is a fresh interpreter
(`python -m nodegraph.learn.worker`, started with subprocess: no fork of a
threaded process, and, unlike multiprocessing's spawn, it never re-imports the
user's main script). It runs at a lower priority with one BLAS thread, so the
real-time path keeps a core.

The pipes carry `wire` messages: JSON headers and raw numpy arrays only. Jobs
run one after another; a job can be cancelled (a newer training replaced it).
If the worker cannot start, jobs run on a background thread instead. A kNN's fit (a
scaled copy of the data, numpy only: fit.in_process) is done on a thread of this process:
the pipes would take longer than the fit; its score still goes to the worker.

Run as a script, this module is the worker.
"""
from __future__ import annotations

import atexit
import itertools
import os
import queue
import subprocess
import sys
import threading

from . import fit as fitting
from . import jobs, wire

_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "NUMEXPR_NUM_THREADS")


class Trainer:
    """Client side: submit(header, arrays, callback) -> job id; callback(event_header, arrays)
    is called on a helper thread for every event of that job, ending with "done" or "error"."""

    def __init__(self, inline=False):
        self.inline = inline or os.environ.get("NODEGRAPH_TRAIN_INLINE") == "1"
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._callbacks = {}
        self._proc = None
        self._outbox = None
        self._inline_queue = None
        self._here = None  # fits done in this process (fitting.in_process), one after another
        self._cancelled = set()
        self.restarts = 0

    # ---- API -------------------------------------------------------------------------

    def submit(self, header, arrays, callback):
        job_id = next(self._ids)
        header = dict(header, id=job_id)
        here = header.get("kind") == "train" and not header.get("skip_fit") and fitting.in_process(header["spec"])
        with self._lock:
            self._callbacks[job_id] = callback
            if here:
                if self._here is None:
                    self._here = queue.Queue()
                    threading.Thread(target=self._here_loop, name="nodegraph-fit", daemon=True).start()
                self._here.put((header, arrays))
            else:
                self._send(header, arrays)
        return job_id

    def _send(self, header, arrays):
        """To the worker (or the thread standing in for it); under the lock."""
        self._ensure()
        if self._proc is not None:
            self._outbox.put((header, arrays))
        else:
            self._inline_queue.put((header, arrays))

    def _here_loop(self):
        """A kNN's fit is a scaled copy of the data: the same job, its fit done here and its
        model out at once; the score (cross-validation, long) then goes to the worker as the
        rest of the job, which ends it."""
        while True:
            header, arrays = self._here.get()
            job_id = header["id"]
            scored = int(header.get("folds", 5)) >= 2

            def emit(h, a, job_id=job_id, scored=scored):
                if not (scored and h["event"] == "done"):
                    self._deliver(dict(h, id=job_id), a)
            if job_id in self._callbacks:  # (not cancelled meanwhile)
                jobs.run(dict(header, folds=0), arrays, emit, lambda: job_id not in self._callbacks)
            with self._lock:
                if scored and job_id in self._callbacks:  # an error ended it: nothing to score
                    self._send(dict(header, skip_fit=True), arrays)

    def cancel(self, job_id):
        with self._lock:
            self._callbacks.pop(job_id, None)
            if self._proc is not None:
                self._outbox.put(({"cancel": job_id}, {}))
            else:
                self._cancelled.add(job_id)

    def warm(self):
        """Start the worker now, so the first training does not wait for it."""
        with self._lock:
            self._ensure()

    @property
    def pid(self):
        proc = self._proc
        return proc.pid if proc is not None else None

    def close(self):
        with self._lock:
            proc, self._proc = self._proc, None
            if self._outbox is not None:
                self._outbox.put(None)
        if proc is not None:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()

    # ---- the process -------------------------------------------------------------------

    def _ensure(self):
        if self._proc is not None and self._proc.poll() is None:
            return
        if not self.inline:
            try:
                self._start_process()
                return
            except OSError:
                self.inline = True  # no subprocess here: fall back to a thread
        if self._inline_queue is None:
            self._inline_queue = queue.Queue()
            threading.Thread(target=self._inline_loop, name="nodegraph-train", daemon=True).start()

    def _start_process(self):
        env = dict(os.environ)
        for name in _THREAD_ENV:
            env[name] = "1"
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join([root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        proc = subprocess.Popen([sys.executable, "-m", "nodegraph.learn.worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, env=env, close_fds=True)
        self._proc = proc
        self._outbox = outbox = queue.Queue()
        threading.Thread(target=self._send_loop, args=(proc, outbox), name="nodegraph-train-send",
                         daemon=True).start()
        threading.Thread(target=self._receive_loop, args=(proc,), name="nodegraph-train-receive",
                         daemon=True).start()

    def _send_loop(self, proc, outbox):
        while True:
            item = outbox.get()
            if item is None:
                break
            try:
                wire.write(proc.stdin, *item)
            except (OSError, ValueError):
                break
        try:
            proc.stdin.close()
        except OSError:
            pass

    def _receive_loop(self, proc):
        while True:
            try:
                header, arrays = wire.read(proc.stdout)
            except (EOFError, OSError, ValueError):
                break
            self._deliver(header, arrays)
        # the worker is gone: every job still waiting hears so, and the next job starts a new one
        with self._lock:
            if self._proc is proc:
                self._proc = None
                self.restarts += 1
            orphans = list(self._callbacks.items()) if self._proc is None else []
            for job_id, _ in orphans:
                self._callbacks.pop(job_id, None)
        for job_id, callback in orphans:
            _call(callback, {"event": "error", "id": job_id,
                             "message": "the training process stopped; train again"}, {})

    def _deliver(self, header, arrays):
        job_id = header.get("id")
        final = header.get("event") in ("done", "error")
        with self._lock:
            callback = self._callbacks.pop(job_id, None) if final else self._callbacks.get(job_id)
        if callback is not None:
            _call(callback, header, arrays)

    def _inline_loop(self):
        while True:
            header, arrays = self._inline_queue.get()
            job_id = header["id"]
            if job_id in self._cancelled:
                continue

            def emit(h, a, job_id=job_id):
                self._deliver(dict(h, id=job_id), a)

            jobs.run(header, arrays, emit, lambda: job_id in self._cancelled)


def _call(callback, header, arrays):
    try:
        callback(header, arrays)
    except Exception as e:  # a node's callback failing must not kill the receiver
        print(f"nodegraph: training callback failed: {type(e).__name__}: {e}", file=sys.stderr)


_default = None
_default_lock = threading.Lock()


def trainer() -> Trainer:
    """The process-wide trainer (one worker serves every learner)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Trainer()
            atexit.register(_default.close)
        return _default


# ---- the worker process ------------------------------------------------------------------

def main():
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = os.fdopen(os.dup(0), "rb")
    try:
        os.nice(10)  # the patch's real-time path comes first
    except OSError:
        pass
    todo = queue.Queue()
    cancelled = set()

    def read_loop():
        while True:
            try:
                header, arrays = wire.read(inp)
            except (EOFError, OSError, ValueError):
                todo.put(None)
                return
            if "cancel" in header:
                cancelled.add(header["cancel"])
            else:
                todo.put((header, arrays))

    threading.Thread(target=read_loop, daemon=True).start()
    write_lock = threading.Lock()

    def send(header, arrays):
        with write_lock:
            wire.write(out, header, arrays)

    _preload()
    while True:
        item = todo.get()
        if item is None:
            break
        header, arrays = item
        job_id = header["id"]
        if job_id in cancelled:
            continue

        def emit(h, a, job_id=job_id):
            send(dict(h, id=job_id), a)

        try:
            jobs.run(header, arrays, emit, lambda: job_id in cancelled)
        except (BrokenPipeError, OSError):
            break


def _preload():
    """Import the heavy modules while the patch is still being set up."""
    import sklearn.ensemble  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import sklearn.neural_network  # noqa: F401
    import sklearn.svm  # noqa: F401


if __name__ == "__main__":
    main()
