/* rewrite.c — statement lists and the rewriting API: insert parsed
 * instructions, fresh registers, new parameters, symbol redirection. */
#include "ptx/ptx_int.h"

#include <stdio.h>
#include <stdlib.h>

void ptx_insert_before(ptx_stmt *pos, ptx_stmt *s)
{
    s->prev = pos->prev;
    s->next = pos;
    pos->prev->next = s;
    pos->prev = s;
}

void ptx_insert_after(ptx_stmt *pos, ptx_stmt *s)
{
    s->next = pos->next;
    s->prev = pos;
    pos->next->prev = s;
    pos->next = s;
}

void ptx_block_append(ptx_block *b, ptx_stmt *s) { ptx_insert_before(&b->head, s); }
void ptx_block_prepend(ptx_block *b, ptx_stmt *s) { ptx_insert_after(&b->head, s); }

void ptx_stmt_remove(ptx_stmt *s)
{
    s->prev->next = s->next;
    s->next->prev = s->prev;
    s->next = s->prev = s;
}

/* The function's persistent name table (all its registers; a name
 * declared in two sibling scopes resolves to the later one). */
static ptx_regtab *fn_regtab(ptx_module *m, ptx_func *fn)
{
    if (fn->names_) return fn->names_;
    ptx_regtab *rt = nt_xcalloc(1, sizeof *rt);
    for (uint32_t i = 0; i < fn->nsets; i++) ptx_regtab_add(rt, fn->sets[i]);
    ptx_module_track_regtab(m, rt);
    fn->names_ = rt;
    return rt;
}

static ptx_label *find_label(const ptx_block *b, const char *name, size_t n)
{
    ptx_block_foreach(b, s) {
        if (s->kind == PTX_ST_LABEL) {
            ptx_label *l = (ptx_label *)s;
            if (l->name.n == n && memcmp(l->name.s, name, n) == 0) return l;
        } else if (s->kind == PTX_ST_SCOPE) {
            ptx_label *l = find_label(&((ptx_scope *)s)->body, name, n);
            if (l) return l;
        }
    }
    return NULL;
}

ptx_label *ptx_func_label(const ptx_func *fn, const char *name, size_t n)
{
    return find_label(&fn->body, name, n);
}

/* The setjmp frame is kept apart so no local of the caller is live
 * across the longjmp. */
static ptx_instr *parse_one(ptx_parser *P, const char *text, size_t n, nt_err *e)
{
    jmp_buf jb;
    if (setjmp(jb)) return NULL;
    ptx_lex_init(&P->L, text, text, text + n, 1, "<instr>", e, &jb);
    ptx_instr *in = ptx_parse_instr(P);
    if (P->L.t.k != T_EOF) ptx_lex_expected(&P->L, "end of instruction");
    return in;
}

ptx_instr *ptx_instr_parse(ptx_module *m, ptx_func *fn, const char *text,
                           nt_err *e)
{
    size_t n = strlen(text);
    char *copy = nt_arena_alloc(&m->arena, n + 2);
    memcpy(copy, text, n);
    /* the ';' is optional */
    while (n && strchr(" \t\r\n", copy[n - 1])) n--;
    if (!n || copy[n - 1] != ';') copy[n++] = ';';
    copy[n] = 0;
    ptx_parser P;
    ptx_parser_init(&P, m);
    P.fn = fn;
    ptx_regtab *rt = fn_regtab(m, fn);
    P.rt = *rt;
    ptx_instr *in = parse_one(&P, copy, n, e);
    if (in)
        for (size_t i = 0; i < P.labelrefs.n; i++) {
            ptx_operand *o = P.labelrefs.v[i];
            if (ptx_func_label(fn, ptx_opnd_name(o).s, ptx_opnd_name(o).n)) o->kind = PTX_OPND_LABEL;
        }
    *rt = P.rt;
    memset(&P.rt, 0, sizeof P.rt);
    ptx_parser_free(&P);
    if (!in) return NULL;
    in->st.synth = 1;
    in->st.line = 0;
    in->st.next = in->st.prev = &in->st;
    return in;
}

