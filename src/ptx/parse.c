/* parse.c — module-level PTX: header directives, variables, parameter
 * lists, function signatures and performance directives. */
#include "ptx/ptx_int.h"

#include <ctype.h>
#include <stdlib.h>

#define LX (&P->L)
#define A (&P->m->arena)

static inline void next(ptx_parser *P) { ptx_lex_next(LX); }

static inline bool is_punct(ptx_parser *P, int c) { return LX->t.k == c; }

static void expect(ptx_parser *P, int c, const char *what)
{
    if (LX->t.k != c) ptx_lex_expected(LX, what);
    next(P);
}

static uint64_t expect_uint(ptx_parser *P, const char *what)
{
    ptx_operand o;
    if (LX->t.k != T_NUM || !ptx_number(LX->t.s, LX->t.n, false, &o) ||
        o.kind != PTX_OPND_IMM || o.i < 0)
        ptx_lex_expected(LX, what);
    next(P);
    return (uint64_t)o.i;
}

static ptx_str expect_name(ptx_parser *P, const char *what)
{
    if (LX->t.k != T_WORD || LX->t.s[0] == '.') ptx_lex_expected(LX, what);
    ptx_str s = tok_str(&LX->t);
    next(P);
    return s;
}

ptx_dir *ptx_new_dir(ptx_parser *P, ptx_dir_kind k, const char *s,
                        const char *e, uint32_t line)
{
    ptx_dir *d = nt_arena_zalloc(A, sizeof *d);
    d->st.kind = PTX_ST_DIR;
    d->st.line = line;
    d->dkind = (uint8_t)k;
    d->text = (ptx_str){s, (uint32_t)(e - s)};
    return d;
}

/* ---- variables and parameters ------------------------------------------ */

static ptx_space space_of(const ptx_tok *t)
{
    if (tok_is(t, ".global")) return PTX_SP_GLOBAL;
    if (tok_is(t, ".shared") || tok_is(t, ".shared::cta")) return PTX_SP_SHARED;
    if (tok_is(t, ".shared::cluster")) return PTX_SP_SHARED_CLUSTER;
    if (tok_is(t, ".const")) return PTX_SP_CONST;
    if (tok_is(t, ".local")) return PTX_SP_LOCAL;
    if (tok_is(t, ".param") || tok_is(t, ".param::entry") ||
        tok_is(t, ".param::func")) return PTX_SP_PARAM;
    if (tok_is(t, ".tex")) return PTX_SP_TEX;
    if (tok_is(t, ".reg")) return PTX_SP_REG;
    if (tok_is(t, ".generic")) return PTX_SP_GENERIC;
    return PTX_SP_NONE;
}

/* Skips a balanced "( ... )" and returns the span including the parens. */
static ptx_str skip_parens(ptx_parser *P)
{
    const char *s = LX->t.s;
    int depth = 0;
    do {
        if (LX->t.k == T_EOF) ptx_lex_expected(LX, "')'");
        if (LX->t.k == '(') depth++;
        else if (LX->t.k == ')') depth--;
        const char *e = LX->t.s + LX->t.n;
        next(P);
        if (!depth) return (ptx_str){s, (uint32_t)(e - s)};
    } while (1);
}


/* End of the last token in [s, e): the initializer's text stops there, so
 * a comment between it and the ';' is not part of it (printed back, that
 * comment would swallow the ';'; found by fuzz_parse). */
static const char *relex_last_end(const ptx_lex *L, const char *s, const char *t)
{
    jmp_buf jb;
    nt_err err = { 0 };
    ptx_lex lx;
    const char *volatile last = t;
    if (setjmp(jb)) return last;                 /* cannot happen: it lexed once */
    ptx_lex_init(&lx, L->base, s, t, L->line, L->file, &err, &jb);
    for (last = s; lx.t.k != T_EOF; ptx_lex_next(&lx)) last = lx.t.s + lx.t.n;
    return last;
}

static const char *last_token_end(ptx_parser *P, const char *s, const char *e)
{
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) e--;
    if (!memchr(s, '/', (size_t)(e - s))) return e;           /* no comment */
    return relex_last_end(LX, s, e);
}

/* Attributes, type, name, dims and initializer of one declaration.  The
 * current token is the first attribute.  For parameters (param=true) the
 * declaration ends at ',' or ')'.  `first` is reused for the 2nd+ names of
 * a list (".global .u32 a, b;"). */
