/*
 * ops_float.c — f32/f64 arithmetic, special functions and comparisons.
 *
 * Round-to-nearest-even is C's default and PTX's .rn; fma is exact (C's
 * fma/fmaf).  Directed roundings (.rz/.rm/.rp) of add/mul/fma/div are not
 * emulated bit-exactly: they are refused.  .approx functions use libm's
 * correctly rounded or near versions (more precise than the hardware's).
 * .ftz flushes f32 subnormal inputs and results to signed zero.
 */
#include <math.h>
#include "emu/exec.h"

static inline float ftz(float v)
{
    return fpclassify(v) == FP_SUBNORMAL ? copysignf(0.0f, v) : v;
}

#define F_BIN(NAME, EXPRF, EXPRD)                                            \
    static int NAME##_f32(XARGS) {                                          \
        uint64_t *D = XREG(in->d[0]);                                       \
        const uint64_t *A = XREG(in->a), *B = XREG(in->b);                  \
        if (in->mode) LANES({ float a = ftz(b2f(A[l])), b = ftz(b2f(B[l])); D[l] = f2b(ftz(EXPRF)); }); \
        else LANES({ float a = b2f(A[l]), b = b2f(B[l]); D[l] = f2b(EXPRF); }); \
        return 0; (void)x; }                                                \
    static int NAME##_f64(XARGS) {                                          \
        uint64_t *D = XREG(in->d[0]);                                       \
        const uint64_t *A = XREG(in->a), *B = XREG(in->b);                  \
        LANES({ double a = b2d(A[l]), b = b2d(B[l]); D[l] = d2b(EXPRD); }); \
        return 0; (void)x; }
F_BIN(f_add, a + b, a + b)
F_BIN(f_sub, a - b, a - b)
F_BIN(f_mul, a * b, a * b)
F_BIN(f_div, a / b, a / b)
F_BIN(f_min, fminf(a, b), fmin(a, b))
F_BIN(f_max, fmaxf(a, b), fmax(a, b))
F_BIN(f_copysign, copysignf(b, a), copysign(b, a))

#define F_UN(NAME, EXPRF, EXPRD)                                             \
    static int NAME##_f32(XARGS) {                                          \
        uint64_t *D = XREG(in->d[0]); const uint64_t *A = XREG(in->a);      \
        if (in->mode) LANES({ float a = ftz(b2f(A[l])); D[l] = f2b(ftz(EXPRF)); }); \
        else LANES({ float a = b2f(A[l]); D[l] = f2b(EXPRF); });            \
        return 0; (void)x; }                                                \
    static int NAME##_f64(XARGS) {                                          \
        uint64_t *D = XREG(in->d[0]); const uint64_t *A = XREG(in->a);      \
        LANES({ double a = b2d(A[l]); D[l] = d2b(EXPRD); });                \
        return 0; (void)x; }
F_UN(f_neg, -a, -a)
F_UN(f_abs, fabsf(a), fabs(a))
F_UN(f_sqrt, sqrtf(a), sqrt(a))
F_UN(f_rsqrt, 1.0f / sqrtf(a), 1.0 / sqrt(a))
F_UN(f_rcp, 1.0f / a, 1.0 / a)
F_UN(f_sin, sinf(a), sin(a))
F_UN(f_cos, cosf(a), cos(a))
F_UN(f_lg2, log2f(a), log2(a))
F_UN(f_ex2, exp2f(a), exp2(a))
F_UN(f_tanh, tanhf(a), tanh(a))

static int f_fma_f32(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c);
    if (in->mode)
        LANES({ D[l] = f2b(ftz(fmaf(ftz(b2f(A[l])), ftz(b2f(B[l])), ftz(b2f(C[l]))))); });
    else
        LANES({ D[l] = f2b(fmaf(b2f(A[l]), b2f(B[l]), b2f(C[l]))); });
    return 0; (void)x;
}

static int f_fma_f64(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c);
    LANES({ D[l] = d2b(fma(b2d(A[l]), b2d(B[l]), b2d(C[l]))); });
    return 0; (void)x;
}

/* setp on floats: ordered comparisons are false on NaN; the "u" forms are
 * true on NaN. */
enum { FC_EQ = 1, FC_NE, FC_LT, FC_LE, FC_GT, FC_GE, FC_EQU, FC_NEU, FC_LTU, FC_LEU,
       FC_GTU, FC_GEU, FC_NUM, FC_NAN };

static inline int fcmp(int mode, double a, double b)
{
    int un = isnan(a) || isnan(b);
    switch (mode) {
    case FC_EQ: return !un && a == b;
    case FC_NE: return !un && a != b;
    case FC_LT: return !un && a < b;
    case FC_LE: return !un && a <= b;
    case FC_GT: return !un && a > b;
    case FC_GE: return !un && a >= b;
    case FC_EQU: return un || a == b;
    case FC_NEU: return un || a != b;
    case FC_LTU: return un || a < b;
    case FC_LEU: return un || a <= b;
    case FC_GTU: return un || a > b;
    case FC_GEU: return un || a >= b;
    case FC_NUM: return !un;
    default:     return un;
    }
}

static inline int fbool(int r, const xins *in, const uint64_t *Cp, int l)
{
    if (!in->mode2) return r;
    int c = (int)(Cp[l] & 1) ^ !!(in->negs & 4);
    return in->mode2 == 1 ? r & c : in->mode2 == 2 ? r | c : r ^ c;
}

