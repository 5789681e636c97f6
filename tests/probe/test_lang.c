/* Tests: the probe language — staging of each construct into IR, and the
 * error message (file:line, what is wrong) of each misuse. */
#include "probe/ptest.h"

/* Compiles, dumps the IR, and checks that each of the strings appears. */
static void ir_has(const char *src, const char *const *want, size_t n)
{
    prb_probe *p = pt_compile(src);
    char *d = prb_dump(p);
    for (size_t i = 0; i < n; i++) {
        if (!strstr(d, want[i])) fprintf(stderr, "missing '%s' in:\n%s", want[i], d);
        assert_non_null(strstr(d, want[i]));
    }
    free(d);
    prb_free(p);
}
#define IR_HAS(src, ...) do { \
    static const char *const w_[] = { __VA_ARGS__ }; \
    ir_has((src), w_, NT_ARRAY_LEN(w_)); \
} while (0)

static void maps_layout_and_default_record(void **state)
{
    prb_probe *p = pt_compile(
        "local nt = require 'ntrace'\n"
        "return nt.probe 'sched' {\n"
        "  level = 'warp', cap = 3,\n"
        "  map = nt.map { start = 'u64', sm = 'u32', stop = 'u64', ok = 'pred' },\n"
        "  maps = { ev = nt.map { t = 'u32', cap = 7 } },\n"
        "  nt.at 'kernel.entry' (function(p) p.rec.start = nt.clock64(); p.rec.sm = nt.smid() end),\n"
        "  nt.at 'kernel.exit' (function(p) p.rec.stop = nt.clock64(); p:save();\n"
        "                                   p.maps.ev.t = nt.clock(); p.maps.ev:save() end),\n"
        "}\n");
    assert_string_equal(p->name, "sched");
    assert_int_equal(p->level, PRB_LEVEL_WARP);
    assert_int_equal(p->maps.n, 2);
    const prb_map *m = &p->maps.v[p->default_map];
    assert_string_equal(m->name, "rec");
    assert_int_equal(m->cap, 3);
    /* largest first, then by name: start@0 stop@8 ok@16 sm@20 (a pred is
     * stored as a u32), 24 bytes */
    assert_string_equal(m->fields.v[0].name, "start");
    assert_string_equal(m->fields.v[1].name, "stop");
    assert_string_equal(m->fields.v[2].name, "ok");
    assert_int_equal(m->fields.v[2].offset, 16);
    assert_string_equal(m->fields.v[3].name, "sm");
    assert_int_equal(m->fields.v[3].offset, 20);
    assert_int_equal(m->record_size, 24);
    const prb_map *ev = &p->maps.v[1];
    assert_string_equal(ev->name, "ev");
    assert_int_equal(ev->cap, 7);
    assert_int_equal(ev->record_size, 8);
    assert_int_equal(p->handlers.n, 2);
    assert_int_equal(p->handlers.v[0].kind, PRB_TP_ENTRY);
    assert_int_equal(p->handlers.v[0].line, 6);
    char *d = prb_dump(p);
    assert_non_null(strstr(d, "sreg.clock64"));
    assert_non_null(strstr(d, "save rec  ; line 7"));
    assert_non_null(strstr(d, "save ev  ; line 8"));
    free(d);
    prb_free(p);
}

static void buffer_specs_match_the_layout(void **state)
{
    /* block level: the user map and the counters; the exit ticket is in
     * shared memory, not a map (the collector sees only the user's maps) */
    prb_probe *p = pt_compile(PT_PROBE("level = 'block', map = nt.map { t = 'u64', cap = 3 },\n"
                                       "counters = { n = 'u32' },\n",
                                       "nt.at 'kernel.exit'", "p.rec.t = nt.globaltimer(); p:save()"));
    buf_map_spec sp[BUF_MAX_MAPS];
    unsigned n = prb_buffer_specs(p, sp);
    assert_int_equal(n, 2);
    assert_int_equal(p->maps.n, 2);
    assert_int_equal(sp[0].level, BUF_BLOCK);
    assert_int_equal(sp[0].record_size, 8);
    assert_int_equal(sp[0].cap, 3);
    assert_int_equal(sp[1].map_id, 1);
    assert_true(p->maps.v[1].is_counters);
    /* the host side accepts them */
    buf_layout l;
    nt_err e = {0};
    uint32_t grid[3] = {4, 2, 1}, block[3] = {96, 1, 1};
    assert_int_equal(buf_layout_compute(&l, grid, block, sp, n, 0, 0, NULL, &e), 0);
    assert_int_equal(l.map[0].nslots, 8);
    assert_int_equal(l.map[0].slot_size, 8 + 3 * 8);
    prb_free(p);
}

