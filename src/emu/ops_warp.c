/*
 * ops_warp.c — warp-wide instructions: shfl.sync, vote.sync, activemask,
 * redux.sync.  They see the whole warp at once, which is exactly what the
 * executor's warp-at-a-time issue gives them.
 *
 * The member mask operand is not checked against the active mask (the
 * hardware's behaviour for a mismatch is undefined).
 */
#include "emu/exec.h"

enum { SH_UP = 1, SH_DOWN, SH_BFLY, SH_IDX };

/* shfl.sync.mode.b32 d[|p], a, b, c, membermask */
static int shfl(XARGS)
{
    const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c);
    uint64_t src[WARP];
    for (int l = 0; l < WARP; l++) src[l] = (uint32_t)A[l];
    uint64_t *D = XREG(in->d[0]);
    uint64_t *P = in->d[1] != XNOREG ? XREG(in->d[1]) : NULL;
    LANES({
        uint32_t bval = (uint32_t)B[l] & 0x1f, c = (uint32_t)C[l];
        uint32_t cval = c & 0x1f, seg = (c >> 8) & 0x1f;
        uint32_t lane = (uint32_t)l;
        uint32_t maxl = (lane & seg) | (cval & ~seg), minl = lane & seg;
        int32_t j;
        int ok;
        switch (in->mode) {
        case SH_UP:   j = (int32_t)lane - (int32_t)bval; ok = j >= (int32_t)maxl; break;
        case SH_DOWN: j = (int32_t)(lane + bval); ok = j <= (int32_t)maxl; break;
        case SH_BFLY: j = (int32_t)(lane ^ bval); ok = j <= (int32_t)maxl; break;
        default:      j = (int32_t)(minl | (bval & ~seg)); ok = j <= (int32_t)maxl; break;
        }
        if (!ok || j < 0 || j >= WARP) j = (int32_t)lane;
        D[l] = src[j];
        if (P) P[l] = (uint64_t)ok;
    });
    return 0; (void)x;
}

enum { V_ALL = 1, V_ANY, V_UNI, V_BALLOT };

static int vote(XARGS)
{
    const uint64_t *A = XREG(in->a);
    uint64_t *D = XREG(in->d[0]);
    int neg = in->negs & 1;
    uint32_t ballot = 0;
    LANES({ ballot |= (uint32_t)(((A[l] & 1) ^ (uint64_t)neg) << l); });
    uint64_t r;
    switch (in->mode) {
    case V_ALL:  r = ballot == m; break;
    case V_ANY:  r = ballot != 0; break;
    case V_UNI:  r = ballot == 0 || ballot == m; break;
    default:     r = ballot; break;
    }
    LANES({ D[l] = r; });
    return 0; (void)x;
}

static int activemask(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    LANES({ D[l] = m; });
    return 0; (void)x;
}

enum { R_ADD = 1, R_MIN, R_MAX, R_AND, R_OR, R_XOR };

static int redux(XARGS)
{
    const uint64_t *A = XREG(in->a);
    uint64_t *D = XREG(in->d[0]);
    int sgn = ptx_type_is_signed(in->type);
    uint32_t acc = 0;
    int first = 1;
    LANES({
        uint32_t v = (uint32_t)A[l];
        if (first) { acc = v; first = 0; continue; }
        switch (in->mode) {
        case R_ADD: acc += v; break;
        case R_MIN: acc = sgn ? ((int32_t)v < (int32_t)acc ? v : acc) : (v < acc ? v : acc); break;
        case R_MAX: acc = sgn ? ((int32_t)v > (int32_t)acc ? v : acc) : (v > acc ? v : acc); break;
        case R_AND: acc &= v; break;
        case R_OR:  acc |= v; break;
        default:    acc ^= v; break;
        }
    });
    LANES({ D[l] = acc; });
    return 0; (void)x;
}

xfn ops_pick_warp(const ptx_instr *in, xins *x)
{
    switch (in->op) {
    case PTX_OP_SHFL:
        if (!ptx_instr_has_mod(in, PTX_MOD_SYNC) || in->type != PTX_T_B32) return NULL;
        x->mode = ptx_instr_has_mod(in, PTX_MOD_UP) ? SH_UP : ptx_instr_has_mod(in, PTX_MOD_DOWN)
                  ? SH_DOWN : ptx_instr_has_mod(in, PTX_MOD_BFLY) ? SH_BFLY
                  : ptx_instr_has_mod(in, PTX_MOD_IDX) ? SH_IDX : 0;
        return x->mode && x->c != XNOREG ? shfl : NULL;
    case PTX_OP_VOTE:
        if (!ptx_instr_has_mod(in, PTX_MOD_SYNC)) return NULL;
        x->mode = ptx_instr_has_mod(in, PTX_MOD_ALL) ? V_ALL : ptx_instr_has_mod(in, PTX_MOD_ANY)
                  ? V_ANY : ptx_instr_has_mod(in, PTX_MOD_UNI) ? V_UNI
                  : ptx_instr_has_mod(in, PTX_MOD_BALLOT) ? V_BALLOT : 0;
        return x->mode ? vote : NULL;
    case PTX_OP_ACTIVEMASK:
        return activemask;
    case PTX_OP_REDUX:
        if (!ptx_instr_has_mod(in, PTX_MOD_SYNC) || ptx_type_size(in->type) != 4 ||
            ptx_type_is_float(in->type)) return NULL;
        x->mode = ptx_instr_has_mod(in, PTX_MOD_ADD) ? R_ADD : ptx_instr_has_mod(in, PTX_MOD_MIN)
                  ? R_MIN : ptx_instr_has_mod(in, PTX_MOD_MAX) ? R_MAX
                  : ptx_instr_has_mod(in, PTX_MOD_AND) ? R_AND : ptx_instr_has_mod(in, PTX_MOD_OR)
                  ? R_OR : ptx_instr_has_mod(in, PTX_MOD_XOR) ? R_XOR : 0;
        return x->mode ? redux : NULL;
    default:
        return NULL;
    }
}
