"""OSC over UDP for the engine: shared listening sockets, address patterns, encoding.

No GUI and no node classes here (those are in nodes/osc.py). Every `osc.in` on
one port shares one `Server`; its socket is read on the scheduler thread through
`host.add_reader`, so a datagram is parsed and its cascade runs with no thread
hop. Each datagram is its own event (its own cascade), in arrival order.

Bad input never stops a patch: a malformed, oversized or unsupported datagram is
dropped, counted in `Server.counts`, and logged by a `Throttle` so a flood of
them prints one line every few seconds, not one per packet.
"""
from __future__ import annotations

import errno
import re
import socket
import struct
import threading
import time
import weakref

import numpy as np
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message import ParseError as OscParseError

from ..errors import NodeError

MAX_DATAGRAM = 32768  # bytes; a longer datagram is dropped as oversized
MAX_BURST = 256  # datagrams read per wake-up before timers and other sockets get a turn
SEND_EVERY = 32  # within a burst, what the patch sends goes out after each 32 datagrams read
RECV_BUFFER = 1 << 21  # ask the kernel for room to absorb bursts (it may cap this)
_TRUNC = getattr(socket, "MSG_TRUNC", 0)  # Linux: recv reports a datagram's real length
_BUNDLE = b"#bundle\0"
# The argument types python-osc parses; any other tag would misalign its parser.
_KNOWN_TAGS = frozenset("ihfdsbrmtTFN[]")
_SIZES = {"i": 4, "f": 4, "r": 4, "m": 4, "h": 8, "d": 8, "t": 8, "T": 0, "F": 0, "N": 0, "[": 0, "]": 0}


class ParseError(ValueError):
    """A datagram that is not valid OSC; `kind` is the counter it goes to."""

    def __init__(self, text, kind="malformed"):
        super().__init__(text)
        self.kind = kind


# ---- parsing -------------------------------------------------------------------------

def parse(data: bytes, depth: int = 0) -> list:
    """The messages in one datagram as [(address, args)], bundles unpacked in order.

    Bundle time tags are not waited for: their messages run at once, as Pd and
    Wekinator treat them. Raises ParseError saying what is wrong.
    """
    if data[:1] == b"/":
        return [_message(data)]
    if data.startswith(_BUNDLE):
        if depth > 8:
            raise ParseError("bundles nested more than 8 deep")
        if len(data) < 16:
            raise ParseError("a bundle shorter than its header")
        messages = []
        i, end = 16, len(data)
        while i < end:
            if i + 4 > end:
                raise ParseError("a bundle element without its size")
            size = int.from_bytes(data[i:i + 4], "big", signed=True)
            i += 4
            if size <= 0 or size % 4 or i + size > end:
                raise ParseError(f"a bundle element of impossible size {size}")
            messages.extend(parse(data[i:i + size], depth + 1))
            i += size
        return messages
    if not data:
        raise ParseError("an empty datagram")
    raise ParseError("not an OSC message or bundle (it does not start with '/' or '#bundle')")


def _message(data: bytes):
    end = data.find(b"\0")
    if end < 0:
        raise ParseError("the address is not terminated")
    tags_at = (end + 4) & ~3
    if tags_at >= len(data):
        return _text(data[:end]), []  # an address alone is a message with no arguments
    tags_end = data.find(b"\0", tags_at)
    if tags_end < 0:
        raise ParseError("the type tags are not terminated")
    tags = data[tags_at:tags_end]
    plan = _PLANS.get(tags)
    if plan is None:
        plan = _plan(tags)
        if len(_PLANS) < 1024:  # senders use a handful of signatures; never grow without bound
            _PLANS[tags] = plan
    if plan is _PYTHON_OSC:
        return _python_osc(data)
    fmt, size, constants = plan
    at = (tags_end + 4) & ~3
    if len(data) < at + size:
        raise ParseError(f"its arguments are cut short ({len(data)} of {at + size} bytes)")
    args = list(fmt.unpack_from(data, at))
    for i, value in constants:
        args.insert(i, value)
    return _text(data[:end]), args


def _text(b: bytes) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("the address is not text (UTF-8)") from None


_PYTHON_OSC = "python-osc"
_PLANS = {}  # type tags -> how to read the arguments
_NUMBER_CODES = {"i": "i", "f": "f", "d": "d", "h": "q"}
_CONSTANTS = {"T": True, "F": False, "N": None}


