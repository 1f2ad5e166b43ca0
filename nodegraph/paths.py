"""Files a patch may touch, and opening them without hanging.

A patch is input from a stranger, so a path in a node is confined: it resolves
inside the patch's folder (subfolders such as `data/` included). Absolute
paths, `~`, `..` and symlinks are followed first and then judged by where they
really lead, so none of them gets out. An unsaved patch has no folder: its
files live in the per-user data folder (`data_dir()`). `nodegraph run
--allow-path DIR` adds folders a patch may use as well.

Only regular files are read or written, and they are opened with O_NONBLOCK:
a named pipe, /dev/zero or a directory is refused at once instead of blocking
the thread that opens it or filling memory.
"""
from __future__ import annotations

import os
import stat

from .errors import NodeError, PatchError

MiB = 1024 * 1024
# the example patches: beside the package in a source checkout (an editable install), not inside it
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "patches")


def data_dir() -> str:
    """Where an unsaved patch's files live ($NODEGRAPH_DATA_DIR, else
    $XDG_DATA_HOME/nodegraph, else ~/.local/share/nodegraph)."""
    path = os.environ.get("NODEGRAPH_DATA_DIR")
    if not path:
        base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
        path = os.path.join(base, "nodegraph")
    return path


def roots(host) -> list[str]:
    """The folders a running patch may use: its own (or the data folder) and any allowed."""
    base = getattr(host, "base_dir", None)
    if base is None:
        base = data_dir()
        try:
            os.makedirs(base, exist_ok=True)  # an unsaved patch's first recording needs it
        except OSError:
            pass  # opening the file will say why
    return [base, *getattr(host, "allowed_dirs", ())]


def confine(path: str, folders) -> str:
    """`path` resolved (relative paths start at the first folder); NodeError if it
    leads outside every folder. The message names the path as written."""
    try:
        folders = [os.path.realpath(f) for f in folders]
        full = os.path.realpath(os.path.join(folders[0], os.path.expanduser(path)))
    except ValueError:  # a NUL character
        raise NodeError(f"the path {path!r} holds a character no file name can") from None
    for folder in folders:
        if os.path.commonpath([full, folder]) == folder:
            return full
    raise NodeError(f'the path "{path}" leads outside the patch\'s folder ({folders[0]}); '
                    f"a patch may only use files in its own folder")


def resolve(node, path: str) -> str:
    """A path in `node` as the patch means it, confined to the patch's folders."""
    return confine(path, roots(node.host))


def check_graph(graph, folders) -> list[str]:
    """One sentence for each file param in `graph` that leads outside `folders`."""
    found = []
    for node_id in sorted(graph.nodes):
        node = graph.nodes[node_id]
        for p in type(node).params:
            if getattr(p, "file", False) and node.params.get(p.name):
                try:
                    confine(node.params[p.name], folders)
                except NodeError as e:
                    found.append(f"node '{node_id}' ({node.type_id}): param '{p.name}': {e}")
    return found


def _kind(mode) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _open_regular(path, flags, follow=False):
    """An fd on a regular file, opened without blocking; OSError or ValueError(why).
    A node's path was judged with its symlinks resolved: unless `follow`, one that
    appears since (a swap) is refused rather than followed out of the folder."""
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"it is {_kind(mode)}, not a file")
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path, limit: int, follow=False) -> bytes:
    """The whole of a regular file of at most `limit` bytes.
    Raises OSError, or ValueError with a reason a person can read."""
    fd = _open_regular(path, os.O_RDONLY, follow)
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"it is larger than {limit // MiB} MB")
    return data


def open_write(path, **kw):
    """A regular file opened for writing text (created, or emptied if it exists).
    Raises OSError, or ValueError with a reason."""
    # not O_TRUNC: a named pipe or device must be refused before anything is done to it
    fd = _open_regular(path, os.O_WRONLY | os.O_CREAT)
    try:
        os.ftruncate(fd, 0)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "w", **kw)


def read_patch(path, limit: int = 256 * MiB) -> bytes:
    """A patch file's bytes; PatchError with the reason if it is not a readable file."""
    try:
        return read_bytes(path, limit, follow=True)  # the person chose this file: a symlink is theirs
    except OSError as e:
        raise PatchError(f"{path}: cannot read the file ({e.strerror or e})") from None
    except ValueError as e:
        raise PatchError(f"{path}: cannot read the file ({e})") from None
