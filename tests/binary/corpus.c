/* corpus.c — see corpus.h.  #included by test_corpus.c (a test is one .c
 * file; the Makefile builds only test_*.c and fuzz_*.c from tests/). */
#include "corpus.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>

typedef struct corpus_walk {
    corpus_totals *t;
    const char    *path;
    bin_buf        buf;
} corpus_walk;

static void corpus_fail(corpus_walk *w, const char *fmt, ...) NT_PRINTF(2, 3);
static void corpus_fail(corpus_walk *w, const char *fmt, ...)
{
    if (getenv("CORPUS_VERBOSE")) { va_list ap2; va_start(ap2, fmt); vfprintf(stderr, fmt, ap2); fputc(10, stderr); va_end(ap2); }
    if (w->t->failures++ == 0) {
        int n = snprintf(w->t->first_failure, sizeof w->t->first_failure, "%s: ", w->path);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->t->first_failure + n, sizeof w->t->first_failure - (size_t)n, fmt, ap);
        va_end(ap);
    }
}

/* PTX begins, after white space and comments, with .version. */
static bool starts_with_version(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
            while (i < n && s[i] != '\n') i++;
        } else if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
            const char *end = i + 2 < n ? strstr(s + i + 2, "*/") : NULL;
            if (!end) return false;
            i = (size_t)(end - s) + 2;
        } else {
            break;
        }
    }
    return n - i >= 8 && !memcmp(s + i, ".version", 8);
}

static int corpus_fatbin(void *ctx, unsigned index, size_t offset, size_t size, unsigned version)
{
    corpus_walk *w = ctx;
    w->t->fatbins++;
    if (version != 1) corpus_fail(w, "fatbin %u at 0x%zx: version %u", index, offset, version);
    return 0;
}

static int corpus_entry(void *ctx, const bin_entry *ent)
{
    corpus_walk *w = ctx;
    corpus_totals *t = w->t;
    nt_err e = {0};
    const uint8_t *d;
    size_t n;
    t->entries++;
    t->comp[ent->comp]++;
    t->stored_bytes += ent->stored_size;
    if (bin_entry_data(ent, &w->buf, &d, &n, &e) < 0) {
        corpus_fail(w, "%s", e.msg);
        return 0;
    }
    if (ent->kind == BIN_ENTRY_PTX) {
        t->ptx_entries++;
        size_t len = bin_ptx_trim(d, n);
        t->ptx_bytes += len;
        for (size_t i = len; i < n; i++)
            if (d[i]) {
                corpus_fail(w, "fatbin %u entry %u: byte %zu after the PTX's NUL is not NUL",
                            ent->fatbin, ent->index, i);
                break;
            }
        if (!starts_with_version((const char *)d, len))
            corpus_fail(w, "fatbin %u entry %u: PTX does not start with .version", ent->fatbin,
                        ent->index);
        if (ent->ver_major == 0)
            corpus_fail(w, "fatbin %u entry %u: PTX entry without an ISA version", ent->fatbin,
                        ent->index);
    } else if (ent->kind == BIN_ENTRY_ELF) {
        t->elf_entries++;
        t->elf_bytes += n;
        nt_arena a;
        nt_arena_init(&a, 0);
        bin_cubin cb;
        if (bin_cubin_parse(d, n, &a, &cb, &e) < 0) {
            corpus_fail(w, "fatbin %u entry %u: %s", ent->fatbin, ent->index, e.msg);
        } else {
            t->kernels += cb.nkernels;
            /* bin_foreach_ptx relies on this to skip unnamed cubins. */
            if (cb.ptx && !ent->name_len && !(ent->flags & BIN_FLAG_DEBUG))
                corpus_fail(w, "fatbin %u entry %u: cubin with embedded PTX but no source name",
                            ent->fatbin, ent->index);
            t->cubins_with_ptx += cb.ptx != NULL;
            if (cb.arch != ent->arch)
                corpus_fail(w, "fatbin %u entry %u: cubin says sm_%u, entry header sm_%u",
                            ent->fatbin, ent->index, cb.arch, ent->arch);
            for (size_t k = 0; k < cb.nkernels; k++) {
                const bin_kernel *kn = &cb.kernels[k];
                if (kn->regs == 0)
                    corpus_fail(w, "fatbin %u entry %u: kernel %s has no register count",
                                ent->fatbin, ent->index, kn->name);
                unsigned end = 0;
                for (size_t p = 0; p < kn->nparams; p++)
                    end = NT_MAX(end, kn->params[p].offset + kn->params[p].size);
                if (kn->param_size && end > kn->param_size)
                    corpus_fail(w, "fatbin %u entry %u: kernel %s parameters end at %u, past "
                                "the declared %u", ent->fatbin, ent->index, kn->name, end,
                                kn->param_size);
            }
        }
        nt_arena_free(&a);
    } else {
        t->other_entries++;
    }
    return 0;
}

void corpus_file(const char *path, corpus_totals *t)
{
    corpus_walk w = {.t = t, .path = path};
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, path, &e) < 0) {
        corpus_fail(&w, "%s", e.msg);
        return;
    }
    t->files++;
    bin_walk_ops ops = {.fatbin = corpus_fatbin, .entry = corpus_entry};
    if (bin_walk(f.data, f.size, &ops, &w, NULL, &e) < 0) corpus_fail(&w, "%s", e.msg);
    bin_buf_free(&w.buf);
    nt_file_close(&f);
}

void corpus_print(const corpus_totals *t, double seconds)
{
    printf("corpus: %lu files, %lu fatbins, %lu entries (%lu PTX, %lu ELF, %lu other; "
           "%lu zstd, %lu lz4, %lu uncompressed)\n", t->files, t->fatbins, t->entries,
           t->ptx_entries, t->elf_entries, t->other_entries, t->comp[BIN_COMP_ZSTD],
           t->comp[BIN_COMP_LZ4], t->comp[BIN_COMP_NONE]);
    printf("corpus: %.1f MB PTX, %.1f MB cubin, %.1f MB stored, %lu kernels in cubins, "
           "%lu cubins with embedded PTX; %.1f s\n", t->ptx_bytes / 1e6, t->elf_bytes / 1e6,
           t->stored_bytes / 1e6, t->kernels, t->cubins_with_ptx, seconds);
    if (t->failures) printf("corpus: %lu failures, first: %s\n", t->failures, t->first_failure);
}
