-- barrier_wait: cycles each warp spends waiting at block barriers.
--
-- %clock64 is read just before and just after every bar.sync / barrier.*
-- instruction; the difference is added to the warp's `wait` counter, and
-- `barriers` counts the barriers the warp passed.  With block_sched and
-- mem_wait this gives a per-warp breakdown: barrier / memory / other.
local nt = require "ntrace"
return nt.probe "barrier_wait" {
  level = "warp",
  counters = { wait = "u64", barriers = "u32" },
  vars = { t0 = "u64" },
  nt.before "bar.sync|bar.red|barrier.sync|barrier.red|barrier.cta|bar.cta" (function(p)
    p.var.t0 = nt.clock64()
  end),
  nt.after "bar.sync|bar.red|barrier.sync|barrier.red|barrier.cta|bar.cta" (function(p)
    p.cnt.wait = p.cnt.wait + (nt.clock64() - p.var.t0)
    p.cnt.barriers = p.cnt.barriers + 1
  end),
}
