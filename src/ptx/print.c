/* print.c — IR back to PTX text.
 *
 * Invariant (tested): parsing the printed text gives the same IR, and
 * printing that again gives the same text. */
#include "ptx/ptx_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Appends in place while the builder has room (nt_sb's fields are public:
 * s holds cap bytes, len of them used plus the NUL), else through
 * nt_sb_put, which grows it.  Printing is mostly many short appends, so
 * this saves a call per piece. */
static inline void put(nt_sb *o, const char *s, size_t n)
{
    if (o->cap - o->len > n) {
        memcpy(o->s + o->len, s, n);
        o->len += n;
        o->s[o->len] = 0;
    } else {
        nt_sb_put(o, s, n);
    }
}
static inline void putc_(nt_sb *o, char c)
{
    if (o->cap - o->len > 1) {
        o->s[o->len++] = c;
        o->s[o->len] = 0;
    } else {
        nt_sb_putc(o, c);
    }
}
static inline void puts_(nt_sb *o, const char *s) { put(o, s, strlen(s)); }
static inline void putstr(nt_sb *o, ptx_str s) { put(o, s.s, s.n); }

/* Writes v in decimal at d (room for 20 digits); returns the length. */
static unsigned fmt_u64(char *d, uint64_t v)
{
    /* two digits per division (by a constant: a multiply) */
    static const char d2[201] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    /* digit count: register numbers are mostly below 10^4 */
    unsigned n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
    for (uint64_t t = v / 100000; t; t /= 10) n++;
    unsigned i = n;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        i -= 2;
        d[i] = d2[2 * r];
        d[i + 1] = d2[2 * r + 1];
    }
    if (v >= 10) {
        d[i - 2] = d2[2 * v];
        d[i - 1] = d2[2 * v + 1];
    } else {
        d[i - 1] = (char)('0' + v);
    }
    return n;
}

static void put_u64(nt_sb *o, uint64_t v)
{
    /* in place when the builder has room for the longest number */
    if (o->cap - o->len > 21) {
        o->len += fmt_u64(o->s + o->len, v);
        o->s[o->len] = 0;
    } else {
        char tmp[24];
        put(o, tmp, fmt_u64(tmp, v));
    }
}

static void put_i64(nt_sb *o, int64_t v)
{
    if (v < 0) { putc_(o, '-'); put_u64(o, 0 - (uint64_t)v); }
    else put_u64(o, (uint64_t)v);
}

/* ---- register names ----
 * Printing a function formats each register's name once: a body names
 * its registers again and again, and the set lookup (a binary search)
 * plus the number formatting were a third of the printer's time.  rn[id]
 * holds the text of register id (n == 0: not formatted yet; RN_LONG: too
 * long for the slot, printed the slow way).  The table lives for one
 * ptx_print_func call, so nothing can go stale. */
#define RN_LONG 0xff
typedef struct rname { char s[15]; uint8_t n; } rname;

typedef struct pctx {
    const ptx_func *fn;     /* function being printed (NULL: module level) */
    rname *rn;              /* nrn slots, or NULL: no table */
    uint32_t nrn;           /* min(fn->nregs, RN_MAX) */
} pctx;

/* A function may declare billions of registers (`%r<2000000000>`) and
 * use a few: the table covers the first RN_MAX (16 MiB), the rest print
 * the slow way. */
#define RN_MAX (1u << 20)

static void put_reg_slow(nt_sb *o, const ptx_func *fn, uint32_t id)
{
    const ptx_regset *s = fn ? ptx_reg_set_of(fn, id) : NULL;
    if (!s) { puts_(o, "%<bad-reg>"); return; }
    putstr(o, s->name);
    if (s->count) put_u64(o, id - s->base);
}

/* Formats slot id of c->rn (a known register). */
static void rname_fill(const pctx *c, uint32_t id, rname *r)
{
    const ptx_regset *s = ptx_reg_set_of(c->fn, id);
    char num[24];
    unsigned k = s->count ? fmt_u64(num, id - s->base) : 0;
    if (s->name.n + k > sizeof r->s) { r->n = RN_LONG; return; }
    memcpy(r->s, s->name.s, s->name.n);
    memcpy(r->s + s->name.n, num, k);
    r->n = (uint8_t)(s->name.n + k);
}

