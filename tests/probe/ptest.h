/* ptest.h — helpers shared by the probe tests (static, header-only). */
#ifndef NT_TESTS_PTEST_H
#define NT_TESTS_PTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe.h"
#include <unistd.h>

/* Compiles a probe from source; on failure copies the message to err. */
static NT_UNUSED prb_probe *pt_compile_lim(const char *src, const prb_limits *lim,
                                           char *err, size_t errn)
{
    nt_err e = {0};
    prb_probe *p = prb_compile_string(src, strlen(src), "t.lua", "lua", lim, &e);
    if (err) snprintf(err, errn, "%s", p ? "" : e.msg);
    return p;
}

static NT_UNUSED prb_probe *pt_compile(const char *src)
{
    char err[600];
    prb_probe *p = pt_compile_lim(src, NULL, err, sizeof err);
    if (!p) fprintf(stderr, "unexpected compile error: %s\n", err);
    assert_non_null(p);
    return p;
}

/* Asserts that src fails to compile with a message containing `want`. */
#define pt_fails(src, want) do { \
    char err_[600]; \
    prb_probe *p_ = pt_compile_lim((src), NULL, err_, sizeof err_); \
    if (p_ || !strstr(err_, (want))) \
        fprintf(stderr, "expected error containing '%s', got '%s'\n", (want), \
                p_ ? "(compiled)" : err_); \
    assert_null(p_); \
    assert_non_null(strstr(err_, (want))); \
} while (0)

/* The shipped probes (probes/NAME.lua). */
static const char *const pt_shipped[] NT_UNUSED = {
    "block_sched", "gmem_bytes", "barrier_wait", "mem_wait", "kernel_time", "dmat",
    "tensor_ops", "instr_mix", "branch_divergence", "regions",
};

static NT_UNUSED prb_probe *pt_shipped_probe(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "probes/%s.lua", name);
    nt_err e = {0};
    prb_probe *p = prb_compile_file(path, "lua", NULL, &e);
    if (!p) fprintf(stderr, "%s\n", e.msg);
    assert_non_null(p);
    return p;
}

/* Runs ptxas on text for arch ("sm_90"); 0 when it assembles, else its
 * status with its output in log.  -c (relocatable): a kernel sliced out
 * of a library may reference .extern symbols defined elsewhere. */
static NT_UNUSED int ptxas(const char *text, const char *arch, char *log, size_t logn)
{
    char dir[] = "/tmp/ntrace_prbXXXXXX";
    if (!mkdtemp(dir)) return -1;
    char in[256], cmd[1024];
    snprintf(in, sizeof in, "%s/k.ptx", dir);
    nt_err e = {0};
    if (nt_file_write(in, text, strlen(text), &e) != 0) return -1;
    const char *cuda = getenv("CUDA_HOME");
    snprintf(cmd, sizeof cmd, "%s/bin/ptxas -c -arch=%s %s -o %s/k.cubin > %s/log 2>&1",
             cuda && *cuda ? cuda : "/usr/local/cuda", arch, in, dir, dir);
    int rc = system(cmd);
    char lp[256];
    snprintf(lp, sizeof lp, "%s/log", dir);
    FILE *f = fopen(lp, "r");
    size_t n = f ? fread(log, 1, logn - 1, f) : 0;
    log[n] = 0;
    if (f) fclose(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) rc = -1;
    return rc;
}

/* Appends the kernels of `text` to `all`, renamed NAME__<tag>. */
/* Instrumented text whose module-scope state (block level) or changed
 * callees (exits inside them) append_entries would leave behind: check
 * it with ptxas on its own. */
static NT_UNUSED bool pt_needs_own_module(const char *out)
{
    return strstr(out, "__ntrace_st") || strstr(out, "__prb_ticket") ||
           strstr(out, "__prb_rec");
}

static NT_UNUSED void append_entries(nt_sb *all, const char *text, const char *tag)
{
    ptx_index ix;
    nt_err e = {0};
    assert_int_equal(ptx_index_build(&ix, text, strlen(text), tag, &e), 0);
    for (size_t i = 0; i < ix.n; i++) {
        const ptx_ix_item *it = &ix.items[i];
        if (it->kind != PTX_IX_FUNC || !it->is_entry || !it->has_body) continue;
        const char *s = text + it->begin, *end = text + it->end;
        const char *nm = strstr(s, ".entry ");
        assert_non_null(nm);
        nm += 7;
        nt_sb_put(all, s, (size_t)(nm - s));
        nt_sb_printf(all, "%.*s__%s", (int)it->name.n, it->name.s, tag);
        nm += it->name.n;
        nt_sb_put(all, nm, (size_t)(end - nm));
        nt_sb_putc(all, '\n');
    }
    ptx_index_free(&ix);
}

/* A probe with one handler around `body` at `point`. */
#define PT_PROBE(decls, point, body) \
    "local nt = require 'ntrace'\n" \
    "return nt.probe 'x' {\n" decls \
    point " (function(p)\n" body "\nend),\n}\n"

#endif
