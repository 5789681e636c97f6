/* state.c — the injector's process-wide state: start and end of a run.
 *
 * Start (inj_start, from InitializeInjection): configuration, probes
 * compiled, the collector opened.  End (inj_finish, at exit or when the
 * last context goes): wait for buffers in flight, flush CUPTI's activity
 * records, close the database, print one line of totals. */
#include "inject/inject_int.h"
#include "collector/collector.h"
#include "probe/probe.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

inj_state inj;
static pthread_mutex_t inj_mu = PTHREAD_MUTEX_INITIALIZER;

void inj_lock(void) { pthread_mutex_lock(&inj_mu); }
void inj_unlock(void) { pthread_mutex_unlock(&inj_mu); }

/* ---- device memory for the pool ---- */
static int pool_dev_alloc(void *ctx, size_t n, CUdeviceptr *p)
{
    if (inj.fault_devmem) return -1;
    return cuMemAlloc(p, n) == CUDA_SUCCESS ? 0 : -1;
}
static void pool_dev_free(void *ctx, CUdeviceptr p) { cuMemFree(p); }
static int pool_host_alloc(void *ctx, size_t n, void **p)
{
    return cuMemHostAlloc(p, n, 0) == CUDA_SUCCESS ? 0 : -1;
}
static void pool_host_free(void *ctx, void *p) { cuMemFreeHost(p); }

/* The profiled command line, from /proc/self/cmdline. */
static char *inj_cmdline(void)
{
    nt_file f;
    nt_sb b = {0};
    if (nt_file_open(&f, "/proc/self/cmdline", NULL) == 0) {
        for (size_t i = 0; i < f.size; i++) nt_sb_putc(&b, f.data[i] ? f.data[i] : ' ');
        nt_file_close(&f);
    }
    while (b.len && b.s[b.len - 1] == ' ') b.s[--b.len] = 0;
    return nt_sb_take(&b);
}

/* The configuration as JSON, stored in the run row. */
static char *inj_config_json(const inj_config *c)
{
    nt_sb b = {0};
    nt_sb_puts(&b, "{\"probes\":[");
    for (size_t i = 0; i < c->nprobes; i++) {
        nt_sb_printf(&b, "%s\"", i ? "," : "");
        nt_sb_put_json(&b, c->probes[i], strlen(c->probes[i]));
        nt_sb_putc(&b, '"');
    }
    nt_sb_puts(&b, "],\"kernel\":");
    if (c->kernel_src) {
        nt_sb_putc(&b, '"');
        nt_sb_put_json(&b, c->kernel_src, strlen(c->kernel_src));
        nt_sb_putc(&b, '"');
    } else {
        nt_sb_puts(&b, "null");
    }
    static const char *const modes[] = {"all", "first", "every"};
    nt_sb_printf(&b, ",\"launches\":\"%s\",\"launches_n\":%llu,\"budget\":%llu,\"emulate\":%s,"
                 "\"pc_sampling\":%s}", modes[c->sample], (unsigned long long)c->sample_n,
                 (unsigned long long)c->budget, c->emulate ? "true" : "false",
                 c->pc_sampling ? "true" : "false");
    return nt_sb_take(&b);
}

