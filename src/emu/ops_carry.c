/*
 * ops_carry.c — extended-precision arithmetic through the carry flag:
 * add.cc, addc(.cc), sub.cc, subc(.cc), mad{.lo,.hi}.cc, madc{.lo,.hi}(.cc),
 * 32- and 64-bit.  The flag (CC.CF) is a per-thread register of the
 * function (x->e, given by the lowering); subtraction uses it as a borrow:
 * subc computes a - (b + CF), as the PTX ISA defines it.
 */
#include "emu/exec.h"

typedef unsigned __int128 u128;

enum { K_ADD = 1, K_SUB, K_MADLO, K_MADHI };

/* mode: K_*; mode2 bit 0: carry in, bit 1: carry out */
#define CARRY_T(NAME, T, W, WIDE)                                           \
    static int NAME(XARGS) {                                               \
        uint64_t *D = XREG(in->d[0]), *CF = XREG(in->e);                   \
        const uint64_t *A = XREG(in->a), *B = XREG(in->b);                 \
        const uint64_t *C = in->c != XNOREG ? XREG(in->c) : NULL;          \
        int cin = in->mode2 & 1, cout = in->mode2 & 2;                     \
        LANES({                                                            \
            WIDE a = (T)A[l], b = (T)B[l], ci = cin ? (CF[l] & 1) : 0, r;  \
            int carry;                                                     \
            switch (in->mode) {                                            \
            case K_ADD: r = a + b + ci; carry = (int)(r >> W); break;      \
            case K_SUB: r = a - b - ci; carry = a < b + ci; break;         \
            default: {                                                     \
                WIDE p = a * b;                                            \
                WIDE part = in->mode == K_MADLO ? (WIDE)(T)p : p >> W;     \
                r = part + (WIDE)(T)C[l] + ci; carry = (int)(r >> W); break; } \
            }                                                              \
            D[l] = (T)r;                                                   \
            if (cout) CF[l] = (uint64_t)carry; });                         \
        return 0; (void)x; }
CARRY_T(carry32, uint32_t, 32, uint64_t)
CARRY_T(carry64, uint64_t, 64, u128)

xfn ops_pick_carry(const ptx_instr *in, xins *x);
xfn ops_pick_carry(const ptx_instr *in, xins *x)
{
    int cc = ptx_instr_has_mod(in, PTX_MOD_CC);
    switch (in->op) {
    case PTX_OP_ADD:  x->mode = K_ADD; x->mode2 = 2; break;
    case PTX_OP_ADDC: x->mode = K_ADD; x->mode2 = (uint8_t)(1 | (cc << 1)); break;
    case PTX_OP_SUB:  x->mode = K_SUB; x->mode2 = 2; break;
    case PTX_OP_SUBC: x->mode = K_SUB; x->mode2 = (uint8_t)(1 | (cc << 1)); break;
    case PTX_OP_MAD:
    case PTX_OP_MADC:
        x->mode = ptx_instr_has_mod(in, PTX_MOD_HI) ? K_MADHI : K_MADLO;
        x->mode2 = (uint8_t)((in->op == PTX_OP_MADC) | (cc << 1));
        if (x->c == XNOREG) return NULL;
        break;
    default:
        return NULL;
    }
    if (x->e == XNOREG) return NULL;
    switch (in->type) {
    case PTX_T_U32: case PTX_T_S32: case PTX_T_B32: return carry32;
    case PTX_T_U64: case PTX_T_S64: case PTX_T_B64: return carry64;
    default: return NULL;
    }
}
