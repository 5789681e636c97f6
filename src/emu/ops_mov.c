/*
 * ops_mov.c — mov (registers, immediates, special registers, vector
 * pack/unpack), cvt, cvta, and ops_pick, which routes an instruction to
 * the file that handles its group.
 */
#include <math.h>
#include "emu/exec.h"

static int mov(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    const uint64_t *A = XREG(in->a);
    LANES({ D[l] = A[l]; });
    return 0; (void)x;
}

static int mov_sreg(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    for (uint32_t mm = m; mm; mm &= mm - 1) {
        int l = __builtin_ctz(mm);
        uint64_t v;
        if (x_sreg(x, w, l, in->sreg, (int)in->e, &v))
            return x_fail(x, in, EMU_E_UNSUPPORTED, "special register %s is not emulated",
                          in->sreg < PTX_SREG_COUNT_ ? ptx_sreg_names[in->sreg] : "?");
        D[l] = v;
    }
    return 0;
}

/* mov.b64 d, {a, b}: elements of width (size of d / vec), low first. */
static int mov_pack(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    uint32_t ew = ptx_type_size(in->type) * 8 / in->vec;
    uint32_t srcs[4] = { in->a, in->b, in->c, in->e };
    uint64_t emask = ew == 64 ? ~0ull : (1ull << ew) - 1;
    LANES({
        uint64_t v = 0;
        for (int i = 0; i < in->vec; i++)
            v |= (XREG(srcs[i])[l] & emask) << (ew * i);
        D[l] = v;
    });
    return 0; (void)x;
}

/* mov.b64 {d0, d1}, a */
static int mov_unpack(XARGS)
{
    const uint64_t *A = XREG(in->a);
    uint32_t ew = ptx_type_size(in->type) * 8 / in->vec;
    uint64_t emask = ew == 64 ? ~0ull : (1ull << ew) - 1;
    uint64_t tmp[WARP];
    LANES({ tmp[l] = A[l]; });
    for (int i = 0; i < in->vec; i++) {
        if (in->d[i] == XNOREG) continue;
        uint64_t *D = XREG(in->d[i]);
        LANES({ D[l] = (tmp[l] >> (ew * i)) & emask; });
    }
    return 0; (void)x;
}

/* ---- cvt ------------------------------------------------------------------------ */
enum { RND_NONE = 0, RND_RN, RND_RZ, RND_RM, RND_RP };

static int64_t sx(uint64_t v, int bits) { return bits >= 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits); }

/* Reads a source value as an integer of its type, or as a double. */
static double src_float(uint64_t v, int t)
{
    return t == PTX_T_F32 ? (double)b2f(v) : b2d(v);
}

static double rnd(double v, int mode)
{
    switch (mode) {
    case RND_RZ: return trunc(v);
    case RND_RM: return floor(v);
    case RND_RP: return ceil(v);
    default:     return nearbyint(v);   /* ties to even */
    }
}

/* Clamps a double to an integer type's range (NaN -> 0). */
static uint64_t f2i(double v, int t)
{
    unsigned bits = ptx_type_size(t) * 8;
    if (isnan(v)) return 0;
    if (ptx_type_is_signed(t)) {
        double lo = -ldexp(1.0, (int)bits - 1), hi = ldexp(1.0, (int)bits - 1) - 1;
        if (v <= lo) return (uint64_t)(int64_t)lo;
        if (v >= hi) return bits == 64 ? (uint64_t)INT64_MAX : (uint64_t)(int64_t)hi;
        return (uint64_t)(int64_t)v;
    }
    double hi = ldexp(1.0, (int)bits) - 1;
    if (v <= 0) return 0;
    if (v >= hi) return bits == 64 ? UINT64_MAX : (uint64_t)hi;
    return (uint64_t)v;
}

static uint64_t mask_of(int t)
{
    unsigned b = ptx_type_size(t) * 8;
    return b >= 64 ? ~0ull : (1ull << b) - 1;
}

