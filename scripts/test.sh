#!/usr/bin/env bash
# Installs what is missing, builds with -Werror and runs every test suite
# (unit, eal, daemon).  EAL tests run without hugepages (--no-huge).  Then,
# when no meson arguments are given, the fuzz step: scripts/fuzz.sh builds the
# libFuzzer targets with clang in build-fuzz/, replays the saved regressions and
# fuzzes each target for SLUICE_FUZZ_SECS (default 45) seconds, two at a time;
# any crash, leak or failed invariant fails the run.  The fuzz step uses a
# fixed libFuzzer seed (SLUICE_FUZZ_SEED, default 1) so that a finding in CI
# replays the same way on a developer's machine; scripts/fuzz.sh run by hand
# explores with a fresh seed each time.
#   scripts/test.sh [meson test arguments, e.g. --suite unit]
#   SLUICE_FUZZ=0      skip the fuzz step
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE_WERROR=1 scripts/setup.sh
status=0
meson test -C "${SLUICE_BUILD:-build}" --print-errorlogs --num-processes 2 "$@" || status=$?
if [ $# -eq 0 ] && [ "${SLUICE_FUZZ:-1}" != 0 ]; then
	echo "test.sh: fuzz step (${SLUICE_FUZZ_SECS:-45} s per target, two at a time)"
	FUZZ_SEED=${SLUICE_FUZZ_SEED:-1} FUZZ_JOBS=2 scripts/fuzz.sh "${SLUICE_FUZZ_SECS:-45}" || status=1
fi
exit "$status"
