/*
 * gen.c — probe IR -> PTX text: per-kernel state, registers, the buffer
 * prologue, the exit sequence.  The ops themselves are in gen_ops.c.
 *
 * Safety (docs/buffer-format.md, buffer.h): every store the generated code
 * makes goes to  slot + 8 + k * record_size + field  with k < cap, or to
 * the slot's count, where slot is computed from the map table the host
 * wrote; before any of that, the prologue checks that the buffer pointer
 * is not null, that the slot index is below nslots, that the record size
 * in the table is the probe's, and that slot_size holds cap records.  If
 * any check fails the map's "ok" predicate is false and nothing is written.
 */
#include "probe/gen_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char tletters[PRB_NTYPES] = { 'u', 'd', 's', 'l', 'f', 'g', 'p' };
static const char *const ptx_tnames[PRB_NTYPES] = {
    "u32", "u64", "s32", "s64", "f32", "f64", "pred"
};

const char *gen_ptype(prb_type t) { return ptx_tnames[t]; }

const char *gen_btype(prb_type t)
{
    return prb_type_size(t) == 8 ? "b64" : t == PRB_PRED ? "pred" : "b32";
}

void gen_line(gen_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nt_sb_putc(c->out, '\t');
    nt_sb_vprintf(c->out, fmt, ap);
    nt_sb_putc(c->out, '\n');
    va_end(ap);
}

const char *gen_val(gen_ctx *c, int32_t v)
{
    /* Names rotate through a small ring so that a line may name several. */
    char *b = c->g->names[c->g->name_i++ % GEN_NAME_RING];
    snprintf(b, GEN_NAME_LEN, "%%__pv%c%d", tletters[c->g->p->values.v[v].type], (int)v);
    return b;
}

const char *gen_tmp(gen_ctx *c, prb_type t)
{
    prb_gen *g = c->g;
    unsigned k = g->scratch_used[t]++;
    if (g->scratch_used[t] > g->scratch_max[t]) g->scratch_max[t] = g->scratch_used[t];
    char *b = g->names[g->name_i++ % GEN_NAME_RING];
    snprintf(b, GEN_NAME_LEN, "%%__px%c%u", tletters[t], k);
    return b;
}

/* Scratch registers are dead after each inserted sequence, so every
 * sequence starts numbering from 0 again. */
void gen_scratch_reset(prb_gen *g) { memset(g->scratch_used, 0, sizeof g->scratch_used); }

prb_gen *prb_gen_new(const prb_probe *p, unsigned sm, const char *param, nt_err *e)
{
    unsigned need = prb_min_sm(p);
    for (size_t i = 0; i < p->counters.n; i++)
        if (p->counters.v[i].type == PRB_F64) need = NT_MAX(need, 60u);
    if (sm && sm < need) {
        nt_err_set(e, "probe '%s' needs sm_%u or newer, the kernel targets sm_%u",
                   p->name, need, sm);
        return NULL;
    }
    prb_gen *g = nt_xcalloc(1, sizeof *g);
    g->p = p;
    g->sm = sm ? sm : 30;
    snprintf(g->param, sizeof g->param, "%s", param);
    /* Which op defines each value (for the warp-sum fast path). */
    g->def = nt_xcalloc(p->values.n + 1, sizeof *g->def);
    for (size_t b = 0; b < p->blocks.n; b++)
        for (size_t i = 0; i < p->blocks.v[b].ops.n; i++) {
            const prb_op *o = &p->blocks.v[b].ops.v[i];
            if (o->dst >= 0 && o->kind != PRB_OP_WRITE) g->def[o->dst] = o;
        }
    return g;
}

void prb_gen_free(prb_gen *g)
{
    if (!g) return;
    nt_vec_free(&g->pending);
    for (size_t i = 0; i < g->tmpl.n; i++) free(g->tmpl.v[i]);
    nt_vec_free(&g->tmpl);
    nt_imap_free(&g->tmpl_of);
    free(g->def);
    free(g);
}

static void gen_ticket_init(gen_ctx *c);

