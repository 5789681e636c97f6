/* index.c — the module index: a fast scan for top-level items.
 *
 * Only comments, strings, braces, parentheses and the leading directive
 * words of each item are looked at.  Invariant: every scan loop checks
 * its cursor against `end` before reading. */
#include "ptx/ptx_int.h"

#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NT_IX_AVX2 1
#endif

typedef struct scan {
    const char *base, *p, *end;
    uint32_t line;
    const char *file;
    nt_err *e;
} scan;

static int scan_fail(scan *s, const char *at, const char *fmt, const char *what)
{
    uint32_t line = 1;
    for (const char *q = s->base; q < at; q++) line += *q == '\n';
    nt_err_set(s->e, "%s:%u:%u: %s%s", s->file, line, ptx_col(s->base, at), fmt, what ? what : "");
    return -1;
}

/* Skips blanks and comments (counting lines); false on an unterminated
 * comment. */
static bool skip_ws(scan *s)
{
    const char *p = s->p, *end = s->end;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
            s->line += *p == '\n';
            p++;
        }
        if (p + 1 < end && p[0] == '/' && p[1] == '/') {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl : end;
            continue;
        }
        if (p + 1 < end && p[0] == '/' && p[1] == '*') {
            const char *q = p + 2;
            while (q + 1 < end && !(q[0] == '*' && q[1] == '/')) { s->line += *q == '\n'; q++; }
            if (q + 1 >= end) { s->p = p; return false; }
            p = q + 2;
            continue;
        }
        break;
    }
    s->p = p;
    return true;
}

static const uint8_t wordc[256] = {
#define R(a, b) [a ... b] = 1
    R('a', 'z'), R('A', 'Z'), R('0', '9'), ['_'] = 1, ['$'] = 1, ['.'] = 1, ['%'] = 1,
#undef R
};

static ptx_str word(scan *s)
{
    const char *b = s->p;
    while (s->p < s->end && (wordc[(unsigned char)*s->p] ||
           (*s->p == ':' && s->p + 1 < s->end && s->p[1] == ':' && (s->p++, 1))))
        s->p++;
    return (ptx_str){b, (uint32_t)(s->p - b)};
}

/* Characters that matter inside a body or declaration. */
static const uint8_t special[256] = {
    ['{'] = 1, ['}'] = 1, ['"'] = 1, ['/'] = 1, [';'] = 1, ['('] = 1, [')'] = 1,
};
static const uint8_t special_body[256] = {
    ['{'] = 1, ['}'] = 1, ['"'] = 1, ['/'] = 1,
};

/* Advances over bytes that are not special (newlines are not special
 * here: they are counted).  `body`: inside a body only braces, strings
 * and comments matter ('{', '}', '"', '/'); otherwise ';', '(' and ')'
 * stop it too.  The scalar form, also the tail of the vector forms. */
static const char *skip_plain_tail(const char *p, const char *end, uint32_t *line,
                                   bool body)
{
    const uint8_t *sp = body ? special_body : special;
    while (p < end && !sp[(uint8_t)*p]) {
        *line += *p == '\n';
        p++;
    }
    return p;
}

/* ---- inside a body: braces are counted in vector registers ----
 * nvcc's bodies hold many '{' '}' (vector operands "{%r1, %r2}", inline
 * scopes), so a scanner that stopped at each of them spent most of its
 * time going in and out.  A body scanner takes 64 bytes a step as four
 * bit masks (bit i: byte i of the block): '{', '}', stops ('"' and '/',
 * which the caller handles: strings, comments) and newlines, and keeps
 * the brace depth itself.  It returns at the first stop, or at the '}'
 * that would close the body with *depth left at 1 (the caller's '}'
 * case then ends the body), with *line counting the newlines before the
 * returned byte.  Invariant: *depth >= 1 on entry and on return. */
