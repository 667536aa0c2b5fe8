#!/bin/sh
# vpp-cpus: run by the init container (init.sh) before VPP starts; adds VPP's `cpu { }` section
# (and the main thread's sleep) to VPP's configuration, and names the VPP release of the image.
#
# Why here and not in the VPP container: VPP needs its capabilities, and a container whose
# securityContext says `allowPrivilegeEscalation: false` runs under no_new_privs, where an execve
# never adds to the permitted set. The runtime hands the container's first process its
# capabilities (bounding, effective, permitted; never ambient); a shell without file capabilities
# loses them at its own execve, so a vpp it execs gains nothing from its file capabilities. vpp must
# therefore be the VPP container's first process (`vpp -c /conf/vpp.conf`), and what a script
# decides for it is decided here, without capabilities, and written into /conf/vpp.conf.
#
# VPP pins its main thread and each worker thread to a CPU. Without workers it needs nothing: VPP
# pins its main thread to the CPU it starts on, one of its own (src/vlib/threads.c, sched_getcpu).
# With workers:
# - VPP 25.06 and newer: `cpu { main-core 0 corelist-workers 1-N relative }`. VPP numbers the
#   cores within its own CPU affinity, so the VPP container's cpuset decides, whatever CPUs this
#   init container runs on.
# - VPP 24.10 has no `relative`: it picks workers among the machine's CPUs, and a worker pinned
#   outside the container's cpuset aborts VPP at start. So this script names them from the CPUs
#   this process may use (Cpus_allowed_list in /proc/<pid>/status): the first for the main thread,
#   the next for the workers. On shared cores every container of the pod has the same cpuset; with
#   dedicated cores the init container requests the VPP container's whole CPUs, and the kubelet's
#   static CPU manager hands an init container's exclusive CPUs on to the next container of the pod
#   (its cpusToReuse), so both see the same CPUs.
# With fewer CPUs than threads VPP starts with fewer workers, and this says so.
#
# VPP joins a section given twice (vlib_call_all_config_functions): the lines added here join
# vpp.conf's own `unix { }`.
#
# Environment:
#   VPP_CONF      VPP's configuration file, appended to (default /conf/vpp.conf)
#   VPP_WORKERS   worker threads wanted (default 0: the main thread alone)
#   VPP_MAIN_SLEEP_USEC  when VPP starts with a worker, the main thread sleeps this long on every
#                 pass of its loop (`unix { poll-sleep-usec }`): it carries no traffic then, and
#                 sleeping cuts its idle CPU; without a worker it is the data path, and this is not
#                 added (default 0: never)
#   VPP_BIN       the vpp binary (default vpp, on PATH: the image's)
#   PROC_STATUS   where Cpus_allowed_list is read (default /proc/<this process>/status)
#   SYS_CPU       sysfs's CPU directory, where each CPU's NUMA node is read (default /sys/devices/system/cpu)
set -eu
set -f # no word here is ever globbed

workers=${VPP_WORKERS:-0}
sleep_usec=${VPP_MAIN_SLEEP_USEC:-0}
conf=${VPP_CONF:-/conf/vpp.conf}
vpp=${VPP_BIN:-vpp}
status=${PROC_STATUS:-/proc/$$/status}
syscpu=${SYS_CPU:-/sys/devices/system/cpu}

say() { echo "init-vpp-server: $*"; }
# "1 worker", "2 workers"
count_of() { if [ "$1" -eq 1 ]; then echo "$1 $2"; else echo "$1 ${2}s"; fi; }
die() {
    echo "init-vpp-server: error: $*" >&2
    exit 1
}

case $workers in
    '' | *[!0-9]*) die "VPP_WORKERS is '$workers'; expected a whole number" ;;
esac
case $sleep_usec in
    '' | *[!0-9]*) die "VPP_MAIN_SLEEP_USEC is '$sleep_usec'; expected a whole number of microseconds" ;;
esac
[ -w "$conf" ] || die "VPP's configuration $conf is missing or not writable"

