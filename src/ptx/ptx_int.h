/*
 * ptx_int.h — private to src/ptx: the lexer, the parser state and helpers
 * shared by the parser, printer, slicer and rewriter.
 */
#ifndef NT_PTX_INT_H
#define NT_PTX_INT_H

#include "ptx/ptx.h"

#include <setjmp.h>
#include <string.h>

/* ---- tokens ----------------------------------------------------------
 * A token is a word (identifier, directive, dotted instruction name,
 * register: starts with a letter, '_', '$', '%' or '.'; continues over
 * letters, digits, '_', '$', '.' and "::"), a number (starts with a digit;
 * continues over letters, digits, '.', and a sign right after a decimal
 * exponent), a string ("..."), or one punctuation character. */
enum { T_EOF = 0, T_WORD = 256, T_NUM, T_STR };

typedef struct ptx_tok {
    int         k;        /* T_* or the punctuation character */
    const char *s;        /* first byte in the text */
    uint32_t    n;        /* length */
    uint32_t    line;     /* 1-based */
} ptx_tok;

typedef struct ptx_lex {
    const char *base;     /* start of the whole text (columns, offsets) */
    const char *p, *end;  /* cursor and end of the part being lexed */
    uint32_t    line;
    const char *file;
    nt_err     *e;
    jmp_buf    *jb;       /* errors longjmp here after setting e */
    ptx_tok     t;        /* current token */
} ptx_lex;

void ptx_lex_init(ptx_lex *L, const char *base, const char *p,
                  const char *end, uint32_t line, const char *file,
                  nt_err *e, jmp_buf *jb);
void ptx_lex_next(ptx_lex *L);                 /* advances L->t */

/* ptx_lex_next's common cases inline, for the body parser's hot loop: a
 * one-byte punctuation token or a register-like word ("%rd12": '%' then
 * letters, digits, '_', '$'), after blanks on the same line.  Anything
 * else (newlines, comments, dotted or "::" words, numbers, strings, the
 * end) goes to ptx_lex_next from the first non-blank byte, so the tokens
 * are exactly ptx_lex_next's. */
enum { PTX_LC_REG = 1, PTX_LC_PUNCT = 2 };
extern const uint8_t ptx_lex_cls[256];
static inline void ptx_lex_step(ptx_lex *L)
{
    const char *p = L->p, *end = L->end;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p < end) {
        uint8_t c = (uint8_t)*p;
        if (ptx_lex_cls[c] & PTX_LC_PUNCT) {
            L->t = (ptx_tok){c, p, 1, L->line};
            L->p = p + 1;
            return;
        }
        if (c == '%') {
            const char *q = p + 1;
            while (q < end && (ptx_lex_cls[(uint8_t)*q] & PTX_LC_REG)) q++;
            /* the word ends here unless '.' or "::" continues it */
            if (q < end && *q != '.' && *q != ':') {
                L->t = (ptx_tok){T_WORD, p, (uint32_t)(q - p), L->line};
                L->p = q;
                return;
            }
        }
    }
    L->p = p;
    ptx_lex_next(L);
}
/* Raises "file:line:col: <msg>, found <tok>" and longjmps. */
void ptx_lex_fail(ptx_lex *L, const ptx_tok *at, const char *fmt, ...)
    NT_PRINTF(3, 4) __attribute__((noreturn));
/* Raises "file:line:col: expected <what>, found <tok>". */
void ptx_lex_expected(ptx_lex *L, const char *what) __attribute__((noreturn));
/* Column (1-based) of a pointer into the text. */
uint32_t ptx_col(const char *base, const char *at);

static inline bool tok_is(const ptx_tok *t, const char *lit)
{
    return t->k == T_WORD && ptx_str_eq((ptx_str){t->s, t->n}, lit);
}
static inline ptx_str tok_str(const ptx_tok *t) { return (ptx_str){t->s, t->n}; }

