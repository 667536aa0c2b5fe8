#!/usr/bin/env bash
# Prints the tool cache dir that scripts/tools/build.sh uses for the current
# versions and sources, without building anything:
#   dir="$(scripts/tools/path.sh)" && . "$dir/env.sh"
# The dir may not be built yet (then there is no $dir/env.sh; a note goes to
# stderr). With --check, exits 1 unless the build there is complete.
# Exits 2 when the key cannot be computed (e.g. no package-lock.json).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
dir="$(vpp_tools_cache_dir)" || exit 2
printf '%s\n' "$dir"
if [[ ! -f "$dir/.complete" ]]; then
  echo "path.sh: $dir is not (completely) built: run scripts/tools/build.sh" >&2
  [[ "${1:-}" != "--check" ]] || exit 1
fi
