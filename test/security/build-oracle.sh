#!/usr/bin/env bash
# Build the SCC admission oracle (test/security/sccoracle, OpenShift's own
# SCC admission code) outside the repository and print the binary's path on
# the last line of stdout. Everything else goes to stderr.
#
#   bin=$(test/security/build-oracle.sh | tail -n1)
#   "$bin" -input test/security/fixtures/oracle-selftest.json
#
# Idempotent: nothing is built when the binary is newer than main.go, go.mod,
# go.sum and this script. Safe to run from several test processes at once
# (a lock serialises them; the binary is replaced atomically).
#
# Environment:
#   VPP_TOOLS_CACHE  where built tools go (default: $HOME/.cache/vpp-server-tools)
#   GO               the go command (default: go on PATH, else /usr/local/go/bin/go)
#
# Needs the Go module proxy for the first build on a machine (about 50 modules,
# k8s.io/kubernetes among them, ~480 MB unpacked); go.sum pins every module, so
# no checksum database is consulted. Measured: a cold build (empty module and
# build caches) took 90 s on 2 cores shared with other builds (load ~11); a
# rebuild after an edit, a few seconds; an up-to-date check, a few ms.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src="$here/sccoracle"
out_dir="${VPP_TOOLS_CACHE:-$HOME/.cache/vpp-server-tools}/sccoracle"
bin="$out_dir/sccoracle"

go_cmd="${GO:-}"
if [[ -z "$go_cmd" ]]; then
  if command -v go >/dev/null 2>&1; then
    go_cmd=go
  elif [[ -x /usr/local/go/bin/go ]]; then
    go_cmd=/usr/local/go/bin/go
  else
    echo "build-oracle: no go command found (install Go, or set GO=/path/to/go)" >&2
    exit 1
  fi
fi

up_to_date() {
  [[ -x "$bin" ]] || return 1
  local f
  for f in "$src/main.go" "$src/go.mod" "$src/go.sum" "${BASH_SOURCE[0]}"; do
    [[ "$bin" -nt "$f" ]] || return 1
  done
}

mkdir -p "$out_dir"
if ! up_to_date; then
  # one builder at a time; the others wait, then find the binary up to date
  exec 9>"$out_dir/.build.lock"
  flock 9
  if ! up_to_date; then
    echo "build-oracle: building $bin" >&2
    start=$(date +%s)
    tmp="$out_dir/.sccoracle.$$"
    # -mod=readonly: go.mod/go.sum are never rewritten by a build.
    # GOFLAGS from the caller are kept; -buildvcs=false because the source
    # sits in a git work tree that may not be readable as one (CI checkouts).
    (cd "$src" && "$go_cmd" build -mod=readonly -buildvcs=false -trimpath -ldflags="-s -w" -o "$tmp" .) >&2 || {
      rm -f "$tmp"
      echo "build-oracle: go build failed" >&2
      exit 1
    }
    mv -f "$tmp" "$bin"
    echo "build-oracle: built in $(( $(date +%s) - start ))s" >&2
  fi
  exec 9>&-
fi
echo "$bin"
