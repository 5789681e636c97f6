-- tensor_ops: tensor-core instructions executed per warp: mma and wmma
-- (warp-synchronous), and wgmma (warpgroup) issues.
local nt = require "ntrace"
return nt.probe "tensor_ops" {
  level = "warp",
  counters = { mma = "u64", wgmma = "u64" },
  nt.before "mma*|wmma.mma*" (function(p) p.cnt.mma = p.cnt.mma + 1 end),
  nt.before "wgmma.mma_async*" (function(p) p.cnt.wgmma = p.cnt.wgmma + 1 end),
}
