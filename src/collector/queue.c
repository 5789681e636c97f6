/* queue.c — the bounded queue between producers and the writer thread.
 *
 * Invariants (under c->mu): q_items/q_bytes count the bulk items queued or
 * being written, so a slow disk holds producers to the bound, not twice
 * it; enq_seq - done_seq items are queued or in work. */
#include "collector/collector_int.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

static const char *const kind_what[COL_NKINDS] = {
    [COL_BUFFER] = "probe buffer",
    [COL_KACT]   = "kernel activity record",
    [COL_MEMCPY] = "memcpy activity record",
    [COL_MEMSET] = "memset activity record",
    [COL_PCS]    = "PC-sample batch",
    [COL_PCLINES] = "PC source-line batch",
};

void col_item_free(col_item *it)
{
    if (!it) return;
    if (it->kind == COL_BUFFER && it->u.buf.release)
        it->u.buf.release(it->u.buf.ctx, it->u.buf.data);
    if (it->kind == COL_PROBE) col_probe_rec_free(it->u.probe);
    free(it);
}

bool col_enqueue(col *c, col_item *it)
{
    bool bulk = COL_IS_BULK(it->kind);
    pthread_mutex_lock(&c->mu);
    if (!bulk && c->closing) {
        /* The writer may have taken its last items: nothing would write
         * this one.  Producers are meant to stop before col_close. */
        pthread_mutex_unlock(&c->mu);
        nt_debug("collector: a registration after the run was closed: dropped");
        col_item_free(it);
        return false;
    }
    if (bulk && (c->closing || c->q_items + 1 > c->cfg.queue_items ||
                 c->q_bytes + it->bytes > c->cfg.queue_bytes)) {
        bool warn = !c->qdrop_warned[it->kind];
        c->qdrop_warned[it->kind] = true;
        c->qdrop[it->kind]++;
        if (it->kind == COL_BUFFER) {
            c->qdrop_bytes += it->u.buf.size;
            nt_vec_push(&c->qdrop_launches, it->id);
        }
        size_t qi = c->q_items, qb = c->q_bytes;
        bool closing = c->closing;
        pthread_mutex_unlock(&c->mu);
        if (warn && closing) {
            nt_warn("collector: %s after the run was closed: dropped", kind_what[it->kind]);
        } else if (warn && it->kind == COL_BUFFER) {
            nt_warn("collector: queue full (%zu items, %zu bytes queued; limits %zu, %zu): "
                    "dropping the probe buffer of launch %lld (%zu bytes, its records are "
                    "lost); further drops are counted and reported at the end",
                    qi, qb, c->cfg.queue_items, c->cfg.queue_bytes, (long long)it->id,
                    it->u.buf.size);
        } else if (warn) {
            nt_warn("collector: queue full (%zu items, %zu bytes queued): dropping a %s; "
                    "further drops are counted and reported at the end",
                    qi, qb, kind_what[it->kind]);
        }
        col_item_free(it);
        return false;
    }
    if (bulk) {
        c->q_items++;
        c->q_bytes += it->bytes;
    }
    it->next = NULL;
    if (c->tail) c->tail->next = it;
    else c->head = it;
    c->tail = it;
    c->enq_seq++;
    /* Producers do not wake the writer for each item (a futex wake per
     * item would cost more than the rest of the call): it polls, and is
     * woken only when the queue fills up to a quarter of its bounds. */
    if (c->writer_waiting && (c->q_items >= c->cfg.queue_items / 4 ||
                              c->q_bytes >= c->cfg.queue_bytes / 4))
        pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    return true;
}

col_item *col_take(col *c, int wait_ms, bool *closing, bool *urgent)
{
    pthread_mutex_lock(&c->mu);
    if (!c->head && !c->closing && c->flush_target <= c->done_seq && wait_ms > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)wait_ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        c->writer_waiting = true;
        while (!c->head && !c->closing && c->flush_target <= c->done_seq)
            if (pthread_cond_timedwait(&c->wake, &c->mu, &ts) == ETIMEDOUT) break;
        c->writer_waiting = false;
    }
    col_item *it = c->head;
    c->head = c->tail = NULL;
    *closing = c->closing;
    *urgent = c->closing || c->flush_target > c->done_seq;
    pthread_mutex_unlock(&c->mu);
    return it;
}

void col_retire(col *c, uint64_t n, size_t bulk_items, size_t bulk_bytes)
{
    pthread_mutex_lock(&c->mu);
    c->done_seq += n;
    c->q_items -= bulk_items;
    c->q_bytes -= bulk_bytes;
    c->pub = c->tot;
    pthread_cond_broadcast(&c->done);
    pthread_mutex_unlock(&c->mu);
}
