#!/usr/bin/env bash
# The Pulumi CLI for this project, with Node 22 first on PATH (the `node` devDependency) so
# that @pulumi/pulumi 3.259 runs on machines whose own Node is 20.
#
# Uses the `pulumi` on PATH when there is one; otherwise the CLI and plugins that
# `npm run tools` built from Go modules (scripts/tools/build.sh), with automatic plugin
# downloads turned off (VPP_SERVER_BUILT_PULUMI=1 picks the built one even when a pulumi is on
# PATH). Every argument goes to pulumi: ./scripts/pulumi.sh up --stack lab
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ ! -x "$root/node_modules/.bin/node" ]; then
    echo "scripts/pulumi.sh: run 'npm ci' first (it installs the program's dependencies and Node 22)" >&2
    exit 1
fi
export PATH="$root/node_modules/.bin:$PATH"

# The program runs from bin/ (compiled JavaScript starts fastest): rebuild it when a source
# is newer, so an edit is never ignored (the program also refuses a stale bin/ by itself).
if [ ! -f "$root/bin/index.js" ] || [ -n "$(cd "$root" && find index.ts stacks components live -newer bin/index.js -print -quit)" ]; then
    (cd "$root" && npm run build --silent) >&2
fi

if [ "${VPP_SERVER_BUILT_PULUMI:-}" != "1" ] && command -v pulumi >/dev/null 2>&1; then
    exec pulumi "$@"
fi
tools=$("$root/scripts/tools/path.sh")
if [ ! -f "$tools/env.sh" ] || [ ! -x "$tools/bin/pulumi" ]; then
    echo "scripts/pulumi.sh: no pulumi on PATH and none built in $tools; run 'npm run tools' first" >&2
    exit 1
fi
# shellcheck disable=SC1091
. "$tools/env.sh"
export PATH="$root/node_modules/.bin:$PATH"
cd "$root"
exec pulumi "$@"