/* ---- number literals --------------------------------------------------- */
/* Decodes a number token (with an optional leading '-' already consumed
 * by the caller as neg) into an operand of kind IMM/F32/F64.  false if
 * the token is not a valid PTX number. */
bool ptx_number(const char *s, uint32_t n, bool neg, ptx_operand *o);

/* ---- operand setters (the private fields of ptx_operand) ---------------- */
/* SYM/LABEL/EXPR text (kind set by the caller; s.n <= PTX_OPND_MAXLEN). */
static inline void ptx_opnd_set_name(ptx_operand *o, ptx_str s)
{
    o->name_ = s.s;
    o->len_ = (uint16_t)s.n;
}
/* VEC/LIST/PAIR/ADDR-list elements (n <= PTX_OPND_MAXLEN). */
static inline void ptx_opnd_set_elems(ptx_operand *o, ptx_operand *e, uint32_t n)
{
    o->elems_ = e;
    o->len_ = (uint16_t)n;
}
/* ADDR (not a list): base symbol (sym.n == 0: none; sym.n <=
 * PTX_OPND_MAXLEN) and offset; o->reg is left as it is.  A symbol's
 * record is allocated in a. */
static inline void ptx_opnd_set_addr(nt_arena *a, ptx_operand *o, ptx_str sym,
                                     int64_t off);

/* ---- register tables (parser scopes and rewriting) --------------------- */
typedef struct ptx_rprefix {
    ptx_str  name;        /* "%r" of %r<N> */
    uint32_t base, count;
    uint64_t head;        /* name's first (up to 8) bytes, little-endian,
                             zero above its length (ptx_regtab_find8) */
} ptx_rprefix;

typedef struct ptx_rundo {
    ptx_str  name;
    uint64_t old;         /* previous id + 1, or 0 when the name was new */
} ptx_rundo;

typedef struct ptx_regtab {
    nt_map singles;                 /* full name -> id */
    NT_VEC(ptx_rprefix) prefixes;   /* parametrized sets, innermost last */
    NT_VEC(ptx_rundo)   undo;       /* scope undo log for singles */
} ptx_regtab;

typedef struct ptx_rmark { size_t nprefix, nundo; } ptx_rmark;

void     ptx_regtab_clear(ptx_regtab *rt);
void     ptx_regtab_free(ptx_regtab *rt);
void     ptx_regtab_add(ptx_regtab *rt, const ptx_regset *set);
ptx_rmark ptx_regtab_mark(const ptx_regtab *rt);
void     ptx_regtab_pop(ptx_regtab *rt, ptx_rmark mk);
/* Id of a register name, PTX_NOREG when not declared. */
uint32_t ptx_regtab_find(const ptx_regtab *rt, const char *s, uint32_t n);
/* ptx_regtab_find for the common short name, inline: when s..s+8 is
 * readable (s + 8 <= end) and n <= 8, the trailing digits are found on
 * one 8-byte word and each prefix is matched by one compare of its head;
 * everything else (and a miss) goes to ptx_regtab_find, so the result is
 * always ptx_regtab_find's. */
static inline uint32_t ptx_regtab_find8(const ptx_regtab *rt, const char *s, uint32_t n,
                                        const char *end)
{
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    (void)end;
    return ptx_regtab_find(rt, s, n);
#endif
    if (n < 2 || n > 8 || end - s < 8) return ptx_regtab_find(rt, s, n);
    uint64_t w;
    memcpy(&w, s, 8);
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full, hi = 0x8080808080808080ull;
    uint64_t keep = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
    /* byte b is a digit iff x = b ^ '0' < 10: bit 7 of ((x & 0x7f) + 0x76)
     * | x is set exactly for the other bytes (no carry between bytes) */
    uint64_t x = w ^ 0x3030303030303030ull;
    uint64_t nd = ((((x & lo7) + 0x7676767676767676ull) | x) & hi) & keep;
    if (!nd) return ptx_regtab_find(rt, s, n);
    uint32_t d = (uint32_t)(63 - __builtin_clzll(nd)) / 8 + 1;   /* after the last non-digit */
    if (d == n || (s[d] == '0' && n - d > 1)) return ptx_regtab_find(rt, s, n);
    uint32_t num = 0;
    for (uint32_t i = d; i < n; i++) num = num * 10 + (uint32_t)(s[i] - '0');
    uint64_t head = w & ((1ull << (8 * d)) - 1);   /* d <= 7 */
    for (size_t i = rt->prefixes.n; i-- > 0;) {
        const ptx_rprefix *p = &rt->prefixes.v[i];
        if (p->head == head && p->name.n == d && num < p->count) return p->base + num;
    }
    return ptx_regtab_find(rt, s, n);
}
/* Special register lookup: "%tid.x" -> PTX_SREG_TID, comp 1. */
bool     ptx_sreg_find(const char *s, uint32_t n, uint32_t *reg, uint8_t *comp);

