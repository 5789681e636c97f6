/*
 * ops_round.c — float arithmetic with a directed rounding mode (.rz, .rm,
 * .rp): add, sub, mul, fma, div, sqrt, rcp for f32 and f64, computed by the
 * host FPU in that rounding mode.  (nvcc emits these inside its math
 * library expansions.)  The file is compiled so the compiler neither folds
 * nor moves float operations across the rounding-mode switches.
 */
#if defined(__clang__)
#pragma STDC FENV_ACCESS ON
#else
#pragma GCC optimize("rounding-math")
#endif
#include <fenv.h>
#include <math.h>
#include "emu/exec.h"

enum { OP_ADD = 1, OP_SUB, OP_MUL, OP_FMA, OP_DIV, OP_SQRT, OP_RCP };

static int fe_mode(const ptx_instr *in)
{
    if (ptx_instr_has_mod(in, PTX_MOD_RZ)) return FE_TOWARDZERO;
    if (ptx_instr_has_mod(in, PTX_MOD_RM)) return FE_DOWNWARD;
    if (ptx_instr_has_mod(in, PTX_MOD_RP)) return FE_UPWARD;
    return -1;
}

/* One body for both widths: T is the C type, FROM/TO convert register
 * bits, FMA/SQRT are libm's functions of that width. */
#define ROUND_FN(name, T, FROM, TO, FMA, SQRT)                               \
    static int name(XARGS)                                                    \
    {                                                                         \
        uint64_t *D = XREG(in->d[0]);                                         \
        const uint64_t *A = XREG(in->a);                                      \
        const uint64_t *B = in->b != XNOREG ? XREG(in->b) : A;                \
        const uint64_t *C = in->c != XNOREG ? XREG(in->c) : A;                \
        int saved = fegetround();                                             \
        fesetround((int)in->off);                                             \
        LANES({                                                               \
            volatile T a = FROM(A[l]), b = FROM(B[l]), c = FROM(C[l]);        \
            T r;                                                              \
            switch (in->mode) {                                               \
            case OP_ADD: r = a + b; break;                                    \
            case OP_SUB: r = a - b; break;                                    \
            case OP_MUL: r = a * b; break;                                    \
            case OP_FMA: r = FMA(a, b, c); break;                             \
            case OP_DIV: r = a / b; break;                                    \
            case OP_SQRT: r = SQRT(a); break;                                 \
            default: r = (T)1 / a; break;                                     \
            }                                                                 \
            D[l] = TO(r);                                                     \
        });                                                                   \
        fesetround(saved);                                                    \
        return 0; (void)x;                                                    \
    }

ROUND_FN(round_f32, float, b2f, f2b, fmaf, sqrtf)
ROUND_FN(round_f64, double, b2d, d2b, fma, sqrt)

xfn ops_pick_round(const ptx_instr *in, xins *x);
xfn ops_pick_round(const ptx_instr *in, xins *x)
{
    int fm = fe_mode(in);
    if (fm < 0 || ptx_instr_has_mod(in, PTX_MOD_SAT) || ptx_instr_has_mod(in, PTX_MOD_FTZ)) return NULL;
    switch (in->op) {
    case PTX_OP_ADD: x->mode = OP_ADD; break;
    case PTX_OP_SUB: x->mode = OP_SUB; break;
    case PTX_OP_MUL: x->mode = OP_MUL; break;
    case PTX_OP_FMA: case PTX_OP_MAD: x->mode = OP_FMA; break;
    case PTX_OP_DIV: x->mode = OP_DIV; break;
    case PTX_OP_SQRT: x->mode = OP_SQRT; break;
    case PTX_OP_RCP: x->mode = OP_RCP; break;
    default: return NULL;
    }
    x->off = fm;      /* the fenv rounding mode */
    return in->type == PTX_T_F32 ? round_f32 : in->type == PTX_T_F64 ? round_f64 : NULL;
}
