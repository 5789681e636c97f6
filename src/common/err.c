/* err.c — one-line error messages carried up to whoever reports them. */
#include "common/common.h"

#include <stdio.h>
#include <string.h>

int nt_err_vset(nt_err *e, const char *fmt, va_list ap)
{
    if (e && !e->set) {
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        e->set = 1;
    }
    return -1;
}

int nt_err_set(nt_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nt_err_vset(e, fmt, ap);
    va_end(ap);
    return -1;
}

void nt_err_prefix(nt_err *e, const char *fmt, ...)
{
    if (!e || !e->set) return;
    char pre[sizeof e->msg], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* Truncation keeps the head of the message: the context and the
     * start of the cause, which is what a reader needs. */
    size_t n = strnlen(pre, sizeof e->msg - 1);
    memcpy(e->msg, pre, n);
    size_t m = NT_MIN(strlen(old), sizeof e->msg - 1 - n);
    memcpy(e->msg + n, old, m);
    e->msg[n + m] = 0;
}

void nt_err_clear(nt_err *e)
{
    if (e) {
        e->set = 0;
        e->msg[0] = 0;
    }
}
