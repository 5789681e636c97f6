/* Tests: the collector under pressure — many producer threads, a full
 * queue, a SIGKILL in the middle of a run, a database that cannot be
 * created, a database that fills up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "col_test.h"

#define assert_q(db, sql, want) assert_int_equal(q_int((db), (sql)), (want))

static const uint32_t G[3] = {2, 1, 1}, B[3] = {64, 1, 1};   /* 2 blocks, 4 warps */

static atomic_int released;
static void release_free(void *ctx, const void *data)
{
    atomic_fetch_add(&released, 1);
    free((void *)data);
}

typedef struct prod_arg {
    col     *c;
    int64_t  probe;
    int      n;
    uint64_t records;
} prod_arg;

static void *producer(void *p)
{
    prod_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        col_launch_info li = {.probe_id = a->probe, .grid = {2, 1, 1}, .block = {64, 1, 1},
                              .correlation_id = (uint32_t)(a->n * 100 + i)};
        int64_t id = col_launch(a->c, &li);
        buf_layout l;
        uint64_t n;
        uint8_t *b = fill_buffer(&l, G, B, id, &n);
        if (col_submit_buffer(a->c, id, b, l.hdr.total_size, release_free, NULL) == 0)
            a->records += n;
        col_memcpy(a->c, &(col_memcpy_activity){.correlation_id = li.correlation_id,
                                                 .bytes = (uint64_t)i});
    }
    return NULL;
}

static void many_producers(void **state)
{
    char *dir = t_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/mt.db", dir);
    /* Small batches: many commits interleave with the producers. */
    col *c = col_open(path, &(col_config){.batch_rows = 500}, NULL);
    assert_non_null(c);
    int64_t pr = col_probe(c, &T_PROBE, NULL);
    enum { NT = 8, PER = 60 };
    pthread_t th[NT];
    prod_arg args[NT];
    atomic_store(&released, 0);
    for (int i = 0; i < NT; i++) {
        args[i] = (prod_arg){c, pr, PER, 0};
        pthread_create(&th[i], NULL, producer, &args[i]);
    }
    uint64_t want = 0;
    for (int i = 0; i < NT; i++) {
        pthread_join(th[i], NULL);
        want += args[i].records;
    }
    col_totals t;
    nt_err e = {0};
    assert_int_equal(col_close(c, &t, &e), 0);
    assert_int_equal(atomic_load(&released), NT * PER);
    assert_int_equal(t.launches, NT * PER);
    assert_int_equal(t.buffers, NT * PER);
    assert_int_equal(t.records_saved, want);
    assert_int_equal(t.records_dropped, NT * PER * 1);   /* 4 warps: w=2 saves 3 times */
    sqlite3 *db;
    assert_int_equal(col_db_open(path, &db, &e), 0);
    assert_q(db, "SELECT (SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_SCHED) + "
                 "(SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_MEM)", (int64_t)want);
    assert_q(db, "SELECT COUNT(*) FROM CUPTI_ACTIVITY_KIND_MEMCPY", NT * PER);
    /* Every launch's counts match its rows: buffers are never split. */
    assert_q(db, "SELECT COUNT(*) FROM CUPTI_ACTIVITY_KIND_KERNEL k WHERE recordsSaved != "
                 "(SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_SCHED s WHERE s.launchId = k.launchId) "
                 "+ (SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_MEM m WHERE m.launchId = k.launchId)",
             0);
    /* Records carry their own launch id in `start`: nothing was mixed up. */
    assert_q(db, "SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_SCHED WHERE start != launchId", 0);
    sqlite3_close(db);
    t_rmdir(dir);
}

/* ---- a full queue ----------------------------------------------------------- */
static sem_t in_release, go_on;
static void release_block(void *ctx, const void *data)
{
    sem_post(&in_release);
    sem_wait(&go_on);
    free((void *)data);
}

