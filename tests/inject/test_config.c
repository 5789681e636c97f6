/* Tests: the injector's configuration from the environment. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "inject/inject.h"

static const char *const vars[] = {
    "NTRACE_PROBES", "NTRACE_OUTPUT", "NTRACE_KERNEL", "NTRACE_LAUNCHES",
    "NTRACE_BUDGET", "NTRACE_CACHE_DIR", "NTRACE_LUA_DIR", "NTRACE_EMULATE",
    "NTRACE_PC_SAMPLING", "XDG_CACHE_HOME",
};

static int clear_env(void **state)
{
    for (size_t i = 0; i < NT_ARRAY_LEN(vars); i++) unsetenv(vars[i]);
    setenv("HOME", "/home/u", 1);
    return 0;
}

static void defaults(void **state)
{
    inj_config c;
    nt_err e = {0};
    assert_int_equal(inj_config_from_env(&c, &e), 0);
    assert_int_equal(c.nprobes, 0);
    assert_string_equal(c.output, "ntrace.db");
    assert_null(c.kernel_src);
    assert_int_equal(c.sample, INJ_SAMPLE_ALL);
    assert_int_equal(c.budget, 256ull << 20);
    assert_string_equal(c.cache_dir, "/home/u/.cache/ntrace");
    assert_false(c.emulate);
    assert_true(inj_config_samples(&c, 123456));
    assert_true(inj_config_matches(&c, "_Z3fooPf", NULL));
    inj_config_free(&c);
}

static void full_configuration(void **state)
{
    setenv("NTRACE_PROBES", "/p/a.lua:/p/b.lua", 1);
    setenv("NTRACE_OUTPUT", "/tmp/x.db", 1);
    setenv("NTRACE_KERNEL", "^(sgemm|vec)", 1);
    setenv("NTRACE_LAUNCHES", "every:3", 1);
    setenv("NTRACE_BUDGET", "64M", 1);
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    setenv("NTRACE_EMULATE", "1", 1);
    inj_config c;
    nt_err e = {0};
    assert_int_equal(inj_config_from_env(&c, &e), 0);
    assert_int_equal(c.nprobes, 2);
    assert_string_equal(c.probes[1], "/p/b.lua");
    assert_string_equal(c.output, "/tmp/x.db");
    assert_int_equal(c.budget, 64ull << 20);
    assert_string_equal(c.cache_dir, "/xdg/ntrace");
    assert_true(c.emulate);
    assert_true(inj_config_matches(&c, "_Z5sgemmv", "sgemm(float*)"));
    assert_false(inj_config_matches(&c, "_Z5sgemmv", "void sgemm()"));
    assert_true(inj_config_matches(&c, "vecadd", NULL));
    assert_true(inj_config_matches(&c, "_Z3vecv", "vec()"));
    assert_true(inj_config_samples(&c, 0));
    assert_false(inj_config_samples(&c, 1));
    assert_false(inj_config_samples(&c, 2));
    assert_true(inj_config_samples(&c, 3));
    inj_config_free(&c);
}

static void cache_off(void **state)
{
    setenv("NTRACE_CACHE_DIR", "off", 1);
    inj_config c;
    assert_int_equal(inj_config_from_env(&c, NULL), 0);
    assert_null(c.cache_dir);
    inj_config_free(&c);
}

static void bad_values_name_the_variable(void **state)
{
    struct { const char *var, *val, *msg; } cases[] = {
        {"NTRACE_KERNEL", "(unclosed", "NTRACE_KERNEL: bad regular expression"},
        {"NTRACE_LAUNCHES", "every:0", "NTRACE_LAUNCHES: 'every:0' is not a launch selection (expected N or every:N, N >= 1)"},
        {"NTRACE_LAUNCHES", "ten", "NTRACE_LAUNCHES: 'ten' is not a launch selection"},
        {"NTRACE_BUDGET", "12Q", "NTRACE_BUDGET: '12Q' has an unknown unit (expected K, M or G)"},
        {"NTRACE_BUDGET", "-5", "NTRACE_BUDGET: '-5' is not a size"},
        {"NTRACE_BUDGET", "99999999999999G", "NTRACE_BUDGET: size '99999999999999G' is too large"},
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(cases); i++) {
        clear_env(NULL);
        setenv(cases[i].var, cases[i].val, 1);
        inj_config c;
        nt_err e = {0};
        assert_int_equal(inj_config_from_env(&c, &e), -1);
        if (strncmp(e.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("case %zu: got '%s', want prefix '%s'", i, e.msg, cases[i].msg);
    }
}

static void parse_helpers(void **state)
{
    uint64_t b;
    assert_int_equal(inj_parse_bytes("4096", &b, NULL), 0);
    assert_int_equal(b, 4096);
    assert_int_equal(inj_parse_bytes("1G", &b, NULL), 0);
    assert_int_equal(b, 1ull << 30);
    assert_int_equal(inj_parse_bytes("16kb", &b, NULL), 0);
    assert_int_equal(b, 16384);
    assert_int_equal(inj_parse_bytes("", &b, NULL), -1);
    enum inj_sample m;
    uint64_t n;
    assert_int_equal(inj_parse_launches("7", &m, &n, NULL), 0);
    assert_int_equal(m, INJ_SAMPLE_FIRST);
    assert_int_equal(n, 7);
    assert_int_equal(inj_parse_launches("every:", &m, &n, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(defaults, clear_env),
        cmocka_unit_test_setup(full_configuration, clear_env),
        cmocka_unit_test_setup(cache_off, clear_env),
        cmocka_unit_test_setup(bad_values_name_the_variable, clear_env),
        cmocka_unit_test_setup(parse_helpers, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
