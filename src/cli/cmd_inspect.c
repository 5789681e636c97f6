/* cmd_inspect.c — ntrace inspect FILE|DIR... [--json] [--summary] [--extract-ptx DIR]
 *
 * Per file: its kind, its fatbins, their entries (kind, arch, compression,
 * sizes), the kernels of every cubin (parameters, registers, shared memory,
 * launch bounds, cluster dims) and whether PTX is available for each: a PTX
 * entry of the same fatbin that defines the kernel, or PTX embedded in the
 * cubin.  Files are mapped, never copied; one fatbin's entries are held at
 * a time, so the 540 MB libcublasLt.so costs its largest payload in memory. */
#include "cli/cli.h"
#include "binary/binary.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct insp_totals {
    unsigned long fatbins, entries, ptx, elf, kernels, kernels_ptx;
    unsigned long long ptx_bytes;
} insp_totals;

typedef struct insp {
    bool        json, summary;
    const char *extract_dir;
    const char *path;
    size_t      file_size;
    size_t      fatbin_end;          /* end of the last fatbin: 100% of the progress */
    bin_buf     buf;
    NT_VEC(bin_entry) ents;          /* the current fatbin's entries */
    unsigned    fatbin;
    size_t      fatbin_off, fatbin_size;
    bool        in_fatbin;
    insp_totals t;
    nt_err      err;                 /* first error met inside callbacks */
    nt_progress progress;            /* on a terminal, for big files */
} insp;

/* ---- output helpers -------------------------------------------------------- */

static void json_str(const char *s)
{
    nt_sb b = {0};
    nt_sb_putc(&b, '"');
    nt_sb_put_json(&b, s, strlen(s));
    nt_sb_putc(&b, '"');
    fputs(nt_sb_str(&b), stdout);
    nt_sb_free(&b);
}

static void progress(insp *in, size_t off)
{
    nt_progress_update(&in->progress, in->path, off, NT_MAX(in->fatbin_end, (size_t)1));
}

/* ---- PTX: which kernels a text defines ----------------------------------- */

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c == '.';
}

/* Adds the name of every ".entry NAME" in text to m (keys copied to a). */
static void ptx_entry_names(const char *text, size_t len, nt_map *m, nt_arena *a)
{
    const char *p = text, *end = text + len;
    while ((p = memmem(p, (size_t)(end - p), ".entry", 6))) {
        p += 6;
        if (p >= end || (*p != ' ' && *p != '\t')) continue;
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        const char *s = p;
        while (p < end && ident_char(*p)) p++;
        if (p > s) {
            char *k = nt_arena_strndup(a, s, (size_t)(p - s));
            nt_map_put(m, k, (size_t)(p - s), 1);
        }
    }
}

static void extract_ptx(insp *in, const char *text, size_t len, const char *what)
{
    if (!in->extract_dir) return;
    const char *base = strrchr(in->path, '/');
    base = base ? base + 1 : in->path;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s.ptx", in->extract_dir, base, what);
    nt_err e = {0};
    if (nt_file_write(path, text, len, &e) < 0) nt_err_set(&in->err, "%s", e.msg);
}

/* ---- kernels ------------------------------------------------------------------ */

static void print_kernel(insp *in, const bin_kernel *k, bool has_ptx, bool first)
{
    char *dm = bin_demangle(k->name);
    in->t.kernels++;
    in->t.kernels_ptx += has_ptx;
    if (in->summary) {
        free(dm);
        return;
    }
    if (in->json) {
        printf("%s{\"name\":", first ? "" : ",");
        json_str(k->name);
        printf(",\"demangled\":");
        json_str(dm);
        printf(",\"registers\":%u,\"param_size\":%u,\"params\":[", k->regs, k->param_size);
        for (size_t i = 0; i < k->nparams; i++)
            printf("%s{\"offset\":%u,\"size\":%u}", i ? "," : "", k->params[i].offset,
                   k->params[i].size);
        printf("],\"shared\":%" PRIu64 ",\"frame\":%u,\"max_threads\":[%u,%u,%u],"
               "\"cluster\":[%u,%u,%u],\"barriers\":%u,\"ptx\":%s}", k->shared, k->frame_size,
               k->max_threads[0], k->max_threads[1], k->max_threads[2], k->cluster[0],
               k->cluster[1], k->cluster[2], k->barriers, has_ptx ? "true" : "false");
    } else {
        printf("      kernel %s\n        regs %u, params %zu (%u bytes:", dm, k->regs, k->nparams,
               k->param_size);
        for (size_t i = 0; i < k->nparams; i++) printf(" %u@%u", k->params[i].size, k->params[i].offset);
        printf("), shared %" PRIu64 ", frame %u", k->shared, k->frame_size);
        if (k->max_threads[0])
            printf(", max threads %u,%u,%u", k->max_threads[0], k->max_threads[1], k->max_threads[2]);
        if (k->cluster[0]) printf(", cluster %u,%u,%u", k->cluster[0], k->cluster[1], k->cluster[2]);
        printf(", PTX %s\n", has_ptx ? "available" : "NOT available (not instrumentable)");
    }
    free(dm);
}

