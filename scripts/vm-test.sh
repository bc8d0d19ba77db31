#!/usr/bin/env bash
# vm-test.sh: two real QEMU guests (TCG) on sluice's vhost-user ports.
#
#   guest A 10.99.0.1 -- vm1 (vhost-user) -- sluiced (normal) -- vm2 (vhost-user) -- guest B 10.99.0.2
#
# --switch server: sluice serves both sockets (vhost-user ports), QEMU connects as a client
#   with reconnect=1.  --switch client: QEMU serves them (server=on), sluice connects and
#   reconnects (vhost-user-client ports).  --switch both (default) runs one after the other.
# Guest RAM: memfd, share=on; no hugepages anywhere.  Uses the guest rig in ../shared/vm
# (build-guest.sh, run-guest.sh; VM_RIG=DIR overrides).
#   Phase 1: A pings B (--count), then sends --mb MiB over TCP to B (busybox nc).
#   Phase 1b (VXLAN): sluice gets an underlay port (net_af_packet on a veth) and a VXLAN
#            port; the far end of the veth is a network namespace where a Linux kernel
#            vxlan device (VNI 100, dstport 4789, overlay MTU 1450) is the remote VTEP and
#            holds the overlay host 10.99.0.3.  Guest A (MTU 1450) pings it and sends it
#            --vx-mb MiB over TCP; the namespace pings guest B and sends it the same.
#   Phase 2: A pings B every 0.5 s; sluiced is killed (SIGKILL; in server mode its sockets
#            stay behind) and
#            restarted with the same config while both guests keep running; checks that
#            replies resume and reports how long after the restart the first one came.
# Prints PASS/FAIL lines, timings and sluice's port counters; exits 0 if all passed.
#
#   scripts/vm-test.sh [--switch server|client|both] [--workdir DIR] [--count N] [--mb N]
#                      [--down SEC] [--build DIR] [--vx-mb N] [--no-vxlan]
#
# Every process it starts is stopped by its PID on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RIG=${VM_RIG:-$ROOT/../shared/vm}
WORK=/tmp/sluice-vm-test COUNT=10 MB=4 DOWN=1 BUILD=$ROOT/build SWITCH=both VX_MB=1 VXLAN=1
while [ $# -gt 0 ]; do
    case "$1" in
        --switch) SWITCH=$2; shift ;;
        --workdir) WORK=$2; shift ;;
        --count) COUNT=$2; shift ;;
        --mb) MB=$2; shift ;;
        --down) DOWN=$2; shift ;;
        --build) BUILD=$2; shift ;;
        --vx-mb) VX_MB=$2; shift ;;
        --no-vxlan) VXLAN=0 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "vm-test: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
# Run through bash: a copied rig may have lost its exec bits.
[ -f "$RIG/run-guest.sh" ] || { echo "vm-test: no guest rig in $RIG (set VM_RIG)" >&2; exit 2; }
[ -x "$BUILD/src/sluiced" ] || { echo "vm-test: build sluice first (scripts/setup.sh)" >&2; exit 2; }
case "$SWITCH" in server|client|both) ;; *) echo "vm-test: --switch server|client|both" >&2; exit 2 ;; esac
mkdir -p "$WORK"
GDIR=$WORK/guest
bash "$RIG/build-guest.sh" "$GDIR" >"$WORK/build-guest.out" 2>&1 ||
    { cat "$WORK/build-guest.out"; echo "vm-test: build-guest.sh failed" >&2; exit 1; }

