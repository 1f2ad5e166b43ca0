"""A closed or unread stdout never stops a patch: console lines are printed off the
scheduler thread, and dropped (counted) when nobody can take them."""
import json
import socket
import subprocess
import sys
import time

import pytest


def patch_file(tmp_path, port, prefix="tick"):
    # metro → print (console) and → osc.out to our port: the OSC stream says the patch runs
    doc = {"format": "nodegraph-patch", "version": 1,
           "nodes": {"go": {"type": "loadbang", "pos": [0, 0]},
                     "m": {"type": "metro", "params": {"interval": 2}, "pos": [0, 100]},
                     "p": {"type": "print", "params": {"prefix": prefix}, "pos": [0, 200]},
                     "o": {"type": "osc.out", "params": {"port": port, "address": "/alive"}, "pos": [200, 200]}},
           "links": [["go", "bang", "m", "on"], ["m", "bang", "p", "in"], ["m", "bang", "o", "values"]]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    yield s
    s.close()


def count_messages(sock, seconds):
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            sock.recv(2048)
            n += 1
        except socket.timeout:
            break
    return n


def run(path, **kw):
    return subprocess.Popen([sys.executable, "-m", "nodegraph.cli", "run", str(path), "--for", "20"], **kw)


def test_closed_stdout_keeps_the_patch_running(tmp_path, listener):
    # as `nodegraph run patch | head -1`: one line is read, then the pipe is closed
    proc = run(patch_file(tmp_path, listener.getsockname()[1]), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert b"tick" in proc.stdout.readline()
        proc.stdout.close()
        listener.recv(2048)
        count_messages(listener, 0.3)  # let the printer meet the closed pipe
        assert count_messages(listener, 0.5) > 50  # a 2 ms metro: ~250 in half a second
        assert proc.poll() is None
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert b"Traceback" not in err and b"BrokenPipe" not in err
    assert b"console lines were not printed" in err


def test_unread_stdout_does_not_stall_the_patch(tmp_path, listener):
    # long lines fill the pipe (64 KB) within a few hundred ms; nobody reads it
    proc = run(patch_file(tmp_path, listener.getsockname()[1], prefix="x" * 2000),
               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        listener.recv(2048)
        count_messages(listener, 1.0)  # by now the pipe is full
        assert count_messages(listener, 0.5) > 50
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_run_exits_with_the_reason_when_its_port_is_taken(tmp_path):
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    try:
        doc = {"format": "nodegraph-patch", "version": 1,
               "nodes": {"in": {"type": "osc.in", "params": {"port": taken.getsockname()[1]}, "pos": [0, 0]}},
               "links": []}
        path = tmp_path / "p.json"
        path.write_text(json.dumps(doc))
        cmd = [sys.executable, "-m", "nodegraph.cli", "run", str(path), "--for", "1"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1
        assert "node 'in' (osc.in) cannot start" in proc.stderr and "--keep-going" in proc.stderr
        kept = subprocess.run(cmd + ["--keep-going"], capture_output=True, text=True, timeout=60)
        assert kept.returncode == 0
    finally:
        taken.close()
