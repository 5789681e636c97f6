/* bench_collector.c — records per second from synthetic probe buffers into
 * SQLite through the whole collector (enqueue, writer thread, decode,
 * typed-table inserts, commits), next to a bare prepared-statement insert
 * loop of the same rows into the same kind of table (the ceiling), and
 * the producer's cost per submitted buffer.
 *
 *   BENCH_RECORDS   records per run (default 10,000,000)
 *   BENCH_DIR       where the databases go (default /tmp)
 */
#include <semaphore.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buffer/buffer.h"
#include "collector/collector.h"

/* 1024 blocks x 256 threads: 8192 warp slots, cap 8: 65536 records a buffer. */
static const uint32_t G[3] = {1024, 1, 1}, B[3] = {256, 1, 1};
#define CAP 8u
#define POOL 4

static sem_t pool_free;
static void release(void *ctx, const void *data) { sem_post(&pool_free); }

typedef struct shape {
    const char      *name;
    unsigned         nfields;
    const col_field *fields;
} shape;

static const col_field F3[] = {{"start", BUF_U64}, {"stop", BUF_U64}, {"sm", BUF_U32}};
static const col_field F5[] = {{"start", BUF_U64}, {"stop", BUF_U64}, {"sm", BUF_U32},
                               {"lane", BUF_U32}, {"addr", BUF_U64}};

static uint64_t file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CPU time of the whole process (all threads), ns: a measure that a
 * loaded machine does not distort the way it distorts wall time. */
static uint64_t process_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* A full buffer: every warp slot holds CAP records of distinct values. */
static uint8_t *make_buffer(const shape *s, buf_layout *l)
{
    uint8_t ty[8];
    uint16_t off[8];
    for (unsigned f = 0; f < s->nfields; f++) ty[f] = s->fields[f].type;
    buf_map_spec spec = {.level = BUF_WARP, .cap = CAP};
    buf_record_layout(ty, s->nfields, off, &spec.record_size, NULL);
    if (buf_layout_compute(l, G, B, &spec, 1, 0, 0, NULL, NULL)) abort();
    uint8_t *b = calloc(1, l->hdr.total_size);
    buf_layout_write(l, b, l->hdr.total_size, NULL);
    const buf_map_desc *m = &l->map[0];
    for (uint32_t w = 0; w < m->nslots; w++) {
        uint8_t *slot = b + m->offset + (uint64_t)w * m->slot_size;
        uint32_t count = CAP;
        memcpy(slot, &count, 4);
        for (uint32_t k = 0; k < CAP; k++) {
            uint8_t *r = slot + 8 + (size_t)k * m->record_size;
            for (unsigned f = 0; f < s->nfields; f++) {
                uint64_t v = (uint64_t)w * 1000003u + k * 7919u + f;
                memcpy(r + off[f], &v, buf_ftype_size((enum buf_ftype)ty[f]));
            }
        }
    }
    return b;
}

