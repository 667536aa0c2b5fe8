#!/usr/bin/env bash
# npm run sandbox [-- up|status|down] [--node]: the program, deployed for real by Pulumi, without a cluster.
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
#   --node        (with up, as root on Linux) also starts one real node beside the control plane
#                 (scripts/tools/node.sh: a kubelet, containerd, runc and Multus in a network
#                 namespace of their own), so the stack's pod really runs: its image assembled from a
#                 VPP install ($VPP_PREFIX, else the newest ~/.cache/vpp-server-tools/vpp-v<version>)
#                 and imported, or, without one, the stack's `image` pulled by containerd where its
#                 registry answers. The lab's macvlanMaster is a link made in the node's namespace, a
#                 client namespace on the VLAN behind it; up prints the ip netns exec commands that
#                 reach the lab from there. status and down find the node by itself.
#
# Without --node it proves that the program deploys, converges and cleans up against a real API
# server with OpenShift's SCC and Multus' NAD types; it runs no pod: kwok marks pods Running
# without containers, so VPP itself never starts. It uses the Pulumi CLI on PATH (3.259 or newer) with the
# plugins it finds, and builds only the control plane then; without one, it builds the CLI and its
# plugins too. Tools are built from Go modules on first use (scripts/tools/build.sh), its progress
# shown by scripts/build-progress.sh: a redrawn status line on a terminal, a line per tool
# otherwise. It checks its prerequisites first and names each one missing with how to install it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$root/.sandbox"
stack=sandbox
say() { printf 'sandbox: %s\n' "$*"; }
die() { printf 'sandbox: error: %s\n' "$*" >&2; exit 1; }
cmd=up
with_node=
for arg in "$@"; do
    case $arg in
        up | status | down) cmd=$arg ;;
        --node) with_node=yes ;;
        *) die "unknown argument '$arg'; expected up, status or down, and --node" ;;
    esac
done
[ -z "$with_node" ] || [ "$cmd" = up ] || die "--node goes with up (status and down find the node by themselves)"
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
if [ -n "$with_node" ]; then
    [ "$(id -u)" -eq 0 ] || die "--node runs as root (the node's network namespaces, cgroups and mounts); nothing was started"
    need socat "apt-get install socat"
    need umoci "apt-get install umoci"
    need nsenter "apt-get install util-linux"
    need clang "apt-get install clang"
    need tc "apt-get install iproute2"
    need setcap "apt-get install libcap2-bin"
    need busybox "apt-get install busybox-static"
    need dash "apt-get install dash"
    need gcc "apt-get install gcc"
    [ -f /usr/include/seccomp.h ] || missing+=("libseccomp's headers, to build runc (apt-get install libseccomp-dev)")
    [ -f /usr/include/bpf/bpf_helpers.h ] || missing+=("libbpf's headers, for the VLAN tagger (apt-get install libbpf-dev)")
fi
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
# What the real node needs (scripts/tools/node.sh).
node_built() {
    local b
    for b in node/bin/kubelet node/bin/containerd node/bin/containerd-shim-runc-v2 node/bin/ctr node/bin/runc node/pause \
        cni/multus cni/bridge cni/host-local cni/loopback cni/macvlan cni/tuning; do
        [ -x "$tools/$b" ] || return 1
    done
}
if [ -n "$installed" ] && [ -n "$with_node" ]; then
    ready() { control_plane_built && node_built; }
    families=(kubernetes etcd kwok crds cni containerd runc multus pause)
    what="the Kubernetes control plane and the node"
