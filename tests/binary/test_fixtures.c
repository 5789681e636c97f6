/* Tests: sizes, entries and PTX of the nvcc-built fixtures (every form the
 * driver can be handed: PTX, cubin, fatbin raw/zstd/lz4, an executable). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

#include "binary/binary.h"
#include "fixture.h"

static void check_size(const char *name, bin_kind want_kind, size_t want_size)
{
    nt_file f;
    fixture_open(&f, name);
    bin_kind k;
    size_t n = 0;
    nt_err e = {0};
    assert_int_equal(bin_image_size(f.data, f.size, &k, &n, &e), 0);
    assert_int_equal(k, want_kind);
    assert_int_equal(n, want_size ? want_size : f.size);
    /* The driver passes no length: the same answer with an unknown bound. */
    assert_int_equal(bin_image_size(f.data, SIZE_MAX, &k, &n, &e), 0);
    assert_int_equal(n, want_size ? want_size : f.size);
    nt_file_close(&f);
}

static void image_sizes_come_from_headers(void **state)
{
    check_size("kernels.fatbin", BIN_FATBIN, 0);
    check_size("kernels_all.fatbin", BIN_FATBIN, 0);
    check_size("kernels_lz4.fatbin", BIN_FATBIN, 0);
    check_size("kernels_raw.fatbin", BIN_FATBIN, 0);
    check_size("kernels.cubin", BIN_CUBIN, 0);
    check_size("kernels_lineinfo.cubin", BIN_CUBIN, 0);
    check_size("kernels.exe", BIN_HOST_ELF, 0);
}

static void ptx_image_size_needs_its_nul(void **state)
{
    nt_file f;
    fixture_open(&f, "kernels.ptx");
    bin_kind k;
    size_t n = 0;
    nt_err e = {0};
    /* nt_file_open terminates the data one byte past size. */
    assert_int_equal(bin_image_size(f.data, f.size + 1, &k, &n, &e), 0);
    assert_int_equal(k, BIN_PTX);
    assert_int_equal(n, f.size + 1);
    assert_int_equal(bin_image_size(f.data, SIZE_MAX, &k, &n, &e), 0);
    assert_int_equal(n, f.size + 1);
    /* Within only the file's bytes there is no NUL: an error, not a guess. */
    assert_int_equal(bin_image_size(f.data, f.size, &k, &n, &e), -1);
    assert_non_null(strstr(e.msg, "no terminating NUL"));
    nt_file_close(&f);
}

/* ---- entries ----------------------------------------------------------- */

typedef struct seen {
    unsigned n, fatbins;
    bin_entry ent[16];
} seen;

static int on_fatbin(void *ctx, unsigned index, size_t offset, size_t size, unsigned version)
{
    seen *s = ctx;
    s->fatbins++;
    assert_int_equal(version, 1);
    return 0;
}

static int on_entry(void *ctx, const bin_entry *ent)
{
    seen *s = ctx;
    assert_true(s->n < 16);
    s->ent[s->n++] = *ent;
    return 0;
}

/* nvcc's order for BIN_GENCODE: sm_80 ELF, sm_90 ELF, compute_90 PTX. */
static void check_entries(const char *name, bin_comp elf_comp, bin_comp ptx_comp)
{
    nt_file f;
    fixture_open(&f, name);
    seen s = {0};
    bin_walk_ops ops = {.fatbin = on_fatbin, .entry = on_entry};
    nt_err e = {0};
    bin_kind k;
    assert_int_equal(bin_walk(f.data, f.size, &ops, &s, &k, &e), 0);
    /* An executable also carries cudart's own small fatbin first. */
    assert_int_equal(s.fatbins, k == BIN_HOST_ELF ? 2 : 1);
    assert_true(s.n >= 3);
    memmove(s.ent, s.ent + s.n - 3, 3 * sizeof s.ent[0]);
    unsigned kinds[3] = {BIN_ENTRY_ELF, BIN_ENTRY_ELF, BIN_ENTRY_PTX};
    unsigned archs[3] = {80, 90, 90};
    bin_buf buf = {0};
    for (unsigned i = 0; i < 3; i++) {
        const bin_entry *en = &s.ent[i];
        assert_int_equal(en->kind, kinds[i]);
        assert_int_equal(en->arch, archs[i]);
        assert_int_equal(en->comp, i == 2 ? ptx_comp : elf_comp);
        assert_int_equal(en->index, i);
        const uint8_t *d;
        size_t n;
        assert_int_equal(bin_entry_data(en, &buf, &d, &n, &e), 0);
        if (en->kind == BIN_ENTRY_ELF) {
            assert_memory_equal(d, "\x7f" "ELF", 4);
            /* sm_80 keeps register counts in sh_info, sm_90 in .nv.info only. */
            nt_arena a;
            nt_arena_init(&a, 0);
            bin_cubin cb;
            assert_int_equal(bin_cubin_parse(d, n, &a, &cb, &e), 0);
            assert_int_equal(cb.arch, en->arch);
            assert_int_equal(cb.nkernels, 5);
            for (size_t i2 = 0; i2 < cb.nkernels; i2++) assert_in_range(cb.kernels[i2].regs, 4, 64);
            nt_arena_free(&a);
            assert_int_equal(en->ver_major, 1);      /* ELF entries carry 1.7 or 1.8 */
        } else {
            /* The header's ISA version is the text's .version (9.0 with
             * CUDA 13; whatever the toolkit writes elsewhere). */
            char want[32];
            snprintf(want, sizeof want, ".version %u.%u\n", en->ver_major, en->ver_minor);
            assert_true(en->ver_major >= 7);
            assert_non_null(strstr((const char *)d, want));
        }
    }
    bin_buf_free(&buf);
    nt_file_close(&f);
}

