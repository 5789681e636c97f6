/* check.c — strict checks of a parsed module (ntrace ptx check).
 *
 * ptx_parse accepts what ptxas may accept: unknown instruction names
 * parse (PTX_OP_OTHER, printed verbatim), and names are looked up only
 * where the parser must know them (registers, labels).  That keeps the
 * injector no stricter than ptxas.  ptx_check adds what a user checking
 * a file wants to hear about:
 *   - an instruction whose opcode is not in the PTX ISA table (PTX_OPS,
 *     taken from the PTX ISA 9.0 instruction set);
 *   - a name in an operand (address base [x+4], "mov %rd, x", "x+4",
 *     call arguments, vector elements) that nothing declares: not a
 *     module variable, function or alias, not a parameter of the
 *     function, not a variable, label, prototype or target list declared
 *     in its body.
 * Scoping inside a body is not modelled (a name declared in any nested
 * scope counts), so check never rejects what ptxas takes for that
 * reason. */
#include "ptx/ptx_int.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct ck {
    const ptx_module *m;
    nt_map mod;                  /* module-level names: aliases */
    nt_map local;                /* names declared in the current function */
    void (*report)(void *ctx, const char *msg);
    void *ctx;
    size_t nerr;
    NT_VEC(size_t) lines;        /* offset of each line's start in the
                                    text; built at the first error */
} ck;

static bool in_text(const ptx_module *m, const char *p)
{
    return m->text && p >= m->text && p < m->text + m->len;
}

/* "file:line:col: " of a pointer into the text; line from the
 * statement's line plus the newlines between its start and p. */
static void where(const ck *c, uint32_t line, const char *from, const char *p, char *buf, size_t cap)
{
    if (in_text(c->m, p) && in_text(c->m, from) && from <= p) {
        for (const char *q = from; q < p; q++) line += *q == '\n';
        snprintf(buf, cap, "%s:%u:%u: ", c->m->file, line, ptx_col(c->m->text, p));
    } else {
        snprintf(buf, cap, "%s:%u: ", c->m->file, line);
    }
}

/* Start of (1-based) line `line` of the text, NULL when there is none.
 * An instruction keeps its line, not where it starts: its name is shared
 * with the other instructions of that name (ptx_iname). */
