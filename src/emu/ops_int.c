/*
 * ops_int.c — integer, logic, shift, bit and comparison instructions.
 *
 * Each handler reads its sources at the PTX type's width (a cast of the
 * 64-bit register slot) and writes its result zero-extended, so a
 * register's upper bits never leak into a narrower reader.
 */
#include "emu/exec.h"

/* The macros below are instantiated for signed and unsigned types alike. */
#pragma GCC diagnostic ignored "-Wtype-limits"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* Binary handler for all six integer types: NAME_u16 ... NAME_s64. */
#define BIN_T(NAME, T, UT, EXPR)                                            \
    static int NAME(XARGS) {                                               \
        uint64_t *D = XREG(in->d[0]);                                      \
        const uint64_t *A = XREG(in->a), *B = XREG(in->b);                 \
        LANES({ T a = (T)A[l]; T b = (T)B[l]; D[l] = (UT)(EXPR); });       \
        return 0; (void)x; }
#define BIN_ALL(OP, EXPR)                                                   \
    BIN_T(OP##_u16, uint16_t, uint16_t, EXPR) BIN_T(OP##_s16, int16_t, uint16_t, EXPR) \
    BIN_T(OP##_u32, uint32_t, uint32_t, EXPR) BIN_T(OP##_s32, int32_t, uint32_t, EXPR) \
    BIN_T(OP##_u64, uint64_t, uint64_t, EXPR) BIN_T(OP##_s64, int64_t, uint64_t, EXPR)
#define PICK6(OP, t) pick6(t, OP##_u16, OP##_s16, OP##_u32, OP##_s32, OP##_u64, OP##_s64)

/* Wrapping arithmetic through the unsigned type (no signed overflow UB). */
#define WRAP(op) ((__typeof__(a))((uint64_t)a op (uint64_t)b))
BIN_ALL(i_add, WRAP(+))
BIN_ALL(i_sub, WRAP(-))
BIN_ALL(i_mullo, WRAP(*))
BIN_ALL(i_min, a < b ? a : b)
BIN_ALL(i_max, a > b ? a : b)
BIN_ALL(i_and, a & b)
BIN_ALL(i_or, a | b)
BIN_ALL(i_xor, a ^ b)
/* Division by zero gives all ones (as the hardware's sequence does);
 * MIN / -1 wraps. */
#define SIGNED_M1(b) ((__typeof__(b))-1 < 0 && b == (__typeof__(b))-1)
BIN_ALL(i_div, b == 0 ? (__typeof__(a))-1 : SIGNED_M1(b) ? (__typeof__(a))(0 - (uint64_t)a) : a / b)
BIN_ALL(i_rem, b == 0 ? a : SIGNED_M1(b) ? 0 : a % b)

/* mul.hi: the upper half of the double-width product. */
#define MULHI(T, W) (T)(((W)a * (W)b) >> (sizeof(T) * 8))
BIN_T(i_mulhi_u16, uint16_t, uint16_t, MULHI(uint16_t, uint32_t))
BIN_T(i_mulhi_s16, int16_t, uint16_t, MULHI(int16_t, int32_t))
BIN_T(i_mulhi_u32, uint32_t, uint32_t, MULHI(uint32_t, uint64_t))
BIN_T(i_mulhi_s32, int32_t, uint32_t, MULHI(int32_t, int64_t))
BIN_T(i_mulhi_u64, uint64_t, uint64_t, MULHI(uint64_t, u128))
BIN_T(i_mulhi_s64, int64_t, uint64_t, MULHI(int64_t, s128))
/* mul.wide: double-width result. */
BIN_T(i_mulwide_u16, uint16_t, uint32_t, (uint32_t)a * b)
BIN_T(i_mulwide_s16, int16_t, uint32_t, (int32_t)a * b)
BIN_T(i_mulwide_u32, uint32_t, uint64_t, (uint64_t)a * b)
BIN_T(i_mulwide_s32, int32_t, uint64_t, (int64_t)a * b)

/* Shifts: the amount is u32 and clamps at the width. */
#define SHIFT_T(NAME, T, UT, EXPR)                                          \
    static int NAME(XARGS) {                                               \
        uint64_t *D = XREG(in->d[0]);                                      \
        const uint64_t *A = XREG(in->a), *B = XREG(in->b);                 \
        const uint32_t W = sizeof(T) * 8;                                  \
        LANES({ T a = (T)A[l]; uint32_t b = (uint32_t)B[l]; if (b > W) b = W; \
                D[l] = (UT)(EXPR); });                                     \
        return 0; (void)x; }
#define SHL(T) (b >= W ? (T)0 : (T)((uint64_t)a << b))
SHIFT_T(i_shl_16, uint16_t, uint16_t, SHL(uint16_t))
SHIFT_T(i_shl_32, uint32_t, uint32_t, SHL(uint32_t))
SHIFT_T(i_shl_64, uint64_t, uint64_t, SHL(uint64_t))
SHIFT_T(i_shr_u16, uint16_t, uint16_t, b >= W ? 0 : a >> b)
SHIFT_T(i_shr_u32, uint32_t, uint32_t, b >= W ? 0 : a >> b)
SHIFT_T(i_shr_u64, uint64_t, uint64_t, b >= W ? 0 : a >> b)
SHIFT_T(i_shr_s16, int16_t, uint16_t, a >> (b >= W ? W - 1 : b))
SHIFT_T(i_shr_s32, int32_t, uint32_t, a >> (b >= W ? W - 1 : b))
SHIFT_T(i_shr_s64, int64_t, uint64_t, a >> (b >= W ? W - 1 : b))

/* Unary. */
#define UN_T(NAME, T, UT, EXPR)                                             \
    static int NAME(XARGS) {                                               \
        uint64_t *D = XREG(in->d[0]); const uint64_t *A = XREG(in->a);     \
        LANES({ T a = (T)A[l]; D[l] = (UT)(EXPR); });                      \
        return 0; (void)x; }
#define UN_ALL(OP, EXPR)                                                    \
    UN_T(OP##_u16, uint16_t, uint16_t, EXPR) UN_T(OP##_s16, int16_t, uint16_t, EXPR) \
    UN_T(OP##_u32, uint32_t, uint32_t, EXPR) UN_T(OP##_s32, int32_t, uint32_t, EXPR) \
    UN_T(OP##_u64, uint64_t, uint64_t, EXPR) UN_T(OP##_s64, int64_t, uint64_t, EXPR)
UN_ALL(i_neg, (__typeof__(a))(0 - (uint64_t)a))
UN_ALL(i_abs, a < 0 ? (__typeof__(a))(0 - (uint64_t)a) : a)
UN_ALL(i_not, ~a)
UN_ALL(i_cnot, a == 0)
UN_T(p_not, uint64_t, uint64_t, (a & 1) ^ 1)
UN_T(i_popc_32, uint32_t, uint32_t, __builtin_popcount(a))
UN_T(i_popc_64, uint64_t, uint32_t, __builtin_popcountll(a))
UN_T(i_clz_32, uint32_t, uint32_t, a ? __builtin_clz(a) : 32)
UN_T(i_clz_64, uint64_t, uint32_t, a ? __builtin_clzll(a) : 64)
static uint32_t brev32(uint32_t v)
{
    v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
    v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
    v = ((v >> 4) & 0x0f0f0f0fu) | ((v & 0x0f0f0f0fu) << 4);
    return __builtin_bswap32(v);
}
UN_T(i_brev_32, uint32_t, uint32_t, brev32(a))
UN_T(i_brev_64, uint64_t, uint64_t, ((uint64_t)brev32((uint32_t)a) << 32) | brev32((uint32_t)(a >> 32)))
/* bfind: position of the most significant non-sign bit; all ones if none.
 * mode 1: .shiftamt (31 - pos). */
#define BFIND(T, W) static int i_bfind_##T(XARGS) {                           \
        uint64_t *D = XREG(in->d[0]); const uint64_t *A = XREG(in->a);     \
        LANES({ T a = (T)A[l]; uint64_t u = (uint64_t)a;                   \
                if ((T)-1 < 0 && a < 0) u = ~u;                            \
                u &= (W == 64 ? ~0ull : (1ull << W) - 1);                  \
                uint32_t r = u ? 63 - (uint32_t)__builtin_clzll(u) : 0xffffffffu; \
                if (in->mode && r != 0xffffffffu) r = W - 1 - r;           \
                D[l] = r; });                                              \
        return 0; (void)x; }
BFIND(uint32_t, 32) BFIND(int32_t, 32) BFIND(uint64_t, 64) BFIND(int64_t, 64)

/* bfe d, a, pos, len (pos and len from the low 8 bits of b and c). */
#define BFE(T, UT, W) static int i_bfe_##T(XARGS) {                           \
        uint64_t *D = XREG(in->d[0]);                                      \
        const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c); \
        LANES({ T a = (T)A[l]; uint32_t pos = B[l] & 0xff, len = C[l] & 0xff; \
                int sbit; uint64_t r = 0;                                  \
                if ((T)-1 > 0 || len == 0) sbit = 0;                       \
                else sbit = (int)(((uint64_t)a >> (pos + len - 1 < W - 1 ? pos + len - 1 : W - 1)) & 1); \
                for (uint32_t i = 0; i < W; i++) {                         \
                    int bit = i < len && pos + i < W ? (int)(((uint64_t)a >> (pos + i)) & 1) : sbit; \
                    r |= (uint64_t)bit << i; }                             \
                D[l] = (UT)r; });                                          \
        return 0; (void)x; }
BFE(uint32_t, uint32_t, 32) BFE(int32_t, uint32_t, 32) BFE(uint64_t, uint64_t, 64) BFE(int64_t, uint64_t, 64)

/* bfi d, f, b, pos, len: insert the low len bits of f into b at pos. */
#define BFI(T, W) static int i_bfi_##W(XARGS) {                               \
        uint64_t *D = XREG(in->d[0]);                                      \
        const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c), *E = XREG(in->e); \
        LANES({ T f = (T)A[l], b = (T)B[l]; uint32_t pos = C[l] & 0xff, len = E[l] & 0xff; \
                T r = b;                                                   \
                for (uint32_t i = 0; i < len && pos + i < W; i++) {        \
                    T bit = (T)1 << (pos + i);                             \
                    r = (T)((r & ~bit) | (((f >> i) & 1) ? bit : 0)); }    \
                D[l] = r; });                                              \
        return 0; (void)x; }
BFI(uint32_t, 32) BFI(uint64_t, 64)

/* prmt.b32 d, a, b, c: byte permute (default mode and f4e/b4e/rc8/ecl/ecr/rc16). */
static int i_prmt(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c);
    LANES({
        uint64_t t = (uint32_t)A[l] | ((uint64_t)(uint32_t)B[l] << 32);
        uint32_t c = (uint32_t)C[l], r = 0;
        for (int i = 0; i < 4; i++) {
            uint32_t sel = (c >> (4 * i)) & 0xf;
            uint32_t byte = (uint32_t)(t >> (8 * (sel & 7))) & 0xff;
            if (sel & 8) byte = (byte & 0x80) ? 0xff : 0;
            r |= byte << (8 * i);
        }
        D[l] = r;
    });
    return 0; (void)x;
}

