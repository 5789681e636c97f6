/* emu_test.h — helpers for the emulator's tests: load inline PTX, launch a
 * kernel with scalar parameters, read device memory back. */
#ifndef EMU_TEST_H
#define EMU_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "emu/emu.h"

#define PTX_HEAD ".version 8.0\n.target sm_90\n.address_size 64\n"

static inline emu_module *et_load(const char *ptx)
{
    nt_err e = { 0 };
    emu_module *m = emu_module_load(ptx, strlen(ptx), &e);
    if (!m) fprintf(stderr, "load: %s\n", e.msg);
    assert_non_null(m);
    return m;
}

/* Launches kernel `name` with up to 8 scalar parameters (each written at
 * its PTX size); returns the emu_status, e gets the message. */
static inline int et_launch_dyn(emu_module *m, const char *name, unsigned gx, unsigned bx, unsigned by,
                                unsigned dyn, const uint64_t *args, int nargs, nt_err *e, emu_stats *st)
{
    emu_kernel *k = emu_module_kernel(m, name);
    assert_non_null(k);
    assert_int_equal(emu_kernel_nparams(k), nargs);
    uint8_t buf[256] = { 0 };
    assert_true(emu_kernel_params_size(k) <= sizeof buf);
    for (int i = 0; i < nargs; i++) {
        uint32_t off, size;
        emu_kernel_param(k, i, &off, &size);
        memcpy(buf + off, &args[i], size);
    }
    emu_launch l = { .k = k, .grid = { gx, 1, 1 }, .block = { bx, by, 1 }, .dyn_smem = dyn,
                     .params = buf, .grid_id = 1 };
    return emu_launch_run(&l, st, e);
}

static inline int et_launch(emu_module *m, const char *name, unsigned gx, unsigned bx,
                            const uint64_t *args, int nargs, nt_err *e)
{
    return et_launch_dyn(m, name, gx, bx, 1, 0, args, nargs, e, NULL);
}

/* Runs and requires success. */
#define ET_RUN(m, name, gx, bx, ...) do {                                     \
        uint64_t a_[] = { __VA_ARGS__ };                                       \
        nt_err e_ = { 0 };                                                     \
        int st_ = et_launch(m, name, gx, bx, a_, (int)NT_ARRAY_LEN(a_), &e_);  \
        if (st_) fprintf(stderr, "launch %s: %s\n", name, e_.msg);             \
        assert_int_equal(st_, EMU_OK);                                         \
    } while (0)

static inline uint64_t et_alloc(size_t n)
{
    uint64_t a = emu_mem_alloc(n);
    assert_true(a != 0);
    return a;
}

static inline void *et_host(uint64_t a, size_t n)
{
    void *p = emu_mem_ptr(a, n);
    assert_non_null(p);
    return p;
}

#endif