static void add_set(ptx_module *m, ptx_func *fn, ptx_regset *rs)
{
    if (fn->nsets == fn->sets_cap_) {
        uint32_t cap = fn->sets_cap_ ? fn->sets_cap_ * 2 : 8;
        ptx_regset **ns = nt_arena_alloc(&m->arena, cap * sizeof *ns);
        if (fn->nsets) memcpy(ns, fn->sets, fn->nsets * sizeof *ns);
        fn->sets = ns;
        fn->sets_cap_ = cap;
    }
    rs->base = fn->nregs;
    fn->nregs += rs->count ? rs->count : 1;
    fn->sets[fn->nsets++] = rs;
    ptx_regtab_add(fn_regtab(m, fn), rs);
}

uint32_t ptx_reg_new(ptx_module *m, ptx_func *fn, ptx_type t, ptx_str *name)
{
    ptx_regtab *rt = fn_regtab(m, fn);
    char buf[32];
    int n;
    /* "%nt_" names: digits at the end would make "%nt_3" look like an
     * element of a parametrized "%nt_" set, so a letter closes the name */
    for (uint32_t k = fn->nregs;; k++) {
        n = snprintf(buf, sizeof buf, "%%nt%ux", k);
        if (ptx_regtab_find(rt, buf, (uint32_t)n) == PTX_NOREG) break;
    }
    ptx_regdecl *d = nt_arena_zalloc(&m->arena, sizeof *d);
    d->st.kind = PTX_ST_REG;
    d->st.synth = 1;
    d->nsets = 1;
    d->sets = nt_arena_zalloc(&m->arena, sizeof *d->sets);
    d->sets[0].name = ptx_str_dup(&m->arena, buf, (size_t)n);
    d->sets[0].type = (uint8_t)t;
    d->sets[0].vec = 1;
    add_set(m, fn, &d->sets[0]);
    ptx_block_prepend(&fn->body, &d->st);
    if (name) *name = d->sets[0].name;
    return d->sets[0].base;
}

ptx_var *ptx_func_add_param(ptx_module *m, ptx_func *fn, ptx_type t,
                            const char *name, uint32_t align)
{
    if (fn->nparams == fn->params_cap_) {
        uint32_t cap = fn->params_cap_ ? fn->params_cap_ * 2 : 4;
        ptx_var *np = nt_arena_alloc(&m->arena, cap * sizeof *np);
        if (fn->nparams) memcpy(np, fn->params, fn->nparams * sizeof *np);
        fn->params = np;
        fn->params_cap_ = cap;
    }
    ptx_var *v = &fn->params[fn->nparams++];
    memset(v, 0, sizeof *v);
    v->name = ptx_str_dup(&m->arena, name, strlen(name));
    v->space = PTX_SP_PARAM;
    v->type = (uint8_t)t;
    v->vec = 1;
    v->align = align;
    v->const_bank = -1;
    return v;
}

/* Redirection state of one ptx_redirect_sym call. */
typedef struct redir {
    ptx_module *m;
    ptx_func   *fn;
    const char *sym;
    size_t      n;
    uint32_t    reg;
    ptx_stmt   *at;          /* the instruction being rewritten */
    unsigned    nexpr;       /* EXPR operands rewritten in it so far */
    uint32_t    tmp[8];      /* scratch registers, reused per instruction */
    unsigned    ntmp;
} redir;

static bool is_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$';
}

/* "sym+4", "sym - 4", "sym+-4" (the parser's EXPR form): true with the
 * signed offset when the text is sym itself plus or minus an integer. */
