/*
 * rewrite.c — inserts a probe's generated PTX into a kernel of the PTX IR.
 *
 * The kernel's own statements are never changed, only surrounded: the
 * instrumented function minus the inserted lines is the original (tests
 * check this).  The one exception is a guarded ret/exit (`@%p ret;`):
 * its exit sequence must run only where the guard holds, so it is
 * wrapped as  `@!%p bra SKIP; <exit code>; @%p ret; SKIP:`.
 */
#include "probe/rewrite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PARAM "__ntrace_buf"

typedef NT_VEC(ptx_instr *) instr_vec;

/* A user-region marker of ntrace/region.h: a scope that declares
 * %ntrace_rb_<name> (begin) or %ntrace_re_<name> (end). */
typedef struct region_mark {
    ptx_stmt *at;
    bool      begin;
    ptx_str   name;
} region_mark;
typedef NT_VEC(region_mark) mark_vec;

static bool region_marker(ptx_scope *sc, region_mark *rm)
{
    ptx_block_foreach(&sc->body, s) {
        if (s->kind != PTX_ST_REG) continue;
        const ptx_regdecl *d = (const ptx_regdecl *)s;
        for (uint32_t i = 0; i < d->nsets; i++) {
            ptx_str n = d->sets[i].name;
            if (n.n > 11 && (!memcmp(n.s, "%ntrace_rb_", 11) || !memcmp(n.s, "%ntrace_re_", 11))) {
                rm->at = &sc->st;
                rm->begin = n.s[9] == 'b';
                rm->name = (ptx_str){ n.s + 11, n.n - 11 };
                return true;
            }
        }
    }
    return false;
}

static void collect(ptx_block *b, instr_vec *out, mark_vec *marks)
{
    ptx_block_foreach(b, s) {
        if (s->kind == PTX_ST_INSTR) {
            nt_vec_push(out, (ptx_instr *)s);
        } else if (s->kind == PTX_ST_SCOPE) {
            region_mark rm;
            if (region_marker((ptx_scope *)s, &rm)) nt_vec_push(marks, rm);
            else collect(&((ptx_scope *)s)->body, out, marks);
        }
    }
}

uint32_t prb_region_id(const char *name, size_t n)
{
    return (uint32_t)nt_hash64(name, n, 0);
}

/* Inserts the generator's text (lines ending in '\n', each indented) as
 * one raw statement before pos (after=false) or after it; returns the
 * statement (pos when the text is empty).  One statement per insertion
 * keeps big kernels cheap: the printer writes it verbatim.  The text is
 * copied into the module's arena once per distinct text (cx->texts): a
 * copy per site was most of the rewriter's fresh memory on big kernels
 * (first-touch page faults; the exit sequence, for one, is the same
 * before every ret). */
ptx_stmt *rw_insert(rw_ctx *cx, ptx_stmt *pos, bool after, const char *text)
{
    while (*text == '\t' || *text == ' ') text++;
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n') n--;
    if (!n) return pos;
    uint64_t v;
    const char *t;
    if (nt_map_get(&cx->texts, text, n, &v)) {
        t = (const char *)(uintptr_t)v;
    } else {
        t = nt_arena_strndup(&cx->m->arena, text, n);
        nt_map_put(&cx->texts, t, n, (uint64_t)(uintptr_t)t);
    }
    ptx_stmt *st = ptx_raw_shared(cx->m, t, n);
    if (after) ptx_insert_after(pos, st);
    else ptx_insert_before(pos, st);
    return st;
}

static prb_space space_of(unsigned sp)
{
    switch (sp) {
    case PTX_SP_NONE: case PTX_SP_GENERIC: return PRB_SP_GENERIC;
    case PTX_SP_GLOBAL: return PRB_SP_GLOBAL;
    case PTX_SP_SHARED: case PTX_SP_SHARED_CLUSTER: return PRB_SP_SHARED;
    case PTX_SP_LOCAL: return PRB_SP_LOCAL;
    case PTX_SP_CONST: return PRB_SP_CONST;
    case PTX_SP_PARAM: return PRB_SP_PARAM;
    case PTX_SP_TEX: return PRB_SP_TEX;
    default: return PRB_SP_NONE;
    }
}

