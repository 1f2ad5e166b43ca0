"""The scheduler: one thread owns every node; everything else posts to its inbox.

An event (a message from a socket, a clock tick, an edit) starts a cascade.
Values travel along links; each node that received a value runs after every
upstream node of the cascade has run (nodes are taken by depth, the longest
path from a source), so a diamond's join runs once with both fresh values.
Among nodes of the same depth the order their values were sent decides, never
their names: a trigger's right outlet's target runs before its left one's. A node that emits several values on one
outlet makes its downstream run once per value, in order.

Time is logical (Pd): a timer callback sees `now` equal to the time it was due,
so a metro does not drift however late the thread wakes.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import select
import socket
import sys
import threading
import time
import traceback
from collections import deque

from .clock import RealClock
from .errors import NodegraphError
from .io.osc import Throttle, held_note
from .types import CoercionError

log = logging.getLogger("nodegraph")

# Under a dense stream the thread gathers datagrams instead of waking for each: a wake-up
# costs more CPU than a message's whole work (about 30 µs on a shared VM), so from one
# datagram every DENSE seconds on (4,000 a second) it waits up to GATHER seconds after
# each burst, as Pd reads its sockets once per 1.45 ms tick. A sparser stream is
# answered at once; a timer due or an event posted ends the wait.
DENSE = 0.00025
GATHER = 0.001


class Timer:
    __slots__ = ("when", "seq", "node", "fn", "args", "cancelled")

    def __init__(self, when, seq, node, fn, args):
        self.when, self.seq, self.node, self.fn, self.args = when, seq, node, fn, args
        self.cancelled = False

    def cancel(self):
        self.cancelled = True

    def __lt__(self, other):
        return (self.when, self.seq) < (other.when, other.seq)


class Scheduler:
    def __init__(self, graph, clock=None, console=None):
        self.quiet = False  # while the engine performs an undo or redo: nothing is sent
        self.graph = graph
        graph.host = self
        graph.index()  # made here, not by the first cascade: networkx's import would stall it
        for node in graph.nodes.values():
            node.host = self
        self.clock = clock or RealClock()
        self.console = console
        self.base_dir = None  # the patch's folder: relative file paths in nodes start here
        self._logical = None  # set while a timer's cascade runs
        self._heap = []
        self._timers = []
        self._seq = itertools.count()
        self._sent = itertools.count()
        self._inbox = deque()
        self._next = None  # the one node queued, while only one is: no heap operation for a chain
        # epoll itself, not selectors: its wrapping costs a few µs per wake, and at 10,000
        # datagrams a second the thread wakes for nearly every one
        self._epoll = select.epoll()
        self._readers = {}  # fd -> (socket, node, callback)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._epoll.register(self._wake_r.fileno(), select.EPOLLIN)
        self._gather = select.epoll()  # the wake-up pipe alone: what may end a gathering wait
        self._gather.register(self._wake_r.fileno(), select.EPOLLIN)
        self._thread = None
        self._running = False
        self.activations = 0
        # While a socket's burst of datagrams is handled, what nodes send out waits here and
        # goes at the burst's end, back to back: a datagram sent on its own wakes its receiver
        # each time (on a VM 20-40 µs of the sender's CPU, more than the message's whole
        # work); sent in a row, the receiver is still awake for the next. Pd sends once per tick.
        self._outbox = None
        self._error_lines = Throttle()  # node errors are rate-limited as malformed datagrams are

    # ---- what nodes call -------------------------------------------------------------

    @property
    def now(self) -> float:
        return self._logical if self._logical is not None else self.clock.now()

    def deliver(self, links, value):
        for target, inlet in links:
            convert = target._convert[inlet]
            if convert is not None:
                try:
                    v = convert(value)
                except CoercionError as e:
                    self.fail(target, f"inlet '{inlet}' {e}")
                    continue
            else:
                v = value
            target._pending.append((inlet, v))
            if not target._queued:
                target._queued = True
                # depth first keeps a diamond's join after both its sides; among nodes of one
                # depth, the order values were sent decides (a trigger's right outlet first)
                entry = (target._rank, next(self._sent), target)
                if self._next is None and not self._heap:
                    self._next = entry  # alone: it runs next whatever its rank
                else:
                    if self._next is not None:
                        heapq.heappush(self._heap, self._next)
                        self._next = None
                    heapq.heappush(self._heap, entry)

    def schedule(self, node, delay_ms, fn, args=()):
        timer = Timer(self.now + max(0.0, float(delay_ms)), next(self._seq), node, fn, args)
        heapq.heappush(self._timers, timer)
        if self._thread is not None and threading.current_thread() is not self._thread:
            self._wake()
        return timer

    def post(self, node, fn, args=()):
        """Thread-safe: run fn(*args) on the scheduler thread as its own cascade."""
        self._inbox.append((node, fn, args))
        self._wake()

    def defer(self, node, fn, arg) -> bool:
        """During a socket's burst, keep fn(arg) (a node sending out of the patch) for the
        burst's end and return True; otherwise False: send now."""
        if self._outbox is None:
            return False
        self._outbox.append((node, fn, arg))
        return True

    def flush(self, more=False):
        """Send what the burst so far made the patch send; `more`: the burst goes on (a long
        burst is sent in parts, so its first answers do not wait for its last datagram)."""
        out = self._outbox
        if out is None:
            return  # not in a burst: everything went at once
        self._outbox = [] if more else None
        for node, fn, arg in out:
            try:
                fn(arg)
            except Exception as e:
                self.fail(node, e)
            else:
                self._clear_error(node)

    def log(self, node, text, level="info"):
        if self.console is not None:
            self.console.write(text, node.id if node is not None else None, level)

    def notify(self, event, *args):
        self.graph.notify(event, *args)

    def add_reader(self, sock, node, callback):
        """Run callback() on the scheduler thread whenever `sock` is readable.

        Sockets read here cost no thread hop: a datagram is parsed and its cascade
        runs on the same thread, as Pd polls its sockets in the scheduler.
        """
        fd = sock.fileno()
        if fd in self._readers:
            raise KeyError(f"{sock!r} is already read by the scheduler")
        self._epoll.register(fd, select.EPOLLIN)
        self._readers[fd] = (sock, node, callback)
        self._wake()

    def remove_reader(self, sock):
        for fd, (s, _, _) in list(self._readers.items()):
            if s is sock:
                del self._readers[fd]
                try:
                    self._epoll.unregister(fd)
                except OSError:
                    pass  # closed already: epoll forgot it then

    # ---- cascades --------------------------------------------------------------------

    def run_event(self, node, fn, args=()):
        """Run one event and the cascade it starts, to completion."""
        self.graph.update_ranks()
        try:
            fn(*args)
        except Exception as e:  # a node's failure stays with that node
            self.fail(node, e)
        self._cascade()

    def send(self, node, inlet, value):
        """Deliver a value into a node's inlet as if a link carried it."""
        self.run_event(node, self.deliver, ([(node, inlet)], value))

    def _cascade(self):
        heap = self._heap
        pop = heapq.heappop
        while True:
            if self._next is not None:
                node = self._next[2]
                self._next = None
            elif heap:
                node = pop(heap)[2]
            else:
                return
            node._queued = False
            pending = node._pending
            node._pending = []
            if len(pending) == 1:
                name, value = pending[0]
                node.inputs[name] = value
                if name in node.hot:
                    self._activate(node, (name,))
            else:
                self._rounds(node, pending)

    def _rounds(self, node, pending):
        """Several values arrived: round i gives each inlet its i-th value."""
        queues = {}
        for name, value in pending:
            queues.setdefault(name, []).append(value)
        depth = max(len(q) for q in queues.values())
        inputs, hot = node.inputs, node.hot
        for i in range(depth):
            fired = []
            for name, q in queues.items():
                if i < len(q):
                    inputs[name] = q[i]
                    fired.append(name)
            if not hot.isdisjoint(fired):
                self._activate(node, tuple(fired))

    def _activate(self, node, fired):
        node.runs += 1
        try:
            node.process(fired)
        except Exception as e:
            self.fail(node, e)
        else:
            if node.error is not None and not (self._outbox and self._outbox[-1][0] is node):
                self._clear_error(node)  # (what it deferred says at the flush whether it worked)

    def _clear_error(self, node):
        if node.error is not None:
            node.error = None
            self.graph.notify("error", node.id, None)

    def fail(self, node, error):
        """Mark `node` errored; its branch of the cascade stops here, the rest goes on."""
        if isinstance(error, NodegraphError):
            message = str(error)
        elif isinstance(error, str):
            message = error
        else:
            message = f"{type(error).__name__}: {error}"
            log.debug("node %s failed:\n%s", getattr(node, "id", "?"), traceback.format_exc())
        if node is None:
            log.error("%s", message)
            return
        if node.error == message:
            return  # already shown and logged: a flood of one failure must not flood the console
        node.error = message
        # nor may a failure that alternates with successes: each message at most once per
        # interval per node (a different message is news, and gets through)
        held = self._error_lines((node.id, message))
        if held is not None:
            log.warning("node '%s' (%s): %s%s", node.id, node.type_id, message, held_note(held))
            if self.console is not None:
                self.console.write(message + held_note(held), node.id, "error")
        self.graph.notify("error", node.id, message)

    # ---- time and the inbox ----------------------------------------------------------

    def run_due(self, until=None):
        """Run every timer due by `until` (default: now), each at its own logical time."""
        until = self.clock.now() if until is None else until
        timers = self._timers
        while timers and timers[0].when <= until:
            timer = heapq.heappop(timers)
            if timer.cancelled:
                continue
            self._logical = timer.when
            if timer.node is not None:
                timer.node.runs += 1  # a metro's tick is a run too (the editor's message-rate meter)
            try:
                self.run_event(timer.node, timer.fn, timer.args)
            finally:
                self._logical = None

    def clear_timers(self):
        self._timers.clear()

    def advance(self, ms):
        """Manual clock only: move time forward by `ms`, running timers on the way."""
        if not self.clock.manual:
            raise RuntimeError("advance() needs a ManualClock")
        target = self.clock.t + ms
        while self._timers and self._timers[0].when <= target:
            self.clock.t = max(self.clock.t, self._timers[0].when)
            self.run_due(self.clock.t)
        self.clock.t = target

    def poll(self, timeout=0.0):
        """Handle readable sockets and posted events once; wait up to `timeout` seconds.
        Returns how many datagrams (or other reads) the sockets' readers handled."""
        if self._inbox:
            timeout = 0
        readers = self._readers
        read = 0
        for fd, _ in self._epoll.poll(timeout):
            reader = readers.get(fd)
            if reader is not None:
                _, node, callback = reader
                if node is not None:
                    node.runs += 1
                # a reader runs its own cascades (one per datagram): no event around them
                self._outbox = []
                try:
                    n = callback()
                    read += 1 if n is None else n
                except Exception as e:
                    self.fail(node, e)
                finally:
                    self.flush()
            else:  # the wake-up pipe
                try:
                    while self._wake_r.recv(4096):
                        pass
                except BlockingIOError:
                    pass
        inbox = self._inbox
        while inbox:
            node, fn, args = inbox.popleft()
            if node is not None and fn != self.deliver:  # a delivered value counts when it runs the node
                node.runs += 1
            self.run_event(node, fn, args)
        return read

    def _wake(self):
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # the pipe is full: the loop is awake already

    # ---- the thread ------------------------------------------------------------------

    def start_thread(self):
        if self._thread is not None:
            return
        self._running = True
        # Other threads (the editor's drawing, a save's JSON, the trainer's pipes) hold the GIL
        # for up to the switch interval before this thread gets it back: 5 ms by default, a
        # stall a live stream hears. 1 ms bounds it for a little more switching.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self._thread = threading.Thread(target=self._loop, name="nodegraph-scheduler", daemon=True)
        self._thread.start()

    def stop_thread(self):
        if self._thread is None:
            return
        self._running = False
        self._wake()
        if threading.current_thread() is not self._thread:
            try:
                self._thread.join(timeout=5)
            except RuntimeError:
                pass  # a signal stopped start() before the thread was running: nothing to wait for
        self._thread = None

    def on_thread(self) -> bool:
        return self._thread is None or threading.current_thread() is self._thread

    def _loop(self):
        last_read = float("-inf")
        while self._running:
            timeout = 0.5
            if self._timers:
                timeout = min(timeout, max(0.0, (self._timers[0].when - self.clock.now()) / 1000.0))
            read = self.poll(timeout)
            if self._timers and not self.clock.manual:
                self.run_due()
            if read:
                t = time.perf_counter()
                if read * DENSE >= t - last_read:  # a datagram every DENSE s or closer, on average
                    wait = GATHER
                    if self._timers:
                        wait = min(wait, max(0.0, (self._timers[0].when - self.clock.now()) / 1000.0))
                    self._gather.poll(wait)  # a posted event or an edit still ends it at once
                last_read = t

    def close(self):
        self.stop_thread()
        self._epoll.close()
        self._gather.close()
        self._wake_r.close()
        self._wake_w.close()

