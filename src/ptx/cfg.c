/* cfg.c — basic blocks and successors of one function (nested scopes
 * flattened; labels bind to the next instruction). */
#include "ptx/ptx_int.h"

#include <setjmp.h>
#include <stdlib.h>

typedef NT_VEC(uint32_t) u32vec;

typedef struct cfgb {
    NT_VEC(ptx_instr *) ins;
    nt_map labels;                  /* label -> instruction index */
    nt_map targets;                 /* .branchtargets label -> ptx_targets* */
} cfgb;

static void flatten(cfgb *c, const ptx_block *b)
{
    ptx_block_foreach(b, s) {
        if (s->kind == PTX_ST_INSTR) nt_vec_push(&c->ins, (ptx_instr *)s);
        else if (s->kind == PTX_ST_LABEL) {
            const ptx_label *l = (const ptx_label *)s;
            nt_map_put(&c->labels, l->name.s, l->name.n, c->ins.n);
        } else if (s->kind == PTX_ST_TARGETS) {
            const ptx_targets *t = (const ptx_targets *)s;
            nt_map_put(&c->targets, t->label.s, t->label.n, (uint64_t)(uintptr_t)t);
        } else if (s->kind == PTX_ST_SCOPE) {
            flatten(c, &((const ptx_scope *)s)->body);
        }
    }
}

static void cfgb_free(cfgb *c)
{
    nt_vec_free(&c->ins);
    nt_map_free(&c->labels);
    nt_map_free(&c->targets);
}

static int label_ix(cfgb *c, const ptx_func *fn, ptx_str name, uint32_t *out, nt_err *e)
{
    uint64_t v;
    if (!nt_map_get(&c->labels, name.s, name.n, &v))
        return nt_err_set(e, "%.*s: branch to unknown label '%.*s'", (int)fn->name.n, fn->name.s,
                          (int)name.n, name.s);
    *out = (uint32_t)v;
    return 0;
}

/* Branch targets of instruction in (instruction indexes); -1 on error. */
static int targets_of(cfgb *c, const ptx_func *fn, const ptx_instr *in,
                      u32vec *out, nt_err *e)
{
    out->n = 0;
    if (in->op == PTX_OP_BRA) {
        for (unsigned i = 0; i < in->nops; i++)
            if (in->ops[i].kind == PTX_OPND_LABEL || in->ops[i].kind == PTX_OPND_SYM) {
                uint32_t t = 0;
                if (label_ix(c, fn, ptx_opnd_name(&in->ops[i]), &t, e) < 0) return -1;
                nt_vec_push(out, t);
                return 0;
            }
        return nt_err_set(e, "%.*s: bra without a label", (int)fn->name.n, fn->name.s);
    }
    /* brx.idx %r, $L_tbl */
    for (unsigned i = 0; i < in->nops; i++) {
        const ptx_operand *o = &in->ops[i];
        if (o->kind != PTX_OPND_LABEL && o->kind != PTX_OPND_SYM) continue;
        uint64_t v;
        if (!nt_map_get(&c->targets, ptx_opnd_name(o).s, ptx_opnd_name(o).n, &v))
            return nt_err_set(e, "%.*s: brx.idx names no .branchtargets list '%.*s'",
                              (int)fn->name.n, fn->name.s, (int)ptx_opnd_name(o).n, ptx_opnd_name(o).s);
        const ptx_targets *t = (const ptx_targets *)(uintptr_t)v;
        for (uint32_t k = 0; k < t->n; k++) {
            uint32_t ix = 0;
            if (label_ix(c, fn, t->names[k], &ix, e) < 0) return -1;
            nt_vec_push(out, ix);
        }
        return 0;
    }
    return nt_err_set(e, "%.*s: brx.idx without a target list", (int)fn->name.n, fn->name.s);
}

ptx_cfg *ptx_cfg_build(ptx_module *m, const ptx_func *fn, nt_err *e)
{
    cfgb c = {0};
    u32vec tg = {0};
    flatten(&c, &fn->body);
    uint32_t n = (uint32_t)c.ins.n;
    uint8_t *leader = nt_xcalloc(n + 1, 1);
    uint32_t *block_of = nt_xmalloc((n + 1) * sizeof *block_of);
    ptx_cfg *g = NULL;
    if (n) leader[0] = 1;
    for (size_t i = 0; i < c.labels.cap; i++)
        if (c.labels.slots[i].key) leader[c.labels.slots[i].val] = 1;
    for (uint32_t i = 0; i < n; i++) {
        unsigned cl = ptx_instr_class(c.ins.v[i]);
        if (cl & (PTX_IC_BRANCH | PTX_IC_EXIT)) leader[i + 1] = 1;
    }
    uint32_t nb = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (leader[i]) nb++;
        block_of[i] = nb - 1;
    }
    block_of[n] = UINT32_MAX;   /* falling off the end */
    g = nt_arena_zalloc(&m->arena, sizeof *g);
    g->ninstrs = n;
    g->instrs = nt_arena_alloc(&m->arena, (n ? n : 1) * sizeof *g->instrs);
    if (n) memcpy(g->instrs, c.ins.v, n * sizeof *g->instrs);
    g->nblocks = nb;
    g->blocks = nt_arena_zalloc(&m->arena, (nb ? nb : 1) * sizeof *g->blocks);
    for (uint32_t i = 0; i < n; i++) {
        ptx_bb *b = &g->blocks[block_of[i]];
        if (leader[i]) b->first = i;
        b->last = i;
    }
    for (uint32_t bi = 0; bi < nb; bi++) {
        ptx_bb *b = &g->blocks[bi];
        const ptx_instr *in = c.ins.v[b->last];
        unsigned cl = ptx_instr_class(in);
        bool guarded = in->guard != PTX_NOREG;
        u32vec succ = {0};
        bool fall = true;
        if (cl & PTX_IC_EXIT) {
            b->exits = 1;
            fall = guarded;
        } else if (cl & PTX_IC_BRANCH) {
            if (targets_of(&c, fn, in, &tg, e) < 0) { nt_vec_free(&succ); g = NULL; goto out; }
            fall = guarded;
        }
        if (fall && b->last + 1 < n) nt_vec_push(&succ, block_of[b->last + 1]);
        if (cl & PTX_IC_BRANCH)
            for (size_t k = 0; k < tg.n; k++) {
                uint32_t t = tg.v[k] < n ? block_of[tg.v[k]] : UINT32_MAX;
                if (t == UINT32_MAX) continue;   /* label after the last instruction */
                bool dup = false;
                for (size_t q = 0; q < succ.n; q++) dup |= succ.v[q] == t;
                if (!dup) nt_vec_push(&succ, t);
            }
        b->nsucc = (uint32_t)succ.n;
        if (succ.n > 2) {
            b->succ_many = nt_arena_alloc(&m->arena, succ.n * sizeof *b->succ_many);
            memcpy(b->succ_many, succ.v, succ.n * sizeof *b->succ_many);
        } else {
            for (size_t k = 0; k < succ.n; k++) b->succ[k] = succ.v[k];
        }
        nt_vec_free(&succ);
    }
out:
    free(leader);
    free(block_of);
    nt_vec_free(&tg);
    cfgb_free(&c);
    return g;
}
