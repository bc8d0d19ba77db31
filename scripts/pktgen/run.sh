#!/usr/bin/env bash
# Standard throughput tests against sluice with pktgen-dpdk (see README.md beside this file).
#
# usage: scripts/pktgen/run.sh TEST [options]
#   TEST     single    one UDP flow at each frame size (lua/single_flow.lua)
#            range     PG_FLOWS flows (source IP x port) at each frame size (lua/range.lua)
#            rfc2544   RFC 2544 throughput search per frame size (rfc2544.py, pktgen backend)
#            selftest  the same runner logic without pktgen: tcpreplay + testpmd (CI)
#   --attach vhost     (default) this script starts sluiced with two vhost-user ports pg0, pg1
#                      (pg0 -> pg1 and pg1 -> pg0) and pktgen with two net_virtio_user ports
#   --attach phys --sluice-pci A,B --pktgen-pci X,Y
#                      NICs: cable pktgen X <-> sluice A and sluice B <-> pktgen Y; this
#                      script binds nothing (bind them to vfio-pci first, README "With a NIC")
#   --sizes 64,512,1518   frame sizes on the wire (FCS included)
#   --dur S            seconds per size (single/range, default 10)
#   --rate PCT         percent of line rate (single/range, default 100)
#   --flows N          range: distinct flows (default 10000)
#   --trial S          rfc2544: trial length (default 10; RFC 2544 says 60)
#   --resolution F     rfc2544: stop when the interval is below F x line rate (default 0.005)
#   --loss-ppm N       rfc2544: tolerated loss (default 0)
#   --link-gbps G      rfc2544: line rate to search from (default: what pktgen reports;
#                      virtio_user reports 10 Gbit/s)
# Environment: PKTGEN (the pktgen binary; default: `pktgen` on PATH), SLUICE_BUILD (default
#   build), PKTGEN_LCORES (default 0,1), PKTGEN_MAP (default "1.[0-1]": lcore 1 runs rx+tx of
#   both ports), SLUICE_LCORES (default 0-1: PMD on lcore 1), PKTGEN_MEM (MB, default 1024).
# On a 2-core machine pktgen's worker and sluice's PMD share a core: use a bigger machine (or
# NICs) for numbers; the defaults only prove the wiring.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

TEST=${1:-}; [ $# -gt 0 ] && shift
ATTACH=vhost; SIZES=64,512,1518; DUR=10; RATE=100; FLOWS=10000; TRIAL=10; RES=0.005; LOSS=0
SL_PCI=; PG_PCI=; LINK=
while [ $# -gt 0 ]; do
	case $1 in
	--attach) ATTACH=${2:?}; shift ;;
	--sizes) SIZES=${2:?}; shift ;;
	--dur) DUR=${2:?}; shift ;;
	--rate) RATE=${2:?}; shift ;;
	--flows) FLOWS=${2:?}; shift ;;
	--trial) TRIAL=${2:?}; shift ;;
	--resolution) RES=${2:?}; shift ;;
	--loss-ppm) LOSS=${2:?}; shift ;;
	--link-gbps) LINK=${2:?}; shift ;;
	--sluice-pci) SL_PCI=${2:?}; shift ;;
	--pktgen-pci) PG_PCI=${2:?}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
case $TEST in
single|range|rfc2544) ;;
selftest) exec "$HERE/selftest.sh" "${SLUICE_BUILD:-$REPO/build}" ;;
*) usage >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (hugepages, DPDK)" >&2; exit 2; }

# ------------------------------------------------------------------ pktgen
PKTGEN=${PKTGEN:-$(command -v pktgen || command -v dpdk-pktgen || true)}
if [ -z "$PKTGEN" ] || [ ! -x "$PKTGEN" ]; then
	cat >&2 <<'EOF'
run.sh: pktgen-dpdk not found ($PKTGEN unset and no `pktgen` on PATH).

pktgen-dpdk is not a Debian package.  Build it against Debian's DPDK 22.11 (libdpdk-dev):
  apt-get install libdpdk-dev meson ninja-build pkg-config libnuma-dev libpcap-dev liblua5.3-dev
  # the pktgen-dpdk sources from the DPDK project (a release that builds against DPDK 22.11,
  # e.g. pktgen-22.07.1 or 23.03.x), then in its directory:
  meson setup build -Denable_lua=true && ninja -C build
  export PKTGEN=$PWD/build/app/pktgen      # or copy it onto PATH
Lua support (-Denable_lua=true) is required: the tests are Lua scripts and the RFC 2544
search drives pktgen over its Lua socket (-G).  Without pktgen, `run.sh selftest` exercises
the same runner logic with tcpreplay and dpdk-testpmd.
EOF
	exit 3
fi

