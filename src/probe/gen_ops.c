/*
 * gen_ops.c — PTX for the ops of a handler body, with the level rules:
 *
 *   thread: every thread runs the body; nt.when blocks are predicated.
 *   warp/block: every lane that reaches the tracepoint computes the body's
 *     values (so per-thread operands can be summed with warp_sum), but
 *     side effects belong to the block's leader, the lowest lane for which
 *     the block's condition holds:  counters are added and records saved
 *     by the leader only; record fields and vars are broadcast from the
 *     leader to every lane, so whichever lane leads later sees them.
 *
 * No branches are generated: blocks are predicated, so the inserted code
 * never changes the kernel's control flow and needs no labels.
 */
#include "probe/gen_int.h"

#include <stdio.h>
#include <string.h>

typedef struct gblk {
    char bp[GEN_NAME_LEN];    /* this block's condition (pred), "" = always */
    char any[GEN_NAME_LEN];   /* warp: some lane has the condition, "" = yes */
    char ll[GEN_NAME_LEN];    /* warp: the leader's lane number */
    char lead[GEN_NAME_LEN];  /* warp: this lane is the leader */
} gblk;

typedef struct hctx {
    gen_ctx *c;
    char m[GEN_NAME_LEN];     /* lanes running the handler (activemask) */
    char lane[GEN_NAME_LEN];  /* %laneid */
    bool warp;                /* warp or block level */
} hctx;

#define CPY(dst, src) snprintf((dst), GEN_NAME_LEN, "%s", (src))

static void setup_block(hctx *h, gblk *b)
{
    if (!h->warp) return;
    gen_ctx *c = h->c;
    char mb[GEN_NAME_LEN];
    if (b->bp[0]) {
        CPY(mb, gen_tmp(c, PRB_U32));
        gen_line(c, "vote.sync.ballot.b32 %s, %s, %s;", mb, b->bp, h->m);
        CPY(b->any, gen_tmp(c, PRB_PRED));
        gen_line(c, "setp.ne.u32 %s, %s, 0;", b->any, mb);
    } else {
        CPY(mb, h->m);
    }
    const char *t = gen_tmp(c, PRB_U32);
    gen_line(c, "brev.b32 %s, %s;", t, mb);
    CPY(b->ll, gen_tmp(c, PRB_U32));
    gen_line(c, "bfind.shiftamt.u32 %s, %s;", b->ll, t);
    CPY(b->lead, gen_tmp(c, PRB_PRED));
    gen_line(c, "setp.eq.u32 %s, %s, %s;", b->lead, h->lane, b->ll);
}

/* "@p " for side effects of this block (writer), or "". */
static const char *effect_guard(hctx *h, const gblk *b, char *buf)
{
    if (h->warp) snprintf(buf, GEN_NAME_LEN + 4, "@%s ", b->lead);
    else if (b->bp[0]) snprintf(buf, GEN_NAME_LEN + 4, "@%s ", b->bp);
    else buf[0] = 0;
    return buf;
}

static prb_type val_type(gen_ctx *c, int32_t v)
{
    return (prb_type)c->g->p->values.v[v].type;
}

/* ---- warp reductions ---- */
static void reduce32(gen_ctx *c, prb_warpop op, prb_type t, const char *src,
                     const char *dst, const char *mask)
{
    if (c->g->sm >= 80) {
        gen_line(c, "redux.sync.%s.%s %s, %s, %s;", op == PRB_WMAX ? "max" : "add",
                 t == PRB_S32 ? "s32" : "u32", dst, src, mask);
        return;
    }
    /* Before sm_80: the sum bit by bit, sum_k 2^k * popc(ballot(bit k)).
     * (max needs sm_80: prb_min_sm says so and prb_gen_new refuses.) */
    const char *bit = gen_tmp(c, PRB_U32), *bal = gen_tmp(c, PRB_U32);
    const char *q = gen_tmp(c, PRB_PRED), *acc = gen_tmp(c, PRB_U32);
    gen_line(c, "mov.u32 %s, 0;", acc);
    for (int k = 0; k < 32; k++) {
        gen_line(c, "and.b32 %s, %s, %u;", bit, src, 1u << k);
        gen_line(c, "setp.ne.u32 %s, %s, 0;", q, bit);
        gen_line(c, "vote.sync.ballot.b32 %s, %s, %s;", bal, q, mask);
        gen_line(c, "popc.b32 %s, %s;", bal, bal);
        gen_line(c, "shl.b32 %s, %s, %d;", bal, bal, k);
        gen_line(c, "add.u32 %s, %s, %s;", acc, acc, bal);
    }
    gen_line(c, "mov.b32 %s, %s;", dst, acc);
}