static void maps_in_declared_order(void **state)
{
    /* the list form keeps the order written; offsets are buffer.h's C-struct
     * layout: b@0, a@8 (aligned), c@16, 24 bytes */
    prb_probe *p = pt_compile(PT_PROBE("map = nt.map { {'b', 'u32'}, {'a', 'u64'}, {'c', 's32'} },\n",
                                       "nt.at 'kernel.entry'", "p.rec.a = nt.clock64()"));
    const prb_map *m = &p->maps.v[p->default_map];
    assert_string_equal(m->fields.v[0].name, "b");
    assert_int_equal(m->fields.v[0].offset, 0);
    assert_string_equal(m->fields.v[1].name, "a");
    assert_int_equal(m->fields.v[1].offset, 8);
    assert_string_equal(m->fields.v[2].name, "c");
    assert_int_equal(m->fields.v[2].offset, 16);
    assert_int_equal(m->record_size, 24);
    prb_free(p);
    pt_fails(PT_PROBE("map = nt.map { {'b', 'u32'}, a = 'u64' },\n", "nt.at 'kernel.entry'", ""),
             "write all fields as");
    pt_fails(PT_PROBE("map = nt.map { {'b', 'u32'}, {'b', 'u64'} },\n", "nt.at 'kernel.entry'", ""),
             "field 'b' is declared twice");
    pt_fails(PT_PROBE("map = nt.map { {'b'} },\n", "nt.at 'kernel.entry'", ""),
             "entry 1 must be");
}

static void arithmetic_types_and_constants(void **state)
{
    IR_HAS(PT_PROBE("vars = { a = 'u64', b = 's32', f = 'f32' },\n", "nt.at 'kernel.entry'",
                    "local x = nt.smid() * 2 + 1\n"        /* u32 with constants */
                    "p.var.a = x\n"                         /* u32 -> u64 implicitly */
                    "p.var.a = nt.u64(x) << 3 >> 1\n"
                    "p.var.b = nt.s32(x) - 5\n"
                    "p.var.b = -p.var.b % 7 // 2\n"
                    "p.var.f = nt.f32(x) / 2.5\n"
                    "p.var.a = (nt.clock64() & 0xff) ~ 2 | 1\n"
                    "p.var.a = nt.min(p.var.a, 9):max(3)\n"),
           "bin.mul t", "bin.add t", "cvt t", "bin.shl", "bin.shr", "un.neg", "bin.rem",
           "bin.div", "bin.and", "bin.or", "bin.xor", "bin.min", "bin.max", ":f32 =2.5",
           "write v0:u64");
}

static void type_errors_point_at_the_line(void **state)
{
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = nt.smid()\n"
                      "local b = nt.s32(a)\nlocal c = a + b"),
             "t.lua:6: type mismatch: u32 + s32");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = nt.clock64() + 1.5"),
             "constant 1.5 is not an integer");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = nt.smid() + (-1)"),
             "constant -1 does not fit u32");
    pt_fails(PT_PROBE("map = nt.map { sm = 'u32' },\n", "nt.at 'kernel.entry'",
                      "p.rec.sm = nt.clock64()"),
             "t.lua:5: type mismatch: field 'sm' of map 'rec' is u64 but u32 is expected");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = nt.f32(1) & 3"),
             "'&' is not defined on f32");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = nt.smid():lt(1) + nt.smid():gt(2)"),
             "not defined on pred");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = nt.smid() ^ 2"),
             "not defined on symbolic values");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = nt.smid() .. 'x'"),
             "not defined on symbolic values");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = nt.smid():foo()"),
             "no field or method 'foo'");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = nt.smid():to('u128')"),
             "unknown type 'u128'");
}

