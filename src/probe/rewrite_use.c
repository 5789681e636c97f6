/*
 * rewrite_use.c — nt.first_use: where a load's result is first read, on
 * every path from the load, over the function's CFG (ptx_cfg_build).
 *
 * From the load, each path is followed (within the load's block, then
 * through successor blocks) until an instruction reads one of the load's
 * destination registers (a first use: the path ends there), every
 * destination has been redefined unconditionally (the value is dead),
 * the path reaches ret/exit, or it comes back to the load itself (a new
 * load starts).  A block is scanned again only for destinations it has
 * not been scanned for yet, so the walk is linear in the function.
 *
 * A use reached on several paths, or again and again in a loop, is one
 * site; the rewriter makes it count once per load execution (rewrite.c).
 */
#include "probe/rewrite_int.h"

#include <stdlib.h>
#include <string.h>

struct rw_uses {
    ptx_cfg  *cfg;
    nt_imap   pos;             /* instruction address -> index in cfg */
    uint32_t *blk;             /* block of each instruction */
    uint8_t  *seen;            /* per block: destinations scanned for */
    NT_VEC(uint32_t) touched;  /* blocks whose seen[] is set */
    NT_VEC(uint64_t) work;     /* (block << 8) | mask */
};

rw_uses *rw_uses_new(ptx_module *m, ptx_func *fn, nt_err *e)
{
    ptx_cfg *cfg = ptx_cfg_build(m, fn, e);
    if (!cfg) return NULL;
    rw_uses *u = nt_xcalloc(1, sizeof *u);
    u->cfg = cfg;
    u->blk = nt_xcalloc(cfg->ninstrs + 1, sizeof *u->blk);
    u->seen = nt_xcalloc(cfg->nblocks + 1, 1);
    for (uint32_t b = 0; b < cfg->nblocks; b++)
        for (uint32_t i = cfg->blocks[b].first; i <= cfg->blocks[b].last && i < cfg->ninstrs; i++)
            u->blk[i] = b;
    for (uint32_t i = 0; i < cfg->ninstrs; i++)
        nt_imap_put(&u->pos, (uint64_t)(uintptr_t)cfg->instrs[i], i);
    return u;
}

void rw_uses_free(rw_uses *u)
{
    if (!u) return;
    nt_imap_free(&u->pos);
    free(u->blk);
    free(u->seen);
    nt_vec_free(&u->touched);
    nt_vec_free(&u->work);
    free(u);
}

static bool opnd_has_reg(const ptx_operand *o, uint32_t reg)
{
    switch (o->kind) {
    case PTX_OPND_REG: return o->reg == reg;
    case PTX_OPND_ADDR:
        if (o->flags & PTX_OPF_ALIST) {
            for (uint32_t i = 0; i < ptx_opnd_count(o); i++)
                if (opnd_has_reg(ptx_opnd_elem(o, i), reg)) return true;
            return false;
        }
        return o->reg == reg;
    case PTX_OPND_VEC: case PTX_OPND_LIST: case PTX_OPND_PAIR:
        for (uint32_t i = 0; i < ptx_opnd_count(o); i++)
            if (opnd_has_reg(ptx_opnd_elem(o, i), reg)) return true;
        return false;
    default: return false;
    }
}

/* Instructions whose first operand is not a destination. */
static bool first_is_source(const ptx_instr *in)
{
    switch (in->op) {
    case PTX_OP_ST: case PTX_OP_RED: case PTX_OP_BAR: case PTX_OP_BARRIER:
    case PTX_OP_BRA: case PTX_OP_RET: case PTX_OP_EXIT: case PTX_OP_MEMBAR:
    case PTX_OP_FENCE: case PTX_OP_CP: case PTX_OP_PREFETCH: case PTX_OP_PREFETCHU:
    case PTX_OP_STMATRIX: case PTX_OP_SUST: case PTX_OP_SURED: case PTX_OP_TRAP:
    case PTX_OP_NANOSLEEP: case PTX_OP_CALL: case PTX_OP_BRX:
        return true;
    case PTX_OP_WMMA:
        return ptx_instr_has_mod(in, PTX_MOD_STORE);
    default:
        return false;
    }
}