/* Kernels of a cubin; names in ptx_names (or PTX embedded) have PTX. */
static int print_cubin(insp *in, const uint8_t *d, size_t n, const nt_map *ptx_names,
                       const char *what)
{
    nt_arena a;
    nt_arena_init(&a, 0);
    bin_cubin cb;
    nt_err e = {0};
    if (bin_cubin_parse(d, n, &a, &cb, &e) < 0) {
        nt_arena_free(&a);
        return nt_err_set(&in->err, "%s: %s", what, e.msg);
    }
    if (cb.ptx) extract_ptx(in, cb.ptx, cb.ptx_len, "lineinfo");
    if (in->json && !in->summary) printf(",\"kernels\":[");
    for (size_t i = 0; i < cb.nkernels; i++) {
        const bin_kernel *k = &cb.kernels[i];
        bool has = cb.ptx || (ptx_names && nt_map_get(ptx_names, k->name, strlen(k->name), NULL));
        print_kernel(in, k, has, i == 0);
    }
    if (in->json && !in->summary) printf("]");
    nt_arena_free(&a);
    return 0;
}

/* ---- fatbins -------------------------------------------------------------------- */

static void print_entry_head(insp *in, const bin_entry *en, bool first)
{
    const char *kind = en->kind == BIN_ENTRY_PTX ? "PTX" : en->kind == BIN_ENTRY_ELF ? "ELF" : "other";
    if (in->summary) return;
    if (in->json) {
        printf("%s{\"index\":%u,\"offset\":%zu,\"kind\":\"%s\",\"kind_raw\":%u,\"arch\":%u,"
               "\"arch_suffix\":\"%s\",\"compression\":\"%s\",\"stored_size\":%" PRIu64
               ",\"size\":%" PRIu64 ",\"flags\":%" PRIu64, first ? "" : ",", en->index,
               en->offset, kind, en->kind, en->arch, bin_arch_suffix(en->flags),
               bin_comp_name(en->comp), en->stored_size, en->size, en->flags);
        if (en->kind == BIN_ENTRY_PTX) printf(",\"ptx_version\":\"%u.%u\"", en->ver_major, en->ver_minor);
    } else {
        printf("    entry %u: %s sm_%u%s", en->index, kind, en->arch, bin_arch_suffix(en->flags));
        if (en->kind == BIN_ENTRY_PTX) printf(" ISA %u.%u", en->ver_major, en->ver_minor);
        if (en->kind != BIN_ENTRY_PTX && en->kind != BIN_ENTRY_ELF) printf(" (kind %u)", en->kind);
        printf(", %s, %" PRIu64 " bytes stored, %" PRIu64 " bytes, flags 0x%" PRIx64 "\n",
               bin_comp_name(en->comp), en->stored_size, en->size, en->flags);
    }
}

/* Prints the collected fatbin: PTX entries first (to know which kernels
 * have PTX), then everything in order. */
