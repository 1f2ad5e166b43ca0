"""MIDI ports for the engine: which MIDI system, finding ports by name, reading, reconnecting.

No GUI and no node classes here (those are in nodes/midi.py). python-rtmidi opens
the ports; mido parses and builds the messages.

The MIDI system: JACK when a JACK server answers (Linux; on machines without ALSA,
such as CI, it is the only one), otherwise the platform's own (ALSA, CoreMIDI,
Windows MM). NODEGRAPH_MIDI_API=jack|alsa|coremidi|winmm chooses one.

Threads. No Python runs on the MIDI system's thread: rtmidi queues what arrives
and one reader thread per patch drains the queues every millisecond (every 4 ms
after 2 s without a message), handing each message to the scheduler
(`scheduler.post`), where the node parses it.
python-rtmidi callbacks were measured to be unsafe here: they take the GIL on
JACK's real-time thread, so deleting a port while messages arrive deadlocked or
corrupted memory. Opening, closing and listing happen on the scheduler thread.

Devices come and go. One Hub per scheduler watches every port of the patch:
once a second (scheduler time) it lists the port names once, closes the ports
whose device has gone (their node shows "not connected", the patch runs on) and
reopens those whose device is back. A JACK server that stops is noticed without
asking libjack (its socket no longer answers) and every port is closed before
anything touches JACK again: libjack crashes when a port is closed after a
failed attempt to reach a dead server.

libjack (jack2 1.9.2x) also crashes when a port is unregistered while its
client handles a latency notification caused by another graph change; this
process's port opens and closes are therefore spaced JACK_GAP apart.
"""
from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time
import weakref

try:
    import rtmidi
except ImportError as e:  # python-rtmidi missing, or the system's libasound.so.2 it links to
    rtmidi = None
    _MISSING = f"python-rtmidi cannot be loaded ({e})"

POLL_MS = 1000.0  # how often the hub looks for vanished and returned devices
READ_INTERVAL = 0.001  # seconds between two drains of the input queues while messages come
IDLE_INTERVAL = 0.004  # ... and after IDLE_AFTER seconds without one (a 1 kHz loop costs ~5% of a core)
IDLE_AFTER = 2.0
MAX_BURST = 512  # messages taken from one queue per drain
QUEUE_SIZE = 8192  # rtmidi's per-port queue, between two drains
JACK_GAP = 0.06  # seconds between two port opens/closes of this process (see above; 30 ms was not enough under load)
CLIENT = "nodegraph"  # the client name of every port this process opens
RETRY_MAX_MS = 30000.0  # a MIDI system that cannot be opened is retried ever more rarely

JACK = 3  # rtmidi's API numbers (rtmidi.API_UNIX_JACK...), usable without rtmidi loaded
API_BY_NAME = {"jack": JACK, "alsa": 2, "coremidi": 1, "winmm": 4}
INPUT, OUTPUT = "input", "output"
_OWN = re.compile(rf"^{re.escape(CLIENT)}(-\d+)?:")  # JACK names a second client "nodegraph-01"
_RTMIDI_ERRORS = (OSError, RuntimeError) + ((rtmidi.RtMidiError,) if rtmidi is not None else ())


class MidiUnavailable(Exception):
    """The MIDI system cannot be used (no server, no driver); the text is a sentence."""


# ---- which MIDI system -----------------------------------------------------------------

def compiled_apis():
    """The MIDI systems this python-rtmidi can use; MidiUnavailable if it cannot be loaded."""
    if rtmidi is None:
        raise MidiUnavailable(_MISSING)
    return rtmidi.get_compiled_api()


def api_name(api) -> str:
    if api is None:
        return "none"
    return rtmidi.get_api_display_name(api) if rtmidi is not None else str(api)


def jack_socket_path():
    """Where a jack2 server listens on this machine, or None where that is not known."""
    if not sys.platform.startswith("linux"):
        return None
    server = os.environ.get("JACK_DEFAULT_SERVER") or "default"
    return f"/dev/shm/jack_{server}_{os.getuid()}_0"