void gen_warp_reduce(gen_ctx *c, prb_warpop op, prb_type t, const char *src,
                     const char *dst, const char *mask)
{
    if (prb_type_size(t) == 4) {
        reduce32(c, op, t, src, dst, mask);
        return;
    }
    char lo[GEN_NAME_LEN], hi[GEN_NAME_LEN], s[GEN_NAME_LEN], d[GEN_NAME_LEN];
    CPY(lo, gen_tmp(c, PRB_U32));
    CPY(hi, gen_tmp(c, PRB_U32));
    CPY(s, src);
    CPY(d, dst);
    gen_line(c, "mov.b64 {%s, %s}, %s;", lo, hi, s);
    if (op == PRB_WMAX) {
        char mh[GEN_NAME_LEN], ml[GEN_NAME_LEN];
        CPY(mh, gen_tmp(c, PRB_U32));
        CPY(ml, gen_tmp(c, PRB_U32));
        const char *q = gen_tmp(c, PRB_PRED);
        reduce32(c, PRB_WMAX, t == PRB_S64 ? PRB_S32 : PRB_U32, hi, mh, mask);
        gen_line(c, "setp.eq.u32 %s, %s, %s;", q, hi, mh);
        gen_line(c, "selp.u32 %s, %s, 0, %s;", lo, lo, q);
        reduce32(c, PRB_WMAX, PRB_U32, lo, ml, mask);
        gen_line(c, "mov.b64 %s, {%s, %s};", d, ml, mh);
        return;
    }
    /* 64-bit sum from three 32-bit sums that cannot overflow: the low
     * and middle 16 bits (<= 2^21 each over 32 lanes) and the high word. */
    char s0[GEN_NAME_LEN], s1[GEN_NAME_LEN], s2[GEN_NAME_LEN];
    CPY(s0, gen_tmp(c, PRB_U32));
    CPY(s1, gen_tmp(c, PRB_U32));
    CPY(s2, gen_tmp(c, PRB_U32));
    const char *part = gen_tmp(c, PRB_U32);
    gen_line(c, "and.b32 %s, %s, 65535;", part, lo);
    reduce32(c, PRB_WSUM, PRB_U32, part, s0, mask);
    gen_line(c, "shr.u32 %s, %s, 16;", part, lo);
    reduce32(c, PRB_WSUM, PRB_U32, part, s1, mask);
    reduce32(c, PRB_WSUM, PRB_U32, hi, s2, mask);
    const char *a = gen_tmp(c, PRB_U64), *b = gen_tmp(c, PRB_U64);
    gen_line(c, "cvt.u64.u32 %s, %s;", a, s0);
    gen_line(c, "cvt.u64.u32 %s, %s;", b, s1);
    gen_line(c, "shl.b64 %s, %s, 16;", b, b);
    gen_line(c, "add.u64 %s, %s, %s;", a, a, b);
    gen_line(c, "cvt.u64.u32 %s, %s;", b, s2);
    gen_line(c, "shl.b64 %s, %s, 32;", b, b);
    gen_line(c, "add.u64 %s, %s, %s;", d, a, b);
}

/* The guard of the traced instruction as a pred in `dst`, "" if none. */
static bool site_guard(gen_ctx *c, char *dst)
{
    const prb_site *s = c->site;
    if (!s || !s->guard) return false;
    CPY(dst, gen_tmp(c, PRB_PRED));
    gen_line(c, "%s.pred %s, %s;", s->guard_neg ? "not" : "mov", dst, s->guard);
    return true;
}

static bool const_is(gen_ctx *c, int32_t v, uint64_t k)
{
    const prb_op *d = c->g->def[v];
    return d && d->kind == PRB_OP_CONST && !prb_type_is_float(val_type(c, v)) && d->imm == k;
}

/* Fast paths that need no reduction: the sum of p.bytes (maybe widened)
 * is bytes * popc(ballot(guard)), and the sum of select(c, 1, 0) is
 * popc(ballot(c)). */