/* ---- the parser ---------------------------------------------------------- */
#define PTX_NC_SLOTS 2048
#define PTX_NC_MAX   65535
typedef struct ptx_parser {
    ptx_lex     L;
    ptx_module *m;
    ptx_func   *fn;                 /* function being parsed */
    ptx_regtab  rt;                 /* its registers */
    nt_map      labels;             /* its labels: name -> ptx_label* */
    NT_VEC(ptx_operand *) labelrefs;/* SYM operands that may be labels */
    NT_VEC(ptx_regset *)  sets;     /* its register sets */
    NT_VEC(ptx_operand)   ops;      /* scratch operand stack */
    /* Scratch stacks (a user takes the top from a saved base and truncates
     * back): they belong to the parser so an error's longjmp leaks
     * nothing; ptx_parser_free releases them. */
    NT_VEC(ptx_var)       pvars;
    NT_VEC(ptx_str)       strs;
    NT_VEC(ptx_regset)    rsets;
    /* Instruction names and their records (ptx_iname, in the module's
     * arena): most names repeat, so each is split and looked up once and
     * its instructions share the record.  nc_slot is a direct-mapped cache
     * in front of the map: nc_slot[hash of name] = index + 1 in decoded
     * (0: empty); a collision replaces the slot.  inames maps every name
     * of decoded to its index.  decoded stays below PTX_NC_MAX entries, so
     * the index fits (past that, names get a record each, uncached). */
    NT_VEC(const ptx_iname *) decoded;
    nt_map                inames;
    uint16_t              nc_slot[PTX_NC_SLOTS];
    const char *body_end;           /* just past the '}' of the last body */
    /* Reference collection for ptx_slice (collect set): the body parser
     * appends each body statement that may name another item (an
     * instruction with a name operand, a variable with an initializer,
     * a .calltargets list) to refstmts, in source order, nested scopes
     * included, so the slice need not walk the body again.  sym_seen is
     * set by every name operand (PTX_OPND_SYM, the only way a body names
     * something) and cleared before each statement. */
    bool                  collect, sym_seen;
    NT_VEC(const ptx_stmt *) refstmts;
} ptx_parser;

void ptx_parser_init(ptx_parser *P, ptx_module *m);
void ptx_parser_free(ptx_parser *P);
/* Parses the module items in [L.p, L.end) and appends them to m->items. */
void ptx_parse_items(ptx_parser *P);
/* Parses one top-level item starting at the current token. */
void ptx_parse_item(ptx_parser *P);
/* Function body after '{' up to and including the matching '}'. */
void ptx_parse_body(ptx_parser *P, ptx_func *fn);
/* One instruction (current token: '@' or its name) into a new ptx_instr. */
ptx_instr *ptx_parse_instr(ptx_parser *P);
/* One declaration (attributes, type, name, dims, initializer); `first`
 * non-NULL: the next name of a list reusing its attributes. */
ptx_var *ptx_parse_var(ptx_parser *P, uint8_t linkage, bool param,
                       const ptx_var *first);
ptx_dir *ptx_new_dir(ptx_parser *P, ptx_dir_kind k, const char *s,
                     const char *e, uint32_t line);
