#!/bin/sh
# vpp-metrics: serves VPP's counters to the cluster's monitoring (`metrics: cluster`).
#
# Runs in the pod's second container (POSIX sh). VPP's own vpp_prometheus_export reads VPP's stats
# segment through VPP's stats socket and serves it at :9482/metrics. The exporter connects once: it
# maps the segment of the VPP it found and never reconnects, so after VPP restarts (the VPP
# container restarts, this one does not) it would serve the dead VPP's last counters for ever.
# This script therefore starts the exporter once the socket exists, and restarts it whenever VPP
# has made a new socket (another inode or change time, to the nanosecond: VPP unlinks and
# recreates it at every start) or the exporter exits. It stays the container's process 1 and
# passes SIGTERM on to the exporter.
#
# Environment:
#   STATS_SOCKET      VPP's stats socket (vpp.conf's `statseg { socket-name }`)
#   METRICS_PATTERNS  space-separated regular expressions of the stats to export
#   EXPORTER          the exporter's command (default vpp_prometheus_export)
#   CHECK_SECONDS     how often the socket is looked at (default 1)
set -eu
set -f # the patterns are words, never file names

socket=${STATS_SOCKET:?STATS_SOCKET is not set}
patterns=${METRICS_PATTERNS:?METRICS_PATTERNS is not set}
exporter=${EXPORTER:-vpp_prometheus_export}
every=${CHECK_SECONDS:-1}
child=""

say() { echo "vpp-metrics: $*"; }

stop() {
    if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
    exit 0
}
trap stop TERM INT

# `sleep` in the background and `wait`: a trapped signal interrupts `wait` at once.
pause() {
    sleep "$1" &
    wait $! || true
}

# What identifies the socket VPP made: its inode and change time.
identity() { stat -c '%i %z' "$socket" 2>/dev/null || echo none; }

while :; do
    if [ ! -S "$socket" ]; then
        say "waiting for VPP's stats socket $socket"
        while [ ! -S "$socket" ]; do pause "$every"; done
    fi
    made=$(identity)
    # shellcheck disable=SC2086 # one argument per pattern
    "$exporter" socket-name "$socket" v2 $patterns &
    child=$!
    say "serving VPP's counters on port 9482 (/metrics) from $socket (exporter pid $child)"
    while kill -0 "$child" 2>/dev/null && [ "$(identity)" = "$made" ]; do pause "$every"; done
    if kill -0 "$child" 2>/dev/null; then
        say "VPP made a new stats socket (it restarted): reconnecting"
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" || true
        child=""
    else
        status=0
        wait "$child" || status=$?
        child=""
        say "the exporter ended (status $status); starting it again in 1 s"
        pause 1
    fi
done
