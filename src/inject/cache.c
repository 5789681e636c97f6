/* cache.c — the disk cache of instrumented PTX: one directory per user.
 *
 * Rules (issue 12):
 *  - the directory is created 0700 (and its missing parents);
 *  - a directory owned by another user, or writable by everyone, is
 *    refused: the run goes on without the disk cache (inj_cache_check's
 *    message is the one line the user sees);
 *  - a file is read only when it is a regular file of ours, opened with
 *    O_NOFOLLOW: a symlink planted in the directory is never followed;
 *  - a file is written to a fresh temporary name (mkstemp: O_EXCL, mode
 *    0600) and renamed over the final name, so a reader never sees half a
 *    file and a planted symlink at either name is never written through
 *    (rename replaces the link itself). */
#include "inject/inject.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p with mode 0700 for what it creates. */
static int mkdir_parents(const char *dir)
{
    char *p = nt_xstrdup(dir);
    int rc = 0;
    for (char *s = p + 1; ; s++) {
        if (*s != '/' && *s) continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, 0700) && errno != EEXIST) {
            rc = -1;
            break;
        }
        *s = c;
        if (!c) break;
    }
    free(p);
    return rc;
}

int inj_cache_check(const char *dir, nt_err *e)
{
    struct stat st;
    if (stat(dir, &st) && errno == ENOENT && mkdir_parents(dir))
        return nt_err_set(e, "cache directory %s cannot be created: %s", dir, strerror(errno));
    if (stat(dir, &st))
        return nt_err_set(e, "cache directory %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return nt_err_set(e, "cache directory %s is not a directory", dir);
    if (st.st_uid != geteuid())
        return nt_err_set(e, "cache directory %s is owned by another user (uid %u, not %u)", dir,
                          (unsigned)st.st_uid, (unsigned)geteuid());
    if (st.st_mode & S_IWOTH)
        return nt_err_set(e, "cache directory %s is writable by every user (mode %04o)", dir,
                          (unsigned)(st.st_mode & 07777));
    return 0;
}

void inj_cache_setup(inj_config *c)
{
    nt_err e = {0};
    if (!c->cache_dir || !inj_cache_check(c->cache_dir, &e)) return;
    nt_warn("%s: running without the disk cache", e.msg);
    free(c->cache_dir);
    c->cache_dir = NULL;
}

static char *cache_file(const char *dir, const char *name)
{
    nt_sb b = {0};
    nt_sb_printf(&b, "%s/%s", dir, name);
    return nt_sb_take(&b);
}

char *inj_cache_load(const char *dir, const char *name, size_t *len)
{
    char *path = cache_file(dir, name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    free(path);
    if (fd < 0) return NULL;
    struct stat st;
    char *text = NULL;
    /* a regular file of ours, of a sane size (a FIFO or device would block
     * or never end) */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        st.st_size < (1ll << 31)) {
        size_t n = (size_t)st.st_size, got = 0;
        text = nt_xmalloc(n + 1);
        while (got < n) {
            ssize_t r = read(fd, text + got, n - got);
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (got != n) {
            free(text);
            text = NULL;
        } else {
            text[n] = 0;
            if (len) *len = n;
        }
    }
    close(fd);
    return text;
}

int inj_cache_store(const char *dir, const char *name, const void *data, size_t n, nt_err *e)
{
    char *path = cache_file(dir, name);
    nt_sb tmp = {0};
    nt_sb_printf(&tmp, "%s/.%s.XXXXXX", dir, name);
    int fd = mkstemp(tmp.s), rc = -1;
    if (fd < 0) {
        nt_err_set(e, "cannot create a file in %s: %s", dir, strerror(errno));
        goto out;
    }
    const char *p = data;
    size_t put = 0;
    while (put < n) {
        ssize_t w = write(fd, p + put, n - put);
        if (w <= 0) break;
        put += (size_t)w;
    }
    if (put != n) {
        nt_err_set(e, "cannot write %s: %s", tmp.s, put < n ? strerror(errno) : "short write");
        close(fd);
    } else if (close(fd)) {
        nt_err_set(e, "cannot write %s: %s", tmp.s, strerror(errno));
    } else if (rename(tmp.s, path)) {
        nt_err_set(e, "cannot rename %s to %s: %s", tmp.s, path, strerror(errno));
    } else {
        rc = 0;
    }
    if (rc) unlink(tmp.s);
out:
    nt_sb_free(&tmp);
    free(path);
    return rc;
}