static void comparisons_are_methods(void **state)
{
    IR_HAS(PT_PROBE("vars = { q = 'pred' },\n", "nt.at 'kernel.entry'",
                    "local s = nt.smid()\n"
                    "p.var.q = s:lt(4) & s:ge(1) | ~s:eq(2) & s:ne(3) | s:gt(0) & s:le(9)\n"),
           "cmp.lt", "cmp.ge", "cmp.eq", "cmp.ne", "cmp.gt", "cmp.le", "un.not", "bin.and");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "if nt.smid() < 3 then end"),
             "t.lua:4: symbolic values cannot be compared with <");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local x = nt.smid() == nt.laneid()"),
             "use a:lt(b)");
}

static void when_blocks_and_scope(void **state)
{
    prb_probe *p = pt_compile(PT_PROBE("vars = { v = 'u32' },\n", "nt.at 'kernel.exit'",
        "local s = nt.smid()\n"
        "nt.when(s:gt(3), function()\n"
        "  local t = s + 1\n"
        "  nt.when(t:lt(9), function() p.var.v = t end)\n"
        "end)\n"));
    /* top block, the outer when, the inner when */
    assert_int_equal(p->blocks.n, 3);
    assert_int_equal(p->blocks.v[2].parent, 1);
    assert_int_equal(p->blocks.v[1].parent, 0);
    char *d = prb_dump(p);
    assert_non_null(strstr(d, "  when"));
    assert_non_null(strstr(d, "    when"));
    assert_non_null(strstr(d, "      write"));
    free(d);
    prb_free(p);
    pt_fails(PT_PROBE("vars = { v = 'u32' },\n", "nt.at 'kernel.entry'",
                      "local t\nnt.when(nt.smid():gt(3), function() t = nt.smid() end)\n"
                      "p.var.v = t"),
             "t.lua:7: a value computed inside nt.when (line 6) is used outside it");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "nt.when(nt.smid(), function() end)"),
             "nt.when needs a pred");
}

static void counters_accumulate(void **state)
{
    /* warp level: a per-thread quantity added to a counter is summed over
     * the warp's lanes; a uniform one is not */
    IR_HAS(PT_PROBE("level = 'warp', counters = { b = 'u64', n = 'u32', hi = {'u32', 'max'} },\n",
                    "nt.before 'ld.global*'",
                    "p.cnt.b = p.cnt.b + nt.u64(p.bytes)\n"
                    "p.cnt.n = p.cnt.n + 1\n"
                    "p.cnt.hi = nt.max(p.cnt.hi, nt.smid())\n"),
           "warp.sum t", "counter hi:u32 max", "map 0 counters cap 1");
    prb_probe *p = pt_compile(PT_PROBE("level = 'thread', counters = { b = 'u64' },\n",
                                       "nt.before 'ld.global*'",
                                       "p.cnt.b = p.cnt.b + nt.u64(p.bytes)"));
    char *d = prb_dump(p);
    assert_null(strstr(d, "warp.sum"));
    free(d);
    prb_free(p);
    pt_fails(PT_PROBE("counters = { b = 'u64' },\n", "nt.at 'kernel.entry'", "p.cnt.b = 5"),
             "counters accumulate: write p.cnt.b = p.cnt.b + x");
    pt_fails(PT_PROBE("counters = { b = 'u64', c = 'u64' },\n", "nt.at 'kernel.entry'",
                      "p.cnt.b = p.cnt.c + 1"), "counters accumulate");
    pt_fails(PT_PROBE("counters = { m = {'u32', 'max'} },\n", "nt.at 'kernel.entry'",
                      "p.cnt.m = p.cnt.m + 1"), "is a max counter");
    pt_fails(PT_PROBE("counters = { bytes = 'u64' },\n", "nt.at 'kernel.entry'",
                      "p.cnt.byts = p.cnt.byts + 1"),
             "t.lua:5: the probe has no counter 'byts' (counters: bytes)");
    pt_fails(PT_PROBE("level = 'warp', counters = { f = 'f32' },\n", "nt.at 'kernel.entry'", ""),
             "must be integers");
    pt_fails(PT_PROBE("level = 'warp', counters = { m = {'u32', 'max'} },\n",
                      "nt.before 'ld.global*'", "p.cnt.m = nt.max(p.cnt.m, p.addr:to('u32'))"),
             "take nt.warp_max(x) first");
}

