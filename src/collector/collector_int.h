/*
 * collector_int.h — private to src/collector: queue items, the queue, the writer.
 */
#ifndef NT_COLLECTOR_INT_H
#define NT_COLLECTOR_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "collector/collector.h"

enum col_kind {
    /* registration: never dropped */
    COL_DEVICE, COL_MODULE, COL_KERNEL, COL_PROBE, COL_LAUNCH, COL_UNPROBED, COL_STALL, COL_STRING,
    /* bulk: bounded */
    COL_BUFFER, COL_KACT, COL_MEMCPY, COL_MEMSET, COL_PCS, COL_PCLINES,
    COL_NKINDS
};
#define COL_IS_BULK(k) ((k) >= COL_BUFFER)

/* A registered probe as the writer keeps it (copied at col_probe). */
typedef struct col_pmap {
    char          *name;
    uint16_t       level;
    uint32_t       cap;
    unsigned       nfields;
    char         **fnames;
    uint8_t       *ftypes;
    uint16_t      *foffs;
    uint16_t       record_size;
    char          *table;       /* writer: its table name */
    unsigned       ncols;       /* writer: columns of its table */
    sqlite3_stmt  *ins;         /* writer: INSERT of one row */
    sqlite3_stmt  *ins_n;       /* writer: INSERT of COL_ROWS_PER_INSERT rows */
} col_pmap;

typedef struct col_probe_rec {
    int64_t   id;
    char     *name, *path, *source;
    unsigned  nmaps;
    col_pmap  maps[BUF_MAX_MAPS];
} col_probe_rec;

typedef struct col_item {
    struct col_item *next;
    enum col_kind    kind;
    size_t           bytes;     /* what it counts against queue_bytes */
    int64_t          id;        /* new row's id, or the launch id */
    union {
        col_device_info     dev;
        col_module_info     mod;
        col_kernel_info     ker;
        col_probe_rec      *probe;
        col_launch_info     launch;
        const char         *text;     /* UNPROBED reason, STALL name */
        col_kernel_activity kact;
        col_memcpy_activity mcpy;
        col_memset_activity mset;
        struct {
            const void    *data;
            size_t         size;
            col_release_fn release;
            void          *ctx;
        } buf;
        struct {
            col_pc_sample *s;
            size_t         n;
        } pcs;
        struct {
            col_pc_line   *l;
            size_t         n;
        } pcl;
    } u;
    uint32_t index;             /* STALL: the reason's index */
    /* strings (and copied buffers, PC samples) follow */
} col_item;

/* StringIds of a kernel's names (by kernel id), for its launch rows. */
typedef struct col_kname {
    int64_t demangled, shortn, mangled;
} col_kname;

/* Records go in multi-row INSERTs: one statement step per this many rows
 * roughly halves SQLite's per-row overhead (bench_collector). */
#define COL_ROWS_PER_INSERT 32

/* Per-launch facts the writer needs when the buffer comes (in
 * col.pending, by launch id, until the buffer came). */
typedef struct col_launch_rec {
    int64_t  probe_id;
    uint32_t grid[3], block[3];
} col_launch_rec;

struct col {
    char          *path;
    col_config     cfg;
    /* ids handed out at once to producers */
    atomic_llong   next_module, next_kernel, next_probe, next_launch;

    /* ---- the queue: everything under mu ---- */
    pthread_mutex_t mu;
    pthread_cond_t  wake;       /* writer waits for items / close */
    pthread_cond_t  done;       /* flushers wait for committed_seq */
    col_item       *head, *tail;
    size_t          q_items, q_bytes;  /* bulk items/bytes queued or in work */
    uint64_t        enq_seq;    /* items queued so far */
    uint64_t        done_seq;   /* items committed (or lost) so far */
    bool            closing;
    bool            writer_waiting;    /* in col_take's wait: signal it */
    uint64_t        flush_target;      /* col_flush waits for done_seq >= this */
    uint64_t        qdrop[COL_NKINDS];
    uint64_t        qdrop_bytes;
    bool            qdrop_warned[COL_NKINDS];
    NT_VEC(int64_t) qdrop_launches;    /* launches whose buffer was dropped */
    col_totals      pub;        /* what col_stats returns, copied by the writer */

