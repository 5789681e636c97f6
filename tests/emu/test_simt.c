/* Conformance: SIMT divergence and reconvergence, barriers, shuffles,
 * votes, atomics, calls, special registers and clocks, memory spaces,
 * and the ways a launch fails (bad address, misalignment, trap,
 * unsupported instruction, recursion, barrier deadlock). */
#include "emu_test.h"

static uint32_t *u32s(uint64_t a, size_t n) { return et_host(a, n * 4); }

/* ---- divergence -------------------------------------------------------------- */
static const char *div_ptx = PTX_HEAD
".visible .entry dv(.param .u64 out)\n"
"{\n"
"  .reg .b32 %r<8>; .reg .b64 %rd<4>; .reg .pred %p<4>;\n"
"  ld.param.u64 %rd1, [out];\n"
"  mov.u32 %r1, %tid.x;\n"
"  mov.u32 %r2, 0;\n"
"  and.b32 %r3, %r1, 1;\n"
"  setp.eq.u32 %p1, %r3, 0;\n"
"  @%p1 bra EVEN;\n"
"  mov.u32 %r4, 0;\n"
"LOOP:\n"
"  add.u32 %r2, %r2, 3;\n"
"  add.u32 %r4, %r4, 1;\n"
"  setp.lt.u32 %p2, %r4, %r1;\n"
"  @%p2 bra LOOP;\n"
"  bra JOIN;\n"
"EVEN:\n"
"  add.u32 %r2, %r2, 1000;\n"
"  setp.lt.u32 %p3, %r1, 8;\n"
"  @%p3 bra JOIN;\n"
"  add.u32 %r2, %r2, 7;\n"
"JOIN:\n"
"  activemask.b32 %r5;\n"
"  mul.wide.u32 %rd2, %r1, 8;\n"
"  add.s64 %rd3, %rd1, %rd2;\n"
"  st.global.u32 [%rd3], %r2;\n"
"  st.global.u32 [%rd3+4], %r5;\n"
"  setp.gt.u32 %p1, %r1, 20;\n"
"  @%p1 exit;\n"
"  activemask.b32 %r5;\n"
"  st.global.u32 [%rd3+4], %r5;\n"
"  ret;\n"
"}\n";

static void divergence_reconverges(void **state)
{
    emu_module *m = et_load(div_ptx);
    uint64_t out = et_alloc(64 * 8);
    ET_RUN(m, "dv", 1, 40, out);       /* a full warp and a partial one (8 lanes) */
    uint32_t *o = u32s(out, 80);
    for (uint32_t t = 0; t < 40; t++) {
        uint32_t want = (t & 1) ? 3 * t : 1000 + (t >= 8 ? 7 : 0);
        assert_int_equal(o[2 * t], want);
        /* reconverged at JOIN: the whole warp (8 lanes in the partial one);
         * after the early exit of lanes > 20, lanes 0..20 run together */
        uint32_t want_mask = t <= 20 ? 0x1fffffu : t < 32 ? 0xffffffffu : 0xffu;
        assert_int_equal(o[2 * t + 1], want_mask);
    }
    emu_mem_free(out);
    emu_module_free(m);
}

/* ---- barriers ------------------------------------------------------------------ */
static const char *bar_ptx = PTX_HEAD
".visible .entry br(.param .u64 out)\n"
"{\n"
"  .shared .align 4 .b32 s[128];\n"
"  .reg .b32 %r<10>; .reg .b64 %rd<6>; .reg .pred %p<3>;\n"
"  ld.param.u64 %rd1, [out];\n"
"  mov.u32 %r1, %tid.x;\n"
"  mov.u32 %r2, %ntid.x;\n"
"  mul.lo.u32 %r3, %r1, %r1;\n"
"  shl.b32 %r4, %r1, 2;\n"
"  mov.u32 %r5, s;\n"
"  add.u32 %r6, %r5, %r4;\n"
"  st.shared.u32 [%r6], %r3;\n"
"  bar.sync 0;\n"
"  add.u32 %r7, %r1, 32;\n"
"  rem.u32 %r7, %r7, %r2;\n"
"  shl.b32 %r7, %r7, 2;\n"
"  add.u32 %r7, %r5, %r7;\n"
"  ld.shared.u32 %r8, [%r7];\n"
"  and.b32 %r9, %r1, 1;\n"
"  setp.eq.u32 %p1, %r9, 1;\n"
"  bar.red.popc.u32 %r9, 1, %p1;\n"
"  mul.wide.u32 %rd2, %r1, 8;\n"
"  add.s64 %rd3, %rd1, %rd2;\n"
"  st.global.u32 [%rd3], %r8;\n"
"  st.global.u32 [%rd3+4], %r9;\n"
"  ret;\n"
"}\n";