static inline unsigned body_block(uint64_t op, uint64_t cl, uint64_t st, uint64_t nl,
                                  int *depth, uint32_t *line)
{
    /* only the bytes before the first stop count */
    uint64_t lim = st ? (1ull << __builtin_ctzll(st)) - 1 : ~0ull;
    op &= lim;
    cl &= lim;
    if ((int)__builtin_popcountll(cl) >= *depth) {
        /* the body may close here: brace by brace */
        int d = *depth;
        for (uint64_t b = op | cl; b; b &= b - 1) {
            unsigned k = (unsigned)__builtin_ctzll(b);
            if (!(cl >> k & 1)) { d++; continue; }
            if (--d == 0) {
                *depth = 1;
                *line += (uint32_t)__builtin_popcountll(nl & ((1ull << k) - 1));
                return k;
            }
        }
        *depth = d;
    } else {
        *depth += (int)__builtin_popcountll(op) - (int)__builtin_popcountll(cl);
    }
    *line += (uint32_t)__builtin_popcountll(nl & lim);
    return st ? (unsigned)__builtin_ctzll(st) : 64;
}

/* The loop every body scanner shares, with its mask maker: blocks of 64
 * bytes while they fit, then the scalar tail (which stops at every
 * special byte; the caller counts those braces). */
#define BODY_LOOP(MASKS)                                                     \
    while (p + 64 <= end) {                                                  \
        uint64_t op_, cl_, st_, nl_;                                         \
        MASKS(p, &op_, &cl_, &st_, &nl_);                                    \
        unsigned k_ = body_block(op_, cl_, st_, nl_, depth, line);           \
        if (k_ < 64) return p + k_;                                          \
        p += 64;                                                             \
    }                                                                        \
    return skip_plain_tail(p, end, line, true)

/* Without vectors: stops at every special byte (the caller counts the
 * braces). */
static const char *skip_body_scalar(const char *p, const char *end, uint32_t *line, int *depth)
{
    (void)depth;
    return skip_plain_tail(p, end, line, true);
}

#ifdef __SSE2__
static inline uint64_t sse2_eq(const char *p, char c)
{
    const __m128i k = _mm_set1_epi8(c);
    uint64_t m = 0;
    for (unsigned i = 0; i < 4; i++)
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(
                 _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), k)) << (16 * i);
    return m;
}

static inline void masks_sse2(const char *p, uint64_t *op, uint64_t *cl, uint64_t *st, uint64_t *nl)
{
    *op = sse2_eq(p, '{');
    *cl = sse2_eq(p, '}');
    *st = sse2_eq(p, '"') | sse2_eq(p, '/');
    *nl = sse2_eq(p, '\n');
}

static const char *skip_body_sse2(const char *p, const char *end, uint32_t *line, int *depth)
{
    BODY_LOOP(masks_sse2);
}
#endif

#ifdef NT_IX_AVX2
__attribute__((target("avx2,popcnt")))
static inline uint64_t avx2_eq(__m256i v0, __m256i v1, char c)
{
    const __m256i k = _mm256_set1_epi8(c);
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, k)) |
           (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, k)) << 32;
}

__attribute__((target("avx2,popcnt")))
static inline void masks_avx2(const char *p, uint64_t *op, uint64_t *cl, uint64_t *st, uint64_t *nl)
{
    __m256i v0 = _mm256_loadu_si256((const __m256i *)p);
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(p + 32));
    *op = avx2_eq(v0, v1, '{');
    *cl = avx2_eq(v0, v1, '}');
    *st = avx2_eq(v0, v1, '"') | avx2_eq(v0, v1, '/');
    *nl = avx2_eq(v0, v1, '\n');
}

__attribute__((target("avx2,popcnt")))
static const char *skip_body_avx2(const char *p, const char *end, uint32_t *line, int *depth)
{
    BODY_LOOP(masks_avx2);
}