T_START=$(date +%s.%N)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    vx_teardown
}
forget() {
    local p n=()
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || n+=("$p"); done
    PIDS=("${n[@]}")
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FAIL=0 N_PASS=0 N_FAIL=0
say() { echo "vm-test: $*"; }
check() {
    if eval "$2"; then
        say "PASS $1"; N_PASS=$((N_PASS + 1))
    else
        say "FAIL $1"; FAIL=1; N_FAIL=$((N_FAIL + 1))
    fi
}
elapsed() { echo "$(date +%s.%N) - $1" | bc | xargs printf '%.1f'; }
W=  # the current mode's directory
CTL() { "$BUILD/src/sluicectl" --ctl "$W/ctl.sock" "$@"; }

SLUICED=""
start_sluiced() {   # $1 = log suffix
    "$BUILD/src/sluiced" -l 0-1 --no-huge --no-pci -m 512 --no-telemetry \
        --file-prefix "sluice_vmtest_$$" -- --config "$W/sluice.conf" \
        --ctl "$W/ctl.sock" --log-file "$W/sluiced-$1.log" --pmd-sleep-max 200 \
        >>"$W/sluiced-$1.log" 2>&1 &
    SLUICED=$!
    PIDS+=($SLUICED)
    for _ in $(seq 100); do
        CTL version >/dev/null 2>&1 && return 0
        kill -0 $SLUICED 2>/dev/null || break
        sleep 0.1
    done
    cat "$W/sluiced-$1.log"; say "sluiced did not start"; exit 1
}
port_stats() {
    CTL port stats | grep -E '^port|rx:|tx:|drops:|vhost:|features:|queue' | sed 's/^/    /'
}

# The guest is interrupted at most once per burst: per port, guest notifications stay at or
# below the dequeue and enqueue calls that moved packets (plus tx retries).
check_notify() {
    local line
    while read -r line; do
        say "  $line"
        case "$line" in
            *" OK") N_PASS=$((N_PASS + 1)) ;;
            *) FAIL=1; N_FAIL=$((N_FAIL + 1)) ;;
        esac
    done < <(CTL --json port stats | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    v = p.get("vhost")
    if v is None:
        continue
    b = sum(q["rx_bursts"] + q["tx_bursts"] + q["tx_retries"] for q in v["queues"])
    n = v["guest_notifications"]
    print("%s: %d guest notifications for %d bursts %s" % (p["name"], n, b, "OK" if n <= b else "TOO MANY"))')
}

# ---- Phase 1b: a guest reaches a Linux VXLAN peer through sluice's VXLAN port.
#
#   guest A 10.99.0.1 -- vm1 --+                              namespace $VX_NS
#                              sluiced -- vx (VNI 100) -- ul ==veth== Linux vxlan vx0 10.99.0.3
#   guest B 10.99.0.2 -- vm2 --+   192.168.77.1 on ul (af_packet)     192.168.77.2, MTU 1450
#
# The namespace and veth live for the whole run (made once, deleted on exit); each sluiced
# gets the ul and vx ports at run time and loses them again before phase 2.
VX_NS=slvx$$ VX_UL=slvu$$ VX_PEER=slvp$$ VX_MADE=0
VX_HOST=10.99.0.3 VX_HOST_MAC=02:00:00:99:00:03
vx_teardown() {
    [ "$VX_MADE" = 1 ] || return 0
    ip netns del "$VX_NS" 2>/dev/null
    ip link del "$VX_UL" 2>/dev/null
    VX_MADE=0
}
vx_setup() {
    [ "$VX_MADE" = 1 ] && return 0
    VX_MADE=1
    # No address of ours outside the namespace: the root side of the veth gets none, not even
    # an IPv6 link-local one (disabled before it goes up); sluice reads it raw (af_packet).
    # Checksum offload off on both ends: af_packet would see CHECKSUM_PARTIAL frames with
    # unfinished checksums (and the namespace's kernel would trust sluice's frames blindly).
    ip netns add "$VX_NS" &&
    ip link add "$VX_UL" type veth peer name "$VX_PEER" &&
    ip link set "$VX_PEER" netns "$VX_NS" &&
    sysctl -qw "net.ipv6.conf.$VX_UL.disable_ipv6=1" &&
    ethtool -K "$VX_UL" tx off >/dev/null &&
    ip link set "$VX_UL" up &&
    ip netns exec "$VX_NS" sh -ec "
        ip link set lo up
        ethtool -K $VX_PEER tx off >/dev/null
        ip link set $VX_PEER up
        ip addr add 192.168.77.2/24 dev $VX_PEER
        ip link add vx0 type vxlan id 100 local 192.168.77.2 remote 192.168.77.1 \\
            dstport 4789 dev $VX_PEER
        ip link set vx0 address $VX_HOST_MAC mtu 1450 up
        ip addr add $VX_HOST/24 dev vx0"
}
# $1 port $2 counter: the counter's value in 'port stats --json' (any section), or -1.
pstat() {
    CTL --json port stats "$1" 2>/dev/null | python3 -c '
import json, sys
def find(o, k):
    if isinstance(o, dict):
        if k in o and isinstance(o[k], int):
            return o[k]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = find(v, k)
            if r is not None:
                return r
    return None
r = find(json.load(sys.stdin), sys.argv[1])
print(-1 if r is None else r)' "$2" 2>/dev/null || echo -1
}
# A TCP sink in the namespace: one connection, writes the byte count to $1 at EOF.
VX_SINK='import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[2], 5001)); s.listen(1); s.settimeout(120)
c, _ = s.accept(); c.settimeout(60); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
open(sys.argv[1], "w").write("%d\n" % n); c.close()'
# A TCP source in the namespace: $2 bytes of a repeating pattern to $1:5001.
VX_SRC='import socket, sys, time
n = int(sys.argv[2]); chunk = bytes(range(256)) * 256
for i in range(100):
    try:
        c = socket.create_connection((sys.argv[1], 5001), timeout=30); break
    except OSError:
        time.sleep(0.2)
