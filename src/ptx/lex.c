/* lex.c — the PTX tokenizer, number literals and error reporting.
 *
 * Invariant: L->p never passes L->end; every read checks p < end first,
 * so the text need not be NUL-terminated. */
#include "ptx/ptx_int.h"

#include <stdio.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void ptx_lex_init(ptx_lex *L, const char *base, const char *p,
                  const char *end, uint32_t line, const char *file,
                  nt_err *e, jmp_buf *jb)
{
    L->base = base;
    L->p = p;
    L->end = end;
    L->line = line;
    L->file = file ? file : "<ptx>";
    L->e = e;
    L->jb = jb;
    ptx_lex_next(L);
}

uint32_t ptx_col(const char *base, const char *at)
{
    const char *q = at;
    while (q > base && q[-1] != '\n') q--;
    return (uint32_t)(at - q) + 1;
}

static void describe(const ptx_tok *t, char *buf, size_t cap)
{
    if (t->k == T_EOF) {
        snprintf(buf, cap, "end of input");
    } else {
        /* Show at most 40 bytes, printable only. */
        char tmp[48];
        uint32_t n = t->n > 40 ? 40 : t->n, j = 0;
        for (uint32_t i = 0; i < n; i++) {
            char c = t->s[i];
            tmp[j++] = (c >= 32 && c < 127) ? c : '?';
        }
        tmp[j] = 0;
        snprintf(buf, cap, "'%s%s'", tmp, t->n > 40 ? "..." : "");
    }
}

void ptx_lex_fail(ptx_lex *L, const ptx_tok *at, const char *fmt, ...)
{
    char msg[300], found[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!at) at = &L->t;
    describe(at, found, sizeof found);
    const char *pos = at->k == T_EOF ? L->end : at->s;
    nt_err_set(L->e, "%s:%u:%u: %s, found %s", L->file, at->line,
               ptx_col(L->base, pos), msg, found);
    longjmp(*L->jb, 1);
}

void ptx_lex_expected(ptx_lex *L, const char *what)
{
    ptx_lex_fail(L, NULL, "expected %s", what);
}

static const uint8_t wordc[256] = {
#define R(a, b) [a ... b] = 1
    R('a', 'z'), R('A', 'Z'), R('0', '9'), ['_'] = 1, ['$'] = 1, ['.'] = 1,
#undef R
};

/* Byte classes of ptx_lex_step (ptx_int.h).  PTX_LC_PUNCT: characters
 * ptx_lex_next turns into a one-byte token whatever follows (none starts
 * a word, a number, a string or a comment, none is a blank).
 * PTX_LC_REG: the bytes of a word other than '.' (wordc without '.'). */
const uint8_t ptx_lex_cls[256] = {
#define R(a, b) [a ... b] = PTX_LC_REG
    R('a', 'z'), R('A', 'Z'), R('0', '9'), ['_'] = PTX_LC_REG, ['$'] = PTX_LC_REG,
#undef R
    [','] = PTX_LC_PUNCT, [';'] = PTX_LC_PUNCT, ['['] = PTX_LC_PUNCT,
    [']'] = PTX_LC_PUNCT, ['{'] = PTX_LC_PUNCT, ['}'] = PTX_LC_PUNCT,
    ['('] = PTX_LC_PUNCT, [')'] = PTX_LC_PUNCT, ['|'] = PTX_LC_PUNCT,
    ['+'] = PTX_LC_PUNCT, ['-'] = PTX_LC_PUNCT, ['!'] = PTX_LC_PUNCT,
    ['@'] = PTX_LC_PUNCT, ['<'] = PTX_LC_PUNCT, ['>'] = PTX_LC_PUNCT,
    ['='] = PTX_LC_PUNCT,
};

/* Advances over word bytes (letters, digits, '_', '$', and '.' unless
 * dot_ends); 16 bytes a step with SSE2 (names in nvcc's PTX are often
 * 50-150 bytes long: mangled parameter and function names). */
static inline const char *skip_word(const char *p, const char *end, bool dot_ends)
{
#ifdef __SSE2__
    const __m128i a1 = _mm_set1_epi8('a' - 1), z1 = _mm_set1_epi8('z' + 1),
                  d1 = _mm_set1_epi8('0' - 1), n1 = _mm_set1_epi8('9' + 1),
                  us = _mm_set1_epi8('_'), dl = _mm_set1_epi8('$'),
                  dt = _mm_set1_epi8(dot_ends ? '_' : '.'), lc = _mm_set1_epi8(0x20);
    while (p + 16 <= end) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        __m128i lo = _mm_or_si128(v, lc);   /* 'A'..'Z' -> 'a'..'z' (bytes >= 0x80 stay negative) */
        __m128i w = _mm_or_si128(
            _mm_and_si128(_mm_cmpgt_epi8(lo, a1), _mm_cmpgt_epi8(z1, lo)),
            _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(v, d1), _mm_cmpgt_epi8(n1, v)),
                         _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, us), _mm_cmpeq_epi8(v, dl)),
                                      _mm_cmpeq_epi8(v, dt))));
        unsigned stop = ~(unsigned)_mm_movemask_epi8(w) & 0xffffu;
        if (stop) return p + __builtin_ctz(stop);
        p += 16;
    }
#endif
    if (dot_ends)
        while (p < end && wordc[(unsigned char)*p] && *p != '.') p++;
    else
        while (p < end && wordc[(unsigned char)*p]) p++;
    return p;
}