/* ---- the prologue ---- */
static void gen_slot_index(gen_ctx *c)
{
    /* thread_linear, threads/warps per block, block_linear (u64). */
    const char *tx = gen_tmp(c, PRB_U32), *ty = gen_tmp(c, PRB_U32), *tz = gen_tmp(c, PRB_U32);
    const char *nx = gen_tmp(c, PRB_U32), *ny = gen_tmp(c, PRB_U32), *nz = gen_tmp(c, PRB_U32);
    gen_line(c, "mov.u32 %s, %%tid.x;", tx);
    gen_line(c, "mov.u32 %s, %%tid.y;", ty);
    gen_line(c, "mov.u32 %s, %%tid.z;", tz);
    gen_line(c, "mov.u32 %s, %%ntid.x;", nx);
    gen_line(c, "mov.u32 %s, %%ntid.y;", ny);
    gen_line(c, "mov.u32 %s, %%ntid.z;", nz);
    gen_line(c, "mad.lo.u32 %s, %s, %s, %s;", tz, tz, ny, ty);
    gen_line(c, "mad.lo.u32 %%__pk_tlin, %s, %s, %s;", tz, nx, tx);
    gen_line(c, "mul.lo.u32 %s, %s, %s;", ny, ny, nx);
    gen_line(c, "mul.lo.u32 %%__pk_tpb, %s, %s;", ny, nz);
    gen_line(c, "add.u32 %%__pk_wpb, %%__pk_tpb, 31;");
    gen_line(c, "shr.u32 %%__pk_wpb, %%__pk_wpb, 5;");
    gen_line(c, "shr.u32 %%__pk_wlin, %%__pk_tlin, 5;");
    const char *cx = gen_tmp(c, PRB_U64), *cy = gen_tmp(c, PRB_U64), *cz = gen_tmp(c, PRB_U64);
    const char *gx = gen_tmp(c, PRB_U64), *gy = gen_tmp(c, PRB_U64);
    const char *r = gen_tmp(c, PRB_U32);
    gen_line(c, "mov.u32 %s, %%ctaid.x;", r);
    gen_line(c, "cvt.u64.u32 %s, %s;", cx, r);
    gen_line(c, "mov.u32 %s, %%ctaid.y;", r);
    gen_line(c, "cvt.u64.u32 %s, %s;", cy, r);
    gen_line(c, "mov.u32 %s, %%ctaid.z;", r);
    gen_line(c, "cvt.u64.u32 %s, %s;", cz, r);
    gen_line(c, "mov.u32 %s, %%nctaid.x;", r);
    gen_line(c, "cvt.u64.u32 %s, %s;", gx, r);
    gen_line(c, "mov.u32 %s, %%nctaid.y;", r);
    gen_line(c, "cvt.u64.u32 %s, %s;", gy, r);
    gen_line(c, "mad.lo.u64 %s, %s, %s, %s;", cz, cz, gy, cy);
    gen_line(c, "mad.lo.u64 %%__pk_blin, %s, %s, %s;", cz, gx, cx);
}