static void queue_overflow_counted(void **state)
{
    char *dir = t_tmpdir(), path[512], logp[512];
    snprintf(path, sizeof path, "%s/q.db", dir);
    snprintf(logp, sizeof logp, "%s/log.txt", dir);
    setenv("NTRACE_LOG_FILE", logp, 1);
    nt_log_reset();
    sem_init(&in_release, 0, 0);
    sem_init(&go_on, 0, 0);
    atomic_store(&released, 0);
    col *c = col_open(path, &(col_config){.queue_items = 3}, NULL);
    int64_t pr = col_probe(c, &T_PROBE, NULL);
    int64_t id[4];
    for (int i = 0; i < 4; i++)
        id[i] = col_launch(c, &(col_launch_info){.probe_id = pr, .grid = {2, 1, 1},
                                                 .block = {64, 1, 1}});
    col_flush(c);
    buf_layout l;
    uint64_t n;
    /* The writer takes buffer 0 and blocks in its release: until it
     * returns, buffer 0 still counts against the queue bound. */
    uint8_t *b = fill_buffer(&l, G, B, id[0], &n);
    assert_int_equal(col_submit_buffer(c, id[0], b, l.hdr.total_size, release_block, NULL), 0);
    sem_wait(&in_release);
    for (int i = 1; i < 3; i++) {
        b = fill_buffer(&l, G, B, id[i], &n);
        assert_int_equal(col_submit_buffer(c, id[i], b, l.hdr.total_size, release_free, NULL), 0);
    }
    b = fill_buffer(&l, G, B, id[3], &n);
    assert_int_equal(col_submit_buffer(c, id[3], b, l.hdr.total_size, release_free, NULL), -1);
    assert_int_equal(atomic_load(&released), 1);     /* released before the call returned */
    assert_int_equal(col_memcpy(c, &(col_memcpy_activity){.bytes = 1}), -1);
    col_totals t;
    col_stats(c, &t);
    assert_int_equal(t.queue_dropped, 2);
    sem_post(&go_on);
    nt_err e = {0};
    assert_int_equal(col_close(c, &t, &e), -1);
    assert_int_equal(t.queue_dropped, 2);
    assert_int_equal(t.queue_dropped_buffers, 1);
    assert_int_equal(t.queue_dropped_bytes, l.hdr.total_size);
    assert_int_equal(t.buffers, 3);
    char want[160];
    snprintf(want, sizeof want, "queue full: dropped 2 items (1 probe buffers, %llu bytes)",
             (unsigned long long)l.hdr.total_size);
    if (!strstr(e.msg, want)) fail_msg("'%s' lacks '%s'", e.msg, want);
    unsetenv("NTRACE_LOG_FILE");
    nt_log_reset();
    nt_file f;
    assert_int_equal(nt_file_open(&f, logp, NULL), 0);
    assert_non_null(strstr(f.data, "queue full (3 items"));
    assert_non_null(strstr(f.data, "dropping the probe buffer of launch 4"));
    assert_non_null(strstr(f.data, "dropping a memcpy activity record"));
    nt_file_close(&f);
    sqlite3 *db;
    assert_int_equal(col_db_open(path, &db, NULL), 0);
    assert_string_equal(q_text(db, "SELECT probeStatus FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE "
                                   "launchId = 4"), "buffer dropped: collector queue full");
    assert_q(db, "SELECT COUNT(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE probeStatus = 'probed'", 3);
    assert_q(db, "SELECT queueDropped FROM NTRACE_RUN", 2);
    sqlite3_close(db);
    sem_destroy(&in_release);
    sem_destroy(&go_on);
    t_rmdir(dir);
}

/* ---- SIGKILL in the middle of a run ----------------------------------------- */
static const uint32_t KG[3] = {16, 1, 1}, KB[3] = {256, 1, 1};

static void child_run(const char *path, int fd)
{
    col *c = col_open(path, NULL, NULL);
    int64_t pr = col_probe(c, &T_PROBE, NULL);
    for (int i = 0;; i++) {
        int64_t id = col_launch(c, &(col_launch_info){.probe_id = pr, .grid = {16, 1, 1},
                                                      .block = {256, 1, 1}});
        buf_layout l;
        uint64_t n;
        uint8_t *buf = fill_buffer(&l, KG, KB, id, &n);
        col_submit_buffer(c, id, buf, l.hdr.total_size, release_free, NULL);
        if (i < 5) {
            col_flush(c);
            if (write(fd, "x", 1) != 1) _exit(3);
        }
    }
}

