-- block_sched: when each warp starts and stops, and on which SM.
--
-- One record per warp (level "warp", cap 1): start and stop are %clock64
-- at kernel entry and at the warp's exit (the SM's cycle counter: compare
-- them only between warps of the same SM), sm is %smid.  Read it as a
-- per-SM timeline: stop - start is the warp's lifetime in cycles.
local nt = require "ntrace"
return nt.probe "block_sched" {
  level = "warp",
  map = nt.map { start = "u64", stop = "u64", sm = "u32", cap = 1 },
  nt.at "kernel.entry" (function(p)
    p.rec.start = nt.clock64()
    p.rec.sm = nt.smid()
  end),
  nt.at "kernel.exit" (function(p)
    p.rec.stop = nt.clock64()
    p:save()
  end),
}