static bool popc_sum(hctx *h, const gblk *b, const prb_op *o)
{
    gen_ctx *c = h->c;
    const prb_op *d = c->g->def[o->a];
    if (d && d->kind == PRB_OP_CVT && val_type(c, d->a) == PRB_U32) d = c->g->def[d->a];
    if (!d) return false;
    char g[GEN_NAME_LEN] = "", bal[GEN_NAME_LEN];
    bool has;
    char mul[GEN_NAME_LEN];
    if (d->kind == PRB_OP_TPARAM && d->sub == PRB_TP_BYTES && c->site) {
        has = site_guard(c, g);
        CPY(mul, gen_site_num(c, 'B', c->site->bytes));
    } else if (d->kind == PRB_OP_SEL && const_is(c, d->a, 1) && const_is(c, d->b, 0)) {
        CPY(g, gen_val(c, d->c));
        has = true;
        CPY(mul, "1");
    } else {
        return false;
    }
    if (b->bp[0]) {
        char x[GEN_NAME_LEN];
        CPY(x, gen_tmp(c, PRB_PRED));
        if (has) gen_line(c, "and.pred %s, %s, %s;", x, g, b->bp);
        else gen_line(c, "mov.pred %s, %s;", x, b->bp);
        CPY(g, x);
        has = true;
    }
    CPY(bal, gen_tmp(c, PRB_U32));
    if (has) gen_line(c, "vote.sync.ballot.b32 %s, %s, %s;", bal, g, h->m);
    else gen_line(c, "mov.b32 %s, %s;", bal, h->m);
    gen_line(c, "popc.b32 %s, %s;", bal, bal);
    if (prb_type_size(val_type(c, o->dst)) == 4)
        gen_line(c, "mul.lo.u32 %s, %s, %s;", gen_val(c, o->dst), bal, mul);
    else
        gen_line(c, "mul.wide.u32 %s, %s, %s;", gen_val(c, o->dst), bal, mul);
    return true;
}

static void op_warp(hctx *h, const gblk *b, const prb_op *o)
{
    gen_ctx *c = h->c;
    if (o->sub == PRB_WSUM && popc_sum(h, b, o)) return;
    prb_type t = val_type(c, o->a);
    char src[GEN_NAME_LEN], dst[GEN_NAME_LEN];
    CPY(src, gen_val(c, o->a));
    CPY(dst, gen_val(c, o->dst));
    if (b->bp[0]) {
        /* Lanes outside the block contribute the identity. */
        char x[GEN_NAME_LEN];
        CPY(x, gen_tmp(c, t));
        const char *id = o->sub == PRB_WMAX && prb_type_is_signed(t)
            ? (t == PRB_S32 ? "-2147483648" : "-9223372036854775808") : "0";
        gen_line(c, "selp.%s %s, %s, %s, %s;", gen_btype(t), x, src, id, b->bp);
        CPY(src, x);
    }
    gen_warp_reduce(c, (prb_warpop)o->sub, t, src, dst, h->m);
}

static void op_const(gen_ctx *c, const prb_op *o)
{
    prb_type t = val_type(c, o->dst);
    const char *d = gen_val(c, o->dst);
    if (t == PRB_PRED) {
        gen_line(c, "setp.%s.u32 %s, %%__pk_tlin, %%__pk_tlin;", o->imm ? "eq" : "ne", d);
    } else if (t == PRB_F32) {
        float f = (float)o->fimm;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        gen_line(c, "mov.f32 %s, 0f%08X;", d, bits);
    } else if (t == PRB_F64) {
        uint64_t bits;
        memcpy(&bits, &o->fimm, 8);
        gen_line(c, "mov.f64 %s, 0d%016llX;", d, (unsigned long long)bits);
    } else if (prb_type_is_signed(t)) {
        gen_line(c, "mov.%s %s, %lld;", gen_ptype(t), d, (long long)o->imm);
    } else {
        gen_line(c, "mov.%s %s, %llu;", gen_ptype(t), d, (unsigned long long)o->imm);
    }
}

