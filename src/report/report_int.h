/*
 * report_int.h — private to src/report: the loaded metadata, result tables
 * and the warp-interval analysis shared by the summary, timeline and HTML.
 */
#ifndef NT_REPORT_INT_H
#define NT_REPORT_INT_H

#include <sqlite3.h>
#include <stdio.h>

#include "report/report.h"

typedef struct rep_device {
    int64_t id;
    const char *name;
    int64_t sm_count, clock_khz, total_memory, cc_major, cc_minor;
} rep_device;

/* A kernel row.  A merged database has a row per run for the same
 * kernel: rows with the same mangled name in modules of the same content
 * hash (or, without a module row, the same name) are one kernel, `canon`
 * (the first such row).  Only canonical kernels are ever selected, and a
 * launch's `k` is always canonical, so every per-kernel figure adds up
 * over the runs (docs/report.md says why this identity). */
typedef struct rep_kernel {
    int64_t id;
    const char *name, *demangled, *reason;
    int instrumentable;          /* canonical: any of its rows */
    uint64_t module_hash;
    bool has_module;
    bool selected;
    struct rep_kernel *canon;
} rep_kernel;

typedef struct rep_launch {
    int64_t id, kernel_id, device_id, stream_id, start_ns, end_ns;
    uint32_t grid[3], block[3];
    int instrumented;       /* its probe records are in the database */
    const char *reason;     /* the probe status when not instrumented */
    const char *kname;      /* the launch row's own kernel name */
    int64_t saved, dropped; /* probe records */
    rep_kernel *k;          /* never NULL once loaded */
    /* Sum of warp lifetimes (cycles) and warps with one, cached by
     * rep_warps_load so the wait breakdown need not read block_sched again. */
    double life;
    uint64_t life_warps;
    bool life_known;
    rep_device *dev;        /* NULL when device_id names no device */
    bool selected;
} rep_launch;

enum rep_coltype { REP_COL_INT, REP_COL_UINT, REP_COL_FLOAT };

typedef struct rep_col {
    const char *name, *type;
    enum rep_coltype kind;
} rep_col;

typedef struct rep_map {
    int64_t id;
    const char *probe, *name, *table, *level;
    int64_t cap;
    rep_col *cols;
    int ncols;
    const char *qtable;     /* table name quoted for SQL */
    const char *warp_expr;  /* SQL for the warp in its block ("0" for block maps) */
    bool indexed;           /* an index starts with launchId (see schema.h) */
} rep_map;

/* Probe-side warp cycle accounting of one kernel over the selected launches
 * (barrier_wait, mem_wait and the warp lifetimes of block_sched). */
typedef struct rep_kwait {
    rep_kernel *k;
    uint64_t warps;            /* warps with a lifetime (block_sched) */
    double life;               /* sum of warp lifetimes, cycles; 0: unknown */
    double barrier, mem;       /* sums of wait cycles */
    uint64_t nbar, nmem;       /* warps with a barrier / memory record */
    double bar_max, mem_max;   /* largest per-warp sums */
} rep_kwait;

typedef struct rep_rname {
    uint32_t id;
    const char *name;
} rep_rname;

struct rep_db {
    sqlite3 *db;
    const char *path;
    nt_arena a;
    struct {
        const char *command, *host, *version;
        int64_t pid, start_ns, end_ns;
        bool present;
    } run;
    NT_VEC(rep_device) devs;
    NT_VEC(rep_kernel) kernels;
    NT_VEC(rep_launch) launches;
    NT_VEC(rep_map) maps;
    /* Lookups built by rep_open (db.c's index_rows): id -> first kernel row
     * with it, kernel_next[i] the next row with row i's id (SIZE_MAX: none),
     * mangled name -> first kernel row, launch id -> launch. */
    nt_imap kernel_ix, launch_ix;
    size_t *kernel_next;
    nt_map kernel_names;
    bool has_memcpys, has_pc;
    /* regions.c's names: the region ids of the file, and their names */
    NT_VEC(uint32_t) rids;
    NT_VEC(rep_rname) rnames;
    bool rnames_done;
    void (*progress)(void *ctx, const char *phase, uint64_t done, uint64_t total);
    void *progress_ctx;        /* rep_opts' progress, kept by rep_select */
    rep_kwait *kw;             /* rep_kwaits' cache, per selected kernel */
    size_t nkw;
    bool kw_done;
    /* rep_prepare_kept's statements, by SQL text (keys in a): finalized by
     * rep_close, before the connection is closed. */
    nt_map kept;
};