ptx_var *ptx_parse_var(ptx_parser *P, uint8_t linkage, bool param,
                          const ptx_var *first)
{
    ptx_var *v = nt_arena_zalloc(A, sizeof *v);
    v->line = LX->t.line;
    v->vec = 1;
    v->const_bank = -1;
    v->linkage = linkage;
    if (first) {
        *v = *first;
        v->ndims = 0;
        memset(v->dims, 0, sizeof v->dims);
        v->has_init = 0;
        v->init_text = (ptx_str){0};
        v->line = LX->t.line;
    } else {
        bool in_ptr = false;
        const char *attr_s = NULL, *attr_e = NULL;
        while (LX->t.k == T_WORD && LX->t.s[0] == '.') {
            ptx_tok t = LX->t;
            ptx_space sp = space_of(&t);
            if (sp && !in_ptr) {
                v->space = (uint8_t)sp;
                next(P);
                if (sp == PTX_SP_CONST && is_punct(P, '[')) {
                    next(P);
                    v->const_bank = (int32_t)expect_uint(P, "constant bank number");
                    expect(P, ']', "']' after constant bank");
                }
            } else if (sp && in_ptr) {
                v->ptr.space = (uint8_t)sp;
                next(P);
            } else if (tok_is(&t, ".align")) {
                next(P);
                uint64_t a = expect_uint(P, "alignment after .align");
                if (in_ptr) v->ptr.align = (uint32_t)a; else v->align = (uint32_t)a;
            } else if (tok_is(&t, ".ptr")) {
                next(P);
                in_ptr = true;
                v->ptr.present = 1;
            } else if (tok_is(&t, ".v2") || tok_is(&t, ".v4") || tok_is(&t, ".v8")) {
                v->vec = (uint8_t)(t.s[2] - '0');
                next(P);
            } else if (tok_is(&t, ".attribute")) {
                next(P);
                if (!is_punct(P, '(')) ptx_lex_expected(LX, "'(' after .attribute");
                ptx_str a = skip_parens(P);
                if (!attr_s) attr_s = t.s;
                attr_e = a.s + a.n;
            } else {
                ptx_type ty = ptx_type_lookup(t.s + 1, t.n - 1);
                if (!ty) ptx_lex_fail(LX, &t, "expected a state space, type or attribute in declaration");
                v->type = (uint8_t)ty;
                next(P);
            }
        }
        if (attr_s) v->attrs = (ptx_str){attr_s, (uint32_t)(attr_e - attr_s)};
        if (!v->type) ptx_lex_expected(LX, "a type in declaration");
    }
    if (LX->t.k != T_WORD || LX->t.s[0] == '.')
        ptx_lex_expected(LX, param ? "parameter name" : "variable name");
    v->name = tok_str(&LX->t);
    v->is_sink = v->name.n == 1 && v->name.s[0] == '_';
    next(P);
    while (is_punct(P, '[')) {
        next(P);
        if (v->ndims >= PTX_MAX_DIMS)
            ptx_lex_fail(LX, NULL, "more than %d array dimensions", PTX_MAX_DIMS);
        uint64_t d = 0;
        if (!is_punct(P, ']')) d = expect_uint(P, "array size");
        v->dims[v->ndims++] = d;
        expect(P, ']', "']' after array size");
    }
    if (!param && is_punct(P, '=')) {
        next(P);
        v->has_init = 1;
        const char *s = LX->t.s;
        ptx_lex sub = *LX;
        ptx_init_walk(&sub, P->m, v, NULL);
        /* sub stopped at the token after the initializer */
        *LX = sub;
        /* text span: from s to the end of the last initializer token */
        v->init_text = (ptx_str){s, (uint32_t)(last_token_end(P, s, LX->t.s) - s)};
    }
    return v;
}

uint32_t ptx_parse_params(ptx_parser *P, ptx_var **out)
{
    expect(P, '(', "'('");
    size_t base = P->pvars.n;
    if (!is_punct(P, ')')) {
        for (;;) {
            if (LX->t.k != T_WORD || LX->t.s[0] != '.')
                ptx_lex_expected(LX, "'.param' or '.reg' parameter declaration");
            ptx_var *v = ptx_parse_var(P, PTX_LINK_NONE, true, NULL);
            nt_vec_push(&P->pvars, *v);
            if (is_punct(P, ',')) { next(P); continue; }
            if (is_punct(P, ')')) break;
            ptx_lex_expected(LX, "',' or ')' after parameter");
        }
    }
    next(P);
    uint32_t n = (uint32_t)(P->pvars.n - base);
    *out = NULL;
    if (n) {
        *out = nt_arena_alloc(A, n * sizeof **out);
        memcpy(*out, P->pvars.v + base, n * sizeof **out);
    }
    P->pvars.n = base;
    return n;
}

