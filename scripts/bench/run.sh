#!/usr/bin/env bash
# sluice benchmark: every scenario of issues 3-7 for sluice, OVS-DPDK 3.1 and the testpmd io
# floor, one forwarding core, rounds alternating between the three systems; each measurement
# starts its own process, warms up WARM s, measures one window of DUR s, stops the process.
#   floor   dpdk-testpmd io forwarding (no switch at all) on the same input path
#   sluice  build/src/sluiced, one PMD (lcore 1)
#   ovs     Open vSwitch 3.1 + DPDK 22.11 (Debian openvswitch-switch-dpdk), one PMD (core 1),
#           run by hand in a private directory
# Scenarios (64-byte frames unless named; see scripts/bench/README.md for each one's input
# path, rules and the OVS topology):
#   l2-1flow l2-1k l2-10k l2-100k   in_port -> output, net_pcap infinite_rx -> net_null
#   l2-1m                 1M flows fed over vhost-user by a testpmd feeder (net_virtio_user)
#   l2-20masks            10k flows, 20 rules, 20 megaflow masks (sorted input)
#   l2-20masks-shuf       the same on the shuffled 10k input
#   l2-10k-512 l2-10k-1518   frame sizes 512 / 1518 (pcap frames 508 / 1514)
#   vhloop                testpmd io, 2 virtio_user ports, start tx_first, through the switch
#                         and back (Mpps of both directions summed)
#   vhost-rx              testpmd txonly -> virtio_user -> switch vhost-user port -> net_null:
#                         the switch's vhost rx capacity (cycles per packet; the generator
#                         saturates first)
#   ct-tcp-N ct-udp-N ct-udprr-N (N = 1, 10k, 1m)   conntrack established (TCP both ways) /
#                         unidirectional UDP (+new, commit on an existing entry) /
#                         UDP request-response (+est); the 1m ones fed over vhost-user by a
#                         testpmd feeder (as l2-1m), with memory per connection
#   ct-setup              connection setup rate (udp_200k, every packet a new committed conn)
#   ct-setup-2pmd         the same with two PMDs (two rx queues, half the tuples each):
#                         per-PMD rate and contention counters
#   vxlan-encap vxlan-decap   10k flows, VNI 100
#   ctvx-10k ctvx-tcp-10k ctvx-10k-512 ctvx-10k-1518   the seed pipeline ct + vxlan-encap
#                         (1518: sink mtu=1600)
#   --quick runs the everyday set QUICK_SET (l2-10k l2-20masks-shuf vhloop ct-udp-10k ctvx-10k)
#   unless --only is given.
#
# usage: scripts/bench/run.sh [--quick] [--rounds N] [--dur S] [--only REGEX]
#                             [--skip-ovs] [--skip-floor] [--no-build] [--keep-hugepages]
#   --quick      DUR=3 s, 1 round, the everyday set (about 2-3 min; everything: about 35 min)
#   --rounds N   rounds per scenario and system (default 3)
#   --dur S      measurement window in seconds (default 8); warm-up is always WARM=2 s
#   --only RE    extended regex over "SCENARIO/SYSTEM", e.g. 'l2-10k/(sluice|ovs)' or
#                '^(ct|ctvx)-' (systems: floor, sluice, ovs)
#   --no-build   do not run scripts/setup.sh (use build/src/sluiced as it is)
#   --rev REV    benchmark the committed revision REV instead of the work tree: it is
#                exported (git archive) into the work dir and built there (~25 s)
#   --keep-hugepages  leave the 2 MB pages this run added to nr_hugepages reserved
# Environment: SLUICE_BENCH_WORK (default /tmp/sluice-bench: raw data, logs, pcaps),
#   SLUICE_BENCH_OUT (default docs/bench), SLUICE_BUILD (default build),
#   OVS_SOCKET_MEM (default 512, as the peer benchmark), WARM (default 2).
# Needs root (hugepages, packages).  Output: Markdown table on stdout and in
# $SLUICE_BENCH_OUT/results.md, JSON beside it, PNG plots; per-window raw data in the work dir.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3          # Debian's python (scapy comes from python3-scapy)

ROUNDS=3; DUR=8; WARM=${WARM:-2}; ONLY=; SKIP_OVS=0; SKIP_FLOOR=0; NO_BUILD=0; KEEP_HP=0; REV=
QUICK=0; ROUNDS_SET=0; DUR_SET=0; ONLY_SET=0
QUICK_SET='^(l2-10k|l2-20masks-shuf|vhloop|ct-udp-10k|ctvx-10k)/'
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--rounds) ROUNDS=${2:?}; ROUNDS_SET=1; shift ;;
	--dur) DUR=${2:?}; DUR_SET=1; shift ;;
	--only) ONLY=${2:?}; ONLY_SET=1; shift ;;
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
	[ $ONLY_SET = 1 ] || ONLY=$QUICK_SET
