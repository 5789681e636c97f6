/*
 * report.h — the public API of src/report: offline reports from an ntrace
 * database (docs/report.md).
 *
 * The report reads the database with plain SQL, read-only; it shares the
 * schema (docs/schema.md) with the collector and no code.  Every entry point
 * writes to a FILE the caller owns and returns 0, or -1 with one line in e.
 */
#ifndef NT_REPORT_H
#define NT_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "common/common.h"

typedef struct rep_db rep_db;

/* Opens path read-only and loads its metadata (run, devices, kernels,
 * launches, probe maps).  Fails with one line when the file is missing,
 * is not an ntrace database, or has a schema newer than this report. */
rep_db *rep_open(const char *path, nt_err *e);
void    rep_close(rep_db *db);

enum rep_format { REP_TEXT = 0, REP_CSV, REP_JSON };

typedef struct rep_opts {
    const char     *kernel_re;   /* POSIX extended regex on kernel names; NULL: all */
    int64_t         launch_id;   /* only this launch; -1: all */
    enum rep_format format;      /* of the summary */
    uint64_t        max_events;  /* timeline: stop after this many; 0: no limit */
    /* Called as the long loops go (launches done of total, per phase), for
     * a progress line, and with phase NULL before the summary is written
     * (erase the line then); NULL: none.  Set with rep_select. */
    void (*progress)(void *ctx, const char *phase, uint64_t done, uint64_t total);
    void           *progress_ctx;
} rep_opts;

#define REP_OPTS_INIT { NULL, -1, REP_TEXT, 0, NULL, NULL }

/* Applies the kernel/launch filter; fails when the regex does not compile
 * or selects nothing, or the launch id does not exist.  Every report below
 * covers the selected launches only. */
int rep_select(rep_db *db, const rep_opts *o, nt_err *e);

/* The summary: run, devices, kernels, probe summaries, stall breakdown. */
int rep_summary(rep_db *db, const rep_opts *o, FILE *out, nt_err *e);

/* Chrome trace-event JSON (Perfetto), streamed. */
typedef struct rep_tl_stats {
    uint64_t events;      /* events written */
    uint64_t cut;         /* events left out by max_events */
} rep_tl_stats;
int rep_timeline(rep_db *db, const rep_opts *o, FILE *out, rep_tl_stats *st, nt_err *e);

/* One self-contained HTML page. */
int rep_html(rep_db *db, const rep_opts *o, FILE *out, nt_err *e);

/* Runs a Lua 5.4 file in a sandbox with read-only nt.query(); prints what
 * the script returns (and what it prints) to out. */
typedef struct rep_script_limits {
    size_t   mem_bytes;   /* 0: 64 MiB */
    uint64_t instrs;      /* 0: 1e9 VM instructions */
} rep_script_limits;
int rep_script(rep_db *db, const char *path, const rep_script_limits *lim,
               FILE *out, nt_err *e);

/* ---- synthetic databases (tests, benchmarks, demos) -------------------- */
/* Writes a database of the schema's shape: a run on one device with
 * `launches` launches of `kernels` kernels over `streams` streams, and for
 * instrumented launches block_sched records (one per warp, with
 * %globaltimer anchors), barrier_wait and mem_wait (one per warp),
 * gmem_bytes (one per warp), mem_trace (addresses over time, a few per
 * warp), branch_div (active masks), plus PC samples.  Deterministic in
 * seed.  Fails if path exists. */
typedef struct rep_synth {
    int      kernels;          /* default 3 */
    int      launches;         /* default 6 */
    int      streams;          /* default 2 */
    int      sm_count;         /* default 8 */
    uint32_t blocks;           /* per launch, default 160 */
    uint32_t threads;          /* per block, default 128 */
    int      maps;             /* bit set of REP_SYN_*; default all */
    int      sass_only_kernel; /* last kernel: not instrumentable, no PTX */
    uint64_t seed;
} rep_synth;

enum {
    REP_SYN_BLOCK_SCHED = 1, REP_SYN_WAITS = 2, REP_SYN_GMEM = 4,
    REP_SYN_MEMTRACE = 8, REP_SYN_DIVERGENCE = 16, REP_SYN_PC = 32,
    REP_SYN_ALL = 63
};

/* Number of probe records a configuration writes. */
uint64_t rep_synth_records(const rep_synth *p);
int rep_synth_write(const char *path, const rep_synth *p, nt_err *e);

#endif