static void barriers_order_shared_memory(void **state)
{
    emu_module *m = et_load(bar_ptx);
    uint64_t out = et_alloc(128 * 8);
    ET_RUN(m, "br", 2, 128, out);
    uint32_t *o = u32s(out, 256);
    for (uint32_t t = 0; t < 128; t++) {
        uint32_t src = (t + 32) % 128;
        assert_int_equal(o[2 * t], src * src);
        assert_int_equal(o[2 * t + 1], 64);     /* popc over the block */
    }
    emu_mem_free(out);
    emu_module_free(m);
}

/* ---- shuffles, votes, redux --------------------------------------------------------- */
static const char *warp_ptx = PTX_HEAD
".visible .entry wp(.param .u64 out)\n"
"{\n"
"  .reg .b32 %r<16>; .reg .b64 %rd<4>; .reg .pred %p<4>;\n"
"  ld.param.u64 %rd1, [out];\n"
"  mov.u32 %r1, %laneid;\n"
"  mul.lo.u32 %r2, %r1, 10;\n"
"  shfl.sync.up.b32 %r3, %r2, 1, 0, -1;\n"
"  shfl.sync.down.b32 %r4|%p1, %r2, 3, 31, -1;\n"
"  shfl.sync.bfly.b32 %r5, %r2, 5, 31, -1;\n"
"  shfl.sync.idx.b32 %r6, %r2, 7, 31, -1;\n"
"  selp.u32 %r7, 1, 0, %p1;\n"
"  rem.u32 %r8, %r1, 3;\n"
"  setp.eq.u32 %p2, %r8, 0;\n"
"  vote.sync.ballot.b32 %r9, %p2, -1;\n"
"  vote.sync.any.pred %p3, %p2, -1;\n"
"  selp.u32 %r10, 1, 0, %p3;\n"
"  vote.sync.all.pred %p3, %p2, -1;\n"
"  selp.u32 %r11, 1, 0, %p3;\n"
"  redux.sync.add.u32 %r12, %r1, -1;\n"
"  redux.sync.max.s32 %r13, %r2, -1;\n"
"  mul.wide.u32 %rd2, %r1, 48;\n"
"  add.s64 %rd3, %rd1, %rd2;\n"
"  st.global.v4.u32 [%rd3], {%r3, %r4, %r5, %r6};\n"
"  st.global.v2.u32 [%rd3+16], {%r7, %r9};\n"
"  st.global.u32 [%rd3+24], %r10;\n"
"  st.global.u32 [%rd3+28], %r11;\n"
"  st.global.u32 [%rd3+32], %r12;\n"
"  st.global.u32 [%rd3+36], %r13;\n"
"  ret;\n"
"}\n";

static void shuffles_votes_redux(void **state)
{
    emu_module *m = et_load(warp_ptx);
    uint64_t out = et_alloc(32 * 48);
    ET_RUN(m, "wp", 1, 32, out);
    uint32_t *o = u32s(out, 384);
    uint32_t ballot = 0;
    for (int l = 0; l < 32; l += 3) ballot |= 1u << l;
    for (uint32_t l = 0; l < 32; l++) {
        uint32_t *r = &o[l * 12];
        assert_int_equal(r[0], (l >= 1 ? l - 1 : l) * 10);
        assert_int_equal(r[1], (l + 3 <= 31 ? l + 3 : l) * 10);
        assert_int_equal(r[2], (l ^ 5) * 10);
        assert_int_equal(r[3], 70);
        assert_int_equal(r[4], l + 3 <= 31);
        assert_int_equal(r[5], ballot);
        assert_int_equal(r[6], 1);
        assert_int_equal(r[7], 0);
        assert_int_equal(r[8], 31 * 32 / 2);
        assert_int_equal(r[9], 310);
    }
    emu_mem_free(out);
    emu_module_free(m);
}