/* The collector end to end; returns records/s and prints the details. */
static double run_collector(const shape *s, const char *dir, uint64_t want)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench_collector_%s.db", dir, s->name);
    col *c = col_open(path, &(col_config){.overwrite = true}, NULL);
    col_map_def md = {"m", BUF_WARP, CAP, s->nfields, s->fields};
    int64_t pr = col_probe(c, &(col_probe_def){"bench", NULL, NULL, 1, &md}, NULL);
    buf_layout l;
    uint8_t *pool[POOL];
    for (int i = 0; i < POOL; i++) pool[i] = make_buffer(s, &l);
    uint64_t per = (uint64_t)l.map[0].nslots * CAP;
    uint64_t nbuf = (want + per - 1) / per;
    sem_init(&pool_free, 0, POOL);
    col_flush(c);
    uint64_t *enq = calloc(nbuf, sizeof *enq), cpu0 = process_cpu_ns(), t0 = nt_now_ns();
    for (uint64_t i = 0; i < nbuf; i++) {
        col_launch_info li = {.probe_id = pr, .grid = {G[0], G[1], G[2]},
                              .block = {B[0], B[1], B[2]}, .correlation_id = (uint32_t)i};
        int64_t id = col_launch(c, &li);
        sem_wait(&pool_free);              /* the injector's buffer pool */
        uint8_t *b = pool[i % POOL];
        uint64_t lid = (uint64_t)id;
        memcpy(b + 8, &lid, 8);            /* buf_header.launch_id */
        uint64_t e0 = nt_now_ns();
        if (col_submit_buffer(c, id, b, l.hdr.total_size, release, NULL)) {
            fprintf(stderr, "bench: buffer %llu dropped\n", (unsigned long long)i);
            return 0;
        }
        enq[i] = nt_now_ns() - e0;
    }
    col_flush(c);
    uint64_t t1 = nt_now_ns();
    col_totals t;
    nt_err e = {0};
    if (col_close(c, &t, &e)) fprintf(stderr, "bench: %s\n", e.msg);
    uint64_t t2 = nt_now_ns(), cpu = process_cpu_ns() - cpu0;
    double rate = t.records_saved / ((t1 - t0) / 1e9);
    printf("bench collector_ingest%s: %.0f records/s\n", s->nfields == 3 ? "" : "_5col", rate);
    printf("  %s: %llu records in %llu buffers of %llu bytes, %.2f s to commit, %.2f s to "
           "close (indexes, final checkpoint), db %.1f MiB (%.1f bytes/record)\n", s->name,
           (unsigned long long)t.records_saved, (unsigned long long)nbuf,
           (unsigned long long)l.hdr.total_size, (t1 - t0) / 1e9, (t2 - t1) / 1e9,
           file_size(path) / 1048576.0, (double)file_size(path) / (double)t.records_saved);
    printf("bench collector_ingest_with_close_%s: %.0f records/s\n", s->name,
           t.records_saved / ((t2 - t0) / 1e9));
    printf("bench collector_ingest_cpu_%s: %.0f records per CPU-second (all threads, with "
           "close)\n", s->name, t.records_saved / (cpu / 1e9));
    /* The wall time of a call also holds preemption on a loaded machine;
     * bench_enqueue measures the CPU cost. */
    qsort(enq, nbuf, sizeof *enq, cmp_u64);
    printf("  %s: col_submit_buffer wall time: median %.2f us, max %.1f us\n", s->name,
           enq[nbuf / 2] / 1e3, enq[nbuf - 1] / 1e3);
    free(enq);
    for (int i = 0; i < POOL; i++) free(pool[i]);
    sem_destroy(&pool_free);
    unlink(path);
    return rate;
}

/* The ceiling: the same rows (launchId, blockId, warpId, seq, fields) into
 * the same kind of table (rowid, no index) by a bare loop over one
 * single-row prepared statement, same pragmas, 100,000 rows per
 * transaction, checkpoints by SQLite itself. */
