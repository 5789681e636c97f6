/*
 * lower.c — lowers one kernel (its .entry and every .func it calls) from
 * the PTX IR into the decoded form of exec.h.
 *
 * Names resolve as PTX scopes them: variables of the innermost enclosing
 * "{ }" first (call sequences redeclare param0 in every scope), then the
 * function's parameters and return values, then module variables and
 * functions.  Immediates and symbol addresses become constant registers
 * (numbered after all function registers once lowering is done: until
 * then a constant is CONST_TAG | index).
 */
#include <stdlib.h>
#include <string.h>
#include "emu/exec.h"

#define CONST_TAG 0x80000000u
#define NTEMPS 4

typedef struct lfunc {
    ptx_func *fn;
    uint32_t  reg_base;       /* registers [reg_base, reg_base + nregs + NTEMPS) */
    uint32_t  frame;          /* frame offset in local memory */
    uint32_t  frame_size;
    uint32_t *param_off, *ret_off;
    uint32_t  entry_pc, end_pc;
    int       lowered;
} lfunc;

typedef struct svar { const ptx_var *v; } svar;

typedef struct lw {
    ptx_module *m;
    emu_module *em;
    emu_kernel *k;
    nt_err     *e;
    NT_VEC(xins) code;
    NT_VEC(uint64_t) consts;
    NT_VEC(uint32_t) dyn_consts;      /* constants holding a dynamic-smem offset */
    NT_VEC(lfunc) funcs;
    NT_VEC(svar) scope;               /* declarations visible, innermost last */
    nt_imap     var_off;              /* ptx_var* -> offset (frame or shared) */
    nt_imap     const_ix;             /* value -> constant index */
    uint32_t    next_reg, local_next, smem_next;
    const char *oversize;             /* "local"/"shared": a limit was passed */
    uint64_t    regs_wanted;          /* registers the kernel and its callees declare */
    lfunc      *cur;
    int         is_entry;
    NT_VEC(struct fix { uint32_t pc; ptx_str label; }) fixes;
    nt_map      labels;               /* current function: label -> pc */
} lw;

enum sym_kind { SK_NONE = 0, SK_GLOBAL, SK_SHARED, SK_SHARED_DYN, SK_LOCAL, SK_KPARAM, SK_FUNC };

/* ---- constants --------------------------------------------------------------- */
static uint32_t konst(lw *L, uint64_t v)
{
    uint64_t ix;
    if (nt_imap_get(&L->const_ix, v, &ix))
        return CONST_TAG | (uint32_t)ix;
    nt_vec_push(&L->consts, v);
    nt_imap_put(&L->const_ix, v, L->consts.n - 1);
    return CONST_TAG | (uint32_t)(L->consts.n - 1);
}

/* A constant that must not be shared (it is patched later). */
static uint32_t konst_fresh(lw *L, uint64_t v)
{
    nt_vec_push(&L->consts, v);
    return CONST_TAG | (uint32_t)(L->consts.n - 1);
}

static int lfail(lw *L, const ptx_instr *in, const char *fmt, const char *what, uint32_t n)
{
    char buf[256];
    snprintf(buf, sizeof buf, fmt, (int)n, what);
    return nt_err_set(L->e, "%s:%u: %s", L->m->file ? L->m->file : "<ptx>",
                      in ? in->st.line : 0, buf);
}

/* ---- frames -------------------------------------------------------------------- */
static uint32_t var_size(const ptx_var *v)
{
    uint64_t n = (uint64_t)ptx_type_size(v->type) * (v->vec ? v->vec : 1);
    if (v->type == PTX_T_PRED) n = 1;
    for (int i = 0; i < v->ndims; i++) n *= v->dims[i];
    return (uint32_t)NT_MIN(n, 1u << 30);
}

static uint32_t align_up(uint32_t x, uint32_t a) { return a > 1 ? (x + a - 1) / a * a : x; }

static uint32_t var_align(const ptx_var *v)
{
    uint32_t a = v->align ? v->align : ptx_type_size(v->type) * (v->vec ? v->vec : 1);
    return a ? NT_MIN(a, 256u) : 1;
}

/* What a GPU allows (sm_90): 512 KiB of local memory per thread, 228 KiB
 * of shared memory per block.  Layout stops growing past them (so the
 * 32-bit offsets never wrap, and a warp's local memory is never a
 * multi-gigabyte allocation) and the kernel is refused at the end. */
#define LOCAL_MAX (512u << 10)
#define SMEM_MAX  (228u << 10)
/* The emulator holds 8 bytes per register and lane: a kernel declaring
 * more than REGS_MAX registers (with its callees) is refused, so a warp's
 * register file stays within 64 MiB and register numbers stay clear of
 * CONST_TAG.  Real kernels declare tens of thousands at most (the
 * corpus's largest: ~38 k); `.reg .b32 %r<177777772>` is valid PTX. */