/* lop3.b32 d, a, b, c, immLut */
static int i_lop3(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c), *E = XREG(in->e);
    LANES({
        uint32_t a = (uint32_t)A[l], b = (uint32_t)B[l], c = (uint32_t)C[l], lut = (uint32_t)E[l], r = 0;
        for (int i = 0; i < 32; i++) {
            uint32_t ix = ((a >> i & 1) << 2) | ((b >> i & 1) << 1) | (c >> i & 1);
            r |= ((lut >> ix) & 1) << i;
        }
        D[l] = r;
    });
    return 0; (void)x;
}

/* shf.{l,r}.{wrap,clamp}.b32 d, a, b, c: funnel shift of b:a by c. */
static int i_shf(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c);
    int left = in->mode & 1, clamp = in->mode & 2;
    LANES({
        uint64_t v = ((uint64_t)(uint32_t)B[l] << 32) | (uint32_t)A[l];
        uint32_t n = (uint32_t)C[l];
        n = clamp ? (n > 32 ? 32 : n) : (n & 31);
        D[l] = left ? (uint32_t)((v << n) >> 32) : (uint32_t)(v >> n);
    });
    return 0; (void)x;
}

/* mad.lo / mad.hi / mad.wide: a*b + c. */
#define MAD_T(NAME, T, UT, PROD)                                             \
    static int NAME(XARGS) {                                               \
        uint64_t *D = XREG(in->d[0]);                                      \
        const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c); \
        LANES({ T a = (T)A[l]; T b = (T)B[l]; D[l] = (UT)((uint64_t)(PROD) + C[l]); }); \
        return 0; (void)x; }
