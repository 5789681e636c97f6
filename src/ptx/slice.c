/* slice.c — a standalone module holding one entry and exactly what it
 * reaches: .funcs it calls or takes the address of (transitively),
 * variables it names (and what their initializers name), .alias
 * targets, .extern declarations, plus the module header.
 *
 * Reachability is computed on the parsed IR (operand names, call
 * targets, .calltargets lists, initializer names), so only the reached
 * items are ever fully parsed.  Items keep their source order, so every
 * declaration still precedes its uses as in the original. */
#include "ptx/ptx_int.h"

#include <stdlib.h>

typedef struct refs {
    NT_VEC(ptx_str) names;
} refs;

static void add_name(refs *r, const char *s, size_t n)
{
    if (n) nt_vec_push(&r->names, ((ptx_str){s, (uint32_t)n}));
}

static void op_refs(const ptx_operand *o, refs *r)
{
    switch (o->kind) {
    case PTX_OPND_SYM:
        add_name(r, ptx_opnd_name(o).s, ptx_opnd_name(o).n);
        break;
    case PTX_OPND_EXPR: {
        ptx_str x = ptx_opnd_name(o);
        uint32_t i = 0;
        while (i < x.n && x.s[i] != '+' && x.s[i] != '-' && x.s[i] != ' ') i++;
        add_name(r, x.s, i);
        break;
    }
    case PTX_OPND_ADDR:
        if (o->flags & PTX_OPF_ALIST) {
            for (uint32_t i = 0; i < ptx_opnd_count(o); i++) op_refs(ptx_opnd_elem(o, i), r);
        } else if (o->reg == PTX_NOREG && ptx_opnd_name(o).n) {
            add_name(r, ptx_opnd_name(o).s, ptx_opnd_name(o).n);
        }
        break;
    case PTX_OPND_VEC:
    case PTX_OPND_LIST:
    case PTX_OPND_PAIR:
        for (uint32_t i = 0; i < ptx_opnd_count(o); i++) op_refs(ptx_opnd_elem(o, i), r);
        break;
    default:
        break;
    }
}

/* Identifiers in an initializer's text. */
static void text_refs(ptx_str t, refs *r)
{
    const char *p = t.s, *end = t.s + t.n;
    while (p < end) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$') {
            const char *b = p;
            while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                               (*p >= '0' && *p <= '9') || *p == '_' || *p == '$'))
                p++;
            add_name(r, b, (size_t)(p - b));
        } else if (c >= '0' && c <= '9') {
            while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                               (*p >= 'A' && *p <= 'Z') || *p == '.'))
                p++;
        } else {
            p++;
        }
    }
}

/* Names a body statement refers to (a scope's are its statements'). */
static void body_stmt_refs(const ptx_stmt *s, refs *r)
{
    switch (s->kind) {
    case PTX_ST_INSTR: {
        const ptx_instr *in = (const ptx_instr *)s;
        for (unsigned i = 0; i < in->nops; i++) op_refs(&in->ops[i], r);
        break;
    }
    case PTX_ST_VAR: {
        const ptx_var *v = ((const ptx_vardecl *)s)->var;
        if (v->has_init) text_refs(v->init_text, r);
        break;
    }
    case PTX_ST_TARGETS: {
        const ptx_targets *t = (const ptx_targets *)s;
        if (t->calltargets)
            for (uint32_t i = 0; i < t->n; i++) add_name(r, t->names[i].s, t->names[i].n);
        break;
    }
    default:
        break;
    }
}

static void block_refs(const ptx_block *b, refs *r)
{
    ptx_block_foreach(b, s) {
        if (s->kind == PTX_ST_SCOPE) block_refs(&((const ptx_scope *)s)->body, r);
        else body_stmt_refs(s, r);
    }
}

/* Names a top-level statement refers to; a function's body is walked
 * only when walk_body (the slice has the parser's list instead). */