def jack_answers() -> bool:
    """Whether a JACK server runs, asked without libjack (which prints to stderr when none does,
    and crashes if ports are closed after such a failed attempt)."""
    if rtmidi is None or JACK not in rtmidi.get_compiled_api():
        return False
    path = jack_socket_path()
    if path is None:
        return os.environ.get("NODEGRAPH_MIDI_API") == "jack"  # elsewhere only when asked for
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def choose_api():
    """The rtmidi API to use now: (api, how it was chosen)."""
    wanted = os.environ.get("NODEGRAPH_MIDI_API", "").strip().lower()
    if wanted and wanted != "auto":
        if wanted not in API_BY_NAME:
            raise MidiUnavailable(f"NODEGRAPH_MIDI_API={wanted} is not one of auto, {', '.join(API_BY_NAME)}")
        api = API_BY_NAME[wanted]
        if api not in compiled_apis():
            raise MidiUnavailable(f"this python-rtmidi cannot use {api_name(api)} (NODEGRAPH_MIDI_API={wanted})")
        return api, "chosen by NODEGRAPH_MIDI_API"
    if jack_answers():
        return JACK, "a JACK server answers"
    native = [a for a in compiled_apis() if a not in (JACK, getattr(rtmidi, "API_RTMIDI_DUMMY", -1))]
    if native:
        return native[0], "the system's own (no JACK server answers)"
    return rtmidi.API_UNSPECIFIED, "rtmidi's default"


# ---- names -------------------------------------------------------------------------------

def own(name) -> bool:
    """A port of nodegraph itself (this or another patch)."""
    return _OWN.match(name) is not None


def choose(names, wanted, kind=INPUT):
    """The port to open for `wanted` among `names`: (name or None, a note for the person).

    "" is the first port that is not nodegraph's own nor ALSA's "Midi Through".
    Otherwise the exact name, else every name containing `wanted` (any case);
    nodegraph's own ports only when nothing else matches. Several matches: the
    first, and the note says which.
    """
    theirs = [n for n in names if not own(n)]
    if not wanted:
        usable = [n for n in theirs if not n.startswith("Midi Through")]
        if not usable:
            if not names:
                return None, f"no MIDI {kind} to connect to (there are none)"
            return None, (f"no MIDI {kind} to connect to: {_quoted(names)} are nodegraph's own or "
                          f"Midi Through, not taken unless named in port")
        return usable[0], f"the first available {kind} is '{usable[0]}'"
    if wanted in names:
        return wanted, None
    low = wanted.casefold()
    matches = [n for n in theirs if low in n.casefold()] or [n for n in names if low in n.casefold()]
    if not matches:
        return None, f"no MIDI {kind} matches '{wanted}'{_listing(names)}"
    if len(matches) > 1:
        return matches[0], f"'{wanted}' matches {len(matches)} ports ({_quoted(matches, 6)}): using '{matches[0]}'"
    return matches[0], None


def _quoted(names, most=8):
    return ", ".join(f"'{n}'" for n in names[:most]) + (", ..." if len(names) > most else "")


def _listing(names):
    return f" (there are: {_quoted(names)})" if names else " (there are none)"


def port_label(text) -> str:
    """A port name every MIDI system accepts (JACK refuses some characters)."""
    label = re.sub(r"[^A-Za-z0-9 _.\-]", "_", text)[:60].strip()
    return label or "port"


# ---- spacing JACK graph changes ------------------------------------------------------------