#define REGS_MAX  (1u << 18)

/* Adds a variable of size bytes aligned to a to *acc; returns its offset. */
static uint32_t place(lw *L, uint32_t *acc, const ptx_var *v, uint32_t limit, const char *what)
{
    uint32_t off = align_up(*acc, var_align(v)), size = var_size(v);
    if (off > limit || size > limit - off) {
        if (!L->oversize) L->oversize = what;
        return *acc;
    }
    *acc = off + size;
    return off;
}

/* Lays out .param/.local/.shared declarations of a body (all scopes). */
static void layout_block(lw *L, lfunc *f, ptx_block *b)
{
    ptx_block_foreach(b, s) {
        if (s->kind == PTX_ST_SCOPE) {
            layout_block(L, f, &((ptx_scope *)s)->body);
        } else if (s->kind == PTX_ST_VAR) {
            ptx_var *v = ((ptx_vardecl *)s)->var;
            if (v->space == PTX_SP_SHARED) {
                uint32_t off = place(L, &L->smem_next, v, SMEM_MAX, "shared");
                nt_imap_put(&L->var_off, (uint64_t)(uintptr_t)v, off);
            } else if (v->space == PTX_SP_PARAM || v->space == PTX_SP_LOCAL) {
                uint32_t room = f->frame < LOCAL_MAX ? LOCAL_MAX - f->frame : 0;
                uint32_t off = place(L, &f->frame_size, v, room, "local");
                nt_imap_put(&L->var_off, (uint64_t)(uintptr_t)v, f->frame + off);
            }
        }
    }
}

static lfunc *func_info(lw *L, ptx_func *fn)
{
    for (size_t i = 0; i < L->funcs.n; i++)
        if (L->funcs.v[i].fn == fn) return &L->funcs.v[i];
    lfunc f = { .fn = fn, .reg_base = L->next_reg };
    L->regs_wanted += (uint64_t)fn->nregs + NTEMPS;
    /* past the limit the numbering is meaningless: the kernel is refused */
    if (L->regs_wanted <= REGS_MAX) L->next_reg += fn->nregs + NTEMPS;
    L->local_next = align_up(L->local_next, 16);
    f.frame = L->local_next;
    f.param_off = nt_xcalloc(fn->nparams + 1, sizeof(uint32_t));
    f.ret_off = nt_xcalloc(fn->nrets + 1, sizeof(uint32_t));
    uint32_t room = f.frame < LOCAL_MAX ? LOCAL_MAX - f.frame : 0;
    if (!fn->is_entry)
        for (uint32_t i = 0; i < fn->nparams; i++)
            f.param_off[i] = f.frame + place(L, &f.frame_size, &fn->params[i], room, "local");
    for (uint32_t i = 0; i < fn->nrets; i++)
        f.ret_off[i] = f.frame + place(L, &f.frame_size, &fn->rets[i], room, "local");
    layout_block(L, &f, &fn->body);
    L->local_next = f.frame + f.frame_size;
    nt_vec_push(&L->funcs, f);
    return &nt_vec_last(&L->funcs);
}

/* ---- symbols ---------------------------------------------------------------------- */
/* Resolves a name to its space and address (offset in that space). */
static int resolve(lw *L, ptx_str name, uint64_t *addr, ptx_func **pf)
{
    for (size_t i = L->scope.n; i-- > 0;) {
        const ptx_var *v = L->scope.v[i].v;
        if (ptx_str_same(v->name, name)) {
            uint64_t off = 0;
            nt_imap_get(&L->var_off, (uint64_t)(uintptr_t)v, &off);
            *addr = off;
            return v->space == PTX_SP_SHARED ? SK_SHARED : SK_LOCAL;
        }
    }
    ptx_func *fn = L->cur->fn;
    for (uint32_t i = 0; i < fn->nparams; i++)
        if (ptx_str_same(fn->params[i].name, name)) {
            if (fn->is_entry) { *addr = L->k->params[i].off; return SK_KPARAM; }
            *addr = L->cur->param_off[i];
            return SK_LOCAL;
        }
    for (uint32_t i = 0; i < fn->nrets; i++)
        if (ptx_str_same(fn->rets[i].name, name)) { *addr = L->cur->ret_off[i]; return SK_LOCAL; }
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)name.n, name.s);
    for (int i = 0; i < L->em->nvars; i++)
        if (strcmp(L->em->vars[i].name, buf) == 0) { *addr = L->em->vars[i].addr; return SK_GLOBAL; }
    ptx_var *v = ptx_module_var(L->m, buf);
    if (v && v->space == PTX_SP_SHARED) {
        if (v->ndims && v->dims[0] == 0) { *addr = 0; return SK_SHARED_DYN; }
        uint64_t off;
        if (!nt_imap_get(&L->var_off, (uint64_t)(uintptr_t)v, &off)) {
            off = place(L, &L->smem_next, v, SMEM_MAX, "shared");
            nt_imap_put(&L->var_off, (uint64_t)(uintptr_t)v, off);
        }
        *addr = off;
        return SK_SHARED;
    }
    ptx_func *f = ptx_module_func(L->m, buf);
    if (f) { if (pf) *pf = f; *addr = 0; return SK_FUNC; }
    return SK_NONE;
}