static void gen_map_setup(gen_ctx *c, int32_t mi)
{
    const prb_map *m = &c->g->p->maps.v[mi];
    const char *idx = gen_tmp(c, PRB_U64), *t32 = gen_tmp(c, PRB_U64);
    const char *off = gen_tmp(c, PRB_U64), *ss = gen_tmp(c, PRB_U64);
    const char *ns = gen_tmp(c, PRB_U32), *rs = gen_tmp(c, PRB_U32);
    const char *need = gen_tmp(c, PRB_U64), *cap64 = gen_tmp(c, PRB_U64);
    prb_level lv = c->g->p->level;
    /* Counters and the ticket of block level live in per-block slots when
     * the level is block; everything else follows the probe's level. */
    if (lv == PRB_LEVEL_THREAD) {
        gen_line(c, "cvt.u64.u32 %s, %%__pk_tpb;", t32);
        gen_line(c, "cvt.u64.u32 %s, %%__pk_tlin;", idx);
        gen_line(c, "mad.lo.u64 %s, %%__pk_blin, %s, %s;", idx, t32, idx);
    } else if (lv == PRB_LEVEL_WARP) {
        gen_line(c, "cvt.u64.u32 %s, %%__pk_wpb;", t32);
        gen_line(c, "cvt.u64.u32 %s, %%__pk_wlin;", idx);
        gen_line(c, "mad.lo.u64 %s, %%__pk_blin, %s, %s;", idx, t32, idx);
    } else {
        gen_line(c, "mov.u64 %s, %%__pk_blin;", idx);
    }
    gen_line(c, "@%%__pk_ok ld.global.u64 %s, [%%__pk_buf+%u];", off, BUF_MAP_OFFSET_AT(mi));
    gen_line(c, "@%%__pk_ok ld.global.u64 %s, [%%__pk_buf+%u];", ss, BUF_MAP_SLOT_SIZE_AT(mi));
    gen_line(c, "@%%__pk_ok ld.global.u32 %%__pk_cap%d, [%%__pk_buf+%u];", mi, BUF_MAP_CAP_AT(mi));
    gen_line(c, "@%%__pk_ok ld.global.u32 %s, [%%__pk_buf+%u];", ns, BUF_MAP_CAP_AT(mi) + 4);
    gen_line(c, "@%%__pk_ok ld.global.u16 %s, [%%__pk_buf+%u];", rs, BUF_MAP_RECORD_SIZE_AT(mi));
    /* ok = buffer && idx < nslots && record_size matches && slot holds cap records */
    gen_line(c, "cvt.u64.u32 %s, %s;", t32, ns);
    gen_line(c, "setp.lt.and.u64 %%__pk_mok%d, %s, %s, %%__pk_ok;", mi, idx, t32);
    gen_line(c, "setp.eq.and.u32 %%__pk_mok%d, %s, %u, %%__pk_mok%d;", mi, rs,
             m->record_size, mi);
    gen_line(c, "cvt.u64.u32 %s, %%__pk_cap%d;", cap64, mi);
    gen_line(c, "mad.lo.u64 %s, %s, %u, %u;", need, cap64, m->record_size, BUF_SLOT_HEADER);
    gen_line(c, "setp.le.and.u64 %%__pk_mok%d, %s, %s, %%__pk_mok%d;", mi, need, ss, mi);
    gen_line(c, "add.u64 %s, %%__pk_buf, %s;", off, off);
    gen_line(c, "mad.lo.u64 %%__pk_slot%d, %s, %s, %s;", mi, idx, ss, off);
}

void prb_gen_entry(prb_gen *g, nt_sb *out)
{
    const prb_probe *p = g->p;
    gen_ctx c = { .g = g, .out = out };
    gen_scratch_reset(g);
    nt_sb_printf(out, "\t// ntrace probe %s: buffer setup\n", p->name);
    gen_line(&c, "ld.param.u64 %%__pk_buf, [%s];", g->param);
    gen_line(&c, "setp.ne.u64 %%__pk_ok, %%__pk_buf, 0;");
    gen_line(&c, "cvta.to.global.u64 %%__pk_buf, %%__pk_buf;");
    gen_slot_index(&c);
    for (size_t i = 0; i < p->maps.n; i++) gen_map_setup(&c, (int32_t)i);
    if (p->level == PRB_LEVEL_BLOCK && gen_has_exit_handler(p)) gen_ticket_init(&c);
    for (size_t k = 0; k < g->pending.n; k++)
        gen_line(&c, "setp.ne.u32 %%__pfu%d, %%__pk_tlin, %%__pk_tlin;", (int)g->pending.v[k]);
    /* State starts at zero (block-level fields live in shared memory and
     * are written by the entry handler before use). */
    for (size_t v = 0; v < p->values.n; v++) {
        const prb_value *x = &p->values.v[v];
        if (x->kind == PRB_V_TEMP) continue;
        if (x->kind == PRB_V_FIELD && gen_field_shared(g, (int32_t)v)) continue;
        if (x->type == PRB_PRED) gen_line(&c, "setp.ne.u32 %s, %%__pk_tlin, %%__pk_tlin;",
                                          gen_val(&c, (int32_t)v));
        else if (prb_type_is_float(x->type))
            gen_line(&c, "mov.%s %s, %s;", gen_ptype(x->type), gen_val(&c, (int32_t)v),
                     x->type == PRB_F32 ? "0f00000000" : "0d0000000000000000");
        else gen_line(&c, "mov.%s %s, 0;", gen_ptype(x->type), gen_val(&c, (int32_t)v));
    }
    for (size_t h = 0; h < p->handlers.n; h++)
        if (p->handlers.v[h].kind == PRB_TP_ENTRY) {
            gen_scratch_reset(g);
            nt_sb_printf(out, "\t// ntrace probe %s: kernel.entry (line %d)\n", p->name,
                         p->handlers.v[h].line);
            gen_handler(&c, (int)h, NULL, GEN_TOP_BLOCK_ENTRY);
        }
}

