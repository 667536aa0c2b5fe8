#!/usr/bin/env bash
# scripts/build-progress.sh [--terminal] LOG < the standard error of scripts/tools/build.sh
#
# What a tool build is doing, for the person waiting on it. build.sh logs "[build.sh] building X ..."
# when it starts a tool, "[build.sh] X built in Ns" when it is done, "[build.sh] X: cached (...)" for
# one already built, and "[build.sh] X FAILED ..." then the last lines of the tool's log. Go gives
# no step count for these builds (the tool's output goes to its own log), so progress is the tool
# and the time.
#
#   --terminal  one status line, redrawn every second: the tool being built, its elapsed time and
#               the total; a line stays for each tool done.
#   otherwise   a line when each tool starts and one when it is built (CI logs, pipes).
#
# Every line read is appended to LOG, for the caller to show when the build fails.
set -uo pipefail
terminal=
if [ "${1:-}" = --terminal ]; then
    terminal=yes
    shift
fi
log=${1:?usage: build-progress.sh [--terminal] LOG}
: >"$log"
start=$SECONDS
tool=
tool_start=0

minsec() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
# A line that stays (on a terminal, the status line is cleared first and redrawn after).
say() {
    [ -n "$terminal" ] && printf '\r\033[K'
    printf 'sandbox: %s\n' "$*"
}
status() {
    [ -n "$terminal" ] && [ -n "$tool" ] &&
        printf '\r\033[Ksandbox: building %s ... %s (tools: %s)' "$tool" \
            "$(minsec $((SECONDS - tool_start)))" "$(minsec $((SECONDS - start)))"
    return 0
}

handle() {
    local l=$1
    printf '%s\n' "$l" >>"$log"
    case $l in
    "[build.sh] building "*" ...")
        tool=${l#"[build.sh] building "}
        tool=${tool%" ..."}
        tool_start=$SECONDS
        [ -n "$terminal" ] || say "building $tool ..."
        ;;
    "[build.sh] "*" built in "*)
        say "${l#"[build.sh] "} (tools: $(minsec $((SECONDS - start))))"
        tool=
        ;;
    "[build.sh] "*": cached"*)
        l=${l#"[build.sh] "}
        say "${l%%" ("*}"
        ;;
    "[build.sh] "*" FAILED "* | "[build.sh] error: "*)
        say "${l#"[build.sh] "}"
        tool=
        ;;
    esac
    status
}

partial=
while :; do
    if IFS= read -r -t 1 chunk; then
        handle "$partial$chunk"
        partial=
    else
        rc=$?
        if [ "$rc" -gt 128 ]; then
            # No whole line within a second: keep what came, redraw the time.
            partial+=$chunk
            status
            continue
        fi
        [ -n "$partial$chunk" ] && handle "$partial$chunk"
        break
    fi
done
if [ -n "$terminal" ]; then printf '\r\033[K'; fi