/* ---- functions ---------------------------------------------------------- */

static uint32_t parse_dims(ptx_parser *P, uint32_t *d, const char *what)
{
    uint32_t n = 0;
    for (;;) {
        d[n++] = (uint32_t)expect_uint(P, what);
        if (n < 3 && is_punct(P, ',')) { next(P); continue; }
        return n;
    }
}

/* After a ';' inside a function's header directives: does a new module
 * item follow (the ';' ends a body-less declaration), rather than '{' or
 * another header directive (the ';' ended a directive such as
 * `.pragma "x";`)?  Comments are skipped, so print(parse(x)), which drops
 * them, reads the same way (found by fuzz_parse). */
static bool item_follows(const char *q, const char *end)
{
    static const char *const items[] = {
        ".visible", ".extern", ".weak", ".common", ".entry", ".func", ".global",
        ".const", ".shared", ".local", ".tex", ".texref", ".surfref", ".samplerref",
        ".version", ".target", ".address_size", ".file", ".section", ".alias",
    };
    for (;;) {
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
        if (end - q >= 2 && q[0] == '/' && q[1] == '/') {
            while (q < end && *q != '\n') q++;
        } else if (end - q >= 2 && q[0] == '/' && q[1] == '*') {
            const char *c = q + 2;
            while (c + 1 < end && !(c[0] == '*' && c[1] == '/')) c++;
            q = c + 1 < end ? c + 2 : end;
        } else {
            break;
        }
    }
    if (q >= end || *q == '{') return q >= end;
    if (*q != '.') return true;
    size_t n = 1;
    while (q + n < end && (isalnum((unsigned char)q[n]) || q[n] == '_')) n++;
    for (size_t i = 0; i < NT_ARRAY_LEN(items); i++)
        if (strlen(items[i]) == n && !memcmp(items[i], q, n)) return true;
    return false;
}

static void parse_func(ptx_parser *P, uint8_t linkage, const char *start,
                       uint32_t line)
{
    ptx_func *fn = nt_arena_zalloc(A, sizeof *fn);
    fn->is_entry = tok_is(&LX->t, ".entry");
    fn->linkage = linkage;
    fn->line = line;
    ptx_block_init(&fn->body);
    next(P);
    if (!fn->is_entry && is_punct(P, '(')) {
        fn->has_rets = 1;
        fn->nrets = ptx_parse_params(P, &fn->rets);
    }
    fn->name = expect_name(P, fn->is_entry ? "kernel name after .entry"
                                           : "function name after .func");
    if (is_punct(P, '(')) fn->nparams = ptx_parse_params(P, &fn->params);
    fn->params_cap_ = fn->nparams;
    size_t xbase = P->strs.n;
    while (LX->t.k == T_WORD && LX->t.s[0] == '.') {
        ptx_tok t = LX->t;
        if (tok_is(&t, ".maxnreg")) { next(P); fn->maxnreg = (uint32_t)expect_uint(P, "register count"); }
        else if (tok_is(&t, ".maxntid")) { next(P); fn->nmaxntid = (uint8_t)parse_dims(P, fn->maxntid, "thread count"); }
        else if (tok_is(&t, ".reqntid")) { next(P); fn->nreqntid = (uint8_t)parse_dims(P, fn->reqntid, "thread count"); }
        else if (tok_is(&t, ".minnctapersm")) { next(P); fn->minnctapersm = (uint32_t)expect_uint(P, "CTA count"); }
        else if (tok_is(&t, ".reqnctapercluster")) { next(P); fn->nreqnctapercluster = (uint8_t)parse_dims(P, fn->reqnctapercluster, "CTA count"); }
        else if (tok_is(&t, ".maxclusterrank")) { next(P); fn->maxclusterrank = (uint32_t)expect_uint(P, "cluster rank"); }
        else if (tok_is(&t, ".explicitcluster")) { next(P); fn->explicitcluster = 1; }
        else if (tok_is(&t, ".noreturn")) { next(P); fn->noreturn = 1; }
        else {
            /* Other directives (.pragma "x";, .maxnctapersm n,
             * .abi_preserve n, .blocksareclusters, future ones): kept
             * verbatim up to the next directive, '{' or ';'. */
            const char *s = t.s, *e = t.s + t.n;
            next(P);
            while (LX->t.k != T_EOF && LX->t.k != '{' &&
                   !(LX->t.k == T_WORD && LX->t.s[0] == '.')) {
                bool semi = LX->t.k == ';';
                if (semi && is_punct(P, ';')) {
                    /* ';' ends the directive only if a body follows;
                     * a declaration "...;" ends at its own ';'. */
                    if (item_follows(LX->p, LX->end)) break;
                }
                e = LX->t.s + LX->t.n;
                next(P);
                if (semi) break;
            }
            nt_vec_push(&P->strs, ((ptx_str){s, (uint32_t)(e - s)}));
        }
    }
    if (P->strs.n > xbase) {
        fn->nextra = (uint32_t)(P->strs.n - xbase);
        fn->extra = nt_arena_alloc(A, fn->nextra * sizeof *fn->extra);
        memcpy(fn->extra, P->strs.v + xbase, fn->nextra * sizeof *fn->extra);
    }
    P->strs.n = xbase;
    const char *end;
    if (is_punct(P, ';')) {
        end = LX->t.s + 1;
        next(P);
    } else if (is_punct(P, '{')) {
        fn->has_body = 1;
        next(P);
        ptx_parse_body(P, fn);
        end = P->body_end;
    } else {
        ptx_lex_expected(LX, "'{' or ';' after function signature");
    }
    fn->span = (ptx_str){start, (uint32_t)(end - start)};
    ptx_funcitem *it = nt_arena_zalloc(A, sizeof *it);
    it->st.kind = PTX_ST_FUNC;
    it->st.line = line;
    it->fn = fn;
    ptx_block_append(&P->m->items, &it->st);
    ptx_module_add_func(P->m, fn);
}

