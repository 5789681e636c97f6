/* Tests: string builder, error messages, logging, files, time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"

static void sb_basics(void **state)
{
    nt_sb b = {0};
    assert_string_equal(nt_sb_str(&b), "");
    nt_sb_puts(&b, "ld.global");
    nt_sb_putc(&b, '.');
    nt_sb_printf(&b, "u%d", 32);
    assert_string_equal(nt_sb_str(&b), "ld.global.u32");
    assert_int_equal(b.len, 13);
    /* a long printf goes through the slow path */
    char big[1000];
    memset(big, 'x', 999);
    big[999] = 0;
    nt_sb_printf(&b, "[%s]", big);
    assert_int_equal(b.len, 13 + 1001);
    assert_int_equal(b.s[b.len - 1], ']');
    nt_sb_reset(&b);
    assert_string_equal(nt_sb_str(&b), "");
    nt_sb_put(&b, "ab\0c", 4);
    assert_int_equal(b.len, 4);
    char *s = nt_sb_take(&b);
    assert_memory_equal(s, "ab\0c", 5);
    assert_null(b.s);
    free(s);
    nt_sb_free(&b);
}

/* nt_sb_reserve: room without a later realloc; contents kept when there
 * are any; a big block is 2 MiB-aligned (for huge pages). */
static void sb_reserve(void **state)
{
    nt_sb b = {0};
    nt_sb_reserve(&b, 1000);
    assert_true(b.cap >= 1000);
    assert_string_equal(nt_sb_str(&b), "");
    char *s = b.s;
    for (int i = 0; i < 999; i++) nt_sb_putc(&b, 'x');
    assert_ptr_equal(b.s, s);                 /* no realloc up to cap */
    assert_int_equal(b.len, 999);
    nt_sb_reserve(&b, 10);                    /* smaller: nothing changes */
    assert_ptr_equal(b.s, s);
    nt_sb_reserve(&b, 5000);                  /* contents kept */
    assert_true(b.cap >= 5000);
    assert_int_equal(b.len, 999);
    assert_int_equal(b.s[998], 'x');
    assert_int_equal(b.s[999], 0);
    nt_sb_reset(&b);
    nt_sb_reserve(&b, (size_t)5 << 20);       /* empty: fresh, aligned block */
    assert_true(b.cap >= (size_t)5 << 20);
    assert_int_equal((uintptr_t)b.s & (((uintptr_t)2 << 20) - 1), 0);
    assert_string_equal(nt_sb_str(&b), "");
    memset(b.s, 'y', b.cap - 1);
    b.len = b.cap - 1;
    b.s[b.len] = 0;
    nt_sb_puts(&b, "z");                      /* grows past it as usual */
    assert_int_equal(b.s[b.len - 1], 'z');
    nt_sb_free(&b);
    assert_null(b.s);
}

static void sb_json_escape(void **state)
{
    nt_sb b = {0};
    const char in[] = "a\"b\\c\nd\x01\te";
    nt_sb_put_json(&b, in, sizeof in - 1);
    assert_string_equal(nt_sb_str(&b), "a\\\"b\\\\c\\nd\\u0001\\te");
    nt_sb_free(&b);
}

static int fails_at(nt_err *e, int where)
{
    return nt_err_set(e, "bad thing at offset %d", where);
}

static void err_first_wins_and_prefix(void **state)
{
    nt_err e = {0};
    assert_int_equal(fails_at(&e, 12), -1);
    fails_at(&e, 99);                    /* root cause kept */
    nt_err_prefix(&e, "%s: ", "lib.so");
    assert_string_equal(e.msg, "lib.so: bad thing at offset 12");
    assert_int_equal(fails_at(NULL, 1), -1); /* NULL err is allowed */
    nt_err_clear(&e);
    assert_int_equal(e.set, 0);
    nt_err_prefix(&e, "ignored: ");      /* no-op when clear */
    assert_string_equal(e.msg, "");
}

static void log_levels_from_env(void **state)
{
    char path[] = "/tmp/nt_test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    setenv("NTRACE_LOG_FILE", path, 1);
    setenv("NTRACE_LOG", "info", 1);
    nt_log_reset();
    assert_true(nt_log_on(NT_LOG_INFO));
    assert_false(nt_log_on(NT_LOG_DEBUG));
    nt_info("hello %d", 42);
    nt_debug("not shown");
    setenv("NTRACE_LOG", "nonsense", 1);
    nt_log_reset();
    assert_true(nt_log_on(NT_LOG_WARN));    /* default after a warning */
    assert_false(nt_log_on(NT_LOG_INFO));
    nt_log_reset();
    unsetenv("NTRACE_LOG_FILE");
    unsetenv("NTRACE_LOG");

    nt_file f;
    nt_err e = {0};
    assert_int_equal(nt_file_open(&f, path, &e), 0);
    assert_non_null(strstr(f.data, "ntrace: info: hello 42\n"));
    assert_null(strstr(f.data, "not shown"));
    assert_non_null(strstr(f.data, "NTRACE_LOG=nonsense is not a level"));
    nt_file_close(&f);
    unlink(path);
    assert_int_equal(nt_log_parse_level("TRACE"), NT_LOG_TRACE);
    assert_int_equal(nt_log_parse_level("loud"), -1);
}

static void file_roundtrip_and_errors(void **state)
{
    char path[] = "/tmp/nt_test_file_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    nt_err e = {0};
    /* sizes: empty, small, exactly one page (read path), more */
    size_t sizes[] = {0, 5, 4096, 10000};
    for (size_t k = 0; k < NT_ARRAY_LEN(sizes); k++) {
        char *buf = malloc(sizes[k] + 1);
        for (size_t i = 0; i < sizes[k]; i++) buf[i] = (char)('a' + i % 26);
        assert_int_equal(nt_file_write(path, buf, sizes[k], &e), 0);
        nt_file f;
        assert_int_equal(nt_file_open(&f, path, &e), 0);
        assert_int_equal(f.size, sizes[k]);
        assert_memory_equal(f.data, buf, sizes[k]);
        assert_int_equal(f.data[f.size], 0);   /* terminated */
        nt_file_close(&f);
        free(buf);
    }
    unlink(path);
    nt_file f;
    assert_int_equal(nt_file_open(&f, "/nonexistent/x", &e), -1);
    assert_string_equal(e.msg, "/nonexistent/x: No such file or directory");
    nt_err_clear(&e);
    assert_int_equal(nt_file_open(&f, "/tmp", &e), -1);
    assert_string_equal(e.msg, "/tmp: is a directory");
    nt_err_clear(&e);
    assert_int_equal(nt_file_write("/nonexistent/y", "x", 1, &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent/y"));
}

static void time_is_monotonic(void **state)
{
    uint64_t a = nt_now_ns(), b = nt_now_ns();
    assert_true(b >= a);
    assert_true(a > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sb_basics),
        cmocka_unit_test(sb_reserve),
        cmocka_unit_test(sb_json_escape),
        cmocka_unit_test(err_first_wins_and_prefix),
        cmocka_unit_test(log_levels_from_env),
        cmocka_unit_test(file_roundtrip_and_errors),
        cmocka_unit_test(time_is_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
