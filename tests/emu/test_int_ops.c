/* Conformance: integer, logic, shift, bit, comparison and conversion
 * instructions, against the same operations computed on the host. */
#include "emu_test.h"

static const char *ptx = PTX_HEAD
".visible .entry iops(.param .u64 out, .param .u32 pa, .param .u32 pb)\n"
"{\n"
"  .reg .b32 %r<8>; .reg .b64 %rd<8>; .reg .pred %p<4>; .reg .b16 %rs<4>;\n"
"  ld.param.u64 %rd1, [out];\n"
"  ld.param.u32 %r1, [pa];\n"
"  ld.param.u32 %r2, [pb];\n"
"  add.s32 %r3, %r1, %r2;      st.global.u32 [%rd1+0], %r3;\n"
"  sub.s32 %r3, %r1, %r2;      st.global.u32 [%rd1+4], %r3;\n"
"  mul.lo.s32 %r3, %r1, %r2;   st.global.u32 [%rd1+8], %r3;\n"
"  mul.hi.u32 %r3, %r1, %r2;   st.global.u32 [%rd1+12], %r3;\n"
"  mul.hi.s32 %r3, %r1, %r2;   st.global.u32 [%rd1+16], %r3;\n"
"  div.s32 %r3, %r1, %r2;      st.global.u32 [%rd1+20], %r3;\n"
"  rem.s32 %r3, %r1, %r2;      st.global.u32 [%rd1+24], %r3;\n"
"  div.u32 %r3, %r1, %r2;      st.global.u32 [%rd1+28], %r3;\n"
"  min.s32 %r3, %r1, %r2;      st.global.u32 [%rd1+32], %r3;\n"
"  max.u32 %r3, %r1, %r2;      st.global.u32 [%rd1+36], %r3;\n"
"  abs.s32 %r3, %r1;           st.global.u32 [%rd1+40], %r3;\n"
"  neg.s32 %r3, %r1;           st.global.u32 [%rd1+44], %r3;\n"
"  shl.b32 %r3, %r1, 5;        st.global.u32 [%rd1+48], %r3;\n"
"  shr.s32 %r3, %r1, 3;        st.global.u32 [%rd1+52], %r3;\n"
"  shr.u32 %r3, %r1, 3;        st.global.u32 [%rd1+56], %r3;\n"
"  shr.s32 %r3, %r1, 40;       st.global.u32 [%rd1+60], %r3;\n"
"  and.b32 %r3, %r1, %r2;      st.global.u32 [%rd1+64], %r3;\n"
"  or.b32 %r3, %r1, %r2;       st.global.u32 [%rd1+68], %r3;\n"
"  xor.b32 %r3, %r1, %r2;      st.global.u32 [%rd1+72], %r3;\n"
"  not.b32 %r3, %r1;           st.global.u32 [%rd1+76], %r3;\n"
"  popc.b32 %r3, %r1;          st.global.u32 [%rd1+80], %r3;\n"
"  clz.b32 %r3, %r1;           st.global.u32 [%rd1+84], %r3;\n"
"  brev.b32 %r3, %r1;          st.global.u32 [%rd1+88], %r3;\n"
"  bfe.u32 %r3, %r1, 4, 8;     st.global.u32 [%rd1+92], %r3;\n"
"  bfe.s32 %r3, %r1, 4, 8;     st.global.u32 [%rd1+96], %r3;\n"
"  bfi.b32 %r3, %r2, %r1, 8, 4; st.global.u32 [%rd1+100], %r3;\n"
"  prmt.b32 %r3, %r1, %r2, 0x5140; st.global.u32 [%rd1+104], %r3;\n"
"  bfind.u32 %r3, %r1;         st.global.u32 [%rd1+108], %r3;\n"
"  lop3.b32 %r3, %r1, %r2, 255, 0x96; st.global.u32 [%rd1+112], %r3;\n"
"  mad.lo.s32 %r3, %r1, %r2, 7; st.global.u32 [%rd1+116], %r3;\n"
"  mul.wide.s32 %rd2, %r1, %r2; st.global.u64 [%rd1+120], %rd2;\n"
"  mul.wide.u32 %rd2, %r1, %r2; st.global.u64 [%rd1+128], %rd2;\n"
"  cvt.s64.s32 %rd2, %r1;      st.global.u64 [%rd1+136], %rd2;\n"
"  cvt.u64.u32 %rd2, %r1;      st.global.u64 [%rd1+144], %rd2;\n"
"  add.sat.s32 %r3, %r1, %r1;  st.global.u32 [%rd1+152], %r3;\n"
"  setp.lt.s32 %p1, %r1, %r2;\n"
"  selp.b32 %r3, 11, 22, %p1;  st.global.u32 [%rd1+156], %r3;\n"
"  setp.lt.u32 %p2, %r1, %r2;\n"
"  selp.b32 %r3, 11, 22, %p2;  st.global.u32 [%rd1+160], %r3;\n"
"  setp.ne.and.s32 %p3, %r1, 0, %p2;\n"
"  selp.b32 %r3, 1, 0, %p3;    st.global.u32 [%rd1+164], %r3;\n"
"  cvt.u16.u32 %rs1, %r1;      cvt.u32.u16 %r3, %rs1; st.global.u32 [%rd1+168], %r3;\n"
"  cvt.s16.s32 %rs1, %r1;      cvt.s32.s16 %r3, %rs1; st.global.u32 [%rd1+172], %r3;\n"
"  cvt.sat.u8.s32 %r3, %r1;    st.global.u32 [%rd1+176], %r3;\n"
"  mul.wide.u32 %rd2, %r1, %r2; mul.hi.u64 %rd3, %rd2, %rd2; st.global.u64 [%rd1+184], %rd3;\n"
"  shf.l.wrap.b32 %r3, %r2, %r1, 12; st.global.u32 [%rd1+192], %r3;\n"
"  shf.r.clamp.b32 %r3, %r2, %r1, 40; st.global.u32 [%rd1+196], %r3;\n"
"  rem.u32 %r3, %r1, %r2;      st.global.u32 [%rd1+200], %r3;\n"
"  ret;\n"
"}\n";