/* ---- atomics ---------------------------------------------------------------------- */
static const char *atom_ptx = PTX_HEAD
".visible .entry at(.param .u64 g)\n"
"{\n"
"  .shared .align 8 .b32 sh[2];\n"
"  .reg .b32 %r<10>; .reg .b64 %rd<6>; .reg .f32 %f<3>; .reg .pred %p<3>;\n"
"  ld.param.u64 %rd1, [g];\n"
"  mov.u32 %r1, %tid.x;\n"
"  mov.u32 %r2, %ctaid.x;\n"
"  mov.u32 %r3, %ntid.x;\n"
"  mad.lo.u32 %r4, %r2, %r3, %r1;\n"
"  setp.ne.u32 %p1, %r1, 0;\n"
"  @%p1 bra GO;\n"
"  st.shared.u32 [sh], 0;\n"
"GO:\n"
"  bar.sync 0;\n"
"  atom.global.add.u32 %r5, [%rd1], 1;\n"
"  atom.shared.add.u32 %r6, [sh], 2;\n"
"  atom.global.max.s32 %r7, [%rd1+4], %r4;\n"
"  sub.u32 %r8, 0, %r4;\n"
"  atom.global.min.s32 %r7, [%rd1+8], %r8;\n"
"  atom.global.inc.u32 %r7, [%rd1+12], 9;\n"
"  mov.f32 %f1, 0f3F000000;\n"
"  atom.global.add.f32 %f2, [%rd1+16], %f1;\n"
"  cvt.u64.u32 %rd2, %r4;\n"
"  red.global.add.u64 [%rd1+24], %rd2;\n"
"  atom.global.cas.b32 %r7, [%rd1+32], %r4, 7;\n"
"  atom.global.exch.b32 %r7, [%rd1+36], %r4;\n"
"  atom.global.or.b32 %r7, [%rd1+40], %r1;\n"
"  bar.sync 0;\n"
"  @%p1 bra DONE;\n"
"  ld.shared.u32 %r9, [sh];\n"
"  atom.global.add.u32 %r7, [%rd1+44], %r9;\n"
"DONE:\n"
"  ret;\n"
"}\n";

static void atomics_global_and_shared(void **state)
{
    emu_module *m = et_load(atom_ptx);
    uint64_t g = et_alloc(64);
    uint32_t *o = u32s(g, 16);
    memset(o, 0, 64);
    o[1] = (uint32_t)-1000; o[2] = 1000; o[8] = 0;
    ET_RUN(m, "at", 4, 96, g);
    uint32_t n = 4 * 96;
    assert_int_equal(o[0], n);
    assert_int_equal((int32_t)o[1], (int32_t)n - 1);
    assert_int_equal((int32_t)o[2], -(int32_t)(n - 1));
    uint32_t inc = 0;
    for (uint32_t i = 0; i < n; i++) inc = inc >= 9 ? 0 : inc + 1;
    assert_int_equal(o[3], inc);
    float f;
    memcpy(&f, &o[4], 4);
    assert_true(f == 0.5f * (float)n);
    uint64_t s64;
    memcpy(&s64, &o[6], 8);
    assert_true(s64 == (uint64_t)n * (n - 1) / 2);
    assert_int_equal(o[8], 7);                 /* only thread 0 matched 0 */
    assert_true(o[9] < n);
    assert_int_equal(o[10], 127);              /* or of tids 0..95 */
    assert_int_equal(o[11], 4 * 2 * 96);       /* each block's shared sum */
    emu_mem_free(g);
    emu_module_free(m);
}