static void op_sreg(gen_ctx *c, const prb_op *o)
{
    static const char *const direct[] = {
        [PRB_SR_CLOCK] = "%clock", [PRB_SR_CLOCK64] = "%clock64",
        [PRB_SR_GLOBALTIMER] = "%globaltimer", [PRB_SR_SMID] = "%smid",
        [PRB_SR_WARPID] = "%warpid", [PRB_SR_LANEID] = "%laneid",
        [PRB_SR_TID_X] = "%tid.x", [PRB_SR_TID_Y] = "%tid.y", [PRB_SR_TID_Z] = "%tid.z",
        [PRB_SR_NTID_X] = "%ntid.x", [PRB_SR_NTID_Y] = "%ntid.y", [PRB_SR_NTID_Z] = "%ntid.z",
        [PRB_SR_CTAID_X] = "%ctaid.x", [PRB_SR_CTAID_Y] = "%ctaid.y",
        [PRB_SR_CTAID_Z] = "%ctaid.z", [PRB_SR_NCTAID_X] = "%nctaid.x",
        [PRB_SR_NCTAID_Y] = "%nctaid.y", [PRB_SR_NCTAID_Z] = "%nctaid.z",
        [PRB_SR_THREAD_LINEAR] = "%__pk_tlin", [PRB_SR_WARP_LINEAR] = "%__pk_wlin",
    };
    char d[GEN_NAME_LEN];
    CPY(d, gen_val(c, o->dst));
    prb_type t = val_type(c, o->dst);
    switch (o->sub) {
    case PRB_SR_BLOCK_LINEAR:
        gen_line(c, "cvt.u32.u64 %s, %%__pk_blin;", d);
        break;
    case PRB_SR_GWARP_LINEAR:
        gen_line(c, "cvt.u32.u64 %s, %%__pk_blin;", d);
        gen_line(c, "mad.lo.u32 %s, %s, %%__pk_wpb, %%__pk_wlin;", d, d);
        break;
    case PRB_SR_ACTIVEMASK:
        gen_line(c, "activemask.b32 %s;", d);
        break;
    case PRB_SR_ACTIVE_LANES:
        gen_line(c, "activemask.b32 %s;", d);
        gen_line(c, "popc.b32 %s, %s;", d, d);
        break;
    default:
        gen_line(c, "mov.%s %s, %s;", gen_ptype(t), d, direct[o->sub]);
    }
}

static void op_tparam(gen_ctx *c, const prb_op *o)
{
    const prb_site *s = c->site;
    char d[GEN_NAME_LEN], g[GEN_NAME_LEN];
    CPY(d, gen_val(c, o->dst));
    switch (o->sub) {
    case PRB_TP_ADDR:
        if (!s || !s->addr_base) gen_line(c, "mov.u64 %s, 0;", d);
        else if (s->addr_is_reg && s->addr_reg32) {
            gen_line(c, "cvt.u64.u32 %s, %s;", d, s->addr_base);
            gen_line(c, "add.u64 %s, %s, %s;", d, d, gen_site_num(c, 'O', s->addr_off));
        } else {
            gen_line(c, "mov.u64 %s, %s;", d, s->addr_base);
            gen_line(c, "add.u64 %s, %s, %s;", d, d, gen_site_num(c, 'O', s->addr_off));
        }
        break;
    case PRB_TP_BYTES:
        if (site_guard(c, g))
            gen_line(c, "selp.u32 %s, %s, 0, %s;", d, gen_site_num(c, 'B', s ? s->bytes : 0), g);
        else
            gen_line(c, "mov.u32 %s, %s;", d, gen_site_num(c, 'B', s ? s->bytes : 0));
        break;
    case PRB_TP_SPACE:
        gen_line(c, "mov.u32 %s, %s;", d, gen_site_num(c, 'S', s ? (unsigned)s->space : 0));
        break;
    case PRB_TP_OPCODE:
        gen_line(c, "mov.u32 %s, %s;", d,
                 gen_site_num(c, 'C', s && !c->tmpl ? (unsigned)prb_opclass_of(s->opcode) : 0));
        break;
    case PRB_TP_GUARD:
        if (site_guard(c, g)) gen_line(c, "mov.pred %s, %s;", d, g);
        else gen_line(c, "setp.eq.u32 %s, %%__pk_tlin, %%__pk_tlin;", d);
        break;
    case PRB_TP_ISSUE_CLOCK:
        if (s && s->issue_site >= 0)
            gen_line(c, "mov.u64 %s, %%__pic%s;", d, gen_site_num(c, 'I', s->issue_site));
        else gen_line(c, "mov.u64 %s, %%clock64;", d);
        break;
    case PRB_TP_REGION:
        gen_line(c, "mov.u32 %s, %s;", d, gen_site_num(c, 'R', s ? s->region : 0));
        break;
    default:
        gen_line(c, "mov.u32 %s, 0;", d);
    }
}

