#!/usr/bin/env bash
# A throw-away Kubernetes control plane on 127.0.0.1 for the end-to-end tests,
# made of the binaries that scripts/tools/build.sh built: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok (which fakes one Node and the
# kubelet's work, so Deployments become Available without containers).
#
#   scripts/tools/cluster.sh start <statedir>   start everything in the background, wait until it is
#                                               healthy, apply the CRDs from <cachedir>/crds, create the
#                                               fake node, write <statedir>/kubeconfig and <statedir>/pids;
#                                               exit 0 once ready (processes keep running)
#   scripts/tools/cluster.sh stop <statedir>    kill the processes listed in <statedir>/pids (TERM, then
#                                               KILL after 20s), wait for them; leaves the rest of <statedir>
#   scripts/tools/cluster.sh check <statedir>   smoke test of a started cluster: a 1-replica Deployment
#                                               must become Available (kubectl rollout status), then is deleted
#
# Everything listens on 127.0.0.1 only, on free ports probed at start (two
# clusters can run at once in different state dirs). Authentication: a private
# CA made here with openssl; the kubeconfig holds an admin client certificate
# in group system:masters, which the API server also shows a real node's kubelet (node.sh: logs, exec),
# reached at its InternalIP (kubeadm's order; a node's hostname need not resolve here).
# Logs: <statedir>/logs/<component>.log.
# Tools: $VPP_TOOLS_HOME (set by <cachedir>/env.sh), else the dir path.sh prints.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[cluster.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $# -eq 2 ]] || usage
CMD=$1
mkdir -p "$2"
S="$(cd "$2" && pwd)"

tools_home() {
  if [[ -n "${VPP_TOOLS_HOME:-}" && -x "$VPP_TOOLS_HOME/bin/kube-apiserver" ]]; then
    printf '%s\n' "$VPP_TOOLS_HOME"
  else
    "$HERE/path.sh"
  fi
}

# The expected executable of each component (to never kill a recycled PID).
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

pid_alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }
pid_is() { # PID NAME: the process is still the binary we started
  local exe
  exe="$(readlink "/proc/$1/exe" 2>/dev/null)" || return 1
  [[ "$(basename "${exe% (deleted)}")" == "$2" ]]
}