/* ---- time values -----------------------------------------------------------
 * Invariant: every time the report computes with lies in [-REP_NS_MAX,
 * REP_NS_MAX] (2^62 ns, 146 years), so differences and sums of two never
 * overflow int64, whatever the file holds.  Times read from the database
 * go through rep_ns (timestamps are never negative); computed ones through
 * rep_ns_of. */
#define REP_NS_MAX ((int64_t)1 << 62)
static inline int64_t rep_ns(int64_t v) { return v < 0 ? 0 : v > REP_NS_MAX ? REP_NS_MAX : v; }
static inline int64_t rep_ns_of(double v)
{
    if (!(v > -(double)REP_NS_MAX)) return -REP_NS_MAX;    /* NaN too */
    if (v > (double)REP_NS_MAX) return REP_NS_MAX;
    return (int64_t)v;
}
static inline int64_t rep_ns_add(int64_t a, int64_t b)   /* both within the range */
{
    int64_t v = a + b;
    return v < -REP_NS_MAX ? -REP_NS_MAX : v > REP_NS_MAX ? REP_NS_MAX : v;
}

/* Reports progress of a per-launch loop (launch index i of the launches). */
static inline void rep_tick(rep_db *db, const char *phase, size_t i)
{
    if (db->progress) db->progress(db->progress_ctx, phase, i, db->launches.n);
}

/* ---- db.c ---------------------------------------------------------------- */
/* Prepares sql; on failure sets e with the database path and SQLite's words. */
sqlite3_stmt *rep_prepare(rep_db *db, const char *sql, nt_err *e);
/* The same for a statement run once per launch (100 k launches, 100 k
 * prepares otherwise): prepared on first use and kept in db until
 * rep_close; each call returns it reset, with no bindings.  The caller
 * never finalizes it; it resets it when done (sqlite3_reset: a statement
 * left mid-rows keeps its cursor and the pages it holds). */
sqlite3_stmt *rep_prepare_kept(rep_db *db, const char *sql, nt_err *e);
bool rep_has_table(rep_db *db, const char *name);
/* Step that turns SQLITE_ERROR into e; returns SQLITE_ROW, SQLITE_DONE or -1. */
int rep_step(rep_db *db, sqlite3_stmt *st, nt_err *e);
const char *rep_col_text(rep_db *db, sqlite3_stmt *st, int i);   /* arena copy */
/* Hashed lookups (rep_db's indexes); NULL: none.  Kernel rows share an id
 * only in a file with negative ids: rep_kernel_next_same_id walks them in
 * row order. */
rep_launch *rep_launch_by_id(rep_db *db, int64_t id);
rep_kernel *rep_kernel_by_id(rep_db *db, int64_t id);
rep_kernel *rep_kernel_next_same_id(rep_db *db, const rep_kernel *k);
rep_kernel *rep_kernel_by_name(rep_db *db, const char *mangled);
rep_map *rep_map_find(rep_db *db, const char *probe, const char *map);
int rep_map_col(const rep_map *m, const char *name);             /* -1: absent */
/* The streams of the selected launches that have a time (an activity
 * record), in the order of their first launch, with a hashed lookup
 * (a stream per launch must not make a timeline quadratic). */