static void op_bin(gen_ctx *c, const prb_op *o)
{
    prb_type t = val_type(c, o->dst);
    char d[GEN_NAME_LEN], a[GEN_NAME_LEN], b[GEN_NAME_LEN];
    CPY(d, gen_val(c, o->dst));
    CPY(a, gen_val(c, o->a));
    CPY(b, gen_val(c, o->b));
    const char *pt = gen_ptype(t), *bt = gen_btype(t);
    bool fl = prb_type_is_float(t);
    switch (o->sub) {
    case PRB_ADD: gen_line(c, "add.%s %s, %s, %s;", pt, d, a, b); break;
    case PRB_SUB: gen_line(c, "sub.%s %s, %s, %s;", pt, d, a, b); break;
    case PRB_MUL: gen_line(c, "mul%s.%s %s, %s, %s;", fl ? "" : ".lo", pt, d, a, b); break;
    case PRB_DIV: gen_line(c, "div%s.%s %s, %s, %s;", fl ? ".rn" : "", pt, d, a, b); break;
    case PRB_REM: gen_line(c, "rem.%s %s, %s, %s;", pt, d, a, b); break;
    case PRB_AND: gen_line(c, "and.%s %s, %s, %s;", bt, d, a, b); break;
    case PRB_OR:  gen_line(c, "or.%s %s, %s, %s;", bt, d, a, b); break;
    case PRB_XOR: gen_line(c, "xor.%s %s, %s, %s;", bt, d, a, b); break;
    case PRB_SHL: gen_line(c, "shl.%s %s, %s, %s;", bt, d, a, b); break;
    case PRB_SHR: gen_line(c, "shr.%s %s, %s, %s;", pt, d, a, b); break;
    case PRB_MIN: gen_line(c, "min.%s %s, %s, %s;", pt, d, a, b); break;
    case PRB_MAX: gen_line(c, "max.%s %s, %s, %s;", pt, d, a, b); break;
    }
}

static void op_cmp(gen_ctx *c, const prb_op *o)
{
    static const char *const cmp[] = { "eq", "ne", "lt", "le", "gt", "ge" };
    char d[GEN_NAME_LEN], a[GEN_NAME_LEN], b[GEN_NAME_LEN];
    CPY(d, gen_val(c, o->dst));
    CPY(a, gen_val(c, o->a));
    CPY(b, gen_val(c, o->b));
    prb_type t = val_type(c, o->a);
    if (t == PRB_PRED) {
        gen_line(c, "xor.pred %s, %s, %s;", d, a, b);
        if (o->sub == PRB_EQ) gen_line(c, "not.pred %s, %s;", d, d);
        return;
    }
    gen_line(c, "setp.%s.%s %s, %s, %s;", cmp[o->sub], gen_ptype(t), d, a, b);
}

static void op_un(gen_ctx *c, const prb_op *o)
{
    char d[GEN_NAME_LEN], a[GEN_NAME_LEN];
    CPY(d, gen_val(c, o->dst));
    CPY(a, gen_val(c, o->a));
    prb_type t = val_type(c, o->a);
    switch (o->sub) {
    case PRB_NEG:
        gen_line(c, "neg.%s %s, %s;", prb_type_is_float(t) ? gen_ptype(t)
                 : prb_type_size(t) == 8 ? "s64" : "s32", d, a);
        break;
    case PRB_NOT: gen_line(c, "not.%s %s, %s;", gen_btype(t), d, a); break;
    case PRB_POPC: gen_line(c, "popc.%s %s, %s;", gen_btype(t), d, a); break;
    }
}

static void op_cvt(gen_ctx *c, const prb_op *o)
{
    char d[GEN_NAME_LEN], a[GEN_NAME_LEN];
    CPY(d, gen_val(c, o->dst));
    CPY(a, gen_val(c, o->a));
    prb_type to = val_type(c, o->dst), from = val_type(c, o->a);
    if (from == PRB_PRED) {
        gen_line(c, "selp.%s %s, 1, 0, %s;", gen_ptype(to), d, a);
        return;
    }
    const char *rnd = "";
    if (prb_type_is_float(to) && !prb_type_is_float(from)) rnd = ".rn";
    else if (!prb_type_is_float(to) && prb_type_is_float(from)) rnd = ".rzi";
    else if (to == PRB_F32 && from == PRB_F64) rnd = ".rn";
    gen_line(c, "cvt%s.%s.%s %s, %s;", rnd, gen_ptype(to), gen_ptype(from), d, a);
}

static void op_sel(gen_ctx *c, const prb_op *o)
{
    char d[GEN_NAME_LEN], a[GEN_NAME_LEN], b[GEN_NAME_LEN], p[GEN_NAME_LEN];
    CPY(d, gen_val(c, o->dst));
    CPY(a, gen_val(c, o->a));
    CPY(b, gen_val(c, o->b));
    CPY(p, gen_val(c, o->c));
    prb_type t = val_type(c, o->dst);
    if (t == PRB_PRED) {
        const char *x = gen_tmp(c, PRB_PRED);
        gen_line(c, "and.pred %s, %s, %s;", x, p, a);
        gen_line(c, "not.pred %s, %s;", d, p);
        gen_line(c, "and.pred %s, %s, %s;", d, d, b);
        gen_line(c, "or.pred %s, %s, %s;", d, d, x);
        return;
    }
    gen_line(c, "selp.%s %s, %s, %s, %s;", gen_ptype(t), d, a, b, p);
}