# VPP's release: its libraries carry it in their names (libvppinfra.so.24.10), and the vpp of
# 24.10 has no --version. Beside the binary (an install's lib folders), else the system's.
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
# `cpu { relative }` exists from VPP 25.06 on. An unknown release is taken as one without it.
relative=
case $release in
    [0-9][0-9].[0-9][0-9])
        major=${release%.*}
        minor=${release#*.}
        if [ "$major" -gt 25 ] || { [ "$major" -eq 25 ] && [ "${minor#0}" -ge 6 ]; }; then relative=yes; fi
        ;;
esac

# The allowed CPUs, for example "3,7-8", expanded to "3 7 8".
list=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$status" 2>/dev/null || true)
case $list in
    '' | *[!0-9,-]* | *,,* | ,* | *, | -* | *- | *--*)
        if [ "$workers" -gt 0 ]; then
            die "cannot read the CPUs this container may use from $status (Cpus_allowed_list is '$list')"
        fi
        say "warning: cannot read the CPUs this container may use from $status (Cpus_allowed_list is '$list'): their NUMA nodes are not checked"
        list=
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
# A CPU of another NUMA node than 0: VPP whose threads run there allocates its buffers on that
# node, and under CRI-O's default seccomp profile (move_pages refused) it cannot learn where its
# pages landed, which VPP tolerates only on node 0 (src/vppinfra/pmalloc.c).
numa_node() { # run in $( ): its set +f ends with it
    set +f
    for n in "$syscpu/cpu$1"/node[0-9]*; do
        [ -e "$n" ] && echo "${n##*/node}" && return 0
    done
    return 0
}
for c in $cpus; do
    node=$(numa_node "$c")
    if [ -n "$node" ] && [ "$node" != 0 ]; then
        say "warning: this pod may use CPU $c of NUMA node $node: VPP running there allocates its buffers on node $node, and under the runtime's default seccomp profile (CRI-O's refuses move_pages) it stops at start with 'page allocated on the wrong numa node (65535), expected $node'. Keep the pod on NUMA node 0's CPUs (docs/dataplane.md, NUMA)."
        break
    fi
done

if [ "$workers" -eq 0 ]; then
    say "no workers: VPP's main thread runs on the CPU VPP starts on, one of the VPP container's"
    if [ "$sleep_usec" -gt 0 ]; then
        say "no worker: the main thread carries the traffic, so it does not sleep (VPP_MAIN_SLEEP_USEC $sleep_usec is for a main thread beside a worker)"
    fi
    exit 0
fi

# shellcheck disable=SC2086 # word splitting is the point
set -- $cpus
count=$#

threads=$((workers + 1))
use=$workers
if [ "$count" -lt "$threads" ]; then
    use=$((count - 1))
    say "warning: $(count_of "$workers" worker) configured, but this pod may use $(count_of "$count" CPU) ($list): VPP starts with $(count_of "$use" worker). Give the pod $threads whole CPUs (dedicated cores) or lower the stack's workers."
fi
if [ "$use" -eq 0 ]; then
    say "no worker: VPP's main thread runs on the CPU VPP starts on, and carries the traffic, so it does not sleep"
    exit 0
fi

if [ -n "$relative" ]; then
    corelist=1
    [ "$use" -gt 1 ] && corelist="1-$use"
    section="cpu { main-core 0 corelist-workers $corelist relative }"
    say "VPP's main thread on the first CPU of the VPP container, $(count_of "$use" worker) on the next (VPP $release numbers them within its own CPUs: relative)"
else
    main=$1
    shift
    corelist=
    n=0
    while [ "$n" -lt "$use" ]; do
        corelist="$corelist${corelist:+,}$1"
        shift
        n=$((n + 1))
    done
    section="cpu { main-core $main corelist-workers $corelist }"
    say "this pod may use CPUs $list; VPP's main thread on CPU $main, $(count_of "$use" worker) on CPU $corelist"
fi
if [ "$sleep_usec" -gt 0 ]; then
    say "the worker carries the traffic: VPP's main thread sleeps $sleep_usec us on every pass of its loop"
fi
{
    echo "# added by the init container (vpp-cpus.sh)"
    [ "$sleep_usec" -gt 0 ] && echo "unix { poll-sleep-usec $sleep_usec }"
    echo "$section"
} >>"$conf"
