/* sb.c — string builder. */
#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void nt_sb_need(nt_sb *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t c = b->cap ? b->cap : 64;
    while (c < need) c *= 2;
    b->s = nt_xrealloc(b->s, c);
    b->cap = c;
}

void nt_sb_put(nt_sb *b, const void *data, size_t n)
{
    nt_sb_need(b, n);
    memcpy(b->s + b->len, data, n);
    b->len += n;
    b->s[b->len] = 0;
}

void nt_sb_puts(nt_sb *b, const char *s) { nt_sb_put(b, s, strlen(s)); }

void nt_sb_putc(nt_sb *b, char c)
{
    nt_sb_need(b, 1);
    b->s[b->len++] = c;
    b->s[b->len] = 0;
}

void nt_sb_vprintf(nt_sb *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof tmp) {
        nt_sb_put(b, tmp, (size_t)n);
    } else {
        nt_sb_need(b, (size_t)n);
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void nt_sb_printf(nt_sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nt_sb_vprintf(b, fmt, ap);
    va_end(ap);
}

void nt_sb_put_json(nt_sb *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':  nt_sb_put(b, "\\\"", 2); break;
        case '\\': nt_sb_put(b, "\\\\", 2); break;
        case '\n': nt_sb_put(b, "\\n", 2); break;
        case '\r': nt_sb_put(b, "\\r", 2); break;
        case '\t': nt_sb_put(b, "\\t", 2); break;
        default:
            if (c < 0x20) {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                nt_sb_put(b, u, 6);
            } else {
                nt_sb_putc(b, (char)c);
            }
        }
    }
}

const char *nt_sb_str(const nt_sb *b) { return b->s ? b->s : ""; }

char *nt_sb_take(nt_sb *b)
{
    char *s = b->s ? b->s : nt_xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void nt_sb_reset(nt_sb *b)
{
    b->len = 0;
    if (b->s) b->s[0] = 0;
}

void nt_sb_reserve(nt_sb *b, size_t cap)
{
    if (cap <= b->cap) return;
    if (b->len) {
        b->s = nt_xrealloc(b->s, cap);
        b->cap = cap;
        return;
    }
    free(b->s);
    b->s = nt_xmalloc_huge(&cap);
    b->s[0] = 0;
    b->cap = cap;
}

void nt_sb_free(nt_sb *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}
