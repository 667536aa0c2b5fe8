#!/usr/bin/env bash
# Builds the end-to-end toolchain from Go modules (through the Go module proxy,
# exact versions only) and caches it OUTSIDE the repo:
#
#   ${VPP_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vpp-server-tools}/<key>/
#     bin/      pulumi, pulumi-language-nodejs, pulumi-resource-pulumi-nodejs,
#               pulumi-resource-kubernetes, pulumi-resource-random,
#               kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
#               etcd, kwok, cnitool
#     cni/      the CNI plugins macvlan, tuning, bridge, host-local, loopback and Multus's thin
#               plugin `multus` (CNI_PATH for cnitool and the node; not on PATH)
#     node/bin/ the real node's kubelet, containerd (+ containerd-shim-runc-v2, ctr) and runc
#               (not on PATH; the data-plane tier runs this runc too); node/pause, the pod
#               sandbox's process, from the Kubernetes module's build/pause/linux/pause.c
#     pulumi-own-host/   pulumi (a hard link) next to Pulumi's own Node.js host from
#               sdk/v3 v3.68.0: the e2e suite cross-checks the stand-in host with it
#     crds/     securitycontextconstraints.crd.yaml, network-attachment-definitions.crd.yaml
#     kwok/stages.yaml   the node/pod stages kwok needs (kwokctl's defaults)
#     pulumi-home/   PULUMI_HOME with both providers installed as plugins
#     env.sh    `source` it: PATH, PULUMI_HOME and the offline Pulumi settings
#     versions.txt, build-times.txt, logs/, src/ (generated wrapper modules)
#
# <key> is a hash of the @pulumi/* versions in package-lock.json and of the
# content of this script and its helper files (see lib.sh), so changing a
# version or the script builds into a new directory. scripts/tools/path.sh
# prints the directory for the current key without building.
#
# Usage: scripts/tools/build.sh            # build what is missing; stdout: the env.sh lines
#        eval "$(scripts/tools/build.sh)"  # ... and use them in this shell
#        scripts/tools/build.sh FAMILY...  # only these (pulumi langhost
#                                          # kubernetes-provider random-provider
#                                          # langhost-pulumi kubernetes etcd kwok cni
#                                          # crds plugins containerd runc multus pause)
# Idempotent: a finished cache has a .complete marker and a re-run returns at
# once; otherwise each tool whose binary already exists is skipped. Build wall
# times go to stderr and <cachedir>/build-times.txt. GOMODCACHE and GOCACHE are
# the Go defaults (they persist on the machine and make re-builds cheap).
set -euo pipefail

###############################################################################
# Pinned versions. The @pulumi/pulumi, @pulumi/kubernetes and @pulumi/random
# versions are NOT here: they are read from package-lock.json. Every version
# must be exact (the proxy refuses @latest and serves only some versions).
###############################################################################
K8S_VERSION=v1.35.4           # k8s.io/kubernetes: kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
ETCD_VERSION=v3.6.16          # go.etcd.io/etcd/server/v3
KWOK_VERSION=v0.8.0           # sigs.k8s.io/kwok (cmd/kwok)
OPENSHIFT_API_VERSION=v0.0.0-20260318185450-1f2fa3f09f4e  # github.com/openshift/api (SCC CRD); no semver tags
NAD_CLIENT_VERSION=v1.7.7     # github.com/k8snetworkplumbingwg/network-attachment-definition-client (NAD CRD)
CNI_PLUGINS_VERSION=v1.9.1    # github.com/containernetworking/plugins: macvlan and tuning, as Multus runs them
SHLEX_VERSION=v0.0.0-20191202100458-e7afc7fbc510  # github.com/google/shlex (the langhost splits nodeargs as Pulumi's does)
CNI_VERSION=v1.3.1            # github.com/containernetworking/cni: cnitool (libcni, which Multus uses too)
# The real node (test/e2e/node.ts, `npm run sandbox -- --node`); the kubelet comes from K8S_VERSION.
CONTAINERD_VERSION=v2.4.2     # github.com/containerd/containerd/v2: containerd with its CRI plugin, the runc shim, ctr
RUNC_VERSION=v1.5.3           # github.com/opencontainers/runc (cgo, libseccomp; Debian's libseccomp-dev)
MULTUS_VERSION=v4.2.3         # gopkg.in/k8snetworkplumbingwg/multus-cni.v4: the thin plugin (cmd/multus)
# Fallbacks, used only when the proxy does not serve the module at the version
# the lockfile asks for (true on 2026-11-24 for all three; see versions.txt):
PULUMI_CLI_FALLBACK=v3.259.0             # github.com/pulumi/pulumi/pkg/v3: the only pkg/v3 version served
K8S_PROVIDER_FALLBACK=v4.0.0-20260115033456-f47bc2d6f199  # github.com/pulumi/pulumi-kubernetes/provider/v4: the only
                                         # served version (pinned by pulumi/crd2pulumi); a commit between 4.24.0 and 4.25.0
K8S_PROVIDER_FALLBACK_SDK=v4.25.0        # pulumi-kubernetes/sdk/v4 used for the provider's `../sdk` replace
K8S_PROVIDER_FALLBACK_PULUMI=v3.216.0    # pulumi pkg/v3+sdk/v3 for it: it pins 3.215.0, whose go.mod the checksum DB
                                         # does not answer for; 3.216.0 is what crd2pulumi pairs it with (3.259 does not compile)
