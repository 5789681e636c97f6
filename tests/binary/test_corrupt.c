/* Tests: hand-built images, valid and corrupt.  Every bad input gets one
 * precise error (what, at which offset) and never a crash; the corrupt
 * images are built here from the documented layout (docs/formats.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <lz4.h>
#include <string.h>
#include <zstd.h>

#include "binary/binary.h"
#include "fixture.h"

#define PTX_TEXT "//\n// hand-made\n//\n.version 8.0\n.target sm_90\n.address_size 64\n"

/* ---- building images ----------------------------------------------------- */

typedef struct img { uint8_t b[8192]; size_t n; } img;

static void put(img *m, size_t at, const void *p, size_t n) { memcpy(m->b + at, p, n); }
static void put16(img *m, size_t at, uint16_t v) { put(m, at, &v, 2); }
static void put32(img *m, size_t at, uint32_t v) { put(m, at, &v, 4); }
static void put64(img *m, size_t at, uint64_t v) { put(m, at, &v, 8); }

static void fatbin_begin(img *m)
{
    memset(m, 0, sizeof *m);
    put32(m, 0, BIN_FATBIN_MAGIC);
    put16(m, 4, 1);
    put16(m, 6, 16);
    m->n = 16;
}

/* Appends an entry; stored bytes are the payload as given, usize the
 * declared uncompressed size (0 for none).  Returns the entry's offset. */
static size_t fatbin_entry(img *m, unsigned kind, uint64_t flags, const void *payload, size_t n,
                           uint64_t usize)
{
    size_t at = m->n, padded = (n + 7) & ~(size_t)7;
    put16(m, at, (uint16_t)kind);
    put16(m, at + 2, 0x0101);
    put32(m, at + 4, 64);
    put64(m, at + 8, padded);
    put32(m, at + 16, usize ? (uint32_t)n : 0);
    put16(m, at + 24, 0);        /* minor */
    put16(m, at + 26, kind == 1 ? 8 : 1);
    put32(m, at + 28, 90);
    put64(m, at + 40, flags);
    put64(m, at + 56, usize);
    put(m, at + 64, payload, n);
    m->n = at + 64 + padded;
    put64(m, 8, m->n - 16);
    return at;
}

static int count_ptx(void *ctx, const bin_ptx *p)
{
    (*(int *)ctx)++;
    assert_string_equal(p->text, PTX_TEXT);
    if (strcmp(p->origin, "PTX image") == 0) {      /* no header: nothing known */
        assert_int_equal(p->ptx_major, 0);
        assert_int_equal(p->arch, 0);
        return 0;
    }
    assert_int_equal(p->ptx_major, 8);
    assert_int_equal(p->arch, 90);
    return 0;
}

typedef struct origins { int n; char s[4][80]; } origins;

static int collect_origins(void *ctx, const bin_ptx *p)
{
    origins *o = ctx;
    if (o->n < 4) snprintf(o->s[o->n++], sizeof o->s[0], "%s", p->origin);
    return 0;
}

static int collect_text(void *ctx, const bin_ptx *p)
{
    origins *o = ctx;
    assert_int_equal(strlen(p->text), p->len);
    if (o->n < 4) snprintf(o->s[o->n++], sizeof o->s[0], "%s", p->text);
    return 0;
}

/* Expects failure with a message containing each of the given pieces. */
static void expect_error(const void *data, size_t size, const char *a, const char *b)
{
    nt_err e = {0};
    int n = 0;
    if (bin_foreach_ptx(data, size, count_ptx, &n, &e) != -1)
        fail_msg("no error where \"%s\" was expected", a);
    if (!strstr(e.msg, a) || (b && !strstr(e.msg, b)))
        fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", e.msg, a, b ? b : "");
}

static img zstd_ptx(void)
{
    img m;
    fatbin_begin(&m);
    uint8_t z[1024];
    size_t zn = ZSTD_compress(z, sizeof z, PTX_TEXT, sizeof PTX_TEXT, 3);
    assert_false(ZSTD_isError(zn));
    fatbin_entry(&m, 1, 0x8011, z, zn, sizeof PTX_TEXT);
    return m;
}