__attribute__((target("avx512bw,popcnt")))
static inline void masks_avx512(const char *p, uint64_t *op, uint64_t *cl, uint64_t *st, uint64_t *nl)
{
    __m512i v = _mm512_loadu_si512((const void *)p);
    *op = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('{'));
    *cl = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('}'));
    *st = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"')) |
          _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('/'));
    *nl = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
}

__attribute__((target("avx512bw,popcnt")))
static const char *skip_body_avx512(const char *p, const char *end, uint32_t *line, int *depth)
{
    BODY_LOOP(masks_avx512);
}

/* Outside bodies: stops at any special byte, 32 bytes a step. */
__attribute__((target("avx2,popcnt")))
static inline uint32_t avx2_mask(__m256i v, __m256i a, __m256i b, __m256i c, __m256i d)
{
    return (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(v, a), _mm256_cmpeq_epi8(v, b)),
        _mm256_or_si256(_mm256_cmpeq_epi8(v, c), _mm256_cmpeq_epi8(v, d))));
}

__attribute__((target("avx2,popcnt")))
static const char *skip_plain_avx2(const char *p, const char *end, uint32_t *line)
{
    const __m256i nl = _mm256_set1_epi8('\n'), lb = _mm256_set1_epi8('{'),
                  rb = _mm256_set1_epi8('}'), qu = _mm256_set1_epi8('"'),
                  sl = _mm256_set1_epi8('/'), se = _mm256_set1_epi8(';'),
                  lp = _mm256_set1_epi8('('), rp = _mm256_set1_epi8(')');
    uint32_t ln = *line;
    while (p + 32 <= end) {
        __m256i v = _mm256_loadu_si256((const __m256i *)p);
        uint32_t ms = avx2_mask(v, lb, rb, qu, sl) | avx2_mask(v, se, lp, rp, rp);
        uint32_t mn = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl));
        if (ms) {
            unsigned k = (unsigned)__builtin_ctz(ms);
            *line = ln + (uint32_t)__builtin_popcount(mn & ((1u << k) - 1));
            return p + k;
        }
        ln += (uint32_t)__builtin_popcount(mn);
        p += 32;
    }
    *line = ln;
    return skip_plain_tail(p, end, line, false);
}
#endif

static const char *skip_plain_sse2(const char *p, const char *end, uint32_t *line)
{
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n'), lb = _mm_set1_epi8('{'),
                  rb = _mm_set1_epi8('}'), qu = _mm_set1_epi8('"'),
                  sl = _mm_set1_epi8('/'), se = _mm_set1_epi8(';'),
                  lp = _mm_set1_epi8('('), rp = _mm_set1_epi8(')');
    while (p + 16 <= end) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        __m128i sp = _mm_or_si128(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lb), _mm_cmpeq_epi8(v, rb)),
                         _mm_or_si128(_mm_cmpeq_epi8(v, qu), _mm_cmpeq_epi8(v, sl))),
            _mm_or_si128(_mm_cmpeq_epi8(v, se),
                         _mm_or_si128(_mm_cmpeq_epi8(v, lp), _mm_cmpeq_epi8(v, rp))));
        unsigned ms = (unsigned)_mm_movemask_epi8(sp);
        unsigned mn = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
        if (ms) {
            unsigned k = (unsigned)__builtin_ctz(ms);
            *line += (uint32_t)__builtin_popcount(mn & ((1u << k) - 1));
            return p + k;
        }
        *line += (uint32_t)__builtin_popcount(mn);
        p += 16;
    }
#endif
    return skip_plain_tail(p, end, line, false);
}

static const char *skip_plain_scalar(const char *p, const char *end, uint32_t *line)
{
    return skip_plain_tail(p, end, line, false);
}

typedef const char *(*skip_fn)(const char *, const char *, uint32_t *);
typedef const char *(*body_fn)(const char *, const char *, uint32_t *, int *);

typedef struct scanners { skip_fn plain; body_fn body; } scanners;

