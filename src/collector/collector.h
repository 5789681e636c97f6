/*
 * collector.h — the collector (src/collector): everything the injector
 * learns during a run goes into one SQLite database (docs/schema.md).
 *
 * Threads.  One background writer thread owns the database connection.
 * Every col_* function below except col_open, col_flush and col_close only
 * copies its arguments into a queue item and returns: producers (CUPTI
 * callbacks, stream host functions) never wait for the disk.  All of them
 * may be called from any number of threads at once.  Producers stop before
 * col_close: what arrives while it runs is dropped (bulk items counted),
 * and calling anything after it returned is a use after free.
 *
 * The queue.  Bulk items (probe buffers, activity records, PC samples) are
 * bounded by count and bytes (col_config); when the queue is full the new
 * item is dropped, counted by kind, and the first drop of each kind is
 * logged with what was lost.  Registration items (devices, modules,
 * kernels, probes, launches, stall reasons, "not probed" reasons) are
 * small, few, and referenced by later rows, so they are never dropped.
 *
 * Ids.  col_module, col_kernel, col_probe and col_launch return the id of
 * the new row at once (ids count from 1, per table), so the caller can put
 * a launch id into the probe buffer's header before the row is written.
 *
 * Durability.  The writer commits a transaction every `batch_rows` rows
 * and whenever the queue runs empty.  The journal is WAL with
 * synchronous=NORMAL: when the process dies (even by SIGKILL), the database
 * opens and holds every committed transaction.  (A power loss may lose the
 * last transactions; it cannot corrupt the file.)
 *
 * Failure.  If the database cannot be created, or a write fails (disk
 * full, I/O error, the max_db_bytes limit), the collector keeps accepting
 * and discarding items so that the app runs on; what is lost is counted
 * (probe records: exactly, by decoding the buffers) and said in one error
 * line, in col_totals.db_error and in col_close's error.
 */
#ifndef NT_COLLECTOR_H
#define NT_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer/buffer.h"
#include "common/common.h"

/* The schema version this collector writes (PRAGMA user_version) and the
 * application id that marks an ntrace database (PRAGMA application_id). */
#define COL_SCHEMA_VERSION 1
#define COL_APPLICATION_ID 0x4e545243   /* "NTRC" */

typedef struct col col;

typedef struct col_config {
    const char *command_line;   /* the profiled command line, as run */
    const char *host;           /* NULL: gethostname() */
    const char *config;         /* ntrace's configuration, free text (JSON) */
    int64_t     pid;            /* process profiled; 0: getpid() */
    uint64_t    start_ns;       /* run start, ns since the epoch; 0: now */
    size_t      queue_items;    /* bulk items queued at most; 0: 65536 */
    size_t      queue_bytes;    /* bulk bytes queued at most; 0: 512 MiB */
    uint32_t    batch_rows;     /* rows per transaction; 0: 100000 */
    uint64_t    max_db_bytes;   /* database size limit; 0: none */
    bool        overwrite;      /* replace an existing database file */
    /* Several processes of one program (a launcher and its workers, MPI
     * ranks) each write their own file: the first to claim `path` gets it,
     * the others `out.<pid>.db` (then `out.<pid>.2.db`, ...) next to it.
     * Claims are atomic (O_EXCL), so files are never shared; stale files of
     * an earlier run must be removed before the program starts (`ntrace
     * run` does).  Ignores `overwrite`.  `ntrace merge` combines them. */
    bool        per_process;
} col_config;

/* Opens a run: creates the database at path with the schema and the run
 * row, and starts the writer thread.  Returns NULL (with e) only for bad
 * arguments or when path exists and cfg->overwrite is false.  When the
 * database cannot be created the collector still opens, discards and counts
 * everything, and col_close reports it (see "Failure" above).  cfg may be
 * NULL (all defaults). */
col *col_open(const char *path, const col_config *cfg, nt_err *e);

/* The database file this collector writes (per_process may have chosen
 * another name than the one asked for). */
const char *col_path(const col *c);

/* "out.db" + pid 1234 + n -> "out.1234.db" (n <= 1) or "out.1234.<n>.db";
 * a path without ".db" gets ".1234" appended.  Caller frees. */
char *col_process_path(const char *path, int64_t pid, unsigned n);
/* A glob(3) pattern matching every col_process_path of path (it may also
 * match SQLite's -wal/-shm side files of a name without ".db").  Caller
 * frees. */
char *col_process_glob(const char *path);

/* ---- registration (never dropped) -------------------------------------- */
typedef struct col_device_info {
    uint32_t    id;             /* the CUDA device ordinal (CUPTI deviceId) */
    const char *name;
    const char *bus_location;   /* "0000:65:00.0", may be NULL */
    const char *uuid;           /* may be NULL */
    uint64_t    total_memory;   /* bytes */
    uint64_t    clock_hz;       /* SM clock */
    uint32_t    sm_count;
    uint32_t    cc_major, cc_minor;
} col_device_info;