static img lz4_ptx(void)
{
    img m;
    fatbin_begin(&m);
    char z[1024];
    int zn = LZ4_compress_default(PTX_TEXT, z, sizeof PTX_TEXT, sizeof z);
    assert_true(zn > 0);
    fatbin_entry(&m, 1, 0x2011, z, (size_t)zn, sizeof PTX_TEXT);
    return m;
}

/* ---- valid hand-made images ------------------------------------------------ */

static void valid_images(void **state)
{
    img raw;
    fatbin_begin(&raw);
    fatbin_entry(&raw, 1, 0x11, PTX_TEXT, sizeof PTX_TEXT, 0);
    img z = zstd_ptx(), l = lz4_ptx();
    const img *all[] = {&raw, &z, &l};
    for (size_t i = 0; i < 3; i++) {
        nt_err e = {0};
        int n = 0;
        assert_int_equal(bin_foreach_ptx(all[i]->b, all[i]->n, count_ptx, &n, &e), 0);
        assert_int_equal(n, 1);
        bin_kind k;
        size_t size;
        assert_int_equal(bin_image_size(all[i]->b, sizeof all[i]->b, &k, &size, &e), 0);
        assert_int_equal(k, BIN_FATBIN);
        assert_int_equal(size, all[i]->n);
    }
    /* Two fatbins back to back, then zero padding: both are read. */
    img two = raw;
    memcpy(two.b + raw.n, z.b, z.n);
    two.n = raw.n + z.n + 24;
    nt_err e = {0};
    int n = 0;
    assert_int_equal(bin_foreach_ptx(two.b, two.n, count_ptx, &n, &e), 0);
    assert_int_equal(n, 2);
    /* An uncompressed PTX payload that fills its padded size with no NUL,
     * at the very end of a heap block (ASan sees any read past it). */
    img full;
    fatbin_begin(&full);
    fatbin_entry(&full, 1, 0x11, PTX_TEXT "\n", 64, 0);
    uint8_t *heap = nt_xmalloc(full.n);
    memcpy(heap, full.b, full.n);
    origins fo = {0};
    assert_int_equal(bin_foreach_ptx(heap, full.n, collect_text, &fo, &e), 0);
    assert_int_equal(fo.n, 1);
    assert_string_equal(fo.s[0], PTX_TEXT "\n");
    free(heap);
    /* Arch-specific and family targets show in the origin. */
    img a;
    fatbin_begin(&a);
    fatbin_entry(&a, 1, 0x100011, PTX_TEXT, sizeof PTX_TEXT, 0);
    fatbin_entry(&a, 1, 0x200011, PTX_TEXT, sizeof PTX_TEXT, 0);
    origins o = {0};
    assert_int_equal(bin_foreach_ptx(a.b, a.n, collect_origins, &o, &e), 0);
    assert_string_equal(o.s[0], "fatbin 0 entry 0 (sm_90a, none)");
    assert_string_equal(o.s[1], "fatbin 0 entry 1 (sm_90f, none)");
    /* A non-PTX, non-ELF entry kind is skipped, not an error. */
    img odd;
    fatbin_begin(&odd);
    fatbin_entry(&odd, 4, 0x11, "abcdefgh", 8, 0);
    fatbin_entry(&odd, 1, 0x11, PTX_TEXT, sizeof PTX_TEXT, 0);
    n = 0;
    assert_int_equal(bin_foreach_ptx(odd.b, odd.n, count_ptx, &n, &e), 0);
    assert_int_equal(n, 1);
}

