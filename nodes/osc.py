"""OSC in and out: talk to Wekinator, TouchOSC, Max, Pd, SuperCollider... over UDP."""
from __future__ import annotations

import socket
import struct
import threading

import numpy as np

from nodegraph import BANG, Node, NodeError, Outlet, Inlet, Param, register
from nodegraph.io import osc
from nodegraph.types import describe

_NUMERIC = (float, int, bool)  # OSC f d i h T F as Python sees them
_F64 = np.dtype(np.float64)


@register("osc.in", category="osc")
class OscIn(Node):
    """Receives OSC messages from other programs (Wekinator, TouchOSC, Max, Pd...).

    Listens on `port` for messages whose address matches `address`. Patterns work:
    /wek/* matches every address under /wek, /{left,right}/x either hand, and an
    empty address (or *) takes every message. Several osc.in on one port share it.
    `values` sends the numbers of each message as a vector (ints, floats, doubles,
    and true/false as 1/0); other arguments (text, blobs) are left out of it and
    counted. A message with no numbers sends no vector. `message` sends every
    message whole, as a list: [address, argument1, argument2, ...].
    `host` is the address to listen on: 127.0.0.1 for this computer only,
    0.0.0.0 to hear other computers too. Datagrams that are not valid OSC are
    counted on the node and noted in the console; the patch carries on.
    """

    outlets = (Outlet("values", "vector", help="the numeric arguments as a vector"),
               Outlet("message", "any", help="[address, arg1, arg2, ...] with every argument"))
    params = (Param("port", "int", 6448, min=1, max=65535, help="UDP port to listen on"),
              Param("address", "text", "/wek/inputs", help="OSC address or pattern (* ? [ab] {a,b})"),
              Param("host", "text", "127.0.0.1", help="listen on: 127.0.0.1 this computer, 0.0.0.0 all"))

    def setup(self):
        self._listener = None
        self._started = False
        self._received = 0
        self._non_numeric = 0
        self._last_address = None
        self._throttle = osc.Throttle()

    def start(self):
        self._started = True
        self._listen()

    def stop(self):
        self._started = False
        self._close()

    def param_changed(self, name, old):
        if not self._started:
            return
        try:
            if name == "address" and self._listener is not None:
                self._listener.retarget(self.params["address"])
            else:
                self._close()
                self._listen()
        except NodeError as e:
            self.host.fail(self, e)
        else:
            if self.error is not None:
                self.error = None
                self.host.notify("error", self.id, None)

    def _listen(self):
        p = self.params
        self._listener = osc.listen(self.host, p["host"], p["port"], p["address"], self, self._receive)

    def _close(self):
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _receive(self, address, args):
        self._received += 1
        self._last_address = address
        numbers = [a for a in args if type(a) in _NUMERIC]
        if len(numbers) != len(args):
            self._non_numeric += len(args) - len(numbers)
            held = self._throttle("non-numeric")
            if held is not None:
                kinds = ", ".join(sorted({describe(a) for a in args if type(a) not in _NUMERIC}))
                self.log(f"{address}: left arguments that are not numbers out of 'values' ({kinds})"
                         f"{osc.held_note(held)}", "warning")
        self.emit("message", [address, *args])
        if numbers:
            self.emit("values", np.array(numbers, dtype=np.float64))

    def info(self):
        info = {"port": self.params["port"], "received": self._received, "non_numeric": self._non_numeric,
                "last_address": self._last_address}
        listener = self._listener
        server = listener.server if listener is not None else None
        if server is not None:
            for key in ("malformed", "oversized", "unsupported", "unmatched", "read_errors"):
                info[key] = server.counts[key]
            info["shared_with"] = len(server.listeners) - 1
        return info