static double run_ceiling(const shape *s, const char *dir, uint64_t want)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench_ceiling_%s.db", dir, s->name);
    unlink(path);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA page_size = 65536; PRAGMA journal_mode = WAL;"
                     " PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;", 0, 0, 0);
    nt_sb ddl = {0}, ins = {0};
    nt_sb_puts(&ddl, "CREATE TABLE t (launchId INTEGER NOT NULL, blockId INTEGER NOT NULL,"
                     " warpId INTEGER NOT NULL, seq INTEGER NOT NULL");
    nt_sb_puts(&ins, "INSERT INTO t VALUES (?,?,?,?");
    for (unsigned f = 0; f < s->nfields; f++) {
        nt_sb_printf(&ddl, ", \"%s\" INTEGER", s->fields[f].name);
        nt_sb_puts(&ins, ",?");
    }
    nt_sb_puts(&ddl, ")");
    nt_sb_puts(&ins, ")");
    sqlite3_exec(db, ddl.s, 0, 0, 0);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, ins.s, -1, &st, NULL);
    uint32_t wpb = (B[0] + 31) / 32, nw = G[0] * wpb;
    uint64_t cpu0 = process_cpu_ns(), t0 = nt_now_ns(), n = 0;
    sqlite3_exec(db, "BEGIN", 0, 0, 0);
    for (int64_t launch = 1; n < want; launch++) {
        for (uint32_t w = 0; w < nw && n < want; w++)
            for (uint32_t k = 0; k < CAP; k++, n++) {
                sqlite3_bind_int64(st, 1, launch);
                sqlite3_bind_int64(st, 2, w / wpb);
                sqlite3_bind_int64(st, 3, w % wpb);
                sqlite3_bind_int64(st, 4, k);
                for (unsigned f = 0; f < s->nfields; f++)
                    sqlite3_bind_int64(st, 5 + (int)f, (int64_t)w * 1000003 + k * 7919 + f);
                sqlite3_step(st);
                sqlite3_reset(st);
                if (n % 100000 == 99999) {
                    sqlite3_exec(db, "COMMIT", 0, 0, 0);
                    sqlite3_exec(db, "BEGIN", 0, 0, 0);
                }
            }
    }
    sqlite3_exec(db, "COMMIT", 0, 0, 0);
    uint64_t t1 = nt_now_ns();
    sqlite3_finalize(st);
    sqlite3_close(db);
    uint64_t cpu = process_cpu_ns() - cpu0;
    nt_sb_free(&ddl);
    nt_sb_free(&ins);
    double rate = n / ((t1 - t0) / 1e9);
    printf("bench collector_ceiling%s: %.0f rows/s\n", s->nfields == 3 ? "" : "_5col", rate);
    printf("bench collector_ceiling_cpu_%s: %.0f rows per CPU-second\n", s->name, n / (cpu / 1e9));
    char p2[600];
    unlink(path);
    snprintf(p2, sizeof p2, "%s-wal", path); unlink(p2);
    snprintf(p2, sizeof p2, "%s-shm", path); unlink(p2);
    return rate;
}

static void release_nop(void *ctx, const void *data) {}

/* The producer's cost per buffer handed over (zero-copy): its thread's
 * CPU time over many calls.  The buffers name no launch, so the writer
 * rejects them quickly (warnings silenced). */
static void bench_enqueue(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench_collector_enqueue.db", dir);
    setenv("NTRACE_LOG", "error", 1);
    nt_log_reset();
    col *c = col_open(path, &(col_config){.overwrite = true, .queue_items = 1 << 20,
                                          .queue_bytes = (size_t)1 << 32}, NULL);
    static uint8_t tiny[64];
    enum { N = 200000 };
    for (int pass = 0; pass < 2; pass++) {         /* the first warms malloc */
        uint64_t c0 = thread_cpu_ns(), t0 = nt_now_ns();
        for (int i = 0; i < N; i++)
            col_submit_buffer(c, 1000000 + i, tiny, sizeof tiny, release_nop, NULL);
        uint64_t c1 = thread_cpu_ns(), t1 = nt_now_ns();
        col_flush(c);
        if (pass)
            printf("bench collector_enqueue: %.3f us/buffer (producer thread CPU; wall %.3f us)\n",
                   (c1 - c0) / 1e3 / N, (t1 - t0) / 1e3 / N);
    }
    col_close(c, NULL, NULL);
    unlink(path);
    unsetenv("NTRACE_LOG");
    nt_log_reset();
}

int main(void)
{
    const char *dir = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    uint64_t want = getenv("BENCH_RECORDS") ? strtoull(getenv("BENCH_RECORDS"), NULL, 10)
                                            : 10000000ull;
    const shape shapes[] = {{"3col", 3, F3}, {"5col", 5, F5}};
    for (size_t i = 0; i < NT_ARRAY_LEN(shapes); i++) {
        double ceil = run_ceiling(&shapes[i], dir, want);
        double got = run_collector(&shapes[i], dir, want);
        printf("bench collector_vs_ceiling_%s: %.0f %%\n", shapes[i].name, 100.0 * got / ceil);
    }
    bench_enqueue(dir);
    return 0;
}
