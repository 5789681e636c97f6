/* Tests: the probe sandbox holds against hostile scripts. */
#include "probe/ptest.h"
#include <unistd.h>

static void no_io_os_or_loaders(void **state)
{
    /* Each line tries to reach the outside world. */
    static const char *const attempts[] = {
        "io.open('/etc/passwd')",
        "os.execute('touch /tmp/ntrace_pwned')",
        "os.getenv('HOME')",
        "load('return 1')()",
        "loadstring('return 1')",
        "dofile('/etc/passwd')",
        "loadfile('/etc/passwd')",
        "package.loadlib('libc.so.6', 'system')",
        "debug.getregistry()",
        "string.dump(print)",
        "collectgarbage('stop')",
        "require('io')",
        "require('os')",
        "require('../../etc/passwd')",
        "require('ntrace.core').x.y()",
        "xpcall(print, print)",
        "coroutine.create(print)",
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(attempts); i++) {
        char src[300], err[600];
        snprintf(src, sizeof src, "local x = %s\nreturn nil\n", attempts[i]);
        prb_probe *p = pt_compile_lim(src, NULL, err, sizeof err);
        if (p) fprintf(stderr, "escape not refused: %s\n", attempts[i]);
        assert_null(p);
        /* the message points at the script's line 1 */
        assert_non_null(strstr(err, "t.lua:1:"));
    }
    assert_int_equal(access("/tmp/ntrace_pwned", F_OK), -1);
}

static void require_only_ntrace_modules(void **state)
{
    pt_fails("local x = require 'nonexistent_module'\n", "no such ntrace module");
    pt_fails("local x = require '/etc/passwd'\n", "not a module name");
    pt_fails("local x = require 'a..b'\n", "not a module name");
    /* ntrace itself loads, and twice gives the same table */
    prb_probe *p = pt_compile(PT_PROBE("", "nt.at 'kernel.entry'",
        "assert(require 'ntrace' == nt)"));
    prb_free(p);
}

static void endless_loop_is_stopped(void **state)
{
    prb_limits lim = { .instructions = 2000000 };
    char err[600];
    uint64_t t0 = nt_now_ns();
    prb_probe *p = pt_compile_lim("while true do end\n", &lim, err, sizeof err);
    assert_null(p);
    assert_non_null(strstr(err, "endless loop"));
    /* pcall cannot swallow the limit */
    p = pt_compile_lim("while true do pcall(function() while true do end end) end\n",
                       &lim, err, sizeof err);
    assert_null(p);
    assert_non_null(strstr(err, "endless loop"));
    /* inside a handler too */
    p = pt_compile_lim(PT_PROBE("", "nt.at 'kernel.entry'", "while true do end"),
                       &lim, err, sizeof err);
    if (p || !strstr(err, "endless loop")) fprintf(stderr, "got: %s\n", p ? "ok" : err);
    assert_null(p);
    assert_non_null(strstr(err, "endless loop"));
    assert_true(nt_now_ns() - t0 < 5000000000ull);
}

static void memory_bomb_is_stopped(void **state)
{
    prb_limits lim = { .mem_bytes = 8 << 20 };
    char err[600];
    prb_probe *p = pt_compile_lim("local t = {} for i = 1, 1e9 do t[i] = i end\n",
                                  &lim, err, sizeof err);
    assert_null(p);
    assert_non_null(strstr(err, "memory limit of 8 MiB"));
    p = pt_compile_lim("local s = string.rep('x', 1 << 40)\n", &lim, err, sizeof err);
    assert_null(p);
    p = pt_compile_lim("local s = 'x' while true do pcall(function() s = s .. s end) end\n",
                       &lim, err, sizeof err);
    assert_null(p);
    assert_non_null(strstr(err, "memory limit"));
}

static void bytecode_is_refused(void **state)
{
    /* A Lua 5.4 bytecode header: ESC "Lua" 0x54 ... */
    const char bc[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08";
    nt_err e = {0};
    prb_probe *p = prb_compile_string(bc, sizeof bc - 1, "b.lua", "lua", NULL, &e);
    assert_null(p);
    assert_non_null(strstr(e.msg, "not precompiled bytecode"));
}

static void errors_and_odd_returns(void **state)
{
    pt_fails("error({})\n", "non-string error");
    pt_fails("return 42\n", "must return nt.probe");
    pt_fails("return { __nt_probe = false }\n", "must return nt.probe");
    /* a hand-made description is checked, not trusted */
    pt_fails("return { __nt_probe = true, name = 'x', level = 'warp', maps = 5 }\n",
             "'maps' must be a table");
    pt_fails("local x = (\n", "t.lua:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_io_os_or_loaders),
        cmocka_unit_test(require_only_ntrace_modules),
        cmocka_unit_test(endless_loop_is_stopped),
        cmocka_unit_test(memory_bomb_is_stopped),
        cmocka_unit_test(bytecode_is_refused),
        cmocka_unit_test(errors_and_odd_returns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
