#!/usr/bin/env bash
# One real Kubernetes node beside a control plane that cluster.sh started: a kubelet and containerd
# (with its CRI plugin and runc) in a network namespace of their own, Multus's thin plugin as the
# cluster network's meta-plugin in front of a bridge, all built by build.sh (cache node/, cni/).
#
#   scripts/tools/node.sh start <clusterdir>   start the node in <clusterdir>/node, wait until it is
#                                              Ready; prints its name, network namespace and address
#   scripts/tools/node.sh stop <clusterdir>    stop the kubelet, every container and containerd, undo
#                                              every mount, cgroup, link and namespace it made
#   scripts/tools/node.sh import <clusterdir> <rootfs> <name> [user [entrypoint]]
#                                              an OCI image of the directory <rootfs> (file capabilities
#                                              kept), named <name>, into the node's image store
#
# The node never touches the machine's own links or routes: it lives in the network namespace
# vppn-<id>, joined to this machine by one veth pair of its own on a /30 of 198.18.0.0/15
# (RFC 2544's benchmarking range, checked free first), which carries the API server's traffic
# (through socat: the API server listens on 127.0.0.1 only) and the API server's to the kubelet
# (logs, exec). The pods' primary network is a bridge inside that namespace; the lab's
# macvlanMaster is any link a test makes there. Its cgroups are one tree, <own memory cgroup>/vppn-<id>,
# in each cgroup v1 hierarchy: containerd, the shims and every container run below it, so `stop`
# finds every process. Logs: <clusterdir>/node/logs/{kubelet,containerd,socat}.log.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[node.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $# -ge 2 ]] || usage
CMD=$1
[[ -d "$2" ]] || die "$2 is not a directory (the state dir of a cluster.sh start)"
C="$(cd "$2" && pwd)"
N="$C/node"
ID="$(printf '%s' "$C" | sha256sum | cut -c1-8)"
NS="vppn-$ID"
HOSTLINK="vn$ID"
NODE_NAME="vpp-node-$ID"
CG="vppn-$ID"

tools_home() {
  if [[ -n "${VPP_TOOLS_HOME:-}" && -x "$VPP_TOOLS_HOME/node/bin/kubelet" ]]; then
    printf '%s\n' "$VPP_TOOLS_HOME"
  else
    "$HERE/path.sh"
  fi
}
HOME_DIR="$(tools_home)"
B="$HOME_DIR/bin"
NB="$HOME_DIR/node/bin"
CNI_BIN="$HOME_DIR/cni"
PAUSE_IMAGE="localhost/vpp-node/pause:3.10"
K() { "$B/kubectl" --kubeconfig="$C/kubeconfig" "$@"; }
# in_node CMD...: CMD in the node's network namespace only. Not `ip netns exec`, which mounts a
# fresh /sys without the cgroup hierarchies the kubelet and runc need.
in_node() { nsenter --net="/run/netns/$NS" -- "$@"; }

# The cgroup v1 hierarchies (one per mount point) and the node's cgroup in each.
hierarchies() { awk '$3 == "cgroup" {print $2}' /proc/self/mounts; }
cgroup_parent() {
  local own
  own="$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)"
  [[ -n "$own" && "$own" != / ]] && printf '%s/%s\n' "$own" "$CG" || printf '/%s\n' "$CG"
}

# alive_as PID NAME: the process runs and is still the binary NAME (never a recycled PID).
alive_as() {
  running "$1" && [[ "$(basename "$(readlink "/proc/$1/exe" 2>/dev/null)")" == "$2" ]]
}