def _plan(tags: bytes):
    """Numbers and T/F/N (what sensors and Wekinator send) are read with one cached
    struct, several times faster than python-osc; anything else goes to python-osc.
    Raises ParseError for tags no parser here understands."""
    if not tags.startswith(b","):
        raise ParseError("the type tags do not start with ','")
    tags = tags[1:].decode("ascii", "replace")
    unknown = set(tags) - _KNOWN_TAGS
    if unknown:
        raise ParseError(f"argument type '{sorted(unknown)[0]}' is not supported", "unsupported")
    if set(tags) <= _NUMBER_CODES.keys() | _CONSTANTS.keys():
        fmt = ">" + "".join(_NUMBER_CODES.get(t, "") for t in tags)
        constants = [(i, _CONSTANTS[t]) for i, t in enumerate(tags) if t in _CONSTANTS]
        st = struct.Struct(fmt)
        return st, st.size, constants
    return _PYTHON_OSC


def _python_osc(data: bytes):
    try:
        msg = OscMessage(data)
        args = msg.params
    except Exception as e:  # python-osc's ParseError, but also UnicodeDecodeError, struct.error...
        reason = e.args[1] if isinstance(e, OscParseError) and len(e.args) > 1 else e
        raise ParseError(f"cannot be parsed ({reason})") from None
    tags_at = (data.find(b"\0") + 4) & ~3
    tags = data[tags_at + 1:data.find(b"\0", tags_at)].decode("ascii")
    if "s" not in tags and "b" not in tags:
        # python-osc pads a number cut short with zeros; a datagram cut short is broken
        need = ((tags_at + len(tags) + 5) & ~3) + sum(_SIZES[t] for t in tags)
        if len(data) < need:
            raise ParseError(f"its arguments are cut short ({len(data)} of {need} bytes)")
    return msg.address, args


# ---- address patterns ----------------------------------------------------------------

def compile_pattern(pattern: str):
    """An OSC address pattern as a function address -> bool.

    `*` any run of characters within one part, `?` one character, `[abc]`/`[a-z]`/
    `[!abc]` one of (not) these, `{in,out}` one of these words. "" and "*" match
    every address. Raises ValueError for a pattern that cannot be right.
    """
    if pattern in ("", "*"):
        return lambda address: True
    if not pattern.startswith("/"):
        raise ValueError(f'the address "{pattern}" must start with "/" (for example /wek/inputs)')
    if not any(c in pattern for c in "*?[{"):
        return pattern.__eq__
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            close = pattern.find("]", i + 1)
            if close < 0:
                raise ValueError(f'the address "{pattern}" has a "[" without its "]"')
            body = pattern[i + 1:close]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = "".join("\\" + ch if ch in "\\^[]" else ch for ch in body)
            out.append(f"[{'^' if negate else ''}{body}]")
            i = close
        elif c == "{":
            close = pattern.find("}", i + 1)
            if close < 0:
                raise ValueError(f'the address "{pattern}" has a "{{" without its "}}"')
            words = pattern[i + 1:close].split(",")
            out.append("(?:" + "|".join(re.escape(w) for w in words) + ")")
            i = close
        else:
            out.append(re.escape(c))
        i += 1
    try:
        regex = re.compile("".join(out) + r"\Z")
    except re.error as e:
        raise ValueError(f'the address "{pattern}" is not a valid pattern ({e})') from None
    return lambda address: regex.match(address) is not None


# ---- logging without floods ----------------------------------------------------------

class Throttle:
    """Lets the first line of each kind through, then one per `interval` seconds.

    `throttle(key)` returns None when the line should be held back, otherwise how
    many lines of that kind were held back since the last one shown.
    """

    def __init__(self, interval: float = 5.0):
        self.interval = interval
        self._next = {}
        self._held = {}

    def __call__(self, key):
        now = time.monotonic()
        if now < self._next.get(key, 0.0):
            self._held[key] = self._held.get(key, 0) + 1
            return None
        self._next[key] = now + self.interval
        return self._held.pop(key, 0)


def held_note(held: int) -> str:
    return f" ({held} more like this not shown)" if held else ""


# ---- the shared server ---------------------------------------------------------------

