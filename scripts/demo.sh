#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs sluiced on
# config/demo.conf: a generated pcap replayed forever (net_pcap infinite_rx)
# through the pipeline into a null sink, with live per-port Mpps and PMD
# cycles/packet on screen for DURATION seconds; then stops it cleanly.
#   scripts/demo.sh [DURATION]      (default 10)
#   SLUICE_DEMO_FLOWS=N             flows in the generated pcap (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
FLOWS=${SLUICE_DEMO_FLOWS:-1000}
W=/tmp/sluice-demo
BUILD=${SLUICE_BUILD:-build}

scripts/setup.sh >/dev/null
mkdir -p "$W"
"$BUILD/scripts/pcapgen/sluice-pcapgen" --out "$W/demo.pcap" --flows "$FLOWS" --dport 5000

# Hugepages if we can have them, else run without.
MEM=(--no-huge -m 512)
if [ "$(id -u)" -eq 0 ]; then
	free_hp=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${free_hp:-0}" -lt 256 ]; then
		echo $(( $(awk '/HugePages_Total/ {print $2}' /proc/meminfo) + 256 )) \
			> /proc/sys/vm/nr_hugepages 2>/dev/null || true
	fi
	mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
	free_hp=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${free_hp:-0}" -ge 256 ] && mountpoint -q /dev/hugepages; then
		MEM=(--socket-mem 512 --in-memory)
	fi
fi
echo "demo: memory: ${MEM[*]}"

CTL=$W/sluiced.ctl
"$BUILD/src/sluiced" -l 0-1 --no-pci --file-prefix sluice-demo "${MEM[@]}" \
	-- --config config/demo.conf --ctl "$CTL" --log-file "$W/sluiced.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
CTLCMD=("$BUILD/src/sluicectl" --ctl "$CTL")
for _ in $(seq 1 100); do
	"${CTLCMD[@]}" version >/dev/null 2>&1 && break
	kill -0 $PID 2>/dev/null || { echo "demo: sluiced failed to start:"; cat "$W/sluiced.log"; exit 1; }
	sleep 0.2
done
"${CTLCMD[@]}" show
echo "demo: flows:"
"${CTLCMD[@]}" flow dump --names
echo
python3 - "$DURATION" "${CTLCMD[@]}" <<'PY'
import json, subprocess, sys, time
dur, ctl = int(sys.argv[1]), sys.argv[2:]
def q(*a):
    return json.loads(subprocess.run(ctl + ["--json", *a], check=True, capture_output=True, text=True).stdout)
prev, pt = None, None
print("%-6s %-8s %10s %10s %12s %10s" % ("time", "port", "rx Mpps", "tx Mpps", "pmd cyc/pkt", "pmd busy%"))
for i in range(dur + 1):
    ports, pmds, t = q("port", "stats"), q("pmd", "stats"), time.time()
    if prev is not None:
        dt = t - pt
        for p in ports:
            o = prev.get(p["name"])
            if o is None:
                continue
            rx = (p["rx_packets"] - o["rx_packets"]) / dt / 1e6
            tx = (p["tx_packets"] - o["tx_packets"]) / dt / 1e6
            busy = sum(x["busy_cycles"] for x in pmds) - pb
            idle = sum(x["idle_cycles"] for x in pmds) - pi
            pk = sum(x["packets"] for x in pmds) - pp
            print("%-6d %-8s %10.2f %10.2f %12.1f %10.1f" % (i, p["name"], rx, tx,
                  busy / pk if pk else 0, 100.0 * busy / (busy + idle) if busy + idle else 0))
    prev = {p["name"]: p for p in ports}
    pb = sum(x["busy_cycles"] for x in pmds); pi = sum(x["idle_cycles"] for x in pmds)
    pp = sum(x["packets"] for x in pmds); pt = t
    if i < dur:
        time.sleep(1)
PY
echo
"${CTLCMD[@]}" flow dump --names
"${CTLCMD[@]}" pmd stats
kill -TERM $PID
wait $PID && echo "demo: sluiced stopped cleanly"
trap - EXIT