/* Block level: is this group of lanes the last of its block to leave?
 * Each exiting group adds its lane count to the block's ticket, a u32 in
 * shared memory (__prb_ticket, module scope so that exits inside called
 * functions reach it too; zeroed at entry, see gen_ticket_init); the group
 * that brings it to threads-per-block is the last.  Sets %__pk_last.  The
 * ticket is ntrace's own: it is not in the buffer, so the collector never
 * sees it. */
static void gen_block_last(gen_ctx *c)
{
    const char *m = gen_tmp(c, PRB_U32), *n = gen_tmp(c, PRB_U32);
    const char *ll = gen_tmp(c, PRB_U32), *lane = gen_tmp(c, PRB_U32);
    const char *old = gen_tmp(c, PRB_U32), *t = gen_tmp(c, PRB_U32);
    const char *lead = gen_tmp(c, PRB_PRED);
    gen_line(c, "activemask.b32 %s;", m);
    gen_line(c, "popc.b32 %s, %s;", n, m);
    gen_line(c, "brev.b32 %s, %s;", t, m);
    gen_line(c, "bfind.shiftamt.u32 %s, %s;", ll, t);
    gen_line(c, "mov.u32 %s, %%laneid;", lane);
    gen_line(c, "setp.eq.u32 %s, %s, %s;", lead, lane, ll);
    gen_line(c, "membar.cta;");
    gen_line(c, "mov.u32 %s, 0;", old);
    gen_line(c, "@%s atom.shared.add.u32 %s, [__prb_ticket], %s;", lead, old, n);
    gen_line(c, "shfl.sync.idx.b32 %s, %s, %s, 31, %s;", old, old, ll, m);
    gen_line(c, "add.u32 %s, %s, %s;", old, old, n);
    gen_line(c, "setp.eq.u32 %%__pk_last, %s, %%__pk_tpb;", old);
    gen_line(c, "membar.cta;");
}

bool gen_has_exit_handler(const prb_probe *p)
{
    for (size_t h = 0; h < p->handlers.n; h++)
        if (p->handlers.v[h].kind == PRB_TP_EXIT) return true;
    return false;
}

/* The block's ticket starts at 0: thread 0 clears it and the block
 * waits once at entry (every thread of the block runs the prologue, so
 * the barrier is reached by all of them), so that no group can exit and
 * count itself before the clear. */
static void gen_ticket_init(gen_ctx *c)
{
    const char *q = gen_tmp(c, PRB_PRED);
    gen_line(c, "setp.eq.u32 %s, %%__pk_tlin, 0;", q);
    gen_line(c, "@%s st.shared.u32 [__prb_ticket], 0;", q);
    gen_line(c, "bar.sync 0;");
}

/* Counters: each lane holds what it added while it led its group (at
 * warp and block level) or its own counts (thread level), so the slot's
 * value is the sum (or max) over lanes.  Every lane adds its part with a
 * red (groups of one warp or block exit at different times, and this
 * needs no warp reduction, so it works on every target); the group's
 * leader marks the record present (count = 1). */
