-- mem_wait: cycles from a global load to the first use of its result.
--
-- %clock64 is read right after each ld.global issues and again just
-- before the first instruction that reads the loaded register (in the same
-- straight-line code); the difference, summed per warp, is `wait`, over
-- `loads` loads.  A load whose result is not used before a branch or label
-- is not counted.
local nt = require "ntrace"
return nt.probe "mem_wait" {
  level = "warp",
  counters = { wait = "u64", loads = "u32" },
  nt.first_use "ld.global*" (function(p)
    p.cnt.wait = p.cnt.wait + (nt.clock64() - p.issue_clock)
    p.cnt.loads = p.cnt.loads + 1
  end),
}