/* Address of a block-level field in shared memory. */
static void shared_addr(gen_ctx *c, int32_t v, char *buf)
{
    const prb_value *x = &c->g->p->values.v[v];
    const prb_field *f = &c->g->p->maps.v[x->owner].fields.v[x->field];
    snprintf(buf, 64, "[__prb_rec%d+%u]", (int)x->owner, f->offset);
}

static void op_read(gen_ctx *c, const prb_op *o)
{
    char d[GEN_NAME_LEN], a[GEN_NAME_LEN], addr[64];
    CPY(d, gen_val(c, o->dst));
    prb_type t = val_type(c, o->dst);
    if (gen_field_shared(c->g, o->a)) {
        shared_addr(c, o->a, addr);
        if (t == PRB_PRED) {
            const char *x = gen_tmp(c, PRB_U32);
            gen_line(c, "ld.shared.u32 %s, %s;", x, addr);
            gen_line(c, "setp.ne.u32 %s, %s, 0;", d, x);
        } else {
            gen_line(c, "ld.shared.%s %s, %s;", gen_ptype(t), d, addr);
        }
        return;
    }
    CPY(a, gen_val(c, o->a));
    gen_line(c, "mov.%s %s, %s;", gen_ptype(t), d, a);
}

/* dst = src of the leader lane (b->ll), for every lane in h->m. */
static void broadcast(hctx *h, const gblk *b, prb_type t, const char *src, char *dst)
{
    gen_ctx *c = h->c;
    if (t == PRB_PRED) {
        char x[GEN_NAME_LEN];
        CPY(x, gen_tmp(c, PRB_U32));
        gen_line(c, "selp.u32 %s, 1, 0, %s;", x, src);
        gen_line(c, "shfl.sync.idx.b32 %s, %s, %s, 31, %s;", x, x, b->ll, h->m);
        CPY(dst, gen_tmp(c, PRB_PRED));
        gen_line(c, "setp.ne.u32 %s, %s, 0;", dst, x);
    } else if (prb_type_size(t) == 4) {
        CPY(dst, gen_tmp(c, t));
        gen_line(c, "shfl.sync.idx.b32 %s, %s, %s, 31, %s;", dst, src, b->ll, h->m);
    } else {
        char lo[GEN_NAME_LEN], hi[GEN_NAME_LEN];
        CPY(lo, gen_tmp(c, PRB_U32));
        CPY(hi, gen_tmp(c, PRB_U32));
        gen_line(c, "mov.b64 {%s, %s}, %s;", lo, hi, src);
        gen_line(c, "shfl.sync.idx.b32 %s, %s, %s, 31, %s;", lo, lo, b->ll, h->m);
        gen_line(c, "shfl.sync.idx.b32 %s, %s, %s, 31, %s;", hi, hi, b->ll, h->m);
        CPY(dst, gen_tmp(c, t));
        gen_line(c, "mov.b64 %s, {%s, %s};", dst, lo, hi);
    }
}

static void op_write(hctx *h, const gblk *b, const prb_op *o)
{
    gen_ctx *c = h->c;
    prb_type t = val_type(c, o->dst);
    const prb_value *x = &c->g->p->values.v[o->dst];
    char src[GEN_NAME_LEN], dst[GEN_NAME_LEN], eg[GEN_NAME_LEN + 4], addr[64];
    CPY(src, gen_val(c, o->a));
    CPY(dst, gen_val(c, o->dst));
    if (gen_field_shared(c->g, o->dst)) {
        shared_addr(c, o->dst, addr);
        effect_guard(h, b, eg);
        if (t == PRB_PRED) {
            const char *y = gen_tmp(c, PRB_U32);
            gen_line(c, "selp.u32 %s, 1, 0, %s;", y, src);
            gen_line(c, "%sst.shared.u32 %s, %s;", eg, addr, y);
        } else {
            gen_line(c, "%sst.shared.%s %s, %s;", eg, gen_ptype(t), addr, src);
        }
        return;
    }
    if (!h->warp || x->kind == PRB_V_COUNTER) {
        effect_guard(h, b, eg);
        gen_line(c, "%smov.%s %s, %s;", eg, gen_ptype(t), dst, src);
        return;
    }
    char v[GEN_NAME_LEN];
    broadcast(h, b, t, src, v);
    if (b->any[0]) gen_line(c, "@%s mov.%s %s, %s;", b->any, gen_ptype(t), dst, v);
    else gen_line(c, "mov.%s %s, %s;", gen_ptype(t), dst, v);
}