static void wrapper_is_followed(void **state)
{
    img z = zstd_ptx();
    struct { uint32_t magic, version; const void *data; void *file; } w = {
        BIN_WRAPPER_MAGIC, 1, z.b, NULL};
    bin_kind k;
    size_t size;
    nt_err e = {0};
    assert_int_equal(bin_image_size(&w, sizeof w, &k, &size, &e), 0);
    assert_int_equal(k, BIN_FATBIN_WRAPPER);
    assert_int_equal(size, 24);
    const void *fb;
    assert_int_equal(bin_wrapper_target(&w, &fb, &size, &e), 0);
    assert_ptr_equal(fb, z.b);
    assert_int_equal(size, z.n);
    int n = 0;
    assert_int_equal(bin_foreach_ptx(&w, sizeof w, count_ptx, &n, &e), 0);
    assert_int_equal(n, 1);
    /* Refused where pointers must not be followed (fuzzing). */
    bin_walk_ops ops = {.no_pointers = true};
    assert_int_equal(bin_walk(&w, sizeof w, &ops, NULL, &k, &e), -1);
    assert_non_null(strstr(e.msg, "refusing"));
    /* A wrapper pointing at something else. */
    w.data = PTX_TEXT;
    expect_error(&w, sizeof w, "fatbin wrapper: data at", "not a fatbin");
    w.data = NULL;
    expect_error(&w, sizeof w, "data pointer is NULL", NULL);
    expect_error(&w, 20, "fatbin wrapper: needs 24 bytes, only 20", NULL);
}

/* ---- corrupt containers ------------------------------------------------------ */

static void wrong_magic_and_empty(void **state)
{
    expect_error("\x01\x02\x03\x04garbage", 11, "unknown image kind: first bytes 01 02 03 04", NULL);
    expect_error("", 0, "empty image", NULL);
    /* Fatbin followed by something that is not one. */
    img m = zstd_ptx();
    size_t end = m.n;
    put32(&m, end, 0xdeadbeef);
    m.n += 16;
    char want[64];
    snprintf(want, sizeof want, "fatbin at offset 0x%zx: bad magic 0xdeadbeef", end);
    expect_error(m.b, m.n, want, NULL);
}

static void truncated_headers(void **state)
{
    img m = zstd_ptx();
    expect_error(m.b, 10, "fatbin at offset 0x0: header needs 16 bytes, only 10", NULL);
    /* Header intact, entry cut: the declared size runs past the end. */
    expect_error(m.b, 40, "fatbin at offset 0x8: size", "runs past the end of the image (40 bytes)");
    /* Declared size shrunk so the entry header itself is cut at 40 bytes. */
    put64(&m, 8, 40);
    expect_error(m.b, 56, "fatbin 0 entry 0: fatbin entry at offset 0x10: header needs 64 bytes, only 40 left", NULL);
}

static void sizes_past_the_end(void **state)
{
    img m = zstd_ptx();
    put64(&m, 16 + 8, 1u << 20);          /* payload size */
    expect_error(m.b, m.n, "entry at offset 0x10: payload size 1048576 runs past the end", NULL);
    m = zstd_ptx();
    put32(&m, 16 + 4, 32);                /* header size below 64 */
    expect_error(m.b, m.n, "entry at offset 0x10: header size 32 is not within 64..", NULL);
    m = zstd_ptx();
    put32(&m, 16 + 16, 5000);             /* compressed size > payload */
    expect_error(m.b, m.n, "entry at offset 0x10: compressed size 5000 is not within 1..", NULL);
    m = zstd_ptx();
    put32(&m, 16 + 36, 100);              /* name length */
    put32(&m, 16 + 32, 4000);
    expect_error(m.b, m.n, "entry at offset 0x10: name (offset 4000, 100 bytes) lies outside", NULL);
    m = zstd_ptx();
    put64(&m, 16 + 40, 0xa011);           /* zstd and lz4 */
    expect_error(m.b, m.n, "entry at offset 0x10: flags 0xa011 say both zstd and lz4", NULL);
    m = zstd_ptx();
    put64(&m, 16 + 56, 1ull << 40);       /* absurd uncompressed size */
    expect_error(m.b, m.n, "entry at offset 0x10: uncompressed size 1099511627776 is not within", NULL);
}

