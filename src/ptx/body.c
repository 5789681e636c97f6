/* body.c — function bodies: statements, register declarations, labels,
 * nested scopes, instructions and their operands. */
#include "ptx/ptx_int.h"

#include <stdlib.h>

#define LX (&P->L)
#define A (&P->m->arena)

static inline void next(ptx_parser *P) { ptx_lex_step(LX); }

static void expect(ptx_parser *P, int c, const char *what)
{
    if (LX->t.k != c) ptx_lex_expected(LX, what);
    next(P);
}

/* ---- operands ------------------------------------------------------------ */

static void parse_operand(ptx_parser *P, ptx_operand *o);

/* Parses elements up to `close` into an arena array (uses P->ops as a
 * stack so nested lists need no malloc). */
static ptx_operand *parse_list(ptx_parser *P, int close, const char *what,
                               uint32_t *n, bool allow_empty)
{
    size_t base = P->ops.n;
    if (LX->t.k == close && allow_empty) {
        next(P);
        *n = 0;
        return NULL;
    }
    for (;;) {
        ptx_operand o;
        parse_operand(P, &o);
        nt_vec_push(&P->ops, o);
        if (LX->t.k == ',') { next(P); continue; }
        if (LX->t.k == close) { next(P); break; }
        ptx_lex_expected(LX, what);
    }
    size_t cnt = P->ops.n - base;
    if (cnt > PTX_OPND_MAXLEN) ptx_lex_fail(LX, NULL, "more than %u operands in a list", PTX_OPND_MAXLEN);
    ptx_operand *v = ptx_alloc(A, cnt * sizeof *v);
    memcpy(v, P->ops.v + base, cnt * sizeof *v);
    P->ops.n = base;
    *n = (uint32_t)cnt;
    return v;
}

static void parse_name_operand(ptx_parser *P, ptx_operand *o)
{
    ptx_tok t = LX->t;
    memset(o, 0, sizeof *o);
    o->reg = PTX_NOREG;
    if (t.n == 1 && t.s[0] == '_') {
        o->kind = PTX_OPND_SINK;
        next(P);
        return;
    }
    uint32_t id = ptx_regtab_find8(&P->rt, t.s, t.n, LX->end);
    if (id != PTX_NOREG) {
        o->kind = PTX_OPND_REG;
        o->reg = id;
    } else if (t.s[0] == '%') {
        uint32_t r;
        uint8_t comp;
        if (!ptx_sreg_find(t.s, t.n, &r, &comp))
            ptx_lex_fail(LX, &t, "undeclared register");
        o->kind = PTX_OPND_SREG;
        o->reg = r;
        o->comp = comp;
    } else {
        if (t.n > PTX_OPND_MAXLEN)
            ptx_lex_fail(LX, &t, "name longer than %u bytes", PTX_OPND_MAXLEN);
        o->kind = PTX_OPND_SYM;
        ptx_opnd_set_name(o, tok_str(&t));
        P->sym_seen = true;
    }
    next(P);
}

/* end (may be NULL): where the offset's last token ends */
static int64_t parse_offset(ptx_parser *P, const char **end)
{
    bool neg = false;
    if (LX->t.k == '-') { neg = true; next(P); }
    ptx_operand n;
    if (LX->t.k != T_NUM || !ptx_number(LX->t.s, LX->t.n, neg, &n) || n.kind != PTX_OPND_IMM)
        ptx_lex_expected(LX, "integer offset");
    if (end) *end = LX->t.s + LX->t.n;
    next(P);
    return n.i;
}

