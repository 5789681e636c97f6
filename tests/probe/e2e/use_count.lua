-- Test probe (tests/probe/e2e): every thread counts the first uses of its
-- global loads (nt.first_use fires once per load that is used).
local nt = require "ntrace"
return nt.probe "use_count" {
  level = "thread",
  counters = { uses = "u32" },
  nt.first_use "ld.global*" (function(p) p.cnt.uses = p.cnt.uses + 1 end),
}
