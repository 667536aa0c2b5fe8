#!/bin/sh
# start-vpp: starts VPP in the vpp-server container with its threads pinned to CPUs this
# container may use.
#
# VPP pins its main thread and each worker thread to a CPU. VPP 24.10 picks them among the
# machine's CPUs, not the container's cpuset (`cpu { relative }` exists only from 25.06), and a
# worker pinned outside the cpuset aborts VPP at start. So this script reads the CPUs this very
# process may use (Cpus_allowed_list in /proc/<pid>/status; the init container is the wrong place
# to read them: under the static CPU manager it may run on other CPUs than this container), keeps
# the main thread on the CPU the container started on, as VPP does by itself, gives each worker
# the next allowed CPU, and adds `cpu { main-core ... corelist-workers ... }` to VPP's
# configuration. With fewer CPUs than threads VPP starts with fewer workers, and this says so.
#
# The configuration is handed to VPP on its command line: VPP reads `-c FILE` only when that is
# its sole argument, and otherwise takes its arguments as the configuration (src/vpp/vnet/main.c),
# so nothing is written and /conf stays read-only. The script ends with exec: vpp replaces the
# shell, keeps its process id and is the process that gains the image's file capabilities.
#
# Environment:
#   VPP_WORKERS   worker threads wanted (default 0: the main thread alone)
#   VPP_MAIN_SLEEP_USEC  when VPP starts with a worker, the main thread sleeps this long on every
#                 pass of its loop (`unix { poll-sleep-usec }`): it carries no traffic then, and
#                 sleeping cuts its idle CPU; without a worker it is the data path, and this is not
#                 added (default 0: never)
#   VPP_CONF      VPP's configuration file (default /conf/vpp.conf)
#   VPP_BIN       the vpp binary (default vpp)
#   PROC_STATUS   where Cpus_allowed_list is read (default /proc/<this process>/status)
#   PROC_STAT     where the CPU this process runs on is read (default /proc/<this process>/stat)
set -eu
set -f # the configuration's words are never globbed

workers=${VPP_WORKERS:-0}
sleep_usec=${VPP_MAIN_SLEEP_USEC:-0}
conf=${VPP_CONF:-/conf/vpp.conf}
vpp=${VPP_BIN:-vpp}
status=${PROC_STATUS:-/proc/$$/status}
stat=${PROC_STAT:-/proc/$$/stat}

say() { echo "start-vpp: $*"; }
# "1 worker", "2 workers"
count_of() { if [ "$1" -eq 1 ]; then echo "$1 $2"; else echo "$1 ${2}s"; fi; }
die() {
    echo "start-vpp: error: $*" >&2
    exit 1
}

case $workers in
    '' | *[!0-9]*) die "VPP_WORKERS is '$workers'; expected a whole number" ;;
esac
case $sleep_usec in
    '' | *[!0-9]*) die "VPP_MAIN_SLEEP_USEC is '$sleep_usec'; expected a whole number of microseconds" ;;
esac
[ -r "$conf" ] || die "VPP's configuration $conf is missing: did the init container run?"

# VPP's release, for the log: its libraries carry it in their names (libvppinfra.so.24.10), and
# the vpp of 24.10 has no --version. Beside the binary (an install's lib folders), else the
# system's. One rendering serves 24.10 and 26.06 alike; this line says which one this pod ran.
where=$(command -v "$vpp" 2>/dev/null) || where=$vpp
vpp_release() { # run in $( ): its set +f ends with it
    [ -x "$where" ] || return 0
    top=$(dirname "$(dirname "$where")")
    set +f
    for lib in "$top"/lib/*/libvppinfra.so.* "$top"/lib/libvppinfra.so.* "$top"/lib64/libvppinfra.so.* \
        /usr/lib64/libvppinfra.so.* /usr/lib/*/libvppinfra.so.* /usr/lib/libvppinfra.so.*; do
        rel=${lib##*/libvppinfra.so.}
        case $rel in
            '' | *[!0-9.]* | .* | *.) ;; # a pattern that matched nothing, or no release (24.10)
            *)
                echo "$rel"
                return 0
                ;;
        esac
    done
}
release=$(vpp_release)
if [ -n "$release" ]; then
    say "VPP $release ($where)"
