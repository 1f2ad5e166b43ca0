"""A JACK server of one's own (dummy driver: no sound card), for the audio tests and bench/audio.py.

Two capture and two playback channels, so nodegraph's output can be patched back to
its input; synchronous (-S) as scripts/start-jack.sh runs one, so a client that is late
makes the whole cycle late and the server logs it.
"""
import os
import subprocess
from pathlib import Path

RATE = 48000
PERIOD = 256


def start(name, log_path, realtime=False):
    """The server `name`, once it answers; RuntimeError with its log if it does not come up."""
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1", JACK_NO_START_SERVER="1")
    rt = [] if realtime else ["--no-realtime"]  # realtime is attempted; without permission jackd carries on
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["jackd", "-n", name, "-S", *rt, "-d", "dummy", "-r", str(RATE), "-p", str(PERIOD),
                                 "-C", "2", "-P", "2"], stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    up = subprocess.run(["jack_wait", "-s", name, "-w", "-t", "15"], capture_output=True, text=True, env=env)
    if up.returncode != 0 or "available" not in up.stdout:
        stop(proc)
        raise RuntimeError(f"jackd did not come up: {Path(log_path).read_text()[-2000:]}")
    return proc


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
