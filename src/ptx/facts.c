/* facts.c — what an instruction does, for the probe layer and the
 * emulator: its class (memory, barrier, tensor, control) and its memory
 * access (state space, address operand, bytes per thread). */
#include "ptx/ptx_int.h"

static bool has(const ptx_instr *in, ptx_mod m) { return ptx_instr_has_mod(in, m); }

/* A modifier whose text is s (for shapes and names without an enum). */
static bool has_text(const ptx_instr *in, const char *s)
{
    for (unsigned i = 0;; i++) {   /* mods[], then the modifiers past it */
        if (i < ptx_instr_nmods(in) && ptx_instr_mod(in, i) != PTX_MOD_OTHER) continue;
        ptx_str t = ptx_instr_mod_text(in, i);
        if (!t.n) return false;
        if (ptx_str_eq(t, s)) return true;
    }
}

static unsigned cp_class(const ptx_instr *in)
{
    if (has(in, PTX_MOD_WAIT_GROUP) || has(in, PTX_MOD_WAIT_ALL) ||
        has_text(in, "wait_group.read"))
        return PTX_IC_BARRIER | PTX_IC_ASYNC;
    if (has(in, PTX_MOD_COMMIT_GROUP)) return PTX_IC_ASYNC;
    if (has(in, PTX_MOD_MBARRIER_) && has(in, PTX_MOD_ARRIVE))
        return PTX_IC_ATOMIC | PTX_IC_ASYNC;   /* cp.async.mbarrier.arrive */
    if (has_text(in, "prefetch")) return PTX_IC_LOAD | PTX_IC_ASYNC;
    unsigned c = PTX_IC_LOAD | PTX_IC_STORE;
    if (has(in, PTX_MOD_ASYNC)) c |= PTX_IC_ASYNC;
    if (has_text(in, "reduce")) c |= PTX_IC_ATOMIC;
    return c;
}

unsigned ptx_instr_class(const ptx_instr *in)
{
    switch (in->op) {
    case PTX_OP_LD: case PTX_OP_LDU: case PTX_OP_TEX: case PTX_OP_TLD4:
    case PTX_OP_SULD: case PTX_OP_LDMATRIX:
        return PTX_IC_LOAD;
    case PTX_OP_ST:
        return PTX_IC_STORE | (has(in, PTX_MOD_ASYNC) ? PTX_IC_ASYNC : 0);
    case PTX_OP_STMATRIX: case PTX_OP_SUST:
        return PTX_IC_STORE;
    case PTX_OP_ATOM:
        return PTX_IC_LOAD | PTX_IC_STORE | PTX_IC_ATOMIC;
    case PTX_OP_RED:
        return PTX_IC_STORE | PTX_IC_ATOMIC | (has(in, PTX_MOD_ASYNC) ? PTX_IC_ASYNC : 0);
    case PTX_OP_SURED:
        return PTX_IC_STORE | PTX_IC_ATOMIC;
    case PTX_OP_MULTIMEM:
        if (has_text(in, "ld_reduce")) return PTX_IC_LOAD;
        if (has(in, PTX_MOD_RED)) return PTX_IC_STORE | PTX_IC_ATOMIC;
        return PTX_IC_STORE;
    case PTX_OP_CP:
        return cp_class(in);
    case PTX_OP_MBARRIER:
        if (has(in, PTX_MOD_INIT) || has(in, PTX_MOD_INVAL)) return PTX_IC_STORE;
        if (has(in, PTX_MOD_TRY_WAIT) || has(in, PTX_MOD_TEST_WAIT)) return PTX_IC_BARRIER | PTX_IC_LOAD;
        return PTX_IC_ATOMIC | PTX_IC_BARRIER;
    case PTX_OP_BAR: case PTX_OP_BARRIER: case PTX_OP_MEMBAR: case PTX_OP_FENCE:
        return PTX_IC_BARRIER;
    case PTX_OP_MMA:
        return PTX_IC_TENSOR;
    case PTX_OP_WMMA:
        if (has(in, PTX_MOD_LOAD)) return PTX_IC_TENSOR | PTX_IC_LOAD;
        if (has(in, PTX_MOD_STORE)) return PTX_IC_TENSOR | PTX_IC_STORE;
        return PTX_IC_TENSOR;
    case PTX_OP_WGMMA:
        if (has(in, PTX_MOD_MMA_ASYNC)) return PTX_IC_TENSOR | PTX_IC_ASYNC;
        if (has(in, PTX_MOD_WAIT_GROUP)) return PTX_IC_BARRIER | PTX_IC_ASYNC;
        return PTX_IC_ASYNC;   /* fence, commit_group */
    case PTX_OP_TCGEN05:
        if (has(in, PTX_MOD_MMA_)) return PTX_IC_TENSOR | PTX_IC_ASYNC;
        if (has_text(in, "ld")) return PTX_IC_LOAD | PTX_IC_ASYNC;
        if (has_text(in, "st")) return PTX_IC_STORE | PTX_IC_ASYNC;
        if (has(in, PTX_MOD_WAIT)) return PTX_IC_BARRIER | PTX_IC_ASYNC;
        return PTX_IC_ASYNC;
    case PTX_OP_BRA: case PTX_OP_BRX:
        return PTX_IC_BRANCH;
    case PTX_OP_CALL:
        return PTX_IC_CALL;
    case PTX_OP_EXIT: case PTX_OP_RET: case PTX_OP_TRAP:
        return PTX_IC_EXIT;
    default:
        return 0;
    }
}

