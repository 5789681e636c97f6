/* ir.c — the probe IR: types, construction helpers, layout, dump. */
#include "probe/probe_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const type_names[PRB_NTYPES] = {
    "u32", "u64", "s32", "s64", "f32", "f64", "pred"
};

const char *prb_type_name(prb_type t)
{
    return (unsigned)t < PRB_NTYPES ? type_names[t] : "?";
}

int prb_type_parse(const char *s)
{
    for (int i = 0; i < PRB_NTYPES; i++)
        if (!strcmp(s, type_names[i])) return i;
    return -1;
}

unsigned prb_type_size(prb_type t)
{
    switch (t) {
    case PRB_U32: case PRB_S32: case PRB_F32: return 4;
    case PRB_PRED: return 1;
    default: return 8;
    }
}

bool prb_type_is_int(prb_type t) { return t <= PRB_S64; }
bool prb_type_is_signed(prb_type t) { return t == PRB_S32 || t == PRB_S64; }
bool prb_type_is_float(prb_type t) { return t == PRB_F32 || t == PRB_F64; }

const char *const prb_sreg_names[PRB_NSREGS] = {
    "clock", "clock64", "globaltimer", "smid", "warpid", "laneid",
    "tid.x", "tid.y", "tid.z", "ntid.x", "ntid.y", "ntid.z",
    "ctaid.x", "ctaid.y", "ctaid.z", "nctaid.x", "nctaid.y", "nctaid.z",
    "thread_linear", "block_linear", "warp_linear", "global_warp_linear",
    "activemask", "active_lanes",
};

const char *const prb_tparam_names[PRB_NTPARAMS] = {
    "addr", "bytes", "space", "opcode", "guard", "issue_clock", "region",
};

static const char *const opclass_names[PRB_NOPCLASSES] = {
    "other", "load", "store", "atomic", "barrier", "mma", "async_copy",
    "branch", "arith", "control",
};

