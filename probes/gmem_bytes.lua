-- gmem_bytes: bytes of global memory each warp loads and stores, with the
-- asynchronous copies (cp.async) counted apart.
--
-- Per warp, one counters record: load_bytes, store_bytes, async_bytes and
-- the number of warp-level load/store instructions.  Bytes are summed
-- over the lanes that really execute each access (a false guard predicate
-- counts nothing).  Atomics and reductions on global memory count as
-- stores.
local nt = require "ntrace"
return nt.probe "gmem_bytes" {
  level = "warp",
  counters = { load_bytes = "u64", store_bytes = "u64", async_bytes = "u64",
               loads = "u32", stores = "u32" },
  nt.before "ld.global*|ldu.global*" (function(p)
    p.cnt.load_bytes = p.cnt.load_bytes + nt.u64(p.bytes)
    p.cnt.loads = p.cnt.loads + 1
  end),
  nt.before "st.global*|atom.global*|red.global*" (function(p)
    p.cnt.store_bytes = p.cnt.store_bytes + nt.u64(p.bytes)
    p.cnt.stores = p.cnt.stores + 1
  end),
  nt.before "cp.async.ca*|cp.async.cg*|cp.async.bulk.shared*|cp.async.bulk.global*|cp.async.bulk.tensor*" (function(p)
    p.cnt.async_bytes = p.cnt.async_bytes + nt.u64(p.bytes)
  end),
}