while n > 0:
    k = min(n, len(chunk)); c.sendall(chunk[:k]); n -= k
c.shutdown(socket.SHUT_WR); c.settimeout(30)
while c.recv(4096): pass'
# Guest A: MTU 1450 (the overlay's), waits for the overlay host, pings it, sends it $MB MiB.
VX_GUEST_CMD='ip link set eth0 mtu 1450
i=0; until ping -c 1 -W 1 $PEER >/dev/null 2>&1; do i=$((i+1)); [ $i -ge 60 ] && break; done
ping -c $COUNT -i 0.2 $PEER >/tmp/p 2>&1; r=$?
echo "RIG-RESULT vxping $(grep -E "transmitted|round-trip" /tmp/p | tr "\n" " ")"
dd if=/dev/zero bs=1048576 count=$MB 2>/dev/null | nc $PEER 5001; n=$?
echo "RIG-RESULT vxtcp-send rc=$n bytes=$((MB * 1048576))"
[ $r -eq 0 ] && [ $n -eq 0 ]'

run_vxlan() {   # $1 = server|client
    local sw=$1 T1 A SINK B_RECV0 B_LAST bytes=$((VX_MB * 1048576)) nsb=$((VX_MB * 1048576 + 4321))
    say "phase 1b: guest A <-> Linux VXLAN peer $VX_HOST (namespace $VX_NS) through sluice's vx port"
    T1=$(date +%s.%N)
    if ! vx_setup; then
        check "[$sw] namespace with a Linux vxlan VTEP set up" false
        return
    fi
    CTL port add ul dpdk "net_af_packet0,iface=$VX_UL" >/dev/null &&
    CTL port add vx vxlan local_ip=192.168.77.1 remote_ip=192.168.77.2 key=100 >/dev/null &&
    CTL ip addr add 192.168.77.1/24 dev ul >/dev/null &&
    CTL flow del >/dev/null &&
    # ul: only what the underlay did not consume (ARP/ICMP for us, VXLAN) reaches the tables;
    # drop it, no guest needs raw underlay frames.  vx: decapsulated frames to the guest
    # whose MAC they carry, broadcasts (the peer's ARP) to both.  Towards the peer: its MAC
    # and ARP for its address.  Guest to guest as before, without a flood to ul or vx.
    CTL flow add priority=200,in_port=ul,actions=drop >/dev/null &&
    CTL flow add priority=100,in_port=vx,dl_dst=52:54:00:99:00:01,actions=output:vm1 >/dev/null &&
    CTL flow add priority=100,in_port=vx,dl_dst=52:54:00:99:00:02,actions=output:vm2 >/dev/null &&
    CTL flow add priority=90,in_port=vx,actions=output:vm1,output:vm2 >/dev/null &&
    CTL flow add priority=100,dl_dst=$VX_HOST_MAC,actions=output:vx >/dev/null &&
    CTL flow add priority=100,arp,arp_tpa=$VX_HOST,actions=output:vx >/dev/null &&
    CTL flow add priority=10,in_port=vm1,actions=output:vm2 >/dev/null &&
    CTL flow add priority=10,in_port=vm2,actions=output:vm1 >/dev/null
    check "[$sw] underlay port ul (af_packet), vx port and flows added" "[ $? -eq 0 ]"

    rm -f "$W/vx-sink.out"
    ip netns exec "$VX_NS" timeout 150 python3 -c "$VX_SINK" "$W/vx-sink.out" "$VX_HOST" \
        >"$W/vx-sink.log" 2>&1 & SINK=$!
    PIDS+=($SINK)
    "${G[@]}" --sock "$W/vhu0.sock" --mac 52:54:00:99:00:01 --ip 10.99.0.1/24 \
        --peer "$VX_HOST" --role cmd --cmd "$VX_GUEST_CMD" --count "$COUNT" --mb "$VX_MB" \
        --log "$W/guestA-vxlan.log" --timeout 300 >"$W/guestA-vxlan.out" 2>&1
    A=$?
    sed 's/^/    /' "$W/guestA-vxlan.out"
    wait $SINK 2>/dev/null; forget $SINK
    check "[$sw] guest A pings the VXLAN peer ($COUNT/$COUNT answered)" \
        "grep -aq 'RIG-RESULT vxping $COUNT packets transmitted, $COUNT packets received, 0% packet loss' '$W/guestA-vxlan.log'"
    check "[$sw] tcp guest A -> VXLAN peer $VX_MB MiB (peer received $(cat "$W/vx-sink.out" 2>/dev/null || echo nothing))" \
        "[ \"\$(cat '$W/vx-sink.out' 2>/dev/null)\" = $bytes ] && [ $A -eq 0 ]"

    # The other way: the peer pings guest B and sends it a transfer of its own size.
    B_RECV0=$(grep -ac 'RIG-RESULT tcp-recv' "$W/guestB.log")
    ip netns exec "$VX_NS" ping -q -c "$COUNT" -i 0.2 -W 2 10.99.0.2 >"$W/vx-ping-b.out" 2>&1
    check "[$sw] VXLAN peer pings guest B: $(grep -o '[0-9]* received' "$W/vx-ping-b.out")" \
        "grep -q ' $COUNT received, 0% packet loss' '$W/vx-ping-b.out'"
    ip netns exec "$VX_NS" timeout 120 python3 -c "$VX_SRC" 10.99.0.2 $nsb >"$W/vx-src.log" 2>&1
    for _ in $(seq 50); do
        [ "$(grep -ac 'RIG-RESULT tcp-recv' "$W/guestB.log")" -gt "$B_RECV0" ] && break
        sleep 0.2
    done
    B_LAST=$(grep -a 'RIG-RESULT tcp-recv' "$W/guestB.log" | tail -n1 | tr -d '\r')
    check "[$sw] tcp VXLAN peer -> guest B $nsb bytes (${B_LAST#RIG-RESULT })" \
        "[ $(grep -ac 'RIG-RESULT tcp-recv' "$W/guestB.log") -gt $B_RECV0 ] && echo '$B_LAST' | grep -q 'bytes=$nsb '"

    # Counters: both directions went through the tunnel, nothing was too big or corrupted.
    local enc dec big bad
    enc=$(pstat vx encap_packets) dec=$(pstat ul decap_packets)
    big=$(pstat vx encap_too_big) bad=$(pstat ul decap_bad_outer_csum)
    check "[$sw] sluice counters: encap $enc, decap $dec (> $((bytes / 1448)) each), encap_too_big $big, decap_bad_outer_csum $bad" \
        "[ $enc -gt $((bytes / 1448)) ] && [ $dec -gt $((bytes / 1448)) ] && [ $big -eq 0 ] && [ $bad -eq 0 ]"
    say "sluice ul/vx counters:"
    CTL port stats ul | sed 's/^/    /'; CTL port stats vx | sed 's/^/    /'
    # Back to the config's switch for phase 2.
    CTL flow del >/dev/null; CTL flow add priority=0,actions=normal >/dev/null
    CTL port del vx >/dev/null; CTL port del ul >/dev/null
    say "phase 1b took $(elapsed "$T1") s"
}

