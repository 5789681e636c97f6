/* pool.c — probe buffers by size class, within a device-memory budget.
 *
 * Invariant: held == sum of cap over every buffer that exists (free or
 * acquired), and held <= budget after every acquire.  When a new buffer
 * does not fit, idle buffers of other classes are freed first (largest
 * first), so a change of launch shapes cannot strand the budget. */
#include "inject/inject_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define INJ_CLASSES 48          /* 2^0 .. 2^47 bytes */
#define INJ_MIN_CLASS 12        /* 4 KiB: smaller requests round up */

struct inj_pool {
    pthread_mutex_t mu;
    inj_pool_ops ops;
    uint64_t budget, held, peak;
    inj_buf *free_[INJ_CLASSES];
};

static unsigned inj_class(size_t n)
{
    unsigned c = INJ_MIN_CLASS;
    while (c < INJ_CLASSES - 1 && ((size_t)1 << c) < n) c++;
    return c;
}

inj_pool *inj_pool_new(uint64_t budget, const inj_pool_ops *ops)
{
    inj_pool *p = nt_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    p->ops = *ops;
    p->budget = budget;
    return p;
}

static void inj_buf_destroy(inj_pool *p, inj_buf *b)
{
    p->ops.dev_free(p->ops.ctx, b->dev);
    p->ops.host_free(p->ops.ctx, b->host);
    p->held -= b->cap;
    free(b);
}

/* Frees idle buffers, largest class first, until `need` more bytes fit. */
static void inj_pool_trim(inj_pool *p, uint64_t need)
{
    for (int c = INJ_CLASSES - 1; c >= 0 && p->held + need > p->budget; c--) {
        while (p->free_[c] && p->held + need > p->budget) {
            inj_buf *b = p->free_[c];
            p->free_[c] = b->next;
            inj_buf_destroy(p, b);
        }
    }
}

inj_buf *inj_pool_acquire(inj_pool *p, size_t n, nt_err *e)
{
    unsigned c = inj_class(n);
    size_t cap = (size_t)1 << c;
    if (((size_t)1 << (INJ_CLASSES - 1)) < n) {
        nt_err_set(e, "probe buffer of %zu bytes is too large", n);
        return NULL;
    }
    pthread_mutex_lock(&p->mu);
    inj_buf *b = p->free_[c];
    if (b) {
        p->free_[c] = b->next;
        pthread_mutex_unlock(&p->mu);
        b->next = NULL;
        b->size = n;
        return b;
    }
    if (cap > p->budget) {
        pthread_mutex_unlock(&p->mu);
        nt_err_set(e, "probe buffer of %zu bytes exceeds the budget of %llu bytes "
                      "(raise it with --budget)", n, (unsigned long long)p->budget);
        return NULL;
    }
    inj_pool_trim(p, cap);
    if (p->held + cap > p->budget) {
        uint64_t held = p->held;
        pthread_mutex_unlock(&p->mu);
        nt_err_set(e, "probe buffers in flight hold %llu of %llu budget bytes; "
                      "this launch's %zu do not fit", (unsigned long long)held,
                   (unsigned long long)p->budget, cap);
        return NULL;
    }
    /* Reserve before allocating so concurrent acquires respect the budget;
     * allocation happens outside the lock (it may be slow). */
    p->held += cap;
    if (p->held > p->peak) p->peak = p->held;
    pthread_mutex_unlock(&p->mu);
    b = nt_xcalloc(1, sizeof *b);
    b->cap = cap;
    b->size = n;
    if (p->ops.dev_alloc(p->ops.ctx, cap, &b->dev) != 0) {
        nt_err_set(e, "device memory for a %zu-byte probe buffer is exhausted", cap);
        goto fail;
    }
    if (p->ops.host_alloc(p->ops.ctx, cap, &b->host) != 0) {
        p->ops.dev_free(p->ops.ctx, b->dev);
        nt_err_set(e, "pinned host memory for a %zu-byte probe buffer is exhausted", cap);
        goto fail;
    }
    return b;
fail:
    pthread_mutex_lock(&p->mu);
    p->held -= cap;
    pthread_mutex_unlock(&p->mu);
    free(b);
    return NULL;
}

void inj_pool_release(inj_pool *p, inj_buf *b)
{
    unsigned c = inj_class(b->cap);
    pthread_mutex_lock(&p->mu);
    b->next = p->free_[c];
    p->free_[c] = b;
    pthread_mutex_unlock(&p->mu);
}

uint64_t inj_pool_held(inj_pool *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t h = p->held;
    pthread_mutex_unlock(&p->mu);
    return h;
}

uint64_t inj_pool_peak(inj_pool *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t h = p->peak;
    pthread_mutex_unlock(&p->mu);
    return h;
}

void inj_pool_free(inj_pool *p)
{
    if (!p) return;
    for (unsigned c = 0; c < INJ_CLASSES; c++)
        while (p->free_[c]) {
            inj_buf *b = p->free_[c];
            p->free_[c] = b->next;
            inj_buf_destroy(p, b);
        }
    pthread_mutex_destroy(&p->mu);
    free(p);
}