/* ---- calls ---------------------------------------------------------------------------- */
static const char *call_ptx = PTX_HEAD
".func (.param .b32 rv) sq(.param .b32 x, .param .b32 y)\n"
"{\n"
"  .reg .b32 %r<4>; .reg .pred %p<2>;\n"
"  ld.param.b32 %r1, [x];\n"
"  ld.param.b32 %r3, [y];\n"
"  mul.lo.s32 %r2, %r1, %r1;\n"
"  setp.gt.s32 %p1, %r1, 10;\n"
"  @%p1 bra BIG;\n"
"  add.s32 %r2, %r2, %r3;\n"
"  st.param.b32 [rv], %r2;\n"
"  ret;\n"
"BIG:\n"
"  st.param.b32 [rv], -1;\n"
"  ret;\n"
"}\n"
".visible .entry ck(.param .u64 out)\n"
"{\n"
"  .reg .b32 %r<6>; .reg .b64 %rd<4>; .reg .pred %p<2>;\n"
"  ld.param.u64 %rd1, [out];\n"
"  mov.u32 %r1, %tid.x;\n"
"  mov.u32 %r2, 5;\n"
"  and.b32 %r3, %r1, 3;\n"
"  setp.eq.u32 %p1, %r3, 3;\n"
"  @%p1 bra SKIP;\n"
"  {\n"
"  .param .b32 a0;\n"
"  .param .b32 a1;\n"
"  .param .b32 r0;\n"
"  st.param.b32 [a0], %r1;\n"
"  st.param.b32 [a1], 100;\n"
"  call.uni (r0), sq, (a0, a1);\n"
"  ld.param.b32 %r2, [r0];\n"
"  }\n"
"SKIP:\n"
"  mul.wide.u32 %rd2, %r1, 4;\n"
"  add.s64 %rd3, %rd1, %rd2;\n"
"  st.global.u32 [%rd3], %r2;\n"
"  ret;\n"
"}\n"
".func rec(.param .b32 x)\n"
"{\n"
"  .reg .b32 %r<2>;\n"
"  ld.param.b32 %r1, [x];\n"
"  { .param .b32 y; st.param.b32 [y], %r1; call.uni rec, (y); }\n"
"  ret;\n"
"}\n"
".visible .entry recursive()\n"
"{\n"
"  { .param .b32 y; st.param.b32 [y], 1; call.uni rec, (y); }\n"
"  ret;\n"
"}\n";

static void calls_pass_params_and_diverge(void **state)
{
    emu_module *m = et_load(call_ptx);
    uint64_t out = et_alloc(64 * 4);
    ET_RUN(m, "ck", 1, 64, out);
    uint32_t *o = u32s(out, 64);
    for (int t = 0; t < 64; t++) {
        int want = (t & 3) == 3 ? 5 : t > 10 ? -1 : t * t + 100;
        assert_int_equal((int32_t)o[t], want);
    }
    nt_err e = { 0 };
    assert_int_equal(et_launch(m, "recursive", 1, 1, NULL, 0, &e), EMU_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "recursive"));
    emu_mem_free(out);
    emu_module_free(m);
}

/* ---- special registers and clocks --------------------------------------------------------- */
static const char *sreg_ptx = PTX_HEAD
".visible .entry sr(.param .u64 out)\n"
"{\n"
"  .reg .b32 %r<12>; .reg .b64 %rd<8>;\n"
"  ld.param.u64 %rd1, [out];\n"
"  mov.u64 %rd4, %clock64;\n"
"  mov.u32 %r1, %tid.x;\n"
"  mov.u32 %r2, %ctaid.x;\n"
"  mov.u32 %r3, %ntid.x;\n"
"  mad.lo.u32 %r4, %r2, %r3, %r1;\n"
"  mov.u32 %r5, %smid;\n"
"  mov.u32 %r6, %warpid;\n"
"  mov.u32 %r7, %laneid;\n"
"  mov.u32 %r8, %nsmid;\n"
"  mov.u32 %r9, %nctaid.x;\n"
"  mov.u32 %r10, %lanemask_lt;\n"
"  mov.u64 %rd5, %clock64;\n"
"  sub.s64 %rd5, %rd5, %rd4;\n"
"  mov.u64 %rd6, %globaltimer;\n"
"  mul.wide.u32 %rd2, %r4, 32;\n"
"  add.s64 %rd3, %rd1, %rd2;\n"
"  st.global.v4.u32 [%rd3], {%r5, %r6, %r7, %r8};\n"
"  st.global.v2.u32 [%rd3+16], {%r9, %r10};\n"
"  st.global.u64 [%rd3+24], %rd5;\n"
"  ret;\n"
"}\n";

