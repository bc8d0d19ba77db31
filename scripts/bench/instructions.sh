#!/usr/bin/env bash
# Instructions per packet of sluice's datapath, counted by valgrind's callgrind: a figure that
# other processes on a shared machine do not move (cycles do: see README.md), for comparing two
# builds of the same scenario.  Not a rate: it says nothing of cache misses or of the rx/tx
# drivers' waits, and the per-millisecond housekeeping (ct and flow expiry scans) runs far more
# often per packet under valgrind than at full speed, so the figure reported is the packet path
# alone: vs_pmd_process_burst() with everything it calls (the tx drivers included; not the rx
# burst, which the PMD loop calls before it: about 115 instructions per packet for net_pcap),
# divided by the packets the PMD processed while counting.
#
# usage: scripts/bench/instructions.sh [--build DIR] [--seconds S] [--top N] SCENARIO PCAP
#   SCENARIO  l2 (in_port -> output), ct (the ct-* rules of run.sh), ctvx (the seed pipeline:
#             the ct rules with output to a VXLAN port), encap (vxlan-encap), decap
#             (vxlan-decap: the generator port is the underlay; give it vxlan_10k)
#   PCAP      input replayed with net_pcap infinite_rx (run.sh's pcaps: udp_10k, tcp_10k, ...)
#   --build   build directory (default: build)        --seconds  counting window (default 20)
#   --top N   also list the N functions with the most instructions of their own (default 0)
# Needs valgrind (Debian package valgrind).  sluiced runs with --no-huge: no hugepages needed.
# valgrind 3.19 (Debian 12) cannot decode AVX-512: on a CPU that has it, a build for
# -Dmachine=native dies with SIGILL under valgrind.  There the default build is build-valgrind
# (configured with -Dmachine=x86-64-v3 and built when missing); a --build for native is refused.
# Compare counts only between builds for the same -Dmachine.
set -euo pipefail

BUILD=build
BUILD_SET=0
SECS=20
TOP=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; BUILD_SET=1; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--top) TOP=$2; shift 2 ;;
	-h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "instructions.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -ne 2 ]; then
	echo "usage: instructions.sh [--build DIR] [--seconds S] [--top N] SCENARIO PCAP" >&2
	exit 2
