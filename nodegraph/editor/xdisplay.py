"""Is there a screen to draw on? Dear PyGui aborts the whole process (no exception)
when it has none, so the editor asks first; a screenshot can bring its own Xvfb."""
from __future__ import annotations

import os
import shutil
import subprocess
import time

from ..errors import NodegraphError


def have_display() -> bool:
    display = os.environ.get("DISPLAY", "")
    if not display:
        return False  # the GLFW inside Dear PyGui draws through X11 (XWayland sets DISPLAY too)
    host, _, rest = display.partition(":")
    if host and host not in ("unix", "localhost"):
        return True  # a remote display: only X itself can tell
    number = rest.split(".")[0]
    return os.path.exists(f"/tmp/.X11-unix/X{number}") or host == "localhost"


def screen_size():
    """(width, height) of the X screen the editor draws on, or None if it cannot be asked
    (no libX11, another windowing system): the largest a window should grow to."""
    import ctypes
    import ctypes.util
    name = ctypes.util.find_library("X11")
    if not name or not have_display():
        return None
    try:
        x11 = ctypes.CDLL(name)
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
        x11.XDisplayWidth.argtypes = x11.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        display = x11.XOpenDisplay(None)
        if not display:
            return None
        try:
            screen = x11.XDefaultScreen(display)
            return int(x11.XDisplayWidth(display, screen)), int(x11.XDisplayHeight(display, screen))
        finally:
            x11.XCloseDisplay(display)
    except (OSError, AttributeError):
        return None


def require_display(what="the editor"):
    if not have_display():
        raise NodegraphError(f"{what} needs a screen, and DISPLAY is not set or not reachable. "
                             f"On a machine with no screen, run it under a virtual one: "
                             f"xvfb-run -a -s '-screen 0 1280x800x24' nodegraph ...")


class PrivateXvfb:
    """A virtual screen for one screenshot, on a free display number, stopped afterwards."""

    def __init__(self, width=1280, height=800):
        self.size = (width, height)
        self.proc = None
        self.old = None

    def __enter__(self):
        exe = shutil.which("Xvfb")
        if exe is None:
            raise NodegraphError("no screen (DISPLAY is not set) and Xvfb is not installed; "
                                 "install the xvfb package or run under a display")
        read, write = os.pipe()
        w, h = self.size
        self.proc = subprocess.Popen([exe, "-displayfd", str(write), "-screen", "0", f"{w}x{h}x24",
                                      "-nolisten", "tcp"], pass_fds=(write,),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        number = b""
        deadline = time.monotonic() + 10
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            chunk = os.read(read, 16)
            if not chunk:
                break
            number += chunk
        os.close(read)
        if not number.strip():
            self.proc.kill()
            raise NodegraphError("Xvfb did not start")
        self.old = os.environ.get("DISPLAY")
        os.environ["DISPLAY"] = f":{number.decode().strip()}"
        return self

    def __exit__(self, *exc):
        if self.old is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = self.old
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