const char *prb_opclass_name(prb_opclass c)
{
    return (unsigned)c < PRB_NOPCLASSES ? opclass_names[c] : "?";
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

prb_opclass prb_opclass_of(const char *op)
{
    if (has_prefix(op, "ld.") || has_prefix(op, "ldu.") || !strcmp(op, "ld")) return PRB_OC_LOAD;
    if (has_prefix(op, "st.") || !strcmp(op, "st")) return PRB_OC_STORE;
    if (has_prefix(op, "atom.") || has_prefix(op, "red.")) return PRB_OC_ATOMIC;
    if (has_prefix(op, "bar.") || has_prefix(op, "barrier.") || !strcmp(op, "bar")
        || !strcmp(op, "barrier")) return PRB_OC_BARRIER;
    if (has_prefix(op, "mma") || has_prefix(op, "wmma") || has_prefix(op, "wgmma"))
        return PRB_OC_MMA;
    if (has_prefix(op, "cp.async") || has_prefix(op, "cp.reduce.async")) return PRB_OC_ASYNC_COPY;
    if (has_prefix(op, "bra") || has_prefix(op, "brx")) return PRB_OC_BRANCH;
    if (has_prefix(op, "ret") || has_prefix(op, "exit") || has_prefix(op, "call"))
        return PRB_OC_CONTROL;
    static const char *const arith[] = {
        "add", "sub", "mul", "mad", "fma", "div", "rem", "abs", "neg", "min",
        "max", "and", "or", "xor", "not", "shl", "shr", "setp", "selp", "cvt",
        "mov", "set", "slct", "popc", "clz", "brev", "bfe", "bfi", "rcp",
        "sqrt", "rsqrt", "sin", "cos", "lg2", "ex2", "prmt", "shf", "dp4a",
        "dp2a", "testp", "copysign", "tanh", "lop3", "cnot",
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(arith); i++) {
        size_t n = strlen(arith[i]);
        if (!strncmp(op, arith[i], n) && (op[n] == 0 || op[n] == '.'))
            return PRB_OC_ARITH;
    }
    return PRB_OC_OTHER;
}

/* One pattern alternative against the opcode. */
static bool match_one(const char *pat, size_t n, const char *op)
{
    if (n && pat[n - 1] == '*') return strncmp(op, pat, n - 1) == 0;
    if (strncmp(op, pat, n) != 0) return false;
    return op[n] == 0 || op[n] == '.';
}

bool prb_pattern_match(const char *pattern, const char *opcode)
{
    const char *s = pattern;
    for (;;) {
        const char *bar = strchr(s, '|');
        size_t n = bar ? (size_t)(bar - s) : strlen(s);
        if (n && match_one(s, n, opcode)) return true;
        if (!bar) return false;
        s = bar + 1;
    }
}

/* Instruction families a pattern may start with.  Anything else is almost
 * certainly a typo, so it is refused rather than silently matching nothing. */
static const char *const families[] = {
    "ld", "ldu", "st", "atom", "red", "bar", "barrier", "mma", "wmma", "wgmma",
    "cp", "bra", "brx", "call", "ret", "exit", "membar", "fence", "shfl",
    "vote", "tex", "tld4", "suld", "sust", "prefetch", "cvta", "mov", "add",
    "sub", "mul", "mad", "fma", "div", "setp", "selp", "cvt", "ldmatrix",
    "stmatrix", "tcgen05", "mbarrier", "redux", "match", "activemask",
    "nanosleep", "griddepcontrol", "elect", "multimem", "isspacep", "tensormap",
};

int prb_pattern_check(const char *pattern, nt_err *e)
{
    const char *s = pattern;
    if (!*s) return nt_err_set(e, "empty instruction pattern");
    for (;;) {
        const char *bar = strchr(s, '|');
        size_t n = bar ? (size_t)(bar - s) : strlen(s);
        size_t fam = 0;
        while (fam < n && s[fam] != '.' && s[fam] != '*') fam++;
        bool ok = fam > 0;
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
                  || c == '_' || (c == '*' && i == n - 1))) ok = false;
        }
        bool known = false;
        for (size_t i = 0; ok && i < NT_ARRAY_LEN(families); i++)
            if (strlen(families[i]) == fam && !strncmp(s, families[i], fam)) known = true;
        /* "mma*" style: a family prefix followed by '*' */
        if (ok && !known && fam < n && s[fam] == '*')
            for (size_t i = 0; i < NT_ARRAY_LEN(families); i++)
                if (!strncmp(families[i], s, fam)) known = true;
        if (!ok || !known)
            return nt_err_set(e, "unknown instruction pattern '%.*s' (patterns start "
                              "with an instruction family such as ld.global*, st.*, "
                              "atom.*, red.*, bar.sync, barrier.*, mma*, wmma*, "
                              "wgmma*, cp.async*, bra)", (int)n, s);
        if (!bar) return 0;
        s = bar + 1;
    }
}

/* ---- construction ---- */
int32_t prb_new_value(prb_probe *p, prb_type t, prb_vkind k, int32_t block)
{
    prb_value v = { .type = (uint8_t)t, .kind = (uint8_t)k, .owner = -1,
                    .field = -1, .block = block, .acc = -1 };
    nt_vec_push(&p->values, v);
    return (int32_t)p->values.n - 1;
}

prb_op prb_op_init(prb_opk kind, int line)
{
    prb_op o;
    memset(&o, 0, sizeof o);
    o.kind = (uint8_t)kind;
    o.dst = o.a = o.b = o.c = o.block = o.map = -1;
    o.line = line;
    return o;
}

size_t prb_emit(prb_probe *p, int32_t b, const prb_op *op)
{
    prb_block *blk = &p->blocks.v[b];
    nt_vec_push(&blk->ops, *op);
    return blk->ops.n - 1;
}

int32_t prb_new_block(prb_probe *p, int32_t parent)
{
    prb_block b = { .parent = parent };
    nt_vec_push(&p->blocks, b);
    return (int32_t)p->blocks.n - 1;
}

bool prb_block_within(const prb_probe *p, int32_t inner, int32_t outer)
{
    for (int32_t b = inner; b >= 0; b = p->blocks.v[b].parent)
        if (b == outer) return true;
    return false;
}