void ptx_lex_next(ptx_lex *L)
{
    const char *p = L->p, *end = L->end;
    uint32_t line = L->line;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p >= end) break;
        if (*p == '\n') { line++; p++; continue; }
        if (*p == '/' && p + 1 < end) {
            if (p[1] == '/') {
                p += 2;
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                p = nl ? nl : end;
                continue;
            }
            if (p[1] == '*') {
                const char *start = p;
                p += 2;
                for (;;) {
                    if (p + 1 >= end) {
                        L->t = (ptx_tok){'/', start, 2, line};
                        L->p = end;
                        L->line = line;
                        ptx_lex_fail(L, &L->t, "unterminated comment");
                    }
                    if (*p == '\n') line++;
                    else if (*p == '*' && p[1] == '/') { p += 2; break; }
                    p++;
                }
                continue;
            }
        }
        break;
    }
    ptx_tok t = {T_EOF, p, 0, line};
    if (p >= end) {
        L->t = t;
        L->p = p;
        L->line = line;
        return;
    }
    unsigned char c = (unsigned char)*p;
    const char *s = p;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
        c == '$' || c == '%' || c == '.') {
        p++;
        /* a directive or type word is one component: ".reg.b32" is two
         * words (ptxas accepts it without the blank) */
        for (;;) {
            p = skip_word(p, end, c == '.');
            /* "::" continues a word (".shared::cta"); one ':' ends it. */
            if (p + 2 < end && p[0] == ':' && p[1] == ':' &&
                wordc[(unsigned char)p[2]]) {
                p += 2;
                continue;
            }
            break;
        }
        t.k = T_WORD;
    } else if (c >= '0' && c <= '9') {
        p++;
        bool dec = !(c == '0' && p < end && (*p == 'x' || *p == 'X' ||
                     *p == 'f' || *p == 'F' || *p == 'd' || *p == 'D' ||
                     *p == 'b' || *p == 'B'));
        while (p < end) {
            char d = *p;
            if (wordc[(unsigned char)d]) {
                p++;
                if (dec && (d == 'e' || d == 'E') && p < end &&
                    (*p == '+' || *p == '-'))
                    p++;
            } else {
                break;
            }
        }
        t.k = T_NUM;
    } else if (c == '"') {
        p++;
        while (p < end && *p != '"' && *p != '\n') {
            if (*p == '\\' && p + 1 < end && p[1] != '\n') p++;
            p++;
        }
        if (p >= end || *p != '"') {
            L->t = (ptx_tok){T_STR, s, (uint32_t)(p - s), line};
            L->p = p;
            L->line = line;
            ptx_lex_fail(L, &L->t, "unterminated string");
        }
        p++;
        t.k = T_STR;
    } else {
        p++;
        t.k = c;
    }
    t.n = (uint32_t)(p - s);
    L->t = t;
    L->p = p;
    L->line = line;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool ptx_number(const char *s, uint32_t n, bool neg, ptx_operand *o)
{
    memset(o, 0, sizeof *o);
    o->reg = PTX_NOREG;
    if (n == 0) return false;
    if (n >= 2 && s[0] == '0' && (s[1] == 'f' || s[1] == 'F' ||
                                  s[1] == 'd' || s[1] == 'D')) {
        uint32_t want = (s[1] == 'f' || s[1] == 'F') ? 8 : 16;
        if (n != 2 + want) return false;
        uint64_t v = 0;
        for (uint32_t i = 2; i < n; i++) {
            int h = hexv(s[i]);
            if (h < 0) return false;
            v = v << 4 | (uint64_t)h;
        }
        if (neg) v ^= want == 8 ? 0x80000000ull : 0x8000000000000000ull;
        o->kind = want == 8 ? PTX_OPND_F32 : PTX_OPND_F64;
        o->bits = v;
        return true;
    }
    uint32_t k = n;
    if (s[k - 1] == 'U' || s[k - 1] == 'u') { o->flags |= PTX_OPF_UNS; k--; }
    uint64_t v = 0;
    uint32_t i = 0;
    int base = 10;
    if (k >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16; i = 2; o->flags |= PTX_OPF_HEX;
    } else if (k >= 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2; i = 2; o->flags |= PTX_OPF_BIN;
    } else if (k >= 2 && s[0] == '0') {
        base = 8; i = 1; o->flags |= PTX_OPF_OCT;
    }
    if (i >= k) return false;
    bool ok = true;
    for (uint32_t j = i; j < k; j++) {
        int h = hexv(s[j]);
        if (h < 0 || h >= base) { ok = false; break; }
        v = v * (uint64_t)base + (uint64_t)h;   /* wraps like ptxas' u64 */
    }
    if (ok) {
        o->kind = PTX_OPND_IMM;
        o->i = neg ? (int64_t)(0 - v) : (int64_t)v;
        return true;
    }
    /* A decimal float: digits [. digits] [e[+-]digits]. */
    if (o->flags & (PTX_OPF_UNS | PTX_OPF_HEX | PTX_OPF_BIN)) return false;
    char buf[64];
    if (n >= sizeof buf) return false;
    for (uint32_t j = 0; j < n; j++) {
        char c = s[j];
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' ||
              c == '+' || c == '-'))
            return false;
        buf[j] = c;
    }
    buf[n] = 0;
    char *endp;
    double d = strtod(buf, &endp);
    if (*endp) return false;
    if (neg) d = -d;
    o->kind = PTX_OPND_F64;
    o->flags = PTX_OPF_DEC;
    memcpy(&o->bits, &d, sizeof d);
    return true;
}
