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
    assert_int_equal(inj_module_ptx(m, 90), 0);
    assert_int_equal(m->ptx_arch, 90);
    assert_true(strstr(m->ptx, ".version") != NULL);
    assert_int_equal(strlen(m->ptx), m->ptx_len);
    inj_module *old = inj_module_add(&ms, 0x2000, false, f.data, NULL, "cuModuleLoadData");
    assert_int_equal(inj_module_ptx(old, 80), -1);
    assert_string_equal(old->no_ptx, "no PTX for this device (sm_80; the module's PTX targets sm_90)");
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
    assert_int_equal(inj_module_ptx(m, 90), -1);
    assert_string_equal(m->no_ptx, "no PTX in the module (SASS only)");
    static const char junk[64] = "this is not a GPU image";
    inj_module *j = inj_module_add(&ms, 8, false, junk, NULL, "cuModuleLoadData");
    assert_null(j->image);
    assert_int_equal(inj_module_ptx(j, 90), -1);
    assert_non_null(strstr(j->no_ptx, "image not readable: "));
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
    assert_int_equal(inj_module_ptx(a, 90), 0);
    /* The driver reuses a handle after an unload: the new module wins. */
    inj_module_remove(&ms, 5);
    assert_null(inj_module_find(&ms, 5));
    inj_module *b = inj_module_add(&ms, 5, false, NULL, fixture("kernels.exe"), "cuModuleLoad");
    assert_ptr_equal(inj_module_find(&ms, 5), b);
    if (inj_module_ptx(b, 90) != 0) fail_msg("%s", b->no_ptx);   /* PTX inside the host ELF */
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
    assert_int_equal(inj_module_ptx(m, 90), 0);
    assert_non_null(strstr(m->ptx, ".entry scale"));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_is_copied_and_ptx_chosen),
        cmocka_unit_test(sass_only_and_unreadable),
        cmocka_unit_test(file_plain_ptx_and_handle_reuse),
        cmocka_unit_test(kernels_found_in_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