/* ---- operands ---------------------------------------------------------------------- */
static uint32_t reg_of(lw *L, uint32_t id) { return L->cur->reg_base + id; }

/* Source operand -> register (or constant); XNOREG on failure (e set). */
static uint32_t src(lw *L, const ptx_instr *in, const ptx_operand *o, int *neg)
{
    if (neg) *neg = !!(o->flags & PTX_OPF_NEG);
    switch (o->kind) {
    case PTX_OPND_REG:  return reg_of(L, o->reg);
    case PTX_OPND_IMM:  return konst(L, (uint64_t)o->i);
    case PTX_OPND_F32:  return konst(L, o->bits & 0xffffffffu);
    case PTX_OPND_F64:
        /* A decimal literal in an f32 context is an f32 value. */
        if (in->type == PTX_T_F32 && o->kind == PTX_OPND_F64)
            return konst(L, f2b((float)b2d(o->bits)));
        return konst(L, o->bits);
    case PTX_OPND_SYM: {
        uint64_t a;
        int sk = resolve(L, ptx_opnd_name(o), &a, NULL);
        if (sk == SK_NONE || sk == SK_FUNC) {
            lfail(L, in, "unknown or unsupported symbol '%.*s'", ptx_opnd_name(o).s, ptx_opnd_name(o).n);
            return XNOREG;
        }
        if (sk == SK_SHARED_DYN) {
            uint32_t c = konst_fresh(L, 0);
            nt_vec_push(&L->dyn_consts, c & ~CONST_TAG);
            return c;
        }
        return konst(L, a);
    }
    default:
        lfail(L, in, "operand kind %d not supported%.*s", "", (uint32_t)o->kind);
        return XNOREG;
    }
}

/* The last temp absorbs writes to `_` and to a missing destination. */
static uint32_t sink_reg(const lw *L)
{
    return L->cur->reg_base + L->cur->fn->nregs + NTEMPS - 1;
}

static uint32_t dst(lw *L, const ptx_instr *in, const ptx_operand *o)
{
    if (o->kind == PTX_OPND_REG) return reg_of(L, o->reg);
    if (o->kind == PTX_OPND_SINK) return sink_reg(L);
    lfail(L, in, "destination must be a register%.*s", "", 0);
    return XNOREG;
}

static int space_of(int sp, int is_entry)
{
    switch (sp) {
    case PTX_SP_GLOBAL: case PTX_SP_CONST: return XS_GLOBAL;
    case PTX_SP_SHARED: return XS_SHARED;
    case PTX_SP_LOCAL:  return XS_LOCAL;
    case PTX_SP_PARAM:  return is_entry ? XS_KPARAM : XS_LOCAL;
    default:            return XS_GENERIC;
    }
}

/* Address operand [base+off] -> x->a, x->off, x->space. */
static int addr(lw *L, const ptx_instr *in, const ptx_operand *o, xins *x)
{
    /* (the list form of tex/surface operands never reaches here: those
     * instructions are refused by ops_pick) */
    if (o->kind != PTX_OPND_ADDR)
        return lfail(L, in, "expected an address operand%.*s", "", 0);
    x->space = (uint8_t)space_of(in->space, L->is_entry);
    x->off = ptx_opnd_off(o);
    if (ptx_opnd_name(o).n) {
        uint64_t a;
        int sk = resolve(L, ptx_opnd_name(o), &a, NULL);
        switch (sk) {
        case SK_GLOBAL:     x->space = XS_GLOBAL; break;
        case SK_SHARED:     x->space = XS_SHARED; break;
        case SK_SHARED_DYN: x->space = XS_SHARED; x->dyn = 1; break;
        case SK_LOCAL:      x->space = XS_LOCAL; break;
        case SK_KPARAM:     x->space = XS_KPARAM; break;
        default:
            return lfail(L, in, "unknown symbol '%.*s' in address", ptx_opnd_name(o).s, ptx_opnd_name(o).n);
        }
        x->off += (int64_t)a;
        x->a = o->reg != PTX_NOREG ? reg_of(L, o->reg) : konst(L, 0);
    } else {
        x->a = o->reg != PTX_NOREG ? reg_of(L, o->reg) : konst(L, 0);
    }
    return 0;
}