running() {
  local st
  st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

# wait_for SECONDS WHAT LOG CMD...
wait_for() {
  local secs=$1 what=$2 logf=$3 deadline
  shift 3
  deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${secs}s waiting for $what; last lines of $logf:"
      tail -n 40 "$logf" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  log "$what: ok"
}

free_subnet() { # prints N such that 198.18.N.0/30 is on no link and in no route of this machine
  local used n i
  used="$(ip -4 -o addr show; ip -4 route show table all)"
  n=$((16#${ID:0:2}))
  for ((i = 0; i < 256; i++)); do
    if ! grep -q "198\.18\.$(((n + i) % 256))\." <<<"$used"; then
      printf '%s\n' "$(((n + i) % 256))"
      return 0
    fi
  done
  die "no free /30 in 198.18.0.0/24"
}

sign() { # NAME SUBJECT [EXT]: a key and a certificate signed by the cluster's CA
  local p="$N/pki"
  openssl req -newkey rsa:2048 -nodes -keyout "$p/$1.key" -out "$p/$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "${3:-extendedKeyUsage=clientAuth}" >"$p/$1.ext"
  openssl x509 -req -in "$p/$1.csr" -CA "$C/pki/ca.crt" -CAkey "$C/pki/ca.key" -CAcreateserial \
    -out "$p/$1.crt" -days 3650 -extfile "$p/$1.ext" 2>/dev/null
  rm -f "$p/$1.csr" "$p/$1.ext"
  chmod 600 "$p/$1.key"
}

kubeconfig_for() { # FILE USER: a kubeconfig for the node's side of the veth, as USER's certificate
  local k=$1 server
  server="https://$HOST_IP:$API_PORT"
  rm -f "$k"
  "$B/kubectl" config --kubeconfig="$k" set-cluster vpp-e2e --server="$server" --tls-server-name=localhost \
    --certificate-authority="$C/pki/ca.crt" --embed-certs=true >/dev/null
  "$B/kubectl" config --kubeconfig="$k" set-credentials "$2" --client-certificate="$N/pki/$2.crt" \
    --client-key="$N/pki/$2.key" --embed-certs=true >/dev/null
  "$B/kubectl" config --kubeconfig="$k" set-context node --cluster=vpp-e2e --user="$2" >/dev/null
  "$B/kubectl" config --kubeconfig="$k" use-context node >/dev/null
  chmod 600 "$k"
}

# Whether this process holds CAP_SYS_RESOURCE (bit 24), without which no one here may lower an
# oom_score_adj: a container without it (this project's CI machine is one) must have containerd
# restrict the pods' scores to at least its own, as rootless containerd does.
has_sys_resource() {
  local eff
  eff="$(awk '$1 == "CapEff:" {print $2}' /proc/self/status)"
  (((16#$eff >> 24) & 1))
}

write_configs() {
  local cgp=$1 restrict=false
  has_sys_resource || restrict=true
  mkdir -p "$N/containerd/root" "$N/containerd/state" "$N/cni/net.d" "$N/cni/cache" "$N/kubelet" "$N/pod-logs"
  cat >"$N/containerd/config.toml" <<EOF
version = 3
root = "$N/containerd/root"
state = "$N/containerd/state"
disabled_plugins = ["io.containerd.internal.v1.tracing", "io.containerd.snapshotter.v1.blockfile"]
[grpc]
  address = "$N/containerd/containerd.sock"
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "$PAUSE_IMAGE"
[plugins."io.containerd.cri.v1.runtime"]
  enable_selinux = false
  restrict_oom_score_adj = $restrict
  # The pods' network namespaces under the state dir, not the machine's /run/netns.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = "$NB/runc"
        SystemdCgroup = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["$CNI_BIN"]
    conf_dir = "$N/cni/net.d"
    max_conf_num = 1
EOF
  # Multus's thin plugin as the cluster network: the pod's primary interface from the bridge
  # delegate, then each network the pod's k8s.v1.cni.cncf.io/networks annotation names, read from
  # the API server as the NetworkAttachmentDefinition in the pod's namespace.
  cat >"$N/cni/net.d/00-multus.conf" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "multus-cni-network",
  "type": "multus",
  "kubeconfig": "$N/multus.kubeconfig",
  "binDir": "$CNI_BIN",
  "cniDir": "$N/cni/multus",
  "confDir": "$N/cni/net.d",
  "logFile": "$N/logs/multus.log",
  "logLevel": "verbose",
  "delegates": [{
    "cniVersion": "1.0.0",
    "name": "vpp-node-pods",
    "plugins": [{
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "ipam": { "type": "host-local", "dataDir": "$N/cni/ipam", "ranges": [[{ "subnet": "10.88.0.0/24" }]] }
    }]
  }]
}
EOF
  cat >"$N/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine runs cgroup v1, which kubelet 1.35 refuses unless told.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: $cgp
containerRuntimeEndpoint: unix://$N/containerd/containerd.sock
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
podLogsDir: $N/pod-logs
tlsCertFile: $N/pki/kubelet-serving.crt
tlsPrivateKeyFile: $N/pki/kubelet-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $C/pki/ca.crt }
authorization:
  mode: Webhook
failSwapOn: false
# A shared machine's disk and memory are not the node's to guard: no eviction, no image GC.
evictionHard: { memory.available: "0%", nodefs.available: "0%", imagefs.available: "0%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: true
resolvConf: ""
staticPodPath: ""
syncFrequency: 10s
nodeStatusUpdateFrequency: 10s
EOF
}

import_image() { # ROOTFS NAME [USER [ENTRYPOINT]]
  local rootfs=$1 name=$2 user=${3:-} entrypoint=${4:-} d
  command -v umoci >/dev/null || die "umoci is required (apt-get install -y umoci)"
  d="$(mktemp -d "$N/image-XXXXXX")"
  umoci init --layout "$d/oci" >/dev/null
  umoci new --image "$d/oci:img" >/dev/null
  # insert keeps each file's owner, mode and xattrs (vpp's security.capability among them).
  umoci insert --image "$d/oci:img" "$rootfs" / >/dev/null
  umoci config --image "$d/oci:img" --config.env="PATH=/opt/vpp/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    ${user:+--config.user="$user"} ${entrypoint:+--config.entrypoint="$entrypoint"} >/dev/null
  tar -C "$d/oci" -cf "$d/image.tar" .
  in_node "$NB/ctr" --address "$N/containerd/containerd.sock" -n k8s.io images import \
    --base-name "${name%:*}" --digests=false --all-platforms "$d/image.tar" >"$N/logs/import.log" 2>&1 ||
    { cat "$N/logs/import.log" >&2; die "ctr could not import $name"; }
  rm -rf "$d"
  # ctr names an OCI layout's image <base-name>:<its ref name>; the node knows it by NAME.
  in_node "$NB/ctr" --address "$N/containerd/containerd.sock" -n k8s.io images tag --force "${name%:*}:img" "$name" >>"$N/logs/import.log" 2>&1
  # Pinned, as the CRI pins its sandbox image: the kubelet's image GC never removes it.
  in_node "$NB/ctr" --address "$N/containerd/containerd.sock" -n k8s.io images label "$name" io.cri-containerd.pinned=pinned >>"$N/logs/import.log" 2>&1
  log "image $name imported"
}

start_node() {
  local b cgp h sub
  for b in kubelet containerd containerd-shim-runc-v2 ctr runc; do
    [[ -x "$NB/$b" ]] || die "$NB/$b missing: run scripts/tools/build.sh first"
  done
  for b in multus bridge host-local loopback macvlan tuning; do
    [[ -x "$CNI_BIN/$b" ]] || die "$CNI_BIN/$b missing: run scripts/tools/build.sh first"
  done
  [[ -f "$C/kubeconfig" && -f "$C/pki/ca.key" && -f "$C/ports" ]] || die "$C holds no started cluster (run cluster.sh start $C)"
  [[ $(id -u) -eq 0 ]] || die "the node runs as root (network namespaces, cgroups, mounts)"
  command -v socat >/dev/null || die "socat is required (apt-get install -y socat)"
  if [[ -f "$N/pids" ]]; then
    local name pid
    while read -r name pid; do
      alive_as "$pid" "$name" && die "a node runs in $N ($name pid $pid; run: $0 stop $C)"
    done <"$N/pids"
    log "the node's processes in $N are gone (a reboot?): removing what they left, then starting it again"
    stop_node
  fi
  API_PORT="$(sed -n 's/.*apiserver=\([0-9][0-9]*\).*/\1/p' "$C/ports")"
  mkdir -p "$N/logs" "$N/pki"
  : >"$N/pids"
  trap 'rc=$?; if [[ $rc -ne 0 ]]; then log "start failed: undoing it"; stop_node; fi' EXIT

  sub="$(free_subnet)"
  HOST_IP="198.18.$sub.1" NODE_IP="198.18.$sub.2"
  printf 'netns=%s node=%s node-ip=%s host-ip=%s link=%s\n' "$NS" "$NODE_NAME" "$NODE_IP" "$HOST_IP" "$HOSTLINK" >"$N/info"
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  ip link add "$HOSTLINK" type veth peer name eth0 netns "$NS"
  ip addr add "$HOST_IP/30" dev "$HOSTLINK"
  ip link set "$HOSTLINK" up
  ip -n "$NS" addr add "$NODE_IP/30" dev eth0
  ip -n "$NS" link set eth0 up
  # The pods' bridge routes between pods and the node only.
  in_node sysctl -qw net.ipv4.ip_forward=1

  # The API server, seen from the node at HOST_IP.
  setsid socat "TCP-LISTEN:$API_PORT,bind=$HOST_IP,fork,reuseaddr" "TCP:127.0.0.1:$API_PORT" >"$N/logs/socat.log" 2>&1 </dev/null &
  printf 'socat %s\n' "$!" >>"$N/pids"

  # Credentials: the kubelet as system:node:<name> (RBAC's system:node role), Multus as the user
  # its own deployment's ClusterRole names, and the kubelet's serving certificate.
  sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  sign multus "/CN=vpp-node-multus"
  sign kubelet-serving "/CN=$NODE_NAME" "subjectAltName=IP:$NODE_IP,DNS:$NODE_NAME
extendedKeyUsage=serverAuth"
  kubeconfig_for "$N/kubelet.kubeconfig" kubelet
  kubeconfig_for "$N/multus.kubeconfig" multus
  K apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: "vpp-node:$NODE_NAME" }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:node" }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:node:$NODE_NAME" }]
---
# The rules of Multus's own deployment (deployments/multus-daemonset.yml of multus-cni v4.2.3).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: vpp-node-multus }
rules:
  - { apiGroups: ["k8s.cni.cncf.io"], resources: ["*"], verbs: ["*"] }
  - { apiGroups: [""], resources: [pods, pods/status], verbs: [get, update] }
  - { apiGroups: ["", events.k8s.io], resources: [events], verbs: [create, patch, update] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: vpp-node-multus }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: vpp-node-multus }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: vpp-node-multus }]
