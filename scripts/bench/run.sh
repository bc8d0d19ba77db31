#!/usr/bin/env bash
# sluice benchmark, scenario "l2": one in_port -> output rule, 64-byte frames, 1, 1,000,
# 10,000, 100,000 (and 1,000,000: reported missing, see below) UDP flows, plus "l2-20masks"
# (10,000 flows through 20 rules with 20 different megaflow masks), one forwarding core, against
#   floor   dpdk-testpmd io forwarding (net_pcap infinite_rx -> net_null), no switch at all
#   sluice  build/src/sluiced, one PMD (lcore 1), gen=net_pcap0 infinite_rx, sink=net_null0
#   ovs     Open vSwitch 3.1 + DPDK 22.11 (Debian openvswitch-switch-dpdk), one PMD (core 1),
#           same ports and rule, run by hand in a private directory
# Rounds alternate between the three systems; each measurement starts its own process,
# warms up WARM s, measures one window of DUR s, stops the process.
#
# usage: scripts/bench/run.sh [--quick] [--rounds N] [--dur S] [--only REGEX]
#                             [--skip-ovs] [--skip-floor] [--no-build] [--keep-hugepages]
#   --quick      DUR=3 s, 1 round (about 2 min; the default run takes about 9 min)
#   --rounds N   rounds per scenario and system (default 3)
#   --dur S      measurement window in seconds (default 8); warm-up is always WARM=2 s
#   --only RE    extended regex over "SCENARIO/SYSTEM", e.g. 'l2-10k/(sluice|ovs)'
#                (scenarios: l2-1flow, l2-1k, l2-10k, l2-100k, l2-1m, l2-20masks;
#                systems: floor, sluice, ovs)
#   --no-build   do not run scripts/setup.sh (use build/src/sluiced as it is)
#   --rev REV    benchmark the committed revision REV instead of the work tree: it is
#                exported (git archive) into the work dir and built there (~25 s)
#   --keep-hugepages  leave the 2 MB pages this run added to nr_hugepages reserved
# Environment: SLUICE_BENCH_WORK (default /tmp/sluice-bench: raw data, logs, pcaps),
#   SLUICE_BENCH_OUT (default docs/bench), SLUICE_BUILD (default build),
#   OVS_SOCKET_MEM (default 512, as the peer benchmark), WARM (default 2).
# Needs root (hugepages, packages).  Output: Markdown table on stdout and in
# $SLUICE_BENCH_OUT/results-l2.md, JSON beside it; per-window raw data in the work dir.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3          # Debian's python (scapy comes from python3-scapy)

ROUNDS=3; DUR=8; WARM=${WARM:-2}; ONLY=; SKIP_OVS=0; SKIP_FLOOR=0; NO_BUILD=0; KEEP_HP=0; REV=
QUICK=0; ROUNDS_SET=0; DUR_SET=0
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--rounds) ROUNDS=${2:?}; ROUNDS_SET=1; shift ;;
	--dur) DUR=${2:?}; DUR_SET=1; shift ;;
	--only) ONLY=${2:?}; shift ;;
	--skip-ovs) SKIP_OVS=1 ;;
	--skip-floor) SKIP_FLOOR=1 ;;
	--no-build) NO_BUILD=1 ;;
	--rev) REV=${2:?}; shift ;;
	--keep-hugepages) KEEP_HP=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if [ $QUICK = 1 ]; then
	[ $ROUNDS_SET = 1 ] || ROUNDS=1
	[ $DUR_SET = 1 ] || DUR=3
