"""MIDI round-trip latency: client → `nodegraph run` (midi.in → midi.out) → client, beside a
direct rtmidi loopback (client → client) on the same JACK server, in one run.

    python bench/midi_latency.py [--n 500] [--burst 1000]

Needs a JACK server (scripts/start-jack.sh starts one; this script runs it if none
answers). One message is in flight at a time: a CC whose value is its id goes out
of a client port, through the patch (midi.in's `value`, 0–1, into midi.out's
`value`, back to the same CC) or straight back, and the client polls its input
for it. A JACK MIDI hop lands on the next period boundary, so the direct loopback
takes about one period and the patch (two hops: into midi.in, out of midi.out)
about two; the ratio is reported against that. Then a burst of `--burst`
note-ons goes through the patch back to back: all must arrive, in order.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nodegraph.io import midi  # noqa: E402


def ensure_jack():
    if not midi.jack_answers():
        run = subprocess.run(["bash", str(ROOT / "scripts" / "start-jack.sh")], capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"no JACK server: {run.stderr.strip() or run.stdout.strip()}")


def jack_period():
    try:
        frames = int(subprocess.run(["jack_bufsize"], capture_output=True, text=True, timeout=10).stdout.split()[0])
        rate = int(subprocess.run(["jack_samplerate"], capture_output=True, text=True, timeout=10).stdout.split()[0])
        return frames, rate
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None, None


class Client:
    """Two virtual ports: `out` (what the patch or the loopback reads) and `in`."""

    def __init__(self, rtmidi, name):
        self.rtmidi, self.name = rtmidi, name
        with midi.jack_gate:
            self.out = rtmidi.MidiOut(midi.JACK, name=f"{name}_out")
        with midi.jack_gate:
            self.out.open_virtual_port("out")
        with midi.jack_gate:
            self.inp = rtmidi.MidiIn(midi.JACK, name=f"{name}_in", queue_size_limit=16384)
        with midi.jack_gate:
            self.inp.open_virtual_port("in")
        self.extra = []

    @property
    def source(self):
        return f"{self.name}_out:out"

    @property
    def dest(self):
        return f"{self.name}_in:in"

    def loopback(self):
        """A direct connection from `out` to a second input: the baseline path."""
        with midi.jack_gate:
            inp = self.rtmidi.MidiIn(midi.JACK, name=f"{self.name}_loop", queue_size_limit=16384)
        with midi.jack_gate:
            inp.open_port(inp.get_ports().index(self.source), "in")
        self.extra.append(inp)
        return inp

    def drain(self, port):
        while port.get_message() is not None:
            pass

    def round_trips(self, port, n):
        lat = []
        for i in range(n):
            self.drain(port)
            value = i % 128
            t0 = time.perf_counter()
            self.out.send_message([0xB0, 1, value])
            deadline = t0 + 2.0
            while True:
                m = port.get_message()
                if m is not None and m[0] == [0xB0, 1, value]:
                    lat.append((time.perf_counter() - t0) * 1000)
                    break
                if time.perf_counter() > deadline:
                    lat.append(float("inf"))
                    break
                time.sleep(0.0001)
        return lat

    def close(self):
        for port in [*self.extra, self.out, self.inp]:
            midi.release(port, midi.JACK)


def stats(lat):
    s = sorted(lat)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    lost = sum(x == float("inf") for x in s)
    return {"p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99), "max": s[-1 - lost] if lost < len(s) else None,
            "lost": lost}


def show(label, st):
    print(f"  {label:34s} p50 {st['p50']:6.2f} ms   p90 {st['p90']:6.2f}   p99 {st['p99']:6.2f}   "
          f"max {st['max']:6.2f}   lost {st['lost']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=500, help="round trips per path")
    ap.add_argument("--burst", type=int, default=1000, help="note-ons sent back to back through the patch")
    args = ap.parse_args()
    ensure_jack()
    import rtmidi

    frames, rate = jack_period()
    period = 1000.0 * frames / rate if frames else None
    print(f"JACK: {frames} frames at {rate} Hz = {period:.2f} ms a period" if period else "JACK: period unknown")
    client = Client(rtmidi, f"ngbench{os.getpid()}")
    patch = {"format": "nodegraph-patch", "version": 1,
             "nodes": {"in": {"type": "midi.in", "params": {"port": client.source, "type": "cc", "cc": 1},
                              "pos": [40, 40]},
                       "out": {"type": "midi.out", "params": {"port": client.dest, "cc": 1}, "pos": [40, 160]},
                       "raw": {"type": "midi.in", "params": {"port": client.source, "type": "note"}, "pos": [240, 40]},
                       "rawout": {"type": "midi.out", "params": {"port": client.dest}, "pos": [240, 160]}},
             "links": [["in", "value", "out", "value"], ["raw", "message", "rawout", "message"]]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "midi-bench.json"
        path.write_text(json.dumps(patch))
        proc = subprocess.Popen([sys.executable, "-m", "nodegraph", "run", str(path), "--quiet"], cwd=ROOT)
        try:
            deadline = time.monotonic() + 30
            while client.round_trips(client.inp, 1)[0] == float("inf"):  # until the patch is up
                if time.monotonic() > deadline or proc.poll() is not None:
                    sys.exit("nodegraph run never answered")
            loop = client.loopback()
            time.sleep(0.2)
            direct = client.round_trips(loop, args.n)
            through = client.round_trips(client.inp, args.n)
            client.drain(loop)

            burst = [[0x90, i % 128, 1 + i % 127] for i in range(args.burst)]
            client.drain(client.inp)
            t0 = time.perf_counter()
            for data in burst:
                client.out.send_message(data)
            got, deadline = [], time.perf_counter() + 20
            while len(got) < len(burst) and time.perf_counter() < deadline:
                m = client.inp.get_message()
                if m is None:
                    time.sleep(0.0002)
                else:
                    got.append(m[0])
            burst_ms = (time.perf_counter() - t0) * 1000
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            client.close()

    d, t = stats(direct), stats(through)
    print(f"round trips, one CC in flight, {args.n} each:")
    show("direct rtmidi loopback", d)
    show("nodegraph run: midi.in → midi.out", t)
    print(f"  ratio p50 {t['p50'] / d['p50']:.2f}x, p99 {t['p99'] / d['p99']:.2f}x "
          f"(two JACK hops against one: about 2x is the floor)")
    if period:
        print(f"  in JACK periods: direct p50 {d['p50'] / period:.2f}, patch p50 {t['p50'] / period:.2f}, "
              f"patch p99 {t['p99'] / period:.2f}")
    ok = got == burst
    print(f"burst of {len(burst)} note-ons through the patch: {len(got)} back "
          f"{'in order' if ok else 'NOT in order / missing'} in {burst_ms:.1f} ms")
    return 0 if ok and not t["lost"] and not d["lost"] else 1


if __name__ == "__main__":
    sys.exit(main())