static void op_save(hctx *h, const gblk *b, const prb_op *o)
{
    gen_ctx *c = h->c;
    const prb_probe *p = c->g->p;
    int32_t mi = o->map;
    const prb_map *m = &p->maps.v[mi];
    char w[GEN_NAME_LEN], ok[GEN_NAME_LEN], old[GEN_NAME_LEN], a[GEN_NAME_LEN];
    CPY(w, gen_tmp(c, PRB_PRED));
    if (h->warp) gen_line(c, "and.pred %s, %s, %%__pk_mok%d;", w, b->lead, mi);
    else if (b->bp[0]) gen_line(c, "and.pred %s, %s, %%__pk_mok%d;", w, b->bp, mi);
    else gen_line(c, "mov.pred %s, %%__pk_mok%d;", w, mi);
    /* count += 1; the record is written only below cap (buffer.h). */
    CPY(old, gen_tmp(c, PRB_U32));
    gen_line(c, "mov.u32 %s, 0;", old);
    gen_line(c, "@%s atom.global.add.u32 %s, [%%__pk_slot%d], 1;", w, old, mi);
    CPY(ok, gen_tmp(c, PRB_PRED));
    gen_line(c, "setp.lt.and.u32 %s, %s, %%__pk_cap%d, %s;", ok, old, mi, w);
    CPY(a, gen_tmp(c, PRB_U64));
    gen_line(c, "mul.wide.u32 %s, %s, %u;", a, old, m->record_size);
    gen_line(c, "add.u64 %s, %s, %%__pk_slot%d;", a, a, mi);
    char v[BUF_MAX_FIELDS][GEN_NAME_LEN];
    size_t nf = NT_MIN(m->fields.n, (size_t)BUF_MAX_FIELDS);
    for (size_t f = 0; f < nf; f++) {
        const prb_field *fd = &m->fields.v[f];
        char addr[64];
        if (gen_field_shared(c->g, fd->value)) {
            CPY(v[f], gen_tmp(c, fd->type == PRB_PRED ? PRB_U32 : fd->type));
            shared_addr(c, fd->value, addr);
            gen_line(c, "ld.shared.%s %s, %s;", fd->type == PRB_PRED ? "u32"
                     : gen_ptype(fd->type), v[f], addr);
        } else if (fd->type == PRB_PRED) {
            CPY(v[f], gen_tmp(c, PRB_U32));
            gen_line(c, "selp.u32 %s, 1, 0, %s;", v[f], gen_val(c, fd->value));
        } else {
            CPY(v[f], gen_val(c, fd->value));
        }
    }
    /* Vector stores where the layout allows: two 4-byte fields side by
     * side at an 8-aligned offset go out as one st.v2.b32 (the record is
     * 8-aligned: slots are, and record sizes are multiples of 8, per
     * buffer.h; 16-byte alignment is not promised, so no .v4 or .v2.b64).
     * The bytes are the same as field by field: the decoder's view. */
    for (size_t f = 0; f < nf; f++) {
        const prb_field *fd = &m->fields.v[f];
        unsigned off = BUF_SLOT_HEADER + fd->offset;
        if (f + 1 < nf && prb_type_size(fd->type) != 8 && off % 8 == 0 &&
            prb_type_size(m->fields.v[f + 1].type) != 8 &&
            m->fields.v[f + 1].offset == fd->offset + 4) {
            /* the elements of a vector must have one type: as u32 bits */
            prb_type t0 = fd->type == PRB_PRED ? PRB_U32 : fd->type;
            prb_type t1 = m->fields.v[f + 1].type == PRB_PRED ? PRB_U32 : m->fields.v[f + 1].type;
            for (size_t k = 0; t0 != t1 && k < 2; k++)
                if ((k ? t1 : t0) != PRB_U32) {
                    const char *x = gen_tmp(c, PRB_U32);
                    gen_line(c, "mov.b32 %s, %s;", x, v[f + k]);
                    CPY(v[f + k], x);
                }
            gen_line(c, "@%s st.global.v2.b32 [%s+%u], {%s, %s};", ok, a, off, v[f], v[f + 1]);
            f++;
            continue;
        }
        gen_line(c, "@%s st.global.%s [%s+%u], %s;", ok,
                 fd->type == PRB_PRED ? "u32" : gen_ptype(fd->type), a, off, v[f]);
    }
}

