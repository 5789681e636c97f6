-- branch_divergence: at each branch (bra), how many lanes are
-- active and how many take the branch.  Per warp: `branches`
-- branches executed, `divergent` of them split the warp (some lanes take
-- it, some do not), `active_lanes` summed over the branches (divide by
-- `branches` for the average occupancy of the warp at branches).
local nt = require "ntrace"
return nt.probe "branch_divergence" {
  level = "warp",
  counters = { branches = "u64", divergent = "u64", active_lanes = "u64" },
  nt.before "bra" (function(p)
    local active = nt.active_lanes()
    local taking = nt.warp_sum(nt.select(p.guard, 1, 0))
    p.cnt.branches = p.cnt.branches + 1
    p.cnt.active_lanes = p.cnt.active_lanes + nt.u64(active)
    nt.when(taking:gt(0) & taking:lt(active), function()
      p.cnt.divergent = p.cnt.divergent + 1
    end)
  end),
}
