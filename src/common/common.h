/*
 * common.h — the small shared pieces every ntrace module uses.
 *
 * This is the one public header of src/common.  Everything here is plain C
 * with no dependency beyond libc; names carry the nt_ prefix.
 *
 * Error convention (see docs/conventions.md): a function that can fail
 * returns int (0 on success, -1 on failure) or a pointer (NULL on failure)
 * and, when given a non-NULL `nt_err *`, writes one human-readable line
 * saying what went wrong and where.  The first error set wins, so the root
 * cause is what the user sees.
 */
#ifndef NT_COMMON_H
#define NT_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Symbols exported from shared objects (everything else is hidden). */
#define NT_EXPORT __attribute__((visibility("default")))
#define NT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NT_UNUSED __attribute__((unused))
#define NT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NT_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- allocation: abort with a message on out-of-memory ---------------- */
void *nt_xmalloc(size_t n);
void *nt_xcalloc(size_t n, size_t size);
void *nt_xrealloc(void *p, size_t n);
/* nt_xmalloc for a block kept and reused (freed with free()): from 4 MiB
 * on, *n is rounded up to 2 MiB and the block is 2 MiB-aligned and advised
 * huge pages, so it is faulted in 2 MiB at a time, not 4 KiB (on a virtual
 * machine a 4 KiB first touch costs ~15-25 us: the host faults too). */
void *nt_xmalloc_huge(size_t *n);

/* A memory budget for an embedded interpreter: nt_budget_alloc has
 * lua_Alloc's contract (nsize 0 frees; for a new block osize is not a
 * size) with ud pointing to an nt_budget.  Invariant: `used` is the sum of
 * the sizes of the live blocks; a request that would take it past `limit`
 * fails (returns NULL, which Lua turns into a memory error). */
typedef struct nt_budget {
    size_t used, limit;
} nt_budget;
void *nt_budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
char *nt_xstrdup(const char *s);
char *nt_xstrndup(const char *s, size_t n);

/* ---- errors ----------------------------------------------------------- */
typedef struct nt_err {
    int  set;          /* 0 until the first nt_err_set */
    char msg[512];
} nt_err;

/* Sets the message unless one is already set; returns -1 for `return`. */
int  nt_err_set(nt_err *e, const char *fmt, ...) NT_PRINTF(2, 3);
int  nt_err_vset(nt_err *e, const char *fmt, va_list ap);
/* Prefixes an existing message with context ("reading x: " + msg). */
void nt_err_prefix(nt_err *e, const char *fmt, ...) NT_PRINTF(2, 3);
void nt_err_clear(nt_err *e);

/* ---- logging ---------------------------------------------------------- */
/* Levels by NTRACE_LOG=error|warn|info|debug|trace (default: warn).
 * Output goes to stderr, or to the file NTRACE_LOG_FILE names. */
enum nt_log_level {
    NT_LOG_ERROR = 0, NT_LOG_WARN, NT_LOG_INFO, NT_LOG_DEBUG, NT_LOG_TRACE
};
void nt_log(enum nt_log_level lvl, const char *fmt, ...) NT_PRINTF(2, 3);
bool nt_log_on(enum nt_log_level lvl);
/* Re-reads the environment (tests); normally read once, lazily. */
void nt_log_reset(void);
/* Parses a level name; -1 when unknown. */
int  nt_log_parse_level(const char *s);

#define nt_error(...) nt_log(NT_LOG_ERROR, __VA_ARGS__)
#define nt_warn(...)  nt_log(NT_LOG_WARN, __VA_ARGS__)
#define nt_info(...)  nt_log(NT_LOG_INFO, __VA_ARGS__)
#define nt_debug(...) do { if (nt_log_on(NT_LOG_DEBUG)) nt_log(NT_LOG_DEBUG, __VA_ARGS__); } while (0)
#define nt_trace(...) do { if (nt_log_on(NT_LOG_TRACE)) nt_log(NT_LOG_TRACE, __VA_ARGS__); } while (0)

