/* Tests: the injector's module registry and its choice of PTX. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inject/inject_int.h"

static char fix[4096];

static const char *fixture(const char *name)
{
    const char *b = getenv("BUILD");
    snprintf(fix, sizeof fix, "%s/fixtures/binary/%s", b ? b : "build", name);
    return fix;
}

/* The image is copied: the app may free or overwrite its own at once. */
static void image_is_copied_and_ptx_chosen(void **state)
{
    nt_file f;
    nt_err e = {0};
    assert_int_equal(nt_file_open(&f, fixture("kernels.fatbin"), &e), 0);
    char *app = malloc(f.size);
    memcpy(app, f.data, f.size);
    inj_modules ms = {0};
    inj_module *m = inj_module_add(&ms, 0x1000, false, app, NULL, "cuModuleLoadData");
    memset(app, 0, f.size);
    free(app);
    assert_non_null(m->image);
    assert_int_equal(m->size, f.size);                 /* size derived from the image */
    assert_int_equal(m->hash, nt_hash64(f.data, f.size, 0));
    assert_ptr_equal(inj_module_find(&ms, 0x1000), m);
    /* compute_90 PTX: usable on sm_90 and newer, not on sm_80. */
    inj_ptx *p = inj_module_ptx(m, 90);
    assert_non_null(p->text);
    assert_int_equal(p->arch, 90);
    assert_true(strstr(p->text, ".version") != NULL);
    assert_int_equal(strlen(p->text), p->len);
    assert_ptr_equal(inj_module_ptx(m, 90), p);        /* chosen once per device kind */
    inj_module *old = inj_module_add(&ms, 0x2000, false, f.data, NULL, "cuModuleLoadData");
    p = inj_module_ptx(old, 80);
    assert_null(p->text);
    assert_string_equal(p->no_ptx, "no PTX for this device (sm_80; the module's PTX targets sm_90)");
    nt_file_close(&f);
    inj_modules_free(&ms);
}

static void sass_only_and_unreadable(void **state)
{
    nt_file f;
    nt_err e = {0};
    assert_int_equal(nt_file_open(&f, fixture("kernels.cubin"), &e), 0);
    inj_modules ms = {0};
    inj_module *m = inj_module_add(&ms, 7, false, f.data, NULL, "cuModuleLoadData");
    assert_null(inj_module_ptx(m, 90)->text);
    assert_string_equal(inj_module_ptx(m, 90)->no_ptx, "no PTX in the module (SASS only)");
    static const char junk[64] = "this is not a GPU image";
    inj_module *j = inj_module_add(&ms, 8, false, junk, NULL, "cuModuleLoadData");
    assert_null(j->image);
    assert_null(inj_module_ptx(j, 90)->text);
    assert_non_null(strstr(inj_module_ptx(j, 90)->no_ptx, "image not readable: "));
    inj_module *nf = inj_module_add(&ms, 9, true, NULL, "/nonexistent.cubin", "cuLibraryLoadFromFile");
    assert_null(nf->image);
    assert_non_null(strstr(nf->no_ptx, "/nonexistent.cubin: No such file"));
    nt_file_close(&f);
    inj_modules_free(&ms);
}

static void file_plain_ptx_and_handle_reuse(void **state)
{
    inj_modules ms = {0};
    inj_module *a = inj_module_add(&ms, 5, true, NULL, fixture("kernels.ptx"), "cuLibraryLoadFromFile");
    assert_non_null(a->image);
    assert_true(a->is_library);
    assert_non_null(inj_module_ptx(a, 90)->text);
    /* The driver reuses a handle after an unload: the new module wins. */
    inj_module_remove(&ms, 5);
    assert_null(inj_module_find(&ms, 5));
    inj_module *b = inj_module_add(&ms, 5, false, NULL, fixture("kernels.exe"), "cuModuleLoad");
    assert_ptr_equal(inj_module_find(&ms, 5), b);
    inj_ptx *p = inj_module_ptx(b, 90);
    if (!p->text) fail_msg("%s", p->no_ptx);      /* PTX inside the host ELF */
    inj_modules_free(&ms);
}

/* Kernels of modules registered privately (the CUDA runtime) are found in
 * the files' embedded fatbins. */
static void kernels_found_in_files(void **state)
{
    inj_modules ms = {0};
    char exe[4096];
    snprintf(exe, sizeof exe, "%s", fixture("kernels.exe"));
    const char *files[] = {exe, "/nonexistent/lib.so", "/etc/hostname"};
    size_t found = inj_modules_scan_files(&ms, files, 3, 90);
    assert_true(found >= 4);                       /* scale, clus, bigparam, axpy<>s */
    assert_int_equal(inj_modules_scan_files(&ms, files, 3, 90), 0);   /* once per file */
    inj_module *m = inj_module_for_kernel(&ms, "scale", 0x77);
    assert_non_null(m);
    assert_ptr_equal(inj_module_find(&ms, 0x77), m);
    assert_non_null(inj_module_ptx(m, 90)->text);
    assert_non_null(strstr(inj_module_ptx(m, 90)->text, ".entry scale"));
    /* The same kernel again: the same record. */
    assert_ptr_equal(inj_module_for_kernel(&ms, "scale", 0x77), m);
    assert_null(inj_module_for_kernel(&ms, "no_such_kernel", 0x78));
    inj_modules_free(&ms);
    /* PTX newer than the device is not taken. */
    inj_modules old = {0};
    assert_int_equal(inj_modules_scan_files(&old, files, 1, 80), 0);
    assert_null(inj_module_for_kernel(&old, "scale", 1));
    inj_modules_free(&old);
}

/* One module used on devices of two compute capabilities: each gets the
 * PTX it would JIT (archpick.fatbin: compute_80 and compute_90 PTX). */
static void ptx_per_device(void **state)
{
    const char *build = getenv("BUILD");
    char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/kernels/archpick.fatbin", build ? build : "build");
    inj_modules ms = {0};
    inj_module *m = inj_module_add(&ms, 0x10, true, NULL, path, "cuLibraryLoadFromFile");
    assert_non_null(m->image);
    inj_ptx *p90 = inj_module_ptx(m, 90), *p80 = inj_module_ptx(m, 80), *p86 = inj_module_ptx(m, 86);
    assert_non_null(p90->text);
    assert_non_null(p80->text);
    assert_int_equal(p90->arch, 90);
    assert_int_equal(p80->arch, 80);
    assert_int_equal(p86->arch, 80);
    assert_non_null(strstr(p90->text, ".target sm_90"));
    assert_non_null(strstr(p80->text, ".target sm_80"));
    /* Asked again in any order: the same choices. */
    assert_ptr_equal(inj_module_ptx(m, 80), p80);
    assert_ptr_equal(inj_module_ptx(m, 90), p90);
    inj_ptx *p75 = inj_module_ptx(m, 75);
    assert_null(p75->text);
    assert_string_equal(p75->no_ptx, "no PTX for this device (sm_75; the module's PTX targets sm_90)");
    inj_modules_free(&ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_is_copied_and_ptx_chosen),
        cmocka_unit_test(sass_only_and_unreadable),
        cmocka_unit_test(file_plain_ptx_and_handle_reuse),
        cmocka_unit_test(kernels_found_in_files),
        cmocka_unit_test(ptx_per_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