MAD_T(i_madlo_u16, uint16_t, uint16_t, (uint64_t)a * b) MAD_T(i_madlo_s16, int16_t, uint16_t, (uint64_t)a * (uint64_t)b)
MAD_T(i_madlo_u32, uint32_t, uint32_t, (uint64_t)a * b) MAD_T(i_madlo_s32, int32_t, uint32_t, (uint64_t)a * (uint64_t)b)
MAD_T(i_madlo_u64, uint64_t, uint64_t, a * b) MAD_T(i_madlo_s64, int64_t, uint64_t, (uint64_t)a * (uint64_t)b)
MAD_T(i_madhi_u32, uint32_t, uint32_t, MULHI(uint32_t, uint64_t)) MAD_T(i_madhi_s32, int32_t, uint32_t, (uint32_t)MULHI(int32_t, int64_t))
MAD_T(i_madhi_u64, uint64_t, uint64_t, MULHI(uint64_t, u128)) MAD_T(i_madhi_s64, int64_t, uint64_t, (uint64_t)MULHI(int64_t, s128))
MAD_T(i_madwide_u16, uint16_t, uint32_t, (uint32_t)a * b) MAD_T(i_madwide_s16, int16_t, uint32_t, (uint64_t)((int32_t)a * b))
MAD_T(i_madwide_u32, uint32_t, uint64_t, (uint64_t)a * b) MAD_T(i_madwide_s32, int32_t, uint64_t, (uint64_t)((int64_t)a * b))

