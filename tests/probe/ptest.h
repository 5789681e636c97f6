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

/* A probe with one handler around `body` at `point`. */
#define PT_PROBE(decls, point, body) \
    "local nt = require 'ntrace'\n" \
    "return nt.probe 'x' {\n" decls \
    point " (function(p)\n" body "\nend),\n}\n"

#endif