static void flush_fatbin(insp *in)
{
    if (!in->in_fatbin) return;
    in->in_fatbin = false;
    in->t.fatbins++;
    progress(in, in->fatbin_off);
    nt_arena a;
    nt_arena_init(&a, 0);
    nt_map names = {0};
    for (size_t i = 0; i < in->ents.n; i++) {
        const bin_entry *en = &in->ents.v[i];
        const uint8_t *d;
        size_t n;
        if (en->kind != BIN_ENTRY_PTX) continue;
        if (bin_entry_data(en, &in->buf, &d, &n, &in->err) < 0) break;
        size_t len = bin_ptx_trim(d, n);
        in->t.ptx_bytes += len;
        ptx_entry_names((const char *)d, len, &names, &a);
        char what[64];
        snprintf(what, sizeof what, "fatbin%u.entry%u.sm_%u%s", en->fatbin, en->index, en->arch,
                 bin_arch_suffix(en->flags));
        extract_ptx(in, (const char *)d, len, what);
    }
    if (in->json && !in->summary)
        printf("%s{\"index\":%u,\"offset\":%zu,\"size\":%zu,\"entries\":[", in->fatbin ? "," : "",
               in->fatbin, in->fatbin_off, in->fatbin_size);
    else if (!in->summary)
        printf("  fatbin %u at offset 0x%zx: %zu bytes, %zu entries\n", in->fatbin, in->fatbin_off,
               in->fatbin_size, in->ents.n);
    for (size_t i = 0; i < in->ents.n && !in->err.set; i++) {
        const bin_entry *en = &in->ents.v[i];
        in->t.entries++;
        in->t.ptx += en->kind == BIN_ENTRY_PTX;
        in->t.elf += en->kind == BIN_ENTRY_ELF;
        print_entry_head(in, en, i == 0);
        if (en->kind == BIN_ENTRY_ELF) {
            const uint8_t *d;
            size_t n;
            char what[64];
            snprintf(what, sizeof what, "fatbin %u entry %u", en->fatbin, en->index);
            if (bin_entry_data(en, &in->buf, &d, &n, &in->err) == 0)
                print_cubin(in, d, n, &names, what);
        }
        if (in->json && !in->summary) printf("}");
    }
    if (in->json && !in->summary) printf("]}");
    nt_map_free(&names);
    nt_arena_free(&a);
    in->ents.n = 0;
}

static int on_fatbin(void *ctx, unsigned index, size_t offset, size_t size, unsigned version)
{
    insp *in = ctx;
    flush_fatbin(in);
    if (in->err.set) return -1;
    in->in_fatbin = true;
    in->fatbin = index;
    in->fatbin_off = offset;
    in->fatbin_size = size;
    return 0;
}

static int on_fatbin_end(void *ctx, unsigned index, size_t offset, size_t size, unsigned version)
{
    size_t *end = ctx;
    *end = NT_MAX(*end, offset + size);
    return 0;
}

static int on_entry(void *ctx, const bin_entry *ent)
{
    nt_vec_push(&((insp *)ctx)->ents, *ent);
    return 0;
}

/* ---- one file ---------------------------------------------------------------- */

static void print_totals(insp *in)
{
    const insp_totals *t = &in->t;
    if (in->json) {
        printf(",\"totals\":{\"fatbins\":%lu,\"entries\":%lu,\"ptx_entries\":%lu,\"elf_entries\":%lu,"
               "\"ptx_bytes\":%llu,\"kernels\":%lu,\"kernels_with_ptx\":%lu}", t->fatbins, t->entries,
               t->ptx, t->elf, t->ptx_bytes, t->kernels, t->kernels_ptx);
    } else {
        printf("  total: %lu fatbins, %lu entries (%lu PTX, %lu ELF), %.1f MB PTX, %lu kernels, "
               "%lu with PTX\n", t->fatbins, t->entries, t->ptx, t->elf, t->ptx_bytes / 1e6,
               t->kernels, t->kernels_ptx);
    }
}