static inline void put_reg(nt_sb *o, const pctx *c, uint32_t id)
{
    if (!c->rn || id >= c->nrn) { put_reg_slow(o, c->fn, id); return; }
    rname *r = &c->rn[id];
    if (!r->n) rname_fill(c, id, r);
    if (r->n == RN_LONG) { put_reg_slow(o, c->fn, id); return; }
    if (o->cap - o->len > sizeof r->s) {
        memcpy(o->s + o->len, r->s, sizeof r->s);   /* whole slot: a fixed-size copy */
        o->len += r->n;
        o->s[o->len] = 0;
    } else {
        put(o, r->s, r->n);
    }
}

static void put_imm(nt_sb *o, const ptx_operand *op)
{
    uint64_t v = (uint64_t)op->i;
    bool neg = op->i < 0 && !(op->flags & PTX_OPF_HEX && op->flags & PTX_OPF_UNS);
    char b[80];
    int n;
    if (op->flags & (PTX_OPF_HEX | PTX_OPF_OCT | PTX_OPF_BIN)) {
        uint64_t a = neg ? 0 - v : v;
        if (op->flags & PTX_OPF_HEX) n = snprintf(b, sizeof b, "%s0x%" PRIX64, neg ? "-" : "", a);
        else if (op->flags & PTX_OPF_OCT) n = snprintf(b, sizeof b, "%s0%" PRIo64, neg ? "-" : "", a);
        else {
            int k = 0;
            char bits[65];
            do { bits[k++] = (char)('0' + (a & 1)); a >>= 1; } while (a);
            n = snprintf(b, sizeof b, "%s0b", neg ? "-" : "");
            while (k) b[n++] = bits[--k];
            b[n] = 0;
        }
        put(o, b, (size_t)n);
    } else {
        put_i64(o, op->i);
    }
    if (op->flags & PTX_OPF_UNS) putc_(o, 'U');
}

static void put_f64(nt_sb *o, uint64_t bits, bool dec)
{
    char b[48];
    int n;
    if (dec) {
        double d;
        memcpy(&d, &bits, sizeof d);
        n = snprintf(b, sizeof b, "%.17g", d);
        if (!strpbrk(b, ".eEni")) { b[n++] = '.'; b[n++] = '0'; b[n] = 0; }
    } else {
        n = snprintf(b, sizeof b, "0d%016" PRIX64, bits);
    }
    put(o, b, (size_t)n);
}