static int field_cmp(const void *a, const void *b)
{
    const prb_field *x = a, *y = b;
    unsigned sx = prb_type_size(x->type), sy = prb_type_size(y->type);
    if (sx != sy) return sx > sy ? -1 : 1;
    return strcmp(x->name, y->name);
}

void prb_map_sort_fields(prb_map *m)
{
    if (m->fields.n) qsort(m->fields.v, m->fields.n, sizeof *m->fields.v, field_cmp);
}

uint8_t prb_buf_type(prb_type t)
{
    static const uint8_t map[PRB_NTYPES] = { BUF_U32, BUF_U64, BUF_S32, BUF_S64, BUF_F32,
                                             BUF_F64, BUF_U32 };
    return map[t];
}

/* Offsets come from buf_record_layout, the function the collector uses
 * too, so the two cannot disagree (buffer.h).  A pred is stored as a u32
 * (0 or 1). */
int prb_map_layout(prb_map *m, nt_err *e)
{
    uint8_t types[BUF_MAX_FIELDS];
    uint16_t offs[BUF_MAX_FIELDS], rs = 0;
    if (m->fields.n > BUF_MAX_FIELDS)
        return nt_err_set(e, "map '%s' has %zu fields, at most %u are allowed", m->name,
                          m->fields.n, BUF_MAX_FIELDS);
    for (size_t i = 0; i < m->fields.n; i++) types[i] = prb_buf_type(m->fields.v[i].type);
    if (buf_record_layout(types, (unsigned)m->fields.n, offs, &rs, e) != 0) return -1;
    for (size_t i = 0; i < m->fields.n; i++) m->fields.v[i].offset = offs[i];
    m->record_size = rs;
    return 0;
}

void prb_free(prb_probe *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->blocks.n; i++) nt_vec_free(&p->blocks.v[i].ops);
    for (size_t i = 0; i < p->maps.n; i++) nt_vec_free(&p->maps.v[i].fields);
    nt_vec_free(&p->blocks);
    nt_vec_free(&p->maps);
    nt_vec_free(&p->values);
    nt_vec_free(&p->counters);
    nt_vec_free(&p->vars);
    nt_vec_free(&p->handlers);
    nt_arena_free(&p->arena);
    free(p);
}

unsigned prb_buffer_specs(const prb_probe *p, buf_map_spec *out)
{
    unsigned n = 0;
    for (size_t i = 0; i < p->maps.n && n < BUF_MAX_MAPS; i++, n++) {
        const prb_map *m = &p->maps.v[i];
        out[n] = (buf_map_spec){ .level = (uint16_t)p->level,
                                 .record_size = (uint16_t)m->record_size,
                                 .cap = m->cap, .map_id = (uint32_t)i };
    }
    return n;
}

unsigned prb_min_sm(const prb_probe *p)
{
    unsigned sm = 30;
    for (size_t b = 0; b < p->blocks.n; b++)
        for (size_t i = 0; i < p->blocks.v[b].ops.n; i++) {
            const prb_op *o = &p->blocks.v[b].ops.v[i];
            if (o->kind == PRB_OP_WARP && o->sub == PRB_WMAX) sm = NT_MAX(sm, 80u);
        }
    return sm;
}

/* ---- dump ---- */
static const char *const opk_names[] = {
    "const", "sreg", "tparam", "bin", "cmp", "un", "cvt", "sel", "read",
    "write", "warp", "save", "when", "ptx",
};
static const char *const binop_names[] = {
    "add", "sub", "mul", "div", "rem", "and", "or", "xor", "shl", "shr", "min", "max",
};
static const char *const cmp_names[] = { "eq", "ne", "lt", "le", "gt", "ge" };
static const char *const unop_names[] = { "neg", "not", "popc" };
static const char *const warp_names[] = { "sum", "max", "bcast" };
static const char *const tp_names[] = {
    "kernel.entry", "kernel.exit", "before", "after", "use", "region.begin",
    "region.end",
};