/* The widest scanners this CPU runs, chosen once (a benign race: every
 * thread computes the same value), or those ptx_ix_force_isa chose. */
static int isa_forced = -1;

static scanners scanners_for(int isa)
{
    switch (isa) {
#ifdef NT_IX_AVX2
    case PTX_IX_ISA_AVX512: return (scanners){skip_plain_avx2, skip_body_avx512};
    case PTX_IX_ISA_AVX2: return (scanners){skip_plain_avx2, skip_body_avx2};
#endif
#ifdef __SSE2__
    case PTX_IX_ISA_SSE2: return (scanners){skip_plain_sse2, skip_body_sse2};
#endif
    default: return (scanners){skip_plain_scalar, skip_body_scalar};
    }
}

int ptx_ix_best_isa(void)
{
#ifdef NT_IX_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("popcnt")) return PTX_IX_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) return PTX_IX_ISA_AVX2;
#endif
#ifdef __SSE2__
    return PTX_IX_ISA_SSE2;
#else
    return PTX_IX_ISA_SCALAR;
#endif
}

void ptx_ix_force_isa(int isa)
{
    isa_forced = isa;
}

static scanners pick_scanners(void)
{
    static int best = -1;
    if (isa_forced >= 0) return scanners_for(isa_forced);
    if (best < 0) best = ptx_ix_best_isa();
    return scanners_for(best);
}

enum { TO_DECL, TO_SEMI, TO_BODY };

/* Advances past what `mode` looks for, skipping strings and comments:
 *   TO_DECL: the first ';' or '{' outside parentheses (cursor on it);
 *   TO_SEMI: the first ';' outside braces and parentheses (cursor after);
 *   TO_BODY: the '}' closing an already opened '{' (cursor after).
 * Returns the character found, or a negative code: -1 end of text,
 * -2 unterminated string, -3 unterminated comment, -4 stray '}'. */
static int scan_to(scan *s, int mode)
{
    const char *p = s->p, *end = s->end;
    int depth = mode == TO_BODY ? 1 : 0, paren = 0;
    uint32_t line = s->line;
    int r = -1;
    scanners sc = pick_scanners();
    while (p < end) {
        /* fast skip of ordinary bytes, newlines counted on the way (in a
         * body, braces too while the body stays open) */
        p = mode == TO_BODY ? sc.body(p, end, &line, &depth) : sc.plain(p, end, &line);
        if (p >= end) break;
        char c = *p;
        switch (c) {
        case '"':
            p++;
            while (p < end && *p != '"' && *p != '\n') { if (*p == '\\' && p + 1 < end) p++; p++; }
            if (p >= end || *p != '"') { r = -2; goto out; }
            p++;
            break;
        case '/':
            if (p + 1 < end && p[1] == '/') {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                p = nl ? nl : end;
            } else if (p + 1 < end && p[1] == '*') {
                const char *q = p + 2;
                while (q + 1 < end && !(q[0] == '*' && q[1] == '/')) { line += *q == '\n'; q++; }
                if (q + 1 >= end) { r = -3; goto out; }
                p = q + 2;
            } else {
                p++;
            }
            break;
        case '(': paren++; p++; break;
        case ')': paren--; p++; break;
        case ';':
            if (mode != TO_BODY && depth == 0 && paren <= 0) {
                if (mode == TO_SEMI) p++;
                r = ';';
                goto out;
            }
            p++;
            break;
        case '{':
            if (mode == TO_DECL && paren <= 0) { r = '{'; goto out; }
            depth++;
            p++;
            break;
        case '}':
            if (--depth < 0) { r = -4; goto out; }
            p++;
            if (depth == 0 && mode == TO_BODY) { r = '}'; goto out; }
            break;
        }
    }
out:
    s->p = p;
    s->line = line;
    return r;
}