static void print_operand(const pctx *c, const ptx_operand *op, nt_sb *o)
{
    if (op->flags & PTX_OPF_NEG) putc_(o, '!');
    switch (op->kind) {
    case PTX_OPND_REG:
        put_reg(o, c, op->reg);
        break;
    case PTX_OPND_SREG: {
        uint32_t s = op->reg & 0xffff;
        if (s < PTX_SREG_COUNT_) puts_(o, ptx_sreg_names[s]);
        if (s == PTX_SREG_PM || s == PTX_SREG_ENVREG || s == PTX_SREG_PM_64) {
            if (s == PTX_SREG_PM_64) o->len -= 3, o->s[o->len] = 0;  /* "%pm_64" -> "%pm" */
            put_u64(o, op->reg >> 16);
            if (s == PTX_SREG_PM_64) puts_(o, "_64");
        }
        if (op->comp) { putc_(o, '.'); putc_(o, "xyzw"[op->comp - 1]); }
        break;
    }
    case PTX_OPND_IMM:
        put_imm(o, op);
        break;
    case PTX_OPND_F32: {
        char b[16];
        int n = snprintf(b, sizeof b, "0f%08" PRIX32, (uint32_t)op->bits);
        put(o, b, (size_t)n);
        break;
    }
    case PTX_OPND_F64:
        put_f64(o, op->bits, op->flags & PTX_OPF_DEC);
        break;
    case PTX_OPND_SYM:
    case PTX_OPND_LABEL:
    case PTX_OPND_EXPR:
        putstr(o, ptx_opnd_name(op));
        break;
    case PTX_OPND_ADDR: {
        putc_(o, '[');
        int64_t off = ptx_opnd_off(op);
        ptx_str sym = ptx_opnd_name(op);
        if (op->flags & PTX_OPF_ALIST) {
            for (uint32_t i = 0; i < ptx_opnd_count(op); i++) {
                if (i) put(o, ", ", 2);
                print_operand(c, ptx_opnd_elem(op, i), o);
            }
        } else if (op->reg != PTX_NOREG) {
            put_reg(o, c, op->reg);
            if (off) { putc_(o, '+'); put_i64(o, off); }
        } else if (sym.n) {
            putstr(o, sym);
            if (off) { putc_(o, '+'); put_i64(o, off); }
        } else {
            put_i64(o, off);
        }
        putc_(o, ']');
        break;
    }
    case PTX_OPND_VEC:
    case PTX_OPND_LIST:
        putc_(o, op->kind == PTX_OPND_VEC ? '{' : '(');
        for (uint32_t i = 0; i < ptx_opnd_count(op); i++) {
            if (i) put(o, ", ", 2);
            print_operand(c, ptx_opnd_elem(op, i), o);
        }
        putc_(o, op->kind == PTX_OPND_VEC ? '}' : ')');
        break;
    case PTX_OPND_PAIR:
        print_operand(c, ptx_opnd_elem(op, 0), o);
        putc_(o, '|');
        print_operand(c, ptx_opnd_elem(op, 1), o);
        break;
    case PTX_OPND_SINK:
        putc_(o, '_');
        break;
    default:
        puts_(o, "<?>");
    }
}

void ptx_print_operand(const ptx_func *fn, const ptx_operand *op, nt_sb *o)
{
    print_operand(&(pctx){fn, NULL, 0}, op, o);
}

static void print_instr(const pctx *c, const ptx_instr *in, nt_sb *o)
{
    if (in->guard != PTX_NOREG) {
        putc_(o, '@');
        if (in->guard_neg) putc_(o, '!');
        put_reg(o, c, in->guard);
        putc_(o, ' ');
    }
    putstr(o, ptx_instr_name(in));
    for (unsigned i = 0; i < in->nops; i++) {
        put(o, i ? ", " : " ", i ? 2 : 1);
        print_operand(c, &in->ops[i], o);
    }
    putc_(o, ';');
}

void ptx_print_instr(const ptx_func *fn, const ptx_instr *in, nt_sb *o)
{
    print_instr(&(pctx){fn, NULL, 0}, in, o);
}

static const char *space_name(unsigned sp)
{
    static const char *const n[PTX_SP_COUNT_] = {
        "", ".reg", ".sreg", ".global", ".shared", ".shared::cluster",
        ".local", ".const", ".param", ".tex", ".generic"
    };
    return sp < PTX_SP_COUNT_ ? n[sp] : "";
}

static const char *linkage_name(unsigned l)
{
    static const char *const n[] = {"", ".visible ", ".extern ", ".weak ", ".common "};
    return l < 5 ? n[l] : "";
}