/* ---- instructions ------------------------------------------------------------------ */
static xins *emit(lw *L, const ptx_instr *in)
{
    xins z = { 0 };
    z.guard = XNOREG;
    z.a = z.b = z.c = z.e = XNOREG;
    /* d[0] defaults to the sink, so a handler that writes its destination
     * unconditionally never writes outside the warp's registers, whatever
     * operands a malformed instruction had (found by fuzz_emu_load). */
    z.d[0] = L->cur ? sink_reg(L) : XNOREG;
    z.d[1] = z.d[2] = z.d[3] = XNOREG;
    z.vec = 1;
    if (in) {
        z.line = in->st.line;
        z.name = ptx_instr_name(in).s;
        z.name_len = ptx_instr_name(in).n;
        z.type = in->type;
        z.type2 = in->type2;
        if (in->guard != PTX_NOREG) {
            z.guard = reg_of(L, in->guard);
            z.guard_neg = in->guard_neg;
        }
    }
    nt_vec_push(&L->code, z);
    return &nt_vec_last(&L->code);
}

static int x_unsupported(xrun *x, warp *w, const xins *in, uint32_t m)
{
    return x_fail(x, in, EMU_E_UNSUPPORTED, "unsupported instruction '%.*s'",
                  (int)in->name_len, in->name);
}

static int lower_call(lw *L, const ptx_instr *in);

/* Operands an instruction needs at least (destination included), so a
 * handler never reads a missing one. */
static int min_operands(int op)
{
    switch (op) {
    case PTX_OP_ACTIVEMASK: return 1;
    case PTX_OP_MOV: case PTX_OP_NEG: case PTX_OP_ABS: case PTX_OP_NOT: case PTX_OP_CNOT:
    case PTX_OP_POPC: case PTX_OP_CLZ: case PTX_OP_BREV: case PTX_OP_BFIND: case PTX_OP_SQRT:
    case PTX_OP_RSQRT: case PTX_OP_RCP: case PTX_OP_SIN: case PTX_OP_COS: case PTX_OP_LG2:
    case PTX_OP_EX2: case PTX_OP_TANH: case PTX_OP_CVT: case PTX_OP_CVTA:
    case PTX_OP_LD: case PTX_OP_LDU: case PTX_OP_ST: case PTX_OP_RED:
        return 2;
    case PTX_OP_ADD: case PTX_OP_SUB: case PTX_OP_MUL: case PTX_OP_DIV: case PTX_OP_REM:
    case PTX_OP_MIN: case PTX_OP_MAX: case PTX_OP_AND: case PTX_OP_OR: case PTX_OP_XOR:
    case PTX_OP_SHL: case PTX_OP_SHR: case PTX_OP_COPYSIGN: case PTX_OP_ADDC: case PTX_OP_SUBC:
    case PTX_OP_SETP: case PTX_OP_ATOM: case PTX_OP_VOTE: case PTX_OP_REDUX: case PTX_OP_MATCH:
        return 3;
    case PTX_OP_MAD: case PTX_OP_MADC: case PTX_OP_FMA: case PTX_OP_SELP: case PTX_OP_SLCT:
    case PTX_OP_BFE: case PTX_OP_PRMT: case PTX_OP_SHF: case PTX_OP_SHFL:
        return 4;
    case PTX_OP_BFI: case PTX_OP_LOP3:
        return 5;
    default:
        return 0;
    }
}

static int vec_ok(lw *L, const ptx_instr *in, const ptx_operand *o)
{
    if (o->kind == PTX_OPND_VEC && (ptx_opnd_count(o) < 1 || ptx_opnd_count(o) > 4))
        return lfail(L, in, "vector of %d elements not supported%s", "", ptx_opnd_count(o));
    return 0;
}