fi
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds must be a positive integer" >&2; exit 2; }
[[ $DUR =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "run.sh: --dur must be a number of seconds" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (hugepages, packages, DPDK)" >&2; exit 2; }

T_START=$(date +%s)
START_UTC=$(date -u +%Y-%m-%dT%H:%M:%SZ)
WBASE=${SLUICE_BENCH_WORK:-/tmp/sluice-bench}
W=$WBASE/l2-$(date -u +%Y%m%dT%H%M%SZ)-$$
OUTDIR=${SLUICE_BENCH_OUT:-$REPO/docs/bench}
BUILD=${SLUICE_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
SLUICED=$BUILD/src/sluiced; SLUICECTL=$BUILD/src/sluicectl
OVS_SOCKET_MEM=${OVS_SOCKET_MEM:-512}
VSW=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
OVS_BR=slbench0               # kernel tap of the netdev bridge (stays DOWN)
TAG=slb$$                     # base of every --file-prefix of this run
mkdir -p "$W"/{log,pcap} "$OUTDIR" || exit 1
ln -sfn "$W" "$WBASE/latest"
RAW=$W/raw.jsonl; NOTES=$W/notes.txt; : > "$RAW"; : > "$NOTES"
exec 9> "$WBASE/.lock"
flock -n 9 || { echo "run.sh: another benchmark run holds $WBASE/.lock" >&2; exit 1; }

exec 8>&2     # the script's stderr, for messages from the EXIT trap (it may fire inside a redirection)
log() { echo "[$(date +%T)] $*" >&2; }
note() { echo "$*" >> "$NOTES"; log "NOTE: $*"; }

# ------------------------------------------------------------------ processes and cleanup
declare -A LIVE=()  # processes we started and have not reaped yet (stopped by PID)
PREFIXES=()      # every DPDK --file-prefix we used
TAPS=()          # kernel taps of the OVS instance running now (checked absent before)
HP_ADDED=0
started() { LIVE[$1]=1; }
stop_pid() {     # $1 pid: SIGTERM, up to 10 s, then SIGKILL; returns the exit status
	local pid=$1 i rc
	[ -n "${LIVE[$pid]:-}" ] || return 0    # not ours (any more): never signal a reused PID
	unset "LIVE[$pid]"
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 137
	fi
	wait "$pid" 2>/dev/null; rc=$?
	return $rc
}
clean_prefix() { # DPDK leaves its hugepage files (and runtime dir) behind: ours only
	[ -n "$1" ] || return 0
	rm -f /dev/hugepages/"$1"map_* 2>/dev/null
	rm -rf /var/run/dpdk/"$1" 2>/dev/null
}
cleanup() {
	set +e
	exec 2>&8
	local p
	for p in "${!LIVE[@]}"; do stop_pid "$p"; done
	for p in "${PREFIXES[@]}"; do clean_prefix "$p"; done
	for p in "${TAPS[@]}"; do ip link del "$p" 2>/dev/null; done
	if [ "$HP_ADDED" -gt 0 ] && [ $KEEP_HP = 0 ]; then
		local tot free
		tot=$(awk '/HugePages_Total/{print $2}' /proc/meminfo)
		free=$(awk '/HugePages_Free/{print $2}' /proc/meminfo)
		if [ "$free" -ge "$HP_ADDED" ]; then
			echo $((tot - HP_ADDED)) > /proc/sys/vm/nr_hugepages
			log "released the $HP_ADDED hugepages this run added (nr_hugepages $tot -> $((tot - HP_ADDED)))"
		else
			log "left nr_hugepages at $tot: only $free free, someone else uses them"
		fi
	fi
	log "cleaned up; work dir $W (total $(( $(date +%s) - T_START )) s)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

json_missing() { # scenario system round status reason
	"$PY" -c 'import json,sys; print(json.dumps({"status": sys.argv[4], "scenario": sys.argv[1],
		"system": sys.argv[2], "round": int(sys.argv[3]), "reason": sys.argv[5]}))' "$@" >> "$RAW"
	[ "$4" = skipped ] || log "$1/$2 round $3: $4: $5"
}
tail_reason() { # a file's last meaningful error lines, one line
	grep -aiE 'error|fail|cannot|panic|abort|not |cause' "$1" 2>/dev/null | tail -n 2 | tr '\n' ' ' | cut -c1-300
}

# ------------------------------------------------------------------ packages
SLUICE_MISSING=""; OVS_MISSING=""; FLOOR_MISSING=""
pkg_ok() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=""
for p in openvswitch-switch-dpdk dpdk python3 python3-scapy; do pkg_ok $p || need="$need $p"; done
pkg_ok gnuplot || pkg_ok python3-matplotlib || need="$need python3-matplotlib"
if [ -n "$need" ]; then
	log "installing:$need"
	# (on a systemd host this also starts Debian's own openvswitch-switch service; the
	# benchmark never uses it: its OVS runs from a private directory, see run_ovs)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need \
		> "$W/log/apt.log" 2>&1 \
	|| { apt-get update -q >> "$W/log/apt.log" 2>&1;
	     DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need \
		>> "$W/log/apt.log" 2>&1; } \
	|| log "apt-get install failed, see $W/log/apt.log"
fi
[ -x "$VSW" ] || OVS_MISSING="missing: $VSW (package openvswitch-switch-dpdk not installed)"
command -v dpdk-testpmd >/dev/null || FLOOR_MISSING="missing: dpdk-testpmd (package dpdk-dev)"
"$PY" -c 'import scapy' 2>/dev/null || { log "FATAL: python3-scapy missing (pcap generator)"; exit 1; }

# ------------------------------------------------------------------ build
if [ -n "$REV" ]; then
	# a committed revision, built apart from the work tree (which others may be editing)
	SRC=$W/src
	SLUICE_REV=$(git -C "$REPO" rev-parse --short "$REV^{commit}" 2>/dev/null)
	if [ -z "$SLUICE_REV" ]; then
		SLUICE_MISSING="missing: no commit '$REV' in $REPO"
	else
		mkdir -p "$SRC" && git -C "$REPO" archive "$SLUICE_REV" | tar -x -C "$SRC"
		log "building sluice $SLUICE_REV in $SRC"
		if ! "$SRC/scripts/setup.sh" > "$W/log/build.log" 2>&1; then
			SLUICE_MISSING="missing: build of $SLUICE_REV failed: $( { grep -m1 -E 'error:' "$W/log/build.log" || grep -m1 FAILED "$W/log/build.log"; } | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-200)"
		fi
		SLUICED=$SRC/build/src/sluiced; SLUICECTL=$SRC/build/src/sluicectl
	fi
elif [ $NO_BUILD = 0 ]; then
	log "building sluice (scripts/setup.sh)"
	if ! "$REPO/scripts/setup.sh" > "$W/log/build.log" 2>&1; then
		SLUICE_MISSING="missing: build failed: $( { grep -m1 -E 'error:' "$W/log/build.log" || grep -m1 FAILED "$W/log/build.log"; } | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-200)"
		log "$SLUICE_MISSING (full log $W/log/build.log)"
	fi
fi
if [ -z "$SLUICE_MISSING" ] && ! { [ -x "$SLUICED" ] && [ -x "$SLUICECTL" ]; }; then
	SLUICE_MISSING="missing: $SLUICED or $SLUICECTL not built"
fi
if [ -z "$REV" ]; then
	SLUICE_REV=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
	git -C "$REPO" diff --quiet HEAD -- src lib drivers 2>/dev/null \
		|| SLUICE_REV="$SLUICE_REV + uncommitted changes in src/lib/drivers (work tree)"
fi

# ------------------------------------------------------------------ hugepages
HP_KB=$(awk '/Hugepagesize/{print $2}' /proc/meminfo)
# One process at a time: testpmd -m 256; sluiced ~100-150 MB (on demand); OVS preallocates
# dpdk-socket-mem and then grows to ~890 MB (its 262,144-mbuf shared pool; it halves the
# pool when it cannot get that, which would change its memory figure).
OVS_HP_MB=$(( OVS_SOCKET_MEM > 448 ? OVS_SOCKET_MEM + 448 : 896 ))
HP_NEED_MB=704   # the 100k floor: testpmd -m 640
[ $SKIP_OVS = 1 ] || HP_NEED_MB=$OVS_HP_MB
HP_NEED=$(( HP_NEED_MB * 1024 / HP_KB ))
HP_MISSING=""
if ! mountpoint -q /dev/hugepages; then
	mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages \
		&& log "mounted hugetlbfs on /dev/hugepages" \
		|| HP_MISSING="cannot mount hugetlbfs on /dev/hugepages"
fi
hp_free() { awk '/HugePages_Free/{print $2}' /proc/meminfo; }
HP_TOTAL0=$(awk '/HugePages_Total/{print $2}' /proc/meminfo)
if [ -z "$HP_MISSING" ] && [ "$(hp_free)" -lt "$HP_NEED" ]; then
	want=$(( HP_TOTAL0 + HP_NEED - $(hp_free) ))
	echo "$want" > /proc/sys/vm/nr_hugepages 2>/dev/null
	HP_ADDED=$(( $(awk '/HugePages_Total/{print $2}' /proc/meminfo) - HP_TOTAL0 ))
	[ $HP_ADDED -lt 0 ] && HP_ADDED=0
	log "nr_hugepages $HP_TOTAL0 -> $(awk '/HugePages_Total/{print $2}' /proc/meminfo) (need $HP_NEED free ${HP_KB} kB pages)"
fi
if [ -z "$HP_MISSING" ] && [ "$(hp_free)" -lt "$HP_NEED" ]; then
	HP_MISSING="only $(hp_free) free ${HP_KB} kB hugepages, need $HP_NEED (${HP_NEED_MB} MB; nr_hugepages could not be raised enough)"
fi
[ -n "$HP_MISSING" ] && log "HUGEPAGES: $HP_MISSING -- every scenario will be reported missing"
# each process re-checks the free pages it needs right before it starts
hp_check() { # $1 MB needed -> prints a reason when there are not enough
	[ -n "$HP_MISSING" ] && { echo "missing: $HP_MISSING"; return; }
	local f; f=$(hp_free)
	[ $(( f * HP_KB / 1024 )) -ge "$1" ] || echo "missing: only $(( f * HP_KB / 1024 )) MB of free hugepages, needs $1 MB (other DPDK processes running?)"
}

# ------------------------------------------------------------------ inputs
PEER=${SLUICE_BENCH_PEER:-$REPO/../shared/bench-peers/ovs-dpdk}
GEN=$HERE/gen_pcaps.py
[ -f "$PEER/gen_pcaps.py" ] && GEN=$PEER/gen_pcaps.py
PC=$W/pcap
log "generating pcaps with $GEN"
NO_SCAPY_CHECK=0 "$PY" "$GEN" "$PC" > "$W/log/pcaps.log" 2>&1 || { log "FATAL: pcap generation failed, see $W/log/pcaps.log"; exit 1; }
# the peer's results were measured on exactly these bytes
declare -A MD5_EXPECT=([udp_1flow]=52c16a84a954c64165a78107ac505308 [udp_10k]=9f6f70122cddacdb00168ff11a408d0a)
for f in udp_1flow udp_10k; do
	m=$(md5sum < "$PC/$f.pcap" | cut -d' ' -f1)
	[ "$m" = "${MD5_EXPECT[$f]}" ] || note "$f.pcap md5 $m differs from the peer's inputs (${MD5_EXPECT[$f]})"
done
pcap_count() { echo $(( ($(stat -c %s "$1") - 24) / 76 )); }   # 60-byte frames only
# 1k and 100k: the project's own generator (built by scripts/setup.sh; with --rev the one of
# that revision), 60-byte frames, N distinct 5-tuples (src 10.1.x.y, sport 1024 + i % 60000,
# dst 10.0.0.2:5000). Every system reads the same file.
PCAPGEN=$BUILD/scripts/pcapgen/sluice-pcapgen
[ -n "$REV" ] && [ -x "$SRC/build/scripts/pcapgen/sluice-pcapgen" ] && PCAPGEN=$SRC/build/scripts/pcapgen/sluice-pcapgen
declare -A PCAP_MISSING=()
for nf in 1k:1000 100k:100000; do
	f=udp_${nf%%:*}
	if [ ! -x "$PCAPGEN" ]; then
		PCAP_MISSING[$f]="missing: input $f.pcap: $PCAPGEN not built"
	elif ! "$PCAPGEN" --out "$PC/$f.pcap" --flows "${nf##*:}" --dport 5000 >> "$W/log/pcaps.log" 2>&1 \
	     || [ "$(pcap_count "$PC/$f.pcap")" != "${nf##*:}" ]; then
		PCAP_MISSING[$f]="missing: input $f.pcap: sluice-pcapgen failed, see $W/log/pcaps.log"
	fi
	[ -n "${PCAP_MISSING[$f]:-}" ] && log "${PCAP_MISSING[$f]}"
done
# 1M flows: not replayable by OVS (peer pitfall 17) and sluice cannot be fed over vhost-user
# (no vhost-user port yet, issue 6), so no udp_1m.pcap is generated; see L2_1M_* below.
L2_1M_SLUICE="missing: sluice has no vhost-user port yet (issue 6), so it cannot be fed by the testpmd vhost-user feeder the 1M case needs"
L2_1M_OVS="missing: OVS cannot replay a 1M-packet pcap (mempool cap 262,144 mbufs, peer pitfall 17) and the peer's testpmd vhost-user feeder is not ported into this script (nothing to compare it with until sluice has vhost-user ports, issue 6); the peer's own run measured it: feeder-limited 10.1-13.4 Mpps, capacity 11-17 Mpps"
L2_1M_FLOOR="missing: a 1M-packet net_pcap replay needs 1M x 2 KB mbufs (~2.3 GB of hugepages), more than this run takes; the peer feeds 1M flows through a 256 B-mbuf testpmd feeder instead (different path, not ported)"
# the l2-20masks rule set: rule k (priority 200-k) matches udp, in_port=gen, one of 20
# disjoint nw_src blocks that together cover udp_10k's sources (10.1.0.1-10.1.39.250), and
# nw_dst=10.2.0.0/(8+k) (every packet has dst 10.2.0.1, so it always matches): the
# (nw_src, nw_dst) mask is different for every rule, and the union of the masks of the
# rules before rule k still grows with k (sluice ORs the masks of every rule it compares into
# the megaflow mask). Then priority=0,in_port=gen -> sink.
MASK_SRCS=(10.1.36.0/22 10.1.32.0/22 10.1.28.0/22 10.1.24.0/22 10.1.20.0/22 10.1.16.0/22
	10.1.12.0/22 10.1.8.0/22 10.1.4.0/22 10.1.2.0/23 10.1.1.0/24 10.1.0.192/26 10.1.0.128/26
	10.1.0.64/26 10.1.0.32/27 10.1.0.16/28 10.1.0.8/29 10.1.0.4/30 10.1.0.2/31 10.1.0.1/32)
masks_rules() { # $1 in_port $2 output -> the 21 rules, one a line (ovs-ofctl spelling)
	local k
	for k in "${!MASK_SRCS[@]}"; do
		echo "priority=$((200 - k)),udp,in_port=$1,nw_src=${MASK_SRCS[$k]},nw_dst=10.2.0.0/$((8 + k)),actions=output:$2"
	done
	echo "priority=0,in_port=$1,actions=output:$2"
}
MASKS=$W/masks.jsonl; : > "$MASKS"

TSC_MHZ=$(awk '/^cpu MHz/{print $4; exit}' /proc/cpuinfo)
grep -q tsc_known_freq /proc/cpuinfo || note "CPU has no tsc_known_freq: TSC MHz taken from /proc/cpuinfo ($TSC_MHZ) may be off"

# ------------------------------------------------------------------ measurement
N=0
MEASURE=(measure "$PY" "$HERE/lib/measure.py" --warm "$WARM" --dur "$DUR" --tsc-mhz "$TSC_MHZ")
measure() {   # in the background + wait, so that a signal stops the run at once, not after the window
	local p rc
	"$@" &
	p=$!; started "$p"
	wait "$p"; rc=$?
	unset "LIVE[$p]"
	return $rc
}

run_floor() { # scenario pcap round
	local sc=$1 pc=$2 r=$3 why pfx lg pid rc fmem=256 fmb=32768
	# a big pcap needs one mbuf per packet in the rx pool: the peer's FLOOR_MEM=640
	# FLOOR_MBUFS=140000 for udp_100k (pitfall 17)
	[ "$(pcap_count "$PC/$pc.pcap")" -gt 20000 ] && { fmem=640; fmb=140000; }
	why=$(hp_check $((fmem + 44))); [ -n "$why" ] && { json_missing "$sc" floor "$r" missing "${why#missing: }"; return; }
	N=$((N+1)); pfx=${TAG}_fl$N; lg=$W/log/$pfx.log; PREFIXES+=("$pfx")
	dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --file-prefix="$pfx" -m $fmem \
		--vdev "net_pcap0,rx_pcap=$PC/$pc.pcap,infinite_rx=1" --vdev "net_null0,no-rx=1" \
		-- --forward-mode=io --nb-cores=1 --total-num-mbufs=$fmb --stats-period 3600 \
		< /dev/null > "$lg" 2>&1 &
	pid=$!; started "$pid"
	"${MEASURE[@]}" --system floor --pid "$pid" --scenario "$sc" --round "$r" \
		--telemetry "/var/run/dpdk/$pfx/dpdk_telemetry.v2" >> "$RAW" \
		|| log "floor $sc round $r: $(tail -n1 "$RAW" | cut -c1-300) $(tail_reason "$lg")"
	stop_pid "$pid"; rc=$?
	[ $rc = 0 ] || note "testpmd ($sc round $r) exited with status $rc after SIGTERM, log $lg"
	clean_prefix "$pfx"
}

run_sluice() { # scenario pcap round
	local sc=$1 pc=$2 r=$3 why pfx lg ctl pid rc npk i
	[ -n "$SLUICE_MISSING" ] && { json_missing "$sc" sluice "$r" missing "${SLUICE_MISSING#missing: }"; return; }
	npk=$(pcap_count "$PC/$pc.pcap")
	# shared pool (--mbufs 32768) + the generator's pool (npk + 4096), ~2.3 KB each, on demand
	why=$(hp_check $(( 256 + npk * 23 / 10000 ))); [ -n "$why" ] && { json_missing "$sc" sluice "$r" missing "${why#missing: }"; return; }
	N=$((N+1)); pfx=${TAG}_sl$N; lg=$W/log/$pfx; ctl=$W/$pfx.ctl; PREFIXES+=("$pfx")
	"$SLUICED" -l 0-1 --no-pci --file-prefix "$pfx" -- --ctl "$ctl" --log-file "$lg.log" \
		< /dev/null > "$lg.out" 2>&1 &
	pid=$!; started "$pid"
	local C=("$SLUICECTL" --ctl "$ctl")
	for i in $(seq 1 100); do
		"${C[@]}" version > "$lg.version" 2>&1 && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if ! "${C[@]}" version > "$lg.version" 2>&1; then
		kill -0 "$pid" 2>/dev/null && why="sluiced did not answer on $ctl within 20 s" \
			|| why="sluiced exited at start: $(tail_reason "$lg.out") $(tail_reason "$lg.log")"
		json_missing "$sc" sluice "$r" missing "$why"
		stop_pid "$pid"; clean_prefix "$pfx"; return
	fi
	# rule first, then the generator: no packet is ever flooded by the default 'normal' rule
	local step out ok=1 steps
	steps=("port add sink dpdk net_null0,no-rx=1" "flow del"
	       "port add gen dpdk net_pcap0,rx_pcap=$PC/$pc.pcap,infinite_rx=1 n_mbufs=$((npk + 4096))")
	if [ "$sc" = l2-20masks ]; then
		mapfile -t -O 3 steps < <(masks_rules gen sink | sed 's/^/flow add /')
	else
		steps+=("flow add in_port=gen,actions=output:sink")
	fi
	for step in "${steps[@]}"; do
		# shellcheck disable=SC2086
		if ! out=$("${C[@]}" $step 2>&1); then
			json_missing "$sc" sluice "$r" missing "sluicectl $step: $out"
			note "sluicectl --ctl CTL $step -> $out"
			ok=0; break
		fi
		echo "\$ sluicectl $step"$'\n'"$out" >> "$lg.setup"
	done
	if [ $ok = 1 ]; then
		"${C[@]}" flow dump --names >> "$lg.setup" 2>&1
		"${MEASURE[@]}" --system sluice --pid "$pid" --scenario "$sc" --round "$r" \
			--sluicectl "$SLUICECTL" --ctl "$ctl" >> "$RAW" \
			|| log "sluice $sc round $r: $(tail -n1 "$RAW" | cut -c1-300)"
		{ "${C[@]}" show; "${C[@]}" port stats; "${C[@]}" pmd stats; } > "$lg.end" 2>&1
		if [ "$sc" = l2-20masks ]; then
			"${C[@]}" --json megaflow dump > "$lg.megaflows.json" 2>&1
			"${C[@]}" megaflow dump > "$lg.megaflows.txt" 2>&1
			"${C[@]}" --json pmd stats > "$lg.pmdstats.json" 2>&1
			"$PY" "$HERE/lib/masks.py" --system sluice --scenario "$sc" --round "$r" \
				--dump "$lg.megaflows.json" --pmd "$lg.pmdstats.json" >> "$MASKS" \
				|| note "l2-20masks sluice round $r: could not count megaflow masks ($lg.megaflows.json)"
		fi
	fi
	stop_pid "$pid"; rc=$?
	[ $rc = 0 ] || note "sluiced ($sc round $r) exited with status $rc after SIGTERM (README: should be 0), logs $lg.*"
	clean_prefix "$pfx"
}

run_ovs() { # scenario pcap round
	local sc=$1 pc=$2 r=$3 why pfx d dbpid vpid rc i
	[ -n "$OVS_MISSING" ] && { json_missing "$sc" ovs "$r" missing "${OVS_MISSING#missing: }"; return; }
	why=$(hp_check "$OVS_HP_MB"); [ -n "$why" ] && { json_missing "$sc" ovs "$r" missing "${why#missing: }"; return; }
	for i in ovs-netdev $OVS_BR; do
		if ip link show "$i" > /dev/null 2>&1; then
			json_missing "$sc" ovs "$r" missing "kernel interface $i already exists (another OVS netdev datapath running?); not touching it"
			return
		fi
	done
	N=$((N+1)); pfx=${TAG}_ov$N; d=$W/$pfx; mkdir -p "$d"; PREFIXES+=("$pfx")
	export OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d OVS_SYSCONFDIR=$d
	local V=(ovs-vsctl "--db=unix:$d/db.sock" --timeout=30) OF=(ovs-ofctl) A=(ovs-appctl -t "$d/vswitchd.ctl" --timeout=30)
	ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ovsdb-server "$d/conf.db" --remote=punix:"$d/db.sock" --pidfile="$d/ovsdb-server.pid" \
		--unixctl="$d/ovsdb-server.ctl" --log-file="$d/ovsdb-server.log" < /dev/null > "$d/ovsdb-server.out" 2>&1 &
	dbpid=$!; started "$dbpid"
	for i in $(seq 1 50); do [ -S "$d/db.sock" ] && break; sleep 0.1; done
	"${V[@]}" --no-wait init
	"${V[@]}" --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
		other_config:dpdk-socket-mem="$OVS_SOCKET_MEM" other_config:dpdk-extra="--no-pci --file-prefix=$pfx"
	TAPS+=(ovs-netdev "$OVS_BR")      # created by the netdev datapath, persistent: ours (checked)
	"$VSW" unix:"$d/db.sock" --pidfile="$d/ovs-vswitchd.pid" --unixctl="$d/vswitchd.ctl" \
		--log-file="$d/ovs-vswitchd.log" < /dev/null > "$d/ovs-vswitchd.out" 2>&1 &
	vpid=$!; started "$vpid"
	local ok=1
	{ "${V[@]}" add-br $OVS_BR -- set bridge $OVS_BR datapath_type=netdev \
	  && "${OF[@]}" del-flows $OVS_BR \
	  && "${V[@]}" add-port $OVS_BR sink -- set Interface sink type=dpdk \
		"options:dpdk-devargs=net_null0,no-rx=1" ofport_request=2 \
	  && "${V[@]}" add-port $OVS_BR gen -- set Interface gen type=dpdk \
		"options:dpdk-devargs=net_pcap0,rx_pcap=$PC/$pc.pcap,infinite_rx=1" ofport_request=1 \
	  && if [ "$sc" = l2-20masks ]; then masks_rules 1 2 > "$d/flows.txt" && "${OF[@]}" add-flows $OVS_BR "$d/flows.txt";
	     else "${OF[@]}" add-flow $OVS_BR "in_port=1,actions=output:2"; fi; } > "$d/setup.log" 2>&1 || ok=0
	if [ $ok = 0 ]; then
		json_missing "$sc" ovs "$r" missing "OVS setup failed: $(tail -n1 "$d/setup.log") $(tail_reason "$d/ovs-vswitchd.log")"
	else
		"${MEASURE[@]}" --system ovs --pid "$vpid" --extra-pid "$dbpid" --scenario "$sc" --round "$r" \
			--appctl-target "$d/vswitchd.ctl" >> "$RAW" \
			|| log "ovs $sc round $r: $(tail -n1 "$RAW" | cut -c1-300)"
		{ "${OF[@]}" dump-flows $OVS_BR; "${A[@]}" dpctl/dump-flows; "${A[@]}" dpctl/show -s;
		  "${A[@]}" dpif-netdev/pmd-stats-show; ip -o link show $OVS_BR; } > "$d/end.txt" 2>&1
		if [ "$sc" = l2-20masks ]; then
			"${A[@]}" dpctl/dump-flows > "$d/dpflows.txt" 2>&1
			"${A[@]}" dpif-netdev/pmd-stats-show > "$d/pmdstats.txt" 2>&1
			"${A[@]}" dpif-netdev/subtable-lookup-info-get > "$d/subtable-lookup-info.txt" 2>&1
			"$PY" "$HERE/lib/masks.py" --system ovs --scenario "$sc" --round "$r" \
				--dump "$d/dpflows.txt" --pmd "$d/pmdstats.txt" \
				--info "$d/subtable-lookup-info.txt" >> "$MASKS" \
				|| note "l2-20masks ovs round $r: could not count datapath flow masks ($d/dpflows.txt)"
		fi
		ip -o link show $OVS_BR 2>/dev/null | grep -q 'state UP' && note "OVS bridge tap $OVS_BR was UP ($sc round $r)"
		"${V[@]}" --if-exists del-br $OVS_BR >> "$d/setup.log" 2>&1
	fi
	stop_pid "$vpid"; rc=$?    # OVS re-raises SIGTERM after its cleanup: 143 is its clean exit
	[ $rc = 0 ] || [ $rc = 143 ] || note "ovs-vswitchd ($sc round $r) exit status $rc after SIGTERM"
	stop_pid "$dbpid"
	for i in "${TAPS[@]}"; do ip link del "$i" 2>/dev/null; done
	TAPS=()
	clean_prefix "$pfx"
}

selected() { # scenario system -> 0 when it should run (else records why not)
	local sc=$1 sys=$2 r=$3
	if [ -n "$ONLY" ] && ! echo "$sc/$sys" | grep -Eq -- "$ONLY"; then
		[ "$r" = 1 ] && json_missing "$sc" "$sys" "$r" skipped "not selected by --only '$ONLY'"
		return 1
	fi
	if [ "$sys" = ovs ] && [ $SKIP_OVS = 1 ]; then
		[ "$r" = 1 ] && json_missing "$sc" "$sys" "$r" skipped "--skip-ovs"; return 1
	fi
	if [ "$sys" = floor ] && [ $SKIP_FLOOR = 1 ]; then
		[ "$r" = 1 ] && json_missing "$sc" "$sys" "$r" skipped "--skip-floor"; return 1
	fi
	if [ "$sys" = floor ] && [ -n "$FLOOR_MISSING" ]; then
		json_missing "$sc" "$sys" "$r" missing "${FLOOR_MISSING#missing: }"; return 1
	fi
	return 0
}

SYSTEMS=(floor sluice ovs)
log "work dir $W; rounds $ROUNDS, warm-up ${WARM}s, window ${DUR}s; TSC ${TSC_MHZ} MHz"
for scp in l2-1flow:udp_1flow l2-1k:udp_1k l2-10k:udp_10k l2-100k:udp_100k l2-1m:udp_1m \
           l2-20masks:udp_10k; do
	sc=${scp%%:*}; pc=${scp##*:}
	for r in $(seq 1 "$ROUNDS"); do
		for k in 0 1 2; do   # rotate the order every round: no system always goes first
			sys=${SYSTEMS[$(( (k + r - 1) % 3 ))]}
			selected "$sc" "$sys" "$r" || continue
			if [ "$sc" = l2-1m ]; then   # never silently skipped: the reason is in the table
				v=L2_1M_${sys^^}; json_missing "$sc" "$sys" "$r" missing "${!v#missing: }"; continue
			fi
			if [ -n "${PCAP_MISSING[$pc]:-}" ]; then
				json_missing "$sc" "$sys" "$r" missing "${PCAP_MISSING[$pc]#missing: }"; continue
			fi
			log "$sc round $r/$ROUNDS: $sys"
			"run_$sys" "$sc" "$pc" "$r"
			tail -n1 "$RAW" | "$PY" -c 'import json,sys; r=json.loads(sys.stdin.read())
if r.get("status")=="ok": print("   %-6s %7.2f Mpps/core  %6.2f Mpps wall  %6.1f cyc/pkt  cpu_share %.2f" % (r["system"], r["mpps_core"], r["mpps_wall"], r.get("cyc_pkt") or 0, r["cpu_share"]), file=sys.stderr)'
		done
	done
done

# ------------------------------------------------------------------ report
END_UTC=$(date -u +%Y-%m-%dT%H:%M:%SZ)
export M_START=$START_UTC M_END=$END_UTC M_ELAPSED=$(( $(date +%s) - T_START )) M_ROUNDS=$ROUNDS \
	M_DUR=$DUR M_WARM=$WARM M_ONLY=$ONLY M_REVARG=$REV M_QUICK=$QUICK M_SKIP_OVS=$SKIP_OVS M_SKIP_FLOOR=$SKIP_FLOOR \
	M_TSC=$TSC_MHZ M_DPDK="$(dpkg-query -W -f='${Version}' libdpdk-dev 2>/dev/null)" \
	M_OVS="$([ -x "$VSW" ] && "$VSW" --version | head -1)" M_REV=$SLUICE_REV \
	M_SLUICE_MISSING=$SLUICE_MISSING M_HP_KB=$HP_KB M_HP_TOTAL0=$HP_TOTAL0 M_HP_ADDED=$HP_ADDED \
	M_OVS_MEM=$OVS_SOCKET_MEM M_GEN=$GEN M_NOTES=$NOTES M_W=$W \
	M_SLUICE_VER="$(cat "$W"/log/*_sl*.version 2>/dev/null | head -1)" \
	M_MD5_1="$(md5sum < "$PC/udp_1flow.pcap" | cut -d' ' -f1)" \
	M_MD5_10K="$(md5sum < "$PC/udp_10k.pcap" | cut -d' ' -f1)" \
	M_MD5_1K="$(md5sum < "$PC/udp_1k.pcap" 2>/dev/null | cut -d' ' -f1)" \
	M_MD5_100K="$(md5sum < "$PC/udp_100k.pcap" 2>/dev/null | cut -d' ' -f1)" M_PCAPGEN=$PCAPGEN
"$PY" - "$W/meta.json" <<'EOF'
import json, os, platform, sys
e = os.environ
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), "?")
meta = {
    "started_utc": e["M_START"], "ended_utc": e["M_END"], "elapsed_s": int(e["M_ELAPSED"]),
    "args": {"rounds": int(e["M_ROUNDS"]), "dur_s": float(e["M_DUR"]),
             "warm_s": float(e["M_WARM"]), "only": e["M_ONLY"], "quick": e["M_QUICK"] == "1",
             "skip_ovs": e["M_SKIP_OVS"] == "1", "skip_floor": e["M_SKIP_FLOOR"] == "1",
             "rev": e["M_REVARG"]},
    "nproc": os.cpu_count(), "cpu_model": cpu, "kernel": platform.release(),
    "tsc_mhz": float(e["M_TSC"]), "dpdk": e["M_DPDK"], "ovs": e["M_OVS"],
    "sluice_rev": e["M_REV"], "sluice_version": e["M_SLUICE_VER"],
    "sluice_missing": e["M_SLUICE_MISSING"],
    "hugepages": {"size_kb": int(e["M_HP_KB"]), "total_at_start": int(e["M_HP_TOTAL0"]),
                  "added": int(e["M_HP_ADDED"])},
    "ovs_socket_mem_mb": int(e["M_OVS_MEM"]), "pcap_generator": e["M_GEN"],
    "pcap_md5": {"udp_1flow": e["M_MD5_1"], "udp_1k": e["M_MD5_1K"], "udp_10k": e["M_MD5_10K"],
                 "udp_100k": e["M_MD5_100K"]},
    "pcapgen": e["M_PCAPGEN"],
    "notes": [l.rstrip() for l in open(e["M_NOTES"]) if l.strip()],
    "workdir": e["M_W"],
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
EOF
"$PY" "$HERE/lib/report.py" --raw "$RAW" --meta "$W/meta.json" --masks "$MASKS" \
	--md "$OUTDIR/results-l2.md" --json "$OUTDIR/results-l2.json" --png-dir "$OUTDIR"
