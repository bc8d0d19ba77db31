-- SPDX-License-Identifier: BSD-3-Clause
-- Shared settings of the sluice pktgen scripts, from the environment (scripts/pktgen/run.sh
-- sets them):
--   PG_TX / PG_RX    pktgen port that sends / receives (default 0 / 1)
--   PG_SIZES         frame sizes on the wire, FCS included (default "64,512,1518")
--   PG_RATE          percent of line rate (default 100)
--   PG_DUR           seconds per size (default 10)
--   PG_FLOWS         range.lua: distinct flows (source IP x source port, default 10000)
--   PG_DST_MAC       destination MAC (sluice forwards by in_port, any unicast MAC works)
-- Frames: UDP 10.1.0.1:1024 -> 10.2.0.1:5000, the benchmark's addresses.
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local M = {}
M.tx = os.getenv("PG_TX") or "0"
M.rx = os.getenv("PG_RX") or "1"
M.rate = tonumber(os.getenv("PG_RATE") or "100")
M.dur = tonumber(os.getenv("PG_DUR") or "10")
M.flows = tonumber(os.getenv("PG_FLOWS") or "10000")
M.dst_mac = os.getenv("PG_DST_MAC") or "02:00:00:00:00:02"
M.sizes = {}
for s in string.gmatch(os.getenv("PG_SIZES") or "64,512,1518", "%d+") do
	table.insert(M.sizes, tonumber(s))
end

function M.base()
	pktgen.stop("all")
	pktgen.set_proto(M.tx, "udp")
	pktgen.set_mac(M.tx, "dst", M.dst_mac)
	pktgen.set_ipaddr(M.tx, "dst", "10.2.0.1")
	pktgen.set_ipaddr(M.tx, "src", "10.1.0.1/16")
	pktgen.set(M.tx, "sport", 1024)
	pktgen.set(M.tx, "dport", 5000)
	pktgen.set(M.tx, "rate", M.rate)
	pktgen.set(M.tx, "count", 0)
end

-- Runs one size for M.dur seconds; prints one machine-readable line:
-- RESULT mode size tx_pkts rx_pkts tx_mpps rx_mpps loss_pct
function M.run_size(mode, size)
	pktgen.clr()
	pktgen.delay(200)
	pktgen.start(M.tx)
	pktgen.delay(M.dur * 1000)
	pktgen.stop(M.tx)
	pktgen.delay(500)
	local st = pktgen.portStats("all", "port")
	local tx, rx = st[tonumber(M.tx)].opackets, st[tonumber(M.rx)].ipackets
	local loss = 0
	if tx > 0 then loss = 100.0 * (tx - rx) / tx end
	printf("RESULT %s %d %d %d %.3f %.3f %.4f\n", mode, size, tx, rx,
	       tx / M.dur / 1e6, rx / M.dur / 1e6, loss)
end

return M
