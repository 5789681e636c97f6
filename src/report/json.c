/* json.c — small, fast writers for streamed JSON and HTML text. */
#include "report/report_int.h"

#include <string.h>

void rep_json_str(FILE *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
        } else if (c < 0x20) {
            fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        } else {
            fputc(c, out);
        }
    }
    fputc('"', out);
}

int rep_fmt_u64(char *buf, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return n;
}

int rep_fmt_i64(char *buf, int64_t v)
{
    if (v >= 0) return rep_fmt_u64(buf, (uint64_t)v);
    buf[0] = '-';
    return 1 + rep_fmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
}

int rep_fmt_us(char *buf, int64_t ns)
{
    int n = 0;
    if (ns < 0) {
        buf[n++] = '-';
        ns = -ns;
    }
    n += rep_fmt_u64(buf + n, (uint64_t)ns / 1000);
    unsigned f = (unsigned)((uint64_t)ns % 1000);
    buf[n++] = '.';
    buf[n++] = (char)('0' + f / 100);
    buf[n++] = (char)('0' + f / 10 % 10);
    buf[n++] = (char)('0' + f % 10);
    buf[n] = 0;
    return n;
}

void rep_html_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}
