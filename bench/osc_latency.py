"""OSC round trip, side by side in one run: client → server → client, for Pure Data,
a bare python-osc echo server, Python's floor (the scheduler's epoll loop answering with
no work: what any Python server pays in system calls and wake-ups), `nodegraph run` with
a pass-through patch (osc.in → scale → osc.out), and `nodegraph run` with
patches/wekinator-classifier.json trained on 300 x 10.

    python bench/osc_latency.py [--seconds 2] [--rates 1000 5000 10000 20000] [--passes 2] [--no-pd]

Pure Data runs `netreceive -u -b` → `oscparse` → `route` → `oscformat` → `netsend -u -b`, a
patch this script writes to a temporary folder, under `pd -nogui -nosound`. Where `pd` is
missing the script tries `apt-get install -y puredata-core` (as root) and, failing that,
leaves Pd out with the reason printed.

Each pass-through message carries its send time (µs modulo 2**24, exact in an OSC float,
so the value is also the message's id); a receiver thread stamps arrivals. The kNN patch
gets example i of its 300 (class i+1) and answers with the class, which names the message
answered. Sends are paced by sleeping, never spinning, so the client's two threads do not
fight over the GIL. Prints p50/p90/p99/worst, loss, and each server's CPU time per message
(user + system, from /proc), then the ratios to Pd and to the echo, and the targets: CPU per
message ≤ 1.5x Pd's at 10,000/s, no loss at 20,000/s, p99 ≤ 1.5x Pd's.
If the library has no `scale` node yet, osc.in → unpack → math(+0) → osc.out
stands in for it (one node more than the real pipeline).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

WRAP = 1 << 24
# this checkout's nodegraph, in this process and in the `nodegraph run` it starts (an
# installed copy elsewhere may be another version, writing params this one does not know)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def now_us():
    return time.perf_counter_ns() // 1000


# ---- the baseline: a bare python-osc echo, run as `--echo IN OUT` in its own process ----

def echo_server(port_in, port_out):
    from pythonosc.dispatcher import Dispatcher
    from pythonosc.osc_server import BlockingOSCUDPServer
    from pythonosc.udp_client import SimpleUDPClient

    client = SimpleUDPClient("127.0.0.1", port_out)
    d = Dispatcher()
    d.map("/bench", lambda address, *args: client.send_message("/echo", list(args)))
    BlockingOSCUDPServer(("127.0.0.1", port_in), d).serve_forever()


def floor_server(port_in, port_out):
    """Python's own floor: what our scheduler's loop costs with no work in it. epoll, every
    datagram waiting read, each answered by /echo with its last float, and the scheduler's
    gathering under a dense stream (nodegraph.scheduler.DENSE, GATHER)."""
    import select

    from nodegraph.scheduler import DENSE, GATHER

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port_in))
    sock.setblocking(False)
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dest, buf, prefix = ("127.0.0.1", port_out), bytearray(2048), b"/echo\0\0\0,f\0\0"
    ep = select.epoll()
    ep.register(sock.fileno(), select.EPOLLIN)
    last = float("-inf")
    while True:
        ep.poll(0.5)
        read = 0
        while True:
            try:
                n = sock.recv_into(buf)
            except BlockingIOError:
                break
            read += 1
            out.sendto(prefix + bytes(buf[n - 4:n]), dest)
        t = time.perf_counter()
        if read and read * DENSE >= t - last:
            time.sleep(GATHER)
        if read:
            last = t


# ---- the patch under test ------------------------------------------------------------

def pipeline(port_in, port_out):
    """The patch: osc.in → scale (identity ranges) → osc.out, or the stand-in."""
    from nodegraph import registry

    nodes = {"in": {"type": "osc.in", "params": {"port": port_in, "address": "/bench"}, "pos": [0, 0]},
             "out": {"type": "osc.out", "params": {"port": port_out, "address": "/echo"}, "pos": [0, 200]}}
    scale = _identity_scale() if registry.resolve("scale") else None
    if scale is not None:
        nodes["s"] = {"type": "scale", "params": scale, "pos": [0, 100]}
        links = [["in", "values", "s", scale_ports[0]], ["s", scale_ports[1], "out", "values"]]
        label = "osc.in → scale → osc.out"
    else:
        nodes["u"] = {"type": "unpack", "params": {"size": 1}, "pos": [0, 70]}
        nodes["m"] = {"type": "math", "params": {"op": "+", "arg": 0.0}, "pos": [0, 140]}
        links = [["in", "values", "u", "vector"], ["u", "out0", "m", "a"], ["m", "out", "out", "values"]]
        label = "osc.in → unpack → math → osc.out (no scale node yet)"
    return {"format": "nodegraph-patch", "version": 1, "nodes": nodes, "links": links}, label


scale_ports = ("in", "out")


def _identity_scale():
    """Params that make `scale` pass our timestamps through unchanged, checked in-process;
    None if this scale cannot be made an identity (then the stand-in is used)."""
    global scale_ports
    import numpy as np

    from nodegraph import AddNode, Runtime, registry

    cls = registry.get("scale")
    names = {p.name for p in cls.params}
    inlet, outlet = cls("probe").inlets[0].name, cls("probe").outlets[0].name
    candidates = [{}]
    for lo, hi in (("in_min", "in_max"), ("out_min", "out_max"), ("in_lo", "in_hi"), ("out_lo", "out_hi")):
        if lo in names and hi in names:
            candidates[0].update({lo: 0.0, hi: float(WRAP)})
    if "clip" in names:
        candidates[0]["clip"] = False
    candidates.append({})
    probe = float(WRAP - 12345)
    for params in candidates:
        rt = Runtime.manual()
        try:
            rt.do(AddNode("scale", params, node_id="s"))
            seen = []
            rt.graph.node("s").watch(outlet, seen.append)
            rt.send("s", inlet, np.array([probe]))
            if seen and np.asarray(seen[0], dtype=float).reshape(-1)[0] == probe:
                scale_ports = (inlet, outlet)
                return params
        except Exception:
            pass
        finally:
            rt.close()
    return None


# ---- Pure Data -------------------------------------------------------------------------

PD_PATCH = """#N canvas 0 0 450 300 12;
#X obj 10 10 netreceive -u -b {port_in};
#X obj 10 40 oscparse;
#X obj 10 70 list trim;
#X obj 10 100 route bench;
#X obj 10 130 oscformat echo;
#X obj 10 160 list prepend send;
#X obj 10 190 list trim;
#X obj 10 220 netsend -u -b;
#X obj 200 10 loadbang;
#X msg 200 40 connect 127.0.0.1 {port_out};
#X connect 0 0 1 0;
#X connect 1 0 2 0;
#X connect 2 0 3 0;
#X connect 3 0 4 0;
#X connect 4 0 5 0;
#X connect 5 0 6 0;
#X connect 6 0 7 0;
#X connect 8 0 9 0;
#X connect 9 0 7 0;
"""


def find_pd():
    """(path to pd, None) or (None, why Pd is left out)."""
    found = shutil.which("pd") or shutil.which("puredata")
    if found:
        return found, None
    if not shutil.which("apt-get"):
        return None, "pd is not installed and there is no apt-get to install it"
    if os.geteuid() != 0:
        return None, "pd is not installed; installing it needs root (apt-get install puredata-core)"
    print("installing Pure Data: apt-get install -y puredata-core ...", flush=True)
    try:
        r = subprocess.run(["apt-get", "install", "-y", "puredata-core"], capture_output=True, text=True,
                           timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"apt-get install puredata-core failed ({e})"
    found = shutil.which("pd") or shutil.which("puredata")
    if found:
        return found, None
    return None, f"apt-get install puredata-core failed: {(r.stderr or r.stdout).strip()[-300:]}"


# ---- the kNN patch ----------------------------------------------------------------------

def knn_patch(port_in, port_out, path):
    """patches/wekinator-classifier.json on our ports, trained (trained_patch)."""
    return trained_patch("wekinator-classifier.json", port_in, port_out, path)


def trained_patch(name, port_in, port_out, path):
    """patches/NAME on our ports, its `classifier` trained on 300 x 10 examples, example i of
    class i+1 (so an answer names the message it answers; every output alike when it has
    several). Returns the 300 inputs."""
    import numpy as np

    from nodegraph import Runtime, SetParam, SetState, patchfile

    doc = patchfile.read(os.path.join(ROOT, "patches", name))
    for node in doc["nodes"].values():
        if node["type"] == "osc.in":
            node["params"]["port"] = port_in
        elif node["type"] == "osc.out":
            node["params"]["port"] = port_out
    X = np.random.default_rng(4).uniform(size=(300, 10))
    rt = Runtime.manual()
    try:
        rt.load_doc(doc)
        node = rt.graph.node("classifier")
        n = node.params.get("outputs", 1)
        rt.do(SetParam("classifier", "folds", 0))  # no cross-validation: the model is all we time
        rows = [{"x": x.tolist(), "y": [i + 1] * n if n > 1 else i + 1, "t": 0.0, "take": 1} for i, x in enumerate(X)]
        rt.do(SetState("classifier", {"examples": rows, "take": 1}))
        rt.send("classifier", "train", True)
        end = time.monotonic() + 60
        while (node._job is not None or node._refit is not None) and time.monotonic() < end:
            rt.poll(0.02)
        patchfile.write(path, rt.to_doc())
    finally:
        rt.close()
    return X



# ---- the client ----------------------------------------------------------------------

class Receiver(threading.Thread):
    """Stamps every answer: (its last float, arrival µs). Only `address` counts (the kNN
    patch also sends /wekinator/status/done-training to the same port)."""

    def __init__(self, sock, address):
        super().__init__(daemon=True)
        self.sock, self.address = sock, address
        self.arrivals = []
        self.running = True

    def run(self):
        recv, unpack, arrivals, address = self.sock.recv, struct.unpack_from, self.arrivals, self.address
        self.sock.settimeout(0.1)
        while self.running:
            try:
                data = recv(2048)
            except socket.timeout:
                continue
            t = time.perf_counter_ns() // 1000
            if data.startswith(address):
                arrivals.append((unpack(">f", data, len(data) - 4)[0], t))


def osc_floats(address, values):
    addr = address.encode() + b"\0"
    addr += b"\0" * (-len(addr) % 4)
    tags = ("," + "f" * len(values)).encode() + b"\0"
    tags += b"\0" * (-len(tags) % 4)
    return addr + tags + struct.pack(f">{len(values)}f", *values)


def message(ts):
    return b"/bench\0\0,f\0\0" + struct.pack(">f", float(ts))


class Target:
    """A server under test: how to talk to it and how to match its answers to what was sent."""

    def __init__(self, name, proc, port_in, rsock, answer_address, inputs=None):
        self.name, self.proc, self.pid = name, proc, proc.pid
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.dest = ("127.0.0.1", port_in)
        self.receiver = Receiver(rsock, answer_address)
        self.receiver.start()
        self.inputs = inputs  # kNN: the 300 example messages; None: timestamp echo

    def send(self, data):
        self.sock.sendto(data, self.dest)

    def message(self, i, ts):
        return message(ts % WRAP) if self.inputs is None else self.inputs[i % len(self.inputs)]

    def wait_until_answering(self, timeout=40.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            if self.inputs is not None:
                self.send(osc_floats("/wekinator/control/startRunning", []))
            self.send(self.message(0, now_us()))
            time.sleep(0.05)
            if self.receiver.arrivals:
                return True
        return False

    def match(self, sends, arrivals):
        """(received, latencies in µs, sorted)."""
        if self.inputs is None:
            sent = {ts % WRAP for ts in sends}
            seen, lat = set(), []
            for value, t in arrivals:
                ts = int(value)
                if ts in sent and ts not in seen:
                    seen.add(ts)
                    lat.append((t - ts) % WRAP)
            return len(seen), sorted(lat)
        lat, j, n, m = [], 0, len(sends), len(self.inputs)
        for value, t in arrivals:  # class c answers the next message of example c-1
            c = int(round(value))
            while j < n and j % m + 1 != c:
                j += 1
            if j >= n:
                break
            lat.append(t - sends[j])
            j += 1
        return len(lat), sorted(lat)

    def close(self):
        self.receiver.running = False
        self.sock.close()


def run_rate(target, rate, seconds):
    """Paced sends at `rate` for `seconds`; returns (sent, received, sorted latencies in µs)."""
    interval = 1_000_000 / rate
    n = int(rate * seconds)
    target.receiver.arrivals.clear()
    sends = [0] * n
    start = now_us() + 1000
    i = 0
    while i < n:
        t = now_us()
        due = start + i * interval
        if t < due:
            # Sleep, never spin: a spinning thread (even one calling sleep(0)) keeps grabbing
            # the GIL back and the receiver thread waits up to the 5 ms switch interval.
            time.sleep((due - t) / 1e6)
            continue
        while i < n and start + i * interval <= t:  # late wake-up: send what is due
            ts = now_us()
            sends[i] = ts
            target.send(target.message(i, ts))
            i += 1
    time.sleep(0.3)  # let the last answers arrive
    got, lat = target.match(sends, list(target.receiver.arrivals))
    return n, got, lat


def cpu_seconds(pid):
    """CPU time a process (all its threads) has used so far, from the scheduler's
    nanosecond counts (/proc/PID/task/*/schedstat); the tick-counted /proc/PID/stat
    (10 ms steps) where those are missing; None without /proc."""
    try:
        total = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def pct(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q / 100 * len(sorted_values)))]


def start_targets(args, tmp):
    targets = []
    label = ""
    names = ["Pure Data", "python-osc echo", "Python floor", "nodegraph pass", "nodegraph kNN"]
    if args.no_pd:
        print("Pure Data: left out (--no-pd)")
        names.remove("Pure Data")
    for name in names:
        port_in, port_out = free_port(), free_port()
        rsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        rsock.bind(("127.0.0.1", port_out))
        inputs, answer = None, b"/echo"
        if name == "Pure Data":
            pd, why = find_pd()
            if pd is None:
                print(f"Pure Data: left out: {why}")
                rsock.close()
                continue
            path = os.path.join(tmp, "echo.pd")
            with open(path, "w") as f:
                f.write(PD_PATCH.format(port_in=port_in, port_out=port_out))
            cmd = [pd, "-nogui", "-nosound", "-nomidi", "-noprefs", "-open", path]
        elif name == "python-osc echo":
            cmd = [sys.executable, os.path.abspath(__file__), "--echo", str(port_in), str(port_out)]
        elif name == "Python floor":
            cmd = [sys.executable, os.path.abspath(__file__), "--floor", str(port_in), str(port_out)]
        elif name == "nodegraph pass":
            patch, label = pipeline(port_in, port_out)
            path = os.path.join(tmp, "bench.json")
            with open(path, "w") as f:
                json.dump(patch, f)
            cmd = [sys.executable, "-m", "nodegraph", "run", path, "--quiet"]
        else:
            path = os.path.join(tmp, "knn.json")
            X = knn_patch(port_in, port_out, path)
            inputs, answer = [osc_floats("/wek/inputs", x.tolist()) for x in X], b"/wek/outputs"
            cmd = [sys.executable, "-m", "nodegraph", "run", path, "--quiet"]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        target = Target(name, proc, port_in, rsock, answer, inputs)
        if not target.wait_until_answering():
            err = proc.stderr.read().decode(errors="replace")[-400:] if proc.poll() is not None else ""
            print(f"{name}: did not answer; left out {err}")
            proc.terminate()
            target.close()
            continue
        run_rate(target, 1000, 0.3)  # warm up
        targets.append(target)
    return targets, label


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rates", type=int, nargs="+", default=[1000, 5000, 10000, 20000])
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--no-pd", action="store_true", help="leave Pure Data out")
    ap.add_argument("--echo", type=int, nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--floor", type=int, nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.echo:
        return echo_server(*args.echo)
    if args.floor:
        return floor_server(*args.floor)

    tmp = tempfile.mkdtemp(prefix="osc-bench-")
    targets = []
    try:
        targets, label = start_targets(args, tmp)
        print(f"\nOSC round trip on 127.0.0.1, {args.seconds:g} s per rate and target, one target at a time; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
        print(f"nodegraph pass: {label}; nodegraph kNN: patches/wekinator-classifier.json, 300 x 10, k=1")
        print("CPU µs/msg: the server process's CPU time (all threads, from schedstat) per message answered")
        for p in range(args.passes):
            results = {}
            print(f"\npass {p + 1}")
            print(f"{'rate':>8}  {'target':<16} {'sent':>6} {'lost':>6} {'p50 µs':>7} {'p90 µs':>7} {'p99 µs':>7}"
                  f" {'worst':>7} {'CPU µs/msg':>10} {'CPU %':>6}")
            for rate in args.rates:
                for target in targets:
                    cpu0 = cpu_seconds(target.pid)
                    t0 = time.perf_counter()
                    sent, got, lat = run_rate(target, rate, args.seconds)
                    elapsed = time.perf_counter() - t0
                    cpu1 = cpu_seconds(target.pid)
                    cpu = (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else float("nan")
                    r = results[rate, target.name] = {
                        "sent": sent, "lost": sent - got, "p50": pct(lat, 50), "p90": pct(lat, 90),
                        "p99": pct(lat, 99), "worst": lat[-1] if lat else float("nan"),
                        "cpu": cpu / max(1, got) * 1e6, "pct": 100 * cpu / elapsed}
                    print(f"{rate:>6}/s  {target.name:<16} {sent:>6} {r['lost']:>6} {r['p50']:>7} {r['p90']:>7}"
                          f" {r['p99']:>7} {r['worst']:>7} {r['cpu']:>10.1f} {r['pct']:>6.0f}")
            summarise(results, args.rates, [t.name for t in targets])
            print(f"(load average now {os.getloadavg()[0]:.2f})")
    finally:
        for t in targets:
            t.proc.terminate()
            t.close()
        for t in targets:
            try:
                t.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                t.proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def summarise(results, rates, names):
    def ratio(a, b):
        return a / b if b and b == b and a == a else float("nan")

    for ours in ("nodegraph pass", "nodegraph kNN"):
        if ours not in names:
            continue
        print(f"  {ours}:")
        for rate in rates:
            r = results[rate, ours]
            parts = []
            for base in ("Pure Data", "python-osc echo", "Python floor"):
                if base in names:
                    b = results[rate, base]
                    parts.append(f"{ratio(r['p50'], b['p50']):.2f}x / {ratio(r['p99'], b['p99']):.2f}x / "
                                 f"{ratio(r['cpu'], b['cpu']):.2f}x {base}")
            print(f"    {rate:>6}/s  p50 / p99 / CPU per msg: " + ";  ".join(parts))
        verdicts = []
        if "Pure Data" in names:
            if 10000 in rates:
                c = ratio(results[10000, ours]["cpu"], results[10000, "Pure Data"]["cpu"])
                verdicts.append(f"CPU/msg at 10k {c:.2f}x Pd ({'ok' if c <= 1.5 else 'MISS'} ≤1.5x)")
            worst = max(ratio(results[rate, ours]["p99"], results[rate, "Pure Data"]["p99"]) for rate in rates)
            verdicts.append(f"p99 ≤ {worst:.2f}x Pd's at every rate ({'ok' if worst <= 1.5 else 'MISS'} ≤1.5x)")
        if 20000 in rates:
            lost = results[20000, ours]["lost"]
            verdicts.append(f"loss at 20k {lost} ({'ok' if lost == 0 else 'MISS'})")
        print("    targets: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
