#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds the libFuzzer targets (tests/fuzz, clang with ASan+UBSan) in
# build-fuzz/ if needed, generates the seed corpora, replays the saved
# regressions and runs each target for SECONDS (default 60).  Prints the
# executions and findings per target; exits non-zero on any crash.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Environment: FUZZ_SEED (libFuzzer -seed, random when unset), FUZZ_BUILD_DIR
# (default build-fuzz), FUZZ_JOBS (targets run at
# once, default 1; the build uses at most 2 jobs).
set -eu

cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-parse flow_syntax ctl_proto config_line mac vxlan_decap pipeline ct_tcp port_args}
bdir=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-1}

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz.sh: clang is missing (apt-get install -y clang)" >&2
	exit 2
fi
if [ ! -f "$bdir/build.ninja" ]; then
	# No LTO: the fuzz targets want coverage, not speed, and link faster without it.
	CC=clang meson setup "$bdir" -Dfuzz=enabled -Db_lto=false >/dev/null
fi
exes="tests/fuzz/fuzz_seeds"
for t in $targets; do
	exes="$exes tests/fuzz/fuzz_$t"
done
# shellcheck disable=SC2086
ninja -C "$bdir" -j 2 $exes >/dev/null

fz="$bdir/tests/fuzz"
work="$fz/work-$secs"
reg="tests/fuzz/regressions"
status=0
# A target whose saved regressions still crash is fuzzed all the same (and fails).
run_one() {
	rc=0
	tests/fuzz/fuzz_run.sh replay "$fz/fuzz_$1" "$fz/fuzz_seeds" "$1" 0 "$reg" "$work" || rc=1
	tests/fuzz/fuzz_run.sh fuzz "$fz/fuzz_$1" "$fz/fuzz_seeds" "$1" "$secs" "$reg" "$work" || rc=1
	return $rc
}
if [ "$jobs" -le 1 ]; then
	for t in $targets; do
		run_one "$t" || status=1
	done
else
	pids=""
	for t in $targets; do
		run_one "$t" >"$work.$t.out" 2>&1 &
		pids="$pids $!"
		# shellcheck disable=SC2086
		set -- $pids
		if [ $# -ge "$jobs" ]; then
			wait "$1" || status=1
			shift
			pids="$*"
		fi
	done
	for p in $pids; do
		wait "$p" || status=1
	done
	for t in $targets; do
		cat "$work.$t.out"
	done
fi
if [ "$status" -ne 0 ]; then
	echo "fuzz.sh: findings (reproducers under $work/TARGET/; save them in $reg/TARGET/)"
fi
exit "$status"