static void fatbin_entries_and_compression(void **state)
{
    check_entries("kernels.fatbin", BIN_COMP_NONE, BIN_COMP_ZSTD);
    check_entries("kernels_all.fatbin", BIN_COMP_ZSTD, BIN_COMP_ZSTD);
    check_entries("kernels_lz4.fatbin", BIN_COMP_LZ4, BIN_COMP_LZ4);
    check_entries("kernels_raw.fatbin", BIN_COMP_NONE, BIN_COMP_NONE);
    check_entries("kernels.exe", BIN_COMP_NONE, BIN_COMP_ZSTD);
}

/* ---- PTX --------------------------------------------------------------- */

typedef struct ptx_seen {
    unsigned n;
    char    *text;          /* first one, copied */
    unsigned arch, major, minor;
    char     origin[128];
} ptx_seen;

static int on_ptx(void *ctx, const bin_ptx *p)
{
    ptx_seen *s = ctx;
    assert_int_equal(strlen(p->text), p->len);
    assert_true(p->len > 0);
    if (s->n++ == 0) {
        s->text = nt_xstrdup(p->text);
        s->arch = p->arch;
        s->major = p->ptx_major;
        s->minor = p->ptx_minor;
        snprintf(s->origin, sizeof s->origin, "%s", p->origin);
    }
    return 0;
}

static ptx_seen ptx_of(const char *name)
{
    nt_file f;
    fixture_open(&f, name);
    ptx_seen s = {0};
    nt_err e = {0};
    /* +1: a PTX file's text is terminated by nt_file_open's extra NUL. */
    size_t size = strstr(name, ".ptx") ? f.size + 1 : f.size;
    int rc = bin_foreach_ptx(f.data, size, on_ptx, &s, &e);
    if (rc) fprintf(stderr, "%s: %s\n", name, e.msg);
    assert_int_equal(rc, 0);
    nt_file_close(&f);
    return s;
}

static void same_ptx_from_every_container(void **state)
{
    ptx_seen ref = ptx_of("kernels_raw.fatbin");
    assert_int_equal(ref.n, 1);
    assert_int_equal(ref.arch, 90);
    char want[32];
    snprintf(want, sizeof want, ".version %u.%u\n", ref.major, ref.minor);
    assert_non_null(strstr(ref.text, ".entry scale("));
    assert_non_null(strstr(ref.text, want));
    assert_string_equal(ref.origin, "fatbin 0 entry 2 (sm_90, none)");
    const char *others[] = {"kernels.fatbin", "kernels_all.fatbin", "kernels_lz4.fatbin",
                            "kernels.exe"};
    for (size_t i = 0; i < NT_ARRAY_LEN(others); i++) {
        ptx_seen s = ptx_of(others[i]);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.arch, 90);
        assert_string_equal(s.text, ref.text);
        free(s.text);
    }
    ptx_seen z = ptx_of("kernels_lz4.fatbin");
    assert_string_equal(z.origin, "fatbin 0 entry 2 (sm_90, lz4)");
    free(z.text);
    free(ref.text);
}

