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
#   Phase 2: A pings B every 0.5 s; sluiced is killed (SIGKILL; in server mode its sockets
#            stay behind) and
#            restarted with the same config while both guests keep running; checks that
#            replies resume and reports how long after the restart the first one came.
# Prints PASS/FAIL lines, timings and sluice's port counters; exits 0 if all passed.
#
#   scripts/vm-test.sh [--switch server|client|both] [--workdir DIR] [--count N] [--mb N]
#                      [--down SEC] [--build DIR]
#
# Every process it starts is stopped by its PID on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RIG=${VM_RIG:-$ROOT/../shared/vm}
WORK=/tmp/sluice-vm-test COUNT=10 MB=4 DOWN=1 BUILD=$ROOT/build SWITCH=both
while [ $# -gt 0 ]; do
    case "$1" in
        --switch) SWITCH=$2; shift ;;
        --workdir) WORK=$2; shift ;;
        --count) COUNT=$2; shift ;;
        --mb) MB=$2; shift ;;
        --down) DOWN=$2; shift ;;
        --build) BUILD=$2; shift ;;
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