static void parse_addr(ptx_parser *P, ptx_operand *o)
{
    next(P);   /* '[' */
    ptx_operand first;
    /* a name base is taken alone: "sym+4" here is base and offset */
    if (LX->t.k == T_WORD && LX->t.s[0] != '.') parse_name_operand(P, &first);
    else parse_operand(P, &first);
    memset(o, 0, sizeof *o);
    o->kind = PTX_OPND_ADDR;
    o->reg = PTX_NOREG;
    if (LX->t.k == ',') {
        /* "[tex, {x, y}]": a list */
        size_t base = P->ops.n;
        nt_vec_push(&P->ops, first);
        while (LX->t.k == ',') {
            next(P);
            ptx_operand e;
            parse_operand(P, &e);
            nt_vec_push(&P->ops, e);
        }
        expect(P, ']', "']' closing the address");
        size_t cnt = P->ops.n - base;
        if (cnt > PTX_OPND_MAXLEN) ptx_lex_fail(LX, NULL, "more than %u operands in a list", PTX_OPND_MAXLEN);
        ptx_operand *e = ptx_alloc(A, cnt * sizeof *e);
        memcpy(e, P->ops.v + base, cnt * sizeof *e);
        P->ops.n = base;
        ptx_opnd_set_elems(o, e, (uint32_t)cnt);
        o->flags |= PTX_OPF_ALIST;
        return;
    }
    int64_t off = 0;
    ptx_str sym = {"", 0};
    switch (first.kind) {
    case PTX_OPND_REG:
        o->reg = first.reg;
        break;
    case PTX_OPND_SYM:
        sym = ptx_opnd_name(&first);
        break;
    case PTX_OPND_IMM:
        off = first.i;
        break;
    default:
        ptx_lex_fail(LX, NULL, "expected a register, a name or an integer as address base");
    }
    if (first.kind != PTX_OPND_IMM) {
        if (LX->t.k == '+') { next(P); off = parse_offset(P, NULL); }
        else if (LX->t.k == '-') { off = parse_offset(P, NULL); }
    }
    if (LX->t.k != ']') ptx_lex_expected(LX, "'+offset' or ']' in address");
    next(P);
    ptx_opnd_set_addr(A, o, sym, off);
}

static void parse_operand(ptx_parser *P, ptx_operand *o)
{
    switch (LX->t.k) {
    case T_WORD:
        if (LX->t.s[0] == '.') ptx_lex_expected(LX, "an operand");
        parse_name_operand(P, o);
        if (LX->t.k == '|') {
            next(P);
            /* a name must follow (at the end of the text the token is
             * empty: reading it overran the buffer; found by fuzz_parse) */
            if (LX->t.k != T_WORD || LX->t.s[0] == '.') ptx_lex_expected(LX, "a register after '|'");
            ptx_operand *pr = ptx_alloc(A, 2 * sizeof *pr);
            pr[0] = *o;
            parse_name_operand(P, &pr[1]);
            memset(o, 0, sizeof *o);
            o->kind = PTX_OPND_PAIR;
            o->reg = PTX_NOREG;
            ptx_opnd_set_elems(o, pr, 2);
        } else if (o->kind == PTX_OPND_SYM && (LX->t.k == '+' || LX->t.k == '-')) {
            /* sym+offset outside brackets: kept as an expression, whose
             * text ends at the offset (a comment before the next token
             * would swallow the rest of the line when printed; fuzz_parse) */
            const char *s = o->name_, *e;
            if (LX->t.k == '+') next(P);
            (void)parse_offset(P, &e);
            ptx_str x = {s, (uint32_t)(e - s)};
            if (x.n > PTX_OPND_MAXLEN)
                ptx_lex_fail(LX, NULL, "expression longer than %u bytes", PTX_OPND_MAXLEN);
            o->kind = PTX_OPND_EXPR;
            ptx_opnd_set_name(o, x);
        }
        return;
    case T_NUM:
    case '-': {
        bool neg = LX->t.k == '-';
        if (neg) next(P);
        if (LX->t.k != T_NUM || !ptx_number(LX->t.s, LX->t.n, neg, o))
            ptx_lex_expected(LX, "a number");
        next(P);
        return;
    }
    case '!':
        next(P);
        parse_operand(P, o);
        if (o->kind != PTX_OPND_REG && o->kind != PTX_OPND_SYM)
            ptx_lex_fail(LX, NULL, "'!' applies to a predicate register only; operand ends before");
        o->flags |= PTX_OPF_NEG;
        return;
    case '{': {
        next(P);
        uint32_t n;
        ptx_operand *e = parse_list(P, '}', "',' or '}' in vector operand", &n, false);
        memset(o, 0, sizeof *o);
        o->kind = PTX_OPND_VEC;
        o->reg = PTX_NOREG;
        ptx_opnd_set_elems(o, e, n);
        return;
    }
    case '(': {
        next(P);
        uint32_t n;
        ptx_operand *e = parse_list(P, ')', "',' or ')' in operand list", &n, true);
        memset(o, 0, sizeof *o);
        o->kind = PTX_OPND_LIST;
        o->reg = PTX_NOREG;
        ptx_opnd_set_elems(o, e, n);
        return;
    }
    case '[':
        parse_addr(P, o);
        return;
    default:
        ptx_lex_expected(LX, "an operand");
    }
}

