#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The 10-minute soak (not in CI; the test suite runs the same program for
# 60 s as meson test "soak").  See scripts/soak/soak.c for what it checks.
#
#   scripts/soak/run.sh [SECONDS]     (default 600)
set -eu
cd "$(dirname "$0")/../.."
bdir=${SLUICE_BUILD:-build}
[ -f "$bdir/build.ninja" ] || scripts/setup.sh
ninja -C "$bdir" src/sluiced src/sluicectl tests/eal/sluice_soak >/dev/null
SLUICED="$bdir/src/sluiced" SLUICECTL="$bdir/src/sluicectl" \
	exec "$bdir/tests/eal/sluice_soak" "${1:-600}"
