#!/usr/bin/env bash
# npm run sandbox [-- up|status|down]: the program, deployed for real by Pulumi, without a cluster.
#
#   up (default)  starts a local Kubernetes control plane (etcd, kube-apiserver, controller-manager,
#                 scheduler, and kwok faking one node) in .sandbox/ unless it already runs, points
#                 a `sandbox` stack with the reference lab's values (Pulumi.lab.yaml) at it with a
#                 local state backend, runs `pulumi up` with Pulumi's own progress, and prints the
#                 stack's outputs and the kubectl command that shows every object. Run again, it
#                 reuses what runs and converges.
#   status        says what runs and what the stack holds.
#   down          destroys the stack, stops every process it started (by process id) and removes
#                 .sandbox/ and Pulumi.sandbox.yaml.
#
# Both survive a reboot (the control plane's processes gone, .sandbox/ left): `up` restarts the
# control plane on its own data and converges; `down` has no running cluster to destroy in, so it
# removes the cluster's data, the stack's state and the stack's settings file together, leaving
# nothing for the next `up` to trip on.
#
# It proves that the program deploys, converges and cleans up against a real API server with
# OpenShift's SCC and Multus' NAD types; it runs no pod: kwok marks pods Running without
# containers, so VPP itself never starts. It uses the Pulumi CLI on PATH (3.259 or newer) with the
# plugins it finds, and builds only the control plane then; without one, it builds the CLI and its
# plugins too. Tools are built from Go modules on first use (scripts/tools/build.sh), its progress
# shown by scripts/build-progress.sh: a redrawn status line on a terminal, a line per tool
# otherwise. It checks its prerequisites first and names each one missing with how to install it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$root/.sandbox"
stack=sandbox
cmd=${1:-up}
say() { printf 'sandbox: %s\n' "$*"; }
die() { printf 'sandbox: error: %s\n' "$*" >&2; exit 1; }

case $cmd in up | status | down) ;; *) die "unknown command '$cmd'; expected up, status or down" ;; esac
[ -x "$root/node_modules/.bin/node" ] || die "run 'npm ci' first (it installs the program's dependencies and Node 22)"

# Prerequisites, each named with its install command when missing (Debian's package names).
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (${2})"); }
[ "$(uname -s)" = Linux ] || die "the sandbox runs on Linux (its control plane's binaries are built for it); this is $(uname -s)"
need jq "apt-get install jq"
need curl "apt-get install curl"
need openssl "apt-get install openssl"
need flock "apt-get install util-linux"
need sha256sum "apt-get install coreutils"
report_missing() {
    [ ${#missing[@]} -eq 0 ] && return 0
    for m in "${missing[@]}"; do printf 'sandbox: missing: %s\n' "$m" >&2; done
    die "install what is missing above, then run it again; nothing was started"
}
report_missing

# The Pulumi CLI: scripts/pulumi-cli.sh decides, as for every command of the project. Here a
# missing one is built (the control plane is built either way).
# shellcheck source=scripts/pulumi-cli.sh
. "$root/scripts/pulumi-cli.sh"
installed=
pulumi_choice "$root"
case $PULUMI_CHOICE in
    installed\ *)
        installed=${PULUMI_CHOICE#installed }
        installed=${installed% *}
        ;;
    *)
        if [ -n "$PULUMI_ON_PATH_TOO_OLD" ]; then
            say "the pulumi on PATH (${PULUMI_ON_PATH_TOO_OLD% *}, version ${PULUMI_ON_PATH_TOO_OLD##* }) is older than $MIN_PULUMI: building one instead"
        fi
        ;;
esac

tools=$("$root/scripts/tools/path.sh" 2>/dev/null) || die "cannot locate the tool cache (is package-lock.json there?)"
# What the control plane needs (scripts/tools/cluster.sh), built or not.
control_plane_built() {
    local b
    for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
        [ -x "$tools/bin/$b" ] || return 1
    done
    [ -f "$tools/kwok/stages.yaml" ] && [ -d "$tools/crds" ]
}
if [ -n "$installed" ]; then
    ready() { control_plane_built; }
    families=(kubernetes etcd kwok crds)
    what="the Kubernetes control plane"
else
    ready() { [ -f "$tools/.complete" ]; }
    families=()
    what="the Pulumi CLI and the Kubernetes control plane"
fi
if ! ready; then
    [ "$cmd" = up ] || die "the tools are not built, so nothing can be running: run 'npm run sandbox' first"
    command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] ||
        missing+=("go (Go 1.26 to build $what: https://go.dev/dl/, unpacked into /usr/local/go)")
fi
report_missing

if ! ready; then
    say "building $what from Go modules into $tools"
    say "(once; measured on 2 cores from empty caches: the control plane 5 to 11 minutes, everything 15 to 39 minutes; see CONTRIBUTING.md, The end-to-end tools)"
    mkdir -p "$state"
    build_log="$state/tools-build.log"
    progress=()
    if [ -t 1 ]; then progress=(--terminal); fi
    # build.sh's stdout is its environment (not wanted here); its stderr is its progress.
    if ! bash "$root/scripts/tools/build.sh" ${families[@]+"${families[@]}"} 2>&1 >/dev/null | bash "$root/scripts/build-progress.sh" "${progress[@]}" "$build_log"; then
        tail -n 40 "$build_log" >&2
        die "the tool build failed (the lines above end its log, $build_log); nothing was started"
    fi
    say "tools built in $tools"
