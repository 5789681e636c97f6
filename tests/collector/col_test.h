/* Helpers shared by the collector tests: a probe with two maps, synthetic
 * probe buffers written the way the device writes them, SQL lookups. */
#ifndef COL_TEST_H
#define COL_TEST_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer/buffer.h"
#include "buffer/buf_test.h"
#include "collector/collector.h"

/* Map 0 "sched": warp level {start u64, stop u64, sm u32}, cap 2.
 * Map 1 "mem": thread level {addr u64, bytes s32, ratio f32}, cap 1. */
static const col_field T_SCHED[] = {{"start", BUF_U64}, {"stop", BUF_U64}, {"sm", BUF_U32}};
static const col_field T_MEM[] = {{"addr", BUF_U64}, {"bytes", BUF_S32}, {"ratio", BUF_F32}};
static const col_map_def T_MAPS[] = {
    {"sched", BUF_WARP, 2, 3, T_SCHED},
    {"mem", BUF_THREAD, 1, 3, T_MEM},
};
static const col_probe_def T_PROBE = {"block_sched", "probes/block_sched.lua", "-- lua text",
                                      2, T_MAPS};

static inline void t_layout(buf_layout *l, const uint32_t g[3], const uint32_t b[3],
                            int64_t launch)
{
    buf_map_spec s[2];
    for (unsigned m = 0; m < 2; m++) {
        uint8_t ty[3];
        uint16_t off[3];
        for (unsigned f = 0; f < 3; f++) ty[f] = T_MAPS[m].fields[f].type;
        s[m] = (buf_map_spec){.level = T_MAPS[m].level, .cap = T_MAPS[m].cap, .map_id = m};
        if (buf_record_layout(ty, 3, off, &s[m].record_size, NULL)) abort();
    }
    if (buf_layout_compute(l, g, b, s, 2, 0, 0, NULL, NULL)) abort();
    buf_layout_set_launch(l, (uint64_t)launch);
}

#define t_buffer bt_buffer
#define t_save bt_save

typedef struct t_sched { uint64_t start, stop; uint32_t sm, pad; } t_sched;
typedef struct t_mem { uint64_t addr; int32_t bytes; float ratio; } t_mem;

/* A buffer for launch `id` where warp slot w saves (w % 3) + 1 times
 * (cap 2) and every thread slot once; returns it, *records = saved. */
static inline uint8_t *fill_buffer(buf_layout *l, const uint32_t g[3], const uint32_t b[3],
                            int64_t id, uint64_t *records)
{
    t_layout(l, g, b, id);
    uint8_t *buf = t_buffer(l);
    uint64_t n = 0;
    for (uint32_t w = 0; w < l->map[0].nslots; w++)
        for (uint32_t k = 0; k <= w % 3; k++) {
            t_sched r = {(uint64_t)id, k, w, 0};
            t_save(buf, l, 0, w, &r);
            n += k < 2;
        }
    for (uint32_t t = 0; t < l->map[1].nslots; t++) {
        t_mem m = {(uint64_t)t * 4, (int32_t)t, 1.0f, };
        t_save(buf, l, 1, t, &m);
        n++;
    }
    *records = n;
    return buf;
}

/* One integer from a query (first column of the first row); -999 if none. */
static inline int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bad query '%s': %s\n", sql, sqlite3_errmsg(db));
        return -999;
    }
    int64_t v = -999;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* One text value (static buffer) from a query; "" if none/NULL. */
static inline const char *q_text(sqlite3 *db, const char *sql)
{
    static char out[1024];
    out[0] = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(out, sizeof out, "bad query: %s", sqlite3_errmsg(db));
        return out;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static inline char *t_tmpdir(void)
{
    char tmpl[] = "/tmp/nt_col_XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static inline void t_rmdir(char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(dir);
}

#endif
