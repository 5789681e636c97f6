/* checkpoint.c — WAL checkpoints on a second connection and thread.
 *
 * The writer's connection runs with wal_autocheckpoint off, so it never
 * stops to copy WAL pages into the database; this thread does it with
 * PASSIVE checkpoints (which never block the writer) after commits.  Once a
 * checkpoint has copied every frame, the writer's next transaction starts
 * the WAL over, so the WAL stays about as large as what is written between
 * two checkpoints.  If this thread cannot keep up or fails, the WAL just
 * grows; nothing is lost (the final checkpoint happens at col_close). */
#include "collector/collector_int.h"

#include <time.h>

static void *ckpt_main(void *arg)
{
    col *c = arg;
    pthread_mutex_lock(&c->ckpt_mu);
    while (!c->ckpt_stop) {
        if (c->ckpt_commits == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&c->ckpt_wake, &c->ckpt_mu, &ts);
            continue;
        }
        c->ckpt_commits = 0;
        pthread_mutex_unlock(&c->ckpt_mu);
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                           &log, &done);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            nt_debug("collector: checkpoint of %s: %s", c->path, sqlite3_errmsg(c->ckpt_db));
        pthread_mutex_lock(&c->ckpt_mu);
    }
    pthread_mutex_unlock(&c->ckpt_mu);
    return NULL;
}

/* The writer's WAL hook: how many frames the WAL holds after a commit. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    ((col *)arg)->wal_frames = frames;
    return SQLITE_OK;
}

void col_ckpt_start(col *c)
{
    pthread_mutex_init(&c->ckpt_mu, NULL);
    pthread_cond_init(&c->ckpt_wake, NULL);
    if (sqlite3_exec(c->db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL) != SQLITE_OK)
        return;
    if (sqlite3_open_v2(c->path, &c->ckpt_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        pthread_create(&c->ckpt_thread, NULL, ckpt_main, c) != 0) {
        /* Without the thread the writer checkpoints itself, as SQLite does. */
        sqlite3_close(c->ckpt_db);
        c->ckpt_db = NULL;
        sqlite3_exec(c->db, "PRAGMA wal_autocheckpoint = 1000", NULL, NULL, NULL);
        return;
    }
    /* After wal_autocheckpoint = 0: that pragma replaces the hook. */
    sqlite3_wal_hook(c->db, wal_hook, c);
    c->ckpt_started = true;
}

/* The thread's PASSIVE checkpoints never finish while commits keep coming
 * faster than it copies, and the WAL starts over only after a checkpoint
 * that copied every frame.  So past COL_WAL_MAX_FRAMES the writer copies
 * the rest itself, between two transactions (no other writer: it always
 * completes, unless the thread holds the checkpoint lock just then; the
 * next commit tries again).  Keeps the WAL, and its index in shared memory,
 * bounded whatever the run's length. */
void col_ckpt_bound(col *c)
{
    if (!c->ckpt_started || c->wal_frames < COL_WAL_MAX_FRAMES) return;
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc == SQLITE_OK && done == log) c->wal_frames = 0;
}

void col_ckpt_kick(col *c)
{
    if (!c->ckpt_started) return;
    pthread_mutex_lock(&c->ckpt_mu);
    c->ckpt_commits++;
    pthread_cond_signal(&c->ckpt_wake);
    pthread_mutex_unlock(&c->ckpt_mu);
}

void col_ckpt_stop(col *c)
{
    if (c->ckpt_started) {
        pthread_mutex_lock(&c->ckpt_mu);
        c->ckpt_stop = true;
        pthread_cond_signal(&c->ckpt_wake);
        pthread_mutex_unlock(&c->ckpt_mu);
        pthread_join(c->ckpt_thread, NULL);
        c->ckpt_started = false;
    }
    sqlite3_close(c->ckpt_db);
    c->ckpt_db = NULL;
    pthread_mutex_destroy(&c->ckpt_mu);
    pthread_cond_destroy(&c->ckpt_wake);
}