static const char *line_start(ck *c, uint32_t line)
{
    const ptx_module *m = c->m;
    if (!m->text || !line) return NULL;
    if (!c->lines.n) {
        nt_vec_push(&c->lines, 0);
        for (const char *q = m->text, *end = m->text + m->len;
             (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
            nt_vec_push(&c->lines, (size_t)(q + 1 - m->text));
    }
    return line <= c->lines.n ? m->text + c->lines.v[line - 1] : NULL;
}

/* Where an instruction's name is written: the first time it occurs from
 * the start of its line on (NULL if not found). */
static const char *instr_at(ck *c, const ptx_instr *in)
{
    const char *from = line_start(c, in->st.line);
    ptx_str nm = ptx_instr_name(in);
    if (!from || !nm.n) return NULL;
    return memmem(from, (size_t)(c->m->text + c->m->len - from), nm.s, nm.n);
}

static void error(ck *c, uint32_t line, const char *from, const char *p, const char *fmt, ...)
    NT_PRINTF(5, 6);
static void error(ck *c, uint32_t line, const char *from, const char *p, const char *fmt, ...)
{
    char msg[768];
    where(c, line, from, p, msg, sizeof msg);
    size_t n = strlen(msg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - n, fmt, ap);
    va_end(ap);
    c->nerr++;
    if (c->report) c->report(c->ctx, msg);
}

static void put(nt_map *map, ptx_str s)
{
    if (s.n) nt_map_put(map, s.s, s.n, 1);
}

static void declare_block(ck *c, const ptx_block *b)
{
    ptx_block_foreach(b, s) {
        switch (s->kind) {
        case PTX_ST_VAR: put(&c->local, ((const ptx_vardecl *)s)->var->name); break;
        case PTX_ST_LABEL: put(&c->local, ((const ptx_label *)s)->name); break;
        case PTX_ST_PROTO: put(&c->local, ((const ptx_proto *)s)->label); break;
        case PTX_ST_TARGETS: put(&c->local, ((const ptx_targets *)s)->label); break;
        case PTX_ST_SCOPE: declare_block(c, &((const ptx_scope *)s)->body); break;
        default: break;
        }
    }
}

static bool known(const ck *c, ptx_str s)
{
    uint64_t v;
    return nt_map_get(&c->local, s.s, s.n, &v) || nt_map_get(&c->m->vars, s.s, s.n, &v) ||
           nt_map_get(&c->m->funcs, s.s, s.n, &v) || nt_map_get(&c->mod, s.s, s.n, &v);
}

/* The name an EXPR operand starts with ("x" of "x+4"). */
static ptx_str expr_name(ptx_str t)
{
    uint32_t i = 0;
    while (i < t.n && t.s[i] != '+' && t.s[i] != '-' && t.s[i] != ' ' && t.s[i] != '\t') i++;
    return (ptx_str){t.s, i};
}

static void check_op(ck *c, const ptx_instr *in, const ptx_operand *o, bool in_addr)
{
    ptx_str name = {0};
    switch (o->kind) {
    case PTX_OPND_SYM: name = ptx_opnd_name(o); break;
    case PTX_OPND_EXPR: name = expr_name(ptx_opnd_name(o)); break;
    case PTX_OPND_ADDR:
        if (o->flags & PTX_OPF_ALIST) {
            for (uint32_t i = 0; i < ptx_opnd_count(o); i++) check_op(c, in, ptx_opnd_elem(o, i), true);
            return;
        }
        if (o->reg == PTX_NOREG) name = ptx_opnd_name(o);
        in_addr = true;
        break;
    case PTX_OPND_VEC:
    case PTX_OPND_LIST:
    case PTX_OPND_PAIR:
        for (uint32_t i = 0; i < ptx_opnd_count(o); i++) check_op(c, in, ptx_opnd_elem(o, i), in_addr);
        return;
    default:
        return;
    }
    if (!name.n || known(c, name)) return;
    error(c, in->st.line, line_start(c, in->st.line), name.s,
          in_addr ? "undeclared name '%.*s' in address; expected a variable or parameter "
                    "declared in the module or the function"
                  : "undeclared name '%.*s'; expected a variable, parameter, function or "
                    "label declared in the module or the function",
          (int)name.n, name.s);
}

static void check_block(ck *c, const ptx_block *b)
{
    ptx_block_foreach(b, s) {
        if (s->kind == PTX_ST_SCOPE) {
            check_block(c, &((const ptx_scope *)s)->body);
            continue;
        }
        if (s->kind != PTX_ST_INSTR) continue;
        const ptx_instr *in = (const ptx_instr *)s;
        if (in->op == PTX_OP_OTHER) {
            ptx_str nm = ptx_instr_name(in);
            const char *d = memchr(nm.s, '.', nm.n);
            int n = d ? (int)(d - nm.s) : (int)nm.n;
            const char *at = instr_at(c, in);
            error(c, in->st.line, at, at,
                  "unknown instruction '%.*s' (opcode '%.*s'); expected an opcode of the PTX ISA "
                  "(add, ld, mma, ...)",
                  (int)nm.n, nm.s, n, nm.s);
        }
        for (unsigned i = 0; i < in->nops; i++) check_op(c, in, &in->ops[i], false);
    }
}

size_t ptx_check(const ptx_module *m, void (*report)(void *ctx, const char *msg), void *ctx)
{
    ck c = {.m = m, .report = report, .ctx = ctx};
    put(&c.mod, (ptx_str){"WARP_SZ", 7});   /* the ISA's predefined identifier */
    ptx_block_foreach(&m->items, s)
        if (s->kind == PTX_ST_ALIAS) put(&c.mod, ((const ptx_alias *)s)->alias);
    ptx_block_foreach(&m->items, s) {
        if (s->kind != PTX_ST_FUNC) continue;
        const ptx_func *fn = ((const ptx_funcitem *)s)->fn;
        if (!fn->has_body) continue;
        nt_map_free(&c.local);
        memset(&c.local, 0, sizeof c.local);
        for (uint32_t i = 0; i < fn->nparams; i++) put(&c.local, fn->params[i].name);
        for (uint32_t i = 0; i < fn->nrets; i++) put(&c.local, fn->rets[i].name);
        declare_block(&c, &fn->body);
        check_block(&c, &fn->body);
    }
    nt_map_free(&c.local);
    nt_map_free(&c.mod);
    nt_vec_free(&c.lines);
    return c.nerr;
}