static int cvt(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    const uint64_t *A = XREG(in->a);
    int dt = in->type, st = in->type2, mode = in->mode, sat = in->mode2 & 1, ftzf = in->mode2 & 2;
    int dfl = ptx_type_is_float(dt), sfl = ptx_type_is_float(st);
    unsigned sbits = ptx_type_size(st) * 8;
    LANES({
        uint64_t v = A[l], r;
        if (!sfl && !dfl) {
            int64_t s = ptx_type_is_signed(st) ? sx(v, (int)sbits) : (int64_t)(v & mask_of(st));
            if (sat) {
                unsigned db = ptx_type_size(dt) * 8;
                int64_t lo, hi;
                if (ptx_type_is_signed(dt)) { lo = db >= 64 ? INT64_MIN : -(1ll << (db - 1)); hi = db >= 64 ? INT64_MAX : (1ll << (db - 1)) - 1; }
                else { lo = 0; hi = db >= 64 ? INT64_MAX : (int64_t)((1ull << db) - 1); }
                if (!ptx_type_is_signed(st) && (v & mask_of(st)) > (uint64_t)INT64_MAX) s = INT64_MAX;
                else if (s < lo) s = lo;
                else if (s > hi) s = hi;
            }
            r = (uint64_t)s & mask_of(dt);
            if (ptx_type_is_signed(dt)) r = (uint64_t)sx(r, (int)(ptx_type_size(dt) * 8)) & mask_of(dt);
        } else if (!sfl) {
            /* integer -> float: C's conversion rounds to nearest even */
            if (ptx_type_is_signed(st)) {
                int64_t s = sx(v, (int)sbits);
                r = dt == PTX_T_F32 ? f2b((float)s) : d2b((double)s);
            } else {
                uint64_t u = v & mask_of(st);
                r = dt == PTX_T_F32 ? f2b((float)u) : d2b((double)u);
            }
        } else if (!dfl) {
            double f = src_float(v, st);
            if (ftzf && st == PTX_T_F32 && fpclassify(f) == FP_SUBNORMAL) f = 0;
            r = f2i(rnd(f, mode), dt) & mask_of(dt);
        } else if (st == PTX_T_F32 && dt == PTX_T_F64) {
            r = d2b((double)b2f(v));
        } else if (st == PTX_T_F64 && dt == PTX_T_F32) {
            r = f2b((float)b2d(v));
        } else {   /* same type: round to an integral value (rni etc.) */
            double f = src_float(v, st);
            f = mode ? rnd(f, mode) : f;
            if (sat) f = isnan(f) ? 0.0 : f < 0 ? 0.0 : f > 1 ? 1.0 : f;
            r = dt == PTX_T_F32 ? f2b((float)f) : d2b(f);
        }
        if (dt == PTX_T_F32 && sat && sfl != dfl) {
            float f = b2f(r);
            r = f2b(isnan(f) ? 0.0f : f < 0 ? 0.0f : f > 1 ? 1.0f : f);
        }
        D[l] = r;
    });
    return 0; (void)x;
}

static int cvt_sreg(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    for (uint32_t mm = m; mm; mm &= mm - 1) {
        int l = __builtin_ctz(mm);
        uint64_t v;
        if (x_sreg(x, w, l, in->sreg, (int)in->e, &v))
            return x_fail(x, in, EMU_E_UNSUPPORTED, "special register is not emulated");
        D[l] = v & mask_of(in->type);
    }
    return 0;
}

/* cvta: generic <-> space (mode: window base to add; mode2: 1 = to space) */
static int cvta(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    const uint64_t *A = XREG(in->a);
    uint64_t base = in->off;
    if (in->mode2) LANES({ D[l] = A[l] - base; });
    else LANES({ D[l] = A[l] + base; });
    return 0; (void)x;
}