/* ---- module items ------------------------------------------------------- */

static void parse_version(ptx_parser *P, ptx_dir *d)
{
    if (LX->t.k != T_NUM) ptx_lex_expected(LX, "version number after .version");
    const char *s = LX->t.s, *dot = memchr(s, '.', LX->t.n);
    if (!dot || dot == s || dot + 1 >= s + LX->t.n) ptx_lex_expected(LX, "version as MAJOR.MINOR");
    int maj = 0, min = 0;
    for (const char *q = s; q < dot; q++) {
        if (*q < '0' || *q > '9') ptx_lex_expected(LX, "version as MAJOR.MINOR");
        maj = maj * 10 + (*q - '0');
        if (maj > 99) ptx_lex_expected(LX, "a PTX version (major at most 99)");
    }
    for (const char *q = dot + 1; q < s + LX->t.n; q++) {
        if (*q < '0' || *q > '9') ptx_lex_expected(LX, "version as MAJOR.MINOR");
        min = min * 10 + (*q - '0');
        if (min > 99) ptx_lex_expected(LX, "a PTX version (minor at most 99)");
    }
    P->m->ver_major = maj;
    P->m->ver_minor = min;
    d->text.n = (uint32_t)(s + LX->t.n - d->text.s);
    next(P);
}

static void parse_target(ptx_parser *P, ptx_dir *d)
{
    const char *s = LX->t.s, *e = s;
    uint32_t line = LX->t.line;
    for (;;) {
        if (LX->t.k != T_WORD || LX->t.line != line) ptx_lex_expected(LX, "target name after .target");
        ptx_tok t = LX->t;
        if (t.n > 3 && memcmp(t.s, "sm_", 3) == 0 && !P->m->sm) {
            unsigned sm = 0;
            for (uint32_t i = 3; i < t.n && t.s[i] >= '0' && t.s[i] <= '9'; i++)
                sm = sm * 10 + (unsigned)(t.s[i] - '0');
            P->m->sm = sm;
        }
        e = t.s + t.n;
        next(P);
        if (is_punct(P, ',')) { next(P); continue; }
        break;
    }
    P->m->target = (ptx_str){s, (uint32_t)(e - s)};
    d->text.n = (uint32_t)(e - d->text.s);
}