static bool expr_offset(ptx_str t, const char *sym, size_t n, int64_t *off)
{
    if (t.n <= n || memcmp(t.s, sym, n) != 0 || is_ident_char(t.s[n])) return false;
    const char *p = t.s + n, *end = t.s + t.n;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    if (p == end || (*p != '+' && *p != '-')) return false;
    bool neg = *p++ == '-';
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    if (p < end && *p == '-') { neg = !neg; p++; }
    ptx_operand num;
    if (p == end || !ptx_number(p, (uint32_t)(end - p), neg, &num) || num.kind != PTX_OPND_IMM)
        return false;
    *off = num.i;
    return true;
}

/* sym+off outside brackets: "add.s64 %tmp, %reg, off" goes in before the
 * instruction and the operand becomes %tmp (k-th scratch register of
 * the instruction, so several such operands in one instruction differ). */
static bool redirect_expr(redir *R, ptx_operand *o, int64_t off)
{
    unsigned k = R->nexpr++;
    ptx_type rt = ptx_func_reg_type(R->fn, R->reg);
    bool wide = ptx_type_size(rt) != 4;
    uint32_t t;
    if (k < R->ntmp) {
        t = R->tmp[k];
    } else {
        t = ptx_reg_new(R->m, R->fn, wide ? PTX_T_S64 : PTX_T_S32, NULL);
        if (R->ntmp < NT_ARRAY_LEN(R->tmp)) R->tmp[R->ntmp++] = t;   /* past 8: fresh each */
    }
    char tn[64], rn[64], text[192];
    ptx_func_reg_name(R->fn, t, tn, sizeof tn);
    ptx_func_reg_name(R->fn, R->reg, rn, sizeof rn);
    snprintf(text, sizeof text, "add.%s %s, %s, %lld", wide ? "s64" : "s32", tn, rn, (long long)off);
    nt_err e = {0};
    ptx_instr *add = ptx_instr_parse(R->m, R->fn, text, &e);
    if (!add) return false;   /* cannot happen: every name in text is fn's own */
    ptx_insert_before(R->at, &add->st);
    memset(o, 0, sizeof *o);
    o->kind = PTX_OPND_REG;
    o->reg = t;
    return true;
}

static size_t redirect_op(redir *R, ptx_operand *o)
{
    size_t c = 0;
    int64_t off;
    switch (o->kind) {
    case PTX_OPND_SYM:
        if (ptx_opnd_name(o).n == R->n && memcmp(ptx_opnd_name(o).s, R->sym, R->n) == 0) {
            o->kind = PTX_OPND_REG;
            o->reg = R->reg;
            o->len_ = 0;        /* comp 0 */
            o->i = 0;
            c++;
        }
        break;
    case PTX_OPND_EXPR:
        if (expr_offset(ptx_opnd_name(o), R->sym, R->n, &off) && redirect_expr(R, o, off)) c++;
        break;
    case PTX_OPND_ADDR:
        if (o->flags & PTX_OPF_ALIST) {
            for (uint32_t i = 0; i < ptx_opnd_count(o); i++) c += redirect_op(R, ptx_opnd_elem(o, i));
        } else if (o->reg == PTX_NOREG && ptx_opnd_name(o).n == R->n && memcmp(ptx_opnd_name(o).s, R->sym, R->n) == 0) {
            o->reg = R->reg;
            ptx_opnd_set_addr(&R->m->arena, o, (ptx_str){"", 0}, ptx_opnd_off(o));
            c++;
        }
        break;
    case PTX_OPND_VEC:
    case PTX_OPND_LIST:
    case PTX_OPND_PAIR:
        for (uint32_t i = 0; i < ptx_opnd_count(o); i++) c += redirect_op(R, ptx_opnd_elem(o, i));
        break;
    default:
        break;
    }
    return c;
}