/* ---- instructions --------------------------------------------------------- */

static ptx_space space_of_mod(unsigned m)
{
    switch (m) {
    case PTX_MOD_GLOBAL: return PTX_SP_GLOBAL;
    case PTX_MOD_SHARED: case PTX_MOD_SHARED_CTA: return PTX_SP_SHARED;
    case PTX_MOD_SHARED_CLUSTER: return PTX_SP_SHARED_CLUSTER;
    case PTX_MOD_LOCAL: return PTX_SP_LOCAL;
    case PTX_MOD_CONST: return PTX_SP_CONST;
    case PTX_MOD_PARAM: case PTX_MOD_PARAM_ENTRY: case PTX_MOD_PARAM_FUNC: return PTX_SP_PARAM;
    case PTX_MOD_GENERIC: return PTX_SP_GENERIC;
    default: return PTX_SP_NONE;
    }
}

/* Fills op, nmods, type(2), space(2), vec of the record of a dotted name
 * and its modifiers into mods[0..PTX_MAX_MODS). */
static void decode_name(ptx_iname *d, uint8_t *mods)
{
    const char *s = d->name.s, *end = s + d->name.n;
    const char *dot = memchr(s, '.', d->name.n);
    if (!dot) dot = end;
    d->op = (uint16_t)ptx_op_lookup(s, (size_t)(dot - s));
    d->nmods = 0;
    d->type = d->type2 = PTX_T_NONE;
    d->space = d->space2 = PTX_SP_NONE;
    d->vec = 1;
    while (dot < end) {
        const char *p = dot + 1;
        const char *q = memchr(p, '.', (size_t)(end - p));
        if (!q) q = end;
        unsigned m = ptx_mod_lookup(p, (size_t)(q - p));
        if (d->nmods < PTX_MAX_MODS) mods[d->nmods++] = (uint8_t)m;
        if (m >= PTX_MOD_B8 && m <= PTX_MOD_S2F6X2) {
            uint8_t t = (uint8_t)(m - PTX_MOD_B8 + PTX_T_B8);
            if (!d->type) d->type = t;
            else if (!d->type2) d->type2 = t;
        } else if (m == PTX_MOD_V2 || m == PTX_MOD_V4 || m == PTX_MOD_V8) {
            d->vec = (uint8_t)(m == PTX_MOD_V2 ? 2 : m == PTX_MOD_V4 ? 4 : 8);
        } else {
            ptx_space sp = space_of_mod(m);
            if (sp) {
                if (!d->space) d->space = (uint8_t)sp;
                else if (!d->space2) d->space2 = (uint8_t)sp;
            }
        }
        dot = q;
    }
}

/* Hash of an instruction name into a PTX_NC_SLOTS slot (8 bytes a step).
 * s..s+n lies inside the text, which ends at end: the last step loads 8
 * bytes and masks off what follows the name when the text has them. */
static inline uint32_t name_slot(const char *s, uint32_t n, const char *end)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    uint64_t h = (uint64_t)n * k;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    uint32_t rem = n - i;
    if (rem && end - (s + i) >= 8) {
        memcpy(&w, s + i, 8);
        w &= ~0ull >> (64 - 8 * rem);
    } else {
        for (uint32_t j = 0; j < rem; j++) w |= (uint64_t)(uint8_t)s[i + j] << (8 * j);
    }
    h = (h ^ w) * k;
    return (uint32_t)(h >> 40) & (PTX_NC_SLOTS - 1);
}

