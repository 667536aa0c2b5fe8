# shellcheck shell=bash
# Shared by build.sh, path.sh and cluster.sh: where the tool cache lives and
# which cache key the current sources/versions map to. Sourcing this file does
# not build anything and needs only bash, jq and sha256sum.

VPP_TOOLS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VPP_REPO_ROOT="$(cd "$VPP_TOOLS_DIR/../.." && pwd)"
# The lockfile the Pulumi npm versions are read from (override for tests only).
VPP_LOCKFILE="${VPP_LOCKFILE:-$VPP_REPO_ROOT/package-lock.json}"
VPP_TOOLS_CACHE_ROOT="${VPP_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vpp-server-tools}"

# Files whose content is part of the cache key: anything that changes what
# gets built. (cluster.sh/path.sh only use the result, so they are not.)
VPP_TOOLS_KEY_FILES=(
  "$VPP_TOOLS_DIR/build.sh"
  "$VPP_TOOLS_DIR/lib.sh"
  "$VPP_TOOLS_DIR/go.sum.pins"
  "$VPP_TOOLS_DIR/random-provider/main.go"
  "$VPP_TOOLS_DIR/random-provider/main_test.go"
  "$VPP_TOOLS_DIR/langhost-nodejs/main.go"
)

# vpp_lock_version NPM_NAME -> version of node_modules/NPM_NAME in the lockfile.
vpp_lock_version() {
  local v
  if [[ ! -f "$VPP_LOCKFILE" ]]; then
    echo "error: $VPP_LOCKFILE not found (the Pulumi versions are read from it)" >&2
    return 1
  fi
  v="$(jq -r --arg p "node_modules/$1" '.packages[$p].version // empty' "$VPP_LOCKFILE")"
  if [[ -z "$v" ]]; then
    echo "error: $1 is not in $VPP_LOCKFILE" >&2
    return 1
  fi
  printf '%s\n' "$v"
}

# vpp_npm_versions: sets NPM_PULUMI, NPM_KUBERNETES, NPM_RANDOM.
vpp_npm_versions() {
  NPM_PULUMI="$(vpp_lock_version @pulumi/pulumi)"
  NPM_KUBERNETES="$(vpp_lock_version @pulumi/kubernetes)"
  NPM_RANDOM="$(vpp_lock_version @pulumi/random)"
}

# vpp_tools_key -> 16 hex chars: hash of the npm versions + the key files.
vpp_tools_key() {
  vpp_npm_versions || return 1
  {
    printf 'pulumi=%s kubernetes=%s random=%s\n' "$NPM_PULUMI" "$NPM_KUBERNETES" "$NPM_RANDOM"
    local f
    for f in "${VPP_TOOLS_KEY_FILES[@]}"; do
      printf '== %s\n' "${f#"$VPP_TOOLS_DIR"/}"
      cat "$f"
    done
  } | sha256sum | cut -c1-16
}

# vpp_tools_cache_dir -> the cache dir for the current key (may not exist yet).
vpp_tools_cache_dir() {
  local key
  key="$(vpp_tools_key)" || return 1
  printf '%s/%s\n' "$VPP_TOOLS_CACHE_ROOT" "$key"
}

# vpp_first_line: prints the first line of standard input after reading ALL of it. Under
# `set -o pipefail`, `writer | head -n1` fails at random: head exits after one line, the writer
# dies of SIGPIPE, and the pipeline's status is 141. Every "first line of" in these scripts
# goes through this (test/host/first-line.test.ts runs it many times against a long writer).
vpp_first_line() {
  local all
  all="$(cat)"
  printf '%s\n' "${all%%$'\n'*}"
}

# vpp_go_tool NAME DIR BIN WHAT BUILD: builds one Go tool into its own folder DIR of the tool
# cache, once, one build at a time, and prints BIN's path on stdout. BUILD is a function that
# writes the binary to BIN (its output goes to stderr); WHAT says what is built, for the log.
# Go is taken from PATH, else /usr/local/go.
vpp_go_tool() {
  local name=$1 dir=$2 bin=$3 what=$4 build=$5 start
  if [[ ! -x "$bin" ]]; then
    if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi
    command -v go >/dev/null || { printf '[%s] error: go is required (Go 1.26, e.g. at /usr/local/go)\n' "$name" >&2; return 1; }
    mkdir -p "$dir"
    exec 9>"$dir/.lock"
    flock 9
    if [[ ! -x "$bin" ]]; then
      printf '[%s] building %s (once)\n' "$name" "$what" >&2
      start=$SECONDS
      "$build" >&2
      printf '[%s] built in %ss: %s\n' "$name" "$((SECONDS - start))" "$bin" >&2
    fi
    exec 9>&-
  fi
  printf '%s\n' "$bin"
}