class _Gate:
    """Spaces this process's JACK port opens and closes JACK_GAP apart (see the module doc)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last = 0.0

    def __enter__(self):
        self._lock.acquire()
        wait = self._last + JACK_GAP - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def __exit__(self, *exc):
        self._last = time.monotonic()
        self._lock.release()


jack_gate = _Gate()


class _NoGate:
    def __enter__(self):
        pass

    def __exit__(self, *exc):
        pass


def gate(api):
    return jack_gate if api == JACK else _NoGate()


def make(api, kind):
    """A new rtmidi object (no port open yet); MidiUnavailable with the reason if it cannot be."""
    compiled_apis()
    if api == JACK and not jack_answers():
        raise MidiUnavailable("the JACK server is not running")
    try:
        with gate(api):
            if kind == INPUT:
                obj = rtmidi.MidiIn(api, name=CLIENT, queue_size_limit=QUEUE_SIZE)
            else:
                obj = rtmidi.MidiOut(api, name=CLIENT)
    except _RTMIDI_ERRORS as e:
        raise MidiUnavailable(f"cannot use {api_name(api)}: {_reason(e)}") from None
    return obj


def release(obj, api):
    """Close an rtmidi object and free it (its port and its connection to the MIDI system)."""
    if obj is None:
        return
    with gate(api):
        try:
            obj.close_port()
        except _RTMIDI_ERRORS:
            pass
        try:
            obj.delete()
        except (AttributeError, *_RTMIDI_ERRORS):
            pass


def _reason(e) -> str:
    text = str(e).strip() or type(e).__name__
    return text.split("::", 1)[-1] if "::" in text else text


def list_ports(api=None):
    """(api, input names, output names), opening the MIDI system just for that."""
    if api is None:
        api, _ = choose_api()
    found = {}
    for kind in (INPUT, OUTPUT):
        obj = make(api, kind)
        try:
            found[kind] = obj.get_ports()
        except _RTMIDI_ERRORS as e:
            raise MidiUnavailable(f"cannot list {api_name(api)} ports: {_reason(e)}") from None
        finally:
            release(obj, api)
    return api, found[INPUT], found[OUTPUT]


# ---- one port a node wants open -------------------------------------------------------------

class Port:
    """An input or output a node wants open: a port found by name (or part of one), or a
    virtual port other programs connect to. The hub opens it, watches it and reopens it.

    Scheduler thread only, except `drain` (the reader thread). `name` is what it is
    connected to (or the virtual port's name) while open, else None and `problem`
    says why; `missing` then tells whether a device the person named is not there
    (worth an error on the node) or there is just nothing to connect to yet (no
    device plugged in for an empty name, no MIDI system running). `on_status()` is
    called on the scheduler thread after any of these change, `on_message(data)`
    for each message that arrives (inputs).
    """

    def __init__(self, hub, kind, node, wanted, virtual, on_status, on_message=None, ignore=(True, True, True)):
        self.hub, self.kind, self.node = hub, kind, node
        self.wanted, self.virtual = wanted, virtual
        self.on_status, self.on_message = on_status, on_message
        self.ignore = ignore  # (sysex, timing, active sensing) for rtmidi to drop
        self.name = None
        self.problem = "not connected yet"
        self.missing = False
        self.note = None  # what to tell the person about the choice (an ambiguous name...)
        self._obj = None
        self._api = None
        self._gen = 0
        self._lock = threading.Lock()  # between the reader thread and close

    @property
    def connected(self) -> bool:
        return self._obj is not None

    def send(self, data) -> bool:
        """Send one message's bytes; False if the port is not connected."""
        obj = self._obj
        if obj is None:
            return False
        obj.send_message(data)
        return True

    def set_ignore(self, sysex, timing, active_sense=True):
        self.ignore = (sysex, timing, active_sense)
        if self._obj is not None and self.kind == INPUT:
            self._obj.ignore_types(*self.ignore)

    def close(self):
        """The node is done with it: close it and stop watching it."""
        self._drop()
        self.hub.remove(self)

    # -- the hub calls these --

    def check(self):
        """Open it if it is closed and can be; close it if its device has gone."""
        if self._obj is None:
            self._connect()
            return
        if self.virtual:
            return
        try:
            gone = self.name not in self.hub.names(self.kind)
        except MidiUnavailable as e:
            self._drop(f"not connected: {e}")
            return
        if gone:
            self._drop(f"not connected: '{self.name}' went away (it reconnects when it is back)", bool(self.wanted))

    def _connect(self):
        hub = self.hub
        try:
            api = hub.current_api()
            label = port_label(self.wanted if self.virtual else self.node.id if self.node else self.kind)
            if self.virtual:
                if not self.wanted:
                    raise MidiUnavailable("a virtual port needs a name: set the port param")
                obj = make(api, self.kind)
                try:
                    with gate(api):
                        obj.open_virtual_port(label)
                except _RTMIDI_ERRORS as e:
                    release(obj, api)
                    raise MidiUnavailable(f"cannot open the virtual port '{label}': {_reason(e)}") from None
                name, note = label, None
            else:
                names = hub.names(self.kind)
                name, note = choose(names, self.wanted, self.kind)
                if name is None:
                    self._set(None, f"not connected: {note}", None, bool(self.wanted))
                    return
                obj = make(api, self.kind)
                try:
                    with gate(api):
                        obj.open_port(names.index(name), label)
                except _RTMIDI_ERRORS as e:
                    release(obj, api)
                    raise MidiUnavailable(f"cannot open '{name}': {_reason(e)}") from None
        except MidiUnavailable as e:
            self._set(None, f"not connected: {e}", None)
            return
        if self.kind == INPUT:
            obj.ignore_types(*self.ignore)
        with self._lock:
            self._obj, self._api = obj, api
            self._gen += 1
        hub.changed(self)
        self._set(name, None, note)

    def _drop(self, problem=None, missing=False):
        with self._lock:
            obj, api = self._obj, self._api
            self._obj = None
            self._gen += 1
        if obj is not None:
            self.hub.changed(self)
            release(obj, api)
        if problem is not None:
            self._set(None, problem, None, missing)

    def _set(self, name, problem, note, missing=False):
        if (name, problem, note, missing) == (self.name, self.problem, self.note, self.missing):
            return
        self.name, self.problem, self.note, self.missing = name, problem, note, missing
        if self.on_status is not None:
            self.on_status()

    # -- on the reader thread --

    def drain(self):
        with self._lock:
            obj = self._obj
            if obj is None:
                return 0
            gen = self._gen
            got = []
            for _ in range(MAX_BURST):
                m = obj.get_message()
                if m is None:
                    break
                got.append(m[0])
        post = self.hub.scheduler.post
        for data in got:
            post(self.node, self._arrived, (gen, data))
        return len(got)

    def _arrived(self, gen, data):
        if gen == self._gen and self.on_message is not None:
            self.on_message(data)


# ---- the hub: every port of one patch ---------------------------------------------------------

class Hub:
    """The MIDI ports of one scheduler: which system, the watcher timer, the reader thread."""

    def __init__(self, scheduler):
        self.scheduler = scheduler
        self.ports = []
        self.api = None
        self.api_reason = ""
        self._listers = {}
        self._names = {}
        self._timer = None
        self._inputs = ()  # the open input ports, for the reader thread (replaced, never changed)
        self._reader = None
        self._reader_stop = None
        self._down_since = None  # a MIDI system that failed: retry with growing gaps
        self._down_reason = ""
        self._jack_used = False
        self._retry_ms = POLL_MS
        self._next_try = 0.0

    # -- ports --

    def open(self, kind, node, wanted, virtual, on_status, on_message=None, ignore=(True, True, True)) -> Port:
        """A port to watch from now on; its first `check()` (the caller's) tries to open it."""
        port = Port(self, kind, node, wanted, virtual, on_status, on_message, ignore)
        self.ports.append(port)
        self._names.clear()
        self._arm()
        return port

    def remove(self, port):
        if port in self.ports:
            self.ports.remove(port)
        if not self.ports:
            self.shutdown()

    def changed(self, port):
        """A port opened or closed: the names changed, and the reader's list too."""
        self._names.clear()
        inputs = tuple(p for p in self.ports if p.kind == INPUT and p.connected)
        self._inputs = inputs
        if inputs and self._reader is None:
            self._reader_stop = threading.Event()
            self._reader = threading.Thread(target=self._read, args=(self._reader_stop,),
                                            name="nodegraph-midi-reader", daemon=True)
            self._reader.start()
        elif not inputs and self._reader is not None:
            self._stop_reader()

    def shutdown(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._stop_reader()
        self._close_listers()
        self.api = None
        _forget(self)

    # -- the MIDI system --

    def current_api(self):
        """The API ports open on; chosen again whenever nothing is open (MidiUnavailable if none)."""
        if self.api is not None and (self.api != JACK or jack_answers()):
            return self.api
        if any(p.connected for p in self.ports):
            raise MidiUnavailable(f"{api_name(self.api)} stopped")
        if self._jack_used and not jack_answers():
            # once on JACK, wait for it: another system would have other port names
            raise MidiUnavailable("the JACK server stopped (it reconnects when one runs again)")
        now = time.monotonic() * 1000.0
        if self._down_since is not None and now < self._next_try:
            raise MidiUnavailable(self._down_reason)
        try:
            api, why = choose_api()
            try:
                for kind in (INPUT, OUTPUT):  # proves the system opens, and keeps it for listing
                    self._listers.setdefault(kind, make(api, kind))
            except MidiUnavailable as e:
                if api != JACK and JACK in compiled_apis() and jack_socket_path():
                    raise MidiUnavailable(f"no JACK server runs, and {e}") from None
                raise
        except MidiUnavailable as e:
            self._close_listers()
            self._down_reason = str(e)
            self._down_since = self._down_since or now
            self._next_try = now + self._retry_ms
            self._retry_ms = min(RETRY_MAX_MS, self._retry_ms * 2)
            raise
        self.api, self.api_reason = api, why
        self._jack_used = self._jack_used or api == JACK
        self._down_since, self._retry_ms = None, POLL_MS
        return api

    def names(self, kind):
        """The port names of one kind right now (cached until the next change or check)."""
        got = self._names.get(kind)
        if got is None:
            self.current_api()
            try:
                got = self._listers[kind].get_ports()
            except _RTMIDI_ERRORS as e:
                raise MidiUnavailable(f"cannot list the MIDI {kind}s: {_reason(e)}") from None
            self._names[kind] = got
        return got

    def _close_listers(self):
        listers, self._listers = self._listers, {}
        for obj in listers.values():
            release(obj, self.api)
        self._names.clear()

    # -- the watcher --

    def _arm(self):
        if self._timer is None and self.ports:
            self._timer = self.scheduler.schedule(None, POLL_MS, self._tick)

    def _tick(self):
        self._timer = None
        try:
            self.check()
        finally:
            self._arm()

    def check(self):
        """Look at every port once: reopen what came back, close what went away."""
        self._names.clear()
        if self.api == JACK and not jack_answers():
            self._lost("not connected: the JACK server stopped (it reconnects when one runs again)")
        for port in list(self.ports):
            if port in self.ports:  # a status callback may have closed another port
                port.check()

    def _lost(self, problem):
        """The MIDI system went away: close everything before anything asks it again."""
        for port in list(self.ports):
            port._drop(problem)
        self._close_listers()
        self.api = None

    # -- the reader thread --

    def _read(self, stop):
        last = time.monotonic()
        while not stop.is_set():
            got = 0
            for port in self._inputs:
                got += port.drain()
            now = time.monotonic()
            if got:
                last = now
            time.sleep(READ_INTERVAL if now - last < IDLE_AFTER else IDLE_INTERVAL)

    def _stop_reader(self):
        if self._reader is not None:
            self._reader_stop.set()
            if threading.current_thread() is not self._reader:
                self._reader.join(timeout=2)
            self._reader = None

    def info(self) -> dict:
        return {"system": api_name(self.api), "why": self.api_reason, "ports": len(self.ports)}


_hubs = weakref.WeakKeyDictionary()  # scheduler -> Hub
_hubs_lock = threading.Lock()


def hub(scheduler) -> Hub:
    """The MIDI hub of a scheduler (made on first use)."""
    with _hubs_lock:
        h = _hubs.get(scheduler)
        if h is None:
            h = _hubs[scheduler] = Hub(scheduler)
        return h


def _forget(h):
    with _hubs_lock:
        if _hubs.get(h.scheduler) is h:
            del _hubs[h.scheduler]
