/* Tests: SASS offset -> source line from a cubin's DWARF line program
 * (bin_cubin_lines, bin_line_find).  The cubins are test kernels built
 * with nvcc -lineinfo (src/binary/module.mk); without nvdisasm here, the
 * reference is the PTX of the same build: every (file, line) of the table
 * must be a .loc of that PTX, and each function's rows must cover its
 * code exactly.  Then a hand-built program checked row by row, and
 * malformed programs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "binary/binary.h"
#include "fixture.h"

/* The (file basename, line) pairs of a PTX text's .loc directives. */
typedef struct locs {
    char     files[16][256];
    unsigned nfiles;
    NT_VEC(uint64_t) pairs;       /* file index << 32 | line */
} locs;

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void locs_read(locs *L, const char *text)
{
    memset(L, 0, sizeof *L);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        while (*p == ' ' || *p == '\t') p++;
        unsigned f, line;
        char path[256];
        if (sscanf(p, ".file %u \"%255[^\"]\"", &f, path) == 2 && f < 16) {
            snprintf(L->files[f], sizeof L->files[f], "%s", base(path));
            if (f >= L->nfiles) L->nfiles = f + 1;
        } else if (sscanf(p, ".loc %u %u", &f, &line) == 2) {
            nt_vec_push(&L->pairs, (uint64_t)f << 32 | line);
        }
    }
}

static bool locs_has(const locs *L, const char *file, unsigned line)
{
    for (size_t i = 0; i < L->pairs.n; i++) {
        unsigned f = (unsigned)(L->pairs.v[i] >> 32);
        if ((unsigned)L->pairs.v[i] == line && f < L->nfiles && !strcmp(L->files[f], base(file)))
            return true;
    }
    return false;
}

/* Line number of the first line of tests/kernels/<k>.cu that contains s. */
static unsigned src_line(const char *k, const char *s)
{
    char path[256], buf[512];
    snprintf(path, sizeof path, "tests/kernels/%s.cu", k);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    unsigned n = 0, found = 0;
    while (!found && fgets(buf, sizeof buf, f)) {
        n++;
        if (strstr(buf, s)) found = n;
    }
    fclose(f);
    assert_true(found > 0);
    return found;
}

/* Checks the table of lines/<k>.cubin against lines/<k>.ptx; returns the
 * number of functions with rows. */
static unsigned check_kernel(const char *k, nt_arena *a, bin_lines *out)
{
    char name[64];
    nt_file cub, ptx;
    snprintf(name, sizeof name, "lines/%s.cubin", k);
    fixture_open(&cub, name);
    snprintf(name, sizeof name, "lines/%s.ptx", k);
    fixture_open(&ptx, name);
    char *text = nt_xstrndup(ptx.data, ptx.size);
    locs L;
    locs_read(&L, text);
    assert_true(L.pairs.n > 0);
    nt_err e = {0};
    int rc = bin_cubin_lines(cub.data, cub.size, a, out, &e);
    if (rc < 0) fprintf(stderr, "%s: %s\n", k, e.msg);
    assert_int_equal(rc, 0);
    assert_true(out->n > 0);
    assert_int_equal(out->unattributed, 0);
    bin_cubin c;
    assert_int_equal(bin_cubin_parse(cub.data, cub.size, a, &c, &e), 0);
    unsigned nfn = 0;
    for (size_t i = 0; i < out->n; i++) {
        const bin_line *r = &out->rows[i];
        if (!locs_has(&L, r->file, r->line)) fail_msg("%s: %s+0x%llx: %s:%u is no .loc of the PTX", k,
                                                      r->function, (unsigned long long)r->offset,
                                                      r->file, r->line);
        assert_true(r->end > r->offset);
        bool first = i == 0 || strcmp(out->rows[i - 1].function, r->function);
        if (first) {
            nfn++;
            assert_int_equal(r->offset, 0);      /* a function's rows start at its entry */
        } else {
            assert_int_equal(r->offset, out->rows[i - 1].end);   /* and leave no gap */
        }
        assert_ptr_equal(bin_line_find(out, r->function, r->offset), r);
        assert_ptr_equal(bin_line_find(out, r->function, r->end - 1), r);
    }
    /* Each kernel's rows end where its code ends. */
    for (size_t j = 0; j < c.nkernels; j++) {
        const bin_line *last = NULL;
        for (size_t i = 0; i < out->n; i++)
            if (!strcmp(out->rows[i].function, c.kernels[j].name)) last = &out->rows[i];
        assert_non_null(last);
        assert_int_equal(last->end, c.kernels[j].code_size);
        assert_null(bin_line_find(out, c.kernels[j].name, c.kernels[j].code_size));
    }
    nt_vec_free(&L.pairs);
    free(text);
    nt_file_close(&cub);
    nt_file_close(&ptx);
    return nfn;
}