static size_t redirect_block(redir *R, ptx_block *b)
{
    size_t c = 0;
    ptx_block_foreach(b, s) {
        if (s->kind == PTX_ST_INSTR) {
            ptx_instr *in = (ptx_instr *)s;
            R->at = s;
            R->nexpr = 0;
            for (unsigned i = 0; i < in->nops; i++) c += redirect_op(R, &in->ops[i]);
        } else if (s->kind == PTX_ST_SCOPE) {
            c += redirect_block(R, &((ptx_scope *)s)->body);
        }
    }
    return c;
}

size_t ptx_redirect_sym(ptx_module *m, ptx_func *fn, const char *sym, uint32_t reg)
{
    redir R = {.m = m, .fn = fn, .sym = sym, .n = strlen(sym), .reg = reg};
    return redirect_block(&R, &fn->body);
}

ptx_stmt *ptx_raw_shared(ptx_module *m, const char *text, size_t n)
{
    if (!n || n > UINT32_MAX) return NULL;
    ptx_dir *d = nt_arena_zalloc(&m->arena, sizeof *d);
    d->st.kind = PTX_ST_DIR;
    d->st.synth = 1;
    d->dkind = PTX_DIR_OTHER;
    d->text = (ptx_str){text, (uint32_t)n};
    d->st.next = d->st.prev = &d->st;
    return &d->st;
}

ptx_stmt *ptx_raw_new(ptx_module *m, const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (!n || n > UINT32_MAX) return NULL;
    return ptx_raw_shared(m, nt_arena_strndup(&m->arena, text, n), n);
}

ptx_str ptx_instr_mod_text(const ptx_instr *in, unsigned i)
{
    ptx_str nm = ptx_instr_name(in);
    const char *s = nm.s, *end = s + nm.n;
    const char *d = memchr(s, '.', nm.n);
    for (unsigned k = 0; d && d < end; k++) {
        const char *p = d + 1;
        const char *q = memchr(p, '.', (size_t)(end - p));
        if (!q) q = end;
        if (k == i) return (ptx_str){p, (uint32_t)(q - p)};
        d = q;
    }
    return (ptx_str){"", 0};
}

bool ptx_call_add_arg(ptx_module *m, ptx_instr *in, const char *name)
{
    /* The target is the first operand that is not a list. */
    int t = -1;
    for (int i = 0; in->op == PTX_OP_CALL && i < in->nops; i++)
        if (in->ops[i].kind != PTX_OPND_LIST) { t = i; break; }
    size_t n = strlen(name);
    if (t < 0 || in->nops == UINT8_MAX || n > PTX_OPND_MAXLEN) return false;
    ptx_operand arg;
    memset(&arg, 0, sizeof arg);
    arg.kind = PTX_OPND_SYM;
    arg.reg = PTX_NOREG;
    ptx_opnd_set_name(&arg, ptx_str_dup(&m->arena, name, n));
    if (t + 1 < in->nops && in->ops[t + 1].kind == PTX_OPND_LIST) {
        ptx_operand *l = &in->ops[t + 1];
        uint32_t k = ptx_opnd_count(l);
        if (k == PTX_OPND_MAXLEN) return false;
        ptx_operand *e = nt_arena_alloc(&m->arena, (k + 1) * sizeof *e);
        if (k) memcpy(e, ptx_opnd_elem(l, 0), k * sizeof *e);
        e[k] = arg;
        ptx_opnd_set_elems(l, e, k + 1);
        return true;
    }
    /* no argument list yet: "call f;" -> "call f, (name);" (a call has
     * room for one more operand: ptx_parse_instr) */
    memmove(in->ops + t + 2, in->ops + t + 1, (size_t)(in->nops - t - 1) * sizeof *in->ops);
    ptx_operand *l = &in->ops[t + 1];
    memset(l, 0, sizeof *l);
    l->kind = PTX_OPND_LIST;
    l->reg = PTX_NOREG;
    ptx_operand *e = nt_arena_alloc(&m->arena, sizeof arg);
    e[0] = arg;
    ptx_opnd_set_elems(l, e, 1);
    in->nops++;
    return true;
}