/* ---- arena allocator -------------------------------------------------- */
/* Bump allocation from chunks; everything is freed at once.  Allocations
 * are 16-byte aligned.  An arena never moves what it handed out. */
typedef struct nt_arena_chunk nt_arena_chunk;
typedef struct nt_arena {
    nt_arena_chunk *head;
    char   *cur, *end;
    size_t  chunk_size;    /* default size of a new chunk */
    size_t  total;         /* bytes reserved from malloc, for accounting */
} nt_arena;

void  nt_arena_init(nt_arena *a, size_t chunk_size);   /* 0: 64 KiB */
void *nt_arena_alloc(nt_arena *a, size_t n);           /* uninitialized */
void *nt_arena_zalloc(nt_arena *a, size_t n);          /* zeroed */
char *nt_arena_strndup(nt_arena *a, const char *s, size_t n);
char *nt_arena_strdup(nt_arena *a, const char *s);
void  nt_arena_free(nt_arena *a);                      /* all at once */
/* Bytes handed out so far (each request rounded up to 16; a chunk left
 * behind counts whole): what the arena's user needed. */
size_t nt_arena_used(const nt_arena *a);
/* Empties the arena but keeps its largest chunk (of equal ones, the
 * oldest: an arena's first chunk unless a bigger one came later), so the
 * pages a round has already touched serve the next one (first touch of
 * fresh memory is costly); the other chunks are freed.  A kept chunk
 * smaller than `min` is replaced by one of `min` bytes (nt_xmalloc_huge;
 * nothing copied), and an arena without chunks gets one (none when min
 * is 0).  Everything handed out before is invalid. */
void  nt_arena_reset(nt_arena *a, size_t min);

/* ---- growable arrays -------------------------------------------------- */
/* A typed vector: NT_VEC(int) v = {0}; nt_vec_push(&v, 3); v.v[0]; v.n.
 * Freed with nt_vec_free(&v).  Growth is geometric (amortized O(1)). */
#define NT_VEC(T) struct { T *v; size_t n, cap; }
void nt_vec_grow_(void **v, size_t *cap, size_t elem, size_t need);
#define nt_vec_reserve(vec, need) \
    ((need) > (vec)->cap ? nt_vec_grow_((void **)&(vec)->v, &(vec)->cap, \
                                        sizeof(*(vec)->v), (need)) : (void)0)
#define nt_vec_push(vec, x) \
    (nt_vec_reserve((vec), (vec)->n + 1), (vec)->v[(vec)->n++] = (x))
#define nt_vec_pop(vec) ((vec)->v[--(vec)->n])
#define nt_vec_last(vec) ((vec)->v[(vec)->n - 1])
#define nt_vec_free(vec) (free((vec)->v), (vec)->v = NULL, (vec)->n = (vec)->cap = 0)

/* ---- string builder --------------------------------------------------- */
/* Always NUL-terminated once anything was written; s is NULL before. */
typedef struct nt_sb {
    char  *s;
    size_t len, cap;
} nt_sb;

void  nt_sb_put(nt_sb *b, const void *data, size_t n);
void  nt_sb_puts(nt_sb *b, const char *s);
void  nt_sb_putc(nt_sb *b, char c);
void  nt_sb_printf(nt_sb *b, const char *fmt, ...) NT_PRINTF(2, 3);
void  nt_sb_vprintf(nt_sb *b, const char *fmt, va_list ap);
/* Appends s with JSON string escaping (no surrounding quotes). */
void  nt_sb_put_json(nt_sb *b, const char *s, size_t n);
const char *nt_sb_str(const nt_sb *b);                 /* "" when empty */
char *nt_sb_take(nt_sb *b);     /* caller frees; builder is left empty */
void  nt_sb_reset(nt_sb *b);    /* keeps the buffer */
/* Room for `cap` bytes (the NUL included) with no realloc until then.  An
 * empty builder's old block is replaced (nothing copied) by one from
 * nt_xmalloc_huge: a buffer kept from use to use. */
void  nt_sb_reserve(nt_sb *b, size_t cap);
void  nt_sb_free(nt_sb *b);