# running PID: the process exists and is not a zombie (PID 1 in a container may not reap).
running() {
  local st
  st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

stop_cluster() {
  local f="$S/pids" name pid i left
  local -a signalled=()
  [[ -f "$f" ]] || { log "no $f: nothing to stop"; return 0; }
  # Reverse start order: kwok, scheduler, KCM, apiserver, etcd. Only PIDs that
  # still run the binary we started are signalled.
  while read -r name pid; do
    if pid_alive "$pid" && pid_is "$pid" "$name"; then
      kill -TERM "$pid" 2>/dev/null || true
      signalled+=("$pid")
    fi
  done < <(tac "$f")
  for ((i = 0; i < 40; i++)); do
    left=()
    for pid in "${signalled[@]}"; do running "$pid" && left+=("$pid"); done
    [[ ${#left[@]} -gt 0 ]] || break
    sleep 0.5
  done
  for pid in "${signalled[@]}"; do
    if running "$pid"; then
      log "pid $pid did not stop within 20s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 20; i++)); do
    left=()
    for pid in "${signalled[@]}"; do running "$pid" && left+=("$pid"); done
    [[ ${#left[@]} -gt 0 ]] || break
    sleep 0.5
  done
  rm -f "$f"
  log "stopped ${#signalled[@]} processes (state kept in $S)"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on and no other
# cluster of this script has reserved (the reservation closes the race between
# probing and binding when two starts overlap). Ports come from below the
# kernel's ephemeral range (net.ipv4.ip_local_port_range): a port inside it
# can be taken, between the probe and the bind, as the local end of any
# outgoing connection (the API server's to etcd, a test's to the API server),
# which made kube-controller-manager fail with "address already in use".
RESERVED=()
PORT_LO=20000 PORT_HI=32767
if read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null; then
  if ((eph_lo > 12000)); then
    PORT_LO=10000 PORT_HI=$((eph_lo - 1))
  else
    PORT_LO=$((eph_hi + 1)) PORT_HI=65000
  fi
fi
# take_port PORT [listen]: reserves PORT when nothing listens on it, no socket holds it (with
# "listen": no listening one; a port this cluster served before may still be in TIME-WAIT, which a
# listener may bind) and no other start reserved it; fails otherwise.
take_port() {
  local p=$1 states=-a
  [[ ${2:-} == listen ]] && states=-l
  case " ${RESERVED[*]:-} " in *"/$p "*) return 1 ;; esac
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 1; fi # something listens
  # awk reads all of ss's output (grep -q would exit early and SIGPIPE ss under pipefail)
  if ss "-Ht${states#-}n" 2>/dev/null | awk -v p=":$p" 'substr($4, length($4) - length(p) + 1) == p {f = 1} END {exit !f}'; then return 1; fi
  mkdir -p /tmp/vpp-cluster-ports
  if ! mkdir "/tmp/vpp-cluster-ports/$p" 2>/dev/null; then
    # reserved by another start; stale after 10 minutes
    [[ -n "$(find "/tmp/vpp-cluster-ports/$p" -maxdepth 0 -mmin +10 2>/dev/null)" ]] || return 1
  fi
  RESERVED+=("/tmp/vpp-cluster-ports/$p")
}
free_port() { # VAR
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((PORT_LO + (RANDOM * 32768 + RANDOM) % (PORT_HI - PORT_LO + 1)))
    take_port "$p" || continue
    printf -v "$1" '%s' "$p"
    return 0
  done
  die "no free port found"
}

# wait_for SECONDS DESCRIPTION PID-NAME CMD...: retry CMD until it succeeds.
wait_for() {
  local secs=$1 what=$2 comp=$3 deadline pid
  shift 3
  deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    pid="$(awk -v n="$comp" '$1==n{print $2}' "$S/pids" 2>/dev/null | tail -n1)"
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      log "$comp exited; last lines of $S/logs/$comp.log:"
      tail -n 30 "$S/logs/$comp.log" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "timed out after ${secs}s waiting for $what; last lines of $S/logs/$comp.log:"
      tail -n 30 "$S/logs/$comp.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  log "$what: ok"
}

launch() { # NAME ARGS...: start in the background, detached, and record the PID
  local name=$1
  shift
  setsid "$B/$name" "$@" >"$S/logs/$name.log" 2>&1 </dev/null &
  printf '%s %s\n' "$name" "$!" >>"$S/pids"
}

make_pki() {
  local p="$S/pki"
  mkdir -p "$p"
  [[ -f "$p/admin.crt" ]] && return 0
  command -v openssl >/dev/null || die "openssl is required (apt-get install -y openssl)"
  (
    cd "$p"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=vpp-e2e-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 3650 -extfile apiserver.ext 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=vpp-e2e-admin" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >admin.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 3650 -extfile admin.ext 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.ext
    chmod 600 ./*.key
  )
}

write_kubeconfig() { # PORT
  local k="$S/kubeconfig"
  rm -f "$k"
  "$B/kubectl" config --kubeconfig="$k" set-cluster vpp-e2e --server="https://127.0.0.1:$1" \
    --certificate-authority="$S/pki/ca.crt" --embed-certs=true >/dev/null
  "$B/kubectl" config --kubeconfig="$k" set-credentials vpp-e2e-admin \
    --client-certificate="$S/pki/admin.crt" --client-key="$S/pki/admin.key" --embed-certs=true >/dev/null
  "$B/kubectl" config --kubeconfig="$k" set-context vpp-e2e --cluster=vpp-e2e --user=vpp-e2e-admin >/dev/null
  "$B/kubectl" config --kubeconfig="$k" use-context vpp-e2e >/dev/null
  chmod 600 "$k"
}

NODE_NAME=kwok-node-0
node_yaml() {
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    beta.kubernetes.io/arch: amd64
    beta.kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $NODE_NAME
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
spec: {}
status:
  allocatable:
    cpu: "32"
    ephemeral-storage: 200Gi
    memory: 256Gi
    pods: "110"
  capacity:
    cpu: "32"
    ephemeral-storage: 200Gi
    memory: 256Gi
    pods: "110"
  nodeInfo:
    architecture: amd64
    kubeletVersion: fake
    kubeProxyVersion: fake
    operatingSystem: linux
  phase: Running
EOF
}

start_cluster() {
  local home etcd_port peer_port api_port kcm_port sched_port kwok_port k pid name
  if [[ -f "$S/pids" ]]; then
    while read -r name pid; do
      if pid_alive "$pid" && pid_is "$pid" "$name"; then
        die "$S already has a running cluster ($name pid $pid); run: $0 stop $S"
      fi
    done <"$S/pids"
    rm -f "$S/pids"
  fi
  home="$(tools_home)"
  B="$home/bin"
  for name in "${COMPONENTS[@]}" kubectl; do
    [[ -x "$B/$name" ]] || die "$B/$name missing: run scripts/tools/build.sh first"
  done
  [[ -d "$home/crds" && -f "$home/kwok/stages.yaml" ]] || die "$home/crds or $home/kwok/stages.yaml missing: run scripts/tools/build.sh first"
  mkdir -p "$S/logs"
  make_pki
  # Restarted on its own data, the API server keeps its port when it is free: its URL is the
  # cluster's name in the kubeconfig, and a deployed stack stops when its server changes.
  prev_api=""
  if [[ -d "$S/etcd" && -f "$S/ports" ]]; then
    prev_api="$(sed -n 's/.*apiserver=\([0-9][0-9]*\).*/\1/p' "$S/ports")"
  fi
  if [[ -n "$prev_api" ]] && take_port "$prev_api" listen; then
    api_port=$prev_api
  else
    [[ -z "$prev_api" ]] || log "the API server's port $prev_api is taken: a new one (stacks deployed here will see another server)"
    free_port api_port
  fi
  free_port etcd_port; free_port peer_port
  free_port kcm_port; free_port sched_port; free_port kwok_port
  printf 'etcd=%s etcd-peer=%s apiserver=%s kube-controller-manager=%s kube-scheduler=%s kwok=%s\n' \
    "$etcd_port" "$peer_port" "$api_port" "$kcm_port" "$sched_port" "$kwok_port" >"$S/ports"
  : >"$S/pids"
  # On any failure from here on, stop what was started.
  # shellcheck disable=SC2154
  trap 'rc=$?; if [[ $rc -ne 0 ]]; then log "start failed: stopping what was started"; stop_cluster; fi; rm -rf "${RESERVED[@]}"' EXIT
  k="$S/kubeconfig"
  write_kubeconfig "$api_port"

  launch etcd --name=vpp-e2e --data-dir="$S/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="vpp-e2e=http://127.0.0.1:$peer_port" --unsafe-no-fsync=true --log-level=warn
  wait_for 60 "etcd on 127.0.0.1:$etcd_port" etcd curl -fsS "http://127.0.0.1:$etcd_port/health"

  launch kube-apiserver --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
    --endpoint-reconciler-type=none \
    --tls-cert-file="$S/pki/apiserver.crt" --tls-private-key-file="$S/pki/apiserver.key" \
    --client-ca-file="$S/pki/ca.crt" --authorization-mode=RBAC --anonymous-auth=true \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$S/pki/sa.pub" --service-account-signing-key-file="$S/pki/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 --allow-privileged=true --profiling=false \
    --kubelet-client-certificate="$S/pki/admin.crt" --kubelet-client-key="$S/pki/admin.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname
  wait_for 120 "kube-apiserver on 127.0.0.1:$api_port" kube-apiserver "$B/kubectl" --kubeconfig="$k" get --raw=/readyz

  # The fake node's heartbeat (kwok) can lag on a loaded 2-core machine; past the default grace
  # period the node lifecycle controller marks it NotReady and the pods unready for good (kwok
  # does not make them ready again). The suite tests no node failure: give it 10 minutes.
  launch kube-controller-manager --kubeconfig="$k" --authentication-kubeconfig="$k" --authorization-kubeconfig="$k" \
    --bind-address=127.0.0.1 --secure-port="$kcm_port" --leader-elect=false \
    --service-account-private-key-file="$S/pki/sa.key" --root-ca-file="$S/pki/ca.crt" \
    --use-service-account-credentials=false --profiling=false \
    --node-monitor-grace-period=10m
  launch kube-scheduler --kubeconfig="$k" --authentication-kubeconfig="$k" --authorization-kubeconfig="$k" \
    --bind-address=127.0.0.1 --secure-port="$sched_port" --leader-elect=false --profiling=false
  launch kwok --kubeconfig="$k" --config="$home/kwok/stages.yaml" --server-address="127.0.0.1:$kwok_port" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr=10.244.0.0/16 --node-ip=10.0.0.1
  wait_for 60 "kube-controller-manager on 127.0.0.1:$kcm_port" kube-controller-manager \
    curl -fsSk "https://127.0.0.1:$kcm_port/healthz"
  wait_for 60 "kube-scheduler on 127.0.0.1:$sched_port" kube-scheduler curl -fsSk "https://127.0.0.1:$sched_port/healthz"
  wait_for 60 "kwok on 127.0.0.1:$kwok_port" kwok curl -fsS "http://127.0.0.1:$kwok_port/healthz"

  node_yaml | "$B/kubectl" --kubeconfig="$k" apply -f - >/dev/null
  wait_for 60 "node $NODE_NAME Ready" kwok "$B/kubectl" --kubeconfig="$k" wait --for=condition=Ready "node/$NODE_NAME" --timeout=5s
  "$B/kubectl" --kubeconfig="$k" apply --server-side -f "$home/crds/" >/dev/null
  wait_for 60 "CRDs established" kube-apiserver "$B/kubectl" --kubeconfig="$k" wait --for=condition=Established \
    crd/securitycontextconstraints.security.openshift.io crd/network-attachment-definitions.k8s.cni.cncf.io --timeout=5s
  wait_for 60 "default service account" kube-controller-manager "$B/kubectl" --kubeconfig="$k" get serviceaccount default -n default
  trap - EXIT
  rm -rf "${RESERVED[@]}"
  log "ready: export KUBECONFIG=$k   (pids: $S/pids, ports: $S/ports)"
}

check_cluster() {
  local home k="$S/kubeconfig" ns="vpp-e2e-check-$$"
  home="$(tools_home)"
  B="$home/bin"
  [[ -f "$k" ]] || die "no $k: start the cluster first"
  "$B/kubectl" --kubeconfig="$k" create namespace "$ns" >/dev/null
  "$B/kubectl" --kubeconfig="$k" -n "$ns" create deployment smoke --image=registry.invalid/smoke:1 --replicas=1 >/dev/null
  if ! "$B/kubectl" --kubeconfig="$k" -n "$ns" rollout status deployment/smoke --timeout=120s; then
    "$B/kubectl" --kubeconfig="$k" -n "$ns" get deploy,rs,pods -o wide >&2 || true
    die "deployment did not become Available"
  fi
  "$B/kubectl" --kubeconfig="$k" -n "$ns" get pods -o wide >&2
  "$B/kubectl" --kubeconfig="$k" delete namespace "$ns" --wait=false >/dev/null
  log "check passed: a 1-replica Deployment became Available"
}

case "$CMD" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  check) check_cluster ;;
  *) usage ;;
esac
