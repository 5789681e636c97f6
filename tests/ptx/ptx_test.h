/* ptx_test.h — helpers shared by the tests of src/ptx. */
#ifndef PTX_TEST_H
#define PTX_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ptx/ptx.h"

static inline ptx_module *parse_ok(const char *text)
{
    nt_err e = {0};
    ptx_module *m = ptx_parse(text, strlen(text), "t.ptx", PTX_PARSE_COPY, &e);
    if (!m) fail_msg("unexpected parse error: %s", e.msg);
    return m;
}

/* Asserts that text fails with exactly msg. */
static inline void parse_err(const char *text, const char *msg)
{
    nt_err e = {0};
    ptx_module *m = ptx_parse(text, strlen(text), "t.ptx", 0, &e);
    if (m) { ptx_module_free(m); fail_msg("parsed but should fail with: %s", msg); }
    if (strcmp(e.msg, msg) != 0) fail_msg("error\n  got:  %s\n  want: %s", e.msg, msg);
}

/* Indexes text into *ix (freed by the caller) and slices kernel out of
 * it; fails the test on an error. */
static inline ptx_module *slice_ok(ptx_index *ix, const char *text, const char *kernel)
{
    nt_err e = {0};
    if (ptx_index_build(ix, text, strlen(text), "t", &e) != 0) fail_msg("index: %s", e.msg);
    ptx_module *m = ptx_slice(ix, kernel, &e);
    if (!m) fail_msg("slice: %s", e.msg);
    return m;
}

static inline char *print_str(const ptx_module *m)
{
    nt_sb sb = {0};
    ptx_print(m, &sb);
    return nt_sb_take(&sb);
}

static inline void assert_has_v(const char *out, va_list ap)
{
    for (const char *want; (want = va_arg(ap, const char *));)
        if (!strstr(out, want)) fail_msg("printed module lacks \"%s\":\n%s", want, out);
}

/* Asserts that the printed module contains each string of the
 * NULL-terminated list. */
static inline void assert_prints(const ptx_module *m, ...)
{
    char *out = print_str(m);
    va_list ap;
    va_start(ap, m);
    assert_has_v(out, ap);
    va_end(ap);
    free(out);
}

/* The same, returning the printed text (caller frees) for more checks. */
static inline char *print_has(const ptx_module *m, ...)
{
    char *out = print_str(m);
    va_list ap;
    va_start(ap, m);
    assert_has_v(out, ap);
    va_end(ap);
    return out;
}

/* First instruction of function fn (depth-first through scopes). */
static inline ptx_instr *first_instr_in(ptx_block *b)
{
    ptx_block_foreach(b, s) {
        if (s->kind == PTX_ST_INSTR) return (ptx_instr *)s;
        if (s->kind == PTX_ST_SCOPE) {
            ptx_instr *in = first_instr_in(&((ptx_scope *)s)->body);
            if (in) return in;
        }
    }
    return NULL;
}

/* The n-th (0-based) instruction of a function, flattened. */
static inline ptx_instr *nth_instr(ptx_func *fn, int n)
{
    nt_err e = {0};
    (void)e;
    int k = 0;
    /* iterative walk with an explicit stack of blocks */
    ptx_stmt *stack[32];
    ptx_block *blocks[32];
    int sp = 0;
    blocks[0] = &fn->body;
    stack[0] = fn->body.head.next;
    for (;;) {
        if (stack[sp] == &blocks[sp]->head) {
            if (sp == 0) return NULL;
            sp--;
            stack[sp] = stack[sp]->next;
            continue;
        }
        ptx_stmt *s = stack[sp];
        if (s->kind == PTX_ST_INSTR) {
            if (k++ == n) return (ptx_instr *)s;
        } else if (s->kind == PTX_ST_SCOPE && sp < 31) {
            sp++;
            blocks[sp] = &((ptx_scope *)s)->body;
            stack[sp] = blocks[sp]->head.next;
            continue;
        }
        stack[sp] = s->next;
    }
}

static inline const char *fixture_dir(void)
{
    static char buf[512];
    const char *b = getenv("BUILD");
    snprintf(buf, sizeof buf, "%s/fixtures/ptx", b ? b : "build");
    return buf;
}

/* Reads a build fixture (caller closes). */
static inline void fixture_open(nt_file *f, const char *name)
{
    char path[600];
    nt_err e = {0};
    snprintf(path, sizeof path, "%s/%s", fixture_dir(), name);
    if (nt_file_open(f, path, &e) < 0) fail_msg("%s", e.msg);
}

/* Runs ptxas on text; returns its exit status, 77 when ptxas is missing. */
static inline int ptxas_ok(const char *text, size_t len, unsigned sm, char *log, size_t logcap)
{
    const char *cuda = getenv("CUDA_HOME");
    char ptxas[512], in[] = "/tmp/nt_ptx_testXXXXXX";
    snprintf(ptxas, sizeof ptxas, "%s/bin/ptxas", cuda ? cuda : "/usr/local/cuda");
    FILE *pf = fopen(ptxas, "rb");
    if (!pf) return 77;
    fclose(pf);
    int fd = mkstemp(in);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "%s -arch=sm_%u %s -o /dev/null 2>&1", ptxas, sm, in);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (log && logcap) log[0] = 0;
    if (p) {
        char line[512];
        while (fgets(line, sizeof line, p))
            if (log && n + strlen(line) + 1 < logcap) { strcpy(log + n, line); n += strlen(line); }
    }
    int rc = p ? pclose(p) : -1;
    unlink(in);
    return rc;
}

/* Asserts that ptxas (-arch=sm_<sm>) accepts text; what names the text in
 * the failure.  Returns 77 when there is no ptxas (the caller skips or
 * goes on without), else 0. */
static inline int assert_ptxas(const char *text, unsigned sm, const char *what)
{
    char log[4096];
    int rc = ptxas_ok(text, strlen(text), sm, log, sizeof log);
    if (rc != 0 && rc != 77) fail_msg("ptxas rejects %s:\n%s\n%s", what, log, text);
    return rc;
}

#endif
