-- ntrace.lua — the probe language (docs/probe-language.md is its reference).
--
-- A probe script returns nt.probe "name" { spec..., handlers... }.  This
-- module builds the description; the C side (ntrace.core) runs each
-- handler once with a context `p` whose values are symbolic, so the code
-- in a handler becomes probe IR, then PTX.
local core = require "ntrace.core"
local nt = {}

local function fail(msg) core.fail(msg) end

-- ---- types and intrinsics --------------------------------------------
for _, t in ipairs { "u32", "u64", "s32", "s64", "f32", "f64", "pred" } do
  nt[t] = function(x) return core.convert(x, t) end
end

local sregs = {
  clock = "clock", clock64 = "clock64", globaltimer = "globaltimer",
  smid = "smid", warpid = "warpid", laneid = "laneid",
  thread_id = "thread_linear", block_id = "block_linear",
  warp_id = "warp_linear", global_warp_id = "global_warp_linear",
  active_mask = "activemask", active_lanes = "active_lanes",
}
for name, sreg in pairs(sregs) do
  nt[name] = function() return core.sreg(sreg) end
end

-- nt.tid.x, nt.ntid.y, nt.ctaid.z, nt.nctaid.x
local function dim3(prefix)
  return setmetatable({}, {
    __index = function(_, k)
      if k ~= "x" and k ~= "y" and k ~= "z" then
        fail("nt." .. prefix .. " has fields x, y, z, not '" .. tostring(k) .. "'")
      end
      return core.sreg(prefix .. "." .. k)
    end,
    __newindex = function() fail("nt." .. prefix .. " is read-only") end,
  })
end
nt.tid, nt.ntid, nt.ctaid, nt.nctaid = dim3 "tid", dim3 "ntid", dim3 "ctaid", dim3 "nctaid"

nt.when = core.when
nt.select = core.select
nt.warp_sum = core.warp_sum
nt.warp_max = core.warp_max
nt.popc = core.popc
nt.min = core.min
nt.max = core.max
nt.ptx = core.ptx
nt.reg = core.reg

-- ---- maps, counters ---------------------------------------------------
local MAP = {}
local reserved = { save = true, cap = true }

-- nt.map { field = "type", ..., cap = N }: fields largest first, then by
-- name (Lua does not keep the order of keys);
-- nt.map { {"field", "type"}, ..., cap = N }: fields in the order written.
local size8 = { u64 = true, s64 = true, f64 = true }