static void tracepoints_and_operands(void **state)
{
    IR_HAS(PT_PROBE("level = 'thread', vars = { a = 'u64', s = 'u32', o = 'u32', g = 'pred' },\n",
                    "nt.after 'st.shared*'",
                    "p.var.a = p.addr; p.var.s = p.space + p.bytes; p.var.o = p.opcode;"
                    "p.var.g = p.guard"),
           "handler after st.shared*", "tparam.addr", "tparam.space", "tparam.bytes",
           "tparam.opcode", "tparam.guard");
    IR_HAS(PT_PROBE("counters = { w = 'u64' },\n", "nt.first_use 'ld.global*'",
                    "p.cnt.w = p.cnt.w + (nt.clock64() - p.issue_clock)"),
           "handler use ld.global*", "tparam.issue_clock");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = p.addr"),
             "p.addr is only available at tracepoints of memory instructions");
    pt_fails(PT_PROBE("", "nt.before 'bar.sync'", "local a = p.bytes"),
             "not at nt.before \"bar.sync\"");
    pt_fails(PT_PROBE("", "nt.before 'ld.global*'", "local a = p.issue_clock"),
             "only available in nt.first_use");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = p.guard"),
             "only available at instruction tracepoints");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entri'", ""),
             "t.lua:3: unknown tracepoint 'kernel.entri'");
    pt_fails(PT_PROBE("", "nt.before 'lod.global*'", ""),
             "t.lua:3: unknown instruction pattern 'lod.global*'");
    pt_fails(PT_PROBE("", "nt.after 'bra'", ""), "has no single next instruction");
    pt_fails(PT_PROBE("", "nt.at 'region.begin:a-b'", ""), "region names are identifiers");
    pt_fails(PT_PROBE("", "nt.at 'region.end:x'", "local a = p.addr"), "p.addr is only");
    IR_HAS(PT_PROBE("vars = { r = 'u32' },\n", "nt.at 'region.begin:*'", "p.var.r = p.region"),
           "handler region.begin *", "tparam.region");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local r = p.region"),
             "only available at region tracepoints");
    pt_fails(PT_PROBE("", "nt.first_use 'st.global*'", ""), "traces loads");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local a = p.adr"),
             "p has no field 'adr'");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "p.x = 1"), "cannot assign p.x");
}

static void spec_errors(void **state)
{
    pt_fails("local nt = require 'ntrace'\nreturn nt.probe 'x' { levle = 'warp',\n"
             "nt.at 'kernel.entry' (function(p) end) }\n",
             "t.lua:2: unknown key 'levle' in probe 'x'");
    pt_fails("local nt = require 'ntrace'\nreturn nt.probe 'x' { level = 'grid',\n"
             "nt.at 'kernel.entry' (function(p) end) }\n", "level must be");
    pt_fails("local nt = require 'ntrace'\nreturn nt.probe 'x' { map = nt.map { a = 'u33' },\n"
             "nt.at 'kernel.entry' (function(p) end) }\n",
             "t.lua:2: nt.map field 'a': unknown type 'u33'");
    pt_fails("local nt = require 'ntrace'\nreturn nt.probe 'x' { }\n", "has no tracepoint handlers");
    pt_fails("local nt = require 'ntrace'\nreturn nt.probe 'x' { 5 }\n",
             "entry 1 of probe 'x' is not a tracepoint handler");
    pt_fails("local nt = require 'ntrace'\nreturn nt.probe 'x' { map = nt.map { save = 'u32' },\n"
             "nt.at 'kernel.entry' (function(p) end) }\n", "'save' is reserved");
    pt_fails("local nt = require 'ntrace'\nreturn nt.probe 'x' { map = nt.map { a = 'u32', cap = 0 },\n"
             "nt.at 'kernel.entry' (function(p) end) }\n", "cap must be");
    pt_fails(PT_PROBE("map = nt.map { start = 'u64' },\n", "nt.at 'kernel.entry'",
                      "p.rec.strat = nt.clock64()"),
             "t.lua:5: map 'rec' has no field 'strat' (fields: start)");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "p:save()"), "has no default map");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local m = p.maps.nope"), "no map 'nope'");
    pt_fails("local nt = require 'ntrace'\nlocal c = nt.clock64()\n", "t.lua:2: reading %clock64 is only valid inside a tracepoint handler");
}