void col_device(col *c, const col_device_info *d);

typedef struct col_module_info {
    uint32_t    device_id;
    uint64_t    context_id;
    const char *name;           /* file it came from, or "module@0x..." */
    uint64_t    content_hash;   /* nt_hash64 of its image */
    uint64_t    ptx_bytes;      /* 0 when it carries no PTX */
} col_module_info;

int64_t col_module(col *c, const col_module_info *m);

typedef struct col_kernel_info {
    int64_t     module_id;
    const char *mangled;
    const char *demangled;      /* NULL: same as mangled */
    bool        instrumented;   /* a probed twin exists */
    const char *reason;         /* why not instrumented ("no PTX", ...); NULL */
} col_kernel_info;

int64_t col_kernel(col *c, const col_kernel_info *k);

/* A probe and its maps.  Field types are enum buf_ftype; records are laid
 * out by buf_record_layout.  Names (probe, map, field) are identifiers
 * ([A-Za-z_][A-Za-z0-9_]*, up to 48 characters); field names must differ
 * from each other and from the columns ntrace adds (launchId, blockId,
 * warpId, threadId, seq), ignoring case, as SQL does. */
typedef struct col_field {
    const char *name;
    uint8_t     type;           /* enum buf_ftype */
} col_field;

typedef struct col_map_def {
    const char      *name;
    uint16_t         level;     /* enum buf_level */
    uint32_t         cap;       /* records per slot the probe asks for */
    unsigned         nfields;
    const col_field *fields;
} col_map_def;

typedef struct col_probe_def {
    const char        *name;
    const char        *path;    /* file it came from; may be NULL */
    const char        *source;  /* its text; may be NULL */
    unsigned           nmaps;   /* 1 .. BUF_MAX_MAPS */
    const col_map_def *maps;    /* map i has map_id i in the buffer */
} col_probe_def;

/* Registers a probe; its typed tables PROBE_<probe>_<map> are created by
 * the writer.  Returns the probe id, or -1 with e for an invalid
 * definition (checked here, at once). */
int64_t col_probe(col *c, const col_probe_def *p, nt_err *e);

typedef struct col_launch_info {
    int64_t     kernel_id;
    int64_t     probe_id;       /* 0: not probed (say why in not_probed) */
    const char *not_probed;     /* reason, or NULL */
    uint32_t    grid[3], block[3];
    uint32_t    static_shared, dynamic_shared;
    uint32_t    registers;
    uint32_t    device_id;
    uint64_t    context_id, stream_id;
    uint32_t    correlation_id; /* CUPTI's, joins the kernel activity record */
} col_launch_info;

/* Records a launch; returns its launch id (> 0), the id to put into the
 * probe buffer header. */
int64_t col_launch(col *c, const col_launch_info *l);

/* "This launch ran unprobed: reason" — after col_launch, when preparing
 * the probe buffer failed or the launch was not swapped. */
void col_launch_unprobed(col *c, int64_t launch_id, const char *reason);

/* A stall-reason name of PC sampling (CUPTI's index -> name). */
void col_stall_reason(col *c, uint32_t index, const char *name);

/* Puts s into StringIds (once) for readers that find names by value,
 * e.g. user-region names, whose records hold only a hash of the name. */
void col_note_string(col *c, const char *s);

/* ---- bulk (bounded, may be dropped) ------------------------------------ */
/* Called (on the writer thread, or at once when the item is dropped) when
 * the collector is done with a submitted buffer. */
typedef void (*col_release_fn)(void *ctx, const void *data);

/* Hands over the probe buffer of a launch: size bytes copied back from the
 * device.  With release == NULL the bytes are copied now; otherwise they
 * are used in place and release(ctx, data) is called when the collector is
 * done with them — also when the buffer is dropped, before this returns.
 * The writer validates it (buf_open, then against the launch's grid, block
 * and probe maps), inserts its records into the probe's map tables and adds
 * the saved/dropped counts to the launch row; a rejected buffer leaves its
 * reason in the launch row.  Returns 0 when queued, -1 when dropped. */
int col_submit_buffer(col *c, int64_t launch_id, const void *data, size_t size,
                      col_release_fn release, void *ctx);

typedef struct col_kernel_activity {
    uint32_t    correlation_id;
    uint64_t    start, end;     /* ns, CUPTI's clock */
    uint32_t    device_id;
    uint64_t    context_id, stream_id;
    /* Used only when no launch with this correlation id was recorded (an
     * unprobed kernel the injector did not see): a row is made from them. */
    const char *name;           /* mangled */
    uint32_t    grid[3], block[3];
    uint32_t    static_shared, dynamic_shared, registers;
} col_kernel_activity;

int col_kernel_done(col *c, const col_kernel_activity *k);