typedef struct rep_streams {
    NT_VEC(int64_t) ids;
    nt_imap ix;                  /* stream id -> index in ids */
} rep_streams;
void rep_streams_load(rep_db *db, rep_streams *s);
bool rep_stream_ix(const rep_streams *s, int64_t sid, size_t *ix);   /* false: none */
void rep_streams_free(rep_streams *s);
/* The display name of a launch's kernel. */
const char *rep_launch_kname(const rep_launch *l);
/* Device clock in kHz for cycle conversions (falls back to 1 GHz). */
double rep_clock_khz(const rep_launch *l);

/* ---- table.c: result tables and their text/csv/json output --------------- */
typedef struct rep_cell {
    enum { REP_C_NULL, REP_C_STR, REP_C_INT, REP_C_NUM } t;
    int64_t i;
    double d;
    const char *s;
    int prec;          /* digits after the point for REP_C_NUM */
} rep_cell;

typedef struct rep_table {
    const char *key, *title, *note;
    int ncols;
    const char **cols;
    rep_cell *cells;   /* nrows * ncols */
    size_t nrows, cap;
    int filled;        /* cells of the last row written so far */
    struct rep_table *next;
} rep_table;

typedef struct rep_doc {
    nt_arena a;
    rep_table *first, *last;
} rep_doc;

void rep_doc_init(rep_doc *d);
void rep_doc_free(rep_doc *d);
/* A new table; cols is a '|'-separated list of column titles. */
rep_table *rep_table_new(rep_doc *d, const char *key, const char *title, const char *cols);
rep_table *rep_doc_find(rep_doc *d, const char *key);
void rep_row(rep_table *t);               /* starts a row */
void rep_put_s(rep_doc *d, rep_table *t, const char *s);
void rep_put_i(rep_table *t, int64_t v);
void rep_put_f(rep_table *t, double v, int prec);
void rep_put_null(rep_table *t);
void rep_note(rep_doc *d, rep_table *t, const char *fmt, ...) NT_PRINTF(3, 4);
const rep_cell *rep_cell_at(const rep_table *t, size_t row, int col);
void rep_doc_write(const rep_doc *d, enum rep_format f, FILE *out);
/* Formats a cell as text (no padding) into buf. */
const char *rep_cell_str(const rep_cell *c, char *buf, size_t n);

/* ---- summary sections (summary.c, probes.c, stalls.c) -------------------- */
int rep_sum_overview(rep_db *db, rep_doc *d, nt_err *e);
int rep_sum_kernels(rep_db *db, rep_doc *d, nt_err *e);
int rep_sum_probes(rep_db *db, rep_doc *d, nt_err *e);
int rep_sum_stalls(rep_db *db, rep_doc *d, nt_err *e);
/* The hottest source lines of PC sampling (stall_lines.c); nothing when
 * the database has no NTRACE_PC_LINES rows. */
int rep_sum_stall_lines(rep_db *db, rep_doc *d, nt_err *e);
/* A CUPTI stall-reason name without its long common prefix. */
const char *rep_stall_short_name(const char *s);
/* All of the above, in order. */
int rep_build_summary(rep_db *db, rep_doc *d, nt_err *e);

/* ---- warps.c: warp lifetimes of one launch from block_sched --------------- */
typedef struct rep_warp {
    uint64_t slot;       /* warp index in the grid */
    uint64_t start, stop;/* clock64 cycles (SM-local) */
    int64_t  t0, t1;     /* aligned times, ns since the epoch of start_ns */
    uint32_t sm;
    uint32_t lane;       /* warp slot on its SM (timeline track) */
} rep_warp;

typedef struct rep_warps {
    rep_warp *w;         /* sorted by (sm, t0) */
    size_t n;
    uint32_t nsm;        /* 1 + highest sm seen */
    uint32_t max_lanes;  /* most warps resident on one SM at once */
    bool anchored;       /* %globaltimer anchors used */
} rep_warps;

/* The preferred map of warp lifetimes (block_sched; else another warp-level
 * map with start, stop and sm, as probes/regions.lua has); NULL: none. */
rep_map *rep_block_sched(rep_db *db);
bool rep_is_life_map(const rep_map *m);
/* Loads, aligns and assigns lanes for launch l; empty when no records.
 * The lifetimes come from rep_block_sched's map, or else from the first
 * other lifetime map with records for l (each launch carries one probe). */
