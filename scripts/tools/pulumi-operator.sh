#!/usr/bin/env bash
# Builds the Pulumi Kubernetes Operator (github.com/pulumi/pulumi-kubernetes-operator) from the
# Go module proxy, at the exact version below, into its own directory of the tool cache, and
# prints the binary's path on stdout:
#   manager="$(scripts/tools/pulumi-operator.sh)"
# v1.16.0 is the newest release the proxy serves here (it refuses every v2 module). It runs the
# program in its own process (no workspace pod), so the e2e tier runs it beside its API server.
# Its go.mod has replace directives, which `go install pkg@version` refuses: it is built in a copy
# of the module. Idempotent; one build at a time.
set -euo pipefail
OPERATOR_VERSION=v1.16.0
OPERATOR_MODULE=github.com/pulumi/pulumi-kubernetes-operator
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

dir="$VPP_TOOLS_CACHE_ROOT/pulumi-kubernetes-operator-$OPERATOR_VERSION"
build() {
  local src
  src=$(cd "$dir" && GOFLAGS=-mod=mod go mod download -json "$OPERATOR_MODULE@$OPERATOR_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -n "$src" && -d "$src" ]] || { echo "go mod download $OPERATOR_MODULE@$OPERATOR_VERSION gave no source"; return 1; }
  rm -rf "$dir/src"
  cp -r "$src" "$dir/src"
  chmod -R u+w "$dir/src"
  (cd "$dir/src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$dir/.out/manager" ./cmd/manager)
  mv "$dir/.out/manager" "$dir/manager"
  rm -rf "$dir/src"
}
vpp_go_tool pulumi-operator.sh "$dir" "$dir/manager" "$OPERATOR_MODULE/cmd/manager@$OPERATOR_VERSION (a few minutes)" build