void ptx_print_var(const ptx_var *v, bool param, nt_sb *o)
{
    puts_(o, linkage_name(v->linkage));
    if (v->space) {
        puts_(o, space_name(v->space));
        if (v->const_bank >= 0) { putc_(o, '['); put_u64(o, (uint64_t)v->const_bank); putc_(o, ']'); }
        putc_(o, ' ');
    }
    if (v->attrs.n) { putstr(o, v->attrs); putc_(o, ' '); }
    if (v->align) { puts_(o, ".align "); put_u64(o, v->align); putc_(o, ' '); }
    if (v->vec > 1) { puts_(o, ".v"); put_u64(o, v->vec); putc_(o, ' '); }
    putc_(o, '.');
    puts_(o, ptx_type_names[v->type < PTX_T_COUNT_ ? v->type : 0]);
    putc_(o, ' ');
    if (v->ptr.present) {
        puts_(o, ".ptr ");
        if (v->ptr.space) { puts_(o, space_name(v->ptr.space)); putc_(o, ' '); }
        if (v->ptr.align) { puts_(o, ".align "); put_u64(o, v->ptr.align); putc_(o, ' '); }
    }
    putstr(o, v->name);
    for (unsigned i = 0; i < v->ndims; i++) {
        putc_(o, '[');
        if (v->dims[i]) put_u64(o, v->dims[i]);
        putc_(o, ']');
    }
    if (!param && v->has_init) { put(o, " = ", 3); putstr(o, v->init_text); }
}

static void print_params(const ptx_var *p, uint32_t n, nt_sb *o, bool multiline)
{
    putc_(o, '(');
    for (uint32_t i = 0; i < n; i++) {
        if (multiline) put(o, "\n\t", 2);
        ptx_print_var(&p[i], true, o);
        if (i + 1 < n) putc_(o, ',');
    }
    if (multiline && n) putc_(o, '\n');
    putc_(o, ')');
}

static void indent(nt_sb *o, int depth)
{
    for (int i = 0; i < depth; i++) putc_(o, '\t');
}

static void print_stmt(const ptx_module *m, const pctx *c, const ptx_stmt *s,
                       int depth, nt_sb *o);

static void print_block(const ptx_module *m, const pctx *c,
                        const ptx_block *b, int depth, nt_sb *o)
{
    ptx_block_foreach(b, s) print_stmt(m, c, s, depth, o);
}

void ptx_print_stmt(const ptx_module *m, const ptx_func *fn,
                    const ptx_stmt *s, int depth, nt_sb *o)
{
    print_stmt(m, &(pctx){fn, NULL, 0}, s, depth, o);
}

static void print_stmt(const ptx_module *m, const pctx *c, const ptx_stmt *s,
                       int depth, nt_sb *o)
{
    const ptx_func *fn = c->fn;
    switch (s->kind) {
    case PTX_ST_INSTR:
        indent(o, depth);
        print_instr(c, (const ptx_instr *)s, o);
        break;
    case PTX_ST_LABEL:
        putstr(o, ((const ptx_label *)s)->name);
        putc_(o, ':');
        break;
    case PTX_ST_SCOPE:
        indent(o, depth);
        put(o, "{\n", 2);
        print_block(m, c, &((const ptx_scope *)s)->body, depth + 1, o);
        indent(o, depth);
        putc_(o, '}');
        break;
    case PTX_ST_REG: {
        const ptx_regdecl *d = (const ptx_regdecl *)s;
        indent(o, depth);
        puts_(o, ".reg ");
        const ptx_regset *r0 = &d->sets[0];
        if (r0->align) { puts_(o, ".align "); put_u64(o, r0->align); putc_(o, ' '); }
        if (r0->vec > 1) { puts_(o, ".v"); put_u64(o, r0->vec); putc_(o, ' '); }
        putc_(o, '.');
        puts_(o, ptx_type_names[r0->type < PTX_T_COUNT_ ? r0->type : 0]);
        for (uint32_t i = 0; i < d->nsets; i++) {
            put(o, i ? ", " : " ", i ? 2 : 1);
            putstr(o, d->sets[i].name);
            if (d->sets[i].count) {
                putc_(o, '<');
                put_u64(o, d->sets[i].count);
                putc_(o, '>');
            }
        }
        putc_(o, ';');
        break;
    }
    case PTX_ST_VAR: {
        const ptx_var *v = ((const ptx_vardecl *)s)->var;
        if (fn) indent(o, depth);
        ptx_print_var(v, false, o);
        putc_(o, ';');
        break;
    }
    case PTX_ST_DIR:
        if (fn) indent(o, depth);
        putstr(o, ((const ptx_dir *)s)->text);
        break;
    case PTX_ST_TARGETS: {
        const ptx_targets *t = (const ptx_targets *)s;
        putstr(o, t->label);
        puts_(o, t->calltargets ? ": .calltargets " : ": .branchtargets ");
        for (uint32_t i = 0; i < t->n; i++) {
            if (i) put(o, ", ", 2);
            putstr(o, t->names[i]);
        }
        putc_(o, ';');
        break;
    }
    case PTX_ST_PROTO: {
        const ptx_proto *p = (const ptx_proto *)s;
        indent(o, depth);
        putstr(o, p->label);
        puts_(o, ": .callprototype ");
        if (p->sig->has_rets) { print_params(p->sig->rets, p->sig->nrets, o, false); putc_(o, ' '); }
        putc_(o, '_');
        if (p->sig->nparams || p->sig->params) { putc_(o, ' '); print_params(p->sig->params, p->sig->nparams, o, false); }
        if (p->sig->noreturn) puts_(o, " .noreturn");
        putc_(o, ';');
        break;
    }
    case PTX_ST_FUNC:
        ptx_print_func(m, ((const ptx_funcitem *)s)->fn, o);
        return;
    case PTX_ST_ALIAS: {
        const ptx_alias *a = (const ptx_alias *)s;
        puts_(o, ".alias ");
        putstr(o, a->alias);
        put(o, ", ", 2);
        putstr(o, a->target);
        putc_(o, ';');
        break;
    }
    default:
        break;
    }
    putc_(o, '\n');
}