K8S_PROVIDER_FALLBACK_LABEL=4.25.0-pre.f47bc2d6  # the version that fallback binary reports about itself
PULUMI_OWN_LANGHOST_VERSION=v3.68.0      # github.com/pulumi/pulumi/sdk/v3: the newest release whose module still
                                         # holds Pulumi's own Node.js host (later ones moved it to a module the proxy
                                         # does not serve). Too old to be THE host (no policy packs, ignores
                                         # runtime options), it cross-checks the stand-in in the e2e suite.
# Two tools are small local stand-ins, built against the CLI's Go SDK, because their real modules are
# not served at any version:
#  - pulumi-language-nodejs (scripts/tools/langhost-nodejs/): Pulumi's host is the untagged module
#    github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3. (sdk/v3@v3.68.0, the last one
#    that contained a host, is served, but its host cannot run policy packs and ignores runtime options.)
#  - pulumi-resource-random (scripts/tools/random-provider/): github.com/pulumi/pulumi-random/provider/v4
#    (which would also need its unpublished nested `shim` module). The stand-in implements RandomId,
#    the one type this project uses, and is installed under the lockfile's version.
###############################################################################

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

log() { printf '[build.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ALL_FAMILIES=(pulumi langhost langhost-pulumi kubernetes-provider random-provider kubernetes etcd kwok cni crds plugins
  containerd runc multus pause)
FAMILIES=("$@")
for f in "${FAMILIES[@]}"; do
  case " ${ALL_FAMILIES[*]} " in *" $f "*) ;; *) die "unknown family '$f' (known: ${ALL_FAMILIES[*]})" ;; esac