/* Consumes tokens through the end of a .section block "{ ... }". */
static void parse_section(ptx_parser *P, ptx_dir *d)
{
    next(P);   /* .section */
    if (LX->t.k != T_WORD) ptx_lex_expected(LX, "section name after .section");
    next(P);   /* its name */
    if (!is_punct(P, '{')) ptx_lex_expected(LX, "'{' after .section name");
    int depth = 0;
    for (;;) {
        if (LX->t.k == T_EOF) ptx_lex_expected(LX, "'}' closing .section");
        if (LX->t.k == '{') depth++;
        if (LX->t.k == '}' && --depth == 0) break;
        next(P);
    }
    d->text.n = (uint32_t)(LX->t.s + 1 - d->text.s);
    next(P);
}

/* Rest of a directive up to and including ';' (kept as text). */
void ptx_parse_to_semicolon(ptx_parser *P, ptx_dir *d)
{
    while (LX->t.k != ';') {
        if (LX->t.k == T_EOF || LX->t.k == '{' || LX->t.k == '}')
            ptx_lex_expected(LX, "';' ending the directive");
        next(P);
    }
    d->text.n = (uint32_t)(LX->t.s + 1 - d->text.s);
    next(P);
}

/* .file N "name" [, timestamp, size] ; .loc F L C [, inlined_at ...] —
 * line-oriented, no ';'. */
static void to_line_end(ptx_parser *P, ptx_dir *d)
{
    uint32_t line = d->st.line;
    const char *e = d->text.s + d->text.n;
    while (LX->t.k != T_EOF && LX->t.line == line && LX->t.k != ';' &&
           LX->t.k != '}' && LX->t.k != '{') {
        e = LX->t.s + LX->t.n;
        next(P);
    }
    d->text.n = (uint32_t)(e - d->text.s);
}

void ptx_parse_loc(ptx_parser *P, ptx_dir *d)
{
    uint64_t f = expect_uint(P, "file number after .loc");
    uint64_t ln = expect_uint(P, "line number after .loc file");
    uint64_t col = 0;
    if (LX->t.k == T_NUM && LX->t.line == d->st.line) col = expect_uint(P, "column");
    d->loc_file = (uint32_t)f;
    d->loc_line = (uint32_t)ln;
    d->loc_col = (uint32_t)col;
    d->text.n = (uint32_t)(P->L.t.s - d->text.s);
    to_line_end(P, d);
    /* trim trailing blanks captured when the line ended at a number */
    while (d->text.n && (d->text.s[d->text.n - 1] == ' ' || d->text.s[d->text.n - 1] == '\n' ||
                         d->text.s[d->text.n - 1] == '\t' || d->text.s[d->text.n - 1] == '\r'))
        d->text.n--;
}

