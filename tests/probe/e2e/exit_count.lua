-- Test probe (tests/probe/e2e): every thread counts its own exit, wherever
-- it leaves (a ret of the kernel or an exit inside a called function).
local nt = require "ntrace"
return nt.probe "exit_count" {
  level = "thread",
  counters = { exits = "u32" },
  nt.at "kernel.exit" (function(p) p.cnt.exits = p.cnt.exits + 1 end),
}