fi
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rounds must be a positive integer" >&2; exit 2; }
[[ $DUR =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "run.sh: --dur must be a number of seconds" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (hugepages, packages, DPDK)" >&2; exit 2; }

T_START=$(date +%s)
START_UTC=$(date -u +%Y-%m-%dT%H:%M:%SZ)
WBASE=${SLUICE_BENCH_WORK:-/tmp/sluice-bench}
W=$WBASE/run-$(date -u +%Y%m%dT%H%M%SZ)-$$
OUTDIR=${SLUICE_BENCH_OUT:-$REPO/docs/bench}
BUILD=${SLUICE_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
SLUICED=$BUILD/src/sluiced; SLUICECTL=$BUILD/src/sluicectl
OVS_SOCKET_MEM=${OVS_SOCKET_MEM:-512}
VSW=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
OVS_BR=slbench0               # kernel tap of the netdev bridge (stays DOWN)
OVS_PHY=slbphy0               # the underlay bridge of the tunnel scenarios (DOWN, 172.31.1.1)
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
# (measured: 890 MB with 1.2 GB of hugepages free, 1,266 MB with 1.6 GB free)
OVS_HP_MB=$(( OVS_SOCKET_MEM > 832 ? OVS_SOCKET_MEM + 448 : 1280 ))
HP_NEED_MB=900   # the ct-setup floor: testpmd -m 844 (udp_200k, 280,000 mbufs)
[ $SKIP_OVS = 1 ] || HP_NEED_MB=$(( OVS_HP_MB + 300 ))   # + the vhloop generator (testpmd -m 256)
# l2-1m: the testpmd feeder holds the 1M-packet pcap in 256 B mbufs (~700 MB) beside the switch
FEED_MB=720
if [ -z "$ONLY" ] || echo "l2-1m/x" | grep -Eq -- "${ONLY%/*}"; then
	HP_NEED_MB=$(( HP_NEED_MB + FEED_MB ))
fi
# ct-*-1m: the same kind of feeder, holding up to tcp_1m's 5M frames (~2.6 GB), beside the
# switch: OVS's ~1.3 GB, or sluice's ~0.3 GB plus its connection table at 1M connections
# (CT1M_MB: the heap grew 333 MB to 1M connections, 349 B each, in the 08:00 run; the
# report's memory-per-connection table); the larger of the two
CT1M_SEL=0
for sc in ct-tcp-1m ct-udp-1m ct-udprr-1m; do
	for sy in floor sluice ovs; do
		{ [ -z "$ONLY" ] || echo "$sc/$sy" | grep -Eq -- "$ONLY"; } && CT1M_SEL=1
	done
done
CT1M_FEED_MB=2640; CT1M_MB=600
if [ $CT1M_SEL = 1 ]; then
	sw=$(( 256 + CT1M_MB )); [ $SKIP_OVS = 0 ] && [ $OVS_HP_MB -gt $sw ] && sw=$OVS_HP_MB
	# + 256 MB of slack: the other engineers' DPDK tests take a few pages meanwhile (a first
	# run had 3,826 MB left when OVS with tcp_1m's feeder needed 3,888)
	[ $(( sw + CT1M_FEED_MB + 256 )) -gt "$HP_NEED_MB" ] && HP_NEED_MB=$(( sw + CT1M_FEED_MB + 256 ))
fi
HP_NEED=$(( HP_NEED_MB * 1024 / HP_KB ))
HP_MISSING=""
if ! mountpoint -q /dev/hugepages; then
	mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages \
		&& log "mounted hugetlbfs on /dev/hugepages" \
		|| HP_MISSING="cannot mount hugetlbfs on /dev/hugepages"
fi
hp_free() { awk '/HugePages_Free/{print $2}' /proc/meminfo; }
HP_TOTAL0=$(awk '/HugePages_Total/{print $2}' /proc/meminfo)
# the machine's budget: never take hugepages that would leave less than 4 GiB of RAM for
# everything else (other engineers' builds and tests share this machine)
MEM_AVAIL_MB=$(awk '/MemAvailable/{print int($2 / 1024)}' /proc/meminfo)
if [ -z "$HP_MISSING" ] && [ "$(hp_free)" -lt "$HP_NEED" ] && \
   [ $(( (HP_NEED - $(hp_free)) * HP_KB / 1024 )) -gt $(( MEM_AVAIL_MB - 4096 )) ]; then
	HP_MISSING="need $HP_NEED_MB MB of free hugepages; raising nr_hugepages by $(( (HP_NEED - $(hp_free)) * HP_KB / 1024 )) MB would leave less than 4 GiB of the $MEM_AVAIL_MB MB available"
fi
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
PCX=$WBASE/pcap-extra    # the big inputs (udp_1m, 76 MB): kept between runs, regenerated when the size is off
mkdir -p "$PCX"
log "generating pcaps with $GEN"
NO_SCAPY_CHECK=0 "$PY" "$GEN" "$PC" > "$W/log/pcaps.log" 2>&1 || { log "FATAL: pcap generation failed, see $W/log/pcaps.log"; exit 1; }
# the peer's results were measured on exactly these bytes
declare -A MD5_EXPECT=([udp_1flow]=52c16a84a954c64165a78107ac505308 [udp_10k]=9f6f70122cddacdb00168ff11a408d0a)
for f in udp_1flow udp_10k; do
	m=$(md5sum < "$PC/$f.pcap" | cut -d' ' -f1)
	[ "$m" = "${MD5_EXPECT[$f]}" ] || note "$f.pcap md5 $m differs from the peer's inputs (${MD5_EXPECT[$f]})"
done
pcap_count() { # packets in a pcap (any frame size)
	"$PY" -c 'import struct,sys
d=open(sys.argv[1],"rb").read(); o=24; n=0
while o < len(d): o += 16 + struct.unpack_from("<I", d, o + 8)[0]; n += 1
print(n)' "$1"
}
declare -A PCAP_MISSING=()
# the peer's extra inputs: udp_1m (l2-1m), udp_200k (ct-setup), udp_10k_512 / udp_10k_1518
if "$PY" "$GEN" "$PCX" extra >> "$W/log/pcaps.log" 2>&1; then
	for f in udp_1m udp_200k udp_10k_512 udp_10k_1518; do ln -sf "$PCX/$f.pcap" "$PC/$f.pcap"; done
else
	for f in udp_1m udp_200k udp_10k_512 udp_10k_1518; do
		PCAP_MISSING[$f]="missing: input $f.pcap: '$GEN $PCX extra' failed, see $W/log/pcaps.log"
	done
fi
# ours: udp_10k_shuf (l2-20masks-shuf), udp_rr_10k (ct-udprr-10k), vxlan_10k (vxlan-decap),
# udp_rr_1 (ct-udprr-1), udp_200k_h0/h1 (ct-setup-2pmd: udp_200k's halves, one per rx queue)
if ! "$PY" "$HERE/lib/gen_extra.py" "$PC" >> "$W/log/pcaps.log" 2>&1; then
	for f in udp_10k_shuf udp_rr_10k vxlan_10k udp_rr_1 udp_200k_h0 udp_200k_h1; do
		PCAP_MISSING[$f]="missing: input $f.pcap: lib/gen_extra.py failed, see $W/log/pcaps.log"
	done
fi
# 1k and 100k: the project's own generator (built by scripts/setup.sh; with --rev the one of
# that revision), 60-byte frames, N distinct 5-tuples (src 10.1.x.y, sport 1024 + i % 60000,
# dst 10.0.0.2:5000). Every system reads the same file.
PCAPGEN=$BUILD/scripts/pcapgen/sluice-pcapgen
[ -n "$REV" ] && [ -x "$SRC/build/scripts/pcapgen/sluice-pcapgen" ] && PCAPGEN=$SRC/build/scripts/pcapgen/sluice-pcapgen
for nf in 1k:1000 100k:100000; do
	f=udp_${nf%%:*}
	if [ ! -x "$PCAPGEN" ]; then
		PCAP_MISSING[$f]="missing: input $f.pcap: $PCAPGEN not built"
	elif ! "$PCAPGEN" --out "$PC/$f.pcap" --flows "${nf##*:}" --dport 5000 >> "$W/log/pcaps.log" 2>&1 \
	     || [ "$(pcap_count "$PC/$f.pcap")" != "${nf##*:}" ]; then
		PCAP_MISSING[$f]="missing: input $f.pcap: sluice-pcapgen failed, see $W/log/pcaps.log"
	fi
done
# the 1,000,000-connection ct inputs (udp_rr_1m, tcp_1m: 2M and 5M frames; the first run
# makes them in ~2 min, then they are kept in $PCX), only when a ct-*-1m scenario is selected
if [ $CT1M_SEL = 1 ]; then
	log "making the 1M-connection ct inputs in $PCX (kept between runs)"
	if [ -e "$PCX/udp_1m.pcap" ] && "$PY" "$HERE/lib/gen_extra.py" "$PCX" big >> "$W/log/pcaps.log" 2>&1; then
		for f in udp_rr_1m tcp_1m; do ln -sf "$PCX/$f.pcap" "$PC/$f.pcap"; done
	else
		for f in udp_rr_1m tcp_1m; do
			PCAP_MISSING[$f]="missing: input $f.pcap: 'lib/gen_extra.py $PCX big' failed, see $W/log/pcaps.log"
		done
	fi
fi
for f in "${!PCAP_MISSING[@]}"; do log "${PCAP_MISSING[$f]}"; done
declare -A NPK=()
for f in "$PC"/*.pcap; do b=$(basename "$f" .pcap); [ -n "${PCAP_MISSING[$b]:-}" ] || NPK[$b]=$(pcap_count "$f"); done

# ------------------------------------------------------------------ scenarios
# NAME:KIND:INPUT[:SINK_MTU]   KIND = how the input reaches the switch and which rules it runs
SCENARIOS=(
	l2-1flow:l2:udp_1flow l2-1k:l2:udp_1k l2-10k:l2:udp_10k l2-100k:l2:udp_100k
	l2-1m:l2vh:udp_1m
	l2-20masks:masks:udp_10k l2-20masks-shuf:masks:udp_10k_shuf
	l2-10k-512:l2:udp_10k_512 l2-10k-1518:l2:udp_10k_1518
	vhloop:vhloop:- vhost-rx:l2vh:-
	ct-tcp-1:ct:tcp_1conn ct-udp-1:ct:udp_1flow ct-udprr-1:ct:udp_rr_1
	ct-tcp-10k:ct:tcp_10k ct-udp-10k:ct:udp_10k ct-udprr-10k:ct:udp_rr_10k
	ct-tcp-1m:ctvh:tcp_1m ct-udp-1m:ctvh:udp_1m ct-udprr-1m:ctvh:udp_rr_1m
	ct-setup:ctnew:udp_200k ct-setup-2pmd:ctnew2:udp_200k
	vxlan-encap:encap:udp_10k vxlan-decap:decap:vxlan_10k
	ctvx-10k:ctvx:udp_10k ctvx-tcp-10k:ctvx:tcp_10k ctvx-10k-512:ctvx:udp_10k_512
	ctvx-10k-1518:ctvx:udp_10k_1518:1600
)
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
ct_rules() { # $1 output -> the conntrack rules (issue 4 contract = the peer's, without zone)
	echo "table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1)"
	echo "table=1,priority=10,ip,ct_state=+trk+new,actions=ct(commit),output:$1"
	echo "table=1,priority=10,ip,ct_state=+trk+est,actions=output:$1"
	echo "table=1,priority=1,actions=drop"
}
# tunnel underlay, the same addresses for both switches (the peer's): local VTEP 172.31.1.1 on
# the underlay port, remote VTEP 172.31.1.2 with a static neighbour entry, VNI 100
VTEP_L=172.31.1.1; VTEP_R=172.31.1.2; VTEP_R_MAC=02:00:00:00:01:02; VNI=100
VTEP_L_MAC=02:70:63:61:70:00   # net_pcap0's MAC: vxlan_10k.pcap is addressed to it (decap)
MASKS=$W/masks.jsonl; : > "$MASKS"
CTMEM=$W/ctmem.jsonl; : > "$CTMEM"   # memory per connection (ct-*-1m), lib/ctmem.py
STAGES=$W/stages.jsonl; : > "$STAGES" # sluice's cycles by stage (pmd stats detail), a window each
STAGE_DUR=2

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
sluice_port_rx() { # sluicectl... PORT -> 0 when PORT has received a packet
	local port=${*: -1}
	"${@:1:$#-1}" --json port stats 2>/dev/null | "$PY" -c 'import json,sys
sys.exit(0 if any(p["name"] == sys.argv[1] and p["rx_packets"] > 0 for p in json.load(sys.stdin)) else 1)' "$port"
}
wait_for() { # $1 tries (0.2 s each), then a shell test; 0 when it became true
	local i n=$1; shift
	for i in $(seq 1 "$n"); do "$@" && return 0; sleep 0.2; done
	"$@"
}

# ---- testpmd helpers (generators outside the switch)
# The feeder of l2-1m: net_pcap infinite_rx (udp_1m, 256 B mbufs: 1.1M of them fit in ~700 MB)
# -> io -> net_virtio_user -> the switch's vhost-user port.  Its forwarding lcore is 0 (the
# switch's PMD has core 1): '-l 0-1 --main-lcore 1'.  256 B mbufs need --max-pkt-len=96, or
# virtio rx queue setup fails (peer pitfall 18); --single-file-segments, or vhost-user runs
# out of memory regions (peer pitfall 13).  $1 prefix $2 log $3 virtio devargs tail
# $4 input: udp_1m, or - for vhost-rx: testpmd txonly (one 60 B UDP flow, as the peer's
# "vhost" scenario), which measures the switch's vhost rx processing, not a flow count
feed_mb() { # the generator's hugepages: vhost-rx's txonly 300 MB; a pcap feeder holds its whole
	# input in 256 B mbufs (~450 B each with header and mempool overhead), see start_feeder
	[ "$1" = - ] && { echo 300; return; }
	local n=${NPK[$1]:-1000000}
	echo $(( (n + n / 10 + 32768) * 450 / 1048576 + 234 ))
}
start_feeder() {
	local pfx=$1 lg=$2 vdev=$3 n mb mem
	PREFIXES+=("$pfx")
	if [ "${4:-udp_1m}" = - ]; then
		dpdk-testpmd -l 0-1 --main-lcore 1 --no-pci --file-prefix="$pfx" -m 256 --single-file-segments \
			--vdev "net_virtio_user0,$vdev" \
			-- --forward-mode=txonly --txpkts=60 --nb-cores=1 --txd=4096 --rxd=1024 \
			--total-num-mbufs=16384 --stats-period 3600 < /dev/null > "$lg" 2>&1 &
		FEED_PID=$!; started "$FEED_PID"
		return
	fi
	n=${NPK[$4]}; mb=$(( n + n / 10 + 32768 )); mem=$(( mb * 450 / 1048576 + 200 ))
	if [ "${5:-}" = retry ]; then
		# ct-*-1m: lossless.  Plain io drops what the full vhost ring does not take (95-99 %
		# at ct rates: TX-dropped 540M of 547M), so the switch would see a random subset of
		# each pass: TCP handshakes with holes (SYN lost, SYN/ACK not).  'set fwd io retry'
		# exists only at the prompt, so the commands go through a fifo (feeder_go)
		local fifo=$W/$pfx.fifo
		rm -f "$fifo"; mkfifo "$fifo"
		dpdk-testpmd -l 0-1 --main-lcore 1 --no-pci --file-prefix="$pfx" -m $mem --single-file-segments \
			--vdev "net_pcap0,rx_pcap=$PC/$4.pcap,infinite_rx=1" --vdev "net_virtio_user0,$vdev" \
			-- -i --forward-mode=io --nb-cores=1 --txd=4096 --rxd=1024 --mbuf-size=256 \
			--max-pkt-len=96 --total-num-mbufs=$mb < "$fifo" > "$lg" 2>&1 &
		FEED_PID=$!; started "$FEED_PID"
		exec 6> "$fifo"     # stop_gen sends 'quit' through it
		return
	fi
	dpdk-testpmd -l 0-1 --main-lcore 1 --no-pci --file-prefix="$pfx" -m $mem --single-file-segments \
		--vdev "net_pcap0,rx_pcap=$PC/$4.pcap,infinite_rx=1" --vdev "net_virtio_user0,$vdev" \
		-- --forward-mode=io --nb-cores=1 --txd=4096 --rxd=1024 --mbuf-size=256 --max-pkt-len=96 \
		--total-num-mbufs=$mb --stats-period 3600 < /dev/null > "$lg" 2>&1 &
	FEED_PID=$!; started "$FEED_PID"
}
feeder_go() { # $1 log: a retry feeder's prompt (after its pcap is loaded and, with server=1,
	# the switch connected), then io with retry: a burst waits up to 1 s for ring space
	wait_for 600 grep -q 'testpmd>' "$1" || return 1
	printf 'set fwd io retry\nset burst tx delay 1 retry 1000000\nstart\n' >&6
}
# The vhost loop generator: two net_virtio_user ports, io forwarding, 'start tx_first 16'
# (16 bursts of 32 per port circulate), forwarding lcore 0, commands through a fifo.
# $1 prefix $2 log $3 devargs tail of port 0 $4 of port 1
start_loopgen() {
	local pfx=$1 lg=$2 fifo=$W/$1.fifo
	PREFIXES+=("$pfx")
	rm -f "$fifo"; mkfifo "$fifo"
	dpdk-testpmd -l 0-1 --main-lcore 1 --no-pci --file-prefix="$pfx" -m 256 --single-file-segments \
		--vdev "net_virtio_user0,$3" --vdev "net_virtio_user1,$4" \
		-- -i --forward-mode=io --nb-cores=1 --txd=1024 --rxd=1024 --total-num-mbufs=32768 \
		< "$fifo" > "$lg" 2>&1 &
	LOOP_PID=$!; started "$LOOP_PID"
	exec 6> "$fifo"
}
loopgen_go() { # $1 log, then a readiness test: wait for the prompt and the switch, start the loop
	local lg=$1; shift
	wait_for 150 grep -q 'testpmd>' "$lg" || return 1
	# The loop holds exactly the 2 x 16 x 32 packets tx_first puts in: one the switch drops
	# (a ring it has not enabled yet, its vid not yet published) never comes back.  Start
	# only when the switch polls both guests' rings; loop_lost() checks afterwards.
	[ $# -eq 0 ] || wait_for 50 "$@" || note "vhost loop: the switch was not ready after 10 s ($*)"
	echo "start tx_first 16" >&6
}
# The vhost scenarios couple two busy threads on the 2 cores (generator on 0, switch on 1):
# whenever either is preempted the other polls empty rings, so a co-runner on either core
# shows in the switch's figures, per-core normalisation or not.  Before each of their
# measurements wait (at most VHOST_QUIET_WAIT s, default 30, 5 with --quick) for a second in
# which the rest of the machine used less than VHOST_QUIET_CORES (default 0.3) cores; say so
# when it never came.
cpu_busy_jiffies() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8}' /proc/stat; }
vhost_wait_quiet() { # $1 label
	local t0=$SECONDS b0 a0 b1 a1 cores
	while :; do
		read -r b0 a0 < <(cpu_busy_jiffies); sleep 1; read -r b1 a1 < <(cpu_busy_jiffies)
		cores=$(awk -v b=$((b1 - b0)) -v a=$((a1 - a0)) -v n="$(nproc)" 'BEGIN {printf "%.2f", a ? b / a * n : 0}')
		awk -v c="$cores" -v m="${VHOST_QUIET_CORES:-0.3}" 'BEGIN {exit !(c < m)}' && return 0
		if [ $((SECONDS - t0)) -ge "${VHOST_QUIET_WAIT:-$((QUICK ? 5 : 30))}" ]; then
			note "$1: the machine stayed busy (other work: $cores cores in the last second)"
			return 0
		fi
	done
}
sluice_loop_ready() { # $1 ctl: both vhost ports have queue 0 on in both directions
	[ "$("$SLUICECTL" --ctl "$1" port stats 2>/dev/null | grep -c 'queue 0: rx (on) .* tx (on)')" = 2 ]
}
ovs_loop_ready() { # $1 appctl target: a PMD polls queue 0 of both vhost ports, enabled
	[ "$(ovs-appctl -t "$1" dpif-netdev/pmd-rxq-show 2>/dev/null |
		grep -cE 'port: vhu[01] +queue-id: +0 \(enabled\)')" = 2 ]
}
floor_loop_ready() { # $1 telemetry socket: both net_vhost ports report link up
	local i
	for i in 0 1; do
		"$PY" - "$1" "$i" <<'PYEOF' || return 1
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); s.recv(1024)
s.send(("/ethdev/link_status,%s" % sys.argv[2]).encode())
sys.exit(0 if json.loads(s.recv(4096).decode())["/ethdev/link_status"]["status"] == "UP" else 1)
PYEOF
	done
}
loop_lost() { # $1 generator log (after 'quit'): what the loop lost, as a note; 0 when nothing
	local d
	d=$(awk '/Accumulated forward statistics/{f=1} f && /RX-dropped|TX-dropped/{
		for (i = 1; i <= NF; i++) if ($i ~ /-dropped:/) n += $(i + 1) } END {print n + 0}' "$1")
	[ "$d" = 0 ] && return 0
	echo "the loop generator dropped $d packets (the loop shrank)"
}
gen_dead() { # $1 pid $2 log -> 0 (and GEN_WHY) when the generator testpmd has exited
	sleep 0.5
	kill -0 "$1" 2>/dev/null && return 1
	GEN_WHY="generator testpmd exited at start: $(tail_reason "$2") (free hugepages then: $(( $(hp_free) * HP_KB / 1024 )) MB)"
	return 0
}
stop_gen() { # $1 pid (feeder or loop generator) $2 prefix
	[ -n "$1" ] || return 0
	[ -n "${LIVE[$1]:-}" ] && { echo "quit" >&6; } 2>/dev/null
	{ exec 6>&-; } 2>/dev/null
	stop_pid "$1"
	if [ "$1" = "${LOOP_PID:-}" ]; then   # once: a later feeder could get the same PID
		local lost; lost=$(loop_lost "$W/log/$2.log")
		[ -z "$lost" ] || note "vhost loop $2: $lost"
		LOOP_PID=
	fi
	clean_prefix "$2"
}
trap '' PIPE    # a dead testpmd must not kill the script when it writes to its fifo

run_floor() { # scenario kind input round
	local sc=$1 kind=$2 pc=$3 r=$4 why pfx lg pid rc fmem=256 fmb=32768 vdevs sinks=1 gens=0
	case $sc in vhloop|vhost-rx) vhost_wait_quiet "$sc floor round $r" ;; esac
	local gpfx="" gpid=""
	case $kind in
	ctnew2)
		# testpmd io with two forwarding lcores needs a third lcore for its main thread
		json_missing "$sc" floor "$r" missing "no two-PMD floor: testpmd would need two forwarding lcores and a main lcore (3 on this 2-core machine); ct-setup's one-core floor applies"
		return ;;
	l2vh|ctvh)
		# the same feeder as the switches get, into testpmd's net_vhost -> io -> net_null
		why=$(hp_check $((fmem + 44 + $(feed_mb "$pc")))); [ -n "$why" ] && { json_missing "$sc" floor "$r" missing "${why#missing: }"; return; }
		N=$((N+1)); pfx=${TAG}_fl$N
		vdevs=(--vdev "net_vhost0,iface=$W/$pfx.gen.sock,queues=1" --vdev "net_null0,no-rx=1") ;;
	vhloop)
		# testpmd wired to itself: generator (virtio_user x2, core 0) <-> forwarder
		# (net_vhost x2, io, core 1); the forwarder's tx on both ports is the loop rate
		why=$(hp_check $((2 * fmem + 88))); [ -n "$why" ] && { json_missing "$sc" floor "$r" missing "${why#missing: }"; return; }
		N=$((N+1)); pfx=${TAG}_fl$N; sinks=0,1; gens=0,1
		vdevs=(--vdev "net_vhost0,iface=$W/$pfx.vh0.sock,queues=1" --vdev "net_vhost1,iface=$W/$pfx.vh1.sock,queues=1") ;;
	*)
		# a big pcap needs one mbuf per packet in the rx pool: the peer's FLOOR_MEM=640
		# FLOOR_MBUFS=140000 for udp_100k (pitfall 17)
		if [ "${NPK[$pc]}" -gt 20000 ]; then
			fmb=$(( ${NPK[$pc]} * 7 / 5 )); fmem=$(( fmb * 23 / 10000 + 200 ))
			[ $fmem -ge 640 ] || fmem=640
		fi
		why=$(hp_check $((fmem + 44))); [ -n "$why" ] && { json_missing "$sc" floor "$r" missing "${why#missing: }"; return; }
		N=$((N+1)); pfx=${TAG}_fl$N
		vdevs=(--vdev "net_pcap0,rx_pcap=$PC/$pc.pcap,infinite_rx=1" --vdev "net_null0,no-rx=1") ;;
	esac
	lg=$W/log/$pfx.log; PREFIXES+=("$pfx")
	dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --file-prefix="$pfx" -m $fmem "${vdevs[@]}" \
		-- --forward-mode=io --nb-cores=1 --total-num-mbufs=$fmb --stats-period 3600 \
		< /dev/null > "$lg" 2>&1 &
	pid=$!; started "$pid"
	case $kind in
	l2vh|ctvh)
		gpfx=${pfx}g
		wait_for 100 test -S "$W/$pfx.gen.sock"
		start_feeder "$gpfx" "$W/log/$gpfx.log" "path=$W/$pfx.gen.sock,queues=1,queue_size=4096" "$pc" \
			"$([ "$kind" = ctvh ] && echo retry)"
		gpid=$FEED_PID
		gen_dead "$gpid" "$W/log/$gpfx.log" && { json_missing "$sc" floor "$r" missing "$GEN_WHY"; stop_gen "$gpid" "$gpfx"; stop_pid "$pid"; clean_prefix "$pfx"; return; }
		[ "$kind" = ctvh ] && { feeder_go "$W/log/$gpfx.log" || note "floor $sc round $r: feeder gave no prompt ($W/log/$gpfx.log)"; } ;;
	vhloop)
		gpfx=${pfx}g
		wait_for 100 test -S "$W/$pfx.vh1.sock"
		start_loopgen "$gpfx" "$W/log/$gpfx.log" "path=$W/$pfx.vh0.sock,queues=1,queue_size=1024" \
			"path=$W/$pfx.vh1.sock,queues=1,queue_size=1024"
		gpid=$LOOP_PID
		loopgen_go "$W/log/$gpfx.log" floor_loop_ready "/var/run/dpdk/$pfx/dpdk_telemetry.v2" ||
			note "floor $sc round $r: loop generator gave no prompt ($W/log/$gpfx.log)" ;;
	esac
	local wopt=()   # ct-*-1m: the window after one whole pass (all connections made)
	[ "$kind" = ctvh ] && wopt=(--warm-packets "${NPK[$pc]}")
	"${MEASURE[@]}" --system floor --pid "$pid" --scenario "$sc" --round "$r" \
		--sink-ports $sinks --gen-ports $gens "${wopt[@]}" \
		--telemetry "/var/run/dpdk/$pfx/dpdk_telemetry.v2" >> "$RAW" \
		|| log "floor $sc round $r: $(tail -n1 "$RAW" | cut -c1-300) $(tail_reason "$lg")"
	stop_gen "$gpid" "$gpfx"
	stop_pid "$pid"; rc=$?
	[ $rc = 0 ] || note "testpmd ($sc round $r) exited with status $rc after SIGTERM, log $lg"
	clean_prefix "$pfx"
}

sluice_steps() { # kind input sink_mtu prefix -> the sluicectl commands, one a line
	local kind=$1 pc=$2 mtu=$3 pfx=$4 n=${NPK[$2]:-0}
	local sinkmtu=""; [ "$mtu" != - ] && sinkmtu=" mtu=$mtu"
	local gen="port add gen dpdk net_pcap0,rx_pcap=$PC/$pc.pcap,infinite_rx=1 n_mbufs=$((n + 4096))"
	case $kind in
	vhloop)
		echo "flow del"
		echo "port add vhu0 vhost-user $W/$pfx.vhu0.sock"
		echo "port add vhu1 vhost-user $W/$pfx.vhu1.sock"
		echo "flow add in_port=vhu0,actions=output:vhu1"
		echo "flow add in_port=vhu1,actions=output:vhu0"
		return ;;
	esac
	# rule first where it can be, then the generator: no packet is flooded by 'normal'
	echo "port add sink dpdk net_null0,no-rx=1$sinkmtu"
	echo "flow del"
	case $kind in
	l2)     echo "$gen"; echo "flow add in_port=gen,actions=output:sink" ;;
	l2vh)   echo "port add gen vhost-user $W/$pfx.gen.sock"
	        echo "flow add in_port=gen,actions=output:sink" ;;
	ctvh)   # the rules come after the feeder has connected (run_sluice): the memory before
	        # them is the baseline of the memory per connection (the table is made with them)
	        # table 1 first: no packet reaches ct() before every rule is in place
	        echo "port add gen vhost-user $W/$pfx.gen.sock"
	        ct_rules sink | tac | sed 's/^/flow add /' ;;
	ctnew2) # two rx queues, one pcap (half the tuples) each, one per PMD; rules first (ct)
	        ct_rules sink | sed 's/^/flow add /'
	        echo "port add gen dpdk net_pcap0,rx_pcap=$PC/udp_200k_h0.pcap,rx_pcap=$PC/udp_200k_h1.pcap,infinite_rx=1 rxq=2 n_mbufs=$((n + 4096))" ;;
	masks)  echo "$gen"; masks_rules gen sink | sed 's/^/flow add /' ;;
	ct|ctnew)
		# the rules before the generator (they name no port): otherwise the packets that
		# arrive while the rules go in one by one decide how a connection starts.  A TCP
		# connection first seen mid-stream from its B->A side (loose pickup) has its
		# directions swapped, and every replayed SYN and SYN/ACK is then +inv
		# (tcp_bad_transition, 2 of tcp_1conn's 67 packets dropped in one round, 0 in the
		# next); with the rules first the pcap's first SYN creates it, as in OVS, which
		# never picks up mid-stream
		ct_rules sink | sed 's/^/flow add /'; echo "$gen" ;;
	encap|ctvx)
		echo "ip addr add $VTEP_L/24 dev sink"
		echo "neigh add $VTEP_R $VTEP_R_MAC dev sink"
		echo "port add vx0 vxlan local_ip=$VTEP_L remote_ip=$VTEP_R key=$VNI"
		if [ $kind = encap ]; then echo "$gen"; echo "flow add in_port=gen,actions=output:vx0"
		else ct_rules vx0 | sed 's/^/flow add /'; echo "$gen"; fi ;;   # ct: rules first, as above
	decap)
		echo "$gen"
		echo "ip addr add $VTEP_L/24 dev gen"
		echo "port add vx0 vxlan local_ip=$VTEP_L remote_ip=$VTEP_R key=$VNI"
		echo "flow add in_port=vx0,actions=output:sink" ;;
	esac
}

run_sluice() { # scenario kind input round sink_mtu
	local sc=$1 kind=$2 pc=$3 r=$4 mtu=$5 why pfx lg ctl pid rc npk=${NPK[$3]:-0} i need
	local gpfx="" gpid="" sinks=sink gens=gen
	case $sc in vhloop|vhost-rx) vhost_wait_quiet "$sc sluice round $r" ;; esac
	[ -n "$SLUICE_MISSING" ] && { json_missing "$sc" sluice "$r" missing "${SLUICE_MISSING#missing: }"; return; }
	# shared pool (--mbufs 32768) + the generator's pool (npk + 4096), ~2.3 KB each, on demand
	need=$(( 256 + npk * 23 / 10000 ))
	case $kind in l2vh) need=$(( 256 + $(feed_mb "$pc") )) ;; vhloop) need=$(( 256 + 300 )) ;; esac
	[ "$kind" = ctvh ] && need=$(( 256 + $(feed_mb "$pc") + CT1M_MB ))
	why=$(hp_check $need); [ -n "$why" ] && { json_missing "$sc" sluice "$r" missing "${why#missing: }"; return; }
	N=$((N+1)); pfx=${TAG}_sl$N; lg=$W/log/$pfx; ctl=$W/$pfx.ctl; PREFIXES+=("$pfx")
	# one PMD on lcore 1 (CPU 1); ct-setup-2pmd: a second PMD, lcore 2, on CPU 0 beside the
	# control thread (the machine has 2 cores)
	local lcores=(-l 0-1)
	[ "$kind" = ctnew2 ] && lcores=(--lcores "0@0,1@1,2@0")
	"$SLUICED" "${lcores[@]}" --no-pci --file-prefix "$pfx" -- --ctl "$ctl" --log-file "$lg.log" \
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
	local step out ok=1 steps fed=0 tel=/var/run/dpdk/$pfx/dpdk_telemetry.v2
	mapfile -t steps < <(sluice_steps "$kind" "$pc" "$mtu" "$pfx")
	for step in "${steps[@]}"; do
		if [ "$kind" = ctvh ] && [ "$fed" = 0 ] && [ "${step#flow add}" != "$step" ]; then
			# ct-*-1m: the feeder first (its vhost-user port's mempool exists then), the
			# memory baseline once its packets arrive (table misses, dropped), then the
			# rules (they create the connection table)
			fed=1; gpfx=${pfx}g
			start_feeder "$gpfx" "$W/log/$gpfx.log" "path=$W/$pfx.gen.sock,queues=1,queue_size=4096" "$pc" retry
			gpid=$FEED_PID
			if gen_dead "$gpid" "$W/log/$gpfx.log"; then
				json_missing "$sc" sluice "$r" missing "$GEN_WHY"; ok=0; break
			fi
			feeder_go "$W/log/$gpfx.log" || note "sluice $sc round $r: feeder gave no prompt ($W/log/$gpfx.log)"
			wait_for 300 sluice_port_rx "${C[@]}" gen \
				|| note "sluice $sc round $r: no packet from the feeder within 60 s before the rules"
			"$PY" "$HERE/lib/ctmem.py" snap "$pid" "$tel" > "$lg.mem0.json"
		fi
		# shellcheck disable=SC2086
		if ! out=$("${C[@]}" $step 2>&1); then
			# a stage that has not landed: the command it needs is refused (this is how
			# ct() and vxlan ports show up before their branches are merged)
			json_missing "$sc" sluice "$r" missing "sluice refused \`$step\`: $out"
			note "sluicectl --ctl CTL $step -> $out"
			ok=0; break
		fi
		echo "\$ sluicectl $step"$'\n'"$out" >> "$lg.setup"
	done
	if [ $ok = 1 ]; then
		case $kind in
		l2vh)
			gpfx=${pfx}g
			start_feeder "$gpfx" "$W/log/$gpfx.log" "path=$W/$pfx.gen.sock,queues=1,queue_size=4096" "$pc"
			gpid=$FEED_PID
			gen_dead "$gpid" "$W/log/$gpfx.log" && { json_missing "$sc" sluice "$r" missing "$GEN_WHY"; ok=0; } ;;
		ctnew2)
			"${C[@]}" pmd rxq >> "$lg.setup" 2>&1 ;;
		vhloop)
			gpfx=${pfx}g; sinks=vhu0,vhu1; gens=vhu0,vhu1
			start_loopgen "$gpfx" "$W/log/$gpfx.log" "path=$W/$pfx.vhu0.sock,queues=1,queue_size=1024" \
				"path=$W/$pfx.vhu1.sock,queues=1,queue_size=1024"
			gpid=$LOOP_PID
			loopgen_go "$W/log/$gpfx.log" sluice_loop_ready "$ctl" ||
				note "sluice $sc round $r: loop generator gave no prompt ($W/log/$gpfx.log)" ;;
		esac
		"${C[@]}" flow dump --names >> "$lg.setup" 2>&1
	fi
	if [ $ok = 1 ]; then
		local ctopt=()
		case $kind in ct) ctopt=(--ct) ;; ctvh) ctopt=(--ct --warm-packets "${NPK[$pc]}") ;; esac
		if [ "$kind" = ctnew ] || [ "$kind" = ctnew2 ]; then
			ctnew_sluice "$sc" "$r" "$pid" "$ctl" "$lg" "$kind"
		else
			"${MEASURE[@]}" --system sluice --pid "$pid" --scenario "$sc" --round "$r" \
				--sink-ports $sinks --gen-ports $gens "${ctopt[@]}" \
				--sluicectl "$SLUICECTL" --ctl "$ctl" >> "$RAW" \
				|| log "sluice $sc round $r: $(tail -n1 "$RAW" | cut -c1-300)"
		fi
		if [ "$kind" = ctvh ] && [ -s "$lg.mem0.json" ]; then
			"$PY" "$HERE/lib/ctmem.py" snap "$pid" "$tel" > "$lg.mem1.json"
			"${C[@]}" --json ct stats > "$lg.ctstats.json" 2>&1
			"$PY" "$HERE/lib/ctmem.py" record "$sc" sluice "$r" "$lg.mem0.json" "$lg.mem1.json" \
				"$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print((d[0] if isinstance(d, list) else d)["count"])' "$lg.ctstats.json")" \
				"$lg.ctstats.json" >> "$CTMEM" || note "$sc sluice round $r: no memory-per-connection record"
		fi
		case $kind in ct|ctvh|ctnew|ctnew2) "${C[@]}" ct stats > "$lg.ctstats.txt" 2>&1 ;; esac
		case $kind in
		ctnew|ctnew2) ;; # their windows are setup bursts: no steady state to split
		*)
			# Where the cycles go: a window of its own after the measured one, with 'pmd stats
			# detail on', whose TSC reads per stage add cycles of their own (the table in the
			# report gives both totals).
			if "${C[@]}" pmd stats detail on > /dev/null 2>&1 &&
				"${C[@]}" pmd stats clear > /dev/null 2>&1; then
				sleep "$STAGE_DUR"
				"${C[@]}" --json pmd stats > "$lg.stages.json" 2>&1
				"$PY" "$HERE/lib/report.py" --stage-record "$sc" "$r" "$lg.stages.json" >> "$STAGES" ||
					note "$sc sluice round $r: no stage record ($lg.stages.json)"
			fi
			"${C[@]}" pmd stats detail off > /dev/null 2>&1 ;;
		esac
		{ "${C[@]}" show; "${C[@]}" port stats; "${C[@]}" pmd stats; } > "$lg.end" 2>&1
		if [ $kind = masks ]; then
			"${C[@]}" --json megaflow dump > "$lg.megaflows.json" 2>&1
			"${C[@]}" megaflow dump > "$lg.megaflows.txt" 2>&1
			"${C[@]}" --json pmd stats > "$lg.pmdstats.json" 2>&1
			"$PY" "$HERE/lib/masks.py" --system sluice --scenario "$sc" --round "$r" \
				--dump "$lg.megaflows.json" --pmd "$lg.pmdstats.json" >> "$MASKS" \
				|| note "$sc sluice round $r: could not count megaflow masks ($lg.megaflows.json)"
		fi
	fi
	stop_gen "$gpid" "$gpfx"
	stop_pid "$pid"; rc=$?
	[ $rc = 0 ] || note "sluiced ($sc round $r) exited with status $rc after SIGTERM (README: should be 0), logs $lg.*"
	clean_prefix "$pfx"
}

ovs_flows() { # kind -> the OpenFlow rules of the integration bridge (OVS_BR), ofport numbers:
	# gen 1, sink 2 (one-bridge kinds), patch-int 3, vxlan0 10, vhu0 1 / vhu1 2
	case $1 in
	l2|l2vh) echo "in_port=1,actions=output:2" ;;
	ctvh)    ct_rules 2 ;;
	vhloop)  echo "in_port=1,actions=output:2"; echo "in_port=2,actions=output:1" ;;
	masks)   masks_rules 1 2 ;;
	ct|ctnew|ctnew2) ct_rules 2 ;;
	encap)   echo "in_port=1,actions=output:10" ;;
	ctvx)    ct_rules 10 ;;
	decap)   echo "in_port=10,actions=output:3" ;;
	esac
}

run_ovs() { # scenario kind input round sink_mtu
	local sc=$1 kind=$2 pc=$3 r=$4 mtu=$5 why pfx d dbpid vpid rc i need=$OVS_HP_MB pmdmask=0x2
	[ "$kind" = ctnew2 ] && pmdmask=0x3   # ct-setup-2pmd: PMDs on cores 1 and 0
	local gpfx="" gpid="" sinks=sink gens=gen tun=0
	case $sc in vhloop|vhost-rx) vhost_wait_quiet "$sc ovs round $r" ;; esac
	case $kind in encap|decap|ctvx) tun=1 ;; esac
	[ -n "$OVS_MISSING" ] && { json_missing "$sc" ovs "$r" missing "${OVS_MISSING#missing: }"; return; }
	case $kind in l2vh|ctvh) need=$(( need + $(feed_mb "$pc") )) ;; esac
	[ $kind = vhloop ] && need=$(( need + 300 ))
	why=$(hp_check "$need"); [ -n "$why" ] && { json_missing "$sc" ovs "$r" missing "${why#missing: }"; return; }
	for i in ovs-netdev $OVS_BR $OVS_PHY; do
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
		other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask="$pmdmask" \
		other_config:dpdk-socket-mem="$OVS_SOCKET_MEM" other_config:dpdk-extra="--no-pci --file-prefix=$pfx"
	TAPS+=(ovs-netdev "$OVS_BR")      # created by the netdev datapath, persistent: ours (checked)
	[ $tun = 1 ] && TAPS+=("$OVS_PHY")
	"$VSW" unix:"$d/db.sock" --pidfile="$d/ovs-vswitchd.pid" --unixctl="$d/vswitchd.ctl" \
		--log-file="$d/ovs-vswitchd.log" < /dev/null > "$d/ovs-vswitchd.out" 2>&1 &
	vpid=$!; started "$vpid"
	local ok=1 sinkbr=$OVS_BR genbr=$OVS_BR mtuopt=() gendev="net_pcap0,rx_pcap=$PC/$pc.pcap,infinite_rx=1"
	local genopt=()
	if [ "$kind" = ctnew2 ]; then
		# as sluice's: two rx queues, one half of the tuples each, queue 0 pinned to the
		# PMD on core 1 and queue 1 to the one on core 0
		gendev="net_pcap0,rx_pcap=$PC/udp_200k_h0.pcap,rx_pcap=$PC/udp_200k_h1.pcap,infinite_rx=1"
		genopt=(options:n_rxq=2 "other_config:pmd-rxq-affinity=0:1,1:0")
	fi
	[ "$mtu" != - ] && mtuopt=(mtu_request="$mtu")
	[ $tun = 1 ] && sinkbr=$OVS_PHY
	[ $kind = decap ] && genbr=$OVS_PHY
	(
	  "${V[@]}" add-br $OVS_BR -- set bridge $OVS_BR datapath_type=netdev || exit 1
	  "${OF[@]}" del-flows $OVS_BR || exit 1
	  if [ $tun = 1 ]; then
		# the peer's topology: a second netdev bridge owns the underlay (its tap stays DOWN
		# with the VTEP address, so the kernel installs no route), joined by patch ports
		"${V[@]}" add-br $OVS_PHY -- set bridge $OVS_PHY datapath_type=netdev \
			other-config:hwaddr=$VTEP_L_MAC || exit 1
		"${OF[@]}" del-flows $OVS_PHY || exit 1
		"${V[@]}" add-port $OVS_BR patch-int -- set Interface patch-int type=patch \
			options:peer=patch-phy ofport_request=3 \
		  -- add-port $OVS_PHY patch-phy -- set Interface patch-phy type=patch \
			options:peer=patch-int ofport_request=3 || exit 1
		"${V[@]}" add-port $OVS_BR vxlan0 -- set Interface vxlan0 type=vxlan \
			options:remote_ip=$VTEP_R options:local_ip=$VTEP_L options:key=$VNI ofport_request=10 || exit 1
		ip addr add $VTEP_L/24 dev $OVS_PHY || exit 1
		# OVS learns the address asynchronously (peer pitfall 24)
		for i in $(seq 1 20); do "${A[@]}" ovs/route/add $VTEP_R/32 $OVS_PHY && break; sleep 0.5; done
		"${A[@]}" ovs/route/show | grep -q "$VTEP_R/32" || exit 1
		"${A[@]}" tnl/neigh/set $OVS_PHY $VTEP_R $VTEP_R_MAC || exit 1
		"${OF[@]}" add-flow $OVS_PHY "in_port=3,actions=output:2" || exit 1
		if [ $kind = decap ]; then    # VXLAN to br-phy's address: tunnel pop at LOCAL
			"${OF[@]}" add-flow $OVS_PHY "in_port=1,actions=LOCAL" || exit 1
		else                          # encapsulated packets leave through br-phy's LOCAL
			"${OF[@]}" add-flow $OVS_PHY "in_port=LOCAL,actions=output:2" || exit 1
		fi
	  fi
	  case $kind in
	  vhloop) ;;
	  *) "${V[@]}" add-port $sinkbr sink -- set Interface sink type=dpdk \
		"options:dpdk-devargs=net_null0,no-rx=1" ofport_request=2 "${mtuopt[@]}" || exit 1 ;;
	  esac
	  ovs_flows $kind > "$d/flows.txt"
	  "${OF[@]}" add-flows $OVS_BR "$d/flows.txt" || exit 1
	  case $kind in
	  l2vh|ctvh|vhloop) ;;
	  *) "${V[@]}" add-port $genbr gen -- set Interface gen type=dpdk \
		"options:dpdk-devargs=$gendev" ofport_request=1 "${genopt[@]}" || exit 1 ;;
	  esac
	) > "$d/setup.log" 2>&1 || ok=0
	if [ $ok = 1 ] && { [ "$kind" = l2vh ] || [ "$kind" = ctvh ]; }; then
		# the feeder serves the socket (server=1) and blocks in its probe until OVS connects
		# (peer pitfall 19): add the port as soon as the socket exists
		gpfx=${pfx}g; gens=vhu0
		start_feeder "$gpfx" "$W/log/$gpfx.log" "path=$d/vhu0.sock,server=1,queues=1,queue_size=4096" "$pc" \
			"$([ "$kind" = ctvh ] && echo retry)"
		gpid=$FEED_PID
		wait_for 100 test -S "$d/vhu0.sock"
		if gen_dead "$gpid" "$W/log/$gpfx.log"; then echo "$GEN_WHY" >> "$d/setup.log"; ok=0; fi
		# ct-*-1m: the memory baseline, rules in place and no connection yet (OVS's
		# conntrack allocates each connection with malloc: VmRSS grows)
		[ "$kind" = ctvh ] && "$PY" "$HERE/lib/ctmem.py" snap "$vpid" > "$d/mem0.json"
		[ $ok = 1 ] && "${V[@]}" add-port $OVS_BR vhu0 -- set Interface vhu0 type=dpdkvhostuserclient \
			options:vhost-server-path="$d/vhu0.sock" ofport_request=1 >> "$d/setup.log" 2>&1 || ok=0
		# (server=1: the prompt comes once OVS has connected)
		[ $ok = 1 ] && [ "$kind" = ctvh ] && { feeder_go "$W/log/$gpfx.log" || note "ovs $sc round $r: feeder gave no prompt ($W/log/$gpfx.log)"; }
	fi
	if [ $ok = 1 ] && [ $kind = vhloop ]; then
		gpfx=${pfx}g; sinks=vhu0,vhu1; gens=vhu0,vhu1
		start_loopgen "$gpfx" "$W/log/$gpfx.log" "path=$d/vhu0.sock,server=1,queues=1,queue_size=1024" \
			"path=$d/vhu1.sock,server=1,queues=1,queue_size=1024"
		gpid=$LOOP_PID
		for i in 0 1; do
			wait_for 100 test -S "$d/vhu$i.sock"
			"${V[@]}" add-port $OVS_BR vhu$i -- set Interface vhu$i type=dpdkvhostuserclient \
				options:vhost-server-path="$d/vhu$i.sock" ofport_request=$((i + 1)) >> "$d/setup.log" 2>&1 || ok=0
		done
		[ $ok = 1 ] && { loopgen_go "$W/log/$gpfx.log" ovs_loop_ready "$d/vswitchd.ctl" ||
			note "ovs $sc round $r: loop generator gave no prompt"; }
	fi
	if [ $ok = 0 ]; then
		json_missing "$sc" ovs "$r" missing "OVS setup failed: $(tail -n1 "$d/setup.log") $(tail_reason "$d/ovs-vswitchd.log")"
	else
		local ctopt=()
		case $kind in ct|ctvh) ctopt=(--ct --ovs-bridge "$OVS_BR") ;; esac
		[ "$kind" = ctvh ] && ctopt+=(--warm-packets "${NPK[$pc]}")
		if [ "$kind" = ctnew ] || [ "$kind" = ctnew2 ]; then
			ctnew_ovs "$sc" "$r" "$vpid" "$dbpid" "$d" "$kind"
		else
			"${MEASURE[@]}" --system ovs --pid "$vpid" --extra-pid "$dbpid" --scenario "$sc" --round "$r" \
				--sink-ports $sinks --gen-ports $gens "${ctopt[@]}" \
				--appctl-target "$d/vswitchd.ctl" >> "$RAW" \
				|| log "ovs $sc round $r: $(tail -n1 "$RAW" | cut -c1-300)"
		fi
		if [ "$kind" = ctvh ] && [ -s "$d/mem0.json" ]; then
			"$PY" "$HERE/lib/ctmem.py" snap "$vpid" > "$d/mem1.json"
			"$PY" "$HERE/lib/ctmem.py" record "$sc" ovs "$r" "$d/mem0.json" "$d/mem1.json" \
				"$("${A[@]}" dpctl/ct-get-nconns 2>/dev/null | tr -dc 0-9)" >> "$CTMEM" \
				|| note "$sc ovs round $r: no memory-per-connection record"
		fi
		case $kind in ct|ctvh|ctnew|ctnew2) "${A[@]}" dpctl/ct-stats-show > "$d/ctstats.txt" 2>&1 ;; esac
		[ "$kind" = ctnew2 ] && "${A[@]}" dpif-netdev/pmd-rxq-show > "$d/pmd-rxq.txt" 2>&1
		{ "${OF[@]}" dump-flows $OVS_BR; [ $tun = 1 ] && "${OF[@]}" dump-flows $OVS_PHY;
		  "${A[@]}" dpctl/dump-flows; "${A[@]}" dpctl/show -s;
		  "${A[@]}" dpif-netdev/pmd-stats-show; ip -o link show $OVS_BR; } > "$d/end.txt" 2>&1
		if [ $kind = masks ]; then
			"${A[@]}" dpctl/dump-flows > "$d/dpflows.txt" 2>&1
			"${A[@]}" dpif-netdev/pmd-stats-show > "$d/pmdstats.txt" 2>&1
			"${A[@]}" dpif-netdev/subtable-lookup-info-get > "$d/subtable-lookup-info.txt" 2>&1
			"$PY" "$HERE/lib/masks.py" --system ovs --scenario "$sc" --round "$r" \
				--dump "$d/dpflows.txt" --pmd "$d/pmdstats.txt" \
				--info "$d/subtable-lookup-info.txt" >> "$MASKS" \
				|| note "$sc ovs round $r: could not count datapath flow masks ($d/dpflows.txt)"
		fi
		for i in $OVS_BR $OVS_PHY; do
			ip -o link show $i 2>/dev/null | grep -q 'state UP' && note "OVS bridge tap $i was UP ($sc round $r)"
		done
	fi
	stop_gen "$gpid" "$gpfx"
	"${V[@]}" --if-exists del-br $OVS_BR >> "$d/setup.log" 2>&1
	"${V[@]}" --if-exists del-br $OVS_PHY >> "$d/setup.log" 2>&1
	stop_pid "$vpid"; rc=$?    # OVS re-raises SIGTERM after its cleanup: 143 is its clean exit
	[ $rc = 0 ] || [ $rc = 143 ] || note "ovs-vswitchd ($sc round $r) exit status $rc after SIGTERM"
	stop_pid "$dbpid"
	for i in "${TAPS[@]}"; do ip link del "$i" 2>/dev/null; done
	TAPS=()
	clean_prefix "$pfx"
}

# ct-setup: windows of (pause the generator, flush conntrack, run ~0.6 x 200k packets, pause),
# see lib/ctnew.py; the floor is testpmd io on the same udp_200k input (rx + tx only)
CTNEW=(measure "$PY" "$HERE/lib/ctnew.py" --tsc-mhz "$TSC_MHZ" --warm "$WARM")
ctnew_windows() { local w; w=$(awk -v d="$DUR" 'BEGIN{w=int(d*2); if(w<3)w=3; if(w>10)w=10; print w}'); echo "$w"; }
ctnew_sluice() { # scenario round pid ctl logprefix kind
	local gen="port add gen dpdk net_pcap0,rx_pcap=$PC/udp_200k.pcap,infinite_rx=1 n_mbufs=$(( ${NPK[udp_200k]} + 4096 ))"
	local pmds=1
	# ct-setup-2pmd: the port exactly as sluice_steps added it (two queues, a half each)
	[ "$6" = ctnew2 ] && { gen=$(sluice_steps ctnew2 udp_200k - - | grep '^port add gen'); pmds=2; }
	"${CTNEW[@]}" --system sluice --pid "$3" --scenario "$1" --round "$2" --windows "$(ctnew_windows)" \
		--sluicectl "$SLUICECTL" --ctl "$4" --pmds "$pmds" --gen-cmd "$gen" \
		>> "$RAW" || log "sluice $1 round $2: $(tail -n1 "$RAW" | cut -c1-300)"
}
ctnew_ovs() { # scenario round vswitchd-pid ovsdb-pid dir kind
	local pmds=1; [ "$6" = ctnew2 ] && pmds=2
	"${CTNEW[@]}" --system ovs --pid "$3" --extra-pid "$4" --scenario "$1" --round "$2" --pmds "$pmds" \
		--windows "$(ctnew_windows)" --appctl-target "$5/vswitchd.ctl" \
		>> "$RAW" || log "ovs $1 round $2: $(tail -n1 "$RAW" | cut -c1-300)"
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
log "work dir $W; rounds $ROUNDS, warm-up ${WARM}s, window ${DUR}s; TSC ${TSC_MHZ} MHz${ONLY:+; --only '$ONLY'}"
for ent in "${SCENARIOS[@]}"; do
	IFS=: read -r sc kind pc mtu <<< "$ent"; mtu=${mtu:--}
	for r in $(seq 1 "$ROUNDS"); do
		for k in 0 1 2; do   # rotate the order every round: no system always goes first
			sys=${SYSTEMS[$(( (k + r - 1) % 3 ))]}
			selected "$sc" "$sys" "$r" || continue
			if [ "$pc" != - ] && [ -n "${PCAP_MISSING[$pc]:-}" ]; then
				json_missing "$sc" "$sys" "$r" missing "${PCAP_MISSING[$pc]#missing: }"; continue
			fi
			log "$sc round $r/$ROUNDS: $sys"
			"run_$sys" "$sc" "$kind" "$pc" "$r" "$mtu"
			tail -n1 "$RAW" | "$PY" -c 'import json,sys; r=json.loads(sys.stdin.read())
if r.get("status")=="ok": print("   %-6s %7.2f %s/core  %6.2f wall  %6.1f cyc/%s  cpu_share %.2f%s" % (r["system"], r["mpps_core"], r.get("unit", "Mpps"), r["mpps_wall"], r.get("cyc_pkt") or 0, "conn" if r.get("unit") else "pkt", r["cpu_share"], "" if r.get("saturated", True) else "  (not saturated: capacity %.2f Mpps)" % r["capacity_mpps"]), file=sys.stderr)'
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
	M_PC=$PC M_SCEN="${SCENARIOS[*]}" M_PCAPGEN=$PCAPGEN
"$PY" - "$W/meta.json" <<'EOF'
import hashlib, json, os, platform, sys
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
    "pcap_md5": {f[:-5]: hashlib.md5(open(os.path.join(e["M_PC"], f), "rb").read()).hexdigest()
                 for f in sorted(os.listdir(e["M_PC"])) if f.endswith(".pcap")},
    "scenarios": [dict(zip(("name", "kind", "input", "sink_mtu"), (x.split(":") + ["-"])[:4]))
                  for x in e["M_SCEN"].split()],
    "pcapgen": e["M_PCAPGEN"],
    "notes": [l.rstrip() for l in open(e["M_NOTES"]) if l.strip()],
    "workdir": e["M_W"],
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
EOF
"$PY" "$HERE/lib/report.py" --raw "$RAW" --meta "$W/meta.json" --masks "$MASKS" --ctmem "$CTMEM" \
	--stages "$STAGES" \
	--md "$OUTDIR/results.md" --json "$OUTDIR/results.json" --png-dir "$OUTDIR"
