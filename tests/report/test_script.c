/* Tests: --script, the Lua sandbox and its read-only query API. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rep_test.h"

static rep_db *db;

static int setup(void **state)
{
    nt_err e = {0};
    db = rep_open(rt_make_db(), &e);
    return db ? 0 : -1;
}

static int teardown(void **state)
{
    rep_close(db);
    rt_cleanup();
    return 0;
}

/* Runs the Lua text; returns its output (caller frees) and sets *rc. */
static char *run(const char *lua, const rep_script_limits *lim, int *rc, nt_err *e)
{
    const char *p = rt_path("s.lua");
    FILE *f = fopen(p, "w");
    fputs(lua, f);
    fclose(f);
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    nt_err_clear(e);
    *rc = rep_script(db, p, lim, m, e);
    fclose(m);
    return buf;
}

static void query_rows_print_as_a_table(void **state)
{
    nt_err e = {0};
    int rc;
    char *out = run("local r = nt.query('SELECT launchId AS id, end - start AS dur FROM "
                    "CUPTI_ACTIVITY_KIND_KERNEL WHERE streamId = ?1 ORDER BY launchId', 1)\n"
                    "print('rows', #r)\nreturn r\n", NULL, &rc, &e);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "rows\t2\n== script result\n  id   dur\n   1  1000\n   2   500\n\n");
    free(out);
}

static void scalars_lists_records_and_analyze(void **state)
{
    nt_err e = {0};
    int rc;
    char *out = run("return 6 * 7", NULL, &rc, &e);
    assert_string_equal(out, "42\n");
    free(out);
    out = run("return {'a', 'b'}", NULL, &rc, &e);
    assert_string_equal(out, "a\nb\n");
    free(out);
    out = run("return {answer = 42}", NULL, &rc, &e);
    assert_non_null(strstr(out, "  answer  42\n"));
    free(out);
    /* A probe file: a table with an analyze function, called with nt. */
    out = run("return { analyze = function(nt)\n"
              "  local r = nt.query('SELECT sum(cycles) AS c FROM PROBE_BARRIER_WAIT_CYCLES')\n"
              "  return 'barrier cycles: ' .. r[1].c end }", NULL, &rc, &e);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "barrier cycles: 170\n");
    free(out);
}

static void writes_and_escapes_are_refused(void **state)
{
    nt_err e = {0};
    int rc;
    static const char *const bad[][2] = {
        {"nt.query('DELETE FROM NTRACE_KERNELS')", "nt.query: not authorized"},
        {"nt.query('CREATE TABLE x(a)')", "nt.query: not authorized"},
        {"nt.query(\"ATTACH '/tmp/x.db' AS x\")", "nt.query: not authorized"},
        {"nt.query('PRAGMA writable_schema = 1')", "nt.query: not authorized"},
        {"nt.query('SELECT 1; DELETE FROM NTRACE_KERNELS')", "nt.query: one statement at a time"},
        {"nt.query('SELECT ?1', {})", "nt.query: value 1 is a table"},
        {"nt.query('SELECT 1', 2)", "nt.query: 1 values for 0 parameters"},
        {"return io.open('/etc/passwd')", "attempt to index a nil value (global 'io')"},
        {"return os.execute('true')", "attempt to index a nil value (global 'os')"},
        {"return load('return 1')", "attempt to call a nil value (global 'load')"},
        {"return require('io')", "attempt to call a nil value (global 'require')"},
        {"return dofile('/etc/passwd')", "attempt to call a nil value (global 'dofile')"},
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(bad); i++) {
        char *out = run(bad[i][0], NULL, &rc, &e);
        assert_int_equal(rc, -1);
        if (!strstr(e.msg, bad[i][1])) fprintf(stderr, "case %zu: %s\n", i, e.msg);
        assert_non_null(strstr(e.msg, bad[i][1]));
        assert_null(strchr(e.msg, '\n'));
        free(out);
    }
    /* The database is unchanged. */
    char *out = run("return #nt.query('SELECT * FROM NTRACE_KERNELS')", NULL, &rc, &e);
    assert_string_equal(out, "2\n");
    free(out);
}

static void limits_stop_runaway_scripts(void **state)
{
    nt_err e = {0};
    int rc;
    rep_script_limits lim = {.mem_bytes = 4 << 20, .instrs = 2000000};
    char *out = run("while true do end", &lim, &rc, &e);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, "instruction limit (2000000) reached"));
    free(out);
    out = run("local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end", &lim, &rc, &e);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, "not enough memory"));
    free(out);
    /* Rows of a huge query count against the limits too. */
    out = run("return nt.query('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
              "SELECT x FROM c')", &lim, &rc, &e);
    assert_int_equal(rc, -1);
    free(out);
}

static void errors_name_the_file_and_line(void **state)
{
    nt_err e = {0};
    int rc;
    char *out = run("local x = 1\nlocal y = = 2\n", NULL, &rc, &e);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(e.msg, "s.lua:2: unexpected symbol near '='"));
    free(out);
    out = run("error('custom failure')", NULL, &rc, &e);
    assert_non_null(strstr(e.msg, "s.lua:1: custom failure"));
    free(out);
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    nt_err_clear(&e);
    assert_int_equal(rep_script(db, "/nonexistent/a.lua", NULL, m, &e), -1);
    fclose(m);
    free(buf);
    assert_non_null(strstr(e.msg, "cannot open /nonexistent/a.lua"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_rows_print_as_a_table),
        cmocka_unit_test(scalars_lists_records_and_analyze),
        cmocka_unit_test(writes_and_escapes_are_refused),
        cmocka_unit_test(limits_stop_runaway_scripts),
        cmocka_unit_test(errors_name_the_file_and_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
