-- Test probe (tests/probe/e2e): one record per thread of four u32 fields,
-- stored as two st.global.v2.b32 (vector stores); the decoder must read
-- each field where buf_record_layout puts it.
local nt = require "ntrace"
return nt.probe "pair_save" {
  level = "thread",
  map = nt.map { {"tid", "u32"}, {"lane", "u32"}, {"block", "u32"}, {"magic", "u32"} },
  cap = 1,
  nt.at "kernel.exit" (function(p)
    p.rec.tid = nt.tid.x; p.rec.lane = nt.laneid()
    p.rec.block = nt.ctaid.x; p.rec.magic = 0x5eed
    p:save()
  end),
}
