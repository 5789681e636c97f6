/* writer.c — the writer thread: batches queue items into transactions and,
 * once the database fails, discards and counts what is lost. */
#include "collector/collector_int.h"

#include <stdio.h>
#include <string.h>

/* A transaction is committed after this long even while items keep
 * coming, so a crash loses at most about this much. */
#define COL_TXN_MAX_NS 500000000ull

int col_sql_err(col *c, int rc, const char *what, nt_err *e)
{
    const char *msg = c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
    return nt_err_set(e, "database %s: %s while %s", c->path, msg, what);
}

/* Adds the open transaction's counts to the committed totals. */
static void txn_commit_counts(col *c)
{
    c->tot.rows += c->txn_rows;
    c->tot.records_saved += c->txn_records;
    c->tot.launches += c->txn_launches;
    c->tot.buffers += c->txn_buffers;
    c->tot.buffers_rejected += c->txn_rejected;
    c->tot.records_dropped += c->txn_dropped;
    c->txn_rows = c->txn_records = c->txn_launches = c->txn_buffers = 0;
    c->txn_rejected = c->txn_saved = c->txn_dropped = 0;
}

/* The database is lost: say so once, count the open transaction as lost. */
static void db_fail(col *c, const nt_err *e)
{
    if (c->in_txn) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    c->in_txn = false;
    c->failed = true;
    c->tot.records_lost += c->txn_records;
    c->tot.rows_lost += c->txn_rows - c->txn_records;
    c->txn_rows = c->txn_records = c->txn_launches = c->txn_buffers = 0;
    c->txn_rejected = c->txn_saved = c->txn_dropped = 0;
    snprintf(c->tot.db_error, sizeof c->tot.db_error, "%s", e->msg);
    nt_error("collector: %s; the run goes on, everything from here on is counted as lost "
             "(%llu rows committed before)", e->msg, (unsigned long long)c->tot.rows);
}

static int txn_begin(col *c)
{
    nt_err e = {0};
    int rc = sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        col_sql_err(c, rc, "starting a transaction", &e);
        db_fail(c, &e);
        return -1;
    }
    c->in_txn = true;
    c->txn_start_ns = nt_now_ns();
    return 0;
}

/* Commits (or, failed, just settles) and retires n items. */
static void txn_commit(col *c, uint64_t *pending)
{
    if (c->in_txn) {
        int rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            nt_err e = {0};
            col_sql_err(c, rc, "committing", &e);
            db_fail(c, &e);
        } else {
            c->in_txn = false;
            txn_commit_counts(c);
            col_ckpt_kick(c);
            col_ckpt_bound(c);
        }
    }
    col_retire(c, *pending, 0, 0);
    *pending = 0;
}

/* A transaction is committed when the queue runs empty, but not before
 * it is this old (unless col_flush or col_close wait for it): each commit
 * writes the last page of every table it touched (64 KiB each) to the WAL,
 * so committing after every few launches made the WAL grow by gigabytes
 * in a 200 k-launch run. */
#define COL_TXN_MIN_NS 50000000ull

/* Polling interval of the writer while the queue is empty: short while
 * items keep coming, doubling up to the maximum when the run is idle. */
#define COL_POLL_MIN_MS 1
#define COL_POLL_MAX_MS 100

void *col_writer_main(void *arg)
{
    col *c = arg;
    uint64_t pending = 0;      /* items ingested, not yet committed */
    int poll_ms = COL_POLL_MIN_MS;
    for (;;) {
        bool closing, urgent;
        /* With a transaction open, an empty queue means: commit once it is
         * COL_TXN_MIN_NS old (at once when failed: nothing to write). */
        uint64_t age = c->in_txn ? nt_now_ns() - c->txn_start_ns : COL_TXN_MIN_NS;
        int wait = poll_ms;
        if (c->in_txn || pending)
            wait = age < COL_TXN_MIN_NS ? (int)((COL_TXN_MIN_NS - age) / 1000000 + 1) : 0;
        col_item *list = col_take(c, wait, &closing, &urgent);
        if (!list) {
            if (c->in_txn || pending) {
                if (urgent || !c->in_txn || nt_now_ns() - c->txn_start_ns >= COL_TXN_MIN_NS)
                    txn_commit(c, &pending);
            } else {
                poll_ms = NT_MIN(poll_ms * 2, COL_POLL_MAX_MS);
            }
            if (closing && !c->in_txn && !pending) break;
            continue;
        }
        poll_ms = COL_POLL_MIN_MS;
        size_t bulk_items = 0, bulk_bytes = 0;
        for (col_item *it = list, *next; it; it = next) {
            next = it->next;
            if (!c->failed && !c->in_txn) txn_begin(c);
            if (!c->failed) {
                nt_err e = {0};
                uint64_t rows0 = c->txn_rows, recs0 = c->txn_records;
                if (col_ingest(c, it, &e)) {
                    /* The item is counted whole by col_count_lost, not
                     * also by its rows written before the failure. */
                    c->txn_rows = rows0;
                    c->txn_records = recs0;
                    db_fail(c, &e);
                    col_count_lost(c, it);
                }
            } else {
                col_count_lost(c, it);
            }
            if (COL_IS_BULK(it->kind)) {
                bulk_items++;
                bulk_bytes += it->bytes;
            }
            pending++;
            col_item_free(it);
            if (c->in_txn && (c->txn_rows >= c->cfg.batch_rows ||
                              nt_now_ns() - c->txn_start_ns > COL_TXN_MAX_NS))
                txn_commit(c, &pending);
        }
        col_retire(c, 0, bulk_items, bulk_bytes);
    }
    return NULL;
}