static bool reads(const ptx_instr *in, uint32_t reg)
{
    if (in->guard == reg) return true;
    unsigned from = first_is_source(in) ? 0 : 1;
    for (unsigned i = from; i < in->nops; i++)
        if (opnd_has_reg(&in->ops[i], reg)) return true;
    /* an address in the destination slot is still a read */
    return from == 1 && in->nops && in->ops[0].kind == PTX_OPND_ADDR &&
           opnd_has_reg(&in->ops[0], reg);
}

typedef struct query {
    const uint32_t *regs;
    unsigned nr;
    uint32_t self;            /* the load's index */
    ptx_instr **out;
    unsigned cap, n;
} query;

static void add_use(query *q, ptx_instr *in)
{
    unsigned k = 0;
    while (k < q->n && k < q->cap && q->out[k] != in) k++;
    if (k < q->n && k < q->cap) return;        /* already a site */
    if (q->n < q->cap) q->out[q->n] = in;
    q->n++;
}

/* Scans instructions [from, to] with the live destinations `mask`;
 * returns the mask live after them (0: the path ended). */
static unsigned scan(rw_uses *u, query *q, uint32_t from, uint32_t to, unsigned mask)
{
    for (uint32_t i = from; i <= to && i < u->cfg->ninstrs; i++) {
        if (i == q->self) return 0;
        ptx_instr *in = u->cfg->instrs[i];
        for (unsigned k = 0; k < q->nr; k++)
            if ((mask >> k & 1) && reads(in, q->regs[k])) {
                add_use(q, in);
                return 0;
            }
        if (in->op == PTX_OP_RET || in->op == PTX_OP_EXIT || in->op == PTX_OP_TRAP) return 0;
        if (!first_is_source(in) && in->nops && in->guard == PTX_NOREG)
            for (unsigned k = 0; k < q->nr; k++)
                if (opnd_has_reg(&in->ops[0], q->regs[k])) mask &= ~(1u << k);
        if (!mask) return 0;
    }
    return mask;
}

static void push_succs(rw_uses *u, uint32_t b, unsigned mask)
{
    const ptx_bb *bb = &u->cfg->blocks[b];
    for (uint32_t j = 0; j < bb->nsucc; j++) {
        uint32_t s = ptx_bb_succ(bb, j);
        if (s >= u->cfg->nblocks) continue;
        unsigned m = mask & ~(unsigned)u->seen[s];
        if (!m) continue;
        if (!u->seen[s]) nt_vec_push(&u->touched, s);
        u->seen[s] |= (uint8_t)m;
        nt_vec_push(&u->work, (uint64_t)s << 8 | m);
    }
}

unsigned rw_first_uses(rw_uses *u, const ptx_instr *ld, ptx_instr **out, unsigned cap,
                       bool *local)
{
    *local = false;
    uint32_t regs[8];
    unsigned nr = 0;
    uint64_t self;
    if (!ld->nops || !nt_imap_get(&u->pos, (uint64_t)(uintptr_t)ld, &self)) return 0;
    const ptx_operand *d = &ld->ops[0];
    if (d->kind == PTX_OPND_REG) regs[nr++] = d->reg;
    else if (d->kind == PTX_OPND_VEC)
        for (uint32_t i = 0; i < ptx_opnd_count(d) && nr < 8; i++)
            if (ptx_opnd_elem(d, i)->kind == PTX_OPND_REG) regs[nr++] = ptx_opnd_elem(d, i)->reg;
    if (!nr) return 0;
    query q = { .regs = regs, .nr = nr, .self = (uint32_t)self, .out = out, .cap = cap };
    uint32_t b0 = u->blk[self];
    unsigned mask = scan(u, &q, (uint32_t)self + 1, u->cfg->blocks[b0].last, (1u << nr) - 1);
    if (q.n) {
        *local = true;
        return q.n;
    }
    u->work.n = u->touched.n = 0;
    if (mask) push_succs(u, b0, mask);
    while (u->work.n) {
        uint64_t w = u->work.v[--u->work.n];
        uint32_t b = (uint32_t)(w >> 8);
        unsigned m = scan(u, &q, u->cfg->blocks[b].first, u->cfg->blocks[b].last,
                          (unsigned)(w & 0xff));
        if (m) push_succs(u, b, m);
    }
    for (size_t i = 0; i < u->touched.n; i++) u->seen[u->touched.v[i]] = 0;
    return q.n;
}
