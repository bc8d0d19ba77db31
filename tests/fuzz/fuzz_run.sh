#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Runs one libFuzzer target (used by the meson 'fuzz' suite and scripts/fuzz.sh).
#
#   fuzz_run.sh replay|fuzz FUZZER SEEDGEN TARGET SECONDS REGRESSIONS_ROOT WORK_ROOT
#
# replay: runs every file of REGRESSIONS_ROOT/TARGET once (-runs=0); fails if one crashes.
# fuzz:   generates the seeds, then fuzzes for SECONDS with
#         WORK_ROOT/TARGET/corpus (new inputs) and the seeds (WORK_ROOT/TARGET/seeds) as
#         corpus (not the regressions: replay runs them, and one that still crashes would
#         stop the run before it fuzzes anything); crashes go to WORK_ROOT/TARGET/crash-*.  Prints one summary line:
#         "fuzz TARGET: N executions in S s, K findings" and fails when K > 0.
set -eu

mode=$1 fuzzer=$2 seedgen=$3 target=$4 secs=$5 reg_root=$6 work_root=$7
reg="$reg_root/$target"
work="$work_root/$target"
mkdir -p "$work/corpus" "$reg"
log="$work/$mode.log"
# The lines of a libFuzzer log worth printing: the check or sanitizer report, our frames.
report='invariant failed|ERROR: (Address|Leak|Undefined|libFuzzer)|runtime error'
report="$report"'|#[0-9]+ 0x.* in (vs_|fc_|vxlan_|fuzz_|check_|LLVMFuzzerTestOneInput)'

if [ "$mode" = replay ]; then
	n=$(find "$reg" -type f ! -name '.*' ! -name '*.md' | wc -l)
	if [ "$n" -eq 0 ]; then
		echo "fuzz $target: no regressions saved"
		exit 0
	fi
	fail=0
	for f in $(find "$reg" -type f ! -name '.*' ! -name '*.md' | sort); do
		if ! "$fuzzer" -runs=0 "$f" >"$log" 2>&1; then
			echo "fuzz $target: regression $f still crashes:"
			grep -E "$report" "$log" | head -12
			fail=1
		fi
	done
	[ "$fail" -eq 0 ] && echo "fuzz $target: $n regressions pass"
	exit "$fail"
fi

"$seedgen" "$work/seeds" >/dev/null
seeds="$work/seeds/$target"
mkdir -p "$seeds"
rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
rc=0
# -rss_limit_mb: the MAC and control targets allocate at most a few MiB per input.
"$fuzzer" ${FUZZ_SEED:+-seed=$FUZZ_SEED} -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
	-print_final_stats=1 -artifact_prefix="$work/" \
	"$work/corpus" "$seeds" >"$log" 2>&1 || rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
[ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -1)
findings=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
	-o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then
	findings=1 # died without an artifact (e.g. a crash in start-up)
fi
echo "fuzz $target: ${execs:-0} executions in $secs s, $findings findings"
if [ "$findings" -gt 0 ]; then
	grep -E "$report" "$log" | head -12
	grep 'Test unit written' "$log" | head -3
	exit 1
fi
exit 0