/* ---- hashing ---------------------------------------------------------- */
uint64_t nt_hash64(const void *data, size_t n, uint64_t seed);
static inline uint64_t nt_hash_u64(uint64_t x)
{
    /* splitmix64 finalizer: cheap, full avalanche */
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27; x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ---- hash map: byte-string keys -> uint64 values ---------------------- */
/* Open addressing with linear probing.  Keys are NOT copied: the caller
 * keeps them alive (typically in an arena or the parsed text) for the
 * map's lifetime.  Values are uint64 (store an index or a cast pointer). */
typedef struct nt_map_slot {
    const char *key;     /* NULL: empty slot */
    uint32_t    len;
    uint32_t    hash32;
    uint64_t    val;
} nt_map_slot;

typedef struct nt_map {
    nt_map_slot *slots;
    size_t       cap;    /* power of two, or 0 */
    size_t       n;
} nt_map;

/* Inserts or replaces; returns true when the key was new. */
bool nt_map_put(nt_map *m, const char *key, size_t len, uint64_t val);
/* Returns true and sets *val when found (val may be NULL). */
bool nt_map_get(const nt_map *m, const char *key, size_t len, uint64_t *val);
bool nt_map_del(nt_map *m, const char *key, size_t len);
void nt_map_free(nt_map *m);
/* Iteration: for (size_t i = 0; i < m->cap; i++) if (m->slots[i].key) ... */

/* ---- hash map: uint64 keys -> uint64 values --------------------------- */
typedef struct nt_imap {
    uint64_t *keys;
    uint64_t *vals;
    uint8_t  *used;
    size_t    cap, n;
} nt_imap;

bool nt_imap_put(nt_imap *m, uint64_t key, uint64_t val);
bool nt_imap_get(const nt_imap *m, uint64_t key, uint64_t *val);
bool nt_imap_del(nt_imap *m, uint64_t key);
void nt_imap_free(nt_imap *m);

/* ---- files ------------------------------------------------------------ */
/* A read-only view of a whole file (mmap, or read() for pipes/special
 * files).  data is NUL-terminated one byte past size for text parsers. */
typedef struct nt_file {
    const char *data;
    size_t      size;
    int         mapped;    /* internal: how to release */
} nt_file;

int  nt_file_open(nt_file *f, const char *path, nt_err *e);
void nt_file_close(nt_file *f);
/* Writes all of data to path (creating/truncating); -1 with e on error. */
int  nt_file_write(const char *path, const void *data, size_t n, nt_err *e);

/* ---- time ------------------------------------------------------------- */
uint64_t nt_now_ns(void);          /* CLOCK_MONOTONIC */

/* ---- progress line (progress.c) --------------------------------------
 * One line on a terminal, rewritten in place ("\rwhat: 40%"), erased at
 * the end; nothing at all when the stream is not a terminal, so logs and
 * pipes stay clean.  Nothing is drawn before `delay_ns` (short work never
 * flashes a line) nor more often than every `every_ns`.  NTRACE_PROGRESS=0
 * turns it off, =1 forces it on (tests). */
typedef struct nt_progress {
    void    *out;           /* FILE *; NULL: off */
    const char *what;
    uint64_t t0, last, delay_ns, every_ns;
    bool     shown;         /* a line is on the screen */
} nt_progress;

/* Starts: on when out is a terminal (or NTRACE_PROGRESS=1, then with no
 * delay).  Defaults: delay 0.5 s, every 0.1 s (tests may set the fields
 * after this call). */
void nt_progress_start(nt_progress *p, void *out, const char *what);
/* "what: phase done/total (pct%)"; phase may be NULL, total 0: no count. */
void nt_progress_update(nt_progress *p, const char *phase, uint64_t done, uint64_t total);
/* Erases the line (if one was drawn), before other output; stays on. */
void nt_progress_clear(nt_progress *p);
/* Erases the line (if one was drawn) and turns the progress off. */
void nt_progress_end(nt_progress *p);

#endif /* NT_COMMON_H */