/* add.sat.s32 / sub.sat.s32 */
BIN_T(i_addsat, int32_t, uint32_t, (int32_t)NT_MAX(NT_MIN((int64_t)a + b, (int64_t)INT32_MAX), (int64_t)INT32_MIN))
BIN_T(i_subsat, int32_t, uint32_t, (int32_t)NT_MAX(NT_MIN((int64_t)a - b, (int64_t)INT32_MAX), (int64_t)INT32_MIN))

/* ---- setp and selp ------------------------------------------------------------ */
enum { C_EQ = 1, C_NE, C_LT, C_LE, C_GT, C_GE, C_LO, C_LS, C_HI, C_HS };
enum { B_NONE = 0, B_AND, B_OR, B_XOR };

static inline int boolop(int r, int mode2, const xins *in, const uint64_t *Cp, int l)
{
    if (!mode2) return r;
    int c = (int)(Cp[l] & 1) ^ !!(in->negs & 4);
    return mode2 == B_AND ? r & c : mode2 == B_OR ? r | c : r ^ c;
}

#define SETP_T(NAME, T)                                                      \
    static int NAME(XARGS) {                                               \
        uint64_t *D = XREG(in->d[0]);                                      \
        uint64_t *Q = in->d[1] != XNOREG ? XREG(in->d[1]) : NULL;          \
        const uint64_t *A = XREG(in->a), *B = XREG(in->b);                 \
        const uint64_t *Cp = in->c != XNOREG ? XREG(in->c) : NULL;         \
        int mode2 = in->mode2;                                             \
        LANES({ T a = (T)A[l], b = (T)B[l]; int r;                         \
                switch (in->mode) {                                        \
                case C_EQ: r = a == b; break; case C_NE: r = a != b; break; \
                case C_LT: case C_LO: r = a < b; break;                    \
                case C_LE: case C_LS: r = a <= b; break;                   \
                case C_GT: case C_HI: r = a > b; break;                    \
                default:   r = a >= b; break; }                            \
                int p = boolop(r, mode2, in, Cp, l), q = boolop(!r, mode2, in, Cp, l); \
                D[l] = (uint64_t)p; if (Q) Q[l] = (uint64_t)q; });         \
        return 0; (void)x; }