static int nth_addr(const ptx_instr *in, int nth)
{
    for (unsigned i = 0; i < in->nops; i++)
        if (in->ops[i].kind == PTX_OPND_ADDR && nth-- == 0) return (int)i;
    return -1;
}

static uint32_t elem_bytes(const ptx_instr *in)
{
    return ptx_type_size((ptx_type)in->type) * (in->vec ? in->vec : 1);
}

/* .x1/.x2/.x4 of ldmatrix/stmatrix: 32-bit registers per thread. */
static uint32_t matrix_regs(const ptx_instr *in)
{
    if (has(in, PTX_MOD_X4)) return 4;
    if (has(in, PTX_MOD_X2)) return 2;
    return 1;
}

bool ptx_instr_mem(const ptx_instr *in, ptx_memfact *f)
{
    unsigned c = ptx_instr_class(in);
    memset(f, 0, sizeof *f);
    f->addr_op = f->addr_op2 = -1;
    if (!(c & (PTX_IC_LOAD | PTX_IC_STORE | PTX_IC_ATOMIC))) return false;
    f->addr_op = nth_addr(in, 0);
    if (f->addr_op < 0) return false;   /* e.g. tcgen05.ld from tensor memory */
    f->space = in->space;
    f->load = (c & PTX_IC_LOAD) != 0;
    f->store = (c & PTX_IC_STORE) != 0;
    switch (in->op) {
    case PTX_OP_LDMATRIX: case PTX_OP_STMATRIX:
        f->bytes = 4 * matrix_regs(in);
        break;
    case PTX_OP_CP: {
        /* cp.async[.bulk][.tensor] dst-space.src-space [dst], [src], size... */
        f->space2 = in->space2;
        f->addr_op2 = nth_addr(in, 1);
        f->load = f->store = 1;
        int size_op = f->addr_op2 >= 0 ? f->addr_op2 + 1 : -1;
        if (has(in, PTX_MOD_TENSOR)) {
            f->bytes_dynamic = 1;
        } else if (size_op >= 0 && size_op < in->nops) {
            const ptx_operand *s = &in->ops[size_op];
            if (s->kind == PTX_OPND_IMM) f->bytes = (uint32_t)s->i;
            else f->bytes_dynamic = 1;
        } else if (in->nops == 2 && f->addr_op2 < 0) {
            f->bytes_dynamic = 1;
        }
        break;
    }
    case PTX_OP_MBARRIER:
        f->bytes = 8;
        break;
    case PTX_OP_WMMA:
        f->bytes_dynamic = 1;
        break;
    case PTX_OP_TEX: case PTX_OP_TLD4: case PTX_OP_SULD: case PTX_OP_SUST: case PTX_OP_SURED:
        f->space = PTX_SP_GLOBAL;
        f->bytes = elem_bytes(in);
        break;
    default:
        f->bytes = elem_bytes(in);
        break;
    }
    return true;
}
