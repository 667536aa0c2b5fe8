# shellcheck shell=bash
# Which Pulumi CLI this project runs, decided in one place for scripts/pulumi.sh, npm run sandbox
# and npm run fleet: the `pulumi` on PATH when it is $MIN_PULUMI or newer (the @pulumi/pulumi this
# project pins needs it), else the one `npm run tools` built into the tool cache, whose env.sh
# turns plugin downloads off. VPP_SERVER_BUILT_PULUMI=1 picks the built one even when PATH has one.
# Sourced; defines:
#   MIN_PULUMI
#   pulumi_choice <root>: sets PULUMI_CHOICE to one of
#     "installed <path> <version>"  the pulumi on PATH, new enough
#     "built <tools dir>"           the built one, complete in the tool cache
#     "none <why>"                  neither: why, and what to do
#   and PULUMI_ON_PATH_TOO_OLD to "<path> <version>" when PATH has an older one (else empty).

MIN_PULUMI=3.259.0

pulumi_choice() {
    local root=$1 path v tools
    PULUMI_CHOICE=
    PULUMI_ON_PATH_TOO_OLD=
    if [ "${VPP_SERVER_BUILT_PULUMI:-}" != "1" ] && path=$(command -v pulumi 2>/dev/null); then
        v=$(pulumi version 2>/dev/null) || v=
        v=${v#v}
        if [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$MIN_PULUMI" "$v" | sort -V | sed -n 1p)" = "$MIN_PULUMI" ]; then
            PULUMI_CHOICE="installed $path $v"
            return 0
        fi
        PULUMI_ON_PATH_TOO_OLD="$path ${v:-unknown}"
    fi
    tools=$("$root/scripts/tools/path.sh" 2>/dev/null) || {
        PULUMI_CHOICE="none cannot locate the tool cache (is package-lock.json there?)"
        return 0
    }
    if [ -f "$tools/env.sh" ] && [ -x "$tools/bin/pulumi" ]; then
        PULUMI_CHOICE="built $tools"
    elif [ -n "$PULUMI_ON_PATH_TOO_OLD" ]; then
        PULUMI_CHOICE="none the pulumi on PATH (${PULUMI_ON_PATH_TOO_OLD% *}) is version ${PULUMI_ON_PATH_TOO_OLD##* }, older than $MIN_PULUMI, and none is built in $tools: install Pulumi $MIN_PULUMI or newer, or run 'npm run tools'"
    else
        PULUMI_CHOICE="none no pulumi on PATH and none built in $tools: install Pulumi $MIN_PULUMI or newer, or run 'npm run tools'"
    fi
}
