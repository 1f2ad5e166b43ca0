"""OSC round-trip latency: client → `nodegraph run` (osc.in → scale → osc.out) → client,
beside a bare python-osc echo server (BlockingOSCUDPServer in its own process), in one run.

    python bench/osc_latency.py [--seconds 2] [--rates 1000 5000 10000]

Each message carries its send time (µs modulo 2**24, exact in an OSC float, so
the value is also the message's id); a receiver thread stamps arrivals. Sends are
paced by sleeping, never spinning, so the client's two threads do not fight over
the GIL. Prints p50/p90/p99 and loss per rate and target, then the targets:
p50 within 1.5x the bare echo, p99 under 300 µs, no loss at 5,000 msg/s.
If the library has no `scale` node yet, osc.in → unpack → math(+0) → osc.out
stands in for it (one node more than the real pipeline).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

WRAP = 1 << 24


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


# ---- the client ----------------------------------------------------------------------

class Receiver(threading.Thread):
    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.arrivals = []  # (timestamp in the message, arrival µs)
        self.running = True

    def run(self):
        recv, unpack, arrivals = self.sock.recv, struct.unpack_from, self.arrivals
        self.sock.settimeout(0.1)
        while self.running:
            try:
                data = recv(2048)
            except socket.timeout:
                continue
            t = time.perf_counter_ns() // 1000
            arrivals.append((int(unpack(">f", data, len(data) - 4)[0]), t))


def message(ts):
    return b"/bench\0\0,f\0\0" + struct.pack(">f", float(ts))


def wait_until_answering(send, receiver, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        send(message(1))
        time.sleep(0.05)
        if receiver.arrivals:
            return True
    return False


def run_rate(send, receiver, rate, seconds):
    """Paced sends at `rate` for `seconds`; returns (sent, received, latencies in µs)."""
    interval = 1_000_000 / rate
    n = int(rate * seconds)
    receiver.arrivals.clear()
    sent = set()
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
            ts = now_us() % WRAP
            sent.add(ts)
            send(message(ts))
            i += 1
    time.sleep(0.3)  # let the last answers arrive
    arrivals = list(receiver.arrivals)
    latencies = sorted((arrived - ts) % WRAP for ts, arrived in arrivals if ts in sent)
    got = {ts for ts, _ in arrivals if ts in sent}
    return len(sent), len(got), latencies


def cpu_seconds(pid):
    """CPU time (user + system) a process has used so far; None where /proc is missing."""
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rates", type=int, nargs="+", default=[1000, 5000, 10000])
    ap.add_argument("--echo", type=int, nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.echo:
        return echo_server(*args.echo)

    targets = {}
    procs = []
    tmp = tempfile.mkdtemp(prefix="osc-bench-")
    label = ""
    try:
        for name in ("python-osc echo", "nodegraph"):
            port_in, port_out = free_port(), free_port()
            rsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            rsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
            rsock.bind(("127.0.0.1", port_out))
            if name == "nodegraph":
                patch, label = pipeline(port_in, port_out)
                path = os.path.join(tmp, "bench.json")
                with open(path, "w") as f:
                    json.dump(patch, f)
                cmd = [sys.executable, "-m", "nodegraph", "run", path, "--quiet"]
            else:
                cmd = [sys.executable, os.path.abspath(__file__), "--echo", str(port_in), str(port_out)]
            procs.append(subprocess.Popen(cmd))
            ssock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            receiver = Receiver(rsock)
            receiver.start()
            send = (lambda s, p: lambda data: s.sendto(data, ("127.0.0.1", p)))(ssock, port_in)
            if not wait_until_answering(send, receiver):
                sys.exit(f"{name} did not answer")
            run_rate(send, receiver, 1000, 0.3)  # warm up
            targets[name] = (send, receiver, procs[-1].pid)

        print(f"OSC round trip on 127.0.0.1, {args.seconds:g} s per rate; nodegraph patch: {label}")
        print("(CPU µs/msg: the server process's CPU time per message, a figure the machine's load "
              "disturbs less than latency)")
        print(f"{'rate':>8}  {'target':<16} {'sent':>6} {'lost':>6} {'p50 µs':>7} {'p90 µs':>7} {'p99 µs':>7}"
              f" {'CPU µs/msg':>10}")
        results = {}
        for rate in args.rates:
            for name, (send, receiver, pid) in targets.items():
                cpu0 = cpu_seconds(pid)
                sent, got, lat = run_rate(send, receiver, rate, args.seconds)
                cpu1 = cpu_seconds(pid)
                cpu = f"{(cpu1 - cpu0) / max(1, got) * 1e6:.1f}" if cpu0 is not None and cpu1 is not None else "?"
                r = results[rate, name] = {"sent": sent, "lost": sent - got, "p50": pct(lat, 50),
                                           "p90": pct(lat, 90), "p99": pct(lat, 99)}
                print(f"{rate:>6}/s  {name:<16} {sent:>6} {r['lost']:>6} {r['p50']:>7} {r['p90']:>7} {r['p99']:>7}"
                      f" {cpu:>10}")
        print()
        for rate in args.rates:
            ng, echo = results[rate, "nodegraph"], results[rate, "python-osc echo"]
            ratio = ng["p50"] / echo["p50"] if echo["p50"] else float("nan")
            verdicts = [f"p50 {ratio:.2f}x echo ({'ok' if ratio <= 1.5 else 'MISS'} ≤1.5x)",
                        f"p99 {ng['p99']} µs ({'ok' if ng['p99'] < 300 else 'MISS'} <300)"]
            if rate == 5000 or ng["lost"]:
                verdicts.append(f"loss {ng['lost']} ({'ok' if ng['lost'] == 0 else 'MISS' if rate <= 5000 else 'stretch'})")
            print(f"{rate:>6}/s  nodegraph: " + "; ".join(verdicts))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)


if __name__ == "__main__":
    main()
