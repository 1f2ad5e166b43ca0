"""Work that would hold the interpreter lock too long, done in a copy of this process.

Turning a 10,000-example patch into JSON is a quarter of a second of Python. Done on
any thread of this process it holds the lock the scheduler thread needs, so a live
stream stalls for as long. On Linux, run(fn) forks: the copy shares the document's
memory, does the work and exits; this thread waits for it without the lock. Elsewhere
(no fork, or a fork that is not safe with threads) fn runs here.
"""
from __future__ import annotations

import os
import sys
import threading

from .errors import PatchError


def run(fn, *args):
    """fn(*args) in a forked copy when other threads are running (Linux); its OSError or
    PatchError is raised here, as if it had run here."""
    if not sys.platform.startswith("linux") or threading.active_count() < 2:
        return fn(*args)
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return fn(*args)
    if pid == 0:  # the copy: do it, say why not if it cannot, leave without cleanup
        status = 0
        try:
            os.close(read_end)
            # the copy is background work: on a busy machine the patch's own threads come first
            os.nice(10)
            fn(*args)
        except BaseException as e:
            status = 1
            try:
                os.write(write_end, f"{type(e).__name__}\0{getattr(e, 'errno', '') or ''}\0{e}".encode()[:4000])
            except BaseException:
                pass
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        problem = f.read()  # the copy's words, if any: returns when it exits
    _, status = os.waitpid(pid, 0)
    if status == 0:
        return None
    kind, errno, text = (problem.decode(errors="replace").split("\0", 2) + ["", "", ""])[:3]
    if kind == "PatchError":
        raise PatchError(text)
    raise OSError(int(errno) if errno.isdigit() else None, text or "could not be written")