static int rounding(const ptx_instr *in)
{
    for (unsigned i = 0; i < ptx_instr_nmods(in); i++)
        switch (ptx_instr_mod(in, i)) {
        case PTX_MOD_RN: case PTX_MOD_RNI: return RND_RN;
        case PTX_MOD_RZ: case PTX_MOD_RZI: return RND_RZ;
        case PTX_MOD_RM: case PTX_MOD_RMI: return RND_RM;
        case PTX_MOD_RP: case PTX_MOD_RPI: return RND_RP;
        default: break;
        }
    return RND_NONE;
}

static int plain_type(int t)
{
    return t != PTX_T_NONE && t != PTX_T_PRED && ptx_type_size(t) >= 1 && ptx_type_size(t) <= 8 &&
           (t <= PTX_T_S64 || t == PTX_T_F32 || t == PTX_T_F64);
}

xfn ops_pick_mov(const ptx_instr *in, xins *x)
{
    switch (in->op) {
    case PTX_OP_MOV:
        if (x->sreg) return mov_sreg;
        if (x->mode2 == 1) return x->vec > 1 && ptx_type_size(in->type) ? mov_pack : NULL;
        if (x->vec > 1) return ptx_type_size(in->type) ? mov_unpack : NULL;
        return mov;
    case PTX_OP_CVT: {
        int dt = in->type, st = in->type2;
        if (!plain_type(dt) || !plain_type(st)) return NULL;      /* f16, bf16, ... */
        if (x->sreg) return cvt_sreg;
        int r = rounding(in);
        /* float -> float of a narrower type with directed rounding: refuse */
        if (ptx_type_is_float(dt) && ptx_type_is_float(st) && dt != st && r > RND_RN) return NULL;
        if (ptx_type_is_float(dt) && !ptx_type_is_float(st) && r > RND_RN) return NULL;
        x->mode = (uint8_t)r;
        x->mode2 = (uint8_t)(ptx_instr_has_mod(in, PTX_MOD_SAT) | (ptx_instr_has_mod(in, PTX_MOD_FTZ) << 1));
        return cvt;
    }
    case PTX_OP_CVTA: {
        int to = ptx_instr_has_mod(in, PTX_MOD_TO);
        int sp = in->space;
        x->mode2 = (uint8_t)to;
        if (sp == PTX_SP_SHARED) x->off = (int64_t)EMU_SHARED_WIN;
        else if (sp == PTX_SP_LOCAL) x->off = (int64_t)EMU_LOCAL_WIN;
        else if (sp == PTX_SP_GLOBAL || sp == PTX_SP_CONST) x->off = 0;
        else return NULL;
        return cvta;
    }
    default:
        return NULL;
    }
}

static int nop(XARGS) { return 0; (void)x; (void)w; (void)in; (void)m; }

xfn ops_pick(const ptx_instr *in, xins *x, nt_err *e)
{
    (void)e;
    if (x->sreg && in->op != PTX_OP_MOV && in->op != PTX_OP_CVT) return NULL;
    switch (in->op) {
    case PTX_OP_MOV: case PTX_OP_CVT: case PTX_OP_CVTA:
        return ops_pick_mov(in, x);
    case PTX_OP_LD: case PTX_OP_LDU: case PTX_OP_ST: case PTX_OP_ATOM: case PTX_OP_RED:
        return ops_pick_mem(in, x);
    case PTX_OP_SHFL: case PTX_OP_VOTE: case PTX_OP_ACTIVEMASK: case PTX_OP_REDUX: case PTX_OP_MATCH:
        return ops_pick_warp(in, x);
    case PTX_OP_MEMBAR: case PTX_OP_FENCE: case PTX_OP_NANOSLEEP: case PTX_OP_PREFETCH:
    case PTX_OP_PREFETCHU: case PTX_OP_BAR: case PTX_OP_BARRIER:
        return nop;      /* one thread of execution: already ordered */
    case PTX_OP_SELP:
        return ops_pick_int(in, x);
    default:
        if (ptx_type_is_float(in->type) || in->op == PTX_OP_SLCT)
            return ops_pick_float(in, x);
        return ops_pick_int(in, x);
    }
}