typedef struct col_memcpy_activity {
    uint32_t correlation_id;
    uint64_t start, end;
    uint32_t device_id;
    uint64_t context_id, stream_id;
    uint64_t bytes;
    uint8_t  copy_kind;         /* CUpti_ActivityMemcpyKind */
    uint8_t  src_kind, dst_kind;/* CUpti_ActivityMemoryKind */
} col_memcpy_activity;

int col_memcpy(col *c, const col_memcpy_activity *m);

typedef struct col_memset_activity {
    uint32_t correlation_id;
    uint64_t start, end;
    uint32_t device_id;
    uint64_t context_id, stream_id;
    uint64_t bytes;
    uint32_t value;
    uint8_t  mem_kind;          /* CUpti_ActivityMemoryKind */
} col_memset_activity;

int col_memset(col *c, const col_memset_activity *m);

typedef struct col_pc_sample {
    uint32_t    correlation_id; /* 0 when not known */
    const char *function;       /* function name (mangled) */
    uint64_t    cubin_crc;
    uint64_t    pc_offset;
    uint32_t    stall_reason;   /* index, see col_stall_reason */
    uint32_t    samples;
} col_pc_sample;

int col_pc_samples(col *c, const col_pc_sample *s, size_t n);

/* Where a sampled PC comes from (cubins with line info, nvcc -lineinfo):
 * one row per (cubin, function, PC offset), NTRACE_PC_LINES.  The caller
 * sends each PC once; a row repeated is stored twice. */
typedef struct col_pc_line {
    const char *function;       /* as in col_pc_sample */
    uint64_t    cubin_crc;
    uint64_t    pc_offset;
    const char *file;           /* source file path */
    uint32_t    line, column;   /* column 0: not known */
} col_pc_line;

int col_pc_lines(col *c, const col_pc_line *l, size_t n);

/* ---- totals, flush, close ------------------------------------------------ */
typedef struct col_totals {
    uint64_t launches;          /* launch rows */
    uint64_t buffers;           /* probe buffers stored */
    uint64_t buffers_rejected;  /* failed validation: reason in the launch row */
    uint64_t records_saved;     /* probe records written to map tables */
    uint64_t records_dropped;   /* saves beyond cap on the device */
    uint64_t rows;              /* rows committed, all tables */
    uint64_t queue_dropped;     /* bulk items dropped, queue full */
    uint64_t queue_dropped_buffers;
    uint64_t queue_dropped_bytes;
    uint64_t records_lost;      /* decoded probe records not stored (db failure) */
    uint64_t rows_lost;         /* other rows not stored (db failure) */
    char     db_error[320];     /* "" while the database works */
} col_totals;

/* A snapshot of the totals so far (rows: committed so far). */
void col_stats(col *c, col_totals *t);

/* Blocks until every item queued before the call is committed (or counted
 * as lost).  Not for CUPTI callbacks: it waits for the disk. */
void col_flush(col *c);

/* Ends the run: drains the queue, creates the indexes, writes the totals
 * into the run row, closes the database, stops the thread and frees c.
 * Fills *t (may be NULL).  Returns 0, or -1 with e saying what was lost
 * (queue drops, database failure) when anything was. */
int col_close(col *c, col_totals *t, nt_err *e);

/* One line for the user: "1200 launches, 3 probe buffers, 4500 records
 * saved, 12 dropped on the device (cap), nothing lost". */
void col_totals_format(const col_totals *t, nt_sb *out);

/* ---- merging ------------------------------------------------------------ */
typedef struct col_merge_totals {
    nt_progress *progress;      /* in: a progress line to update, or NULL */
    uint64_t inputs, launches, records;     /* out */
} col_merge_totals;

/* Combines the ntrace databases ins[0..n) (e.g. out.db and out.<pid>.db of
 * one run) into a new database `out`: one NTRACE_RUN row per input, ids
 * renumbered (strings, modules, kernels, probes, launches) so that every
 * reference stays right, devices and stall reasons shared, each PROBE_*
 * table appended to the output table of the same name when the columns are
 * the same (else to a new table, named in NTRACE_PROBE_MAPS).  Inputs are
 * checked first (col_db_check).  `out` must not exist unless overwrite.
 * -1 with e naming the input and the cause. */
int col_merge(const char *out, const char *const *ins, size_t n, bool overwrite,
              col_merge_totals *t, nt_err *e);

/* ---- reading ------------------------------------------------------------- */
struct sqlite3;
/* Opens an ntrace database read-only and checks it: not an ntrace
 * database, an older or a newer schema version are refused with a line
 * that says which and what to do.  Caller closes *db (sqlite3_close). */
int col_db_open(const char *path, struct sqlite3 **db, nt_err *e);
/* The same check on an open connection. */
int col_db_check(struct sqlite3 *db, const char *path, nt_err *e);

#endif /* NT_COLLECTOR_H */
