-- dmat: a memory-access timeline: %clock64, address and size of each
-- global load and store of a warp (the lowest active lane's address),
-- up to 256 records per warp; further accesses are counted as dropped.
local nt = require "ntrace"
return nt.probe "dmat" {
  level = "warp",
  map = nt.map { clock = "u64", addr = "u64", bytes = "u32", is_store = "u32", cap = 256 },
  nt.before "ld.global*" (function(p)
    p.rec.clock = nt.clock64()
    p.rec.addr = p.addr
    p.rec.bytes = p.bytes
    p.rec.is_store = 0
    p:save()
  end),
  nt.before "st.global*" (function(p)
    p.rec.clock = nt.clock64()
    p.rec.addr = p.addr
    p.rec.bytes = p.bytes
    p.rec.is_store = 1
    p:save()
  end),
}