static int inj_probe_load(inj_probe *ip, const char *path, nt_err *e)
{
    memset(ip, 0, sizeof *ip);
    ip->path = nt_xstrdup(path);
    nt_file f;
    if (nt_file_open(&f, path, e) < 0) return -1;
    ip->src = nt_xstrndup(f.data, f.size);
    nt_file_close(&f);
    ip->prb = prb_compile_string(ip->src, strlen(ip->src), path, inj.cfg.lua_dir, NULL, e);
    if (!ip->prb) return -1;
    prb_probe *p = ip->prb;
    if (p->maps.n > BUF_MAX_MAPS) return nt_err_set(e, "%s: %zu maps; at most %u", path, p->maps.n, BUF_MAX_MAPS);
    ip->nmaps = prb_buffer_specs(p, ip->specs);
    if (ip->nmaps != p->maps.n)
        return nt_err_set(e, "%s: %u buffer maps for %zu probe maps (an ntrace bug)", path, ip->nmaps, p->maps.n);
    col_map_def defs[BUF_MAX_MAPS];
    col_field *fields[BUF_MAX_MAPS] = {0};
    for (unsigned i = 0; i < ip->nmaps; i++) {
        const prb_map *m = &p->maps.v[i];
        fields[i] = nt_xcalloc(m->fields.n ? m->fields.n : 1, sizeof **fields);
        uint8_t types[BUF_MAX_FIELDS];
        uint16_t offs[BUF_MAX_FIELDS], rsize = 0;
        for (size_t k = 0; k < m->fields.n && k < BUF_MAX_FIELDS; k++) {
            /* pred fields are stored as u32: the buffer type, not the probe's. */
            fields[i][k] = (col_field){m->fields.v[k].name, prb_buf_type(m->fields.v[k].type)};
            types[k] = prb_buf_type(m->fields.v[k].type);
        }
        /* The device writes records as the probe laid them out; the
         * collector reads them by buf_record_layout: they must agree. */
        bool same = m->fields.n <= BUF_MAX_FIELDS &&
                    buf_record_layout(types, (unsigned)m->fields.n, offs, &rsize, NULL) == 0 &&
                    rsize == m->record_size;
        for (size_t k = 0; same && k < m->fields.n; k++) same = offs[k] == m->fields.v[k].offset;
        if (!same) {
            for (unsigned j = 0; j <= i; j++) free(fields[j]);
            return nt_err_set(e, "%s: map %s: the probe's record layout differs from the "
                                 "buffer format's (an ntrace bug)", path, m->name);
        }
        defs[i] = (col_map_def){m->name, (uint16_t)p->level, m->cap, (unsigned)m->fields.n, fields[i]};
    }
    col_probe_def def = {p->name, path, ip->src, ip->nmaps, defs};
    ip->col_id = col_probe(inj.col, &def, e);
    for (unsigned i = 0; i < ip->nmaps; i++) free(fields[i]);
    return ip->col_id < 0 ? -1 : 0;
}

int inj_start(nt_err *e)
{
    if (inj_config_from_env(&inj.cfg, e) < 0) return -1;
    inj_cache_setup(&inj.cfg);
    const char *fault = getenv("NTRACE_TEST_FAULT");
    inj.fault_jit = fault && strstr(fault, "jit");
    inj.fault_devmem = fault && strstr(fault, "devmem");
    char *cmd = inj_cmdline(), *cfg = inj_config_json(&inj.cfg);
    /* One database per process: the first process of the run to open
     * claims OUT.db, any other (a child, a worker) OUT.<pid>.db; `ntrace
     * run` merges them at the end. */
    col_config cc = {.command_line = cmd, .config = cfg, .per_process = true};
    inj.col = col_open(inj.cfg.output, &cc, e);
    free(cmd);
    free(cfg);
    if (!inj.col) return -1;
    inj.probes = nt_xcalloc(inj.cfg.nprobes ? inj.cfg.nprobes : 1, sizeof *inj.probes);
    nt_sb errs = {0};
    for (size_t i = 0; i < inj.cfg.nprobes; i++) {
        nt_err pe = {0};
        inj_probe ip;
        if (inj_probe_load(&ip, inj.cfg.probes[i], &pe) == 0) {
            inj.probes[inj.nprobes++] = ip;
        } else {
            /* One line per bad probe; the others still run. */
            fprintf(stderr, "ntrace: probe %s: %s; it is not used\n", inj.cfg.probes[i], pe.msg);
            nt_sb_printf(&errs, "%s%s: %s", errs.len ? "; " : "", inj.cfg.probes[i], pe.msg);
            if (ip.prb) prb_free(ip.prb);
            free(ip.path);
            free(ip.src);
        }
    }
    if (errs.len) inj.probe_error = nt_sb_take(&errs);
    nt_sb_free(&errs);
    inj_pool_ops ops = {pool_dev_alloc, pool_dev_free, pool_host_alloc, pool_host_free, NULL};
    inj.pool = inj_pool_new(inj.cfg.budget, &ops);
    return 0;
}

void inj_finish(void)
{
    if (!inj.col) return;
    col_totals t;
    nt_err e = {0};
    int rc = col_close(inj.col, &t, &e);
    inj.col = NULL;
    nt_sb line = {0};
    col_totals_format(&t, &line);
    /* `ntrace run` prints the summary from the database; the injector
     * speaks up itself only when something was lost. */
    nt_info("%s; %llu twins built (%llu from the cache)", nt_sb_str(&line),
            (unsigned long long)inj.twins_built, (unsigned long long)inj.cache_hits);
    if (rc < 0) fprintf(stderr, "ntrace: %s\n", e.msg);
    nt_sb_free(&line);
    /* Buffers and twins are left to the process's end: the context that
     * owns them may already be gone, and freeing would need the driver. */
}