static void put_dims(nt_sb *o, const char *dir, const uint32_t *d, unsigned n)
{
    puts_(o, dir);
    for (unsigned i = 0; i < n; i++) {
        put(o, i ? ", " : " ", i ? 2 : 1);
        put_u64(o, d[i]);
    }
    putc_(o, '\n');
}

void ptx_print_func(const ptx_module *m, const ptx_func *fn, nt_sb *o)
{
    puts_(o, linkage_name(fn->linkage));
    puts_(o, fn->is_entry ? ".entry " : ".func ");
    if (fn->has_rets) { print_params(fn->rets, fn->nrets, o, false); putc_(o, ' '); }
    putstr(o, fn->name);
    if (fn->nparams || fn->params || fn->is_entry) print_params(fn->params, fn->nparams, o, true);
    putc_(o, '\n');
    if (fn->noreturn) puts_(o, ".noreturn\n");
    if (fn->maxnreg) { puts_(o, ".maxnreg "); put_u64(o, fn->maxnreg); putc_(o, '\n'); }
    if (fn->nmaxntid) put_dims(o, ".maxntid", fn->maxntid, fn->nmaxntid);
    if (fn->nreqntid) put_dims(o, ".reqntid", fn->reqntid, fn->nreqntid);
    if (fn->minnctapersm) { puts_(o, ".minnctapersm "); put_u64(o, fn->minnctapersm); putc_(o, '\n'); }
    if (fn->explicitcluster) puts_(o, ".explicitcluster\n");
    if (fn->nreqnctapercluster) put_dims(o, ".reqnctapercluster", fn->reqnctapercluster, fn->nreqnctapercluster);
    if (fn->maxclusterrank) { puts_(o, ".maxclusterrank "); put_u64(o, fn->maxclusterrank); putc_(o, '\n'); }
    for (uint32_t i = 0; i < fn->nextra; i++) { putstr(o, fn->extra[i]); putc_(o, '\n'); }
    if (!fn->has_body) { put(o, ";\n", 2); return; }
    put(o, "{\n", 2);
    pctx c = {fn, NULL, NT_MIN(fn->nregs, RN_MAX)};
    if (c.nrn) c.rn = nt_xcalloc(c.nrn, sizeof *c.rn);
    print_block(m, &c, &fn->body, 1, o);
    free(c.rn);
    put(o, "}\n", 2);
}

void ptx_print(const ptx_module *m, nt_sb *o)
{
    ptx_block_foreach(&m->items, s) print_stmt(m, &(pctx){NULL, NULL, 0}, s, 0, o);
}
