"""Start-up: how long a person waits for `nodegraph check PATCH` to answer, and for
`nodegraph run PATCH` to send its first OSC message. Each is a fresh process, timed from
its start; the baselines, measured in the same run, are Python doing nothing and Python
importing numpy (what any numeric program here pays before its first line).
Aims (issue 16): check < 0.3 s, run to the first message < 1 s.

    python bench/startup.py [--runs 10]

Bytecode caches are written first (a first run compiles every module once; a person's
second run does not), so PYTHONDONTWRITEBYTECODE is cleared for the children.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPATH"] = ROOT + os.pathsep + ENV.get("PYTHONPATH", "")
CLI = [sys.executable, "-m", "nodegraph"]


def timed(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, env=ENV, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def first_message(patch, port, timeout=20.0):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.settimeout(timeout)
        t0 = time.perf_counter()
        proc = subprocess.Popen(CLI + ["run", patch], env=ENV, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            sock.recv(2048)
            return time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(10)


def ticking_patch(folder, port):
    """metro (on at start) → osc.out: the first tick is the first message."""
    doc = {"format": "nodegraph-patch", "version": 1,
           "nodes": {"tick": {"type": "metro", "params": {"interval": 10, "autostart": True}, "pos": [0, 0]},
                     "send": {"type": "osc.out", "params": {"port": port, "address": "/tick"}, "pos": [0, 100]}},
           "links": [["tick", "bang", "send", "values"]]}
    path = os.path.join(folder, "tick.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def summary(name, times):
    times = sorted(times)
    print(f"{name:<44} p50 {times[len(times) // 2]:6.3f} s   best {times[0]:6.3f}   worst {times[-1]:6.3f}")
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    hello = os.path.join(ROOT, "patches", "hello.json")
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        tick = ticking_patch(tmp, port)
        timed(CLI + ["check", hello])  # writes the bytecode caches
        first_message(tick, port)
        print(f"{args.runs} runs each, load average {os.getloadavg()[0]:.2f}")
        bare = summary("python -c pass", [timed([sys.executable, "-c", "pass"]) for _ in range(args.runs)])
        numpy = summary("python -c 'import numpy'",
                        [timed([sys.executable, "-c", "import numpy"]) for _ in range(args.runs)])
        check = summary("nodegraph check patches/hello.json", [timed(CLI + ["check", hello]) for _ in range(args.runs)])
        run = summary("nodegraph run: to the first OSC message", [first_message(tick, port) for _ in range(args.runs)])
    print(f"check: {check / bare:.1f}x python doing nothing, {check / numpy:.1f}x importing numpy; "
          f"aim < 0.3 s: {'met' if check < 0.3 else 'MISSED'}")
    print(f"run to the first message: {run / numpy:.1f}x importing numpy; aim < 1 s: {'met' if run < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