void ptx_parse_item(ptx_parser *P)
{
    ptx_tok t = LX->t;
    const char *start = t.s;
    uint32_t line = t.line;
    if (t.k != T_WORD || t.s[0] != '.')
        ptx_lex_expected(LX, "a directive (.version, .target, .entry, .func, a variable, ...)");
    uint8_t linkage = PTX_LINK_NONE;
    for (;;) {
        if (tok_is(&LX->t, ".visible")) linkage = PTX_LINK_VISIBLE;
        else if (tok_is(&LX->t, ".extern")) linkage = PTX_LINK_EXTERN;
        else if (tok_is(&LX->t, ".weak")) linkage = PTX_LINK_WEAK;
        else if (tok_is(&LX->t, ".common")) linkage = PTX_LINK_COMMON;
        else break;
        next(P);
    }
    t = LX->t;
    if (tok_is(&t, ".entry") || tok_is(&t, ".func")) {
        parse_func(P, linkage, start, line);
        return;
    }
    if (!linkage) {
        ptx_dir_kind k = PTX_DIR_OTHER;
        ptx_dir *d = ptx_new_dir(P, k, t.s, t.s + t.n, line);
        if (tok_is(&t, ".version")) { d->dkind = PTX_DIR_VERSION; next(P); parse_version(P, d); }
        else if (tok_is(&t, ".target")) { d->dkind = PTX_DIR_TARGET; next(P); parse_target(P, d); }
        else if (tok_is(&t, ".address_size")) {
            d->dkind = PTX_DIR_ADDRSIZE;
            next(P);
            uint64_t a = expect_uint(P, "32 or 64 after .address_size");
            if (a != 32 && a != 64) ptx_lex_fail(LX, &t, "address size must be 32 or 64 (got %llu)", (unsigned long long)a);
            P->m->address_size = (unsigned)a;
            d->text.n = (uint32_t)(P->L.t.s - d->text.s);
            while (d->text.n && strchr(" \t\r\n", d->text.s[d->text.n - 1])) d->text.n--;
        }
        else if (tok_is(&t, ".file")) { d->dkind = PTX_DIR_FILE; next(P);
            d->loc_file = (uint32_t)expect_uint(P, "file number after .file");
            if (LX->t.k != T_STR) ptx_lex_expected(LX, "file name string");
            /* the text runs at least to the name's end (it used to stop
             * after ".file" when nothing followed the name: found by
             * fuzz_parse; every -lineinfo module printed invalid PTX) */
            d->text.n = (uint32_t)(LX->t.s + LX->t.n - d->text.s);
            next(P);
            to_line_end(P, d); }
        else if (tok_is(&t, ".section")) { d->dkind = PTX_DIR_SECTION; parse_section(P, d); }
        else if (tok_is(&t, ".pragma")) { d->dkind = PTX_DIR_PRAGMA; next(P); ptx_parse_to_semicolon(P, d); }
        else if (tok_is(&t, ".alias")) {
            next(P);
            ptx_alias *a = nt_arena_zalloc(A, sizeof *a);
            a->st.kind = PTX_ST_ALIAS;
            a->st.line = line;
            a->alias = expect_name(P, "alias name after .alias");
            expect(P, ',', "',' after alias name");
            a->target = expect_name(P, "aliased function name");
            expect(P, ';', "';' after .alias");
            ptx_block_append(&P->m->items, &a->st);
            return;
        }
        else if (space_of(&t) == PTX_SP_NONE && !tok_is(&t, ".align") &&
                 !ptx_type_lookup(t.s + 1, t.n - 1))
            ptx_lex_fail(LX, &t, "unknown module directive");
        else d = NULL;
        if (d) {
            ptx_block_append(&P->m->items, &d->st);
            return;
        }
    }
    /* A module-level variable (possibly a list of names). */
    const ptx_var *first = NULL;
    for (;;) {
        ptx_var *v = ptx_parse_var(P, linkage, false, first);
        if (v->space == PTX_SP_NONE || v->space == PTX_SP_REG || v->space == PTX_SP_PARAM)
            ptx_lex_fail(LX, NULL, "module variable '%.*s' needs a state space (.global, .const, .shared, ...)",
                         (int)v->name.n, v->name.s);
        ptx_vardecl *vd = nt_arena_zalloc(A, sizeof *vd);
        vd->st.kind = PTX_ST_VAR;
        vd->st.line = v->line;
        vd->var = v;
        ptx_block_append(&P->m->items, &vd->st);
        ptx_module_add_var(P->m, v);
        first = v;
        if (is_punct(P, ',')) { next(P); continue; }
        break;
    }
    expect(P, ';', "';' after variable declaration");
}

void ptx_parse_items(ptx_parser *P)
{
    while (LX->t.k != T_EOF) ptx_parse_item(P);
}

void ptx_parser_init(ptx_parser *P, ptx_module *m)
{
    memset(P, 0, sizeof *P);
    P->m = m;
}

void ptx_parser_free(ptx_parser *P)
{
    ptx_regtab_free(&P->rt);
    nt_map_free(&P->labels);
    nt_vec_free(&P->labelrefs);
    nt_vec_free(&P->sets);
    nt_vec_free(&P->ops);
    nt_vec_free(&P->pvars);
    nt_vec_free(&P->strs);
    nt_vec_free(&P->rsets);
    nt_vec_free(&P->decoded);
    nt_map_free(&P->inames);
    nt_vec_free(&P->refstmts);
}

ptx_module *ptx_parse(const char *text, size_t len, const char *file,
                      unsigned flags, nt_err *e)
{
    ptx_module *m = ptx_module_new(text, len, file, flags);
    ptx_parser P;
    ptx_parser_init(&P, m);
    jmp_buf jb;
    if (setjmp(jb)) {
        ptx_parser_free(&P);
        ptx_module_free(m);
        return NULL;
    }
    ptx_lex_init(&P.L, m->text, m->text, m->text + len, 1, m->file, e, &jb);
    ptx_parse_items(&P);
    ptx_parser_free(&P);
    return m;
}
