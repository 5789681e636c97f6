/* libdir.c — the shared libraries of a directory (corpus runs, inspect DIR). */
#include "binary/binary.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int bin_list_libs(const char *dir, char ***paths, size_t *n, nt_err *e)
{
    char cuda_dir[4096];
    if (!dir) {
        const char *home = getenv("CUDA_HOME");
        snprintf(cuda_dir, sizeof cuda_dir, "%s/lib64", home && *home ? home : "/usr/local/cuda");
        dir = cuda_dir;
    }
    *paths = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return nt_err_set(e, "%s: %s", dir, strerror(errno));
    NT_VEC(char *) v = {0};
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strstr(de->d_name, ".so")) continue;
        nt_sb p = {0};
        nt_sb_printf(&p, "%s/%s", dir, de->d_name);
        struct stat st;
        /* Regular files only: libfoo.so -> libfoo.so.13 name the same file. */
        if (lstat(p.s, &st) == 0 && S_ISREG(st.st_mode)) nt_vec_push(&v, nt_sb_take(&p));
        nt_sb_free(&p);
    }
    closedir(d);
    if (v.n) qsort(v.v, v.n, sizeof *v.v, path_cmp);
    *paths = v.v;
    *n = v.n;
    return 0;
}

void bin_free_libs(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
}
