#!/usr/bin/env bash
# Builds kube-score (github.com/zegl/kube-score) from the Go module proxy, at the exact version
# below, into its own directory of the tool cache, and prints the binary's path on stdout:
#   kube_score="$(scripts/tools/kube-score.sh)"
# It lives apart from build.sh's keyed directory, so its version alone decides when it is
# rebuilt. Idempotent; one build at a time.
set -euo pipefail
KUBE_SCORE_VERSION=v1.20.0
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

dir="$VPP_TOOLS_CACHE_ROOT/kube-score-$KUBE_SCORE_VERSION"
build() {
  CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN="$dir/.out" \
    go install -trimpath -ldflags "-s -w -X main.version=$KUBE_SCORE_VERSION" \
    "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION"
  mv "$dir/.out/kube-score" "$dir/kube-score"
}
vpp_go_tool kube-score.sh "$dir" "$dir/kube-score" "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION (about a minute)" build
