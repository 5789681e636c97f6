/* Conformance: f32/f64 arithmetic, fma exactness, comparisons with NaN,
 * and conversions with their rounding modes and saturation. */
#include <math.h>
#include "emu_test.h"

static const char *ptx = PTX_HEAD
".visible .entry fops(.param .u64 out, .param .f32 pa, .param .f32 pb, .param .f32 pc)\n"
"{\n"
"  .reg .f32 %f<8>; .reg .f64 %fd<4>; .reg .b32 %r<4>; .reg .b64 %rd<4>; .reg .pred %p<4>;\n"
"  ld.param.u64 %rd1, [out];\n"
"  ld.param.f32 %f1, [pa]; ld.param.f32 %f2, [pb]; ld.param.f32 %f3, [pc];\n"
"  add.rn.f32 %f4, %f1, %f2;     st.global.f32 [%rd1+0], %f4;\n"
"  sub.f32 %f4, %f1, %f2;        st.global.f32 [%rd1+4], %f4;\n"
"  mul.rn.f32 %f4, %f1, %f2;     st.global.f32 [%rd1+8], %f4;\n"
"  fma.rn.f32 %f4, %f1, %f2, %f3; st.global.f32 [%rd1+12], %f4;\n"
"  div.rn.f32 %f4, %f1, %f2;     st.global.f32 [%rd1+16], %f4;\n"
"  min.f32 %f4, %f1, %f2;        st.global.f32 [%rd1+20], %f4;\n"
"  max.f32 %f4, %f1, %f2;        st.global.f32 [%rd1+24], %f4;\n"
"  neg.f32 %f4, %f1;             st.global.f32 [%rd1+28], %f4;\n"
"  abs.f32 %f4, %f1;             st.global.f32 [%rd1+32], %f4;\n"
"  sqrt.rn.f32 %f4, %f2;         st.global.f32 [%rd1+36], %f4;\n"
"  setp.lt.f32 %p1, %f1, %f2;    selp.u32 %r1, 1, 0, %p1; st.global.u32 [%rd1+40], %r1;\n"
"  setp.ltu.f32 %p1, %f1, %f2;   selp.u32 %r1, 1, 0, %p1; st.global.u32 [%rd1+44], %r1;\n"
"  setp.nan.f32 %p1, %f1, %f2;   selp.u32 %r1, 1, 0, %p1; st.global.u32 [%rd1+48], %r1;\n"
"  cvt.rzi.s32.f32 %r1, %f1;     st.global.u32 [%rd1+52], %r1;\n"
"  cvt.rni.s32.f32 %r1, %f1;     st.global.u32 [%rd1+56], %r1;\n"
"  cvt.rmi.s32.f32 %r1, %f1;     st.global.u32 [%rd1+60], %r1;\n"
"  cvt.rpi.u32.f32 %r1, %f1;     st.global.u32 [%rd1+64], %r1;\n"
"  cvt.rn.f32.s32 %f4, %r1;      st.global.f32 [%rd1+68], %f4;\n"
"  cvt.f64.f32 %fd1, %f1;        mul.f64 %fd2, %fd1, %fd1; st.global.f64 [%rd1+72], %fd2;\n"
"  cvt.rn.f32.f64 %f4, %fd2;     st.global.f32 [%rd1+80], %f4;\n"
"  cvt.rni.f32.f32 %f4, %f1;     st.global.f32 [%rd1+84], %f4;\n"
"  cvt.sat.f32.f32 %f4, %f1;     st.global.f32 [%rd1+88], %f4;\n"
"  mov.b32 %r2, %f1;             st.global.u32 [%rd1+92], %r2;\n"
"  fma.rn.f64 %fd3, %fd1, %fd1, %fd2; st.global.f64 [%rd1+96], %fd3;\n"
"  rcp.rn.f32 %f4, %f2;          st.global.f32 [%rd1+104], %f4;\n"
"  mov.b64 %rd2, {%r2, %r1};     st.global.u64 [%rd1+112], %rd2;\n"
"  mov.b64 {%r3, %r2}, %rd2;     st.global.u32 [%rd1+120], %r3; st.global.u32 [%rd1+124], %r2;\n"
"  add.f32 %f4, %f1, 0f3F800000; st.global.f32 [%rd1+128], %f4;\n"
"  cvt.rzi.s32.f32 %r1, %f3;     st.global.u32 [%rd1+132], %r1;\n"
"  ret;\n"
"}\n";

