/* file.c — whole-file views (mmap where possible) and whole-file writes. */
#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A mapping of size+1 bytes is made when size is not a page multiple, so
 * the byte past the end reads as 0 (the kernel zero-fills the last page).
 * When size is an exact page multiple, or the file is not mappable, the
 * file is read into a malloc'd buffer with an explicit terminator. */
int nt_file_open(nt_file *f, const char *path, nt_err *e)
{
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nt_err_set(e, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int er = errno;
        close(fd);
        return nt_err_set(e, "%s: %s", path, strerror(er));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return nt_err_set(e, "%s: is a directory", path);
    }
    long page = sysconf(_SC_PAGESIZE);
    if (S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size % page != 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            f->data = p;
            f->size = (size_t)st.st_size;
            f->mapped = 1;
            return 0;
        }
    }
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536, n = 0;
    char *buf = nt_xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = nt_xrealloc(buf, cap *= 2);
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR) continue;
            int er = errno;
            free(buf);
            close(fd);
            return nt_err_set(e, "%s: %s", path, strerror(er));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    f->data = buf;
    f->size = n;
    f->mapped = 0;
    return 0;
}

void nt_file_close(nt_file *f)
{
    if (!f->data) return;
    if (f->mapped) munmap((void *)f->data, f->size);
    else free((void *)f->data);
    memset(f, 0, sizeof *f);
}

int nt_file_write(const char *path, const void *data, size_t n, nt_err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return nt_err_set(e, "%s: %s", path, strerror(errno));
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            int er = errno;
            close(fd);
            return nt_err_set(e, "writing %s: %s", path, strerror(er));
        }
        p += w;
        n -= (size_t)w;
    }
    if (close(fd) < 0) return nt_err_set(e, "writing %s: %s", path, strerror(errno));
    return 0;
}