static const char *const scan_errs[] = {
    "", "unexpected end of text", "unterminated string", "unterminated comment",
    "'}' without a matching '{'"
};

static void add_item(ptx_index *ix, const ptx_ix_item *it)
{
    if (ix->n == ix->cap_) {
        ix->cap_ = ix->cap_ ? ix->cap_ * 2 : 64;
        ix->items = nt_xrealloc(ix->items, ix->cap_ * sizeof *ix->items);
    }
    ix->items[ix->n++] = *it;
}

static unsigned parse_uint(const char *p, const char *end)
{
    unsigned v = 0;
    while (p < end && *p >= '0' && *p <= '9') {       /* saturates: a garbage */
        v = v * 10 + (unsigned)(*p++ - '0');            /* version stays an int */
        if (v > 1000000) return 1000000;
    }
    return v;
}

/* Skips a balanced "( ... )" at the cursor (no strings expected inside
 * signatures, but comments are handled by skip_ws between tokens). */
static bool skip_parens(scan *s)
{
    int depth = 0;
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '/' && s->p + 1 < s->end && (s->p[1] == '/' || s->p[1] == '*')) {
            if (!skip_ws(s)) return false;
            continue;
        }
        s->line += c == '\n';
        s->p++;
        if (c == '(') depth++;
        else if (c == ')' && --depth == 0) return true;
    }
    return false;
}

/* Rest of a line-oriented directive (.version, .target, .file). */
static void to_eol(scan *s)
{
    const char *nl = memchr(s->p, '\n', (size_t)(s->end - s->p));
    s->p = nl ? nl : s->end;
}

#define WS(s) do { if (!skip_ws(s)) return scan_fail(s, (s)->p, "unterminated comment", NULL); } while (0)