typedef struct site_buf {
    prb_site site;
    char opcode[256], guard[64], base[256];
} site_buf;

static void make_site(const ptx_func *fn, const ptx_instr *in, site_buf *sb)
{
    memset(sb, 0, sizeof *sb);
    prb_site *s = &sb->site;
    ptx_str nm = ptx_instr_name(in);
    size_t nn = NT_MIN(nm.n, sizeof sb->opcode - 1);
    memcpy(sb->opcode, nm.s, nn);
    sb->opcode[nn] = 0;
    s->opcode = sb->opcode;
    s->issue_site = -1;
    if (in->guard != PTX_NOREG) {
        ptx_func_reg_name(fn, in->guard, sb->guard, sizeof sb->guard);
        s->guard = sb->guard;
        s->guard_neg = in->guard_neg;
    }
    ptx_memfact f;
    if (!ptx_instr_mem(in, &f)) return;
    s->bytes = f.bytes;
    s->space = space_of(f.space);
    int ai = f.addr_op;
    /* copies: report the global side (the source of cp.async) */
    if (f.addr_op2 >= 0 && f.space2 == PTX_SP_GLOBAL) {
        ai = f.addr_op2;
        s->space = PRB_SP_GLOBAL;
    }
    if (ai < 0 || ai >= in->nops) return;
    const ptx_operand *a = &in->ops[ai];
    if (a->kind != PTX_OPND_ADDR || (a->flags & PTX_OPF_ALIST)) return;
    s->addr_off = ptx_opnd_off(a);
    if (a->reg != PTX_NOREG) {
        ptx_func_reg_name(fn, a->reg, sb->base, sizeof sb->base);
        s->addr_is_reg = true;
        s->addr_reg32 = ptx_type_size(ptx_func_reg_type(fn, a->reg)) == 4;
    } else if (ptx_opnd_name(a).n) {
        snprintf(sb->base, sizeof sb->base, "%.*s", (int)ptx_opnd_name(a).n, ptx_opnd_name(a).s);
    } else {
        snprintf(sb->base, sizeof sb->base, "0");     /* [imm] */
    }
    s->addr_base = sb->base;
}

/* ---- checks ---- */
int rw_check_regs(const ptx_func *fn, nt_err *e)
{
    for (uint32_t i = 0; i < fn->nsets; i++) {
        ptx_str n = fn->sets[i]->name;
        if (n.n >= 4 && !memcmp(n.s, "%__p", 4))
            return nt_err_set(e, "%s %.*s declares register %.*s: names %%__p* "
                              "are reserved for probes", fn->is_entry ? "kernel" : "function",
                              (int)fn->name.n, fn->name.s, (int)n.n, n.s);
    }
    return 0;
}

static int check_names(const ptx_module *m, const ptx_func *fn, const char *param, nt_err *e)
{
    if (rw_check_regs(fn, e) != 0) return -1;
    for (uint32_t i = 0; i < fn->nparams; i++)
        if (ptx_str_eq(fn->params[i].name, param))
            return nt_err_set(e, "kernel %.*s already has a parameter %s (instrumented "
                              "twice?)", (int)fn->name.n, fn->name.s, param);
    if (m->address_size == 32)
        return nt_err_set(e, ".address_size 32 modules are not supported by probes "
                          "(the buffer pointer is 64-bit)");
    if (m->ver_major && (m->ver_major * 10 + m->ver_minor) < 62)
        return nt_err_set(e, "PTX .version %d.%d is older than 6.2, which probes need "
                          "(activemask, vote.sync)", m->ver_major, m->ver_minor);
    return 0;
}