static bool has_line(const bin_lines *l, const char *fn, unsigned line)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->rows[i].function, fn) && l->rows[i].line == line) return true;
    return false;
}

static void test_vecadd(void **state)
{
    nt_arena a;
    nt_arena_init(&a, 0);
    bin_lines l;
    assert_int_equal(check_kernel("vecadd", &a, &l), 2);
    assert_true(has_line(&l, "vecadd", src_line("vecadd", "c[i] = a[i] + b[i]")));
    assert_true(has_line(&l, "saxpy", src_line("vecadd", "y[i] = a * x[i] + y[i]")));
    assert_string_equal(base(l.rows[0].file), "vecadd.cu");
    assert_null(bin_line_find(&l, "no_such_function", 0));
    nt_arena_free(&a);
}

static void test_matmul_calls_mathlib(void **state)
{
    nt_arena a;
    nt_arena_init(&a, 0);
    bin_lines l;
    assert_int_equal(check_kernel("matmul", &a, &l), 1);
    assert_true(has_line(&l, "matmul", src_line("matmul", "acc += As[ty][k] * Bs[k][tx]")));
    /* __noinline__ device functions sit in their kernel's .text section and
     * its one sequence: their lines are rows of the kernel. */
    assert_int_equal(check_kernel("calls", &a, &l), 1);
    assert_true(has_line(&l, "calls", src_line("calls", "int t = a % b")));
    assert_true(has_line(&l, "calls", src_line("calls", "for (int i = n - 1; i >= 0; i--) r = r * x + c[i]")));
    assert_true(check_kernel("mathlib", &a, &l) >= 1);
    nt_arena_free(&a);
}

