#!/usr/bin/env bash
# start-jack.sh - make sure a JACK server (dummy driver, no sound card needed) runs,
# for real MIDI ports where ALSA does not exist (CI, containers). Idempotent: if a
# server answers it does nothing. Exits 0 once a server answers.
#
#   bash scripts/start-jack.sh          # then: nodegraph midi-ports
#
# Exit codes: 0 a server answers; 3 jackd is not installed (Debian: jackd2, see
# scripts/install-system.sh); 1 it did not come up (the log says why).
#
# Env knobs (all optional):
#   JACK_DEFAULT_SERVER=default   server name (what libjack clients connect to)
#   JACK_RATE=48000 JACK_PERIOD=256   dummy driver rate / period (256 -> 5.3 ms)
#   JACK_RT=1                     0 = run jackd with --no-realtime
#   JACK_LOG=/tmp/jackd-<server>.log  the server's log (xruns show up there)
#   JACK_WAIT=15                  seconds to wait for the server
set -euo pipefail

SERVER=${JACK_DEFAULT_SERVER:-default}
JACK_RATE=${JACK_RATE:-48000}
JACK_PERIOD=${JACK_PERIOD:-256}
JACK_RT=${JACK_RT:-1}
JACK_LOG=${JACK_LOG:-/tmp/jackd-$SERVER.log}
JACK_WAIT=${JACK_WAIT:-15}
export JACK_NO_START_SERVER=1          # never let a client auto-spawn a server
export JACK_NO_AUDIO_RESERVATION=1     # no dbus device reservation

if ! command -v jackd >/dev/null 2>&1 || ! command -v jack_wait >/dev/null 2>&1; then
    echo "start-jack: jackd is not installed (Debian: apt-get install --no-install-recommends jackd2)" >&2
    exit 3
fi

# NB: `jack_wait -c` always exits 0; it prints "running" / "not running".
server_up() { [ "$(jack_wait -s "$SERVER" -c 2>/dev/null)" = "running" ]; }
server_pids() {  # the jackd processes serving $SERVER (no -n means "default")
    pgrep -a -x jackd | awk -v s="$SERVER" '{ n = "default"
        for (i = 2; i < NF; i++) if ($i == "-n" || $i == "--name") n = $(i + 1)
        if (n == s) print $1 }' || true
}

exec 9>"/tmp/start-jack-$SERVER.lock"  # one starter at a time (parallel test runs)
flock -w 120 9

if server_up; then
    echo "start-jack: JACK server '$SERVER' already running"
    exit 0
fi
# A jackd that exists but does not answer is starting, dying or wedged: give it time.
for _ in $(seq $((JACK_WAIT * 5))); do
    [ -n "$(server_pids)" ] || break
    if server_up; then
        echo "start-jack: JACK server '$SERVER' came up"
        exit 0
    fi
    sleep 0.2
done
if [ -n "$(server_pids)" ]; then
    echo "start-jack: jackd $(server_pids | tr '\n' ' ')exists but does not answer; see $JACK_LOG" >&2
    exit 1
fi

RT_OPT=()
[ "$JACK_RT" = "1" ] || RT_OPT=(--no-realtime)
# Right after a `kill -9` the old server's pid can linger: the new jackd then says
# "server already active" and exits. So: up to three tries, a second apart.
for attempt in 1 2 3; do
    # -S (synchronous mode) is essential: in the default asynchronous mode, bursts of MIDI
    # are dropped or duplicated without an error when a client misses a cycle.
    # Realtime is attempted; without permission jackd warns and carries on.
    # 9>&-: jackd must not inherit the lock, or it would hold it forever.
    setsid nohup jackd -n "$SERVER" -S "${RT_OPT[@]}" -d dummy -r "$JACK_RATE" -p "$JACK_PERIOD" \
        -C 0 -P 0 </dev/null >>"$JACK_LOG" 2>&1 9>&- &
    JPID=$!
    for _ in $(seq $((JACK_WAIT * 10))); do
        if server_up; then
            echo "start-jack: started jackd '$SERVER' (pid $JPID), dummy ${JACK_RATE} Hz / ${JACK_PERIOD} frames, log $JACK_LOG"
            exit 0
        fi
        kill -0 "$JPID" 2>/dev/null || break   # it gave up: try again
        sleep 0.1
    done
    kill -0 "$JPID" 2>/dev/null && break      # alive but silent for JACK_WAIT seconds
    sleep 1
done
echo "start-jack: JACK server '$SERVER' did not come up; last log lines:" >&2
tail -n 20 "$JACK_LOG" >&2 || true
exit 1