static int inspect_file(insp *in, const char *path, bool first)
{
    nt_file f;
    nt_err e = {0};
    memset(&in->t, 0, sizeof in->t);
    nt_err_clear(&in->err);
    in->path = path;
    if (in->json) {
        printf("%s{\"path\":", first ? "" : ",");
        json_str(path);
    }
    if (nt_file_open(&f, path, &e) < 0) {
        if (in->json) {
            printf(",\"error\":");
            json_str(e.msg);
            printf("}");
        }
        return cli_fail(CLI_FAIL, "inspect", "%s", e.msg);
    }
    in->file_size = f.size;
    memset(&in->progress, 0, sizeof in->progress);
    if (f.size >= (64u << 20)) nt_progress_start(&in->progress, stderr, "inspect");
    in->fatbin_end = 0;
    if (in->progress.out) {
        /* A headers-only pass (no payload is touched) finds where the
         * fatbins end, so the percentage reaches 100. */
        bin_walk_ops ends = {.fatbin = on_fatbin_end};
        bin_walk(f.data, f.size, &ends, &in->fatbin_end, NULL, NULL);
    }
    bin_kind k = BIN_UNKNOWN;
    size_t isize = 0;
    /* A PTX file's text is terminated by nt_file_open's extra NUL. */
    size_t len = f.size;
    if (bin_image_size(f.data, f.size + 1, &k, &isize, NULL) == 0 && k == BIN_PTX) len = f.size + 1;
    if (in->json) printf(",\"kind\":\"%s\",\"size\":%zu", bin_kind_name(k), f.size);
    else printf("%s: %s, %zu bytes\n", path, bin_kind_name(k), f.size);
    if (in->json && !in->summary) printf(",\"fatbins\":[");
    bin_walk_ops ops = {.fatbin = on_fatbin, .entry = on_entry};
    int rc = bin_walk(f.data, len, &ops, in, &k, &e);
    if (rc == 0) flush_fatbin(in);
    if (in->json && !in->summary) printf("]");
    if (rc == 0 && !in->err.set && k == BIN_CUBIN) print_cubin(in, (const uint8_t *)f.data, f.size, NULL, "cubin");
    if (rc == 0 && k == BIN_PTX) {
        size_t n = bin_ptx_trim((const uint8_t *)f.data, f.size);
        in->t.ptx++;
        in->t.ptx_bytes += n;
        extract_ptx(in, f.data, n, "text");
    }
    nt_progress_end(&in->progress);
    if (rc != 0 && !in->err.set) nt_err_set(&in->err, "%s", e.msg);
    print_totals(in);
    int status = CLI_OK;
    if (in->err.set) {
        if (in->json) {
            printf(",\"error\":");
            json_str(in->err.msg);
        }
        status = cli_fail(CLI_FAIL, "inspect", "%s: %s", path, in->err.msg);
    }
    if (in->json) printf("}");
    in->ents.n = 0;
    in->in_fatbin = false;
    nt_file_close(&f);
    return status;
}

static void inspect_usage(FILE *out)
{
    fprintf(out,
            "usage: ntrace inspect FILE|DIR... [--json] [--summary] [--extract-ptx DIR]\n"
            "\n"
            "What GPU code FILE holds (a host executable or library, fatbin, cubin or PTX):\n"
            "its fatbins, their entries (kind, arch, compression, sizes), the kernels of\n"
            "every cubin (parameters, registers, shared memory) and whether PTX is\n"
            "available for each (kernels without it cannot be instrumented).  A DIR\n"
            "stands for every shared library (*.so*) in it.\n"
            "\n"
            "  --json             one JSON document on stdout\n"
            "  --summary          totals only, no per-entry lines\n"
            "  --extract-ptx DIR  write every PTX text found to DIR\n");
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"summary", no_argument, NULL, 's'},
        {"extract-ptx", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    insp in = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jsx:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': in.json = true; break;
        case 's': in.summary = true; break;
        case 'x': in.extract_dir = optarg; break;
        case 'h': inspect_usage(stdout); return CLI_OK;
        default: inspect_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        inspect_usage(stderr);
        return CLI_USAGE;
    }
    if (in.extract_dir && mkdir(in.extract_dir, 0755) < 0 && errno != EEXIST)
        return cli_fail(CLI_FAIL, "inspect", "%s: %s", in.extract_dir, strerror(errno));
    int status = CLI_OK;
    bool first = true;
    if (in.json) printf("{\"files\":[");
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            /* A directory: every shared library in it. */
            char **libs;
            size_t n;
            nt_err e = {0};
            if (bin_list_libs(argv[i], &libs, &n, &e) < 0) {
                status = cli_fail(CLI_FAIL, "inspect", "%s", e.msg);
                continue;
            }
            for (size_t k = 0; k < n; k++, first = false)
                if (inspect_file(&in, libs[k], first) != CLI_OK) status = CLI_FAIL;
            bin_free_libs(libs, n);
        } else {
            if (inspect_file(&in, argv[i], first) != CLI_OK) status = CLI_FAIL;
            first = false;
        }
    }
    if (in.json) printf("]}\n");
    nt_vec_free(&in.ents);
    bin_buf_free(&in.buf);
    return status;
}