class Listener:
    """One osc.in's subscription to a server: what it matches and whom it calls."""

    __slots__ = ("server", "node", "pattern", "matches", "callback")

    def __init__(self, server, node, pattern, callback):
        self.server, self.node, self.pattern, self.callback = server, node, pattern, callback
        self.matches = compile_pattern(pattern)

    def retarget(self, pattern):
        """Match another pattern, keeping the port open (no datagram is missed)."""
        try:
            self.matches = compile_pattern(pattern)
        except ValueError as e:
            raise NodeError(str(e)) from None
        self.pattern = pattern
        self.server.changed()

    def close(self):
        if self.server is not None:
            self.server.remove(self)
            self.server = None


class Server:
    """A UDP socket on (host, port) and the listeners that share it."""

    COUNTS = ("datagrams", "messages", "malformed", "oversized", "unsupported", "unmatched", "read_errors")

    def __init__(self, scheduler, host, port, sockaddr, family):
        self.scheduler, self.host, self.port = scheduler, host, port
        self.sockaddr, self.family = sockaddr, family
        self.listeners = []
        self.counts = dict.fromkeys(self.COUNTS, 0)  # fixed keys: the editor thread may read them
        self.throttle = Throttle()
        self._routes = {}  # address -> listeners matching it (a cache, cleared on any change)
        self._last = None  # the last plain message's (length, header, address, unpack, offset, listeners)
        self._buf = bytearray(MAX_DATAGRAM)
        self._view = memoryview(self._buf)
        self.sock = None

    def open(self):
        sock = socket.socket(self.family, socket.SOCK_DGRAM)
        try:
            # No SO_REUSEADDR: with it Linux lets a second program bind the same UDP
            # port and steal half the messages, instead of telling us the port is taken.
            sock.bind(self.sockaddr)
        except OSError as e:
            sock.close()
            raise NodeError(_bind_problem(e, self.host, self.port)) from None
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
        except OSError:
            pass
        sock.setblocking(False)
        self.sock = sock
        self.scheduler.add_reader(sock, None, self._readable)

    def close(self):
        if self.sock is not None:
            self.scheduler.remove_reader(self.sock)
            self.sock.close()
            self.sock = None

    def add(self, listener):
        self.listeners.append(listener)
        self.changed()

    def remove(self, listener):
        if listener in self.listeners:
            self.listeners.remove(listener)
            self.changed()
        if not self.listeners:
            _forget(self)
            self.close()

    # -- on the scheduler thread --

    def _readable(self):
        """Read every datagram waiting (up to MAX_BURST), each as its own event; returns
        how many were read."""
        sock, buf, view, counts = self.sock, self._buf, self._view, self.counts
        sched = self.scheduler
        graph, cascade, fail = sched.graph, sched._cascade, sched.fail
        for i in range(MAX_BURST):
            if sock is None or sock is not self.sock:
                return i  # a listener closed the server during the last cascade
            try:
                n, sender = sock.recvfrom_into(buf, 0, _TRUNC)
            except (BlockingIOError, InterruptedError):
                return i
            except OSError as e:
                counts["read_errors"] += 1
                self._problem("read", f"could not read from the socket: {e.strerror or e}")
                return i
            counts["datagrams"] += 1
            if n > MAX_DATAGRAM or (not _TRUNC and n == MAX_DATAGRAM):
                counts["oversized"] += 1
                self._problem("oversized", f"dropped a datagram of {n} bytes from {_who(sender)} "
                                           f"(the limit is {MAX_DATAGRAM} bytes)")
                continue
            if graph._ranks_dirty:
                graph.update_ranks()
            last = self._last
            if last is not None and n == last[0] and buf.startswith(last[1]):
                # the same address and type tags as the message before (a sensor's stream):
                # its numbers are read straight from the buffer, its listeners known
                _, _, address, unpack, at, listeners = last
                counts["messages"] += 1
                self._hand(address, list(unpack(buf, at)), listeners)
            else:
                try:
                    self._dispatch(bytes(view[:n]), sender)
                except Exception as e:
                    fail(None, e)
            cascade()
            if i % SEND_EVERY == SEND_EVERY - 1:
                sched.flush(more=True)
        return MAX_BURST

    def _dispatch(self, data, sender):
        plain = data[:1] == b"/"
        try:
            # a plain message (what sensors and Wekinator send) skips parse()'s list
            messages = (_message(data),) if plain else parse(data)
        except ParseError as e:
            self.counts[e.kind] += 1
            self._problem(e.kind, f"ignored a datagram from {_who(sender)}: {e}")
            return
        routes, counts = self._routes, self.counts
        for address, args in messages:
            counts["messages"] += 1
            listeners = routes.get(address)
            if listeners is None:
                listeners = tuple(x for x in self.listeners if x.matches(address))
                if len(routes) > 4096:  # a sender making up addresses must not grow this forever
                    routes.clear()
                routes[address] = listeners
            if not listeners:
                counts["unmatched"] += 1
                continue
            if plain:  # (a bundle's header is no message's: never remembered)
                self._remember(data, address, listeners)
            self._hand(address, args, listeners)

    def _hand(self, address, args, listeners):
        for listener in listeners:
            listener.node.runs += 1  # the editor's rate meter counts what a socket brings too
            try:
                listener.callback(address, args)
            except Exception as e:  # one node's failure stays with that node
                self.scheduler.fail(listener.node, e)

    def _remember(self, data, address, listeners):
        """Keep a plain message's header (address and type tags, numbers only) for the fast
        path: the next datagram of the same length starting with it is the same kind."""
        end = data.find(b"\0")
        tags_at = (end + 4) & ~3
        tags_end = data.find(b"\0", tags_at)
        plan = _PLANS.get(data[tags_at:tags_end]) if tags_end > 0 else None
        if plan is None or plan is _PYTHON_OSC or plan[2]:
            self._last = None  # text, blobs, T/F/N: the general parser
            return
        at = (tags_end + 4) & ~3
        self._last = (len(data), data[:at], address, plan[0].unpack_from, at, listeners)

    def changed(self):
        """A listener came, went or matches another pattern: what was worked out is stale."""
        self._routes.clear()
        self._last = None

    def _problem(self, kind, text):
        held = self.throttle(kind)
        if held is not None:
            node = self.listeners[0].node if self.listeners else None
            self.scheduler.log(node, f"port {self.port}: {text}{held_note(held)}", "warning")