/* Fills the generic operand layout: vector/plain destinations and sources. */
static int lower_generic(lw *L, const ptx_instr *in, xins *x)
{
    if (in->nops < min_operands(in->op))
        return lfail(L, in, "'%.*s' has too few operands", ptx_instr_name(in).s, ptx_instr_name(in).n);
    for (int i = 0; i < in->nops; i++)
        if (vec_ok(L, in, &in->ops[i])) return -1;
    int is_mem = 1;
    int negs[4] = { 0 };
    if (is_mem && (in->op == PTX_OP_LD || in->op == PTX_OP_LDU)) {
        if (in->nops != 2) return lfail(L, in, "ld needs 2 operands%.*s", "", 0);
        const ptx_operand *d = &in->ops[0];
        if (d->kind == PTX_OPND_VEC) {
            x->vec = (uint8_t)ptx_opnd_count(d);
            for (uint32_t i = 0; i < ptx_opnd_count(d) && i < 4; i++) x->d[i] = dst(L, in, ptx_opnd_elem(d, i));
        } else {
            x->d[0] = dst(L, in, d);
        }
        return addr(L, in, &in->ops[1], x);
    }
    if (is_mem && in->op == PTX_OP_ST) {
        if (in->nops != 2) return lfail(L, in, "st needs 2 operands%.*s", "", 0);
        const ptx_operand *v = &in->ops[1];
        if (v->kind == PTX_OPND_VEC) {
            x->vec = (uint8_t)ptx_opnd_count(v);
            for (uint32_t i = 0; i < ptx_opnd_count(v) && i < 4; i++) x->d[i] = src(L, in, ptx_opnd_elem(v, i), NULL);
        } else {
            x->d[0] = src(L, in, v, NULL);
        }
        return addr(L, in, &in->ops[0], x);
    }
    if (is_mem && (in->op == PTX_OP_ATOM || in->op == PTX_OP_RED)) {
        int i = 0;
        if (in->op == PTX_OP_ATOM) x->d[0] = dst(L, in, &in->ops[i++]);
        if (i >= in->nops || addr(L, in, &in->ops[i++], x)) return -1;
        if (i >= in->nops) return lfail(L, in, "'%.*s' has no operand value", ptx_instr_name(in).s, ptx_instr_name(in).n);
        x->b = src(L, in, &in->ops[i++], NULL);
        if (i < in->nops) x->c = src(L, in, &in->ops[i++], NULL);
        return 0;
    }
    /* Plain form: destination(s) then sources. */
    int i = 0;
    if (in->nops == 0) return 0;
    const ptx_operand *d = &in->ops[0];
    if (in->op == PTX_OP_ST || in->op == PTX_OP_RED) {
        /* not reached: handled above */
    } else if (d->kind == PTX_OPND_PAIR) {
        x->d[0] = dst(L, in, ptx_opnd_elem(d, 0));
        x->d[1] = dst(L, in, ptx_opnd_elem(d, 1));
        i = 1;
    } else if (d->kind == PTX_OPND_VEC) {
        x->vec = (uint8_t)ptx_opnd_count(d);
        for (uint32_t j = 0; j < ptx_opnd_count(d) && j < 4; j++) x->d[j] = dst(L, in, ptx_opnd_elem(d, j));
        i = 1;
    } else if (d->kind == PTX_OPND_REG || d->kind == PTX_OPND_SINK || min_operands(in->op) > 0) {
        /* every op with a known arity writes its first operand */
        x->d[0] = dst(L, in, d);
        if (x->d[0] == XNOREG) return -1;
        i = 1;
    }
    uint32_t *srcs[4] = { &x->a, &x->b, &x->c, &x->e };
    int ns = 0;
    for (; i < in->nops && ns < 4; i++) {
        const ptx_operand *o = &in->ops[i];
        if (o->kind == PTX_OPND_VEC) {
            /* mov.b64 %rd, {%r1, %r2}: pack sources */
            x->vec = (uint8_t)ptx_opnd_count(o);
            for (uint32_t j = 0; j < ptx_opnd_count(o) && ns < 4; j++)
                *srcs[ns++] = src(L, in, ptx_opnd_elem(o, j), NULL);
            x->mode2 = 1;     /* pack */
            continue;
        }
        if (o->kind == PTX_OPND_SREG) {
            *srcs[ns] = XNOREG;
            x->sreg = (uint8_t)(o->reg & 0xff);   /* mov/cvt only (ops_pick) */
            x->e = o->comp;
            ns++;
            continue;
        }
        *srcs[ns] = src(L, in, o, &negs[ns]);
        ns++;
    }
    for (int j = 0; j < 4; j++) if (negs[j]) x->negs |= (uint8_t)(1u << j);
    /* carry-flag arithmetic: CC.CF lives in a per-function register */
    if (ptx_instr_has_mod(in, PTX_MOD_CC) || in->op == PTX_OP_ADDC || in->op == PTX_OP_SUBC ||
        in->op == PTX_OP_MADC)
        x->e = L->cur->reg_base + L->cur->fn->nregs + NTEMPS - 2;
    return 0;
}