done
[[ ${#FAMILIES[@]} -gt 0 ]] || FAMILIES=("${ALL_FAMILIES[@]}")
want() { case " ${FAMILIES[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

command -v jq >/dev/null || die "jq is required (apt-get install -y jq)"
vpp_npm_versions
KEY="$(vpp_tools_key)"
DIR="$VPP_TOOLS_CACHE_ROOT/$KEY"
BIN="$DIR/bin"

write_env() {
  cat >"$DIR/env.sh.tmp" <<EOF
# Generated by scripts/tools/build.sh (key $KEY). Source it:  . "$DIR/env.sh"
# The caller still sets PULUMI_BACKEND_URL (or pulumi login) and PULUMI_CONFIG_PASSPHRASE.
export VPP_TOOLS_HOME="$DIR"
case ":\$PATH:" in *":$BIN:"*) ;; *) export PATH="$BIN:\$PATH" ;; esac
export PULUMI_HOME="$DIR/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_DISABLE_REGISTRY_RESOLVE=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
# Use the plugins installed in PULUMI_HOME, not the provider binaries in bin/ on PATH
# (the language host is still found next to bin/pulumi).
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export VPP_CRDS_DIR="$DIR/crds"
export VPP_CNI_PATH="$DIR/cni"
export VPP_PULUMI_OWN_HOST_DIR="$DIR/pulumi-own-host"
export VPP_NODE_BIN="$DIR/node/bin"
export VPP_NODE_PAUSE="$DIR/node/pause"
EOF
  mv "$DIR/env.sh.tmp" "$DIR/env.sh"
}

# stdout gets only the environment (so `eval "$(scripts/tools/build.sh)"` works);
# everything else goes to stderr.
print_env() {
  log "tools ready in $DIR   (use: . \"$DIR/env.sh\")"
  grep -v '^#' "$DIR/env.sh"
}

if [[ -f "$DIR/.complete" ]]; then
  print_env
  exit 0
fi

if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi
command -v go >/dev/null || die "go is required (Go 1.26, e.g. at /usr/local/go)"
mkdir -p "$BIN" "$DIR/crds" "$DIR/logs" "$DIR/src" "$DIR/pulumi-home"
# One build per cache dir at a time (two CI jobs may overlap).
exec 9>"$DIR/.lock"
if ! flock -n 9; then
  log "another build.sh is building $DIR; waiting for it"
  flock 9
fi
if [[ -f "$DIR/.complete" ]]; then print_env; exit 0; fi

export CGO_ENABLED=0
export GOFLAGS=-buildvcs=false
GO_LINE="go 1.25.0" # wrappers start low; `go mod tidy` raises it to what the dependencies need
TIMES="$DIR/build-times.txt"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

###############################################################################
# Helpers
###############################################################################

# timed NAME CMD...: runs CMD, logs its wall time to stderr and build-times.txt.
timed() {
  local name=$1 start end rc=0
  shift
  start=$(date +%s)
  log "building $name ..."
  # Not `"$@" || rc=$?`: that would switch off errexit inside the build functions.
  set +e
  (set -e; "$@")
  rc=$?
  set -e
  end=$(date +%s)
  if [[ $rc -ne 0 ]]; then
    log "$name FAILED after $((end - start))s (rc=$rc); log: $DIR/logs/$name.log"
    tail -n 40 "$DIR/logs/$name.log" >&2 || true
    exit "$rc"
  fi
  log "$name built in $((end - start))s"
  printf '%-22s %5ds  %s  go=%s\n' "$name" "$((end - start))" "$(date -u +%FT%TZ)" "$(go env GOVERSION)" >>"$TIMES"
}

# have BIN...: true when every named binary exists in bin/.
have() {
  local b
  for b in "$@"; do [[ -x "$BIN/$b" ]] || return 1; done
}

# modinfo MODULE@VERSION -> `go mod download -json` output (outside any module).
modinfo() { (cd "$SCRATCH" && GOFLAGS=-mod=mod go mod download -json "$1" 2>/dev/null) || true; }

# served MODULE@VERSION: true when the proxy serves it (and it verifies).
served() { [[ -n "$(modinfo "$1" | jq -r 'select((.Error // "") == "") | .Dir // empty')" ]]; }

# pseudo_of MODULE@TAG: pseudo-version v<maj>.0.0-<time>-<hash12> of the tag's commit, or nothing.
pseudo_of() {
  local info hash t major
  info="$(modinfo "$1")"
  hash="$(jq -r '.Origin.Hash // empty' <<<"$info")"
  t="$(jq -r '.Time // empty' <<<"$info")"
  [[ -n "$hash" && -n "$t" ]] || return 0
  major="${1##*@}"; major="${major%%.*}"
  printf '%s.0.0-%s-%s\n' "$major" "$(date -u -d "$t" +%Y%m%d%H%M%S)" "${hash:0:12}"
}

# new_wrapper DIR MODULE: empty wrapper module; go.sum seeded with go.sum.pins
# (hashes for module versions the checksum database does not answer for).
new_wrapper() {
  rm -rf "$1"
  mkdir -p "$1"
  printf 'module %s\n\n%s\n' "$2" "$GO_LINE" >"$1/go.mod"
  grep -v '^#' "$VPP_TOOLS_DIR/go.sum.pins" | grep . >"$1/go.sum" || true
}

# tools_go DIR PKG...: a build-tagged file importing the main packages, so that
# `go mod tidy` records everything they need.
tools_go() {
  local d=$1 p
  shift
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for p in "$@"; do printf '\t_ "%s"\n' "$p"; done
    printf ')\n'
  } >"$d/tools.go"
}

# copy_replaces GOMOD WRAPPER_DIR: copy the non-relative `replace` directives of
# a dependency's go.mod (ignored when it is not the main module) into the wrapper.
copy_replaces() {
  local gomod=$1 w=$2 r
  while IFS= read -r r; do
    [[ -n "$r" ]] || continue
    log "  replace $r (from $(basename "$(dirname "$gomod")")/go.mod)"
    (cd "$w" && go mod edit -replace="$r")
  done < <(go mod edit -json "$gomod" | jq -r '.Replace // [] | .[]
      | select(.New.Version != null and .New.Version != "")
      | "\(.Old.Path)\(if .Old.Version then "@" + .Old.Version else "" end)=\(.New.Path)@\(.New.Version)"')
}

# mod_dir WRAPPER MODULE@VERSION -> module dir in GOMODCACHE (downloaded in module
# mode, so the wrapper's seeded go.sum is used for verification).
mod_dir() {
  (cd "$1" && go mod download -json "$2" | jq -r '.Dir')
}

# semver_lt A B: true when A < B (vX.Y.Z, pre-release ignored).
semver_lt() {
  [[ "$1" != "$2" && "$(printf '%s\n%s\n' "${1%%-*}" "${2%%-*}" | sort -V | vpp_first_line)" == "${1%%-*}" && "${1%%-*}" != "${2%%-*}" ]]
}

go_build() { # DIR LDFLAGS OUT PKG...   (OUT: a dir ending in / or a file)
  local d=$1 ld=$2 out=$3
  shift 3
  (cd "$d" && go build -trimpath -ldflags "$ld" -o "$out" "$@")
}

###############################################################################
# Version resolution (only the Pulumi modules need probing)
###############################################################################
PULUMI_CLI_VERSION=""
K8S_PROVIDER_VERSION="" K8S_PROVIDER_LABEL="" K8S_PROVIDER_SDK="" K8S_PROVIDER_PULUMI=""

resolve_pulumi_cli() {
  [[ -z "$PULUMI_CLI_VERSION" ]] || return 0
  if served "github.com/pulumi/pulumi/pkg/v3@v$NPM_PULUMI"; then
    PULUMI_CLI_VERSION="v$NPM_PULUMI"
  else
    PULUMI_CLI_VERSION="$PULUMI_CLI_FALLBACK"
    log "NOTE: github.com/pulumi/pulumi/pkg/v3@v$NPM_PULUMI is not served; building the CLI at $PULUMI_CLI_VERSION"
  fi
}

resolve_k8s_provider() {
  [[ -z "$K8S_PROVIDER_VERSION" ]] || return 0
  local pseudo
  pseudo="$(pseudo_of "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$NPM_KUBERNETES")"
  if [[ -n "$pseudo" ]] && served "github.com/pulumi/pulumi-kubernetes/provider/v4@$pseudo"; then
    K8S_PROVIDER_VERSION="$pseudo" K8S_PROVIDER_LABEL="$NPM_KUBERNETES" K8S_PROVIDER_SDK="v$NPM_KUBERNETES"
    K8S_PROVIDER_PULUMI="" # keep what its go.mod requires
  else
    K8S_PROVIDER_VERSION="$K8S_PROVIDER_FALLBACK" K8S_PROVIDER_LABEL="$K8S_PROVIDER_FALLBACK_LABEL"
    K8S_PROVIDER_SDK="$K8S_PROVIDER_FALLBACK_SDK" K8S_PROVIDER_PULUMI="$K8S_PROVIDER_FALLBACK_PULUMI"
    log "NOTE: pulumi-kubernetes provider for v$NPM_KUBERNETES is not served (${pseudo:-no commit info for sdk/v4@v$NPM_KUBERNETES});" \
      "building provider/v4@$K8S_PROVIDER_VERSION ($K8S_PROVIDER_LABEL), installed as plugin version $NPM_KUBERNETES"
  fi
}

###############################################################################
# Tool families
###############################################################################

build_pulumi() {
  local w="$DIR/src/pulumi" gomod
  new_wrapper "$w" vpp.local/tools/pulumi
  (cd "$w" && go mod edit -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_CLI_VERSION")
  gomod="$(cd "$w" && go mod download -json "github.com/pulumi/pulumi/pkg/v3@$PULUMI_CLI_VERSION" | jq -r .GoMod)"
  copy_replaces "$gomod" "$w"
  tools_go "$w" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  (cd "$w" && go mod tidy)
  go_build "$w" "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_CLI_VERSION" \
    "$w/out/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$w/out/pulumi" "$BIN/pulumi"
}

build_langhost() {
  local w="$DIR/src/langhost" sdkdir
  new_wrapper "$w" vpp.local/tools/pulumi-language-nodejs
  cp "$VPP_TOOLS_DIR/langhost-nodejs/main.go" "$w/main.go"
  (cd "$w" && go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_CLI_VERSION" \
    -require="github.com/google/shlex@$SHLEX_VERSION" && go mod tidy)
  go_build "$w" "-s -w -X main.version=${PULUMI_CLI_VERSION#v}" "$w/out/pulumi-language-nodejs" .
  mv "$w/out/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs"
  # The dynamic-provider shim (a 4-line sh script) ships in the sdk/v3 zip.
  sdkdir="$(modinfo "github.com/pulumi/pulumi/sdk/v3@$PULUMI_CLI_VERSION" | jq -r '.Dir // empty')"
  if [[ -n "$sdkdir" && -f "$sdkdir/nodejs/dist/pulumi-resource-pulumi-nodejs" ]]; then
    install -m 0755 "$sdkdir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
  fi
}

build_k8s_provider() {
  local w="$DIR/src/kubernetes-provider" m=github.com/pulumi/pulumi-kubernetes/provider/v4 src p cur
  new_wrapper "$w" vpp.local/tools/pulumi-resource-kubernetes
  (cd "$w" && go mod edit -require="$m@$K8S_PROVIDER_VERSION")
  src="$(mod_dir "$w" "$m@$K8S_PROVIDER_VERSION")"
  # A writable copy: the embedded JSON files are generated (not in git, so not in the zip).
  cp -r "$src" "$w/provider"
  chmod -R u+w "$w/provider"
  (
    cd "$w/provider/cmd/pulumi-resource-kubernetes"
    # = `VERSION=... go run generate.go`: stamp the version into the schema, compact the mapping.
    jq -c --arg v "$K8S_PROVIDER_LABEL" '.version = $v' schema.json >schema-embed.json
    jq -c . terraform-mapping.json >terraform-mapping-embed.json
  )
  # Its go.mod: `replace .../sdk/v4 => ../sdk` becomes a require of the published sdk;
  # the other relative replaces are dropped; the non-relative ones go to the wrapper.
  copy_replaces "$w/provider/go.mod" "$w"
  (cd "$w/provider" && go mod edit -json | jq -r '.Replace // [] | .[] | select((.New.Version // "") == "") | .Old.Path') |
    while IFS= read -r p; do (cd "$w/provider" && go mod edit -dropreplace="$p"); done
  (cd "$w/provider" && go mod edit -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@$K8S_PROVIDER_SDK")
  # Raise (never lower) its Pulumi pkg/sdk requirement to the pinned one, if any.
  for p in pkg sdk; do
    [[ -n "$K8S_PROVIDER_PULUMI" ]] || break
    cur="$(cd "$w/provider" && go mod edit -json | jq -r --arg m "github.com/pulumi/pulumi/$p/v3" '.Require[] | select(.Path == $m) | .Version')"
    if [[ -n "$cur" ]] && semver_lt "$cur" "$K8S_PROVIDER_PULUMI"; then
      (cd "$w/provider" && go mod edit -require="github.com/pulumi/pulumi/$p/v3@$K8S_PROVIDER_PULUMI")
    fi
  done
  (cd "$w" && go mod edit -replace="$m=./provider")
  tools_go "$w" "$m/cmd/pulumi-resource-kubernetes"
  (cd "$w" && go mod tidy)
  go_build "$w" "-s -w -X $m/pkg/version.Version=$K8S_PROVIDER_LABEL" "$w/out/" "$m/cmd/pulumi-resource-kubernetes"
  echo "$K8S_PROVIDER_LABEL" >"$w/reported-version"
  mv "$w/out/pulumi-resource-kubernetes" "$BIN/pulumi-resource-kubernetes"
}

build_random_provider() {
  local w="$DIR/src/random-provider"
  new_wrapper "$w" vpp.local/tools/pulumi-resource-random
  cp "$VPP_TOOLS_DIR/random-provider/main.go" "$VPP_TOOLS_DIR/random-provider/main_test.go" "$w/"
  (cd "$w" && go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_CLI_VERSION" && go mod tidy)
  # Its semantics are tested before it is installed (a failing test fails the build).
  (cd "$w" && go test -count=1 .)
  go_build "$w" "-s -w -X main.version=$NPM_RANDOM" "$w/out/pulumi-resource-random" .
  mv "$w/out/pulumi-resource-random" "$BIN/pulumi-resource-random"
}

build_kubernetes() {
  local w="$DIR/src/kubernetes" gomod minor staging r b
  new_wrapper "$w" vpp.local/tools/kubernetes
  (cd "$w" && go mod edit -require="k8s.io/kubernetes@$K8S_VERSION")
  gomod="$(cd "$w" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r .GoMod)"
  copy_replaces "$gomod" "$w"
  # k8s.io/kubernetes replaces every staging module with ./staging/src/k8s.io/X;
  # the same code is published as k8s.io/X v0.<minor>.<patch>.
  staging="v0.${K8S_VERSION#v1.}"
  while IFS= read -r r; do
    (cd "$w" && go mod edit -replace="$r=$r@$staging")
  done < <(go mod edit -json "$gomod" | jq -r '.Replace // [] | .[] | select(.New.Path | startswith("./staging/")) | .Old.Path')
  tools_go "$w" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl k8s.io/kubernetes/cmd/kubelet
  (cd "$w" && go mod tidy)
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local ld="-s -w"
  for r in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $r.gitVersion=$K8S_VERSION -X $r.gitMajor=1 -X $r.gitMinor=$minor -X $r.gitTreeState=clean"
  done
  # One invocation for all five, so shared packages compile once (the kubelet is the real node's).
  go_build "$w" "$ld" "$w/out/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl k8s.io/kubernetes/cmd/kubelet
  mkdir -p "$DIR/node/bin"
  mv "$w/out/kubelet" "$DIR/node/bin/kubelet"
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do mv "$w/out/$b" "$BIN/$b"; done
}

build_etcd() {
  local w="$DIR/src/etcd" gomod
  new_wrapper "$w" vpp.local/tools/etcd
  (cd "$w" && go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  gomod="$(cd "$w" && go mod download -json "go.etcd.io/etcd/server/v3@$ETCD_VERSION" | jq -r .GoMod)"
  copy_replaces "$gomod" "$w" # all of etcd's replaces are relative: none are copied
  tools_go "$w" go.etcd.io/etcd/server/v3
  (cd "$w" && go mod tidy)
  go_build "$w" "-s -w" "$w/out/etcd" go.etcd.io/etcd/server/v3
  mv "$w/out/etcd" "$BIN/etcd"
}

build_kwok() {
  local w="$DIR/src/kwok" gomod
  new_wrapper "$w" vpp.local/tools/kwok
  (cd "$w" && go mod edit -require="sigs.k8s.io/kwok@$KWOK_VERSION")
  gomod="$(cd "$w" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | jq -r .GoMod)"
  copy_replaces "$gomod" "$w"
  tools_go "$w" sigs.k8s.io/kwok/cmd/kwok
  (cd "$w" && go mod tidy)
  go_build "$w" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" "$w/out/" sigs.k8s.io/kwok/cmd/kwok
  mv "$w/out/kwok" "$BIN/kwok"
}

# Pulumi's own Node.js language host from sdk/v3@PULUMI_OWN_LANGHOST_VERSION, next to a hard link
# of the CLI (the CLI looks for a language host next to its own executable first).
build_langhost_pulumi() {
  local w="$DIR/src/langhost-pulumi" gomod out="$DIR/pulumi-own-host"
  new_wrapper "$w" vpp.local/tools/pulumi-own-langhost
  (cd "$w" && go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_OWN_LANGHOST_VERSION")
  gomod="$(cd "$w" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@$PULUMI_OWN_LANGHOST_VERSION" | jq -r .GoMod)"
  copy_replaces "$gomod" "$w"
  tools_go "$w" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  (cd "$w" && go mod tidy)
  go_build "$w" "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_OWN_LANGHOST_VERSION" \
    "$w/out/" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  mkdir -p "$out"
  mv "$w/out/pulumi-language-nodejs" "$out/pulumi-language-nodejs"
  ln -f "$BIN/pulumi" "$out/pulumi" 2>/dev/null || cp "$BIN/pulumi" "$out/pulumi"
}

# The CNI plugins the NetworkAttachmentDefinition chains (macvlan, tuning) and cnitool, which
# runs a network configuration through libcni as Multus does: for the host integration tests.
build_cni() {
  local w="$DIR/src/cni"
  new_wrapper "$w" vpp.local/tools/cni
  (cd "$w" && go mod edit -require="github.com/containernetworking/plugins@$CNI_PLUGINS_VERSION" \
    -require="github.com/containernetworking/cni@$CNI_VERSION")
  local p pkgs=(github.com/containernetworking/cni/cnitool)
  for p in "${CNI_PLUGINS[@]}"; do pkgs+=("github.com/containernetworking/plugins/plugins/$p"); done
  tools_go "$w" "${pkgs[@]}"
  (cd "$w" && GOFLAGS=-mod=mod go mod tidy)
  go_build "$w" "-s -w" "$w/out/" "${pkgs[@]}"
  mkdir -p "$DIR/cni"
  for p in "${CNI_PLUGINS[@]}"; do mv "$w/out/${p##*/}" "$DIR/cni/"; done
  mv "$w/out/cnitool" "$BIN/cnitool"
}
# macvlan and tuning are the lab's chain; bridge, host-local and loopback the real node's primary network.
CNI_PLUGINS=(main/macvlan meta/tuning main/bridge ipam/host-local main/loopback)
have_cni() {
  local p
  have cnitool || return 1
  for p in "${CNI_PLUGINS[@]}"; do
    [[ -x "$DIR/cni/${p##*/}" ]] || return 1
  done
}

# A module's main packages at one version, with `go install` (for modules without replace directives).
go_install() { # OUTDIR LDFLAGS MODULE@VERSION PKG...   (PKG relative to MODULE)
  local out=$1 ld=$2 mv=$3 p
  shift 3
  local args=()
  for p in "$@"; do args+=("${mv%@*}${p:+/$p}@${mv##*@}"); done
  mkdir -p "$out"
  GOBIN="$out" go install -trimpath -ldflags "$ld" "${args[@]}"
}

# containerd with its built-in CRI plugin, the runc shim it starts each pod with, and ctr (the node
# imports its locally assembled images with it). Pure Go: the cgo-only snapshotters (btrfs) drop out.
build_containerd() {
  local w="$DIR/src/containerd"
  go_install "$w/out" "-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" \
    "github.com/containerd/containerd/v2@$CONTAINERD_VERSION" cmd/containerd cmd/containerd-shim-runc-v2 cmd/ctr
  mkdir -p "$DIR/node/bin"
  mv "$w/out/containerd" "$w/out/containerd-shim-runc-v2" "$w/out/ctr" "$DIR/node/bin/"
}

# runc with seccomp (cgo against Debian's libseccomp), as its Makefile builds it but for libpathrs
# (a Rust library this machine cannot build): runc then uses its Go pathrs-lite, as upstream allows.
build_runc() {
  local w="$DIR/src/runc"
  [[ -f /usr/include/seccomp.h ]] || die "runc needs libseccomp's headers: apt-get install -y libseccomp-dev"
  mkdir -p "$w/out"
  CGO_ENABLED=1 GOBIN="$w/out" go install -trimpath -tags "seccomp urfave_cli_no_docs" -ldflags "-s -w" \
    "github.com/opencontainers/runc@$RUNC_VERSION"
  mkdir -p "$DIR/node/bin"
  mv "$w/out/runc" "$DIR/node/bin/runc"
}

# Multus's thin plugin: the node's cluster network, which reads the pod's
# k8s.v1.cni.cncf.io/networks annotation and the NetworkAttachmentDefinition from the API server.
build_multus() {
  local w="$DIR/src/multus" m=gopkg.in/k8snetworkplumbingwg/multus-cni.v4
  # A wrapper module, not `go install pkg@version`: that reads the module's version list, which the
  # proxy refuses for Multus (it serves exact versions only).
  new_wrapper "$w" vpp.local/tools/multus
  (cd "$w" && go mod edit -require="$m@$MULTUS_VERSION")
  tools_go "$w" "$m/cmd/multus"
  (cd "$w" && go mod tidy)
  go_build "$w" "-s -w -X $m/pkg/multus.version=$MULTUS_VERSION" "$w/out/" "$m/cmd/multus"
  mkdir -p "$DIR/cni"
  mv "$w/out/multus" "$DIR/cni/multus"
}

# The pod sandbox's process, from the Kubernetes module's own source, static (the pause image holds
# nothing else).
build_pause() {
  local src
  src="$(modinfo "k8s.io/kubernetes@$K8S_VERSION" | jq -r '.Dir // empty')/build/pause/linux/pause.c"
  [[ -f "$src" ]] || die "$src is missing from k8s.io/kubernetes@$K8S_VERSION"
  mkdir -p "$DIR/node"
  gcc -Os -Wall -Werror -static -DVERSION="$K8S_VERSION" -o "$DIR/node/pause.tmp" "$src"
  strip "$DIR/node/pause.tmp"
  mv "$DIR/node/pause.tmp" "$DIR/node/pause"
}

# kwok (unlike kwokctl) has no built-in stages: its --config must list them. These are
# the ones kwokctl uses by default, from the same kwok module version.
write_kwok_stages() {
  local d f
  d="$(modinfo "sigs.k8s.io/kwok@$KWOK_VERSION" | jq -r '.Dir // empty')"
  [[ -n "$d" ]] || die "sigs.k8s.io/kwok@$KWOK_VERSION is not served"
  mkdir -p "$DIR/kwok"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [[ -f "$d/kustomize/stage/$f" ]] || die "kwok stage $f missing in sigs.k8s.io/kwok@$KWOK_VERSION"
    printf -- '---\n'
    cat "$d/kustomize/stage/$f"
  done >"$DIR/kwok/stages.yaml.tmp"
  mv "$DIR/kwok/stages.yaml.tmp" "$DIR/kwok/stages.yaml"
}

build_crds() {
  local d f
  d="$(modinfo "github.com/openshift/api@$OPENSHIFT_API_VERSION" | jq -r '.Dir // empty')"
  [[ -n "$d" ]] || die "github.com/openshift/api@$OPENSHIFT_API_VERSION is not served"
  f="$d/security/v1/zz_generated.crd-manifests/0000_03_config-operator_01_securitycontextconstraints.crd.yaml"
  [[ -f "$f" ]] || f="$(find "$d" -name '*securitycontextconstraints*.crd.yaml' ! -name '*TechPreview*' ! -name '*DevPreview*' | sort | vpp_first_line)"
  [[ -f "$f" ]] || die "no SecurityContextConstraints CRD in github.com/openshift/api@$OPENSHIFT_API_VERSION"
  install -m 0644 "$f" "$DIR/crds/securitycontextconstraints.crd.yaml.tmp"
  d="$(modinfo "github.com/k8snetworkplumbingwg/network-attachment-definition-client@$NAD_CLIENT_VERSION" | jq -r '.Dir // empty')"
  [[ -n "$d" && -f "$d/artifacts/networks-crd.yaml" ]] || die "network-attachment-definition-client@$NAD_CLIENT_VERSION: artifacts/networks-crd.yaml missing"
  install -m 0644 "$d/artifacts/networks-crd.yaml" "$DIR/crds/network-attachment-definitions.crd.yaml"
  mv "$DIR/crds/securitycontextconstraints.crd.yaml.tmp" "$DIR/crds/securitycontextconstraints.crd.yaml"
}

plugin_installed() { [[ -x "$DIR/pulumi-home/plugins/resource-$1-v$2/pulumi-resource-$1" && ! -e "$DIR/pulumi-home/plugins/resource-$1-v$2.partial" ]]; }

install_plugins() {
  local name ver
  for name in kubernetes random; do
    ver="$NPM_KUBERNETES"; [[ $name == random ]] && ver="$NPM_RANDOM"
    plugin_installed "$name" "$ver" && continue
    PULUMI_HOME="$DIR/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true \
      "$BIN/pulumi" plugin install resource "$name" "$ver" --file "$BIN/pulumi-resource-$name" --non-interactive </dev/null
    plugin_installed "$name" "$ver" || die "plugin $name $ver did not install into $DIR/pulumi-home"
  done
}

###############################################################################
# Main
###############################################################################
log "cache dir: $DIR (key $KEY); lockfile: @pulumi/pulumi $NPM_PULUMI, @pulumi/kubernetes $NPM_KUBERNETES, @pulumi/random $NPM_RANDOM"

family() { # FAMILY "BINARIES" FUNCTION
  local fam=$1 bins=$2 fn=$3
  want "$fam" || return 0
  # shellcheck disable=SC2086
  if have $bins; then
    log "$fam: cached ($bins)"
    return 0
  fi
  timed "$fam" run_logged "$fam" "$fn"
}
run_logged() { "$2" >"$DIR/logs/$1.log" 2>&1 </dev/null; }

if want pulumi || want langhost || want kubernetes-provider || want random-provider || want plugins; then
  have pulumi pulumi-resource-kubernetes pulumi-resource-random pulumi-language-nodejs || resolve_pulumi_cli
fi
want kubernetes-provider && ! have pulumi-resource-kubernetes && resolve_k8s_provider

# Largest first, so a CI timeout shows early what is too slow.
if want kubernetes && have kube-apiserver kube-controller-manager kube-scheduler kubectl && [[ -x "$DIR/node/bin/kubelet" ]]; then
  log "kubernetes: cached (kube-apiserver kube-controller-manager kube-scheduler kubectl node/bin/kubelet)"
elif want kubernetes; then
  timed kubernetes run_logged kubernetes build_kubernetes
fi
family pulumi "pulumi" build_pulumi
family kubernetes-provider "pulumi-resource-kubernetes" build_k8s_provider
family langhost "pulumi-language-nodejs" build_langhost
family random-provider "pulumi-resource-random" build_random_provider
if want langhost-pulumi; then
  if [[ -x "$DIR/pulumi-own-host/pulumi-language-nodejs" && -x "$DIR/pulumi-own-host/pulumi" ]]; then
    log "langhost-pulumi: cached (pulumi-own-host/)"
  else
    have pulumi || die "langhost-pulumi needs pulumi built first"
    timed langhost-pulumi run_logged langhost-pulumi build_langhost_pulumi
  fi
fi
family etcd "etcd" build_etcd
family kwok "kwok" build_kwok
if want cni; then
  if have_cni; then
    log "cni: cached (cnitool, cni/: ${CNI_PLUGINS[*]##*/})"
  else
    timed cni run_logged cni build_cni
  fi
fi
# node_family FAMILY FILE FUNCTION: FILE (under the cache dir) is what FUNCTION makes.
node_family() {
  want "$1" || return 0
  if [[ -x "$DIR/$2" ]]; then log "$1: cached ($2)"; else timed "$1" run_logged "$1" "$3"; fi
}
node_family containerd node/bin/ctr build_containerd
node_family runc node/bin/runc build_runc
node_family multus cni/multus build_multus
node_family pause node/pause build_pause
if want kwok && [[ ! -f "$DIR/kwok/stages.yaml" ]]; then timed kwok-stages run_logged kwok-stages write_kwok_stages; fi
if want crds; then
  if [[ -f "$DIR/crds/securitycontextconstraints.crd.yaml" && -f "$DIR/crds/network-attachment-definitions.crd.yaml" ]]; then
    log "crds: cached"
  else
    timed crds run_logged crds build_crds
  fi
fi
if want plugins; then
  if plugin_installed kubernetes "$NPM_KUBERNETES" && plugin_installed random "$NPM_RANDOM"; then
    log "plugins: cached"
  else
    have pulumi pulumi-resource-kubernetes pulumi-resource-random || die "plugins need pulumi and both providers built first"
    timed plugins run_logged plugins install_plugins
  fi
fi

# What was actually built (resolved versions, fallbacks included).
{
  echo "key=$KEY"
  echo "npm @pulumi/pulumi=$NPM_PULUMI @pulumi/kubernetes=$NPM_KUBERNETES @pulumi/random=$NPM_RANDOM"
  for b in pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random kube-apiserver etcd kwok kubectl; do
    [[ -x "$BIN/$b" ]] || continue
    case $b in
      pulumi) v="$("$BIN/pulumi" version 2>/dev/null)" ;;
      pulumi-resource-random) v="$("$BIN/$b" -version 2>/dev/null) (local stand-in, scripts/tools/random-provider)" ;;
      pulumi-language-nodejs) v="$("$BIN/$b" -version 2>/dev/null) (local stand-in, scripts/tools/langhost-nodejs)" ;;
      pulumi-resource-kubernetes) v="$(go version -m "$BIN/$b" | awk '($1=="mod"||$1=="dep") && $2 ~ /pulumi-kubernetes\/provider/ {print $2"@"$3}' | vpp_first_line)"
        v+=" (reports version $(cat "$DIR/src/kubernetes-provider/reported-version" 2>/dev/null); installed as plugin $NPM_KUBERNETES)" ;;
      kube-apiserver) v="$("$BIN/$b" --version 2>/dev/null)" ;;
      kubectl) v="$("$BIN/$b" version --client 2>/dev/null | vpp_first_line)" ;;
      etcd) v="$("$BIN/$b" --version 2>/dev/null | vpp_first_line)" ;;
      kwok) v="$("$BIN/$b" --version 2>/dev/null | vpp_first_line)" ;;
    esac
    echo "$b: $v"
  done
  echo "crds: openshift/api@$OPENSHIFT_API_VERSION network-attachment-definition-client@$NAD_CLIENT_VERSION"
  echo "pulumi-own-host: pulumi-language-nodejs from github.com/pulumi/pulumi/sdk/v3@$PULUMI_OWN_LANGHOST_VERSION (Pulumi's own; the cross-check)"
  echo "cni: containernetworking/plugins@$CNI_PLUGINS_VERSION (${CNI_PLUGINS[*]##*/}) containernetworking/cni@$CNI_VERSION (cnitool)"
  for b in kubelet containerd runc; do
    [[ -x "$DIR/node/bin/$b" ]] || continue
    case $b in
      kubelet) v="$("$DIR/node/bin/$b" --version 2>/dev/null)" ;;
      containerd) v="$("$DIR/node/bin/$b" --version 2>/dev/null)" ;;
      runc) v="$("$DIR/node/bin/$b" --version 2>/dev/null | tr '\n' ' ')" ;;
    esac
    echo "node $b: $v"
  done
  [[ -x "$DIR/cni/multus" ]] && echo "node multus: $("$DIR/cni/multus" -version 2>/dev/null | vpp_first_line) (gopkg.in/k8snetworkplumbingwg/multus-cni.v4@$MULTUS_VERSION)"
  [[ -x "$DIR/node/pause" ]] && echo "node pause: build/pause/linux/pause.c of k8s.io/kubernetes@$K8S_VERSION (static)"
} >"$DIR/versions.txt"

write_env
if [[ ${#FAMILIES[@]} -eq ${#ALL_FAMILIES[@]} ]]; then
  for b in pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random \
    kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok cnitool; do
    have "$b" || die "$b missing after the build"
  done
  [[ -x "$DIR/pulumi-own-host/pulumi-language-nodejs" ]] || die "pulumi-own-host/pulumi-language-nodejs missing after the build"
  for b in node/bin/kubelet node/bin/containerd node/bin/containerd-shim-runc-v2 node/bin/ctr node/bin/runc node/pause cni/multus; do
    [[ -x "$DIR/$b" ]] || die "$b missing after the build"
  done
  have_cni || die "a CNI plugin (${CNI_PLUGINS[*]##*/}) missing after the build"
  touch "$DIR/.complete"
  log "build time of all recorded steps: $(awk '{s+=$2} END{print s}' "$TIMES")s (per tool: $TIMES)"
fi
cat "$DIR/versions.txt" >&2
print_env