static void bad_compressed_frames(void **state)
{
    img m = zstd_ptx();
    put32(&m, 16 + 64, 0x12345678);       /* zstd magic destroyed */
    expect_error(m.b, m.n, "entry at offset 0x10: payload is not a zstd frame (first bytes 78 56 34 12)", NULL);
    m = zstd_ptx();
    put64(&m, 16 + 56, sizeof PTX_TEXT + 5);
    expect_error(m.b, m.n, "zstd frame holds", "the header declares");
    m = zstd_ptx();
    uint32_t cs;
    memcpy(&cs, m.b + 16 + 16, 4);
    for (size_t i = 16 + 64 + 8; i < 16 + 64 + cs; i++) m.b[i] ^= 0x5a;   /* body garbled */
    expect_error(m.b, m.n, "entry at offset 0x10: zstd payload (", "at offset 0x50)");
    m = lz4_ptx();
    memcpy(&cs, m.b + 16 + 16, 4);
    put32(&m, 16 + 16, cs - 5);           /* the block cut short */
    expect_error(m.b, m.n, "entry at offset 0x10: lz4 payload (", "is corrupt");
    m = lz4_ptx();
    put64(&m, 16 + 56, sizeof PTX_TEXT + 100);
    expect_error(m.b, m.n, "entry at offset 0x10: lz4 payload", NULL);
    m = lz4_ptx();
    put64(&m, 16 + 56, (uint64_t)cs * 1000);   /* more than lz4 can expand to */
    expect_error(m.b, m.n, "is impossible for", "bytes of lz4");
}

/* A frame that does not state its content size takes the streaming path. */
static img zstd_ptx_unsized(size_t cut)
{
    img m;
    fatbin_begin(&m);
    uint8_t z[1024];
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
    size_t zn = ZSTD_compress2(cc, z, sizeof z, PTX_TEXT, sizeof PTX_TEXT);
    ZSTD_freeCCtx(cc);
    assert_false(ZSTD_isError(zn));
    assert_int_equal(ZSTD_getFrameContentSize(z, zn), ZSTD_CONTENTSIZE_UNKNOWN);
    fatbin_entry(&m, 1, 0x8011, z, zn - cut, sizeof PTX_TEXT);
    return m;
}

static void zstd_streaming_path(void **state)
{
    img m = zstd_ptx_unsized(0);
    nt_err e = {0};
    int n = 0;
    assert_int_equal(bin_foreach_ptx(m.b, m.n, count_ptx, &n, &e), 0);
    assert_int_equal(n, 1);
    put64(&m, 16 + 56, sizeof PTX_TEXT + 9);
    expect_error(m.b, m.n, "entry at offset 0x10: zstd payload gave 64 bytes, the header declares 73", NULL);
    put64(&m, 16 + 56, sizeof PTX_TEXT - 9);
    expect_error(m.b, m.n, "entry at offset 0x10: zstd payload holds more than the 55 bytes", NULL);
    m = zstd_ptx_unsized(4);
    expect_error(m.b, m.n, "entry at offset 0x10: zstd payload (", "ends inside a frame");
    /* A claim far beyond what the stored bytes could hold goes the same way:
     * memory follows the real output, and the mismatch is reported. */
    m = zstd_ptx();
    put64(&m, 16 + 56, 900u << 20);
    expect_error(m.b, m.n, "zstd frame holds 64 bytes, the header declares 943718400", NULL);
}

static void unterminated_ptx(void **state)
{
    /* The driver's view: no NUL within the bound is an error... */
    bin_kind k;
    size_t size;
    nt_err e = {0};
    assert_int_equal(bin_image_size(PTX_TEXT, strlen(PTX_TEXT), &k, &size, &e), -1);
    assert_non_null(strstr(e.msg, "PTX image: no terminating NUL within 63 bytes"));
    /* ...while a text with a known size is read whole, terminated or not
     * (the copy is exactly the bytes given: a heap buffer lets ASan see). */
    char *t = nt_xmalloc(strlen(PTX_TEXT));
    memcpy(t, PTX_TEXT, strlen(PTX_TEXT));
    int n = 0;
    nt_err_clear(&e);
    assert_int_equal(bin_foreach_ptx(t, strlen(PTX_TEXT), count_ptx, &n, &e), 0);
    assert_int_equal(bin_foreach_ptx(PTX_TEXT, sizeof PTX_TEXT, count_ptx, &n, &e), 0);
    assert_int_equal(n, 2);
    free(t);
}