EOF

  # The node's cgroup tree; containerd (so its shims and containers) and the kubelet join it
  # before they start (cpuset: a new cgroup has no CPUs until given its parent's).
  cgp="$(cgroup_parent)"
  local part at
  while IFS= read -r h; do
    # Level by level, each new cpuset given its parent's CPUs and memory nodes.
    at=""
    for part in ${cgp//\// } system; do
      mkdir -p "$h$at/$part"
      if [[ -f "$h$at/$part/cpuset.cpus" && -z "$(cat "$h$at/$part/cpuset.cpus")" ]]; then
        cat "$h$at/cpuset.cpus" >"$h$at/$part/cpuset.cpus"
        cat "$h$at/cpuset.mems" >"$h$at/$part/cpuset.mems"
      fi
      at="$at/$part"
    done
  done < <(hierarchies)
  printf '%s\n' "$cgp" >"$N/cgroup"
  write_configs "$cgp"

  # launch NAME CMD...: in the node's namespace and cgroup, detached, its PID recorded.
  launch() {
    local name=$1
    shift
    # shellcheck disable=SC2016
    setsid bash -c 'for h in $(awk '"'"'$3 == "cgroup" {print $2}'"'"' /proc/self/mounts); do echo $$ >"$h$0/system/cgroup.procs"; done; exec "$@"' \
      "$cgp" nsenter --net="/run/netns/$NS" -- env PATH="$NB:$PATH" "$@" >"$N/logs/$name.log" 2>&1 </dev/null &
    printf '%s %s\n' "$name" "$!" >>"$N/pids"
  }
  launch containerd "$NB/containerd" --config "$N/containerd/config.toml"
  wait_for 60 "containerd" "$N/logs/containerd.log" in_node "$NB/ctr" --address "$N/containerd/containerd.sock" version

  # The pod sandbox's image: the pause binary alone.
  mkdir -p "$N/pause-rootfs"
  install -m 0755 "$HOME_DIR/node/pause" "$N/pause-rootfs/pause"
  import_image "$N/pause-rootfs" "$PAUSE_IMAGE" 65535:65535 /pause

  launch kubelet "$NB/kubelet" --config="$N/kubelet/config.yaml" --kubeconfig="$N/kubelet.kubeconfig" \
    --root-dir="$N/kubelet" --cert-dir="$N/pki" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=2
  wait_for 180 "node $NODE_NAME Ready" "$N/logs/kubelet.log" K wait --for=condition=Ready "node/$NODE_NAME" --timeout=5s
  trap - EXIT
  log "ready: node $NODE_NAME in netns $NS at $NODE_IP (logs: $N/logs)"
  cat "$N/info"
}