local function add_field(m, k, v)
  if type(k) ~= "string" or not k:match "^[%a_][%w_]*$" then
    fail("nt.map: field names must be identifiers, found " .. tostring(k))
  end
  if reserved[k] then fail("nt.map: '" .. k .. "' is reserved, not a field name") end
  if m.fields[k] then fail("nt.map: field '" .. k .. "' is declared twice") end
  core.check_type(v, "nt.map field '" .. k .. "'")
  m.fields[k] = v
  m.order[#m.order + 1] = k
end

function nt.map(t)
  if type(t) ~= "table" then fail("nt.map expects a table of field = \"type\"") end
  local m = { fields = {}, order = {}, cap = nil, line = core.line() }
  local listed = #t > 0
  for i = 1, #t do
    local f = t[i]
    if type(f) ~= "table" or #f ~= 2 then
      fail("nt.map: entry " .. i .. " must be {\"name\", \"type\"}")
    end
    add_field(m, f[1], f[2])
  end
  local keyed = {}
  for k, v in pairs(t) do
    if k == "cap" then
      if math.type(v) ~= "integer" or v < 1 or v > 1048576 then
        fail("nt.map: cap must be an integer from 1 to 1048576")
      end
      m.cap = v
    elseif math.type(k) ~= "integer" then
      if listed then
        fail("nt.map: write all fields as {\"name\", \"type\"} or all as name = \"type\"")
      end
      keyed[#keyed + 1] = k
      if type(k) == "string" then core.check_type(v, "nt.map field '" .. k .. "'") end
    end
  end
  table.sort(keyed, function(a, b)
    if type(a) ~= "string" or type(b) ~= "string" then return tostring(a) < tostring(b) end
    local sa, sb = size8[t[a]] and 8 or 4, size8[t[b]] and 8 or 4
    if sa ~= sb then return sa > sb end
    return a < b
  end)
  for _, k in ipairs(keyed) do add_field(m, k, t[k]) end
  if #m.order == 0 then fail("nt.map: a map needs at least one field") end
  return setmetatable(m, MAP)
end

-- ---- tracepoints --------------------------------------------------------
local HANDLER = {}
local points = { ["kernel.entry"] = "entry", ["kernel.exit"] = "exit" }

local function handler(kind, what)
  return function(fn)
    if type(fn) ~= "function" then
      fail(what .. " expects a function(p) ... end")
    end
    kind.fn = fn
    return setmetatable(kind, HANDLER)
  end
end

function nt.at(point)
  if type(point) ~= "string" then fail("nt.at expects a tracepoint name") end
  local k = points[point]
  local line = core.line()
  if not k then
    local region = point:match "^region%.begin:(.+)$"
    local rend = point:match "^region%.end:(.+)$"
    if region or rend then
      local name = region or rend
      if name ~= "*" and not name:match "^[%a_][%w_]*$" then
        fail("region names are identifiers (or * for every region), not '" .. name .. "'")
      end
      return handler({ kind = region and "region_begin" or "region_end",
                       pattern = region or rend, line = line }, "nt.at")
    end
    fail("unknown tracepoint '" .. point .. "' (nt.at takes kernel.entry, "
         .. "kernel.exit, region.begin:NAME, region.end:NAME; instructions use "
         .. "nt.before \"ld.global*\" / nt.after / nt.first_use)")
  end
  return handler({ kind = k, line = line }, "nt.at")
end

local function instr_point(kind)
  return function(pattern)
    if type(pattern) ~= "string" then
      fail("nt." .. kind .. " expects an instruction pattern such as \"ld.global*\"")
    end
    core.check_pattern(pattern)
    if kind == "after" and (pattern:match "^bra" or pattern:match "^ret"
                            or pattern:match "^exit") then
      fail("nt.after \"" .. pattern .. "\": a branch, ret or exit has no single "
           .. "next instruction; use nt.before")
    end
    if kind == "first_use" and not (pattern:match "^ld" or pattern:match "^atom") then
      fail("nt.first_use traces loads and atomics (ld.*, atom.*), not '" .. pattern .. "'")
    end
    return handler({ kind = kind, pattern = pattern, line = core.line() }, "nt." .. kind)
  end
end
nt.before = instr_point "before"
nt.after = instr_point "after"
nt.first_use = instr_point "first_use"

-- ---- the probe -----------------------------------------------------------
local known = { level = true, map = true, maps = true, cap = true,
                counters = true, vars = true }

function nt.probe(name)
  if type(name) ~= "string" or not name:match "^[%a_][%w_]*$" then
    fail("nt.probe expects a name (an identifier), e.g. nt.probe \"my_probe\" {...}")
  end
  local line = core.line()
  -- `return nt.probe "x" {...}` is a tail call: the script's frame is gone
  -- when the spec is checked, so errors name the line of nt.probe.
  local function fail(msg) core.fail_at(line, msg) end
  return function(spec)
    if type(spec) ~= "table" then fail("nt.probe \"" .. name .. "\" expects a table") end
    local handlers = {}
    for k, v in pairs(spec) do
      if math.type(k) == "integer" then
        if getmetatable(v) ~= HANDLER then
          fail("entry " .. k .. " of probe '" .. name .. "' is not a tracepoint "
               .. "handler (write nt.at \"kernel.entry\" (function(p) ... end))")
        end
      elseif not known[k] then
        fail("unknown key '" .. tostring(k) .. "' in probe '" .. name
             .. "' (keys: level, map, maps, cap, counters, vars)")
      end
    end
    for i = 1, #spec do handlers[i] = spec[i] end
    if #handlers == 0 then fail("probe '" .. name .. "' has no tracepoint handlers") end
    local level = spec.level or "warp"
    if level ~= "thread" and level ~= "warp" and level ~= "block" then
      fail("level must be \"thread\", \"warp\" or \"block\", not '" .. tostring(level) .. "'")
    end
    local maps = {}
    if spec.map ~= nil then
      if getmetatable(spec.map) ~= MAP then fail("map must be nt.map { ... }") end
      maps.rec = spec.map
    end
    if spec.maps ~= nil then
      if type(spec.maps) ~= "table" then fail("maps must be a table of name = nt.map{...}") end
      for k, v in pairs(spec.maps) do
        if type(k) ~= "string" or not k:match "^[%a_][%w_]*$" then
          fail("map names must be identifiers")
        end
        if getmetatable(v) ~= MAP then fail("maps." .. k .. " must be nt.map { ... }") end
        if maps[k] then fail("map '" .. k .. "' is declared twice") end
        if k == "counters" then fail("'counters' is the counters' own map name") end
        maps[k] = v
      end
    end
    if spec.cap ~= nil and (math.type(spec.cap) ~= "integer" or spec.cap < 1
                            or spec.cap > 1048576) then
      fail("cap must be an integer from 1 to 1048576")
    end
    local function decls(t, what)
      local out = {}
      if t == nil then return out end
      if type(t) ~= "table" then fail(what .. " must be a table of name = \"type\"") end
      for k, v in pairs(t) do
        if type(k) ~= "string" or not k:match "^[%a_][%w_]*$" then
          fail(what .. " names must be identifiers")
        end
        local ty, kind = v, "sum"
        if type(v) == "table" then ty, kind = v[1], v[2] or "sum" end
        core.check_type(ty, what .. " '" .. k .. "'")
        if kind ~= "sum" and kind ~= "max" then
          fail(what .. " '" .. k .. "': kind must be \"sum\" or \"max\"")
        end
        out[k] = { type = ty, kind = kind }
      end
      return out
    end
    return {
      __nt_probe = true, name = name, line = line, level = level,
      cap = spec.cap or 1, maps = maps,
      counters = decls(spec.counters, "counter"), vars = decls(spec.vars, "var"),
      handlers = handlers,
    }
  end
end

return nt
