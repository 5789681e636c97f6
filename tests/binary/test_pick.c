/* Tests: bin_ptx_pick, the one "which PTX for this device" policy, on a
 * fatbin with compute_80 and compute_90 PTX (tests/kernels/archpick.cu),
 * on a fatbin with SASS and one PTX, and on plain PTX text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary/binary.h"
#include "fixture.h"

static void open_kernel_fixture(nt_file *f, const char *name)
{
    const char *build = getenv("BUILD");
    char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/kernels/%s", build ? build : "build", name);
    nt_err e = {0};
    if (nt_file_open(f, path, &e) < 0) fail_msg("fixture: %s", e.msg);
}

static void pick_two_ptx(void **state)
{
    nt_file f;
    open_kernel_fixture(&f, "archpick.fatbin");
    static const struct { unsigned sm, want; } cases[] = {
        {90, 90}, {100, 90}, {89, 80}, {86, 80}, {80, 80}, {75, 0}, {52, 0},
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(cases); i++) {
        bin_ptx_choice c;
        nt_err e = {0};
        assert_int_equal(bin_ptx_pick(f.data, f.size, cases[i].sm, &c, &e), 0);
        assert_int_equal(c.count, 2);
        assert_int_equal(c.newest, 90);
        assert_int_equal(c.sm, cases[i].sm);
        if (!cases[i].want) {
            assert_null(c.text);
        } else {
            assert_non_null(c.text);
            assert_int_equal(c.arch, cases[i].want);
            assert_int_equal(bin_ptx_target(c.text, c.len), cases[i].want);
            assert_int_equal(strlen(c.text), c.len);
            /* The compute_90 text takes the >= 900 branch, the other not. */
            assert_true(strstr(c.text, cases[i].want == 90 ? "900" : "800") != NULL);
        }
        bin_ptx_choice_free(&c);
        assert_null(c.text);
    }
    nt_file_close(&f);
}

static void pick_sass_and_ptx(void **state)
{
    nt_file f;
    fixture_open(&f, "kernels.fatbin");   /* sm_80 + sm_90 SASS, compute_90 PTX */
    bin_ptx_choice c;
    assert_int_equal(bin_ptx_pick(f.data, f.size, 90, &c, NULL), 0);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.arch, 90);
    bin_ptx_choice_free(&c);
    /* An sm_80 device has SASS here but no PTX it can JIT. */
    assert_int_equal(bin_ptx_pick(f.data, f.size, 80, &c, NULL), 0);
    assert_null(c.text);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.newest, 90);
    nt_file_close(&f);
    /* SASS only: no PTX at all. */
    fixture_open(&f, "kernels.cubin");
    assert_int_equal(bin_ptx_pick(f.data, f.size, 90, &c, NULL), 0);
    assert_null(c.text);
    assert_int_equal(c.count, 0);
    nt_file_close(&f);
}

static void pick_plain_ptx(void **state)
{
    static const char ptx[] = "// made by hand\n.version 7.0\n.target sm_80, debug\n"
                              ".address_size 64\n.visible .entry k() { ret; }\n";
    bin_ptx_choice c;
    assert_int_equal(bin_ptx_pick(ptx, sizeof ptx - 1, 90, &c, NULL), 0);
    assert_non_null(c.text);
    assert_int_equal(c.arch, 80);
    assert_string_equal(c.text, ptx);
    bin_ptx_choice_free(&c);
    assert_int_equal(bin_ptx_pick(ptx, sizeof ptx - 1, 75, &c, NULL), 0);
    assert_null(c.text);
    assert_int_equal(c.newest, 80);
    /* No .target at all: nothing says it is too new, so it is taken. */
    static const char bare[] = ".version 7.0\n.address_size 64\n";
    assert_int_equal(bin_ptx_target(bare, sizeof bare - 1), 0);
    assert_int_equal(bin_ptx_pick(bare, sizeof bare - 1, 50, &c, NULL), 0);
    assert_non_null(c.text);
    bin_ptx_choice_free(&c);
    /* A directive cut off at the end of the text reads nothing past it. */
    static const char cut[] = ".target sm_";
    assert_int_equal(bin_ptx_target(cut, sizeof cut - 1), 0);
    assert_int_equal(bin_ptx_target(".targ", 5), 0);
    assert_int_equal(bin_ptx_target(".target sm_90a", 14), 90);
}

static void pick_malformed(void **state)
{
    /* A fatbin header that declares more than is there. */
    uint8_t bad[32] = {0x50, 0xed, 0x55, 0xba, 1, 0, 16, 0, 0xff, 0xff, 0, 0};
    bin_ptx_choice c;
    nt_err e = {0};
    assert_int_equal(bin_ptx_pick(bad, sizeof bad, 90, &c, &e), -1);
    assert_true(e.set);
    assert_null(c.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pick_two_ptx),
        cmocka_unit_test(pick_sass_and_ptx),
        cmocka_unit_test(pick_plain_ptx),
        cmocka_unit_test(pick_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