static void stmt_refs(const ptx_stmt *s, refs *r, bool walk_body)
{
    switch (s->kind) {
    case PTX_ST_FUNC: {
        const ptx_func *fn = ((const ptx_funcitem *)s)->fn;
        if (fn->has_body && walk_body) block_refs(&fn->body, r);
        break;
    }
    case PTX_ST_VAR: {
        const ptx_var *v = ((const ptx_vardecl *)s)->var;
        if (v->has_init) text_refs(v->init_text, r);
        break;
    }
    case PTX_ST_ALIAS:
        add_name(r, ((const ptx_alias *)s)->target.s, ((const ptx_alias *)s)->target.n);
        break;
    default:
        break;
    }
}

static bool header_dir(ptx_str name)
{
    return ptx_str_eq(name, ".version") || ptx_str_eq(name, ".target") ||
           ptx_str_eq(name, ".address_size") || ptx_str_eq(name, ".file");
}

/* ---- from an index ---- */

typedef struct sl_state {
    uint8_t *sel;
    NT_VEC(uint32_t) work;
    NT_VEC(ptx_stmt *) stmts;    /* parsed statements */
    NT_VEC(uint32_t) owner;      /* item index of each statement */
    refs r;
    ptx_parser P;
    nt_map more;                 /* second and later names of multi-name
                                    declarations -> item (built lazily) */
    bool more_built;
} sl_state;

static void sl_free(sl_state *st)
{
    free(st->sel);
    nt_vec_free(&st->work);
    nt_vec_free(&st->stmts);
    nt_vec_free(&st->owner);
    nt_vec_free(&st->r.names);
    nt_map_free(&st->more);
    ptx_parser_free(&st->P);
}

/* ---- names after the first in ".global .u32 a, b[4] = {..}, c;" ----
 * The index knows an item by its first name only; these declarations
 * are rare, so the other names are found on the first lookup miss. */

static const char *skip_blank(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    return p;
}

/* p at '{' or '(': past the matching close.  A flat table (no nested
 * '{') is skipped with two memchr. */
static const char *skip_group(const char *p, const char *end)
{
    char open = *p, close = open == '{' ? '}' : ')';
    const char *c = memchr(p + 1, close, (size_t)(end - p - 1));
    if (c && !memchr(p + 1, open, (size_t)(c - p - 1))) return c + 1;
    int depth = 0;
    for (; p < end; p++) {
        if (*p == open) depth++;
        else if (*p == close && --depth == 0) return p + 1;
    }
    return end;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c == '%';
}

static void more_names(nt_map *more, const ptx_index *ix, uint32_t i)
{
    const ptx_ix_item *it = &ix->items[i];
    const char *p = it->name.s + it->name.n, *end = ix->text + it->end;
    while ((p = skip_blank(p, end)) < end && *p != ';') {
        if (*p == '[') {
            const char *q = memchr(p, ']', (size_t)(end - p));
            p = q ? q + 1 : end;
        } else if (*p == '{' || *p == '(') {
            p = skip_group(p, end);
        } else if (*p == ',') {
            const char *b = p = skip_blank(p + 1, end);
            while (p < end && name_char(*p)) p++;
            if (p > b) nt_map_put(more, b, (size_t)(p - b), i);
        } else {
            p++;   /* '=', a number, generic(...) words */
        }
    }
}

static bool more_lookup(sl_state *st, const ptx_index *ix, ptx_str name, uint32_t *item)
{
    if (!st->more_built) {
        st->more_built = true;
        for (uint32_t i = 0; i < ix->n; i++)
            if (ix->items[i].kind == PTX_IX_VAR) more_names(&st->more, ix, i);
    }
    uint64_t v;
    if (!nt_map_get(&st->more, name.s, name.n, &v)) return false;
    *item = (uint32_t)v;
    return true;
}

static void parse_unit(sl_state *st, const ptx_index *ix, uint32_t i, jmp_buf *jb, nt_err *e)
{
    const ptx_ix_item *it = &ix->items[i];
    ptx_module *m = st->P.m;
    ptx_stmt *before = m->items.head.prev;
    ptx_lex_init(&st->P.L, ix->text, ix->text + it->begin, ix->text + it->end,
                 it->line, ix->file, e, jb);
    ptx_parse_item(&st->P);
    if (st->P.L.t.k != T_EOF)
        ptx_lex_fail(&st->P.L, NULL, "index and parser disagree: expected the end of the item");
    for (ptx_stmt *s = before->next; s != &m->items.head; s = s->next) {
        nt_vec_push(&st->stmts, s);
        nt_vec_push(&st->owner, i);
    }
}