static void gen_counters_flush(gen_ctx *c)
{
    const prb_probe *p = c->g->p;
    int32_t mi = p->counters_map;
    if (mi < 0) return;
    const prb_map *cm = &p->maps.v[mi];
    char lead[GEN_NAME_LEN], nz[GEN_NAME_LEN];
    snprintf(lead, sizeof lead, "%s", gen_tmp(c, PRB_PRED));
    snprintf(nz, sizeof nz, "%s", gen_tmp(c, PRB_PRED));
    if (p->level == PRB_LEVEL_THREAD) {
        gen_line(c, "mov.pred %s, %%__pk_mok%d;", lead, mi);
    } else {
        const char *m = gen_tmp(c, PRB_U32), *t = gen_tmp(c, PRB_U32);
        gen_line(c, "activemask.b32 %s;", m);
        gen_line(c, "mov.u32 %s, %%lanemask_lt;", t);
        gen_line(c, "and.b32 %s, %s, %s;", t, m, t);
        gen_line(c, "setp.eq.and.u32 %s, %s, 0, %%__pk_mok%d;", lead, t, mi);
    }
    for (size_t i = 0; i < p->counters.n; i++) {
        const prb_counter *k = &p->counters.v[i];
        const char *v = gen_val(c, k->value);
        const prb_field *f = &cm->fields.v[k->field];
        const char *rt;
        switch (k->type) {
        case PRB_U32: rt = "u32"; break;
        case PRB_S32: rt = "s32"; break;
        case PRB_F32: rt = "f32"; break;
        case PRB_F64: rt = "f64"; break;
        case PRB_S64: rt = k->kind == PRB_CNT_MAX ? "s64" : "u64"; break;
        default: rt = "u64"; break;
        }
        if (prb_type_is_float(k->type))
            gen_line(c, "setp.neu.%s %s, %s, %s;", gen_ptype(k->type), nz, v,
                     k->type == PRB_F32 ? "0f00000000" : "0d0000000000000000");
        else
            gen_line(c, "setp.ne.%s %s, %s, 0;", gen_ptype(k->type), nz, v);
        gen_line(c, "setp.ne.and.u32 %s, %%__pk_cap%d, 0, %s;", nz, mi, nz);
        gen_line(c, "and.pred %s, %s, %%__pk_mok%d;", nz, nz, mi);
        gen_line(c, "@%s red.global.%s.%s [%%__pk_slot%d+%u], %s;", nz,
                 k->kind == PRB_CNT_MAX ? "max" : "add", rt, mi,
                 BUF_SLOT_HEADER + f->offset, v);
    }
    gen_line(c, "@%s red.global.max.u32 [%%__pk_slot%d], 1;", lead, mi);
}

void prb_gen_exit(prb_gen *g, nt_sb *out)
{
    const prb_probe *p = g->p;
    gen_ctx c = { .g = g, .out = out };
    gen_scratch_reset(g);
    if (p->level == PRB_LEVEL_BLOCK && gen_has_exit_handler(p)) {
        nt_sb_printf(out, "\t// ntrace probe %s: is this the block's last warp out?\n", p->name);
        gen_block_last(&c);
    }
    for (size_t h = 0; h < p->handlers.n; h++)
        if (p->handlers.v[h].kind == PRB_TP_EXIT) {
            nt_sb_printf(out, "\t// ntrace probe %s: kernel.exit (line %d)\n", p->name,
                         p->handlers.v[h].line);
            gen_handler(&c, (int)h, NULL, GEN_TOP_BLOCK_EXIT);
        }
    if (p->counters_map >= 0) {
        nt_sb_printf(out, "\t// ntrace probe %s: counters\n", p->name);
        gen_counters_flush(&c);
    }
}

