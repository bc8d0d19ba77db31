-- SPDX-License-Identifier: BSD-3-Clause
-- One UDP flow at each frame size of PG_SIZES, PG_RATE % of line rate, PG_DUR s each
-- (settings: common.lua).  Prints one RESULT line per size, then quits.
package.path = package.path .. ";" .. (os.getenv("PG_LUA_DIR") or ".") .. "/?.lua"
local c = require "common"

c.base()
pktgen.set_range(c.tx, "off")
for _, size in ipairs(c.sizes) do
	pktgen.set(c.tx, "size", size - 4)     -- pktgen sizes exclude the 4-byte FCS
	c.run_size("single", size)
end
if os.getenv("PG_QUIT") ~= "0" then pktgen.quit() end