elif [ -n "$installed" ]; then
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
# The node runs when its kubelet does (node.sh's pid file names each process and its binary).
node_running() {
    local name pid
    [ -f "$state/cluster/node/pids" ] || return 1
    while read -r name pid; do
        [ "$name" = kubelet ] || continue
        [ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)")" = kubelet ] && return 0
    done <"$state/cluster/node/pids"
    return 1
}
# A field of the node's info file (node.sh writes it at start); nothing when no node was started.
node_info() {
    [ -f "$state/cluster/node/info" ] || return 0
    sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" "$state/cluster/node/info"
}
ts_node() { (cd "$root" && "$root/node_modules/.bin/node" -r ts-node/register/transpile-only "$@"); }
# The VPP install the node's image is assembled from: $VPP_PREFIX, else the newest in the tool cache.
vpp_install() {
    local d best=
    if [ -n "${VPP_PREFIX:-}" ]; then
        # The first of the data-plane tier's list, when it holds several.
        d=${VPP_PREFIX%%:*}
        [ -x "$d/bin/vpp" ] || die "VPP_PREFIX names $d, which holds no bin/vpp (a VPP install: CONTRIBUTING.md, Data-plane tier, says what one holds)"
        printf '%s\n' "$d"
        return 0
    fi
    for d in "${VPP_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vpp-server-tools}"/vpp-v*; do
        [ -x "$d/bin/vpp" ] && best=$d
    done
    printf '%s\n' "$best"
}
# start_node: the node beside the control plane, the lab's image in its store, the client on the VLAN.
start_node() {
    local prefix rootfs master vlan ip client cidr image registry
    if node_running; then
        say "the node $(node_info node) is running: reusing it"
    else
        say "starting a real node (kubelet, containerd, runc, Multus) in network namespace vppn-*"
        bash "$root/scripts/tools/node.sh" start "$state/cluster" >/dev/null
        # The lab's pod goes to the real node, not kwok's fake one.
        "$tools/bin/kubectl" --kubeconfig "$KUBECONFIG" delete node kwok-node-0 --ignore-not-found >/dev/null
    fi
    master=$(pulumi_ config get macvlanMaster)
    vlan=$(pulumi_ config get vlanId)
    ip=$(pulumi_ config get ipAddress)
    prefix=$(vpp_install)
    if [ -n "$prefix" ]; then
        image=localhost/vpp-server:sandbox
        say "assembling the lab's image from the VPP install $prefix and importing it as $image"
        rm -rf "$state/image"
        rootfs=$(ts_node sandbox/cli.ts image "$state/image" "$prefix")
        bash "$root/scripts/tools/node.sh" import "$state/cluster" "$rootfs" "$image" >/dev/null
        rm -rf "$state/image"
        pulumi_ config set image "$image" >/dev/null
        pulumi_ config rm imageCapabilities >/dev/null 2>&1 || true
        pulumi_ config set --path 'imageCapabilities[0]' NET_ADMIN >/dev/null
        pulumi_ config set --path 'imageCapabilities[1]' NET_RAW >/dev/null
        pulumi_ config set --path 'imageCapabilities[2]' IPC_LOCK >/dev/null
    else
        image=$(pulumi_ config get image 2>/dev/null || echo quay.io/akaris/vpp-server:latest)
        registry=${image%%/*}
        if ! curl -sS -m 10 -o /dev/null "https://$registry/v2/" 2>/dev/null; then
            die "the node has no image to run: no VPP install to assemble one from (set VPP_PREFIX; CONTRIBUTING.md, Data-plane tier, says what an install holds), and $registry, the registry of the stack's image $image, cannot be reached to pull it. The control plane and the node keep running; npm run sandbox -- down removes them"
        fi
        say "no VPP install: the node pulls the stack's image $image from $registry"
    fi
    client=vppc-$(node_info netns | sed 's/^vppn-//')
    if [ ! -e "/run/netns/$client" ]; then
        mkdir -p "$state/client"
        cidr=$(ts_node sandbox/cli.ts client "$(node_info netns)" "$client" "$master" "$vlan" "$ip" "$state/client")
        printf '%s\n' "$cidr" >"$state/client/cidr"
        say "the VLAN: $master in the node's namespace, client namespace $client at $cidr behind it (VLAN $vlan)"
    fi
}
stop_node() {
    # node.sh stop removes the client namespace too; nothing to do where no node was started.
    [ -d "$state/cluster/node" ] || return 0
    bash "$root/scripts/tools/node.sh" stop "$state/cluster" >/dev/null 2>&1 || true
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
    if [ -n "$with_node" ] || node_running; then start_node; fi
    pulumi_ up --yes
    say "outputs:"
    pulumi_ stack output
    echo
    say "every object it made:"
    echo "  $tools/bin/kubectl --kubeconfig $KUBECONFIG get namespaces,network-attachment-definitions,securitycontextconstraints,serviceaccounts,clusterroles,rolebindings,networkpolicies,configmaps,deployments,pods -A -l app.kubernetes.io/name=vpp-server"
    if node_running; then
        client=vppc-$(node_info netns | sed 's/^vppn-//')
        ip=$(pulumi_ config get ipAddress)
        say "the pod runs on the real node $(node_info node); from the client on the VLAN:"
        echo "  ip netns exec $client curl http://${ip%/*}/index.html"
        echo "  ip netns exec $client ping -c3 ${ip%/*}"
        echo "  $tools/bin/kubectl --kubeconfig $KUBECONFIG logs -n vpp-server deploy/vpp-server -c init-vpp-server"
        say "remove it all with: npm run sandbox -- down"
    else
        say "no pod really runs here: kwok fakes the node (npm run sandbox -- --node runs it on a real one). Remove it all with: npm run sandbox -- down"
    fi
    ;;
status)
    if cluster_running; then
        say "control plane: running ($(awk '{printf "%s%s %s", sep, $1, $2; sep=", "}' "$state/cluster/pids"))"
    else
        say "control plane: not running"
    fi
    if node_running; then
        say "node: $(node_info node) running in network namespace $(node_info netns) ($(awk '{printf "%s%s %s", sep, $1, $2; sep=", "}' "$state/cluster/node/pids"))"
    elif [ -f "$state/cluster/node/info" ]; then
        say "node: not running"
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
        if stack_exists; then
            # A stack never deployed (an up that stopped before pulumi up) holds nothing to destroy.
            if [ "$(pulumi_ stack export 2>/dev/null | jq '.deployment.resources // [] | length')" = 0 ]; then
                pulumi_ stack rm --yes >/dev/null
            else
                pulumi_ destroy --yes --remove --run-program
            fi
        fi
        stop_node
        bash "$root/scripts/tools/cluster.sh" stop "$state/cluster" >/dev/null
        rm -rf "$state"
        rm -f "$config_file"
        say "destroyed the stack, stopped the control plane, removed $state"
    else
        # No API server to destroy in: the objects live in the control plane's data, the stack's
        # state in the backend, both under $state, and go with it.
        stop_node
        if [ -f "$state/cluster/pids" ]; then
            bash "$root/scripts/tools/cluster.sh" stop "$state/cluster" >/dev/null 2>&1
        fi
        rm -rf "$state"
        rm -f "$config_file"
        say "the control plane was not running: removed $state (its data, the stack's objects and state) and $config_file"
    fi
    ;;
esac