static void enqueue(sl_state *st, const ptx_index *ix, ptx_str name)
{
    uint64_t v;
    if (!nt_map_get(&ix->by_name, name.s, name.n, &v)) {
        uint32_t j;
        if (more_lookup(st, ix, name, &j) && !st->sel[j]) { st->sel[j] = 1; nt_vec_push(&st->work, j); }
        return;
    }
    for (uint32_t j = ix->first_[v]; j != UINT32_MAX; j = ix->same_[j])
        if (!st->sel[j]) { st->sel[j] = 1; nt_vec_push(&st->work, j); }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Rebuilds m->items in source order of their owners (stable). */
static void reorder(ptx_module *m, ptx_stmt **stmts, uint32_t *owner, size_t n)
{
    /* key = owner item << 32 | position: sorting keeps parse order
     * within an item */
    uint64_t *key = nt_xmalloc((n ? n : 1) * sizeof *key);
    for (size_t i = 0; i < n; i++) key[i] = (uint64_t)owner[i] << 32 | (uint64_t)i;
    qsort(key, n, sizeof *key, cmp_u64);
    ptx_block_init(&m->items);
    for (size_t i = 0; i < n; i++) ptx_block_append(&m->items, stmts[key[i] & 0xffffffffu]);
    free(key);
}

static int slice_run(sl_state *st, const ptx_index *ix, uint32_t entry, nt_err *e)
{
    jmp_buf jb;
    if (setjmp(jb)) return -1;
    for (size_t i = 0; i < ix->n; i++)
        if (ix->items[i].kind == PTX_IX_DIR && header_dir(ix->items[i].name)) {
            st->sel[i] = 1;
            parse_unit(st, ix, (uint32_t)i, &jb, e);
        }
    st->sel[entry] = 1;
    nt_vec_push(&st->work, entry);
    while (st->work.n) {
        uint32_t i = nt_vec_pop(&st->work);
        size_t first = st->stmts.n;
        st->P.refstmts.n = 0;
        parse_unit(st, ix, i, &jb, e);
        st->r.names.n = 0;
        /* a body's names (collected by the parser) precede what follows
         * the body at the top level: an item holds one function at most */
        for (size_t k = 0; k < st->P.refstmts.n; k++) body_stmt_refs(st->P.refstmts.v[k], &st->r);
        for (size_t k = first; k < st->stmts.n; k++) stmt_refs(st->stmts.v[k], &st->r, false);
        for (size_t k = 0; k < st->r.names.n; k++) enqueue(st, ix, st->r.names.v[k]);
    }
    return 0;
}

ptx_module *ptx_slice(const ptx_index *ix, const char *entry, nt_err *e)
{
    const ptx_ix_item *it = ptx_index_find(ix, entry, strlen(entry));
    if (!it || it->kind != PTX_IX_FUNC || !it->is_entry || !it->has_body) {
        nt_err_set(e, "%s: no kernel (.entry with a body) named '%s'", ix->file, entry);
        return NULL;
    }
    /* the arena grows if the kernel's dependencies need more */
    ptx_module *m = ptx_module_new_sized(ix->text, ix->len, ix->file, 0, it->end - it->begin);
    sl_state *st = nt_xcalloc(1, sizeof *st);
    st->sel = nt_xcalloc(ix->n ? ix->n : 1, 1);
    ptx_parser_init(&st->P, m);
    st->P.collect = true;
    if (slice_run(st, ix, (uint32_t)(it - ix->items), e) < 0) {
        sl_free(st);
        free(st);
        ptx_module_free(m);
        return NULL;
    }
    reorder(m, st->stmts.v, st->owner.v, st->stmts.n);
    sl_free(st);
    free(st);
    return m;
}

/* ---- from a parsed module ---- */

ptx_module *ptx_slice_module(const ptx_module *src, const char *entry, nt_err *e)
{
    ptx_func *ef = ptx_module_func(src, entry);
    if (!ef || !ef->is_entry || !ef->has_body) {
        nt_err_set(e, "%s: no kernel (.entry with a body) named '%s'", src->file, entry);
        return NULL;
    }
    /* number the top-level statements; chain those with the same name */
    NT_VEC(const ptx_stmt *) all = {0};
    nt_map names = {0};
    ptx_block_foreach(&src->items, s) nt_vec_push(&all, s);
    size_t n = all.n;
    uint32_t *same = nt_xmalloc((n ? n : 1) * sizeof *same);
    uint32_t *last = nt_xmalloc((n ? n : 1) * sizeof *last);
    uint8_t *sel = nt_xcalloc(n ? n : 1, 1);
    NT_VEC(uint32_t) work = {0};
    refs r = {0};
    uint32_t entry_ix = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        const ptx_stmt *s = all.v[i];
        same[i] = UINT32_MAX;
        ptx_str nm = {0};
        if (s->kind == PTX_ST_FUNC) nm = ((const ptx_funcitem *)s)->fn->name;
        else if (s->kind == PTX_ST_VAR) nm = ((const ptx_vardecl *)s)->var->name;
        else if (s->kind == PTX_ST_ALIAS) nm = ((const ptx_alias *)s)->alias;
        else if (s->kind == PTX_ST_DIR) {
            uint8_t k = ((const ptx_dir *)s)->dkind;
            if (k == PTX_DIR_VERSION || k == PTX_DIR_TARGET || k == PTX_DIR_ADDRSIZE || k == PTX_DIR_FILE)
                sel[i] = 1;
            continue;
        }
        if (s->kind == PTX_ST_FUNC && ((const ptx_funcitem *)s)->fn == ef) entry_ix = (uint32_t)i;
        uint64_t head;
        if (nt_map_get(&names, nm.s, nm.n, &head)) { same[last[head]] = (uint32_t)i; last[head] = (uint32_t)i; }
        else { nt_map_put(&names, nm.s, nm.n, i); last[i] = (uint32_t)i; }
    }
    sel[entry_ix] = 1;
    nt_vec_push(&work, entry_ix);
    while (work.n) {
        uint32_t i = nt_vec_pop(&work);
        r.names.n = 0;
        stmt_refs(all.v[i], &r, true);
        for (size_t k = 0; k < r.names.n; k++) {
            uint64_t h;
            if (!nt_map_get(&names, r.names.v[k].s, r.names.v[k].n, &h)) continue;
            for (uint32_t j = (uint32_t)h; j != UINT32_MAX; j = same[j])
                if (!sel[j]) { sel[j] = 1; nt_vec_push(&work, j); }
        }
    }
    ptx_module *m = ptx_module_new(src->text, src->len, src->file, 0);
    m->ver_major = src->ver_major;
    m->ver_minor = src->ver_minor;
    m->sm = src->sm;
    m->target = src->target;
    m->address_size = src->address_size;
    for (size_t i = 0; i < n; i++) {
        if (!sel[i]) continue;
        const ptx_stmt *s = all.v[i];
        ptx_stmt *c = NULL;
        switch (s->kind) {
        case PTX_ST_FUNC: {
            ptx_funcitem *f = nt_arena_zalloc(&m->arena, sizeof *f);
            *f = *(const ptx_funcitem *)s;
            ptx_module_add_func(m, f->fn);
            c = &f->st;
            break;
        }
        case PTX_ST_VAR: {
            ptx_vardecl *v = nt_arena_zalloc(&m->arena, sizeof *v);
            *v = *(const ptx_vardecl *)s;
            ptx_module_add_var(m, v->var);
            c = &v->st;
            break;
        }
        case PTX_ST_ALIAS: {
            ptx_alias *a = nt_arena_zalloc(&m->arena, sizeof *a);
            *a = *(const ptx_alias *)s;
            c = &a->st;
            break;
        }
        case PTX_ST_DIR: {
            ptx_dir *d = nt_arena_zalloc(&m->arena, sizeof *d);
            *d = *(const ptx_dir *)s;
            c = &d->st;
            break;
        }
        default:
            continue;
        }
        ptx_block_append(&m->items, c);
    }
    nt_vec_free(&all);
    nt_map_free(&names);
    free(same);
    free(last);
    free(sel);
    nt_vec_free(&work);
    nt_vec_free(&r.names);
    return m;
}