SETP_T(setp_u16, uint16_t) SETP_T(setp_s16, int16_t) SETP_T(setp_u32, uint32_t)
SETP_T(setp_s32, int32_t) SETP_T(setp_u64, uint64_t) SETP_T(setp_s64, int64_t)

static int selp(XARGS)
{
    uint64_t *D = XREG(in->d[0]);
    const uint64_t *A = XREG(in->a), *B = XREG(in->b), *C = XREG(in->c);
    LANES({ D[l] = (C[l] & 1) ? A[l] : B[l]; });
    return 0; (void)x;
}

static xfn pick6(int t, xfn u16, xfn s16, xfn u32, xfn s32, xfn u64, xfn s64)
{
    switch (t) {
    case PTX_T_U16: case PTX_T_B16: return u16;
    case PTX_T_S16: return s16;
    case PTX_T_U32: case PTX_T_B32: return u32;
    case PTX_T_S32: return s32;
    case PTX_T_U64: case PTX_T_B64: return u64;
    case PTX_T_S64: return s64;
    default: return NULL;
    }
}

static int cmp_mode(const ptx_instr *in)
{
    static const struct { ptx_mod m; int c; } t[] = {
        { PTX_MOD_EQ, C_EQ }, { PTX_MOD_NE, C_NE }, { PTX_MOD_LT, C_LT }, { PTX_MOD_LE, C_LE },
        { PTX_MOD_GT, C_GT }, { PTX_MOD_GE, C_GE }, { PTX_MOD_LO, C_LO }, { PTX_MOD_LS, C_LS },
        { PTX_MOD_HI, C_HI }, { PTX_MOD_HS, C_HS },
    };
    for (unsigned i = 0; i < ptx_instr_nmods(in); i++)
        for (unsigned j = 0; j < NT_ARRAY_LEN(t); j++)
            if (ptx_instr_mod(in, i) == t[j].m) return t[j].c;
    return 0;
}

int ops_bool_mode(const ptx_instr *in);
int ops_bool_mode(const ptx_instr *in)
{
    /* the boolean op follows the comparison: setp.lt.and.s32 */
    int seen_cmp = 0;
    for (unsigned i = 0; i < ptx_instr_nmods(in); i++) {
        ptx_mod m = ptx_instr_mod(in, i);
        if (!seen_cmp) { seen_cmp = m != PTX_MOD_FTZ; continue; }
        if (m == PTX_MOD_AND) return B_AND;
        if (m == PTX_MOD_OR) return B_OR;
        if (m == PTX_MOD_XOR) return B_XOR;
    }
    return B_NONE;
}

xfn ops_pick_carry(const ptx_instr *in, xins *x);

