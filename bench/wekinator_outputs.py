"""/wek/inputs → /wek/outputs round trip of the 3-output classifier beside the one-output one,
in one run: patches/wekinator-classifier-3.json (one ml.classify, outputs = 3) and
patches/wekinator-classifier.json, each under `nodegraph run`, each kNN trained on 300 x 10.

    python bench/wekinator_outputs.py [--seconds 2] [--rates 1000 5000] [--passes 2]

Example i has class i+1 for every output, so an answer's last float names the message it
answers (as in bench/osc_latency.py, whose client this reuses: paced sends, a receiver
thread stamping arrivals). Prints p50/p99/worst and loss per patch and rate, the server's
CPU time per message, and the 3-output patch's ratios to the one-output patch.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from osc_latency import ROOT, Target, cpu_seconds, free_port, osc_floats, pct, run_rate, trained_patch  # noqa: E402

PATCHES = {"1 output": "wekinator-classifier.json", "3 outputs": "wekinator-classifier-3.json"}


def start(label, tmp):
    port_in, port_out = free_port(), free_port()
    rsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    rsock.bind(("127.0.0.1", port_out))
    path = os.path.join(tmp, f"{len(label)}.json")
    X = trained_patch(PATCHES[label], port_in, port_out, path)
    proc = subprocess.Popen([sys.executable, "-m", "nodegraph", "run", path, "--quiet"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    target = Target(label, proc, port_in, rsock, b"/wek/outputs", [osc_floats("/wek/inputs", x.tolist()) for x in X])
    if not target.wait_until_answering():
        proc.terminate()
        target.close()
        raise SystemExit(f"{label}: did not answer")
    run_rate(target, 1000, 0.3)  # warm up
    return target


def drain(target, quiet=0.5, limit=10.0):
    """Wait until the patch has answered everything it still holds: under overload answers come
    seconds late, and a late answer counted in the next run would be matched to the wrong send."""
    end = time.monotonic() + limit
    seen = -1
    while time.monotonic() < end and len(target.receiver.arrivals) != seen:
        seen = len(target.receiver.arrivals)
        time.sleep(quiet)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rates", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--passes", type=int, default=2)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="wek-bench-")
    targets = []
    try:
        targets = [start(label, tmp) for label in PATCHES]
        print(f"/wek/inputs → /wek/outputs on 127.0.0.1, kNN on 300 x 10, {args.seconds:g} s per rate and patch; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
        for p in range(args.passes):
            print(f"\npass {p + 1}")
            print(f"{'patch':10} {'rate/s':>7} {'p50 µs':>8} {'p99 µs':>8} {'worst µs':>9} {'loss':>6} {'CPU µs/msg':>11}")
            results = {}
            for rate in args.rates:
                for t in targets:
                    drain(t)
                    before = cpu_seconds(t.pid)
                    sent, got, lat = run_rate(t, rate, args.seconds)
                    after = cpu_seconds(t.pid)
                    cpu = (after - before) * 1e6 / max(got, 1) if before is not None and after is not None else float("nan")
                    results[t.name, rate] = (pct(lat, 50), pct(lat, 99), lat[-1] if lat else float("nan"), cpu)
                    print(f"{t.name:10} {rate:>7} {pct(lat, 50):>8.0f} {pct(lat, 99):>8.0f} "
                          f"{(lat[-1] if lat else float('nan')):>9.0f} {1 - got / sent:>6.1%} {cpu:>11.1f}")
                a, b = results["3 outputs", rate], results["1 output", rate]
                print(f"{'ratio':10} {rate:>7} {a[0] / b[0]:>7.2f}x {a[1] / b[1]:>7.2f}x {a[2] / b[2]:>8.2f}x "
                      f"{'':>6} {a[3] / b[3]:>10.2f}x   (3 outputs / 1 output)")
    finally:
        for t in targets:
            t.proc.terminate()
            t.close()


if __name__ == "__main__":
    main()
