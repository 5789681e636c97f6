-- kernel_time: per block, %globaltimer (nanoseconds) at entry and exit.
--
-- Level "block": entry is recorded by the block's first thread, exit by
-- the last warp of the block to leave.  One record per block: start and
-- stop in ns of the GPU's global timer (comparable across SMs), and the SM.
local nt = require "ntrace"
return nt.probe "kernel_time" {
  level = "block",
  map = nt.map { start = "u64", stop = "u64", sm = "u32" },
  nt.at "kernel.entry" (function(p)
    p.rec.start = nt.globaltimer()
    p.rec.sm = nt.smid()
  end),
  nt.at "kernel.exit" (function(p)
    p.rec.stop = nt.globaltimer()
    p:save()
  end),
}