_servers = weakref.WeakKeyDictionary()  # scheduler -> {port: Server}
_lock = threading.Lock()


def listen(scheduler, host, port, pattern, node, callback) -> Listener:
    """Subscribe `callback(address, args)` to messages matching `pattern` on (host, port).

    Opens the port if no other listener of this scheduler has it open; raises
    NodeError with a sentence a person can act on if it cannot.
    """
    try:
        compile_pattern(pattern)
    except ValueError as e:
        raise NodeError(str(e)) from None
    family, sockaddr = _bind_address(host, port)
    with _lock:
        servers = _servers.setdefault(scheduler, {})
        server = servers.get(port)
        if server is not None and server.sockaddr[0] != sockaddr[0]:
            raise NodeError(f"port {port} is already open on {server.host} by another osc.in; "
                            f"give every osc.in on port {port} the same host")
        if server is None:
            server = Server(scheduler, host, port, sockaddr, family)
            server.open()
            servers[port] = server
        listener = Listener(server, node, pattern, callback)
        server.add(listener)
    return listener


def _forget(server):
    with _lock:
        servers = _servers.get(server.scheduler, {})
        if servers.get(server.port) is server:
            del servers[server.port]


def _bind_address(host, port):
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as e:
        raise NodeError(f'cannot listen on host "{host}": {getattr(e, "strerror", None) or e}') from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)  # "localhost": prefer 127.0.0.1 to ::1
    family, _, _, _, sockaddr = infos[0]
    return family, sockaddr


def _bind_problem(e: OSError, host, port) -> str:
    if e.errno == errno.EADDRINUSE:
        return (f"port {port} is already in use on {host} (another program or patch listens there); "
                f"choose another port or close that program")
    if e.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (ports below 1024 need administrator rights)"
    if e.errno == errno.EADDRNOTAVAIL:
        return f'cannot listen on host "{host}": this computer has no such address'
    return f"cannot listen on {host}:{port}: {e.strerror or e}"


def _who(sender) -> str:
    try:
        return f"{sender[0]}:{sender[1]}"
    except (TypeError, IndexError):
        return "an unknown sender"