static void special_registers_and_clocks(void **state)
{
    emu_module *m = et_load(sreg_ptx);
    uint32_t nsm = emu_cfg()->num_sms;
    uint64_t out = et_alloc(8 * 64 * 32);
    uint64_t c0 = emu_sm_clock(0);
    emu_stats st;
    nt_err e = { 0 };
    uint64_t args[] = { out };
    assert_int_equal(et_launch_dyn(m, "sr", 8, 64, 1, 0, args, 1, &e, &st), EMU_OK);
    uint32_t *o = u32s(out, 8 * 64 * 8);
    for (int t = 0; t < 8 * 64; t++) {
        uint32_t *r = &o[t * 8];
        assert_true(r[0] < nsm);
        assert_int_equal(r[2], (uint32_t)t % 32);
        assert_int_equal(r[3], nsm);
        assert_int_equal(r[4], 8);
        assert_int_equal(r[5], (1u << (t % 32)) - 1);
        uint64_t dclk;
        memcpy(&dclk, &r[6], 8);
        assert_true(dclk >= 11);               /* at least the instructions between */
        if (t % 64) assert_int_equal(r[0], o[(t - 1) * 8]);   /* a block stays on its SM */
        if (t % 32) assert_int_equal(r[1], o[(t - 1) * 8 + 1]);
    }
    assert_true(st.thread_instrs == 8ull * 64 * 21);
    assert_true(st.warp_instrs == 8ull * 2 * 21);
    assert_true(emu_sm_clock(0) > c0);         /* SM clocks persist and advance */
    emu_mem_free(out);
    emu_module_free(m);
}

/* ---- memory spaces: local, generic, dynamic shared ------------------------------------------ */
static const char *space_ptx = PTX_HEAD
".extern .shared .align 16 .b8 dyn[];\n"
".visible .entry sp(.param .u64 out)\n"
"{\n"
"  .local .align 4 .b8 arr[64];\n"
"  .reg .b32 %r<10>; .reg .b64 %rd<10>; .reg .pred %p<2>;\n"
"  ld.param.u64 %rd1, [out];\n"
"  mov.u32 %r1, %tid.x;\n"
"  mov.u32 %r2, 0;\n"
"L:\n"
"  mul.wide.u32 %rd2, %r2, 4;\n"
"  mov.u64 %rd3, arr;\n"
"  add.s64 %rd4, %rd3, %rd2;\n"
"  add.u32 %r3, %r2, %r1;\n"
"  st.local.u32 [%rd4], %r3;\n"
"  add.u32 %r2, %r2, 1;\n"
"  setp.lt.u32 %p1, %r2, 16;\n"
"  @%p1 bra L;\n"
"  and.b32 %r4, %r1, 15;\n"
"  mul.wide.u32 %rd2, %r4, 4;\n"
"  add.s64 %rd4, %rd3, %rd2;\n"
"  cvta.local.u64 %rd5, %rd4;\n"
"  ld.u32 %r5, [%rd5];\n"
"  mov.u64 %rd6, dyn;\n"
"  mul.wide.u32 %rd2, %r1, 4;\n"
"  add.s64 %rd6, %rd6, %rd2;\n"
"  cvta.shared.u64 %rd7, %rd6;\n"
"  st.u32 [%rd7], %r5;\n"
"  bar.sync 0;\n"
"  xor.b32 %r6, %r1, 1;\n"
"  mul.wide.u32 %rd2, %r6, 4;\n"
"  mov.u64 %rd6, dyn;\n"
"  add.s64 %rd6, %rd6, %rd2;\n"
"  ld.shared.u32 %r7, [%rd6];\n"
"  mul.wide.u32 %rd2, %r1, 4;\n"
"  add.s64 %rd8, %rd1, %rd2;\n"
"  st.global.u32 [%rd8], %r7;\n"
"  ret;\n"
"}\n";

static void local_generic_and_dynamic_shared(void **state)
{
    emu_module *m = et_load(space_ptx);
    uint64_t out = et_alloc(64 * 4);
    uint64_t args[] = { out };
    nt_err e = { 0 };
    int st = et_launch_dyn(m, "sp", 1, 64, 1, 64 * 4, args, 1, &e, NULL);
    if (st) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(st, EMU_OK);
    uint32_t *o = u32s(out, 64);
    for (uint32_t t = 0; t < 64; t++) {
        uint32_t other = t ^ 1;
        assert_int_equal(o[t], (other & 15) + other);
    }
    /* too little dynamic shared memory for the accesses: the launch fails */
    assert_int_equal(et_launch_dyn(m, "sp", 1, 64, 1, 16, args, 1, &e, NULL), EMU_E_ILLEGAL_ADDRESS);
    emu_mem_free(out);
    emu_module_free(m);
}