static uint32_t brev(uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++) if (v >> i & 1) r |= 1u << (31 - i);
    return r;
}

static void check_pair(emu_module *m, uint32_t a, uint32_t b)
{
    uint64_t out = et_alloc(256);
    memset(et_host(out, 256), 0xcc, 256);
    ET_RUN(m, "iops", 1, 1, out, a, b);
    uint8_t *o = et_host(out, 256);
    uint32_t w[64];
    memcpy(w, o, sizeof w);
    int32_t sa = (int32_t)a, sb = (int32_t)b;
    assert_int_equal(w[0], a + b);
    assert_int_equal(w[1], a - b);
    assert_int_equal(w[2], a * b);
    assert_int_equal(w[3], (uint32_t)(((uint64_t)a * b) >> 32));
    assert_int_equal(w[4], (uint32_t)(((int64_t)sa * sb) >> 32));
    if (b) {
        if (!(sa == INT32_MIN && sb == -1)) {
            assert_int_equal(w[5], (uint32_t)(sa / sb));
            assert_int_equal(w[6], (uint32_t)(sa % sb));
        }
        assert_int_equal(w[7], a / b);
        assert_int_equal(w[50], a % b);
    } else {
        assert_int_equal(w[7], 0xffffffffu);      /* division by zero: all ones */
    }
    assert_int_equal(w[8], (uint32_t)(sa < sb ? sa : sb));
    assert_int_equal(w[9], a > b ? a : b);
    assert_int_equal(w[10], (uint32_t)(sa < 0 ? -(int64_t)sa : sa));
    assert_int_equal(w[11], (uint32_t)(0u - a));
    assert_int_equal(w[12], a << 5);
    assert_int_equal(w[13], (uint32_t)(sa >> 3));
    assert_int_equal(w[14], a >> 3);
    assert_int_equal(w[15], sa < 0 ? 0xffffffffu : 0);      /* clamped shift */
    assert_int_equal(w[16], a & b);
    assert_int_equal(w[17], a | b);
    assert_int_equal(w[18], a ^ b);
    assert_int_equal(w[19], ~a);
    assert_int_equal(w[20], (uint32_t)__builtin_popcount(a));
    assert_int_equal(w[21], a ? (uint32_t)__builtin_clz(a) : 32);
    assert_int_equal(w[22], brev(a));
    assert_int_equal(w[23], (a >> 4) & 0xff);
    assert_int_equal(w[24], (uint32_t)((int32_t)(a << 20) >> 24));
    assert_int_equal(w[25], (a & ~0xf00u) | ((b & 0xf) << 8));
    uint8_t bytes[8];
    memcpy(bytes, &a, 4); memcpy(bytes + 4, &b, 4);
    uint32_t pr = bytes[0] | (uint32_t)bytes[4] << 8 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[5] << 24;
    assert_int_equal(w[26], pr);
    assert_int_equal(w[27], a ? 31 - (uint32_t)__builtin_clz(a) : 0xffffffffu);
    assert_int_equal(w[28], a ^ b ^ 255u);
    assert_int_equal(w[29], a * b + 7);
    uint64_t q[32];
    memcpy(q, o, sizeof q);
    assert_true(q[15] == (uint64_t)((int64_t)sa * sb));
    assert_true(q[16] == (uint64_t)a * b);
    assert_true(q[17] == (uint64_t)(int64_t)sa);
    assert_true(q[18] == a);
    int64_t sat = (int64_t)sa + sa;
    sat = sat > INT32_MAX ? INT32_MAX : sat < INT32_MIN ? INT32_MIN : sat;
    assert_int_equal(w[38], (uint32_t)sat);
    assert_int_equal(w[39], sa < sb ? 11 : 22);
    assert_int_equal(w[40], a < b ? 11 : 22);
    assert_int_equal(w[41], (a != 0 && a < b) ? 1 : 0);
    assert_int_equal(w[42], a & 0xffff);
    assert_int_equal(w[43], (uint32_t)(int32_t)(int16_t)a);
    assert_int_equal(w[44], sa < 0 ? 0 : sa > 255 ? 255 : a);
    uint64_t wide = (uint64_t)a * b;
    assert_true(q[23] == (uint64_t)(((unsigned __int128)wide * wide) >> 64));
    uint64_t fun = ((uint64_t)a << 32) | b;
    assert_int_equal(w[48], (uint32_t)((fun << 12) >> 32));
    assert_int_equal(w[49], (uint32_t)(fun >> 32));
    emu_mem_free(out);
}

static void integer_ops_match_host(void **state)
{
    emu_module *m = et_load(ptx);
    static const uint32_t pairs[][2] = {
        { 0x80000001u, 7 }, { (uint32_t)-100, (uint32_t)-7 }, { 12345, 0 },
        { 0x7fffffffu, 0x7fffffffu }, { 0, 1 }, { 0xdeadbeefu, 0x12345678u },
        { 300, 5 }, { (uint32_t)INT32_MIN, (uint32_t)-1 },
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(pairs); i++)
        check_pair(m, pairs[i][0], pairs[i][1]);
    emu_module_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integer_ops_match_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