static int lower_instr(lw *L, const ptx_instr *in)
{
    switch (in->op) {
    case PTX_OP_BRA: {
        xins *x = emit(L, in);
        x->kind = XK_BRA;
        if (in->nops < 1 || (in->ops[0].kind != PTX_OPND_LABEL && in->ops[0].kind != PTX_OPND_SYM))
            return lfail(L, in, "bra needs a label%.*s", "", 0);
        struct fix f = { (uint32_t)(L->code.n - 1), ptx_opnd_name(&in->ops[0]) };
        nt_vec_push(&L->fixes, f);
        return 0;
    }
    case PTX_OP_CALL:
        return lower_call(L, in);
    case PTX_OP_RET:
        if (L->is_entry) { emit(L, in)->kind = XK_EXIT; return 0; }
        {
            xins *x = emit(L, in);
            x->kind = XK_BRA;
            struct fix f = { (uint32_t)(L->code.n - 1), { NULL, 0 } };   /* to END */
            nt_vec_push(&L->fixes, f);
        }
        return 0;
    case PTX_OP_EXIT:
        emit(L, in)->kind = XK_EXIT;
        return 0;
    case PTX_OP_TRAP: case PTX_OP_BRKPT:
        emit(L, in)->kind = XK_TRAP;
        return 0;
    case PTX_OP_BAR: case PTX_OP_BARRIER: {
        if (ptx_instr_has_mod(in, PTX_MOD_WARP)) {         /* bar.warp.sync: a no-op here */
            xins *x = emit(L, in);
            x->fn = ops_pick(in, x, L->e);
            return x->fn ? 0 : -1;
        }
        xins *x = emit(L, in);
        int red = ptx_instr_has_mod(in, PTX_MOD_RED);
        x->kind = ptx_instr_has_mod(in, PTX_MOD_ARRIVE) ? XK_BAR_ARRIVE : XK_BAR;
        int i = 0;
        if (red) x->d[0] = dst(L, in, &in->ops[i++]);
        if (i < in->nops) x->a = src(L, in, &in->ops[i++], NULL);
        else x->a = konst(L, 0);
        /* bar.red: "id, pred" or "id, count, pred" */
        if (red) {
            if (in->nops - i == 2) x->b = src(L, in, &in->ops[i++], NULL);
            int neg = 0;
            if (i < in->nops) x->c = src(L, in, &in->ops[i++], &neg);
            x->negs = neg ? 4 : 0;
            x->mode = ptx_instr_has_mod(in, PTX_MOD_POPC) ? 1 : ptx_instr_has_mod(in, PTX_MOD_AND) ? 2 : 3;
        } else if (i < in->nops) {
            x->b = src(L, in, &in->ops[i++], NULL);
        }
        return L->e && L->e->set ? -1 : 0;
    }
    default: {
        xins *x = emit(L, in);
        if (lower_generic(L, in, x)) return -1;
        x = &nt_vec_last(&L->code);
        x->fn = ops_pick(in, x, L->e);
        if (!x->fn) {
            if (L->e && L->e->set) return -1;
            x->fn = x_unsupported;
        }
        return 0;
    }
    }
}

/* call (rets), func, (args): arguments are copied into the callee's
 * parameter slots; after the callee returns, XK_CALLRET copies its return
 * values to the caller's variables. */
static int lower_call(lw *L, const ptx_instr *in)
{
    const ptx_operand *rets = NULL, *args = NULL, *fo = NULL;
    for (int i = 0; i < in->nops; i++) {
        const ptx_operand *o = &in->ops[i];
        if (o->kind == PTX_OPND_SYM && !fo) fo = o;
        else if (o->kind == PTX_OPND_LIST && !fo) rets = o;
        else if (o->kind == PTX_OPND_LIST && fo && !args) args = o;
        else if (fo) return lfail(L, in, "indirect or prototyped call not supported%.*s", "", 0);
    }
    if (!fo) return lfail(L, in, "indirect call not supported%.*s", "", 0);
    uint64_t a;
    ptx_func *callee = NULL;
    if (resolve(L, ptx_opnd_name(fo), &a, &callee) != SK_FUNC || !callee || !callee->has_body)
        return lfail(L, in, "call to unknown or external function '%.*s'", ptx_opnd_name(fo).s, ptx_opnd_name(fo).n);
    lfunc *cf = func_info(L, callee);
    uint32_t cfi = (uint32_t)(cf - L->funcs.v);
    uint32_t nargs = args ? ptx_opnd_count(args) : 0, nrets = rets ? ptx_opnd_count(rets) : 0;
    if (nargs != callee->nparams || nrets > callee->nrets)
        return lfail(L, in, "call to '%.*s': argument count mismatch", ptx_opnd_name(fo).s, ptx_opnd_name(fo).n);
    xins *x = emit(L, in);
    x->kind = XK_CALL;
    x->target = cfi;                 /* function index until fixed */
    x->ncopy = nargs;
    x->copy = nt_xcalloc(nargs + 1, sizeof(xcopy));
    for (uint32_t i = 0; i < nargs; i++) {
        const ptx_operand *o = ptx_opnd_elem(args, i);
        xcopy *c = &x->copy[i];
        c->dst_off = L->funcs.v[cfi].param_off[i];
        c->size = var_size(&callee->params[i]);
        c->dst_reg = XNOREG;
        c->src_reg = XNOREG;
        if (o->kind == PTX_OPND_SYM) {
            uint64_t off;
            if (resolve(L, ptx_opnd_name(o), &off, NULL) != SK_LOCAL)
                return lfail(L, in, "call argument '%.*s' is not a .param variable", ptx_opnd_name(o).s, ptx_opnd_name(o).n);
            c->src_off = (uint32_t)off;
        } else {
            c->src_reg = src(L, in, o, NULL);
            if (c->src_reg == XNOREG) return -1;
        }
    }
    xins *r = emit(L, in);
    r->kind = XK_CALLRET;
    r->guard = XNOREG;               /* runs for the lanes that made the call */
    r->ncopy = nrets;
    r->copy = nt_xcalloc(nrets + 1, sizeof(xcopy));
    for (uint32_t i = 0; i < nrets; i++) {
        const ptx_operand *o = ptx_opnd_elem(rets, i);
        xcopy *c = &r->copy[i];
        c->src_reg = XNOREG;
        c->src_off = L->funcs.v[cfi].ret_off[i];
        c->size = var_size(&callee->rets[i]);
        c->dst_reg = XNOREG;
        if (o->kind == PTX_OPND_SYM) {
            uint64_t off;
            if (resolve(L, ptx_opnd_name(o), &off, NULL) != SK_LOCAL)
                return lfail(L, in, "call result '%.*s' is not a .param variable", ptx_opnd_name(o).s, ptx_opnd_name(o).n);
            c->dst_off = (uint32_t)off;
        } else {
            c->dst_reg = dst(L, in, o);
        }
    }
    return 0;
}