static void dump_val(nt_sb *sb, const prb_probe *p, int32_t v)
{
    if (v < 0) return;
    const prb_value *x = &p->values.v[v];
    static const char kc[] = { 't', 'c', 'f', 'v' };
    nt_sb_printf(sb, " %c%d:%s", kc[x->kind], v, prb_type_name(x->type));
}

static void dump_block(nt_sb *sb, const prb_probe *p, int32_t b, int depth)
{
    const prb_block *blk = &p->blocks.v[b];
    for (size_t i = 0; i < blk->ops.n; i++) {
        const prb_op *o = &blk->ops.v[i];
        nt_sb_printf(sb, "%*s%s", 2 * depth, "", opk_names[o->kind]);
        switch (o->kind) {
        case PRB_OP_SREG: nt_sb_printf(sb, ".%s", prb_sreg_names[o->sub]); break;
        case PRB_OP_TPARAM: nt_sb_printf(sb, ".%s", prb_tparam_names[o->sub]); break;
        case PRB_OP_BIN: nt_sb_printf(sb, ".%s", binop_names[o->sub]); break;
        case PRB_OP_CMP: nt_sb_printf(sb, ".%s", cmp_names[o->sub]); break;
        case PRB_OP_UN: nt_sb_printf(sb, ".%s", unop_names[o->sub]); break;
        case PRB_OP_WARP: nt_sb_printf(sb, ".%s", warp_names[o->sub]); break;
        case PRB_OP_SAVE: nt_sb_printf(sb, " %s", p->maps.v[o->map].name); break;
        default: break;
        }
        dump_val(sb, p, o->dst);
        dump_val(sb, p, o->a);
        dump_val(sb, p, o->b);
        dump_val(sb, p, o->c);
        if (o->kind == PRB_OP_CONST) {
            prb_type t = p->values.v[o->dst].type;
            if (prb_type_is_float(t)) nt_sb_printf(sb, " =%g", o->fimm);
            else nt_sb_printf(sb, " =%lld", (long long)o->imm);
        }
        if (o->kind == PRB_OP_PTX) nt_sb_printf(sb, " \"%s\"", o->text);
        nt_sb_printf(sb, "  ; line %d\n", o->line);
        if (o->kind == PRB_OP_WHEN) dump_block(sb, p, o->block, depth + 1);
    }
}

char *prb_dump(const prb_probe *p)
{
    nt_sb sb = {0};
    static const char *const lv[] = { "thread", "warp", "block" };
    nt_sb_printf(&sb, "probe %s level %s\n", p->name, lv[p->level]);
    for (size_t i = 0; i < p->maps.n; i++) {
        const prb_map *m = &p->maps.v[i];
        nt_sb_printf(&sb, "map %zu %s cap %u record %u%s:", i, m->name, m->cap,
                     m->record_size, m->is_counters ? " counters" : "");
        for (size_t f = 0; f < m->fields.n; f++)
            nt_sb_printf(&sb, " %s:%s@%u", m->fields.v[f].name,
                         prb_type_name(m->fields.v[f].type), m->fields.v[f].offset);
        nt_sb_putc(&sb, '\n');
    }
    for (size_t i = 0; i < p->counters.n; i++)
        nt_sb_printf(&sb, "counter %s:%s %s\n", p->counters.v[i].name,
                     prb_type_name(p->counters.v[i].type),
                     p->counters.v[i].kind == PRB_CNT_MAX ? "max" : "sum");
    for (size_t i = 0; i < p->vars.n; i++)
        nt_sb_printf(&sb, "var %s:%s\n", p->vars.v[i].name,
                     prb_type_name(p->vars.v[i].type));
    for (size_t i = 0; i < p->handlers.n; i++) {
        const prb_handler *h = &p->handlers.v[i];
        nt_sb_printf(&sb, "handler %s%s%s (line %d)\n", tp_names[h->kind],
                     h->pattern ? " " : "", h->pattern ? h->pattern : "", h->line);
        dump_block(&sb, p, h->block, 1);
    }
    return nt_sb_take(&sb);
}