static void test_no_line_info(void **state)
{
    nt_file f;
    fixture_open(&f, "kernels.cubin");          /* built without -lineinfo */
    nt_arena a;
    nt_arena_init(&a, 0);
    bin_lines l;
    nt_err e = {0};
    assert_int_equal(bin_cubin_lines(f.data, f.size, &a, &l, &e), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(bin_cubin_lines("PTX", 3, &a, &l, &e), -1);
    assert_non_null(strstr(e.msg, "not an ELF image"));
    nt_arena_free(&a);
    nt_file_close(&f);
}

/* A DWARF 2 program by hand: file "dir/a.cu"; set_address (relocated to
 * "kern" + 0x20), line 8 at +0, line 10 at +16, end at +128. */
static const uint8_t prog[] = {
    0, 0, 0, 0,                 /* unit_length, patched */
    2, 0,                       /* version */
    0, 0, 0, 0,                 /* header_length, patched */
    1, 1, (uint8_t)-5, 14, 10,  /* min_inst, default_is_stmt, line_base, line_range, opcode_base */
    0, 1, 1, 1, 1, 0, 0, 0, 1,  /* standard_opcode_lengths */
    'd', 'i', 'r', 0, 0,        /* include_directories */
    'a', '.', 'c', 'u', 0, 1, 0, 0, 0,  /* file_names */
    /* program (offset 38) */
    0, 9, 2, 0, 0, 0, 0, 0, 0, 0, 0,    /* set_address: operand at 41 */
    4, 1,                       /* set_file 1 */
    3, 7,                       /* advance_line 7 -> 8 */
    5, 3,                       /* set_column 3 */
    1,                          /* copy */
    241,                        /* special: +16, line +2 */
    2, 0x70,                    /* advance_pc 112 */
    0, 1, 1,                    /* end_sequence */
};
#define PROG_HDR_END 38u
#define PROG_ADDR_AT 41u

static size_t make_prog(uint8_t *p)
{
    memcpy(p, prog, sizeof prog);
    uint32_t ul = sizeof prog - 4, hl = PROG_HDR_END - 10;
    memcpy(p, &ul, 4);
    memcpy(p + 6, &hl, 4);
    return sizeof prog;
}

static const bin_line_reloc prog_rel[] = {{PROG_ADDR_AT, "kern", 0x20}};

static void test_hand_built(void **state)
{
    uint8_t p[sizeof prog];
    size_t n = make_prog(p);
    nt_arena a;
    nt_arena_init(&a, 0);
    bin_lines l;
    nt_err e = {0};
    assert_int_equal(bin_lines_parse(p, n, prog_rel, 1, &a, &l, &e), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.rows[0].function, "kern");
    assert_string_equal(l.rows[0].file, "dir/a.cu");
    assert_int_equal(l.rows[0].offset, 0x20);
    assert_int_equal(l.rows[0].end, 0x30);
    assert_int_equal(l.rows[0].line, 8);
    assert_int_equal(l.rows[0].column, 3);
    assert_int_equal(l.rows[1].offset, 0x30);
    assert_int_equal(l.rows[1].end, 0xa0);
    assert_int_equal(l.rows[1].line, 10);
    assert_ptr_equal(bin_line_find(&l, "kern", 0x9f), &l.rows[1]);
    assert_null(bin_line_find(&l, "kern", 0xa0));
    assert_null(bin_line_find(&l, "kern", 0x1f));
    /* Through a section symbol: ".text.kern" names kern. */
    bin_line_reloc sec = {PROG_ADDR_AT, ".text.kern", 0};
    assert_int_equal(bin_lines_parse(p, n, &sec, 1, &a, &l, &e), 0);
    assert_string_equal(l.rows[0].function, "kern");
    /* Without its relocation the sequence cannot be placed: left out, counted. */
    assert_int_equal(bin_lines_parse(p, n, NULL, 0, &a, &l, &e), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.unattributed, 1);
    /* Two units back to back. */
    uint8_t two[2 * sizeof prog];
    make_prog(two);
    make_prog(two + sizeof prog);
    bin_line_reloc r2[] = {{PROG_ADDR_AT, "k1", 0}, {sizeof prog + PROG_ADDR_AT, "k0", 0}};
    assert_int_equal(bin_lines_parse(two, sizeof two, r2, 2, &a, &l, &e), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.rows[0].function, "k0");     /* sorted by function */
    nt_arena_free(&a);
}

static void expect_error(const uint8_t *p, size_t n, const char *msg)
{
    nt_arena a;
    nt_arena_init(&a, 0);
    bin_lines l;
    nt_err e = {0};
    assert_int_equal(bin_lines_parse(p, n, prog_rel, 1, &a, &l, &e), -1);
    if (!strstr(e.msg, msg)) fail_msg("expected \"%s\", got \"%s\"", msg, e.msg);
    assert_non_null(strstr(e.msg, ".debug_line offset 0x"));
    nt_arena_free(&a);
}

static void test_malformed(void **state)
{
    uint8_t p[sizeof prog + 16];
    size_t n = make_prog(p);
    /* Every truncation is an error, never a read past the end. */
    for (size_t cut = 1; cut < n; cut++) {
        nt_arena a;
        nt_arena_init(&a, 0);
        bin_lines l;
        nt_err e = {0};
        assert_int_equal(bin_lines_parse(p, cut, prog_rel, 1, &a, &l, &e), -1);
        nt_arena_free(&a);
    }
    make_prog(p); p[4] = 5;
    expect_error(p, n, "line program version 5 not supported");
    make_prog(p); p[13] = 0;
    expect_error(p, n, "line_range is 0");
    make_prog(p); p[14] = 0;
    expect_error(p, n, "opcode_base is 0");
    make_prog(p); p[6] = 200;
    expect_error(p, n, "header length runs past the end of the unit");
    make_prog(p); p[0] = 0xf0;
    expect_error(p, n, "unit length runs past the end of the section");
    make_prog(p); p[39] = 5;                     /* set_address with 4 bytes */
    expect_error(p, n, "set_address operand is not 8 bytes");
    make_prog(p); p[39] = 100;
    expect_error(p, n, "extended opcode length runs past the unit");
    make_prog(p); memset(p + 52, 0xff, n - 52);  /* advance_line: LEB128 without an end */
    expect_error(p, n, "LEB128 number runs past the end");
    make_prog(p); memset(p + 24, 'x', PROG_HDR_END - 24);   /* no terminator in the header */
    expect_error(p, n, "string runs past the end of the header");
    /* A file index past the table reads as "?". */
    make_prog(p); p[50] = 9;
    nt_arena a;
    nt_arena_init(&a, 0);
    bin_lines l;
    nt_err e = {0};
    assert_int_equal(bin_lines_parse(p, n, prog_rel, 1, &a, &l, &e), 0);
    assert_string_equal(l.rows[0].file, "?");
    nt_arena_free(&a);
}

/* Every single-byte change of a real .debug_line parses or fails cleanly. */
static void test_bitflips(void **state)
{
    nt_file f;
    fixture_open(&f, "lines/calls.cubin");
    uint8_t *d = nt_xmalloc(f.size);
    size_t flips = 0;
    for (size_t i = 0; i < f.size; i += 1) {
        memcpy(d, f.data, f.size);
        d[i] ^= (uint8_t)(0x5a + i);
        nt_arena a;
        nt_arena_init(&a, 0);
        bin_lines l;
        if (bin_cubin_lines(d, f.size, &a, &l, NULL) == 0)
            for (size_t k = 0; k < l.n; k++) assert_true(l.rows[k].end > l.rows[k].offset);
        nt_arena_free(&a);
        flips++;
    }
    assert_true(flips > 1000);
    free(d);
    nt_file_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vecadd),
        cmocka_unit_test(test_matmul_calls_mathlib),
        cmocka_unit_test(test_no_line_info),
        cmocka_unit_test(test_hand_built),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_bitflips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