/* Module-scope texture/surface/sampler references cannot be shared with
 * the original module by a twin kernel (design: refused with a reason).
 * Instrument a slice, so only what the kernel reaches is looked at. */
static int check_refs(const ptx_module *m, nt_err *e)
{
    ptx_block_foreach(&m->items, s) {
        if (s->kind != PTX_ST_VAR) continue;
        const ptx_var *v = ((const ptx_vardecl *)s)->var;
        if (v->type == PTX_T_TEXREF || v->type == PTX_T_SURFREF || v->type == PTX_T_SAMPLERREF)
            return nt_err_set(e, "the module declares %s %.*s at module scope: a twin "
                              "kernel cannot share it, so it is not instrumentable",
                              v->type == PTX_T_TEXREF ? ".texref" : v->type == PTX_T_SURFREF
                              ? ".surfref" : ".samplerref", (int)v->name.n, v->name.s);
    }
    return 0;
}

static bool is_exit(const ptx_instr *in)
{
    return in->op == PTX_OP_RET || in->op == PTX_OP_EXIT;
}

static bool instr_tp(const prb_handler *hd)
{
    return hd->kind == PRB_TP_BEFORE || hd->kind == PRB_TP_AFTER || hd->kind == PRB_TP_USE;
}

#define MAX_USES 64

/* nt.first_use of load `in`: the issue clock right after it, the handler
 * before each first use (rewrite_use.c).  A use later in the load's own
 * block is reached once per load.  Otherwise a use can be reached without
 * the load (another path into its block) or many times per load (a loop):
 * the load also sets a pending flag (%__pfu, false from entry on), and
 * each use site branches around the handler where it is not set and
 * clears it, so each load execution is counted once, at its first use.
 * Returns the number of use sites (0: no use found). */
static unsigned first_use_sites(prb_gen *g, rw_ctx *cx, rw_uses *uses, ptx_instr *in,
                                int h, prb_site *site, unsigned *nfu, prb_inst_stats *st)
{
    ptx_instr *use[MAX_USES];
    bool local;
    unsigned n = rw_first_uses(uses, in, use, MAX_USES, &local);
    if (!n || n > MAX_USES) return 0;
    nt_sb t = {0};
    site->issue_site = prb_gen_issue_clock(g, !local, &t);
    rw_insert(cx, &in->st, true, nt_sb_str(&t));
    for (unsigned k = 0; k < n; k++) {
        nt_sb_reset(&t);
        if (!local)
            nt_sb_printf(&t, "@!%%__pfu%d bra $__prb_fu%u;\n", (int)site->issue_site, *nfu);
        prb_gen_site(g, h, site, &t);
        if (!local)
            nt_sb_printf(&t, "\tsetp.ne.u32 %%__pfu%d, %%__pk_tlin, %%__pk_tlin;\n"
                         "$__prb_fu%u:", (int)site->issue_site, (*nfu)++);
        rw_insert(cx, &use[k]->st, false, nt_sb_str(&t));
        st->sites++;
    }
    site->issue_site = -1;
    nt_sb_free(&t);
    return n;
}

/* Module-scope state (block level), once per module: before the first
 * function, unless an earlier kernel of the module put it there. */
static void module_decls(prb_gen *g, rw_ctx *cx)
{
    if (!prb_gen_needs_module_decls(g)) return;
    nt_sb t = {0};
    prb_gen_module_decls(g, &t);
    const char *text = nt_sb_str(&t);
    ptx_stmt *first = NULL;
    bool have = false;
    ptx_block_foreach(&cx->m->items, s) {
        if (s->kind == PTX_ST_FUNC && !first) first = s;
        if (s->kind == PTX_ST_DIR && s->synth) {
            ptx_str d = ((ptx_dir *)s)->text;
            have |= d.n && !strncmp(d.s, text, d.n);
        }
    }
    if (!have && first) rw_insert(cx, first, false, text);
    nt_sb_free(&t);
}

