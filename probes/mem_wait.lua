-- mem_wait: cycles from a global load to the first use of its result.
--
-- %clock64 is read right after each ld.global issues and again just
-- before the first instruction that reads the loaded register, on whatever
-- path the warp takes (other blocks, loops: each executed load is counted
-- once, at its first use); the difference, summed per warp, is `wait`,
-- over `loads` (one per group of lanes reaching a first use together).  A
-- load whose result is never read is not counted.
local nt = require "ntrace"
return nt.probe "mem_wait" {
  level = "warp",
  counters = { wait = "u64", loads = "u32" },
  nt.first_use "ld.global*" (function(p)
    p.cnt.wait = p.cnt.wait + (nt.clock64() - p.issue_clock)
    p.cnt.loads = p.cnt.loads + 1
  end),
}