/* A new record for name in the module's arena. */
static const ptx_iname *iname_new(ptx_parser *P, ptx_str name)
{
    ptx_iname d;
    uint8_t mods[PTX_MAX_MODS];
    d.name = name;
    decode_name(&d, mods);
    ptx_iname *r = ptx_alloc(A, sizeof d + d.nmods);
    *r = d;
    memcpy(r->mods, mods, d.nmods);
    return r;
}

/* The record of an instruction name: P->nc_slot first, then the map of
 * every name seen (so two names that share a slot still get one record
 * each), else a new one. */
static const ptx_iname *iname_of(ptx_parser *P, ptx_str name)
{
    uint32_t h = name_slot(name.s, name.n, LX->end);
    uint32_t ix = P->nc_slot[h];
    if (ix) {
        const ptx_iname *t = P->decoded.v[ix - 1];
        if (t->name.n == name.n && !memcmp(t->name.s, name.s, name.n)) return t;
    }
    uint64_t v;
    if (nt_map_get(&P->inames, name.s, name.n, &v)) {
        P->nc_slot[h] = (uint16_t)(v + 1);
        return P->decoded.v[v];
    }
    const ptx_iname *r = iname_new(P, name);
    if (P->decoded.n < PTX_NC_MAX) {   /* the index fits nc_slot's uint16_t */
        nt_map_put(&P->inames, r->name.s, r->name.n, P->decoded.n);
        nt_vec_push(&P->decoded, r);
        P->nc_slot[h] = (uint16_t)P->decoded.n;
    }
    return r;
}

/* Copies h and the operands P->ops[base..] into one arena block. */
static ptx_instr *instr_alloc(ptx_parser *P, const ptx_instr *h, size_t base)
{
    size_t cnt = P->ops.n - base;
    if (cnt > 255) ptx_lex_fail(LX, NULL, "more than 255 operands");
    size_t room = cnt + (h->op == PTX_OP_CALL);
    ptx_instr *in = ptx_alloc(A, sizeof *in + room * sizeof(ptx_operand));
    *in = *h;
    in->nops = (uint8_t)cnt;
    if (cnt) memcpy(in->ops, P->ops.v + base, cnt * sizeof(ptx_operand));
    P->ops.n = base;
    return in;
}

/* The instruction is built on the stack and allocated once its operands
 * are known: ops[] lives in the same allocation (a call gets one spare
 * slot, which ptx_call_add_arg may use for a new argument list). */
ptx_instr *ptx_parse_instr(ptx_parser *P)
{
    ptx_instr h, *in = &h;
    memset(in, 0, sizeof *in);
    in->st.kind = PTX_ST_INSTR;
    in->st.line = LX->t.line;
    in->guard = PTX_NOREG;
    if (LX->t.k == '@') {
        next(P);
        if (LX->t.k == '!') { in->guard_neg = 1; next(P); }
        if (LX->t.k != T_WORD) ptx_lex_expected(LX, "a predicate register after '@'");
        ptx_tok g = LX->t;
        in->guard = ptx_regtab_find8(&P->rt, g.s, g.n, LX->end);
        if (in->guard == PTX_NOREG) ptx_lex_fail(LX, &g, "undeclared guard predicate");
        next(P);
    }
    if (LX->t.k != T_WORD || LX->t.s[0] == '.' || LX->t.s[0] == '%')
        ptx_lex_expected(LX, "an instruction");
    const ptx_iname *nm = iname_of(P, tok_str(&LX->t));
    in->iname_ = nm;
    in->op = nm->op;
    in->type = nm->type;
    in->type2 = nm->type2;
    in->space = nm->space;
    in->space2 = nm->space2;
    in->vec = nm->vec;
    next(P);
    size_t base = P->ops.n;
    if (LX->t.k == ';') {
        next(P);
        return instr_alloc(P, in, base);
    }
    for (;;) {
        ptx_operand o;
        parse_operand(P, &o);
        nt_vec_push(&P->ops, o);
        if (LX->t.k == ',') { next(P); continue; }
        if (LX->t.k == ';') { next(P); break; }
        ptx_lex_expected(LX, "',' or ';' after operand");
    }
    in = instr_alloc(P, in, base);
    size_t cnt = in->nops;
    if (in->op == PTX_OP_BRA || in->op == PTX_OP_BRX || in->op == PTX_OP_CALL)
        for (size_t i = 0; i < cnt; i++)
            if (in->ops[i].kind == PTX_OPND_SYM) nt_vec_push(&P->labelrefs, &in->ops[i]);
    return in;
}