int  rep_warps_load(rep_db *db, rep_launch *l, rep_warps *ws, nt_err *e);
void rep_warps_free(rep_warps *ws);

/* Per-launch scheduling figures derived from the warps. */
typedef struct rep_sched {
    uint64_t warps, blocks;
    uint32_t sms_used;
    int64_t  span_ns;          /* first warp start .. last warp stop */
    double   busy_frac;        /* sum of per-SM busy time / (sms_used * span) */
    int64_t  idle_gap_ns;      /* total idle time inside SM busy ranges */
    int64_t  max_gap_ns;
    double   tail_frac;        /* (last stop - first SM's last stop) / span */
    uint64_t blocks_min, blocks_max;   /* blocks per SM */
    double   blocks_mean;
} rep_sched;
void rep_sched_of(const rep_warps *ws, const rep_launch *l, rep_sched *s);

/* ---- regions.c: user regions (probes/regions.lua) ------------------------ */
typedef struct rep_region {
    uint32_t id;             /* prb_region_id of its name */
    size_t   warp;           /* index of its warp in the launch's rep_warps */
    uint64_t cycles;         /* stop - start as recorded */
    int64_t  t0, t1;         /* aligned ns, inside the warp's lifetime, nested */
} rep_region;

typedef struct rep_regions {
    rep_region *r;           /* sorted by (warp, t0, longest first) */
    size_t n;
} rep_regions;

/* The user-region map: a warp or thread level map with region, start and
 * stop fields (probe "regions" first); NULL: none. */
rep_map *rep_region_map(rep_db *db);
/* The regions of launch l whose warp has a lifetime in ws. */
int  rep_regions_load(rep_db *db, const rep_launch *l, const rep_warps *ws, rep_regions *rs,
                      nt_err *e);
void rep_regions_free(rep_regions *rs);
/* The region's name, or "region#<id in hex>" when the file does not hold it. */
const char *rep_region_name(rep_db *db, uint32_t id);
int rep_sum_regions(rep_db *db, rep_doc *d, nt_err *e);

/* ---- waits.c: per-kernel wait accounting (cached in db) ------------------ */
int rep_kwaits(rep_db *db, const rep_kwait **kw, size_t *n, nt_err *e);
/* The barrier_wait / mem_wait map: a probe or map of that name with a
 * `wait` (or `cycles`) field; NULL when absent. */
rep_map *rep_wait_map(rep_db *db, const char *probe);
/* The field holding wait cycles ("wait" or "cycles"); NULL: none. */
const char *rep_wait_col(const rep_map *m);
/* Generic per-launch aggregation of one numeric column of a map. */
typedef struct rep_agg {
    uint64_t n;
    double min, max, sum;
} rep_agg;
int rep_map_agg(rep_db *db, const rep_map *m, int col, int64_t launch, rep_agg *a, nt_err *e);

/* ---- stalls.c: stall shares per kernel for the HTML bars ------------------ */
typedef struct rep_stall_row {
    const char *kernel, *source;     /* source: "pc sampling" or "probes" */
    int n;
    const char *names[32];
    double share[32];                /* fractions summing to 1 */
} rep_stall_row;
/* Fills rows (caller frees *rows); strings live in db's arena. */
int rep_stall_rows(rep_db *db, rep_stall_row **rows, size_t *n, nt_err *e);

/* ---- json.c: streaming JSON helpers ---------------------------------------- */
void rep_json_str(FILE *out, const char *s);
/* Fast unsigned/signed decimal into buf; returns length. */
int rep_fmt_u64(char *buf, uint64_t v);
int rep_fmt_i64(char *buf, int64_t v);
/* Nanoseconds as microseconds with 3 decimals ("12.345"). */
int rep_fmt_us(char *buf, int64_t ns);

/* Sorting helpers */
void rep_html_escape(FILE *out, const char *s);

#endif