fi
SCEN=$1
PCAP=$(readlink -f "$2")
case "$SCEN" in l2 | ct | ctvx | encap | decap) ;; *) echo "instructions.sh: unknown scenario $SCEN" >&2; exit 2 ;; esac
[ -r "$PCAP" ] || { echo "instructions.sh: cannot read $2" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "instructions.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
# The build's -march (meson option 'machine'), or "" when BUILD is no meson build.
machine_of() {
	python3 -c 'import json, sys
print(next((o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "machine"), ""))' \
		"$1/meson-info/intro-buildoptions.json" 2>/dev/null || true
}
if grep -qw avx512f /proc/cpuinfo && { [ $BUILD_SET = 1 ] || [ "$(machine_of "$BUILD")" = native ]; }; then
	if [ $BUILD_SET = 1 ]; then
		if [ "$(machine_of "$BUILD")" = native ]; then
			echo "instructions.sh: $BUILD is built for -march=native and this CPU has AVX-512, which valgrind cannot run; use a build configured with -Dmachine=x86-64-v3 (the default without --build: build-valgrind)" >&2
			exit 2
		fi
	else
		BUILD=build-valgrind
		[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" -Dmachine=x86-64-v3 >/dev/null
		ninja -C "$BUILD" >/dev/null
	fi
fi
SLUICED=$BUILD/src/sluiced
CTL_BIN=$BUILD/src/sluicectl
[ -x "$SLUICED" ] && [ -x "$CTL_BIN" ] || { echo "instructions.sh: no $SLUICED (build first)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/sluice-instr.XXXXXX)
PID=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# Enough mbufs for the whole pcap (net_pcap infinite_rx holds it in mbufs) plus the pipeline's.
frames=$(python3 -c "
import struct, sys
with open(sys.argv[1], 'rb') as f:
    f.read(24); n = 0
    while True:
        h = f.read(16)
        if len(h) < 16: break
        f.seek(struct.unpack('<IIII', h)[2], 1); n += 1
print(n)" "$PCAP")
mbufs=$((frames + 4096))
mem=$((256 + mbufs * 3 / 1000))

valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/cg.out" \
	"$SLUICED" -l 0-1 --no-pci --no-huge -m "$mem" --file-prefix "instr$$" -- \
	--ctl "$WORK/ctl" --log-file "$WORK/log" </dev/null >"$WORK/out" 2>&1 &
PID=$!
# Under valgrind a control command can take longer than sluicectl's default 30 s (adding the
# generator port fills its mbufs): 300 s.
ctl() { "$CTL_BIN" --ctl "$WORK/ctl" --timeout 300 "$@"; }
for _ in $(seq 600); do ctl version >/dev/null 2>&1 && break; sleep 0.5; done
ctl version >/dev/null || { echo "instructions.sh: sluiced did not start ($WORK/out)" >&2; cat "$WORK/out" >&2; exit 1; }

ctl port add sink dpdk net_null0,no-rx=1 >/dev/null
ctl flow del >/dev/null
out=sink
if [ "$SCEN" = ctvx ] || [ "$SCEN" = encap ]; then
	ctl ip addr add 172.31.1.1/24 dev sink >/dev/null
	ctl neigh add 172.31.1.2 02:00:00:00:01:02 dev sink >/dev/null
	ctl port add vx0 vxlan local_ip=172.31.1.1 remote_ip=172.31.1.2 key=100 >/dev/null
	out=vx0
fi
ctl port add gen dpdk "net_pcap0,rx_pcap=$PCAP,infinite_rx=1" n_mbufs=$mbufs >/dev/null
if [ "$SCEN" = decap ]; then
	# run.sh's vxlan-decap: vxlan_10k.pcap is addressed to net_pcap0's MAC and 172.31.1.1
	ctl ip addr add 172.31.1.1/24 dev gen >/dev/null
	ctl port add vx0 vxlan local_ip=172.31.1.1 remote_ip=172.31.1.2 key=100 >/dev/null
	ctl flow add "in_port=vx0,actions=output:sink" >/dev/null
elif [ "$SCEN" = l2 ] || [ "$SCEN" = encap ]; then
	ctl flow add "in_port=gen,actions=output:$out" >/dev/null
else
	ctl flow add "table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1)" >/dev/null
	ctl flow add "table=1,priority=10,ip,ct_state=+trk+new,actions=ct(commit),output:$out" >/dev/null
	ctl flow add "table=1,priority=10,ip,ct_state=+trk+est,actions=output:$out" >/dev/null
	ctl flow add "table=1,priority=1,actions=drop" >/dev/null
fi

# Packets and poll iterations of the PMD: their ratio is the packets per vs_pmd_process_burst()
# call (the generator never runs dry, so every iteration has one burst).
# A control call under valgrind can time out: a few tries.
rx() {
	local out _
	for _ in 1 2 3 4 5; do
		if out=$(ctl --json pmd stats 2>/dev/null |
			python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(p["packets"] for p in d), sum(p["iterations"] for p in d))' 2>/dev/null); then
			echo "$out"
			return 0
		fi
		sleep 1
	done
	echo "instructions.sh: 'pmd stats' failed five times" >&2
	return 1
}
# callgrind_control exits 0 whatever happens (its vgdb may not reach the process): a command
# has worked when it prints "OK.".  One that failed unnoticed (instrumentation left off, say)
# would leave a dump without the calls counted below.  A few tries.
cg_ctl() {
	local out _
	for _ in 1 2 3 4 5; do
		out=$(callgrind_control "$@" "$PID" 2>&1) || true
		case "$out" in *"OK."*) return 0 ;; esac
		sleep 1
	done
	echo "instructions.sh: callgrind_control $* failed five times" >&2
	return 1
}
# Warm-up: every flow, connection and megaflow in place before counting.
cg_ctl -i on
sleep 5
read -r p0 i0 <<<"$(rx)"
cg_ctl -z
sleep "$SECS"
cg_ctl -d
dump=$WORK/cg.out.1 # the -d dump
# Written while we wait: complete once its last line, "totals: N", is there (reading it
# earlier found no vs_pmd_process_burst() calls, now and then).
for _ in $(seq 120); do tail -n 1 "$dump" 2>/dev/null | grep -q '^totals: ' && break; sleep 0.5; done
read -r p1 i1 <<<"$(rx)"
kill "$PID"
wait "$PID" 2>/dev/null || true
PID=

# The packets counted are the calls of vs_pmd_process_burst() in the dump times the packets per
# call: a control round trip under valgrind takes long enough (a second or more) that packets
# read through sluicectl around the dump would be off by a few percent.
# (A caller line reads "INCL (PCT%)  >   FILE:FUNCTION (CALLSx) [OBJECT]"; PCT may be padded.
# FUNCTION may carry a recursion level, vs_pmd_process_burst'2: callgrind names it so in the
# decap profile, where the underlay's receive path runs inside it.)
read -r incl calls <<<"$(callgrind_annotate --tree=calling "$dump" 2>/dev/null |
	awk '/%\) +> +.*vs_pmd\.c:vs_pmd_process_burst('"'"'[0-9]+)? \(/ && !n++ {
		gsub(",", "", $1); c = $0; sub(/.*\(/, "", c); sub(/x\).*/, "", c); gsub(",", "", c)
		print $1, c }')"
[ -n "${calls:-}" ] || { echo "instructions.sh: no vs_pmd_process_burst calls in the profile" >&2; exit 1; }
[ "$i1" -gt "$i0" ] || { echo "instructions.sh: the PMD did not iterate while counting" >&2; exit 1; }
ppc=$(python3 -c "print(($p1 - $p0) / ($i1 - $i0))")
pkts=$(python3 -c "print(round($calls * $ppc))")
[ "$pkts" -gt 0 ] || { echo "instructions.sh: no packets while counting" >&2; exit 1; }
printf 'scenario %s, input %s: %s bursts of %.2f packets counted, %.1f instructions per packet (vs_pmd_process_burst, inclusive)%s\n' \
	"$SCEN" "$(basename "$PCAP")" "$calls" "$ppc" "$(python3 -c "print($incl / $pkts)")" "; build $BUILD"
if [ "$TOP" -gt 0 ]; then
	callgrind_annotate "$dump" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | sed -n "2,$((TOP + 1))p" |
		awk -v n="$pkts" '{
			# "COUNT (PCT%)  FILE:FUNCTION [OBJECT]", PCT maybe padded, OBJECT maybe
			# absent: print FILE:FUNCTION without the directories.
			x = $1; gsub(",", "", x); f = $0
			sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "", f); sub(/ .*/, "", f); sub(/.*\//, "", f)
			printf "%9.1f  %s\n", x / n, f }'
fi