int prb_instrument(const prb_probe *p, ptx_module *m, ptx_func *fn, const char *param,
                   prb_inst_stats *stats, nt_err *e)
{
    prb_inst_stats st = {0};
    if (!param) param = DEFAULT_PARAM;
    if (!fn->is_entry || !fn->has_body)
        return nt_err_set(e, "%.*s is not a kernel (.entry with a body)",
                          (int)fn->name.n, fn->name.s);
    if (check_names(m, fn, param, e) != 0 || check_refs(m, e) != 0) return -1;
    prb_gen *g = prb_gen_new(p, m->sm, param, e);
    if (!g) return -1;
    instr_vec ins = {0};
    mark_vec marks = {0};
    collect(&fn->body, &ins, &marks);
    nt_sb text = {0};
    int rc = -1;
    rw_uses *uses = NULL;
    nt_map matches = {0};
    rw_ctx cx = { .m = m };

    /* user regions: handlers run just before the marker */
    for (size_t i = 0; i < marks.n; i++) {
        const region_mark *rm = &marks.v[i];
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)rm->name.n, rm->name.s);
        for (size_t h = 0; h < p->handlers.n; h++) {
            const prb_handler *hd = &p->handlers.v[h];
            if (hd->kind != (rm->begin ? PRB_TP_REGION_BEGIN : PRB_TP_REGION_END)) continue;
            if (strcmp(hd->pattern, "*") && strcmp(hd->pattern, name)) continue;
            prb_site site = { .opcode = rm->begin ? "region.begin" : "region.end",
                              .issue_site = -1,
                              .region = prb_region_id(rm->name.s, rm->name.n) };
            nt_sb_reset(&text);
            prb_gen_site(g, (int)h, &site, &text);
            rw_insert(&cx, rm->at, false, nt_sb_str(&text));
            st.sites++;
            st.regions++;
        }
    }

    /* instruction tracepoints first, while the list is the original */
    for (size_t h = 0; h < p->handlers.n; h++)
        if (p->handlers.v[h].kind == PRB_TP_USE && !uses) {
            uses = rw_uses_new(m, fn, e);
            if (!uses) goto fail;
        }
    unsigned nfu = 0;
    /* Which instruction handlers match a name, computed once per distinct
     * name (a big kernel repeats a few hundred names over ~100k
     * instructions): bit h of the map's value (a probe with more than 64
     * handlers matches every instruction against each, as the names say). */
    bool cached = p->handlers.n <= 64;
    for (size_t i = 0; i < ins.n; i++) {
        ptx_instr *in = ins.v[i];
        char name[256];
        ptx_str nm = ptx_instr_name(in);
        size_t nn = NT_MIN(nm.n, sizeof name - 1);
        uint64_t mask = ~0ull;
        if (cached && !nt_map_get(&matches, nm.s, nm.n, &mask)) {
            memcpy(name, nm.s, nn);
            name[nn] = 0;
            mask = 0;
            for (size_t h = 0; h < p->handlers.n; h++) {
                const prb_handler *hd = &p->handlers.v[h];
                if (instr_tp(hd) && prb_pattern_match(hd->pattern, name))
                    mask |= 1ull << h;
            }
            nt_map_put(&matches, nm.s, nm.n, mask);
        }
        if (!mask) continue;
        if (!cached) {
            memcpy(name, nm.s, nn);
            name[nn] = 0;
        }
        site_buf sb;
        bool made = false;
        for (size_t h = 0; h < p->handlers.n; h++) {
            const prb_handler *hd = &p->handlers.v[h];
            bool hit = cached ? (mask >> h & 1) != 0
                              : instr_tp(hd) && prb_pattern_match(hd->pattern, name);
            if (!hit) continue;
            if (!made) make_site(fn, in, &sb);
            made = true;
            nt_sb_reset(&text);
            if (hd->kind == PRB_TP_USE) {
                if (!(ptx_instr_class(in) & PTX_IC_LOAD)) continue;
                if (first_use_sites(g, &cx, uses, in, (int)h, &sb.site, &nfu, &st) == 0)
                    st.uses_missed++;
                continue;
            } else if (hd->kind == PRB_TP_AFTER) {
                if (is_exit(in) || in->op == PTX_OP_BRA || in->op == PTX_OP_BRX) continue;
                prb_gen_site(g, (int)h, &sb.site, &text);
                rw_insert(&cx, &in->st, true, nt_sb_str(&text));
            } else {
                prb_gen_site(g, (int)h, &sb.site, &text);
                rw_insert(&cx, &in->st, false, nt_sb_str(&text));
            }
            st.sites++;
        }
    }

    /* kernel.exit: before every ret/exit, also inside called functions */
    if (rw_exits(g, &cx, fn, &st, e) != 0) goto fail;

    /* kernel.entry: before the body's first instruction, label or scope */
    ptx_stmt *first = fn->body.head.next;
    while (first->kind == PTX_ST_REG || first->kind == PTX_ST_VAR || first->kind == PTX_ST_DIR)
        first = first->next;
    nt_sb_reset(&text);
    prb_gen_entry(g, &text);
    rw_insert(&cx, first, false, nt_sb_str(&text));

    /* declarations: first of all */
    nt_sb_reset(&text);
    prb_gen_decls(g, &text);
    ptx_stmt *top = &fn->body.head;
    rw_insert(&cx, top, true, nt_sb_str(&text));
    ptx_func_add_param(m, fn, PTX_T_U64, param, 0);
    module_decls(g, &cx);
    rc = 0;
    if (stats) *stats = st;