stop_node() {
  local name pid h cgp i left m
  [[ -d "$N" ]] || { log "no $N: nothing to stop"; return 0; }
  # The kubelet first, so that it restarts nothing; then every process of the node's cgroup tree
  # (containerd, the shims, the containers), in every hierarchy.
  if [[ -f "$N/pids" ]]; then
    while read -r name pid; do
      [[ $name == kubelet ]] && alive_as "$pid" kubelet && kill -TERM "$pid" 2>/dev/null || true
    done <"$N/pids"
  fi
  cgp="$(cat "$N/cgroup" 2>/dev/null || true)"
  for ((i = 0; i < 40; i++)); do
    left=()
    if [[ -n "$cgp" ]]; then
      while IFS= read -r h; do
        [[ -d "$h$cgp" ]] || continue
        while IFS= read -r pid; do left+=("$pid"); done < <(find "$h$cgp" -name cgroup.procs -exec cat {} + 2>/dev/null)
      done < <(hierarchies)
    fi
    if [[ -f "$N/pids" ]]; then
      while read -r name pid; do alive_as "$pid" "$name" && left+=("$pid"); done <"$N/pids"
    fi
    [[ ${#left[@]} -gt 0 ]] || break
    kill -KILL "${left[@]}" 2>/dev/null || true
    sleep 0.5
  done
  [[ ${#left[@]} -eq 0 ]] || log "processes still alive after 20s: ${left[*]}"
  # Every mount under the node's state (the containers' root filesystems, the kubelet's volumes,
  # the pods' network namespaces), deepest first.
  while IFS= read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v p="$N/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r)
  if [[ -n "$cgp" ]]; then
    while IFS= read -r h; do
      [[ -d "$h$cgp" ]] && find "$h$cgp" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done < <(hierarchies)
  fi
  # The client on the lab's VLAN that the node tier and the sandbox make behind the node (vppc-<id>).
  ip netns del "vppc-$ID" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$HOSTLINK" 2>/dev/null || true
  K delete node "$NODE_NAME" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  K delete clusterrolebinding "vpp-node:$NODE_NAME" vpp-node-multus --ignore-not-found >/dev/null 2>&1 || true
  K delete clusterrole vpp-node-multus --ignore-not-found >/dev/null 2>&1 || true
  rm -f "$N/pids"
  log "stopped node $NODE_NAME (state kept in $N)"
}

case "$CMD" in
  start) [[ $# -eq 2 ]] || usage; start_node ;;
  stop) [[ $# -eq 2 ]] || usage; stop_node ;;
  import)
    [[ $# -ge 4 && $# -le 6 ]] || usage
    [[ -d "$3" ]] || die "$3 is not a directory (the image's root filesystem)"
    [[ -f "$N/pids" ]] || die "no node runs in $N (run: $0 start $C)"
    import_image "$3" "$4" "${5:-}" "${6:-}"
    ;;
  *) usage ;;
esac