/* ---- declarations and statements ------------------------------------------ */

static void add_regset(ptx_parser *P, ptx_regset *rs)
{
    rs->base = P->fn->nregs;
    uint32_t cnt = rs->count ? rs->count : 1;
    if (P->fn->nregs + (uint64_t)cnt >= PTX_NOREG)
        ptx_lex_fail(LX, NULL, "too many registers");
    P->fn->nregs += cnt;
    ptx_regtab_add(&P->rt, rs);
    nt_vec_push(&P->sets, rs);
}

static ptx_stmt *parse_regdecl(ptx_parser *P)
{
    uint32_t line = LX->t.line;
    next(P);   /* .reg */
    uint8_t type = 0, vec = 1;
    uint16_t align = 0;
    while (LX->t.k == T_WORD && LX->t.s[0] == '.') {
        ptx_tok t = LX->t;
        if (tok_is(&t, ".v2") || tok_is(&t, ".v4") || tok_is(&t, ".v8")) { vec = (uint8_t)(t.s[2] - '0'); next(P); }
        else if (tok_is(&t, ".align")) {
            next(P);
            ptx_operand n;
            if (LX->t.k != T_NUM || !ptx_number(LX->t.s, LX->t.n, false, &n) || n.kind != PTX_OPND_IMM)
                ptx_lex_expected(LX, "alignment");
            align = (uint16_t)n.i;
            next(P);
        } else {
            ptx_type ty = ptx_type_lookup(t.s + 1, t.n - 1);
            if (!ty) ptx_lex_fail(LX, &t, "expected a register type");
            type = (uint8_t)ty;
            next(P);
        }
    }
    if (!type) ptx_lex_expected(LX, "a register type after .reg");
    size_t base = P->rsets.n;
    for (;;) {
        if (LX->t.k != T_WORD || LX->t.s[0] == '.') ptx_lex_expected(LX, "register name");
        ptx_regset rs = {tok_str(&LX->t), 0, 0, type, vec, align};
        next(P);
        if (LX->t.k == '<') {
            next(P);
            ptx_operand c;
            if (LX->t.k != T_NUM || !ptx_number(LX->t.s, LX->t.n, false, &c) ||
                c.kind != PTX_OPND_IMM || c.i <= 0 || c.i > 0x7fffffff)
                ptx_lex_expected(LX, "register count");
            rs.count = (uint32_t)c.i;
            next(P);
            expect(P, '>', "'>' after register count");
        }
        nt_vec_push(&P->rsets, rs);
        if (LX->t.k == ',') { next(P); continue; }
        if (LX->t.k == ';') { next(P); break; }
        ptx_lex_expected(LX, "',' or ';' in .reg declaration");
    }
    uint32_t n = (uint32_t)(P->rsets.n - base);
    ptx_regdecl *d = ptx_alloc(A, sizeof *d);
    memset(d, 0, sizeof *d);
    d->st.kind = PTX_ST_REG;
    d->st.line = line;
    d->nsets = n;
    d->sets = ptx_alloc(A, n * sizeof *d->sets);
    for (uint32_t i = 0; i < n; i++) {
        d->sets[i] = P->rsets.v[base + i];
        add_regset(P, &d->sets[i]);
    }
    P->rsets.n = base;
    return &d->st;
}

static void add_label_name(ptx_parser *P, ptx_str name, ptx_stmt *s)
{
    nt_map_put(&P->labels, name.s, name.n, (uint64_t)(uintptr_t)s);
}

