"""What the editor remembers between runs: recent files and crash-recovery copies.

Everything lives in one folder ($NODEGRAPH_STATE_DIR, else $XDG_STATE_HOME/nodegraph,
else ~/.local/state/nodegraph). A recovery copy is the patch as plain JSON plus the
file it belongs to and the process that wrote it: it is offered when that process is
gone (a crash) and the copy is newer than the file.
"""
from __future__ import annotations

import hashlib
import json
import os
import time

from .. import detached, patchfile

RECENT_MAX = 10
CLOCK_SLACK = 2.0  # seconds


def state_dir() -> str:
    path = os.environ.get("NODEGRAPH_STATE_DIR")
    if not path:
        base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
        path = os.path.join(base, "nodegraph")
    return path


def _write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    detached.run(_dump, path, data)  # an autosave must not stall the patch while it plays


def _dump(path, data):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# ---- recent files ---------------------------------------------------------------------

def recent_files() -> list[str]:
    data = _read_json(os.path.join(state_dir(), "recent.json"))
    if not isinstance(data, list):
        return []
    return [p for p in data if isinstance(p, str)][:RECENT_MAX]


def add_recent(path: str) -> list[str]:
    path = os.path.abspath(path)
    files = [path] + [p for p in recent_files() if p != path]
    files = files[:RECENT_MAX]
    try:
        _write_json(os.path.join(state_dir(), "recent.json"), files)
    except OSError:
        pass  # a read-only home must not stop anyone from working
    return files


# ---- how often each node type is made (the object box offers the usual ones first) ----

def type_uses() -> dict[str, int]:
    data = _read_json(os.path.join(state_dir(), "uses.json"))
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int) and v > 0}


def save_type_uses(uses: dict[str, int]):
    try:
        _write_json(os.path.join(state_dir(), "uses.json"), uses)
    except OSError:
        pass


# ---- recovery -------------------------------------------------------------------------

def recovery_path(patch_path: str | None) -> str:
    key = "untitled" if not patch_path else hashlib.sha1(
        os.path.abspath(patch_path).encode("utf-8")).hexdigest()[:16]
    return os.path.join(state_dir(), "recovery", f"{key}.json")


def write_recovery(patch_path: str | None, doc: dict):
    _write_json(recovery_path(patch_path), {
        "source": os.path.abspath(patch_path) if patch_path else None,
        "pid": os.getpid(), "time": time.time(), "patch": doc})


def discard_recovery(patch_path: str | None):
    try:
        os.unlink(recovery_path(patch_path))
    except OSError:
        pass


def find_recovery(patch_path: str | None):
    """The recovery record left by a crashed editor for this file, or None.

    A record whose writer is still running is another open editor's, not a crash.
    A record older than the file was superseded by a later save.
    """
    record = _read_json(recovery_path(patch_path))
    if not isinstance(record, dict) or not isinstance(record.get("patch"), dict):
        return None
    pid = record.get("pid")
    if isinstance(pid, int) and pid != os.getpid() and _alive(pid):
        return None
    if patch_path and os.path.exists(patch_path):
        # (a little slack: a file system's clock may run ahead of ours)
        if os.path.getmtime(patch_path) > record.get("time", 0) + CLOCK_SLACK:
            return None
    return record


def check_recovered(record) -> dict:
    """The recovered patch document, checked like any file (PatchError if damaged)."""
    return patchfile.check_doc(record["patch"], "the recovery copy")


def _alive(pid: int) -> bool:
    """Is the editor that wrote a recovery copy still running? (A pid may have been reused
    by an unrelated program since: only a Python process counts.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            if f.read().rsplit(b")", 1)[-1].split()[:1] == [b"Z"]:
                return False  # exited, not yet reaped: a crash
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except OSError:
        return True  # no /proc here: trust the signal check
    if not cmdline:
        return True  # between fork and exec: cannot tell yet
    return b"nodegraph" in cmdline or b"python" in cmdline