#define F_SETP(NAME, CONV)                                                    \
    static int NAME(XARGS) {                                                \
        uint64_t *D = XREG(in->d[0]);                                       \
        uint64_t *Q = in->d[1] != XNOREG ? XREG(in->d[1]) : NULL;           \
        const uint64_t *A = XREG(in->a), *B = XREG(in->b);                  \
        const uint64_t *Cp = in->c != XNOREG ? XREG(in->c) : NULL;          \
        LANES({ int r = fcmp(in->mode, CONV(A[l]), CONV(B[l]));             \
                D[l] = (uint64_t)fbool(r, in, Cp, l);                       \
                if (Q) Q[l] = (uint64_t)fbool(!r, in, Cp, l); });           \
        return 0; (void)x; }
F_SETP(f_setp_f32, b2f)
F_SETP(f_setp_f64, b2d)

/* slct.T.f32 d, a, b, c: c >= 0 ? a : b */
static int f_slct(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c);
    LANES({ D[l] = b2f(C[l]) >= 0.0f ? A[l] : B[l]; });
    return 0; (void)x;
}

static int f_cmp_mode(const ptx_instr *in)
{
    static const struct { ptx_mod m; int c; } t[] = {
        { PTX_MOD_EQ, FC_EQ }, { PTX_MOD_NE, FC_NE }, { PTX_MOD_LT, FC_LT }, { PTX_MOD_LE, FC_LE },
        { PTX_MOD_GT, FC_GT }, { PTX_MOD_GE, FC_GE }, { PTX_MOD_EQU, FC_EQU }, { PTX_MOD_NEU, FC_NEU },
        { PTX_MOD_LTU, FC_LTU }, { PTX_MOD_LEU, FC_LEU }, { PTX_MOD_GTU, FC_GTU },
        { PTX_MOD_GEU, FC_GEU }, { PTX_MOD_NUM, FC_NUM }, { PTX_MOD_NAN, FC_NAN },
    };
    for (unsigned i = 0; i < ptx_instr_nmods(in); i++)
        for (unsigned j = 0; j < NT_ARRAY_LEN(t); j++)
            if (ptx_instr_mod(in, i) == t[j].m) return t[j].c;
    return 0;
}

int ops_bool_mode(const ptx_instr *in);
xfn ops_pick_round(const ptx_instr *in, xins *x);

#define PICKF(NAME) (t == PTX_T_F32 ? NAME##_f32 : t == PTX_T_F64 ? NAME##_f64 : NULL)

xfn ops_pick_float(const ptx_instr *in, xins *x)
{
    int t = in->type;
    if (t != PTX_T_F32 && t != PTX_T_F64) {
        if (in->op == PTX_OP_SLCT && in->type2 == PTX_T_F32) return f_slct;
        return NULL;
    }
    /* Directed rounding: computed in that rounding mode (ops_round.c). */
    if (in->op != PTX_OP_SETP &&
        (ptx_instr_has_mod(in, PTX_MOD_RZ) || ptx_instr_has_mod(in, PTX_MOD_RM) ||
         ptx_instr_has_mod(in, PTX_MOD_RP)))
        return ops_pick_round(in, x);
    if (ptx_instr_has_mod(in, PTX_MOD_SAT)) return NULL;
    x->mode = t == PTX_T_F32 && ptx_instr_has_mod(in, PTX_MOD_FTZ);
    switch (in->op) {
    case PTX_OP_ADD: return PICKF(f_add);
    case PTX_OP_SUB: return PICKF(f_sub);
    case PTX_OP_MUL: return PICKF(f_mul);
    case PTX_OP_DIV: return PICKF(f_div);
    case PTX_OP_MIN: return ptx_instr_has_mod(in, PTX_MOD_NAN_) ? NULL : PICKF(f_min);
    case PTX_OP_MAX: return ptx_instr_has_mod(in, PTX_MOD_NAN_) ? NULL : PICKF(f_max);
    case PTX_OP_FMA: case PTX_OP_MAD: return PICKF(f_fma);
    case PTX_OP_NEG: return PICKF(f_neg);
    case PTX_OP_ABS: return PICKF(f_abs);
    case PTX_OP_SQRT: return PICKF(f_sqrt);
    case PTX_OP_RSQRT: return PICKF(f_rsqrt);
    case PTX_OP_RCP: return PICKF(f_rcp);
    case PTX_OP_SIN: return PICKF(f_sin);
    case PTX_OP_COS: return PICKF(f_cos);
    case PTX_OP_LG2: return PICKF(f_lg2);
    case PTX_OP_EX2: return PICKF(f_ex2);
    case PTX_OP_TANH: return PICKF(f_tanh);
    case PTX_OP_COPYSIGN: return PICKF(f_copysign);
    case PTX_OP_SETP: {
        int ftzm = x->mode;
        (void)ftzm;
        x->mode = (uint8_t)f_cmp_mode(in);
        x->mode2 = (uint8_t)ops_bool_mode(in);
        if (!x->mode || (x->mode2 && x->c == XNOREG)) return NULL;
        return PICKF(f_setp);
    }
    default:
        return NULL;
    }
}
