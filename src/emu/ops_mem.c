/*
 * ops_mem.c — ld/ldu/st (scalar and vector, every space), atom and red.
 *
 * Every access goes through x_addr, which checks it against the space's
 * bounds; a bad one fails the launch.  Lanes run in lane order, so atomics
 * are trivially atomic.
 */
#include <string.h>
#include "emu/exec.h"

static inline uint64_t load_elem(const uint8_t *p, unsigned es, int sign)
{
    switch (es) {
    case 1: return sign ? (uint64_t)(int64_t)(int8_t)p[0] : p[0];
    case 2: { uint16_t v; memcpy(&v, p, 2); return sign ? (uint64_t)(int64_t)(int16_t)v : v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return sign ? (uint64_t)(int64_t)(int32_t)v : v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static int ld(XARGS)
{
    const uint64_t *A = XREG(in->a);
    unsigned es = ptx_type_size(in->type), n = es * in->vec;
    int sign = ptx_type_is_signed(in->type);
    for (uint32_t mm = m; mm; mm &= mm - 1) {
        int l = __builtin_ctz(mm);
        const uint8_t *p = x_addr(x, w, in, in->space, A[l] + (uint64_t)in->off, n, l);
        if (!p) return x->fault;
        for (int i = 0; i < in->vec; i++)
            if (in->d[i] != XNOREG) w->r[(size_t)in->d[i] * WARP + l] = load_elem(p + i * es, es, sign);
    }
    return 0;
}

/* Fast path: 4-byte scalar loads (the common case). */
static int ld4(XARGS)
{
    const uint64_t *A = XREG(in->a);
    uint64_t *D = XREG(in->d[0]);
    for (uint32_t mm = m; mm; mm &= mm - 1) {
        int l = __builtin_ctz(mm);
        const uint8_t *p = x_addr(x, w, in, in->space, A[l] + (uint64_t)in->off, 4, l);
        if (!p) return x->fault;
        uint32_t v;
        memcpy(&v, p, 4);
        D[l] = v;
    }
    return 0;
}

static int st(XARGS)
{
    const uint64_t *A = XREG(in->a);
    unsigned es = ptx_type_size(in->type), n = es * in->vec;
    for (uint32_t mm = m; mm; mm &= mm - 1) {
        int l = __builtin_ctz(mm);
        uint8_t *p = x_addr(x, w, in, in->space, A[l] + (uint64_t)in->off, n, l);
        if (!p) return x->fault;
        for (int i = 0; i < in->vec; i++) {
            uint64_t v = w->r[(size_t)in->d[i] * WARP + l];
            memcpy(p + i * es, &v, es);       /* little-endian: low bytes */
        }
    }
    return 0;
}

/* ---- atomics --------------------------------------------------------------------- */
enum { A_ADD = 1, A_MIN, A_MAX, A_INC, A_DEC, A_AND, A_OR, A_XOR, A_EXCH, A_CAS };

static uint64_t atom_apply(int op, int t, uint64_t old, uint64_t b, uint64_t c)
{
    unsigned es = ptx_type_size(t);
    uint64_t mask = es == 8 ? ~0ull : (1ull << (es * 8)) - 1;
    old &= mask;
    switch (op) {
    case A_ADD:
        if (t == PTX_T_F32) return f2b(b2f(old) + b2f(b));
        if (t == PTX_T_F64) return d2b(b2d(old) + b2d(b));
        return (old + b) & mask;
    case A_MIN: case A_MAX: {
        int gt;
        if (t == PTX_T_F32) gt = b2f(b) > b2f(old);
        else if (t == PTX_T_F64) gt = b2d(b) > b2d(old);
        else if (ptx_type_is_signed(t))
            gt = es == 8 ? (int64_t)b > (int64_t)old : (int32_t)b > (int32_t)old;
        else gt = (b & mask) > old;
        return (op == A_MAX) == gt ? b & mask : old;
    }
    case A_INC: return old >= (b & mask) ? 0 : old + 1;
    case A_DEC: return (old == 0 || old > (b & mask)) ? b & mask : old - 1;
    case A_AND: return old & b;
    case A_OR:  return old | b;
    case A_XOR: return old ^ b;
    case A_EXCH: return b & mask;
    case A_CAS: return old == (b & mask) ? c & mask : old;
    }
    return old;
}

static int atom(XARGS)
{
    const uint64_t *A = XREG(in->a);
    unsigned es = ptx_type_size(in->type);
    for (uint32_t mm = m; mm; mm &= mm - 1) {
        int l = __builtin_ctz(mm);
        uint8_t *p = x_addr(x, w, in, in->space, A[l] + (uint64_t)in->off, es, l);
        if (!p) return x->fault;
        uint64_t old = 0;
        memcpy(&old, p, es);
        uint64_t b = w->r[(size_t)in->b * WARP + l];
        uint64_t c = in->c != XNOREG ? w->r[(size_t)in->c * WARP + l] : 0;
        uint64_t nv = atom_apply(in->mode, in->type, old, b, c);
        memcpy(p, &nv, es);
        if (in->d[0] != XNOREG) w->r[(size_t)in->d[0] * WARP + l] = old;
    }
    return 0;
}

static int atom_op(const ptx_instr *in)
{
    static const struct { ptx_mod m; int op; } t[] = {
        { PTX_MOD_ADD, A_ADD }, { PTX_MOD_MIN, A_MIN }, { PTX_MOD_MAX, A_MAX },
        { PTX_MOD_INC, A_INC }, { PTX_MOD_DEC, A_DEC }, { PTX_MOD_AND, A_AND },
        { PTX_MOD_OR, A_OR }, { PTX_MOD_XOR, A_XOR }, { PTX_MOD_EXCH, A_EXCH },
        { PTX_MOD_CAS, A_CAS },
    };
    for (unsigned i = 0; i < ptx_instr_nmods(in); i++)
        for (unsigned j = 0; j < NT_ARRAY_LEN(t); j++)
            if (ptx_instr_mod(in, i) == t[j].m) return t[j].op;
    return 0;
}

static int scalar_type(int t)
{
    unsigned s = ptx_type_size(t);
    return (s == 1 || s == 2 || s == 4 || s == 8) && t != PTX_T_F16 && t != PTX_T_BF16 &&
           t != PTX_T_F16X2 && t != PTX_T_BF16X2 && (t <= PTX_T_S64 || t == PTX_T_F32 || t == PTX_T_F64);
}

xfn ops_pick_mem(const ptx_instr *in, xins *x)
{
    if (!scalar_type(in->type)) return NULL;
    if (in->space == PTX_SP_SHARED_CLUSTER || in->space == PTX_SP_TEX) return NULL;
    if (x->vec != 1 && x->vec != 2 && x->vec != 4) return NULL;
    switch (in->op) {
    case PTX_OP_LD: case PTX_OP_LDU:
        return ptx_type_size(in->type) == 4 && x->vec == 1 && !ptx_type_is_signed(in->type) ? ld4 : ld;
    case PTX_OP_ST:
        return st;
    case PTX_OP_ATOM: case PTX_OP_RED:
        if (x->vec != 1) return NULL;
        x->mode = (uint8_t)atom_op(in);
        if (!x->mode) return NULL;
        if (in->op == PTX_OP_RED) x->d[0] = XNOREG;
        if (x->mode == A_CAS && x->c == XNOREG) return NULL;
        return atom;
    default:
        return NULL;
    }
}
