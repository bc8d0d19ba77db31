#!/usr/bin/env bash
# Installs what is missing, builds with -Werror and runs every test suite
# (unit, eal, daemon).  EAL tests run without hugepages (--no-huge).
#   scripts/test.sh [meson test arguments, e.g. --suite unit]
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE_WERROR=1 scripts/setup.sh
exec meson test -C "${SLUICE_BUILD:-build}" --print-errorlogs --num-processes 2 "$@"
