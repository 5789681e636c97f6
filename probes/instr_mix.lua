-- instr_mix: executed warp-level instructions per class: loads, stores,
-- atomics, barriers, tensor ops, branches (per warp, one counters record).
local nt = require "ntrace"
return nt.probe "instr_mix" {
  level = "warp",
  counters = { loads = "u64", stores = "u64", atomics = "u64", barriers = "u64",
               tensor = "u64", branches = "u64" },
  nt.before "ld*" (function(p) p.cnt.loads = p.cnt.loads + 1 end),
  nt.before "st*" (function(p) p.cnt.stores = p.cnt.stores + 1 end),
  nt.before "atom*|red*" (function(p) p.cnt.atomics = p.cnt.atomics + 1 end),
  nt.before "bar*|barrier*" (function(p) p.cnt.barriers = p.cnt.barriers + 1 end),
  nt.before "mma*|wmma*|wgmma*" (function(p) p.cnt.tensor = p.cnt.tensor + 1 end),
  nt.before "bra" (function(p) p.cnt.branches = p.cnt.branches + 1 end),
}