static void intrinsics_warp_ops_and_select(void **state)
{
    IR_HAS(PT_PROBE("level = 'thread', vars = { a = 'u32', b = 'u64' },\n", "nt.at 'kernel.exit'",
                    "p.var.a = nt.tid.x + nt.ntid.y + nt.ctaid.z + nt.nctaid.x + nt.laneid()"
                    " + nt.warpid() + nt.thread_id() + nt.block_id() + nt.warp_id()"
                    " + nt.global_warp_id() + nt.active_mask() + nt.active_lanes() + nt.clock()\n"
                    "p.var.b = nt.globaltimer() + nt.warp_sum(nt.u64(nt.laneid()))\n"
                    "p.var.a = nt.warp_max(nt.laneid()) + nt.select(nt.laneid():lt(3), 7, 9)"
                    " + nt.popc(nt.active_mask())\n"),
           "sreg.tid.x", "sreg.ntid.y", "sreg.ctaid.z", "sreg.nctaid.x", "sreg.laneid",
           "sreg.warpid", "sreg.thread_linear", "sreg.block_linear", "sreg.warp_linear",
           "sreg.global_warp_linear", "sreg.activemask", "sreg.active_lanes", "sreg.clock ",
           "sreg.globaltimer", "warp.sum", "warp.max", "sel t", "un.popc");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local x = nt.tid.w"), "has fields x, y, z");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "local x = nt.warp_sum(nt.f32(1))"),
             "needs an integer");
    prb_probe *p = pt_compile(PT_PROBE("", "nt.at 'kernel.entry'",
                                       "local x = nt.warp_max(nt.laneid())"));
    assert_int_equal(prb_min_sm(p), 80);
    prb_free(p);
}

static void raw_ptx(void **state)
{
    IR_HAS(PT_PROBE("vars = { r = 'u32' },\n", "nt.at 'kernel.entry'",
                    "local out = nt.reg('u32')\n"
                    "nt.ptx('mov.u32 $o, %nsmid; add.u32 $o, $o, $i;', { o = out, i = nt.smid() })\n"
                    "p.var.r = out\n"),
           "ptx \"mov.u32 $o, %nsmid; add.u32 $o, $o, $i;\"");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "nt.ptx('bra L;')"), "'bra' is not allowed");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "nt.ptx('L: ret;')"), "':' is not allowed");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "nt.ptx('exit;')"), "'exit' is not allowed");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "nt.ptx('mov.u32 $x, 1;', {})"),
             "operand $x is not a symbolic value");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "nt.ptx('mov.u32 %r1, 1')"),
             "must end with ';'");
    pt_fails(PT_PROBE("", "nt.at 'kernel.entry'", "nt.ptx('.reg .u32 %a;')"),
             "'.reg' is not allowed");
}

static void shipped_probes_compile(void **state)
{
    for (size_t i = 0; i < NT_ARRAY_LEN(pt_shipped); i++) {
        prb_probe *p = pt_shipped_probe(pt_shipped[i]);
        assert_string_equal(p->name, pt_shipped[i]);
        prb_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(maps_layout_and_default_record),
        cmocka_unit_test(maps_in_declared_order),
        cmocka_unit_test(buffer_specs_match_the_layout),
        cmocka_unit_test(arithmetic_types_and_constants),
        cmocka_unit_test(type_errors_point_at_the_line),
        cmocka_unit_test(comparisons_are_methods),
        cmocka_unit_test(when_blocks_and_scope),
        cmocka_unit_test(counters_accumulate),
        cmocka_unit_test(tracepoints_and_operands),
        cmocka_unit_test(spec_errors),
        cmocka_unit_test(intrinsics_warp_ops_and_select),
        cmocka_unit_test(raw_ptx),
        cmocka_unit_test(shipped_probes_compile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