xfn ops_pick_int(const ptx_instr *in, xins *x)
{
    int t = in->type;
    if (ptx_instr_has_mod(in, PTX_MOD_CC) || in->op == PTX_OP_ADDC || in->op == PTX_OP_SUBC ||
        in->op == PTX_OP_MADC)
        return ops_pick_carry(in, x);
    int hi = ptx_instr_has_mod(in, PTX_MOD_HI), wide = ptx_instr_has_mod(in, PTX_MOD_WIDE);
    switch (in->op) {
    case PTX_OP_ADD:
        if (ptx_instr_has_mod(in, PTX_MOD_SAT)) return t == PTX_T_S32 ? i_addsat : NULL;
        if (ptx_instr_has_mod(in, PTX_MOD_CC)) return NULL;
        return PICK6(i_add, t);
    case PTX_OP_SUB:
        if (ptx_instr_has_mod(in, PTX_MOD_SAT)) return t == PTX_T_S32 ? i_subsat : NULL;
        if (ptx_instr_has_mod(in, PTX_MOD_CC)) return NULL;
        return PICK6(i_sub, t);
    case PTX_OP_MUL:
        if (wide) return pick6(t, i_mulwide_u16, i_mulwide_s16, i_mulwide_u32, i_mulwide_s32, NULL, NULL);
        if (hi) return PICK6(i_mulhi, t);
        return PICK6(i_mullo, t);
    case PTX_OP_MAD:
        if (ptx_instr_has_mod(in, PTX_MOD_SAT) || ptx_instr_has_mod(in, PTX_MOD_CC)) return NULL;
        if (wide) return pick6(t, i_madwide_u16, i_madwide_s16, i_madwide_u32, i_madwide_s32, NULL, NULL);
        if (hi) return pick6(t, NULL, NULL, i_madhi_u32, i_madhi_s32, i_madhi_u64, i_madhi_s64);
        return PICK6(i_madlo, t);
    case PTX_OP_DIV: return PICK6(i_div, t);
    case PTX_OP_REM: return PICK6(i_rem, t);
    case PTX_OP_MIN: return PICK6(i_min, t);
    case PTX_OP_MAX: return PICK6(i_max, t);
    case PTX_OP_NEG: return PICK6(i_neg, t);
    case PTX_OP_ABS: return PICK6(i_abs, t);
    case PTX_OP_AND: return t == PTX_T_PRED ? i_and_u64 : PICK6(i_and, t);
    case PTX_OP_OR:  return t == PTX_T_PRED ? i_or_u64 : PICK6(i_or, t);
    case PTX_OP_XOR: return t == PTX_T_PRED ? i_xor_u64 : PICK6(i_xor, t);
    case PTX_OP_NOT: return t == PTX_T_PRED ? p_not : PICK6(i_not, t);
    case PTX_OP_CNOT: return PICK6(i_cnot, t);
    case PTX_OP_SHL: return pick6(t, i_shl_16, i_shl_16, i_shl_32, i_shl_32, i_shl_64, i_shl_64);
    case PTX_OP_SHR: return PICK6(i_shr, t);
    case PTX_OP_POPC: return pick6(t, NULL, NULL, i_popc_32, i_popc_32, i_popc_64, i_popc_64);
    case PTX_OP_CLZ: return pick6(t, NULL, NULL, i_clz_32, i_clz_32, i_clz_64, i_clz_64);
    case PTX_OP_BREV: return pick6(t, NULL, NULL, i_brev_32, i_brev_32, i_brev_64, i_brev_64);
    case PTX_OP_BFIND:
        x->mode = ptx_instr_has_mod(in, PTX_MOD_SHIFTAMT);
        return pick6(t, NULL, NULL, i_bfind_uint32_t, i_bfind_int32_t, i_bfind_uint64_t, i_bfind_int64_t);
    case PTX_OP_BFE: return pick6(t, NULL, NULL, i_bfe_uint32_t, i_bfe_int32_t, i_bfe_uint64_t, i_bfe_int64_t);
    case PTX_OP_BFI: return pick6(t, NULL, NULL, i_bfi_32, i_bfi_32, i_bfi_64, i_bfi_64);
    case PTX_OP_PRMT:
        for (unsigned i = 0; i < ptx_instr_nmods(in); i++)
            if (ptx_instr_mod(in, i) == PTX_MOD_OTHER) return NULL;      /* f4e, b4e, ...: not yet */
        return t == PTX_T_B32 ? i_prmt : NULL;
    case PTX_OP_LOP3: return t == PTX_T_B32 ? i_lop3 : NULL;
    case PTX_OP_SHF:
        x->mode = (uint8_t)(ptx_instr_has_mod(in, PTX_MOD_L) | (ptx_instr_has_mod(in, PTX_MOD_CLAMP) << 1));
        return i_shf;
    case PTX_OP_SETP:
        x->mode = (uint8_t)cmp_mode(in);
        x->mode2 = (uint8_t)ops_bool_mode(in);
        if (!x->mode || (x->mode2 && x->c == XNOREG)) return NULL;
        return PICK6(setp, t);
    case PTX_OP_SELP:
        return selp;
    default:
        return NULL;
    }
}
