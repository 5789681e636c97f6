/*
 * inject.h — the injector (src/inject): libntrace_inject.so, loaded by the
 * CUDA driver through CUDA_INJECTION64_PATH.
 *
 * Configuration travels in the environment, which `ntrace run` sets and
 * the injector reads at InitializeInjection.  The parser lives here so
 * that `ntrace run` validates a configuration before it starts the app,
 * with the very code the injector uses.
 *
 *   NTRACE_PROBES     probe files, ':'-separated (empty: trace launches only)
 *   NTRACE_OUTPUT     the database to write            (default ntrace.db)
 *   NTRACE_KERNEL     POSIX extended regex on kernel names (mangled or
 *                     demangled); only matching kernels are probed
 *   NTRACE_LAUNCHES   N: the first N launches of each kernel are probed;
 *                     every:N: every Nth launch of each kernel (1st, N+1th..)
 *   NTRACE_BUDGET     device memory for probe buffers in flight, bytes with
 *                     an optional K/M/G suffix (default 256M)
 *   NTRACE_CACHE_DIR  on-disk cache of instrumented PTX
 *                     (default $XDG_CACHE_HOME/ntrace or ~/.cache/ntrace;
 *                     "off" disables it)
 *   NTRACE_LUA_DIR    ntrace's own Lua modules (lua/)
 *   NTRACE_EMULATE    1 when running on the emulator's driver
 *   NTRACE_PC_SAMPLING 1 to collect CUPTI PC samples (GPU only)
 */
#ifndef NT_INJECT_H
#define NT_INJECT_H

#include <regex.h>

#include "common/common.h"

enum inj_sample { INJ_SAMPLE_ALL = 0, INJ_SAMPLE_FIRST, INJ_SAMPLE_EVERY };

typedef struct inj_config {
    char   **probes;          /* probe file paths */
    size_t   nprobes;
    char    *output;          /* database path */
    char    *kernel_src;      /* the regex as given, or NULL */
    regex_t  kernel_re;       /* compiled when kernel_src != NULL */
    enum inj_sample sample;
    uint64_t sample_n;        /* N of first:N / every:N */
    uint64_t budget;          /* bytes */
    char    *cache_dir;       /* NULL: cache disabled */
    char    *lua_dir;         /* may be NULL */
    bool     emulate;
    bool     pc_sampling;
} inj_config;

/* Reads the configuration from the environment.  On error, e holds one
 * line naming the variable, its value and what was expected. */
int  inj_config_from_env(inj_config *c, nt_err *e);
void inj_config_free(inj_config *c);

/* "every:4" / "10" -> mode and N.  Used by `ntrace run --launches`. */
int  inj_parse_launches(const char *s, enum inj_sample *mode, uint64_t *n, nt_err *e);
/* "64M", "1G", "4096" -> bytes. */
int  inj_parse_bytes(const char *s, uint64_t *bytes, nt_err *e);

/* The cache directory NTRACE_CACHE_DIR / XDG_CACHE_HOME / HOME give
 * (caller frees), or NULL when the cache is off or no home is known. */
char *inj_cache_dir(void);
/* cache.c: 0 when dir is (or is now, created 0700) a directory of ours
 * that not everyone may write; else e says why, in one line. */
int   inj_cache_check(const char *dir, nt_err *e);
/* Checks c->cache_dir; refused, it says so in one line and turns the disk
 * cache off (the run goes on without it). */
void  inj_cache_setup(inj_config *c);
/* A cached file: a regular file of ours, never through a symlink (NULL
 * otherwise; caller frees; NUL-terminated, *len without the NUL). */
char *inj_cache_load(const char *dir, const char *name, size_t *len);
/* Written to a fresh temporary file (mode 0600) renamed over the name. */
int   inj_cache_store(const char *dir, const char *name, const void *data, size_t n, nt_err *e);

/* Whether launch number `nth` (0-based, per kernel) is probed. */
bool inj_config_samples(const inj_config *c, uint64_t nth);
/* Whether a kernel matches the filter (no filter: everything matches). */
bool inj_config_matches(const inj_config *c, const char *mangled, const char *demangled);

#endif /* NT_INJECT_H */