static ptx_stmt *parse_after_label(ptx_parser *P, ptx_str name, uint32_t line)
{
    ptx_tok t = LX->t;
    if (tok_is(&t, ".branchtargets") || tok_is(&t, ".calltargets")) {
        ptx_targets *tg = nt_arena_zalloc(A, sizeof *tg);
        tg->st.kind = PTX_ST_TARGETS;
        tg->st.line = line;
        tg->calltargets = t.s[1] == 'c';
        tg->label = name;
        next(P);
        size_t base = P->strs.n;
        for (;;) {
            if (LX->t.k != T_WORD || LX->t.s[0] == '.') ptx_lex_expected(LX, "a target name");
            nt_vec_push(&P->strs, tok_str(&LX->t));
            next(P);
            if (LX->t.k == ',') { next(P); continue; }
            if (LX->t.k == ';') { next(P); break; }
            ptx_lex_expected(LX, "',' or ';' in target list");
        }
        tg->n = (uint32_t)(P->strs.n - base);
        tg->names = ptx_alloc(A, tg->n * sizeof *tg->names);
        memcpy(tg->names, P->strs.v + base, tg->n * sizeof *tg->names);
        P->strs.n = base;
        add_label_name(P, name, &tg->st);
        return &tg->st;
    }
    if (tok_is(&t, ".callprototype")) {
        ptx_proto *pr = nt_arena_zalloc(A, sizeof *pr);
        pr->st.kind = PTX_ST_PROTO;
        pr->st.line = line;
        pr->label = name;
        ptx_func *sig = nt_arena_zalloc(A, sizeof *sig);
        ptx_block_init(&sig->body);
        next(P);
        if (LX->t.k == '(') { sig->has_rets = 1; sig->nrets = ptx_parse_params(P, &sig->rets); }
        if (!(LX->t.k == T_WORD && LX->t.n == 1 && LX->t.s[0] == '_'))
            ptx_lex_expected(LX, "'_' in .callprototype");
        next(P);
        if (LX->t.k == '(') sig->nparams = ptx_parse_params(P, &sig->params);
        if (tok_is(&LX->t, ".noreturn")) { sig->noreturn = 1; next(P); }
        expect(P, ';', "';' after .callprototype");
        pr->sig = sig;
        add_label_name(P, name, &pr->st);
        return &pr->st;
    }
    ptx_label *lb = ptx_alloc(A, sizeof *lb);
    memset(lb, 0, sizeof *lb);
    lb->st.kind = PTX_ST_LABEL;
    lb->st.line = line;
    lb->name = name;
    add_label_name(P, name, &lb->st);
    return &lb->st;
}

static void parse_block(ptx_parser *P, ptx_block *blk);

static ptx_stmt *parse_stmt(ptx_parser *P)
{
    ptx_tok t = LX->t;
    switch (t.k) {
    case '{': {
        ptx_scope *sc = ptx_alloc(A, sizeof *sc);
        memset(sc, 0, sizeof *sc);
        sc->st.kind = PTX_ST_SCOPE;
        sc->st.line = t.line;
        ptx_block_init(&sc->body);
        next(P);
        ptx_rmark mk = ptx_regtab_mark(&P->rt);
        parse_block(P, &sc->body);
        ptx_regtab_pop(&P->rt, mk);
        return &sc->st;
    }
    case '@':
        return &ptx_parse_instr(P)->st;
    case T_WORD:
        break;
    default:
        ptx_lex_expected(LX, "a statement (instruction, label, declaration or '}')");
    }
    if (t.s[0] == '.') {
        if (tok_is(&t, ".reg")) return parse_regdecl(P);
        if (tok_is(&t, ".loc")) {
            ptx_dir *d = ptx_new_dir(P, PTX_DIR_LOC, t.s, t.s + t.n, t.line);
            next(P);
            ptx_parse_loc(P, d);
            return &d->st;
        }
        if (tok_is(&t, ".pragma")) {
            ptx_dir *d = ptx_new_dir(P, PTX_DIR_PRAGMA, t.s, t.s + t.n, t.line);
            next(P);
            ptx_parse_to_semicolon(P, d);
            return &d->st;
        }
        if (tok_is(&t, ".local") || tok_is(&t, ".shared") || tok_is(&t, ".param") ||
            tok_is(&t, ".const") || tok_is(&t, ".global") || tok_is(&t, ".align") ||
            tok_is(&t, ".shared::cta") || tok_is(&t, ".shared::cluster") ||
            tok_is(&t, ".tex") || tok_is(&t, ".extern") || tok_is(&t, ".static")) {
            uint8_t linkage = PTX_LINK_NONE;
            if (tok_is(&t, ".extern")) { linkage = PTX_LINK_EXTERN; next(P); }
            ptx_stmt *firstst = NULL, *lastst = NULL;
            const ptx_var *first = NULL;
            for (;;) {
                ptx_var *v = ptx_parse_var(P, linkage, false, first);
                /* `.align 4 .u32 x;` printed back as `.u32 x;` no longer
                 * parsed (found by fuzz_parse); ptxas wants a space too */
                if (v->space == PTX_SP_NONE)
                    ptx_lex_fail(LX, NULL, "variable '%.*s' needs a state space (.local, .shared, .param, ...)",
                                 (int)v->name.n, v->name.s);
                ptx_vardecl *vd = nt_arena_zalloc(A, sizeof *vd);
                vd->st.kind = PTX_ST_VAR;
                vd->st.line = v->line;
                vd->var = v;
                if (!firstst) firstst = &vd->st;
                else {
                    /* chain extra declarations after the first */
                    vd->st.prev = lastst;
                    lastst->next = &vd->st;
                }
                lastst = &vd->st;
                first = v;
                if (LX->t.k == ',') { next(P); continue; }
                break;
            }
            lastst->next = NULL;
            expect(P, ';', "';' after declaration");
            return firstst;
        }
        ptx_lex_fail(LX, &t, "unknown directive in function body");
    }
    /* label? the raw text right after the word decides */
    const char *q = LX->p;
    while (q < LX->end && (*q == ' ' || *q == '\t')) q++;
    if (q < LX->end && *q == ':' && t.s[0] != '%') {
        next(P);
        next(P);   /* ':' */
        return parse_after_label(P, tok_str(&t), t.line);
    }
    return &ptx_parse_instr(P)->st;
}