    /* ---- the checkpointer: its own connection, its own thread ---- */
    pthread_t       ckpt_thread;
    bool            ckpt_started;
    sqlite3        *ckpt_db;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t  ckpt_wake;
    bool            ckpt_stop;
    uint64_t        ckpt_commits;      /* commits since the last checkpoint */

    /* ---- the writer's own state (no lock) ---- */
    pthread_t       thread;
    bool            thread_started;
    sqlite3        *db;
    bool            failed;     /* the database is lost: discard and count */
    bool            in_txn;
    uint64_t        txn_rows, txn_records, txn_launches, txn_buffers, txn_rejected;
    uint64_t        txn_saved, txn_dropped;
    uint64_t        txn_start_ns;
    int             wal_frames;  /* frames in the WAL after the last commit */
    col_totals      tot;        /* committed totals */
    sqlite3_stmt   *st[32];     /* prepared statements, enum col_stmt */
    nt_map          strings;    /* interned text -> StringIds.id */
    nt_arena        arena;      /* keys of strings */
    int64_t         next_string;
    nt_imap         corr;       /* correlation id -> launch id */
    nt_imap         pending;    /* launch id -> col_launch_rec *: buffer to come */
    NT_VEC(col_kname) knames;          /* by kernel id */
    NT_VEC(col_probe_rec *) probes;    /* by probe id */
    nt_map          tables;     /* table names in use */
};

/* Prepared statements of the fixed tables. */
enum col_stmt {
    ST_STRING, ST_DEVICE, ST_MODULE, ST_KERNEL, ST_PROBE, ST_PMAP, ST_PFIELD,
    ST_LAUNCH, ST_UNPROBED, ST_STALL, ST_KACT_UPD, ST_KACT_INS, ST_MEMCPY, ST_MEMSET,
    ST_PCS, ST_LAUNCH_RECS, ST_LAUNCH_REJECT, ST_PCLINE, ST_NSTMT
};

/* collector.c */
void col_probe_rec_free(col_probe_rec *p);

/* queue.c */
/* Queues it (true), or drops and frees it and counts the drop (false). */
bool col_enqueue(col *c, col_item *it);
void col_item_free(col_item *it);
/* Writer: takes the whole queue (NULL when closing and empty).  Waits at
 * most wait_ms when empty and not closing (returns NULL then too).
 * *urgent: closing, or a flusher waits for what is pending. */
col_item *col_take(col *c, int wait_ms, bool *closing, bool *urgent);
/* Writer: n items (bulk_items/bulk_bytes of them) are committed or lost. */
void col_retire(col *c, uint64_t n, size_t bulk_items, size_t bulk_bytes);

/* schema.c */
int  col_schema_create(col *c, nt_err *e);
int  col_schema_prepare(col *c, nt_err *e);
int  col_schema_indexes(col *c, nt_err *e);
/* Appends the CREATE INDEX of a PROBE_* table to sql. */
void col_map_index_sql(nt_sb *sql, const char *table);
int  col_schema_map_table(col *c, col_probe_rec *p, unsigned m, nt_err *e);
/* Identifier rule of probe, map and field names. */
bool col_ident_ok(const char *s);
/* Short name as Nsight Systems shows it: demangled, no arguments, no scope. */
char *col_short_name(const char *demangled);   /* caller frees */

/* ingest.c: one item into the open transaction; -1 with e on an SQLite
 * error (the database is then failed). */
int  col_ingest(col *c, col_item *it, nt_err *e);
/* Records an item would have produced: for the loss count. */
void col_count_lost(col *c, col_item *it);
int64_t col_string(col *c, const char *s, nt_err *e);
void col_pending_free(col *c);

/* checkpoint.c */
void col_ckpt_start(col *c);
void col_ckpt_kick(col *c);             /* writer: a transaction was committed */
void col_ckpt_stop(col *c);
/* Writer, after a commit: past this many WAL frames (64 KiB pages), it
 * checkpoints itself (see checkpoint.c). */
#define COL_WAL_MAX_FRAMES 512
void col_ckpt_bound(col *c);

/* writer.c */
void *col_writer_main(void *arg);
int   col_sql_err(col *c, int rc, const char *what, nt_err *e);

#endif /* NT_COLLECTOR_INT_H */