void ptx_parse_to_semicolon(ptx_parser *P, ptx_dir *d);
void ptx_parse_loc(ptx_parser *P, ptx_dir *d);
/* Initializer after '=' (lx at its first token): checks the syntax and,
 * when decode, fills v->init/ninit in m's arena; stops at the token after
 * it. */
typedef NT_VEC(ptx_init) ptx_initvec;
int ptx_init_walk(ptx_lex *lx, ptx_module *m, ptx_var *v, ptx_initvec *out);
/* Parameter list "( ... )" (current token '('); returns count, fills *out. */
uint32_t ptx_parse_params(ptx_parser *P, ptx_var **out);

/* ---- the index's vector scanners (index.c) ---------------------------------
 * The widest one the CPU runs is used; tests force each in turn and
 * compare what they find. */
enum { PTX_IX_ISA_SCALAR, PTX_IX_ISA_SSE2, PTX_IX_ISA_AVX2, PTX_IX_ISA_AVX512 };
int  ptx_ix_best_isa(void);
/* -1: back to the best (not thread-safe: for tests and benchmarks). */
void ptx_ix_force_isa(int isa);

/* ---- module helpers -------------------------------------------------------- */
ptx_module *ptx_module_new(const char *text, size_t len, const char *file,
                           unsigned flags);
/* The same, with the arena sized for `parsed` bytes of the text (a slice). */
ptx_module *ptx_module_new_sized(const char *text, size_t len, const char *file,
                                 unsigned flags, size_t parsed);
void ptx_block_init(ptx_block *b);
void ptx_module_add_func(ptx_module *m, ptx_func *fn);
void ptx_module_add_var(ptx_module *m, ptx_var *v);
void ptx_module_track_regtab(ptx_module *m, ptx_regtab *rt);

/* ---- printing helpers ------------------------------------------------------ */
void ptx_print_var(const ptx_var *v, bool param, nt_sb *out);
void ptx_print_stmt(const ptx_module *m, const ptx_func *fn,
                    const ptx_stmt *s, int depth, nt_sb *out);

/* ptx_func_reg_set, inline for the printer's hot path. */
static inline const ptx_regset *ptx_reg_set_of(const ptx_func *fn, uint32_t id)
{
    if (id >= fn->nregs || !fn->nsets) return NULL;
    /* sets[] is sorted by base (ids are handed out in declaration order). */
    uint32_t lo = 0, hi = fn->nsets;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (fn->sets[mid]->base <= id) lo = mid; else hi = mid;
    }
    return fn->sets[lo];
}

/* nt_arena_alloc's fast path, inline (the parser allocates a few times per
 * instruction).  It keeps nt_arena's invariant (common/alloc.c): cur..end
 * is the free tail of the head chunk, cur stays 16-byte aligned because
 * every size is rounded up to 16.  Anything else goes to nt_arena_alloc. */
static inline void *ptx_alloc(nt_arena *a, size_t n)
{
    size_t r = (n + 15) & ~(size_t)15;
    if (r && a->cur && (size_t)(a->end - a->cur) >= r) {
        void *p = a->cur;
        a->cur += r;
        return p;
    }
    return nt_arena_alloc(a, n);
}

static inline void ptx_opnd_set_addr(nt_arena *a, ptx_operand *o, ptx_str sym,
                                     int64_t off)
{
    if (!sym.n) {
        o->len_ = 0;
        o->i = off;
        return;
    }
    ptx_addrsym *as = ptx_alloc(a, sizeof *as);
    as->s = sym.s;
    as->i = off;
    o->sym_ = as;
    o->len_ = (uint16_t)sym.n;
}

/* Arena copy of a ptx_str. */
static inline ptx_str ptx_str_dup(nt_arena *a, const char *s, size_t n)
{
    return (ptx_str){nt_arena_strndup(a, s, n), (uint32_t)n};
}

#endif /* NT_PTX_INT_H */