static void parse_block(ptx_parser *P, ptx_block *blk)
{
    for (;;) {
        if (LX->t.k == '}') {
            P->body_end = LX->t.s + 1;
            next(P);
            return;
        }
        if (LX->t.k == T_EOF) ptx_lex_expected(LX, "'}' closing the function body");
        P->sym_seen = false;
        ptx_stmt *s = parse_stmt(P);
        /* a scope's statements were collected when parsed */
        bool refs = P->collect && s->kind != PTX_ST_SCOPE &&
                    (P->sym_seen || s->kind == PTX_ST_VAR || s->kind == PTX_ST_TARGETS);
        /* a declaration list comes back as a NULL-terminated chain */
        while (s) {
            ptx_stmt *nx = s->kind == PTX_ST_VAR ? s->next : NULL;
            ptx_block_append(blk, s);
            if (refs) nt_vec_push(&P->refstmts, s);
            s = nx;
        }
    }
}

void ptx_parse_body(ptx_parser *P, ptx_func *fn)
{
    P->fn = fn;
    ptx_regtab_clear(&P->rt);
    if (P->labels.n) {
        memset(P->labels.slots, 0, P->labels.cap * sizeof *P->labels.slots);
        P->labels.n = 0;
    }
    P->labelrefs.n = 0;
    P->sets.n = 0;
    /* parameters of a .func declared with .reg are registers */
    for (uint32_t i = 0; i < fn->nrets + fn->nparams; i++) {
        ptx_var *v = i < fn->nrets ? &fn->rets[i] : &fn->params[i - fn->nrets];
        if (v->space == PTX_SP_REG) {
            ptx_regset *rs = nt_arena_zalloc(A, sizeof *rs);
            rs->name = v->name;
            rs->type = v->type;
            rs->vec = v->vec;
            add_regset(P, rs);
        }
    }
    parse_block(P, &fn->body);
    fn->nsets = fn->sets_cap_ = (uint32_t)P->sets.n;
    fn->sets = ptx_alloc(A, (P->sets.n ? P->sets.n : 1) * sizeof *fn->sets);
    if (P->sets.n) memcpy(fn->sets, P->sets.v, P->sets.n * sizeof *fn->sets);
    for (size_t i = 0; i < P->labelrefs.n; i++) {
        ptx_operand *o = P->labelrefs.v[i];
        ptx_str nm = ptx_opnd_name(o);
        if (nt_map_get(&P->labels, nm.s, nm.n, NULL)) o->kind = PTX_OPND_LABEL;
    }
}