static void sigkill_keeps_committed(void **state)
{
    char *dir = t_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/kill.db", dir);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_run(path, fds[1]);
        _exit(0);
    }
    close(fds[1]);
    char ack[5];
    size_t got = 0;
    while (got < 5) {
        ssize_t r = read(fds[0], ack + got, 5 - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
    usleep(150 * 1000);           /* the child is busy writing more */
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(fds[0]);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    sqlite3 *db;
    nt_err e = {0};
    if (col_db_open(path, &db, &e)) fail_msg("%s", e.msg);
    assert_string_equal(q_text(db, "PRAGMA integrity_check"), "ok");
    int64_t probed = q_int(db, "SELECT COUNT(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE "
                               "probeStatus = 'probed'");
    assert_true(probed >= 5);
    /* Whole buffers only: the rows match the committed launches' counts. */
    assert_q(db, "SELECT (SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_SCHED) + (SELECT COUNT(*) "
                 "FROM PROBE_BLOCK_SCHED_MEM) = (SELECT SUM(recordsSaved) FROM "
                 "CUPTI_ACTIVITY_KIND_KERNEL)", 1);
    buf_layout l;
    uint64_t per;
    free(fill_buffer(&l, KG, KB, 1, &per));
    assert_q(db, "SELECT MIN(recordsSaved) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE "
                 "probeStatus = 'probed'", (int64_t)per);
    assert_q(db, "SELECT MAX(recordsSaved) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE "
                 "probeStatus = 'probed'", (int64_t)per);
    sqlite3_close(db);
    t_rmdir(dir);
}

/* ---- a database that cannot be written -------------------------------------- */
static void submit_some(col *c, int nbuf, uint64_t *records, bool flush_each)
{
    int64_t pr = col_probe(c, &T_PROBE, NULL);
    const uint32_t g[3] = {16, 1, 1}, b[3] = {128, 1, 1};
    *records = 0;
    for (int i = 0; i < nbuf; i++) {
        int64_t id = col_launch(c, &(col_launch_info){.probe_id = pr, .grid = {16, 1, 1},
                                                      .block = {128, 1, 1}});
        buf_layout l;
        uint64_t n;
        uint8_t *buf = fill_buffer(&l, g, b, id, &n);
        assert_int_equal(col_submit_buffer(c, id, buf, l.hdr.total_size, NULL, NULL), 0);
        free(buf);
        *records += n;
        assert_int_equal(col_memset(c, &(col_memset_activity){.bytes = 8}), 0);
        if (flush_each) col_flush(c);
    }
}

static void unwritable_path_counts_loss(void **state)
{
    char *dir = t_tmpdir(), path[512], file[512];
    snprintf(file, sizeof file, "%s/plain", dir);
    assert_int_equal(nt_file_write(file, "x", 1, NULL), 0);
    snprintf(path, sizeof path, "%s/plain/run.db", dir);      /* a file is no directory */
    setenv("NTRACE_LOG_FILE", "/dev/null", 1);
    nt_log_reset();
    nt_err e = {0};
    col *c = col_open(path, NULL, &e);
    assert_non_null(c);
    col_totals t;
    col_stats(c, &t);
    assert_non_null(strstr(t.db_error, "plain/run.db: unable to open database file while "
                                       "creating it"));
    uint64_t records;
    submit_some(c, 10, &records, false);
    assert_int_equal(col_close(c, &t, &e), -1);
    assert_int_equal(t.records_saved, 0);
    assert_int_equal(t.records_lost, records);
    assert_int_equal(t.rows_lost, 10 + 10);   /* launches, memsets */
    char want[200];
    snprintf(want, sizeof want, "unable to open database file while creating it: lost %llu "
             "probe records and 20 other rows", (unsigned long long)records);
    if (!strstr(e.msg, want)) fail_msg("'%s' lacks '%s'", e.msg, want);
    unsetenv("NTRACE_LOG_FILE");
    nt_log_reset();
    t_rmdir(dir);
}

static void full_database_counts_loss(void **state)
{
    char *dir = t_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/full.db", dir);
    setenv("NTRACE_LOG_FILE", "/dev/null", 1);
    nt_log_reset();
    nt_err e = {0};
    col *c = col_open(path, &(col_config){.max_db_bytes = 2 << 20}, &e);
    assert_non_null(c);
    uint64_t records;
    submit_some(c, 30, &records, true);     /* ~65 k rows: past the 0.5 MiB the schema leaves */
    col_totals t;
    assert_int_equal(col_close(c, &t, &e), -1);
    assert_true(t.records_saved > 0);
    assert_true(t.records_lost > 0);
    assert_int_equal(t.records_saved + t.records_lost, records);   /* every record accounted */
    assert_non_null(strstr(t.db_error, "database or disk is full"));
    assert_non_null(strstr(e.msg, "database or disk is full"));
    unsetenv("NTRACE_LOG_FILE");
    nt_log_reset();
    sqlite3 *db;
    assert_int_equal(col_db_open(path, &db, NULL), 0);
    assert_string_equal(q_text(db, "PRAGMA integrity_check"), "ok");
    assert_q(db, "SELECT (SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_SCHED) + (SELECT COUNT(*) "
                 "FROM PROBE_BLOCK_SCHED_MEM)", (int64_t)t.records_saved);
    sqlite3_close(db);
    t_rmdir(dir);
}

/* The database fills up only at the end of the run (the indexes need new
 * pages): the data is all there, and the one error line gives the real
 * cause of that step (read before the ROLLBACK that once replaced it with
 * "cannot rollback - no transaction is active"). */
static void full_at_the_end_one_true_line(void **state)
{
    char *dir = t_tmpdir(), path[512], log[512];
    uint64_t records;
    /* The same run without a limit: its size, indexes included (one
     * 64 KiB page each at least); the limit is 4 pages less. */
    snprintf(path, sizeof path, "%s/free.db", dir);
    col *c = col_open(path, NULL, NULL);
    submit_some(c, 1, &records, true);
    assert_int_equal(col_close(c, NULL, NULL), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s/end.db", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    setenv("NTRACE_LOG_FILE", log, 1);
    nt_log_reset();
    nt_err e = {0};
    c = col_open(path, &(col_config){.max_db_bytes = (uint64_t)st.st_size - 4 * 65536}, &e);
    assert_non_null(c);
    submit_some(c, 1, &records, true);      /* the data fits, the indexes do not */
    col_totals t;
    assert_int_equal(col_close(c, &t, &e), -1);
    assert_int_equal(t.records_saved, records);
    assert_int_equal(t.records_lost, 0);
    unsetenv("NTRACE_LOG_FILE");
    nt_log_reset();
    nt_file f;
    assert_int_equal(nt_file_open(&f, log, NULL), 0);
    char want[1200];
    snprintf(want, sizeof want, "ntrace: error: collector: database %s: database or disk is full "
             "while creating the indexes at the end of the run\n", path);
    assert_int_equal(f.size, strlen(want));
    assert_memory_equal(f.data, want, f.size);
    nt_file_close(&f);
    assert_non_null(strstr(t.db_error, "while creating the indexes at the end of the run"));
    sqlite3 *db;
    assert_int_equal(col_db_open(path, &db, NULL), 0);
    assert_string_equal(q_text(db, "PRAGMA integrity_check"), "ok");
    assert_q(db, "SELECT (SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_SCHED) + (SELECT COUNT(*) "
                 "FROM PROBE_BLOCK_SCHED_MEM)", (int64_t)records);
    sqlite3_close(db);
    t_rmdir(dir);
}

/* Mutated buffers through the whole writer: each is stored or rejected,
 * never crashes it, and the launch rows account for every one. */
static void mutated_buffers_accounted(void **state)
{
    char *dir = t_tmpdir(), path[512];
    snprintf(path, sizeof path, "%s/mut.db", dir);
    setenv("NTRACE_LOG_FILE", "/dev/null", 1);
    nt_log_reset();
    col *c = col_open(path, NULL, NULL);
    int64_t pr = col_probe(c, &T_PROBE, NULL);
    enum { N = 300 };
    uint64_t seed = 12345;
    for (int i = 0; i < N; i++) {
        int64_t id = col_launch(c, &(col_launch_info){.probe_id = pr, .grid = {2, 1, 1},
                                                      .block = {64, 1, 1}});
        buf_layout l;
        uint64_t n;
        uint8_t *b = fill_buffer(&l, G, B, id, &n);
        size_t size = l.hdr.total_size;
        for (int k = 0; k < 1 + i % 4; k++) {          /* a few random byte flips */
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(seed >> 33) % (i % 2 ? 256 : size);   /* header-heavy */
            b[at] ^= (uint8_t)(1u << ((seed >> 20) & 7));
        }
        if (i % 7 == 0) size -= (size_t)(seed >> 40) % size;            /* truncations */
        col_submit_buffer(c, id, b, size, NULL, NULL);
        free(b);
    }
    col_totals t;
    assert_int_equal(col_close(c, &t, NULL), 0);
    assert_int_equal(t.buffers + t.buffers_rejected, N);
    assert_true(t.buffers_rejected >= N / 7);
    sqlite3 *db;
    assert_int_equal(col_db_open(path, &db, NULL), 0);
    assert_q(db, "SELECT COUNT(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE probeStatus = 'probed'",
             (int64_t)t.buffers);
    assert_q(db, "SELECT COUNT(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE probeStatus LIKE "
                 "'buffer rejected: %'", (int64_t)t.buffers_rejected);
    assert_q(db, "SELECT (SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_SCHED) + (SELECT COUNT(*) "
                 "FROM PROBE_BLOCK_SCHED_MEM)", (int64_t)t.records_saved);
    sqlite3_close(db);
    unsetenv("NTRACE_LOG_FILE");
    nt_log_reset();
    t_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_producers),
        cmocka_unit_test(queue_overflow_counted),
        cmocka_unit_test(sigkill_keeps_committed),
        cmocka_unit_test(unwritable_path_counts_loss),
        cmocka_unit_test(full_database_counts_loss),
        cmocka_unit_test(full_at_the_end_one_true_line),
        cmocka_unit_test(mutated_buffers_accounted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