/* ---- corrupt ELF --------------------------------------------------------- */

static void bad_elf_headers(void **state)
{
    nt_file f;
    fixture_open(&f, "kernels.cubin");
    static img m;
    memset(&m, 0, sizeof m);
    assert_true(f.size > 64);
    memcpy(m.b, f.data, 64);
    expect_error(m.b, 40, "ELF header needs 64 bytes, only 40", NULL);
    m.b[EI_CLASS] = ELFCLASS32;
    expect_error(m.b, 64, "ELF class 1 at offset 0x4: only 64-bit", NULL);
    m.b[EI_CLASS] = ELFCLASS64;
    m.b[EI_DATA] = ELFDATA2MSB;
    expect_error(m.b, 64, "ELF data encoding 2 at offset 0x5", NULL);
    /* Section table past the end. */
    expect_error(f.data, f.size - 100, "ELF ", "past the end of the image");
    nt_file_close(&f);
}

/* Finds section `name` of an ELF64 image (test helper, trusts the fixture). */
static Elf64_Shdr *find_sec(uint8_t *p, const char *name)
{
    Elf64_Ehdr *eh = (Elf64_Ehdr *)p;
    Elf64_Shdr *sh = (Elf64_Shdr *)(p + eh->e_shoff);
    const char *strs = (const char *)p + sh[eh->e_shstrndx].sh_offset;
    for (unsigned i = 0; i < eh->e_shnum; i++)
        if (!strcmp(strs + sh[i].sh_name, name)) return &sh[i];
    fail_msg("no section %s", name);
    return NULL;
}

static int parse_cubin(uint8_t *p, size_t n, nt_err *e)
{
    nt_arena a;
    nt_arena_init(&a, 0);
    bin_cubin c;
    int rc = bin_cubin_parse(p, n, &a, &c, e);
    nt_arena_free(&a);
    return rc;
}

static void bad_cubin_sections(void **state)
{
    nt_file f;
    fixture_open(&f, "kernels.cubin");
    uint8_t *p = nt_xmalloc(f.size);
    memcpy(p, f.data, f.size);
    nt_err e = {0};
    Elf64_Shdr *s = find_sec(p, ".nv.info.scale");
    s->sh_size = f.size;                  /* section runs past the end */
    assert_int_equal(parse_cubin(p, f.size, &e), -1);
    assert_non_null(strstr(e.msg, "(.nv.info.scale, type 0x70000000): offset"));
    assert_non_null(strstr(e.msg, "runs past the end of the image"));
    memcpy(p, f.data, f.size);
    s = find_sec(p, ".nv.info.scale");
    /* First attribute is an SVAL (04 37 04 00 ...): claim 0xfff0 bytes. */
    assert_int_equal(p[s->sh_offset], 4);
    p[s->sh_offset + 2] = 0xf0;
    p[s->sh_offset + 3] = 0xff;
    nt_err_clear(&e);
    assert_int_equal(parse_cubin(p, f.size, &e), -1);
    assert_non_null(strstr(e.msg, "section .nv.info.scale offset 0x0: attribute 0x37 of 65520 bytes runs past"));
    memcpy(p, f.data, f.size);
    p[s->sh_offset] = 9;                  /* unknown attribute format */
    nt_err_clear(&e);
    assert_int_equal(parse_cubin(p, f.size, &e), -1);
    assert_non_null(strstr(e.msg, "section .nv.info.scale offset 0x0: unknown attribute format 9"));
    free(p);
    nt_file_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_images),
        cmocka_unit_test(wrapper_is_followed),
        cmocka_unit_test(wrong_magic_and_empty),
        cmocka_unit_test(truncated_headers),
        cmocka_unit_test(sizes_past_the_end),
        cmocka_unit_test(bad_compressed_frames),
        cmocka_unit_test(zstd_streaming_path),
        cmocka_unit_test(unterminated_ptx),
        cmocka_unit_test(bad_elf_headers),
        cmocka_unit_test(bad_cubin_sections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
