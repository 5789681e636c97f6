-- regions: when each warp enters and leaves each user region.
--
-- Regions are marked in CUDA C with ntrace/region.h:
--   NTRACE_REGION_BEGIN("load"); ... NTRACE_REGION_END("load");
-- One record per region end, per warp (up to 64): `region` is the
-- region's id (low 32 bits of nt_hash64(name); ntrace maps it back to
-- the name), `start` and `stop` are %clock64 at the begin and end markers.
-- Nested regions share one start register: record the innermost only.
-- Map `warp` holds each warp's lifetime as block_sched does (start, stop,
-- sm), so that `ntrace report` can nest the regions in their warps on the
-- SM x warp-slot timeline without a block_sched run of the same launch.
local nt = require "ntrace"
return nt.probe "regions" {
  level = "warp",
  map = nt.map { region = "u32", start = "u64", stop = "u64", cap = 64 },
  maps = { warp = nt.map { start = "u64", stop = "u64", sm = "u32", cap = 1 } },
  vars = { t0 = "u64" },
  nt.at "kernel.entry" (function(p)
    p.maps.warp.start = nt.clock64()
    p.maps.warp.sm = nt.smid()
  end),
  nt.at "region.begin:*" (function(p)
    p.var.t0 = nt.clock64()
  end),
  nt.at "region.end:*" (function(p)
    p.rec.stop = nt.clock64()
    p.rec.start = p.var.t0
    p.rec.region = p.region
    p:save()
  end),
  nt.at "kernel.exit" (function(p)
    p.maps.warp.stop = nt.clock64()
    p.maps.warp:save()
  end),
}
