/* Tests: the injector's disk cache directory (src/inject/cache.c): created
 * 0700 per user, refused when everyone may write it or another user owns
 * it, no symlink in it followed, files written atomically with mode 0600. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inject/inject.h"

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/nt_cache_XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rmdir_all(char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(dir);
}

static char *join(const char *a, const char *b)
{
    nt_sb s = {0};
    nt_sb_printf(&s, "%s/%s", a, b);
    return nt_sb_take(&s);
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void created_0700_with_parents(void **state)
{
    char *root = tmpdir(), *dir = join(root, "a/b/ntrace");
    nt_err e = {0};
    mode_t old = umask(0);          /* the mode must not depend on the umask */
    assert_int_equal(inj_cache_check(dir, &e), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    char *mid = join(root, "a");
    assert_int_equal(stat(mid, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(inj_cache_check(dir, &e), 0);     /* existing: fine */
    free(mid);
    free(dir);
    rmdir_all(root);
}

static void refused_world_writable(void **state)
{
    char *root = tmpdir();
    assert_int_equal(chmod(root, 01777), 0);
    nt_err e = {0};
    assert_int_equal(inj_cache_check(root, &e), -1);
    char want[600];
    snprintf(want, sizeof want, "cache directory %s is writable by every user (mode 1777)", root);
    assert_string_equal(e.msg, want);
    /* setup: one line, then the cache is off */
    inj_config c = {.cache_dir = strdup(root)};
    inj_cache_setup(&c);
    assert_null(c.cache_dir);
    assert_int_equal(entries(root), 0);
    rmdir_all(root);
}

static void refused_other_owner(void **state)
{
    char *root = tmpdir();
    nt_err e = {0};
    char want[600];
    if (geteuid() == 0) {
        assert_int_equal(chown(root, 65534, 65534), 0);
        assert_int_equal(inj_cache_check(root, &e), -1);
        snprintf(want, sizeof want, "cache directory %s is owned by another user (uid 65534, not 0)", root);
    } else {            /* not root: / belongs to root */
        assert_int_equal(inj_cache_check("/", &e), -1);
        snprintf(want, sizeof want, "cache directory / is owned by another user (uid 0, not %u)",
                 (unsigned)geteuid());
    }
    assert_string_equal(e.msg, want);
    rmdir_all(root);
}

static void refused_not_a_directory(void **state)
{
    char *root = tmpdir(), *f = join(root, "file"), *under = join(root, "file/x");
    FILE *fp = fopen(f, "w");
    assert_non_null(fp);
    fclose(fp);
    nt_err e = {0};
    assert_int_equal(inj_cache_check(f, &e), -1);
    assert_non_null(strstr(e.msg, "is not a directory"));
    nt_err e2 = {0};
    assert_int_equal(inj_cache_check(under, &e2), -1);
    char want[600];
    snprintf(want, sizeof want, "cache directory %s: Not a directory", under);
    assert_string_equal(e2.msg, want);
    free(f);
    free(under);
    rmdir_all(root);
}

static void store_atomic_0600_and_load(void **state)
{
    char *root = tmpdir();
    nt_err e = {0};
    mode_t old = umask(0);
    assert_int_equal(inj_cache_store(root, "k.ptx", "hello\n", 6, &e), 0);
    umask(old);
    char *p = join(root, "k.ptx");
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(entries(root), 1);            /* no temporary left */
    size_t n = 0;
    char *t = inj_cache_load(root, "k.ptx", &n);
    assert_non_null(t);
    assert_int_equal(n, 6);
    assert_string_equal(t, "hello\n");
    free(t);
    /* replaced whole */
    assert_int_equal(inj_cache_store(root, "k.ptx", "x", 1, &e), 0);
    t = inj_cache_load(root, "k.ptx", &n);
    assert_string_equal(t, "x");
    free(t);
    assert_null(inj_cache_load(root, "missing.ptx", NULL));
    /* an unwritable directory: an error, no file */
    assert_int_equal(chmod(root, 0500), 0);
    if (geteuid() != 0) {
        assert_int_equal(inj_cache_store(root, "y.ptx", "y", 1, &e), -1);
        assert_non_null(strstr(e.msg, "cannot create a file in"));
    }
    free(p);
    rmdir_all(root);
}

static void symlinks_never_followed(void **state)
{
    char *root = tmpdir(), *dir = join(root, "cache"), *secret = join(root, "secret");
    nt_err e = {0};
    assert_int_equal(inj_cache_check(dir, &e), 0);
    FILE *fp = fopen(secret, "w");
    assert_non_null(fp);
    fputs("SECRET", fp);
    fclose(fp);
    char *link = join(dir, "0000000000000001.ptx");
    assert_int_equal(symlink(secret, link), 0);
    /* read: the link is not followed */
    assert_null(inj_cache_load(dir, "0000000000000001.ptx", NULL));
    /* write: the link itself is replaced, its target untouched */
    assert_int_equal(inj_cache_store(dir, "0000000000000001.ptx", "mine", 4, &e), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    nt_file f;
    assert_int_equal(nt_file_open(&f, secret, NULL), 0);
    assert_int_equal(f.size, 6);
    assert_memory_equal(f.data, "SECRET", 6);
    nt_file_close(&f);
    /* a FIFO planted under a cache name is not read (no hang) */
    char *fifo = join(dir, "0000000000000002.ptx");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_null(inj_cache_load(dir, "0000000000000002.ptx", NULL));
    /* a regular file of another user is not read */
    if (geteuid() == 0) {
        assert_int_equal(inj_cache_store(dir, "0000000000000003.ptx", "theirs", 6, &e), 0);
        char *other = join(dir, "0000000000000003.ptx");
        assert_int_equal(chown(other, 65534, 65534), 0);
        assert_null(inj_cache_load(dir, "0000000000000003.ptx", NULL));
        free(other);
    }
    free(fifo);
    free(link);
    free(secret);
    free(dir);
    rmdir_all(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(created_0700_with_parents),
        cmocka_unit_test(refused_world_writable),
        cmocka_unit_test(refused_other_owner),
        cmocka_unit_test(refused_not_a_directory),
        cmocka_unit_test(store_atomic_0600_and_load),
        cmocka_unit_test(symlinks_never_followed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