BUILD=${SLUICE_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
SLUICED=$BUILD/src/sluiced; SLUICECTL=$BUILD/src/sluicectl
[ -x "$SLUICED" ] || "$REPO/scripts/setup.sh" || exit 1
W=$(mktemp -d /tmp/sluice-pktgen.XXXXXX)
PFX=slpk$$
declare -A LIVE=()
stop_pid() {
	local p=$1 i
	[ -n "${LIVE[$p]:-}" ] || return 0
	unset "LIVE[$p]"
	kill -TERM "$p" 2>/dev/null
	for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}
cleanup() {
	local p
	exec 7>&- 2>/dev/null
	for p in "${!LIVE[@]}"; do stop_pid "$p"; done
	rm -f /dev/hugepages/${PFX}* 2>/dev/null
	rm -rf /var/run/dpdk/${PFX}* 2>/dev/null
	echo "logs in $W" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# hugepages: pktgen's pools + sluiced's (on demand)
need=$(( ${PKTGEN_MEM:-1024} + 512 ))
mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages; }
free=$(( $(awk '/HugePages_Free/{print $2}' /proc/meminfo) * $(awk '/Hugepagesize/{print $2}' /proc/meminfo) / 1024 ))
if [ $free -lt $need ]; then
	echo "run.sh: only $free MB of free hugepages, need $need (raise /proc/sys/vm/nr_hugepages)" >&2
	exit 1
fi

# ------------------------------------------------------------------ sluiced
CTL=$W/sluiced.ctl
SL_ARGS=(-l "${SLUICE_LCORES:-0-1}" --file-prefix "${PFX}sl")
case $ATTACH in
vhost) SL_ARGS+=(--no-pci) ;;
phys)
	[ -n "$SL_PCI" ] && [ -n "$PG_PCI" ] || { echo "run.sh: --attach phys needs --sluice-pci A,B and --pktgen-pci X,Y" >&2; exit 2; }
	SL_ARGS+=(-a "${SL_PCI%%,*}" -a "${SL_PCI##*,}") ;;
*) echo "run.sh: --attach vhost|phys" >&2; exit 2 ;;
esac
"$SLUICED" "${SL_ARGS[@]}" -- --ctl "$CTL" --log-file "$W/sluiced.log" < /dev/null > "$W/sluiced.out" 2>&1 &
SPID=$!; LIVE[$SPID]=1
C=("$SLUICECTL" --ctl "$CTL")
for i in $(seq 1 100); do "${C[@]}" version > /dev/null 2>&1 && break; sleep 0.2; done
"${C[@]}" flow del > /dev/null || { echo "run.sh: sluiced did not start, see $W/sluiced.*" >&2; exit 1; }
if [ $ATTACH = vhost ]; then
	"${C[@]}" port add pg0 vhost-user "$W/pg0.sock" && "${C[@]}" port add pg1 vhost-user "$W/pg1.sock" || exit 1
	PG_DEV=(--no-pci --single-file-segments --vdev "net_virtio_user0,path=$W/pg0.sock,queues=1"
		--vdev "net_virtio_user1,path=$W/pg1.sock,queues=1")
else
	"${C[@]}" port add pg0 dpdk "${SL_PCI%%,*}" && "${C[@]}" port add pg1 dpdk "${SL_PCI##*,}" || exit 1
	PG_DEV=(-a "${PG_PCI%%,*}" -a "${PG_PCI##*,}")
fi
"${C[@]}" flow add in_port=pg0,actions=output:pg1 > /dev/null
"${C[@]}" flow add in_port=pg1,actions=output:pg0 > /dev/null
"${C[@]}" port list

# ------------------------------------------------------------------ pktgen
export PG_SIZES=$SIZES PG_DUR=$DUR PG_RATE=$RATE PG_FLOWS=$FLOWS PG_LUA_DIR=$HERE/lua PG_TX=0 PG_RX=1
PG=("$PKTGEN" -l "${PKTGEN_LCORES:-0,1}" -m "${PKTGEN_MEM:-1024}" --file-prefix "${PFX}pg" "${PG_DEV[@]}"
	-- -P -T -m "${PKTGEN_MAP:-1.[0-1]}")
# pktgen reads its command line from stdin: a fifo that stays open
mkfifo "$W/pg.in"
case $TEST in
single|range)
	script=$HERE/lua/$([ $TEST = single ] && echo single_flow || echo range).lua
	(cd "$HERE/lua" && exec "${PG[@]}" -f "$script") < "$W/pg.in" > "$W/pktgen.log" 2>&1 &
	PPID_=$!; LIVE[$PPID_]=1; exec 7> "$W/pg.in"
	n=$(echo "$SIZES" | tr ',' '\n' | wc -l)
	deadline=$(( $(date +%s) + 60 + n * (DUR + 5) ))
	while kill -0 $PPID_ 2>/dev/null && [ "$(date +%s)" -lt $deadline ]; do sleep 1; done
	echo "frame B  tx Mpps  rx Mpps  loss %   ($TEST, ${RATE}% of line rate, ${DUR} s per size)"
	tr -d '\r' < "$W/pktgen.log" | awk '/^RESULT/{printf "%7d %8.3f %8.3f %8.4f\n", $3, $6, $7, $8}'
	grep -q '^RESULT' "$W/pktgen.log" || { echo "no RESULT from pktgen, see $W/pktgen.log" >&2; exit 1; }
	;;
rfc2544)
	(cd "$HERE/lua" && exec "${PG[@]}" -G) < "$W/pg.in" > "$W/pktgen.log" 2>&1 &
	PPID_=$!; LIVE[$PPID_]=1; exec 7> "$W/pg.in"
	for i in $(seq 1 120); do
		"$(command -v python3)" -c 'import socket; socket.create_connection(("127.0.0.1", 22022), 1)' 2>/dev/null && break
		kill -0 $PPID_ 2>/dev/null || { echo "pktgen exited, see $W/pktgen.log" >&2; exit 1; }
		sleep 0.5
	done
	/usr/bin/python3 "$HERE/rfc2544.py" --backend pktgen --sizes "$SIZES" --duration "$TRIAL" \
		--resolution "$RES" --loss-ppm "$LOSS" ${LINK:+--link-gbps $LINK} --json "$W/rfc2544.json"
	echo "pktgen.quit()" | /usr/bin/python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1", 22022)); s.sendall(sys.stdin.buffer.read())' 2>/dev/null
	;;
esac
"${C[@]}" port stats > "$W/sluice-port-stats.txt" 2>&1
"${C[@]}" pmd stats > "$W/sluice-pmd-stats.txt" 2>&1
