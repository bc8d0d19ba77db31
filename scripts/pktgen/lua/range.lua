-- SPDX-License-Identifier: BSD-3-Clause
-- Many flows: PG_FLOWS distinct (source IP, source port) pairs, 10.1.0.1.. and 1024..,
-- destination 10.2.0.1:5000, at each size of PG_SIZES (settings: common.lua).  The source IP
-- steps through min..max and the source port through 1024..1024+99, so flows = IPs x 100.
package.path = package.path .. ";" .. (os.getenv("PG_LUA_DIR") or ".") .. "/?.lua"
local c = require "common"

local n_ip = math.max(1, math.floor(c.flows / 100))
local last = n_ip - 1
local max_ip = string.format("10.1.%d.%d", math.floor(last / 250), last % 250 + 1)

c.base()
local p = c.tx
pktgen.range.dst_mac(p, "start", c.dst_mac)
pktgen.range.dst_ip(p, "start", "10.2.0.1")
pktgen.range.dst_ip(p, "inc", "0.0.0.0")
pktgen.range.dst_ip(p, "min", "10.2.0.1")
pktgen.range.dst_ip(p, "max", "10.2.0.1")
pktgen.range.src_ip(p, "start", "10.1.0.1")
pktgen.range.src_ip(p, "inc", "0.0.0.1")
pktgen.range.src_ip(p, "min", "10.1.0.1")
pktgen.range.src_ip(p, "max", max_ip)
pktgen.range.src_port(p, "start", 1024)
pktgen.range.src_port(p, "inc", 1)
pktgen.range.src_port(p, "min", 1024)
pktgen.range.src_port(p, "max", 1024 + math.min(99, c.flows - 1))
pktgen.range.dst_port(p, "start", 5000)
pktgen.range.dst_port(p, "inc", 0)
pktgen.range.dst_port(p, "min", 5000)
pktgen.range.dst_port(p, "max", 5000)
pktgen.range.ip_proto(p, "udp")
pktgen.set_range(p, "on")
for _, size in ipairs(c.sizes) do
	pktgen.range.pkt_size(p, "start", size - 4)
	pktgen.range.pkt_size(p, "inc", 0)
	pktgen.range.pkt_size(p, "min", size - 4)
	pktgen.range.pkt_size(p, "max", size - 4)
	c.run_size("range", size)
end
if os.getenv("PG_QUIT") ~= "0" then pktgen.quit() end