run_one() {   # $1 = server|client: sluice's side of the sockets
    local sw=$1 qmode ptype A A2 B RC N_KILL RESUME T1 T_RESTART
    W=$WORK/$sw
    mkdir -p "$W"
    rm -f "$W"/*.log "$W"/*.out "$W"/*.qemu "$W"/*.json
    if [ "$sw" = server ]; then qmode=client ptype=vhost-user; else qmode=server ptype=vhost-user-client; fi
    printf 'port add vm1 %s %s\nport add vm2 %s %s\n' "$ptype" "$W/vhu0.sock" "$ptype" "$W/vhu1.sock" \
        > "$W/sluice.conf"
    say "=== sluice $ptype ports, QEMU chardev $qmode, logs in $W"
    start_sluiced 1
    say "sluiced started (pid $SLUICED), sockets $W/vhu0.sock $W/vhu1.sock"
    G=(bash "$RIG/run-guest.sh" --guest "$GDIR" --mode "$qmode" --mem memfd)
    "${G[@]}" --sock "$W/vhu1.sock" --mac 52:54:00:99:00:02 --ip 10.99.0.2/24 \
        --peer 10.99.0.1 --role serve --log "$W/guestB.log" --timeout 900 \
        >"$W/guestB.out" 2>&1 & B=$!
    PIDS+=($B)

    say "phase 1: boot A+B, A pings B x$COUNT, then TCP $MB MiB A->B"
    T1=$(date +%s.%N)
    "${G[@]}" --sock "$W/vhu0.sock" --mac 52:54:00:99:00:01 --ip 10.99.0.1/24 \
        --peer 10.99.0.2 --role test --count "$COUNT" --mb "$MB" \
        --log "$W/guestA-test.log" --timeout 400 >"$W/guestA-test.out" 2>&1
    A=$?
    sed 's/^/    /' "$W/guestA-test.out"
    grep -a '^RIG-RESULT' "$W/guestB.log" | sed 's/^/    guest B: /'
    say "phase 1 took $(elapsed "$T1") s"
    check "[$sw] ping A->B through sluice" "grep -aq 'RIG-RESULT ping.* loss=0%' '$W/guestA-test.log'"
    check "[$sw] tcp A->B $MB MiB through sluice" \
        "grep -aq 'tcp-recv bytes=$((MB * 1048576))' '$W/guestB.log'"
    check "[$sw] guest A exit 0" "[ $A -eq 0 ]"
    check "[$sw] guest B (Linux virtio-net) negotiated mrg_rxbuf and event_idx" \
        "CTL --json port stats vm2 | grep -q '\"features\": \"mrg_rxbuf[^\"]*event_idx'"
    check_notify
    say "sluice port counters:"; port_stats
    [ "$VXLAN" = 1 ] && run_vxlan "$sw"

    say "phase 2: A pings B every 0.5 s; kill -9 sluiced, restart it ${DOWN}s later"
    "${G[@]}" --sock "$W/vhu0.sock" --mac 52:54:00:99:00:01 --ip 10.99.0.1/24 \
        --peer 10.99.0.2 --role ping --count 80 --interval 0.5 \
        --log "$W/guestA-restart.log" --timeout 400 >"$W/guestA-restart.out" 2>&1 & A2=$!
    PIDS+=($A2)
    replies() {
        [ -f "$W/guestA-restart.log" ] || { echo 0; return; }
        tr -d '\r' < "$W/guestA-restart.log" | grep -ac 'bytes from'
    }
    for _ in $(seq 1200); do
        [ "$(replies)" -ge 6 ] && break
        kill -0 $A2 2>/dev/null || break
        sleep 0.1
    done
    check "[$sw] pings answered before the restart" "[ $(replies) -ge 6 ]"
    kill -KILL $SLUICED; wait $SLUICED 2>/dev/null; forget $SLUICED
    N_KILL=$(replies)
    say "sluiced killed at $(date +%T) after $N_KILL replies; sockets left: $(ls "$W"/vhu*.sock 2>/dev/null | wc -l)"
    sleep "$DOWN"
    T_RESTART=$(date +%s.%N)
    start_sluiced 2
    say "sluiced restarted at $(date +%T) (pid $SLUICED)"
    RESUME=""
    for _ in $(seq 600); do
        if [ "$(replies)" -gt "$N_KILL" ]; then RESUME=$(elapsed "$T_RESTART"); break; fi
        kill -0 $A2 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$RESUME" ] && say "first reply ${RESUME} s after the restart" ||
        say "no reply after the restart"
    CTL --json port stats > "$W/stats-2.json"
    check "[$sw] both guests reconnected (links up while A pings)" \
        "[ \$(grep -o '\"link\": \"up\"' '$W/stats-2.json' | wc -l) -eq 2 ]"
    wait $A2; forget $A2
    sed 's/^/    /' "$W/guestA-restart.out"
    check "[$sw] traffic resumed after the sluiced restart" "[ -n '$RESUME' ]"
    check "[$sw] traffic resumed within 15 s" "[ -n '$RESUME' ] && [ \$(echo '$RESUME < 15' | bc) = 1 ]"
    check_notify
    say "sluice port counters since the restart:"; port_stats

    kill -TERM $B; wait $B 2>/dev/null; forget $B
    kill -TERM $SLUICED; wait $SLUICED; RC=$?; forget $SLUICED
    check "[$sw] sluiced exits 0 on SIGTERM" "[ $RC -eq 0 ]"
}

case "$SWITCH" in
    both) run_one server; run_one client ;;
    *) run_one "$SWITCH" ;;
esac
rm -rf "/var/run/dpdk/sluice_vmtest_$$"
say "total $(elapsed "$T_START") s, logs in $WORK"
[ $FAIL -eq 0 ] && say "ALL PASSED" || say "SOME CHECKS FAILED"
say "$N_PASS passed, $N_FAIL failed"
exit $FAIL