int32_t prb_gen_issue_clock(prb_gen *g, bool pending, nt_sb *out)
{
    int32_t k = (int32_t)g->nissue++;
    nt_sb_printf(out, "\tmov.u64 %%__pic%d, %%clock64;\n", (int)k);
    if (pending) {
        nt_sb_printf(out, "\tsetp.eq.u32 %%__pfu%d, %%__pk_tlin, %%__pk_tlin;\n", (int)k);
        nt_vec_push(&g->pending, k);
    }
    return k;
}

bool gen_field_shared(const prb_gen *g, int32_t v)
{
    const prb_probe *p = g->p;
    const prb_value *x = &p->values.v[v];
    return p->level == PRB_LEVEL_BLOCK && x->kind == PRB_V_FIELD &&
           !p->maps.v[x->owner].is_counters;
}

/* The registers every inserted sequence may name (kernel and callees). */
void gen_reg_decls(prb_gen *g, nt_sb *out)
{
    const prb_probe *p = g->p;
    unsigned nv = (unsigned)p->values.n;
    bool used[PRB_NTYPES] = {0};
    for (size_t v = 0; v < p->values.n; v++) used[p->values.v[v].type] = true;
    for (int t = 0; t < PRB_NTYPES; t++) {
        if (used[t]) nt_sb_printf(out, "\t.reg .%s %%__pv%c<%u>;\n", ptx_tnames[t],
                                  tletters[t], nv);
        if (g->scratch_max[t])
            nt_sb_printf(out, "\t.reg .%s %%__px%c<%u>;\n", ptx_tnames[t], tletters[t],
                         g->scratch_max[t]);
    }
    nt_sb_printf(out, "\t.reg .u64 %%__pk_buf, %%__pk_blin;\n");
    nt_sb_printf(out, "\t.reg .u32 %%__pk_tlin, %%__pk_tpb, %%__pk_wpb, %%__pk_wlin, %%__pk_t;\n");
    nt_sb_printf(out, "\t.reg .pred %%__pk_ok, %%__pk_last;\n");
    if (p->maps.n) {
        nt_sb_printf(out, "\t.reg .u64 %%__pk_slot<%zu>;\n", p->maps.n);
        nt_sb_printf(out, "\t.reg .u32 %%__pk_cap<%zu>;\n", p->maps.n);
        nt_sb_printf(out, "\t.reg .pred %%__pk_mok<%zu>;\n", p->maps.n);
    }
}

void prb_gen_decls(prb_gen *g, nt_sb *out)
{
    nt_sb_printf(out, "\t// ntrace probe %s: registers\n", g->p->name);
    gen_reg_decls(g, out);
    if (g->nissue) {
        nt_sb_printf(out, "\t.reg .u64 %%__pic<%u>;\n", g->nissue);
        nt_sb_printf(out, "\t.reg .pred %%__pfu<%u>;\n", g->nissue);
    }
    if (g->spill) {
        nt_sb_printf(out, "\t.reg .u64 %%__pk_sp;\n");
        nt_sb_printf(out, "\t.local .align 8 .b8 __prb_spill[%u];\n", gen_spill_size(g));
    }
}

bool prb_gen_needs_module_decls(const prb_gen *g)
{
    const prb_probe *p = g->p;
    return p->level == PRB_LEVEL_BLOCK && (p->maps.n > (p->counters_map >= 0 ? 1u : 0u) ||
                                           gen_has_exit_handler(p));
}

void prb_gen_module_decls(prb_gen *g, nt_sb *out)
{
    const prb_probe *p = g->p;
    if (!prb_gen_needs_module_decls(g)) return;
    /* Module scope, so that exit sequences inside called functions see
     * them; per block, like the block-level records they hold. */
    nt_sb_printf(out, "// ntrace probe %s: block state\n", p->name);
    for (size_t i = 0; i < p->maps.n; i++)
        if (!p->maps.v[i].is_counters)
            nt_sb_printf(out, ".shared .align 8 .b8 __prb_rec%zu[%u];\n", i,
                         p->maps.v[i].record_size);
    if (gen_has_exit_handler(p)) nt_sb_printf(out, ".shared .align 4 .u32 __prb_ticket;\n");
}