@register("osc.out", category="osc")
class OscOut(Node):
    """Sends what arrives as an OSC message to another program (Wekinator, Max, a synth...).

    A number is sent as one float, a vector as one float per element, a whole
    number or class name as an int or text, text as text, on/off as 1 or 0, and a
    list as one argument per element. A bang sends the address with no arguments.
    `types` says how numbers go out: auto (whole numbers as ints, the rest as
    32-bit floats), float32 (every number a 32-bit float, as Wekinator sends and
    some programs need) or float64 (floats as 64-bit doubles, for more precision).
    `host` and `port` say where the other program listens.
    """

    inlets = (Inlet("values", "any", help="number, vector, label, text, on/off or bang to send"),)
    params = (Param("host", "text", "127.0.0.1", help="computer to send to (name or address)"),
              Param("port", "int", 12000, min=1, max=65535, help="UDP port the other program listens on"),
              Param("address", "text", "/wek/outputs", help="OSC address of the messages"),
              Param("types", "choice", "auto", choices=osc.TYPES,
                    help="numbers as: auto (ints as ints), float32 (all floats), float64 (doubles)"))

    def setup(self):
        self._encoder = osc.Encoder(self.params["address"], self.params["types"])
        self._sock = None
        self._dest = None
        self._send = None  # the socket's send, to _dest
        self._problem = None  # why nothing can be sent (an unknown host), shown as the node's error
        self._generation = 0  # answers from an earlier host lookup are ignored
        self._started = False
        self._sent = 0
        self._dropped = 0
        self._throttle = osc.Throttle()

    def start(self):
        self._started = True
        self._resolve()

    def stop(self):
        self._started = False
        self._generation += 1
        self._dest = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def relevant_params(self):
        # `types` joins the box once set away from auto: most patches never need it, and the
        # box keeps the size the shipped patches were laid out for (the inspector shows it)
        names = [p.name for p in type(self).params]
        return names if self.params["types"] != "auto" else [n for n in names if n != "types"]

    def param_changed(self, name, old):
        if name in ("address", "types"):
            self._encoder = osc.Encoder(self.params["address"], self.params["types"])
        elif self._started:
            try:
                self._resolve()
            except NodeError as e:
                self.host.fail(self, e)

    def process(self, fired):
        if not self._encoder.address.startswith("/"):
            self._dropped += 1
            raise NodeError(f'the address "{self._encoder.address}" must start with "/" (for example /wek/outputs)')
        if self._dest is None:
            self._dropped += 1
            if self._problem:
                raise NodeError(self._problem)
            return  # not running yet, or still looking the host up
        data = self._encode(self.inputs["values"])
        if not self.host.defer(self, self._deliver, data):
            self._deliver(data)

    def _deliver(self, data):
        try:
            try:
                self._send(data)
            except ConnectionRefusedError:
                # connected, the socket is told now that a message before this one found no
                # program listening; unconnected, nothing is said: from now on it sends so,
                # and this one goes out as ever
                self._open_socket(self._sock.family, self._dest, connect=False)
                self._send(data)
        except BlockingIOError:
            self._dropped += 1
            held = self._throttle("full")
            if held is not None:
                self.log(f"dropped a message: the network is not keeping up{osc.held_note(held)}", "warning")
            return
        except OSError as e:
            self._dropped += 1
            raise NodeError(f"could not send to {self._where()}: {e.strerror or e}") from None
        self._sent += 1

    def _encode(self, v):
        enc = self._encoder
        try:
            if type(v) is np.ndarray:
                if v.dtype == _F64 and v.ndim == 1:  # a vector, the common case: straight to the packer
                    return enc.floats(v.tolist())
                if v.dtype.kind not in "fiub":
                    raise NodeError(f"cannot send {describe(v)} of {v.dtype} as OSC")
                return enc.array(v)
            if type(v) is float:
                return enc.floats((v,))
            if v is BANG:
                return enc.prefix("")
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, (list, tuple)):
                return enc.message([x.item() if isinstance(x, np.generic) else x for x in v])
            return enc.message((v,))
        except (OverflowError, struct.error):
            raise NodeError(f"cannot send {describe(v)}: a number is too large for OSC's 32-bit floats "
                            f"(types float64 sends doubles)") from None
        except ValueError as e:
            raise NodeError(f"cannot send {e}") from None
        except TypeError:
            raise NodeError(f"cannot send {describe(v)} as OSC (numbers, text and on/off only)") from None

    def _resolve(self):
        """Find where to send. Numbers and localhost at once; names on a helper thread,
        so a slow name server never holds up the patch."""
        self._generation += 1
        self._dest, self._problem = None, None
        host, port = self.params["host"], self.params["port"]
        try:
            found = _lookup(host, port, numeric=True)
        except socket.gaierror:
            if host != "localhost":
                gen = self._generation
                threading.Thread(target=self._lookup_thread, args=(gen, host, port), daemon=True,
                                 name=f"osc.out {self.id} lookup").start()
                return
            found = _lookup(host, port, numeric=False)
        except (UnicodeError, ValueError) as e:
            found = e
        self._found(self._generation, found)

    def _lookup_thread(self, gen, host, port):
        try:
            found = _lookup(host, port, numeric=False)
        except (OSError, UnicodeError, ValueError) as e:
            found = e
        if self._started and gen == self._generation:
            self.post(self._found, gen, found)

    def _found(self, gen, found):
        if gen != self._generation or not self._started:
            return
        if isinstance(found, Exception):
            reason = getattr(found, "strerror", None) or str(found)
            self._problem = f'cannot find the host "{self.params["host"]}" to send to ({reason})'
            raise NodeError(self._problem)
        family, sockaddr = found
        self._open_socket(family, sockaddr)
        self._dest = sockaddr
        if self.error is not None:
            self.error = None
            self.host.notify("error", self.id, None)

    def _open_socket(self, family, sockaddr, connect=True):
        """A socket to send to `sockaddr`: connected (the kernel finds the route once, not once
        per message) unless told otherwise or there is no route there now (then each message
        tries again, and says why it fails)."""
        if self._sock is not None:
            self._sock.close()
        sock = self._sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setblocking(False)  # a full send buffer drops a message, never stalls the patch
        if connect:
            try:
                sock.connect(sockaddr)  # a datagram socket's connect only records where to
                self._send = sock.send
                return
            except OSError:
                pass
        self._send = lambda data: sock.sendto(data, sockaddr)

    def _where(self):
        return f"{self.params['host']}:{self.params['port']}"

    def info(self):
        return {"to": self._where(), "address": self.params["address"], "sent": self._sent,
                "dropped": self._dropped, "ready": self._dest is not None}


def _lookup(host, port, numeric):
    flags = socket.AI_NUMERICHOST if numeric else 0
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM, flags=flags)
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return infos[0][0], infos[0][4]