fi
if [ -n "$installed" ]; then
    # The user's Pulumi with its own plugins and settings. The tool cache stays off PATH (its provider
    # binaries would be taken as ambient plugins); cluster.sh finds the control plane by VPP_TOOLS_HOME.
    say "using the Pulumi CLI on PATH: $installed ($(pulumi version)); it finds or downloads its kubernetes and random plugins as for any project"
    export VPP_TOOLS_HOME="$tools"
    export PATH="$root/node_modules/.bin:$PATH"
else
    say "using the Pulumi CLI built in $tools/bin (no pulumi $MIN_PULUMI or newer on PATH)"
    # shellcheck disable=SC1091
    . "$tools/env.sh"
    export PATH="$root/node_modules/.bin:$PATH"
    export VPP_SERVER_BUILT_PULUMI=1
fi
export KUBECONFIG="$state/cluster/kubeconfig"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_CONFIG_PASSPHRASE=sandbox
# The stack's settings file, Pulumi.sandbox.yaml, is git-ignored.
config_file="$root/Pulumi.$stack.yaml"
pulumi_() { (cd "$root" && "$root/scripts/pulumi.sh" "$@" --stack "$stack" --non-interactive); }

# The control plane runs when every process in its pid file runs (a zombie does not: this
# machine's PID 1 may not reap the processes cluster.sh leaves behind).
cluster_running() {
    local name pid st any=
    [ -f "$state/cluster/pids" ] || return 1
    while read -r name pid; do
        st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
        case $st in '' | Z | X) return 1 ;; esac
        any=yes
    done <"$state/cluster/pids"
    [ -n "$any" ]
}
# The whole list is read before it is searched: grep -q would exit at the first match and the
# CLI die of SIGPIPE, which pipefail turns into "no such stack".
stack_exists() {
    local list
    [ -d "$state/backend" ] && list=$(pulumi_ stack ls --json 2>/dev/null) &&
        jq -e --arg s "$stack" 'any(.[]; .name == $s)' <<<"$list" >/dev/null
}

case $cmd in
up)
    mkdir -p "$state/backend"
    if cluster_running; then
        say "the control plane in $state/cluster is running: reusing it"
    elif [ -d "$state/cluster/etcd" ]; then
        say "restarting the local control plane in $state/cluster on its own data (its processes are gone: a reboot?)"
        bash "$root/scripts/tools/cluster.sh" start "$state/cluster" >/dev/null
    else
        say "starting a local control plane in $state/cluster"
        bash "$root/scripts/tools/cluster.sh" start "$state/cluster" >/dev/null
    fi
    if ! stack_exists; then
        if [ -f "$config_file" ]; then
            # Left by a stack whose state is gone: its encryption salt belongs to no stack, and
            # appending the lab's values to it would make a second config: block.
            say "removing $config_file: its stack no longer exists"
            rm -f "$config_file"
        fi
        say "creating the stack '$stack' with the reference lab's values (Pulumi.lab.yaml)"
        pulumi_ stack init >/dev/null
        cat "$root/Pulumi.lab.yaml" >>"$config_file"
        # Its own cluster by name, never the current context (which a later oc login moves).
        pulumi_ config set kubernetes:context vpp-e2e >/dev/null
    fi
    pulumi_ up --yes
    say "outputs:"
    pulumi_ stack output
    echo
    say "every object it made:"
    echo "  $tools/bin/kubectl --kubeconfig $KUBECONFIG get namespaces,network-attachment-definitions,securitycontextconstraints,serviceaccounts,clusterroles,rolebindings,networkpolicies,configmaps,deployments,pods -A -l app.kubernetes.io/name=vpp-server"
    say "no pod really runs here: kwok fakes the node. Remove it all with: npm run sandbox -- down"
    ;;
status)
    if cluster_running; then
        say "control plane: running ($(awk '{printf "%s%s %s", sep, $1, $2; sep=", "}' "$state/cluster/pids"))"
    else
        say "control plane: not running"
    fi
    if cluster_running && stack_exists; then
        say "stack '$stack': $(pulumi_ stack --show-urns 2>/dev/null | grep -c 'URN: urn:pulumi' || true) resources"
        pulumi_ stack output
    else
        say "stack '$stack': none"
    fi
    ;;
down)
    if cluster_running; then
        if stack_exists; then pulumi_ destroy --yes --remove --run-program; fi
        bash "$root/scripts/tools/cluster.sh" stop "$state/cluster" >/dev/null
        rm -rf "$state"
        rm -f "$config_file"
        say "destroyed the stack, stopped the control plane, removed $state"
    else
        # No API server to destroy in: the objects live in the control plane's data, the stack's
        # state in the backend, both under $state, and go with it.
        if [ -f "$state/cluster/pids" ]; then
            bash "$root/scripts/tools/cluster.sh" stop "$state/cluster" >/dev/null 2>&1
        fi
        rm -rf "$state"
        rm -f "$config_file"
        say "the control plane was not running: removed $state (its data, the stack's objects and state) and $config_file"
    fi
    ;;
esac