static void ptx_from_cubin_and_plain_text(void **state)
{
    ptx_seen none = ptx_of("kernels.cubin");
    assert_int_equal(none.n, 0);
    ptx_seen li = ptx_of("kernels_lineinfo.cubin");
    assert_int_equal(li.n, 1);
    assert_int_equal(li.arch, 90);
    assert_non_null(strstr(li.text, ".entry scale("));
    assert_string_equal(li.origin, "cubin .nv_debug_ptx_txt");
    /* The lines come back as text, the same as the PTX nvcc wrote. */
    assert_non_null(strstr(li.text, ".visible .entry scale(\n.param .u64 scale_param_0,\n"));
    assert_true(strlen(li.text) > 1000);
    free(li.text);
    ptx_seen p = ptx_of("kernels.ptx");
    assert_int_equal(p.n, 1);
    assert_int_equal(p.arch, 0);
    assert_non_null(strstr(p.text, ".entry scale("));
    nt_file f;
    fixture_open(&f, "kernels.ptx");
    assert_int_equal(strlen(p.text), f.size);
    nt_file_close(&f);
    free(p.text);
}

static void lineinfo_fatbin_has_two_ptx_texts(void **state)
{
    /* The PTX entry, and the cubin's .nv_debug_ptx_txt (named entries only). */
    ptx_seen s = ptx_of("kernels_lineinfo.fatbin");
    assert_int_equal(s.n, 2);
    assert_string_equal(s.origin, "fatbin 0 entry 0 (sm_90, none) .nv_debug_ptx_txt");
    assert_non_null(strstr(s.text, ".entry scale("));
    free(s.text);
    nt_file f;
    fixture_open(&f, "kernels_lineinfo.fatbin");
    seen e = {0};
    bin_walk_ops ops = {.entry = on_entry};
    nt_err err = {0};
    assert_int_equal(bin_walk(f.data, f.size, &ops, &e, NULL, &err), 0);
    assert_int_equal(e.n, 2);
    for (unsigned i = 0; i < 2; i++) {
        assert_non_null(e.ent[i].name);
        assert_int_equal(strlen("kernels.cu"), e.ent[i].name_len -
                         (size_t)(strstr(e.ent[i].name, "kernels.cu") - e.ent[i].name));
    }
    nt_file_close(&f);
}

static int stop_at_first(void *ctx, const bin_ptx *p) { return 7; }

static void callback_can_stop_the_walk(void **state)
{
    nt_file f;
    fixture_open(&f, "kernels.exe");
    nt_err e = {0};
    assert_int_equal(bin_foreach_ptx(f.data, f.size, stop_at_first, NULL, &e), 7);
    assert_false(e.set);
    nt_file_close(&f);
}

static void library_listing(void **state)
{
    char dir[] = "/tmp/nt_libs_XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *files[] = {"libb.so.2", "liba.so.1", "notes.txt"};
    char p[256], q[256];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        assert_int_equal(nt_file_write(p, "x", 1, NULL), 0);
    }
    snprintf(p, sizeof p, "%s/liba.so", dir);
    assert_int_equal(symlink("liba.so.1", p), 0);       /* skipped: a link */
    char **libs;
    size_t n;
    nt_err e = {0};
    assert_int_equal(bin_list_libs(dir, &libs, &n, &e), 0);
    assert_int_equal(n, 2);
    snprintf(p, sizeof p, "%s/liba.so.1", dir);
    snprintf(q, sizeof q, "%s/libb.so.2", dir);
    assert_string_equal(libs[0], p);
    assert_string_equal(libs[1], q);
    bin_free_libs(libs, n);
    const char *all[] = {"libb.so.2", "liba.so.1", "notes.txt", "liba.so"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, all[i]);
        unlink(p);
    }
    rmdir(dir);
    assert_int_equal(bin_list_libs("/nonexistent/dir", &libs, &n, &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent/dir: No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_sizes_come_from_headers),
        cmocka_unit_test(ptx_image_size_needs_its_nul),
        cmocka_unit_test(fatbin_entries_and_compression),
        cmocka_unit_test(same_ptx_from_every_container),
        cmocka_unit_test(ptx_from_cubin_and_plain_text),
        cmocka_unit_test(lineinfo_fatbin_has_two_ptx_texts),
        cmocka_unit_test(callback_can_stop_the_walk),
        cmocka_unit_test(library_listing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