static int lower_block(lw *L, ptx_block *b)
{
    size_t mark = L->scope.n;
    ptx_block_foreach(b, s) {
        switch (s->kind) {
        case PTX_ST_INSTR:
            if (lower_instr(L, (ptx_instr *)s)) return -1;
            break;
        case PTX_ST_LABEL: {
            ptx_label *lb = (ptx_label *)s;
            nt_map_put(&L->labels, lb->name.s, lb->name.n, L->code.n);
            break;
        }
        case PTX_ST_SCOPE:
            if (lower_block(L, &((ptx_scope *)s)->body)) return -1;
            break;
        case PTX_ST_VAR: {
            svar v = { ((ptx_vardecl *)s)->var };
            nt_vec_push(&L->scope, v);
            break;
        }
        default:
            break;
        }
    }
    L->scope.n = mark;
    return 0;
}

static int lower_func(lw *L, lfunc *f)
{
    L->cur = f;
    L->is_entry = f->fn->is_entry;
    L->scope.n = 0;
    L->fixes.n = 0;
    nt_map_free(&L->labels);
    f->entry_pc = (uint32_t)L->code.n;
    if (lower_block(L, &f->fn->body)) return -1;
    xins *end = emit(L, NULL);
    end->kind = XK_END;
    f->end_pc = (uint32_t)(L->code.n - 1);
    for (size_t i = 0; i < L->fixes.n; i++) {
        uint64_t pc = f->end_pc;
        ptx_str lb = L->fixes.v[i].label;
        if (lb.s && !nt_map_get(&L->labels, lb.s, lb.n, &pc)) {
            L->cur = f;
            return lfail(L, NULL, "branch to unknown label '%.*s'", lb.s, lb.n);
        }
        L->code.v[L->fixes.v[i].pc].target = (uint32_t)pc;
    }
    f->lowered = 1;
    return x_ipdom(L->code.v, f->entry_pc, f->end_pc + 1, L->e);
}

static void fix_reg(uint32_t *r, uint32_t cbase)
{
    if (*r != XNOREG && (*r & CONST_TAG)) *r = cbase + (*r & ~CONST_TAG);
}

/* Finds a call cycle reachable from function i (recursion). */
static int has_cycle(lw *L, const xins *code, uint32_t fi, uint8_t *state)
{
    if (state[fi] == 1) return 1;
    if (state[fi] == 2) return 0;
    state[fi] = 1;
    lfunc *f = &L->funcs.v[fi];
    for (uint32_t pc = f->entry_pc; pc < f->end_pc; pc++)
        if (code[pc].kind == XK_CALL) {
            for (uint32_t j = 0; j < L->funcs.n; j++)
                if (L->funcs.v[j].entry_pc == code[pc].target && has_cycle(L, code, j, state))
                    return 1;
        }
    state[fi] = 2;
    return 0;
}

emu_kernel *emu_lower_kernel(emu_module *em, ptx_func *fn, nt_err *e);