static float F(const uint8_t *o, int off) { float f; memcpy(&f, o + off, 4); return f; }
static uint32_t U(const uint8_t *o, int off) { uint32_t u; memcpy(&u, o + off, 4); return u; }
static double D(const uint8_t *o, int off) { double d; memcpy(&d, o + off, 8); return d; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static int32_t sat_i(double v)
{
    if (isnan(v)) return 0;
    if (v <= -2147483648.0) return INT32_MIN;
    if (v >= 2147483647.0) return INT32_MAX;
    return (int32_t)v;
}

static void check(emu_module *m, float a, float b, float c)
{
    uint64_t out = et_alloc(256);
    ET_RUN(m, "fops", 1, 1, out, f2u(a), f2u(b), f2u(c));
    const uint8_t *o = et_host(out, 256);
    assert_int_equal(fbits(F(o, 0)), fbits(a + b));
    assert_int_equal(fbits(F(o, 4)), fbits(a - b));
    assert_int_equal(fbits(F(o, 8)), fbits(a * b));
    assert_int_equal(fbits(F(o, 12)), fbits(fmaf(a, b, c)));      /* fused: one rounding */
    assert_int_equal(fbits(F(o, 16)), fbits(a / b));
    assert_int_equal(fbits(F(o, 20)), fbits(fminf(a, b)));
    assert_int_equal(fbits(F(o, 24)), fbits(fmaxf(a, b)));
    assert_int_equal(fbits(F(o, 28)), fbits(-a));
    assert_int_equal(fbits(F(o, 32)), fbits(fabsf(a)));
    assert_int_equal(fbits(F(o, 36)), fbits(sqrtf(b)));
    int un = isnan(a) || isnan(b);
    assert_int_equal(U(o, 40), !un && a < b);
    assert_int_equal(U(o, 44), un || a < b);
    assert_int_equal(U(o, 48), un);
    assert_int_equal(U(o, 52), (uint32_t)sat_i(truncf(a)));
    assert_int_equal(U(o, 56), (uint32_t)sat_i(nearbyintf(a)));
    assert_int_equal(U(o, 60), (uint32_t)sat_i(floorf(a)));
    double up = ceil((double)a);
    assert_int_equal(U(o, 64), isnan(a) || up <= 0 ? 0 : up >= 4294967295.0 ? 0xffffffffu : (uint32_t)up);
    assert_int_equal(fbits(F(o, 68)), fbits((float)(int32_t)U(o, 64)));
    double d = (double)a * (double)a;
    assert_true(memcmp(o + 72, &d, 8) == 0);
    assert_int_equal(fbits(F(o, 80)), fbits((float)d));
    assert_int_equal(fbits(F(o, 84)), fbits(nearbyintf(a)));
    float sat = isnan(a) ? 0.0f : a < 0 ? 0.0f : a > 1 ? 1.0f : a;
    assert_int_equal(fbits(F(o, 88)), fbits(sat));
    assert_int_equal(U(o, 92), fbits(a));
    assert_true(D(o, 96) == fma((double)a, (double)a, d) || (isnan(D(o, 96)) && isnan(d)));
    assert_int_equal(fbits(F(o, 104)), fbits(1.0f / b));
    uint64_t packed;
    memcpy(&packed, o + 112, 8);
    assert_true(packed == ((uint64_t)U(o, 64) << 32 | fbits(a)));
    assert_int_equal(U(o, 120), fbits(a));
    assert_int_equal(U(o, 124), U(o, 64));
    assert_int_equal(fbits(F(o, 128)), fbits(a + 1.0f));
    assert_int_equal(U(o, 132), (uint32_t)sat_i(truncf(c)));
    emu_mem_free(out);
}

/* Directed roundings (.rm/.rp/.rz), which nvcc's math library expansions
 * use: each op's three results bracket the exact value one ulp apart. */
static const char *ptx_dir = PTX_HEAD
".visible .entry fdir(.param .u64 out, .param .f32 pa, .param .f32 pb, .param .f32 pc)\n"
"{\n"
"  .reg .f32 %f<8>; .reg .f64 %fd<8>; .reg .b64 %rd<4>;\n"
"  ld.param.u64 %rd1, [out];\n"
"  ld.param.f32 %f1, [pa]; ld.param.f32 %f2, [pb]; ld.param.f32 %f3, [pc];\n"
"  div.rn.f32 %f5, %f1, %f2;\n"
"  div.rm.f32 %f4, %f1, %f2;  st.global.f32 [%rd1+0], %f4;\n"
"  div.rp.f32 %f4, %f1, %f2;  st.global.f32 [%rd1+4], %f4;\n"
"  div.rz.f32 %f4, %f1, %f2;  st.global.f32 [%rd1+8], %f4;\n"
"  add.rm.f32 %f4, %f1, %f3;  st.global.f32 [%rd1+12], %f4;\n"
"  add.rp.f32 %f4, %f1, %f3;  st.global.f32 [%rd1+16], %f4;\n"
"  add.rz.f32 %f4, %f1, %f3;  st.global.f32 [%rd1+20], %f4;\n"
"  sub.rm.f32 %f4, %f3, %f1;  st.global.f32 [%rd1+24], %f4;\n"
"  sub.rp.f32 %f4, %f3, %f1;  st.global.f32 [%rd1+28], %f4;\n"
"  sub.rz.f32 %f4, %f3, %f1;  st.global.f32 [%rd1+32], %f4;\n"
"  mul.rm.f32 %f4, %f5, %f2;  st.global.f32 [%rd1+36], %f4;\n"
"  mul.rp.f32 %f4, %f5, %f2;  st.global.f32 [%rd1+40], %f4;\n"
"  mul.rz.f32 %f4, %f5, %f2;  st.global.f32 [%rd1+44], %f4;\n"
"  fma.rm.f32 %f4, %f2, %f2, %f3;  st.global.f32 [%rd1+48], %f4;\n"
"  fma.rp.f32 %f4, %f2, %f2, %f3;  st.global.f32 [%rd1+52], %f4;\n"
"  fma.rz.f32 %f4, %f2, %f2, %f3;  st.global.f32 [%rd1+56], %f4;\n"
"  sqrt.rm.f32 %f4, %f2;      st.global.f32 [%rd1+60], %f4;\n"
"  sqrt.rp.f32 %f4, %f2;      st.global.f32 [%rd1+64], %f4;\n"
"  sqrt.rz.f32 %f4, %f2;      st.global.f32 [%rd1+68], %f4;\n"
"  rcp.rm.f32 %f4, %f2;       st.global.f32 [%rd1+72], %f4;\n"
"  rcp.rp.f32 %f4, %f2;       st.global.f32 [%rd1+76], %f4;\n"
"  rcp.rz.f32 %f4, %f2;       st.global.f32 [%rd1+80], %f4;\n"
"  cvt.f64.f32 %fd1, %f1; cvt.f64.f32 %fd2, %f2; cvt.f64.f32 %fd3, %f3;\n"
"  div.rm.f64 %fd4, %fd1, %fd2;  st.global.f64 [%rd1+88], %fd4;\n"
"  div.rp.f64 %fd4, %fd1, %fd2;  st.global.f64 [%rd1+96], %fd4;\n"
"  div.rz.f64 %fd4, %fd1, %fd2;  st.global.f64 [%rd1+104], %fd4;\n"
"  add.rm.f64 %fd4, %fd1, %fd3;  st.global.f64 [%rd1+112], %fd4;\n"
"  add.rp.f64 %fd4, %fd1, %fd3;  st.global.f64 [%rd1+120], %fd4;\n"
"  add.rz.f64 %fd4, %fd1, %fd3;  st.global.f64 [%rd1+128], %fd4;\n"
"  sub.rm.f64 %fd4, %fd3, %fd1;  st.global.f64 [%rd1+136], %fd4;\n"
"  sub.rp.f64 %fd4, %fd3, %fd1;  st.global.f64 [%rd1+144], %fd4;\n"
"  sub.rz.f64 %fd4, %fd3, %fd1;  st.global.f64 [%rd1+152], %fd4;\n"
"  sqrt.rm.f64 %fd4, %fd2;       st.global.f64 [%rd1+160], %fd4;\n"
"  sqrt.rp.f64 %fd4, %fd2;       st.global.f64 [%rd1+168], %fd4;\n"
"  sqrt.rz.f64 %fd4, %fd2;       st.global.f64 [%rd1+176], %fd4;\n"
"  rcp.rm.f64 %fd4, %fd2;        st.global.f64 [%rd1+184], %fd4;\n"
"  rcp.rp.f64 %fd4, %fd2;        st.global.f64 [%rd1+192], %fd4;\n"
"  rcp.rz.f64 %fd4, %fd2;        st.global.f64 [%rd1+200], %fd4;\n"
"  ret;\n"
"}\n";

/* rm and rp are adjacent floats around the (inexact) exact value, rn one
 * of them, and rz the one nearer zero. */
static void bracket32(const uint8_t *o, int off, float rn)
{
    float rm = F(o, off), rp = F(o, off + 4), rz = F(o, off + 8);
    assert_true(rm < rp);
    assert_int_equal(fbits(rp), fbits(nextafterf(rm, INFINITY)));
    assert_true(rn == rm || rn == rp);
    assert_int_equal(fbits(rz), fbits(rm >= 0 ? rm : rp));
}

static void bracket64(const uint8_t *o, int off, double rn)
{
    double rm = D(o, off), rp = D(o, off + 8), rz = D(o, off + 16);
    assert_true(rm < rp);
    assert_true(rp == nextafter(rm, INFINITY));
    assert_true(rn == rm || rn == rp);
    assert_true(rz == (rm >= 0 ? rm : rp));
}

static void directed_rounding_brackets(void **state)
{
    emu_module *m = et_load(ptx_dir);
    volatile float a = 1.0f, b = 3.0f, c = 1e-10f;
    uint64_t out = et_alloc(256);
    ET_RUN(m, "fdir", 1, 1, out, f2u(a), f2u(b), f2u(c));
    const uint8_t *o = et_host(out, 256);
    float third = a / b;
    bracket32(o, 0, third);
    bracket32(o, 12, a + c);
    bracket32(o, 24, c - a);
    bracket32(o, 36, third * b);
    bracket32(o, 48, fmaf(b, b, c));
    bracket32(o, 60, sqrtf(b));
    bracket32(o, 72, 1.0f / b);
    double da = a, db = b, dc = c;
    bracket64(o, 88, da / db);
    bracket64(o, 112, da + dc);
    bracket64(o, 136, dc - da);
    bracket64(o, 160, sqrt(db));
    bracket64(o, 184, 1.0 / db);
    emu_mem_free(out);
    emu_module_free(m);
}

static void float_ops_match_host(void **state)
{
    emu_module *m = et_load(ptx);
    check(m, 1.5f, 2.25f, -0.75f);
    check(m, -2.5f, 0.1f, 3e9f);           /* cvt saturates 3e9 to INT32_MAX */
    check(m, 0.3f, 0.7f, -3e9f);
    check(m, 1e30f, 3.0f, 1e-30f);
    check(m, NAN, 1.0f, 0.5f);
    check(m, -0.0f, INFINITY, -INFINITY);
    check(m, 2.5f, -1.5f, 0.49999997f);    /* round-half-even in cvt.rni */
    emu_module_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(float_ops_match_host),
        cmocka_unit_test(directed_rounding_brackets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