# ---- encoding (osc.out) --------------------------------------------------------------

def _pad(b: bytes) -> bytes:
    """OSC strings: NUL-terminated, padded with NULs to a multiple of 4 bytes."""
    return b + b"\0" * (4 - len(b) % 4)


TYPES = ("auto", "float32", "float64")  # osc.out's `types`: how numbers go out


class Encoder:
    """Builds datagrams for one address, caching the address + type-tag prefix and the
    struct per argument signature (a 3-float vector always starts with the same 20 bytes),
    so a message costs one pack and one concatenation.

    `types` says how numbers go out: "auto" as they are (a whole number as int32 `i`,
    or int64 `h` beyond 32 bits; a float as float32 `f`), "float32" every number as `f`
    (what Wekinator sends and many clients only read), "float64" floats as doubles `d`.
    Text is `s`, on/off the int 1 or 0 (`f` 1.0/0.0 under float32), in every mode.
    """

    def __init__(self, address: str, types: str = "auto"):
        if types not in TYPES:
            raise ValueError(f"types must be one of {', '.join(TYPES)}, not {types!r}")
        self.address, self.types = address, types
        self._addr = _pad(address.encode("utf-8"))
        self._prefixes = {}
        self._packers = {}  # (tag, n) -> (prefix, struct.Struct): n arguments of one tag
        self._float_tag = "d" if types == "float64" else "f"

    def same(self, tag: str, values) -> bytes:
        """A message of len(values) arguments all of one tag ("f", "d", "i", "h")."""
        n = len(values)
        cached = self._packers.get((tag, n))
        if cached is None:
            cached = self._packers[tag, n] = (self.prefix(tag * n), struct.Struct(f">{n}{_CODES[tag]}"))
        return cached[0] + cached[1].pack(*values)

    def floats(self, values) -> bytes:
        """A message of floats (a list of Python floats): float32, or float64 if asked for."""
        return self.same(self._float_tag, values)

    def array(self, v) -> bytes:
        """A numpy array, one argument per element: floats as floats; whole numbers and
        on/off as ints unless every number goes out as a float."""
        v = v.reshape(-1)
        kind = v.dtype.kind
        if kind == "f" or self.types == "float32":
            return self.same(self._float_tag, v.tolist())
        if kind == "b":
            return self.same("i", v.astype(np.int64).tolist())
        if v.size and (v.min() < -0x80000000 or v.max() > 0x7FFFFFFF):
            if v.dtype == np.uint64 and v.max() > 0x7FFFFFFFFFFFFFFF:
                raise ValueError(f"the whole number {v.max()}: it is too large for OSC (64 bits at most)")
            return self.same("h", v.tolist())
        return self.same("i", v.tolist())

    def prefix(self, tags: str) -> bytes:
        p = self._prefixes.get(tags)
        if p is None:
            p = self._prefixes[tags] = self._addr + _pad(("," + tags).encode("ascii"))
        return p

    def message(self, args) -> bytes:
        """A message of mixed arguments: float, int, bool (sent as int 1/0), str."""
        tags, parts = [], []
        as_float = self.types == "float32"
        for a in args:
            t = type(a)
            if t is float:
                tags.append(self._float_tag)
                parts.append((_D if self._float_tag == "d" else _F).pack(a))
            elif as_float and (t is int or t is bool):
                tags.append("f")
                parts.append(_F.pack(float(a)))
            elif t is bool:
                tags.append("i")
                parts.append(_I.pack(int(a)))
            elif t is int:
                if -0x80000000 <= a <= 0x7FFFFFFF:
                    tags.append("i")
                    parts.append(_I.pack(a))
                elif -0x8000000000000000 <= a <= 0x7FFFFFFFFFFFFFFF:
                    tags.append("h")
                    parts.append(_H.pack(a))
                else:
                    raise ValueError(f"the whole number {a}: it is too large for OSC (64 bits at most)")
            elif t is str:
                tags.append("s")
                parts.append(_pad(a.encode("utf-8")))
            else:
                raise TypeError(a)
        return self.prefix("".join(tags)) + b"".join(parts)


_F, _D, _I, _H = struct.Struct(">f"), struct.Struct(">d"), struct.Struct(">i"), struct.Struct(">q")
_CODES = {"f": "f", "d": "d", "i": "i", "h": "q"}