static int index_item(ptx_index *ix, scan *s)
{
    ptx_ix_item it;
    memset(&it, 0, sizeof it);
    const char *start = s->p;
    it.begin = (size_t)(s->p - s->base);
    it.line = s->line;
    if (*s->p != '.') return scan_fail(s, s->p, "expected a directive at module level", NULL);
    ptx_str w = word(s);
    for (;;) {
        if (ptx_str_eq(w, ".visible")) it.linkage = PTX_LINK_VISIBLE;
        else if (ptx_str_eq(w, ".extern")) it.linkage = PTX_LINK_EXTERN;
        else if (ptx_str_eq(w, ".weak")) it.linkage = PTX_LINK_WEAK;
        else if (ptx_str_eq(w, ".common")) it.linkage = PTX_LINK_COMMON;
        else break;
        WS(s);
        w = word(s);
    }
    int r;
    if (ptx_str_eq(w, ".entry") || ptx_str_eq(w, ".func")) {
        it.kind = PTX_IX_FUNC;
        it.is_entry = w.s[1] == 'e';
        WS(s);
        if (!it.is_entry && s->p < s->end && *s->p == '(') {
            if (!skip_parens(s)) return scan_fail(s, start, "unbalanced '(' in function signature", NULL);
            WS(s);
        }
        it.name = word(s);
        if (!it.name.n || it.name.s[0] == '.') return scan_fail(s, s->p, "expected a function name", NULL);
        r = scan_to(s, TO_DECL);
        if (r == '{') {
            s->p++;
            it.has_body = 1;
            r = scan_to(s, TO_BODY);
            if (r != '}') return scan_fail(s, start, "function body not closed: ", r < -1 ? scan_errs[-r] : "missing '}'");
            ix->nentries += it.is_entry;
        } else if (r == ';') {
            s->p++;
        } else {
            return scan_fail(s, start, "function without '{' or ';': ", scan_errs[-r]);
        }
    } else if (!it.linkage && (ptx_str_eq(w, ".version") || ptx_str_eq(w, ".target") ||
                               ptx_str_eq(w, ".address_size") || ptx_str_eq(w, ".file"))) {
        it.kind = PTX_IX_DIR;
        it.name = w;
        WS(s);
        const char *a = s->p;
        to_eol(s);
        const char *e = s->p;
        if (w.s[1] == 'v') {
            ix->ver_major = (int)parse_uint(a, e);
            const char *dot = memchr(a, '.', (size_t)(e - a));
            if (dot) ix->ver_minor = (int)parse_uint(dot + 1, e);
        } else if (w.s[1] == 't') {
            const char *q = e;
            while (q > a && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r')) q--;
            const char *c = a;   /* cut a trailing comment */
            for (; c + 1 < q; c++) if (c[0] == '/' && c[1] == '/') { q = c; while (q > a && (q[-1] == ' ' || q[-1] == '\t')) q--; break; }
            ix->target = (ptx_str){a, (uint32_t)(q - a)};
            if (q - a > 3 && memcmp(a, "sm_", 3) == 0) ix->sm = parse_uint(a + 3, q);
        } else if (w.s[1] == 'a') {
            ix->address_size = parse_uint(a, e);
        }
    } else if (!it.linkage && ptx_str_eq(w, ".section")) {
        it.kind = PTX_IX_DIR;
        it.name = w;
        r = scan_to(s, TO_DECL);
        if (r != '{') return scan_fail(s, start, ".section without '{'", NULL);
        s->p++;
        r = scan_to(s, TO_BODY);
        if (r != '}') return scan_fail(s, start, ".section block not closed", NULL);
    } else if (!it.linkage && ptx_str_eq(w, ".pragma")) {
        it.kind = PTX_IX_DIR;
        it.name = w;
        if (scan_to(s, TO_SEMI) != ';') return scan_fail(s, start, "expected ';' after .pragma", NULL);
    } else if (!it.linkage && ptx_str_eq(w, ".alias")) {
        it.kind = PTX_IX_ALIAS;
        WS(s);
        it.name = word(s);
        if (!it.name.n) return scan_fail(s, s->p, "expected an alias name", NULL);
        if (scan_to(s, TO_SEMI) != ';') return scan_fail(s, start, "expected ';' after .alias", NULL);
    } else {
        /* a variable: attributes, then the name */
        it.kind = PTX_IX_VAR;
        for (;;) {
            WS(s);
            if (s->p < s->end && *s->p == '(') {
                if (!skip_parens(s)) return scan_fail(s, start, "unbalanced '(' in declaration", NULL);
                continue;
            }
            if (s->p < s->end && *s->p == '[') {
                const char *q = memchr(s->p, ']', (size_t)(s->end - s->p));
                if (!q) return scan_fail(s, s->p, "expected ']'", NULL);
                s->p = q + 1;
                continue;
            }
            if (s->p >= s->end || !wordc[(unsigned char)*s->p])
                return scan_fail(s, s->p, "expected a variable name in declaration", NULL);
            w = word(s);
            /* attributes and their numbers (".align 4") come first */
            if (w.s[0] != '.' && !(w.s[0] >= '0' && w.s[0] <= '9')) break;
        }
        it.name = w;
        r = scan_to(s, TO_SEMI);
        if (r != ';') return scan_fail(s, start, "declaration not ended by ';': ", scan_errs[r < 0 ? -r : 1]);
    }
    it.end = (size_t)(s->p - s->base);
    add_item(ix, &it);
    return 0;
}

static void link_names(ptx_index *ix)
{
    ix->same_ = nt_xmalloc((ix->n ? ix->n : 1) * sizeof *ix->same_);
    ix->first_ = nt_xmalloc((ix->n ? ix->n : 1) * sizeof *ix->first_);
    uint32_t *last = nt_xmalloc((ix->n ? ix->n : 1) * sizeof *last);
    for (size_t i = 0; i < ix->n; i++) {
        ptx_ix_item *it = &ix->items[i];
        ix->same_[i] = UINT32_MAX;
        ix->first_[i] = UINT32_MAX;
        if (it->kind == PTX_IX_DIR) continue;
        uint64_t d;
        if (nt_map_get(&ix->by_name, it->name.s, it->name.n, &d)) {
            /* keep the chain in source order; the map holds the best item */
            uint32_t head = ix->first_[d];
            ix->same_[last[head]] = (uint32_t)i;
            last[head] = (uint32_t)i;
            ix->first_[i] = head;
            const ptx_ix_item *cur = &ix->items[d];
            bool better = (it->kind == PTX_IX_FUNC && it->has_body && !cur->has_body) ||
                          (it->kind == PTX_IX_VAR && cur->linkage == PTX_LINK_EXTERN &&
                           it->linkage != PTX_LINK_EXTERN);
            if (better) {
                nt_map_put(&ix->by_name, it->name.s, it->name.n, i);
                ix->first_[i] = head;
            }
        } else {
            nt_map_put(&ix->by_name, it->name.s, it->name.n, i);
            ix->first_[i] = (uint32_t)i;
            last[i] = (uint32_t)i;
        }
    }
    free(last);
}

int ptx_index_build(ptx_index *ix, const char *text, size_t len,
                    const char *file, nt_err *e)
{
    memset(ix, 0, sizeof *ix);
    ix->text = text;
    ix->len = len;
    ix->file = file ? file : "<ptx>";
    scan s = {text, text, text + len, 1, ix->file, e};
    for (;;) {
        if (!skip_ws(&s)) { scan_fail(&s, s.p, "unterminated comment", NULL); goto fail; }
        if (s.p >= s.end) break;
        if (index_item(ix, &s) < 0) goto fail;
    }
    link_names(ix);
    return 0;
fail:
    ptx_index_free(ix);
    return -1;
}

void ptx_index_free(ptx_index *ix)
{
    free(ix->items);
    free(ix->same_);
    free(ix->first_);
    nt_map_free(&ix->by_name);
    memset(ix, 0, sizeof *ix);
}

const ptx_ix_item *ptx_index_find(const ptx_index *ix, const char *name, size_t n)
{
    uint64_t v;
    if (!nt_map_get(&ix->by_name, name, n, &v)) return NULL;
    return &ix->items[v];
}

int ptx_index_refs(const ptx_index *ix, const ptx_ix_item *item,
                   int (*fn)(const ptx_ix_item *ref, void *ctx), void *ctx)
{
    nt_map seen = {0};
    const char *p = ix->text + item->begin, *end = ix->text + item->end;
    int rc = 0;
    while (p < end) {
        char c = *p;
        if (c == '/' && p + 1 < end && p[1] == '/') {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            p = nl ? nl : end;
            continue;
        }
        if (c == '/' && p + 1 < end && p[1] == '*') {
            p += 2;
            while (p + 1 < end && !(p[0] == '*' && p[1] == '/')) p++;
            p += 2;
            continue;
        }
        if (c == '"') {
            p++;
            while (p < end && *p != '"') p++;
            p++;
            continue;
        }
        if (!wordc[(unsigned char)c]) { p++; continue; }
        const char *b = p;
        while (p < end && wordc[(unsigned char)*p]) p++;
        /* identifiers only: not directives/modifiers, registers, numbers */
        if (c == '.' || c == '%' || (c >= '0' && c <= '9')) continue;
        /* "name.x" never names a module item; "name" before '.' is cut */
        size_t n = (size_t)(p - b);
        const char *dot = memchr(b, '.', n);
        if (dot) n = (size_t)(dot - b);
        uint64_t v;
        if (!nt_map_get(&ix->by_name, b, n, &v)) continue;
        const ptx_ix_item *ref = &ix->items[v];
        if (ref == item || !nt_map_put(&seen, b, n, 1)) continue;
        if ((rc = fn(ref, ctx)) != 0) break;
    }
    nt_map_free(&seen);
    return rc;
}
