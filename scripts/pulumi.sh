#!/usr/bin/env bash
# The Pulumi CLI for this project, with Node 22 first on PATH (the `node` devDependency) so
# that @pulumi/pulumi 3.259 runs on machines whose own Node is 20.
#
# Uses the `pulumi` on PATH when it is new enough; otherwise the CLI and plugins that
# `npm run tools` built from Go modules (scripts/tools/build.sh), with automatic plugin
# downloads turned off: scripts/pulumi-cli.sh decides, for every command of the project.
# Every argument goes to pulumi: ./scripts/pulumi.sh up --stack lab
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

# shellcheck source=scripts/pulumi-cli.sh
. "$root/scripts/pulumi-cli.sh"
pulumi_choice "$root"
case $PULUMI_CHOICE in
    installed\ *) exec pulumi "$@" ;;
    none\ *)
        echo "scripts/pulumi.sh: ${PULUMI_CHOICE#none }" >&2
        exit 1
        ;;
esac
tools=${PULUMI_CHOICE#built }
if [ -n "$PULUMI_ON_PATH_TOO_OLD" ]; then
    echo "scripts/pulumi.sh: the pulumi on PATH (${PULUMI_ON_PATH_TOO_OLD% *}) is version ${PULUMI_ON_PATH_TOO_OLD##* }, older than $MIN_PULUMI: using the one built in $tools" >&2
fi
# shellcheck disable=SC1091
. "$tools/env.sh"
export PATH="$root/node_modules/.bin:$PATH"
cd "$root"
exec pulumi "$@"