/* ---- failures ------------------------------------------------------------------------------ */
static const char *fail_ptx = PTX_HEAD
".visible .entry oob(.param .u64 p)\n"
"{ .reg .b32 %r<2>; .reg .b64 %rd<3>;\n"
"  ld.param.u64 %rd1, [p];\n"
"  ld.global.u32 %r1, [%rd1+4096];\n"
"  ret; }\n"
".visible .entry misaligned(.param .u64 p)\n"
"{ .reg .b32 %r<2>; .reg .b64 %rd<3>;\n"
"  ld.param.u64 %rd1, [p];\n"
"  ld.global.u32 %r1, [%rd1+2];\n"
"  ret; }\n"
".visible .entry nullp()\n"
"{ .reg .b32 %r<2>;\n"
"  ld.global.u32 %r1, [0];\n"
"  ret; }\n"
".visible .entry trapk()\n"
"{ trap; ret; }\n"
".visible .entry unsup()\n"
"{ .reg .f32 %f<2>; .reg .pred %p<2>;\n"
"  mov.f32 %f1, 0f3F800000;\n"
"  testp.finite.f32 %p1, %f1;\n"
"  ret; }\n"
".visible .entry deadlock()\n"
"{ .reg .b32 %r<2>; .reg .pred %p<2>;\n"
"  mov.u32 %r1, %tid.x;\n"
"  setp.ge.u32 %p1, %r1, 32;\n"
"  @%p1 exit;\n"
"  bar.sync 1, 64;\n"
"  ret; }\n";

static void launches_fail_cleanly(void **state)
{
    emu_module *m = et_load(fail_ptx);
    uint64_t p = et_alloc(64);
    nt_err e = { 0 };
    uint64_t args[] = { p };
    assert_int_equal(et_launch(m, "oob", 1, 32, args, 1, &e), EMU_E_ILLEGAL_ADDRESS);
    assert_non_null(strstr(e.msg, "out-of-bounds global access"));
    nt_err_clear(&e);
    assert_int_equal(et_launch(m, "misaligned", 1, 1, args, 1, &e), EMU_E_MISALIGNED);
    nt_err_clear(&e);
    assert_int_equal(et_launch(m, "nullp", 2, 64, NULL, 0, &e), EMU_E_ILLEGAL_ADDRESS);
    nt_err_clear(&e);
    assert_int_equal(et_launch(m, "trapk", 1, 1, NULL, 0, &e), EMU_E_TRAP);
    nt_err_clear(&e);
    assert_int_equal(et_launch(m, "unsup", 1, 1, NULL, 0, &e), EMU_E_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "testp.finite.f32"));
    assert_non_null(strstr(e.msg, "line 23"));
    nt_err_clear(&e);
    assert_int_equal(et_launch(m, "deadlock", 1, 64, NULL, 0, &e), EMU_E_HANG);
    nt_err_clear(&e);
    assert_int_equal(et_launch(m, "trapk", 1, 2048, NULL, 0, &e), EMU_E_INVALID);
    emu_mem_free(p);
    emu_module_free(m);
}

/* Instructions that parse but lack operands the executor needs: the kernel
 * fails to launch with a message; nothing reads a missing operand. */
static void malformed_instructions_fail_cleanly(void **state)
{
    static const char *bodies[] = {
        "setp.lt.and.s32 %p1, %r1, %r2;",
        "add.s32 %r1, %r2;",
        "atom.global.add.u32 %r1, [%rd1];",
        "bfi.b32 %r1, %r2, %r3, 4;",
        "mad.lo.s32 %r1, %r2, %r3;",
        /* fuzz_emu_load reproducers: an immediate where the destination
         * goes (it used to write through register index XNOREG) */
        "mov.u32 1, 31;",
        "mov.u 1, 31, -1;",
        "add.s32 5, %r1, %r2;",
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(bodies); i++) {
        char src[512];
        snprintf(src, sizeof src, PTX_HEAD ".visible .entry k()\n{ .reg .b32 %%r<4>; "
                 ".reg .b64 %%rd<2>; .reg .pred %%p<2>;\n  %s\n  ret; }\n", bodies[i]);
        nt_err e = { 0 };
        emu_module *m = emu_module_load(src, strlen(src), &e);
        if (!m) { assert_true(e.set); continue; }          /* the parser refused it: fine */
        assert_int_equal(et_launch(m, "k", 1, 32, NULL, 0, &e), EMU_E_UNSUPPORTED);
        assert_true(e.set);
        emu_module_free(m);
    }
}