else
    say "VPP of unknown release ($where): no libvppinfra.so.<release> beside it or in the system's library folders"
fi

# The allowed CPUs, for example "3,7-8", expanded to "3 7 8".
list=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$status" 2>/dev/null || true)
case $list in
    '' | *[!0-9,-]* | *,,* | ,* | *, | -* | *- | *--*)
        die "cannot read the CPUs this container may use from $status (Cpus_allowed_list is '$list')"
        ;;
esac
cpus=
oldifs=$IFS
IFS=,
for part in $list; do
    case $part in
        *-*-*) die "Cpus_allowed_list '$list' has a malformed range '$part'" ;;
        *-*)
            i=${part%-*}
            hi=${part#*-}
            [ "$i" -le "$hi" ] || die "Cpus_allowed_list '$list' has a descending range '$part'"
            while [ "$i" -le "$hi" ]; do
                cpus="$cpus $i"
                i=$((i + 1))
            done
            ;;
        *) cpus="$cpus $part" ;;
    esac
done
IFS=$oldifs
set -- $cpus
count=$#

# The CPU this process runs on: field 39 of /proc/<pid>/stat, counted after the ")" that closes
# the command name (which may hold spaces).
current=
if read -r line <"$stat" 2>/dev/null; then
    # shellcheck disable=SC2086 # word splitting is the point
    set -- ${line##*) }
    [ $# -ge 37 ] && shift 36 && current=$1
fi

threads=$((workers + 1))
use=$workers
if [ "$count" -lt "$threads" ]; then
    use=$((count - 1))
    say "warning: $(count_of "$workers" worker) configured, but this container may use $(count_of "$count" CPU) ($list): VPP starts with $(count_of "$use" worker). Give the pod $threads whole CPUs (dedicated cores) or lower the stack's workers."
fi

# Rotate the allowed CPUs so that the one this process runs on comes first, then take 1 + use.
set -- $cpus
rotated=
before=
found=
for c in "$@"; do
    if [ -z "$found" ] && [ "$c" = "$current" ]; then
        found=yes
    fi
    if [ -n "$found" ]; then rotated="$rotated $c"; else before="$before $c"; fi
done
set -- $rotated $before
main=$1
shift
corelist=
n=0
while [ "$n" -lt "$use" ]; do
    corelist="$corelist${corelist:+,}$1"
    shift
    n=$((n + 1))
done

if [ -n "$corelist" ]; then
    say "this container may use CPUs $list; VPP's main thread on CPU $main, $(count_of "$use" worker) on CPU $corelist"
    if [ "$sleep_usec" -gt 0 ]; then
        say "the worker carries the traffic: VPP's main thread sleeps $sleep_usec us on every pass of its loop"
        # VPP joins a section given twice (vlib_call_all_config_functions): this adds to vpp.conf's unix { }.
        # shellcheck disable=SC2046 # the configuration's words, as VPP splits its file
        exec "$vpp" $(sed 's/#.*//' "$conf") unix { poll-sleep-usec "$sleep_usec" } \
            cpu { main-core "$main" corelist-workers "$corelist" }
    fi
    # shellcheck disable=SC2046 # the configuration's words, as VPP splits its file
    exec "$vpp" $(sed 's/#.*//' "$conf") cpu { main-core "$main" corelist-workers "$corelist" }
fi
say "this container may use CPUs $list; VPP's main thread on CPU $main, no workers"
if [ "$sleep_usec" -gt 0 ]; then
    say "no worker: the main thread carries the traffic, so it does not sleep (VPP_MAIN_SLEEP_USEC $sleep_usec is for a main thread beside a worker)"
fi
# shellcheck disable=SC2046
exec "$vpp" $(sed 's/#.*//' "$conf") cpu { main-core "$main" }