emu_kernel *emu_lower_kernel(emu_module *em, ptx_func *fn, nt_err *e)
{
    emu_kernel *k = nt_xcalloc(1, sizeof(*k));
    k->name = nt_xstrndup(fn->name.s, fn->name.n);
    k->mod = em;
    k->nparams = fn->nparams;
    k->params = nt_xcalloc(fn->nparams + 1, sizeof(xparam));
    uint32_t off = 0;
    for (uint32_t i = 0; i < fn->nparams; i++) {
        off = align_up(off, var_align(&fn->params[i]));
        k->params[i].off = off;
        k->params[i].size = var_size(&fn->params[i]);
        off += k->params[i].size;
    }
    k->params_size = off;
    uint32_t mt = 1024;
    if (fn->nmaxntid) { mt = 1; for (int i = 0; i < fn->nmaxntid; i++) mt *= fn->maxntid[i]; }
    if (fn->nreqntid) { mt = 1; for (int i = 0; i < fn->nreqntid; i++) mt *= fn->reqntid[i]; }
    k->max_threads = NT_MIN(mt, 1024u);
    k->ptx_regs = fn->nregs;

    nt_err le = { 0 };
    lw L = { .m = em->ptx, .em = em, .k = k, .e = &le };
    /* lfunc pointers must stay valid while lowering adds callees. */
    size_t nf = 1;
    ptx_block_foreach(&em->ptx->items, s)
        if (s->kind == PTX_ST_FUNC) nf++;
    nt_vec_reserve(&L.funcs, nf);
    func_info(&L, fn);
    for (size_t i = 0; i < L.funcs.n; i++) {          /* grows while lowering */
        if (L.funcs.v[i].lowered) continue;
        if (lower_func(&L, &L.funcs.v[i])) break;
    }
    if (!le.set && L.regs_wanted > REGS_MAX)
        nt_err_set(&le, "%s: %llu registers per thread declared, more than the emulator holds (%u)",
                   k->name, (unsigned long long)L.regs_wanted, REGS_MAX);
    if (!le.set && L.oversize)
        nt_err_set(&le, "%s: more %s memory than a GPU allows (%u KiB %s)", k->name, L.oversize,
                   (*L.oversize == 'l' ? LOCAL_MAX : SMEM_MAX) >> 10,
                   *L.oversize == 'l' ? "per thread" : "per block");
    if (!le.set) {
        /* calls: function index -> entry pc, reconvergence at the CALLRET */
        for (size_t pc = 0; pc < L.code.n; pc++) {
            xins *x = &L.code.v[pc];
            if (x->kind != XK_CALL) continue;
            lfunc *cf = &L.funcs.v[x->target];
            x->target = cf->entry_pc;
            x->rpc = cf->end_pc;
        }
        uint8_t *state = nt_xcalloc(L.funcs.n, 1);
        if (has_cycle(&L, L.code.v, 0, state))
            nt_err_set(&le, "%s: recursive calls are not supported by the emulator", k->name);
        free(state);
    }
    /* Constants go after every function's registers. */
    uint32_t cbase = L.next_reg;
    uint32_t dyn_base = align_up(L.smem_next, 16);
    for (size_t i = 0; i < L.dyn_consts.n; i++) L.consts.v[L.dyn_consts.v[i]] += dyn_base;
    for (size_t pc = 0; pc < L.code.n; pc++) {
        xins *x = &L.code.v[pc];
        for (int j = 0; j < 4; j++) fix_reg(&x->d[j], cbase);
        fix_reg(&x->a, cbase); fix_reg(&x->b, cbase); fix_reg(&x->c, cbase);
        if (!x->sreg) fix_reg(&x->e, cbase);
        fix_reg(&x->guard, cbase);
        for (uint32_t j = 0; j < x->ncopy; j++) fix_reg(&x->copy[j].src_reg, cbase);
        if (x->dyn) x->off += dyn_base;
    }
    k->code = L.code.v;
    k->ncode = (uint32_t)L.code.n;
    k->entry_end = L.funcs.n ? L.funcs.v[0].end_pc : 0;
    k->nconst = (uint32_t)L.consts.n;
    k->nregs = cbase + k->nconst;
    k->consts = L.consts.v;
    k->smem_static = L.smem_next;
    k->local_size = align_up(L.local_next, 16);
    if (le.set) {
        k->bad = nt_xstrdup(le.msg);
        nt_debug("emu: kernel %s cannot run: %s", k->name, le.msg);
    }
    for (size_t i = 0; i < L.funcs.n; i++) { free(L.funcs.v[i].param_off); free(L.funcs.v[i].ret_off); }
    nt_vec_free(&L.funcs);
    nt_vec_free(&L.scope);
    nt_vec_free(&L.fixes);
    nt_vec_free(&L.dyn_consts);
    nt_imap_free(&L.var_off);
    nt_imap_free(&L.const_ix);
    nt_map_free(&L.labels);
    (void)e;
    return k;
}

void emu_kernel_free(emu_kernel *k);
void emu_kernel_free(emu_kernel *k)
{
    if (!k) return;
    for (uint32_t i = 0; i < k->ncode; i++) free(k->code[i].copy);
    free(k->code);
    free(k->consts);
    free(k->params);
    free(k->bad);
    free(k->name);
    free(k);
}