/* fuzz_emu_load reproducer: a huge .local array made the emulator try to
 * allocate 32 GiB for a warp's local memory.  Past a GPU's limits the
 * kernel is refused with the reason. */
static void oversized_memory_is_refused(void **state)
{
    static const char *decls[] = {
        ".local .align 4 .b32 big[64222222222222222222222];",
        ".local .b8 a[400000]; .local .b8 b[400000];",
        ".shared .align 4 .b32 s[1000000];",
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(decls); i++) {
        char src[512];
        snprintf(src, sizeof src, PTX_HEAD ".visible .entry k()\n{\n  %s\n  ret;\n}\n", decls[i]);
        emu_module *m = et_load(src);
        nt_err e = { 0 };
        assert_int_equal(et_launch(m, "k", 1, 32, NULL, 0, &e), EMU_E_UNSUPPORTED);
        assert_non_null(strstr(e.msg, "memory than a GPU allows"));
        emu_module_free(m);
    }
    /* just under the limit still runs */
    emu_module *m = et_load(PTX_HEAD ".visible .entry k()\n{\n  .local .b8 a[500000];\n  ret;\n}\n");
    ET_RUN(m, "k", 1, 32);
    emu_module_free(m);
}

/* fuzz_emu_load reproducer: `.reg .b32 %r<177777772>` made a warp's
 * register file a 45 GB allocation.  Past REGS_MAX declared registers
 * (kernel and callees together) the kernel is refused with the reason;
 * a kernel declaring 200,000 registers still runs. */
static void oversized_register_file_is_refused(void **state)
{
    static const char *srcs[] = {
        PTX_HEAD ".visible .entry k()\n{\n  .reg .b32 %r<177777772>;\n  mov.u32 %r1, 1;\n  ret;\n}\n",
        PTX_HEAD ".func f()\n{\n  .reg .b32 %q<2000000000>;\n  mov.u32 %q2999, 1;\n  ret;\n}\n"
                 ".func g()\n{\n  .reg .b32 %q<2000000000>;\n  mov.u32 %q7, 1;\n  ret;\n}\n"
                 ".visible .entry k()\n{\n  .reg .b32 %r<2>;\n  call f, ();\n  call g, ();\n  ret;\n}\n",
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(srcs); i++) {
        emu_module *m = et_load(srcs[i]);
        nt_err e = { 0 };
        assert_int_equal(et_launch(m, "k", 1, 32, NULL, 0, &e), EMU_E_UNSUPPORTED);
        assert_non_null(strstr(e.msg, "registers per thread declared, more than the emulator holds"));
        emu_module_free(m);
    }
    emu_module *m = et_load(PTX_HEAD ".visible .entry k()\n{\n  .reg .b32 %r<200000>;\n"
                            "  mov.u32 %r199999, 1;\n  ret;\n}\n");
    ET_RUN(m, "k", 1, 32);
    emu_module_free(m);
}

static void bad_ptx_is_an_error(void **state)
{
    nt_err e = { 0 };
    const char *bad = PTX_HEAD ".visible .entry k() { add.u32 %r1, ; }";
    assert_null(emu_module_load(bad, strlen(bad), &e));
    assert_true(e.set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(divergence_reconverges),
        cmocka_unit_test(barriers_order_shared_memory),
        cmocka_unit_test(shuffles_votes_redux),
        cmocka_unit_test(atomics_global_and_shared),
        cmocka_unit_test(calls_pass_params_and_diverge),
        cmocka_unit_test(special_registers_and_clocks),
        cmocka_unit_test(local_generic_and_dynamic_shared),
        cmocka_unit_test(launches_fail_cleanly),
        cmocka_unit_test(malformed_instructions_fail_cleanly),
        cmocka_unit_test(oversized_memory_is_refused),
        cmocka_unit_test(oversized_register_file_is_refused),
        cmocka_unit_test(bad_ptx_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