static void op_ptx(hctx *h, const gblk *b, const prb_op *o)
{
    gen_ctx *c = h->c;
    nt_sb text = {0};
    for (const char *s = o->text; *s; s++) {
        if (*s != '$') {
            nt_sb_putc(&text, *s);
            continue;
        }
        size_t n = 1;
        while (s[n] == '_' || (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z')
               || (s[n] >= '0' && s[n] <= '9')) n++;
        for (int i = 0; i < o->nargs; i++)
            if (strlen(o->argn[i]) == n - 1 && !strncmp(o->argn[i], s + 1, n - 1)) {
                nt_sb_puts(&text, gen_val(c, o->argv[i]));
                break;
            }
        s += n - 1;
    }
    /* One instruction per line, predicated by the block's condition. */
    const char *t = nt_sb_str(&text);
    while (*t) {
        while (*t == ' ' || *t == '\t') t++;
        const char *semi = strchr(t, ';');
        if (!semi) break;
        if (semi > t) {
            if (b->bp[0] && *t != '@')
                gen_line(c, "@%s %.*s;", b->bp, (int)(semi - t), t);
            else
                gen_line(c, "%.*s;", (int)(semi - t), t);
        }
        t = semi + 1;
    }
    nt_sb_free(&text);
}

static void emit_block(hctx *h, int32_t blk, const gblk *b);

static void op_when(hctx *h, const gblk *b, const prb_op *o)
{
    gen_ctx *c = h->c;
    gblk in;
    memset(&in, 0, sizeof in);
    CPY(in.bp, gen_tmp(c, PRB_PRED));
    if (b->bp[0]) gen_line(c, "and.pred %s, %s, %s;", in.bp, b->bp, gen_val(c, o->a));
    else gen_line(c, "mov.pred %s, %s;", in.bp, gen_val(c, o->a));
    setup_block(h, &in);
    emit_block(h, o->block, &in);
}

static void emit_block(hctx *h, int32_t blk, const gblk *b)
{
    gen_ctx *c = h->c;
    const prb_block *bl = &c->g->p->blocks.v[blk];
    for (size_t i = 0; i < bl->ops.n; i++) {
        const prb_op *o = &bl->ops.v[i];
        switch ((prb_opk)o->kind) {
        case PRB_OP_CONST: op_const(c, o); break;
        case PRB_OP_SREG: op_sreg(c, o); break;
        case PRB_OP_TPARAM: op_tparam(c, o); break;
        case PRB_OP_BIN: op_bin(c, o); break;
        case PRB_OP_CMP: op_cmp(c, o); break;
        case PRB_OP_UN: op_un(c, o); break;
        case PRB_OP_CVT: op_cvt(c, o); break;
        case PRB_OP_SEL: op_sel(c, o); break;
        case PRB_OP_READ: op_read(c, o); break;
        case PRB_OP_WRITE: op_write(h, b, o); break;
        case PRB_OP_WARP: op_warp(h, b, o); break;
        case PRB_OP_SAVE: op_save(h, b, o); break;
        case PRB_OP_WHEN: op_when(h, b, o); break;
        case PRB_OP_PTX: op_ptx(h, b, o); break;
        }
    }
}

void gen_handler(gen_ctx *c, int hi, const prb_site *s, int top)
{
    const prb_probe *p = c->g->p;
    c->site = s;
    hctx h = { .c = c, .warp = p->level != PRB_LEVEL_THREAD };
    CPY(h.m, gen_tmp(c, PRB_U32));
    gen_line(c, "activemask.b32 %s;", h.m);
    gblk b;
    memset(&b, 0, sizeof b);
    if (h.warp) {
        CPY(h.lane, gen_tmp(c, PRB_U32));
        gen_line(c, "mov.u32 %s, %%laneid;", h.lane);
        if (p->level == PRB_LEVEL_BLOCK && top == GEN_TOP_BLOCK_ENTRY) {
            CPY(b.bp, gen_tmp(c, PRB_PRED));
            gen_line(c, "setp.eq.u32 %s, %%__pk_tlin, 0;", b.bp);
        } else if (p->level == PRB_LEVEL_BLOCK && top == GEN_TOP_BLOCK_EXIT) {
            CPY(b.bp, "%__pk_last");
        }
    }
    setup_block(&h, &b);
    emit_block(&h, p->handlers.v[hi].block, &b);
    c->site = NULL;
}