fail:
    nt_map_free(&cx.texts);
    nt_map_free(&matches);
    rw_uses_free(uses);
    nt_sb_free(&text);
    nt_vec_free(&ins);
    nt_vec_free(&marks);
    prb_gen_free(g);
    return rc;
}

char *prb_instrument_text(const prb_probe *p, const char *ptx, size_t len, const char *file,
                          const char *kernel, prb_inst_stats *stats, nt_err *e)
{
    ptx_module *m = NULL;
    ptx_index ix;
    memset(&ix, 0, sizeof ix);
    if (kernel) {
        if (ptx_index_build(&ix, ptx, len, file, e) != 0) return NULL;
        m = ptx_slice(&ix, kernel, e);
    } else {
        m = ptx_parse(ptx, len, file, 0, e);
    }
    char *out = NULL;
    prb_inst_stats total = {0};
    if (!m) goto done;
    size_t nk = 0;
    ptx_block_foreach(&m->items, s) {
        if (s->kind != PTX_ST_FUNC) continue;
        ptx_func *fn = ((ptx_funcitem *)s)->fn;
        if (!fn->is_entry || !fn->has_body) continue;
        if (kernel && !ptx_str_eq(fn->name, kernel)) continue;
        prb_inst_stats one;
        if (prb_instrument(p, m, fn, NULL, &one, e) != 0) {
            nt_err_prefix(e, "%s: kernel %.*s: ", file ? file : "<ptx>", (int)fn->name.n,
                          fn->name.s);
            goto done;
        }
        total.sites += one.sites;
        total.exits += one.exits;
        total.uses_missed += one.uses_missed;
        total.exits_untraced += one.exits_untraced;
        total.regions += one.regions;
        nk++;
    }
    if (!nk) {
        nt_err_set(e, "%s: %s", file ? file : "<ptx>",
                   kernel ? "no such kernel" : "no kernel (.entry) to instrument");
        goto done;
    }
    total.kernels = (unsigned)nk;
    nt_sb sb = {0};
    ptx_print(m, &sb);
    out = nt_sb_take(&sb);
    if (stats) *stats = total;
done:
    if (m) ptx_module_free(m);
    if (kernel) ptx_index_free(&ix);
    return out;
}
