/* Tests: printing (round trip, ptxas), the module index and the kernel
 * slicer on PTX that nvcc made from tests/ptx/kernels/. */
#include "ptx_test.h"

static const char *const fixtures[] = {"basic.ptx", "async.ptx"};

/* print(parse(x)) is a fixpoint: parsing and printing again is identical. */
static void print_round_trip(void **state)
{
    for (size_t i = 0; i < NT_ARRAY_LEN(fixtures); i++) {
        nt_file f;
        fixture_open(&f, fixtures[i]);
        nt_err e = {0};
        ptx_module *m = ptx_parse(f.data, f.size, fixtures[i], 0, &e);
        if (!m) fail_msg("%s", e.msg);
        char *a = print_str(m);
        ptx_module *m2 = ptx_parse(a, strlen(a), "printed", 0, &e);
        if (!m2) fail_msg("%s", e.msg);
        char *b = print_str(m2);
        assert_string_equal(a, b);
        if (assert_ptxas(a, m->sm, fixtures[i]) == 77) skip();
        free(a);
        free(b);
        ptx_module_free(m2);
        ptx_module_free(m);
        nt_file_close(&f);
    }
}

static void index_items(void **state)
{
    nt_file f;
    fixture_open(&f, "basic.ptx");
    ptx_index ix;
    nt_err e = {0};
    assert_int_equal(ptx_index_build(&ix, f.data, f.size, "basic.ptx", &e), 0);
    assert_int_equal(ix.ver_major, 9);
    assert_int_equal(ix.sm, 90);
    assert_int_equal(ix.address_size, 64);
    assert_int_equal(ix.nentries, 5);
    const ptx_ix_item *k = ptx_index_find(&ix, "vec_add", 7);
    assert_non_null(k);
    assert_int_equal(k->kind, PTX_IX_FUNC);
    assert_true(k->is_entry && k->has_body);
    assert_int_equal(k->linkage, PTX_LINK_VISIBLE);
    assert_memory_equal(f.data + k->begin, ".visible .entry vec_add(", 24);
    assert_int_equal(f.data[k->end - 1], '}');
    const ptx_ix_item *v = ptx_index_find(&ix, "g_table", 7);
    assert_non_null(v);
    assert_int_equal(v->kind, PTX_IX_VAR);
    assert_int_equal(f.data[v->end - 1], ';');
    /* .func items: the definition wins over the forward declaration */
    const ptx_ix_item *h = ptx_index_find(&ix, "_Z4op_afi", 9);
    assert_true(h->has_body);
    const ptx_ix_item *vp = ptx_index_find(&ix, "vprintf", 7);
    assert_false(vp->has_body);
    assert_int_equal(vp->linkage, PTX_LINK_EXTERN);
    /* every item parses as exactly one item */
    for (size_t i = 0; i < ix.n; i++) assert_true(ix.items[i].end > ix.items[i].begin);
    ptx_index_free(&ix);
    nt_file_close(&f);
}

static int collect(const ptx_ix_item *ref, void *ctx)
{
    nt_sb *sb = ctx;
    nt_sb_put(sb, ref->name.s, ref->name.n);
    nt_sb_putc(sb, ' ');
    return 0;
}

static void index_references(void **state)
{
    const char *t = ".version 9.0\n.target sm_90\n.address_size 64\n"
                    ".global .u32 a;\n.global .u64 b = generic(a);\n"
                    ".func f()\n{\n\tret;\n}\n"
                    ".entry k()\n{\n\t// f a b in a comment\n\t.reg .b64 %rd1;\n"
                    "\tmov.u64 %rd1, b;\n\tcall.uni f, ();\n\tret;\n}\n";
    ptx_index ix;
    nt_err e = {0};
    assert_int_equal(ptx_index_build(&ix, t, strlen(t), "r", &e), 0);
    nt_sb sb = {0};
    ptx_index_refs(&ix, ptx_index_find(&ix, "k", 1), collect, &sb);
    assert_string_equal(nt_sb_str(&sb), "b f ");
    nt_sb_reset(&sb);
    ptx_index_refs(&ix, ptx_index_find(&ix, "b", 1), collect, &sb);
    assert_string_equal(nt_sb_str(&sb), "a ");
    nt_sb_free(&sb);
    ptx_index_free(&ix);
}

static void index_errors(void **state)
{
    static const struct { const char *text, *msg; } cases[] = {
        {".version 9.0\n.entry k()\n{\n\tret;\n",
         "i.ptx:2:1: function body not closed: missing '}'"},
        {".version 9.0\nret;\n", "i.ptx:2:1: expected a directive at module level"},
        {".version 9.0\n.global .u32 x\n", "i.ptx:2:1: declaration not ended by ';': unexpected end of text"},
        {".version 9.0\n/* x\n", "i.ptx:2:1: unterminated comment"},
        {".version 9.0\n.entry k()\n{\n\t.pragma \"x;\n}\n",
         "i.ptx:2:1: function body not closed: unterminated string"},
        {".entry k() }\n", "i.ptx:1:1: function without '{' or ';': '}' without a matching '{'"},
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(cases); i++) {
        ptx_index ix;
        nt_err e = {0};
        assert_int_equal(ptx_index_build(&ix, cases[i].text, strlen(cases[i].text), "i.ptx", &e), -1);
        if (strcmp(e.msg, cases[i].msg)) fail_msg("case %zu\n  got:  %s\n  want: %s", i, e.msg, cases[i].msg);
    }
}

/* Names of the functions and variables in a module, in order. */
static char *item_names(const ptx_module *m)
{
    nt_sb sb = {0};
    ptx_block_foreach(&m->items, s) {
        if (s->kind == PTX_ST_FUNC) {
            const ptx_func *fn = ((ptx_funcitem *)s)->fn;
            nt_sb_printf(&sb, "%s%.*s ", fn->has_body ? "" : "decl:", (int)fn->name.n, fn->name.s);
        } else if (s->kind == PTX_ST_VAR) {
            const ptx_var *v = ((ptx_vardecl *)s)->var;
            nt_sb_printf(&sb, "var:%.*s ", (int)v->name.n, v->name.s);
        } else if (s->kind == PTX_ST_DIR) {
            nt_sb_puts(&sb, "dir ");
        }
    }
    return nt_sb_take(&sb);
}

static void slice_kernels(void **state)
{
    static const struct { const char *kernel, *items; } cases[] = {
        {"vec_add", "dir dir dir vec_add "},
        {"reduce_shared", "dir dir dir var:g_counter reduce_shared "},
        {"calls_and_printf",
         "dir dir dir decl:_Z4op_afi decl:_Z4op_bfi decl:vprintf var:g_table var:c_coef "
         "var:g_ops var:$str _Z4op_afi _Z4op_bfi _Z12helper_scalefi _Z12helper_outerfi "
         "calls_and_printf "},
        {"switch_local", "dir dir dir switch_local "},
        {"unused_kernel", "dir dir dir unused_kernel "},
    };
    nt_file f;
    fixture_open(&f, "basic.ptx");
    ptx_index ix;
    nt_err e = {0};
    assert_int_equal(ptx_index_build(&ix, f.data, f.size, "basic.ptx", &e), 0);
    ptx_module *full = ptx_parse(f.data, f.size, "basic.ptx", 0, &e);
    assert_non_null(full);
    for (size_t i = 0; i < NT_ARRAY_LEN(cases); i++) {
        ptx_module *m = ptx_slice(&ix, cases[i].kernel, &e);
        if (!m) fail_msg("%s", e.msg);
        char *names = item_names(m);
        if (strcmp(names, cases[i].items)) fail_msg("slice %s\n  got:  %s\n  want: %s", cases[i].kernel, names, cases[i].items);
        free(names);
        assert_int_equal(m->sm, 90);
        char *a = print_str(m);
        /* the same slice from the fully parsed module prints the same */
        ptx_module *m2 = ptx_slice_module(full, cases[i].kernel, &e);
        assert_non_null(m2);
        char *b = print_str(m2);
        assert_string_equal(a, b);
        if (assert_ptxas(a, 90, cases[i].kernel) == 77) skip();
        free(a);
        free(b);
        ptx_module_free(m2);
        ptx_module_free(m);
    }
    assert_null(ptx_slice(&ix, "helper", &e));
    assert_string_equal(e.msg, "basic.ptx: no kernel (.entry with a body) named 'helper'");
    nt_err e2 = {0};
    assert_null(ptx_slice(&ix, "_Z4op_afi", &e2));   /* a .func is no kernel */
    assert_true(e2.set);
    ptx_module_free(full);
    ptx_index_free(&ix);
    nt_file_close(&f);
}

static void slice_async_fixture(void **state)
{
    nt_file f;
    fixture_open(&f, "async.ptx");
    ptx_index ix;
    nt_err e = {0};
    assert_int_equal(ptx_index_build(&ix, f.data, f.size, "async.ptx", &e), 0);
    static const char *const ks[] = {"cp_async_copy", "wmma_tile", "shuffle_vote", "cluster_kernel"};
    for (size_t i = 0; i < NT_ARRAY_LEN(ks); i++) {
        ptx_module *m = ptx_slice(&ix, ks[i], &e);
        if (!m) fail_msg("%s", e.msg);
        char *a = print_str(m);
        if (assert_ptxas(a, 90, ks[i]) == 77) skip();
        if (!strcmp(ks[i], "cluster_kernel")) {
            ptx_func *fn = ptx_module_func(m, ks[i]);
            assert_true(fn->explicitcluster);
            assert_int_equal(fn->reqnctapercluster[0], 2);
        }
        free(a);
        ptx_module_free(m);
    }
    ptx_index_free(&ix);
    nt_file_close(&f);
}

/* A slice keeps declarations a use needs (forward .func declarations,
 * .extern variables, aliases) and what initializers reference. */
static void slice_transitive(void **state)
{
    const char *t = ".version 9.0\n.target sm_90\n.address_size 64\n"
        ".extern .global .u32 ext;\n"
        ".func g();\n"
        ".global .u32 unused_v;\n"
        ".global .u32 leaf = 1;\n"
        ".global .u64 tbl[1] = {generic(leaf)};\n"
        ".func f()\n{\n\t.reg .b64 %rd1;\n\tmov.u64 %rd1, tbl;\n\tcall.uni g, ();\n\tret;\n}\n"
        ".func g()\n{\n\t.reg .b32 %r1;\n\tld.global.u32 %r1, [ext+4];\n\tret;\n}\n"
        ".func unused_f()\n{\n\tret;\n}\n"
        ".visible .func al_target()\n{\n\tret;\n}\n"
        ".alias al, al_target;\n"
        ".entry k()\n{\n\tcall.uni f, ();\n\tcall.uni al, ();\n\tret;\n}\n";
    ptx_index ix;
    ptx_module *m = slice_ok(&ix, t, "k");
    char *names = item_names(m);
    assert_string_equal(names, "dir dir dir var:ext decl:g var:leaf var:tbl f g al_target k ");
    free(names);
    char *a = print_str(m);
    assert_non_null(strstr(a, ".alias al, al_target;"));
    assert_null(strstr(a, "unused"));
    free(a);
    ptx_module_free(m);
    ptx_index_free(&ix);
}

/* Reduced reproducers of library kernels: a .global whose initializer is
 * a 100 KB byte table (cuRAND's precalc_xorwow_offset_matrix), an
 * .extern .shared array of unknown size named by a callee only (cutlass's
 * SharedStorageBase), and names declared after the first in one
 * declaration (".global .u32 a, b[4] = {..}, c;"), which the index knows
 * by the first name only: a slice lost gb/gc/after and failed ptxas. */
static void slice_reproducers(void **state)
{
    nt_sb t = {0};
    nt_sb_puts(&t, ".version 9.0\n.target sm_90\n.address_size 64\n"
                   ".extern .shared .align 16 .b8 _ZN7cutlass17SharedStorageBaseE[];\n"
                   ".global .align 4 .u32 ga = 1, gb[4] = {1, 2, 3, 4}, gc;\n"
                   ".global .align 4 .b8 big[102400] = {");
    for (int i = 0; i < 102400; i++) nt_sb_printf(&t, i ? ", %d" : "%d", (i * 7) & 255);
    nt_sb_puts(&t, "}, after[8];\n"
                   ".global .u32 unused_v;\n"
                   ".func (.reg .b32 r) smem_base()\n{\n"
                   "\tmov.u32 r, _ZN7cutlass17SharedStorageBaseE;\n\tret;\n}\n"
                   ".visible .entry k(.param .u64 p)\n{\n"
                   "\t.reg .b32 %r<8>;\n\t.reg .b64 %rd<8>;\n"
                   "\tcall (%r1), smem_base, ();\n"
                   "\tld.shared.u32 %r2, [%r1+16];\n"
                   "\tmov.u64 %rd1, big;\n"
                   "\tld.global.u32 %r3, [%rd1+400];\n"
                   "\tld.global.u32 %r4, [gc];\n"
                   "\tmov.u64 %rd2, gb+8;\n"
                   "\tst.global.u32 [after+4], %r3;\n"
                   "\tst.global.u32 [%rd2], %r4;\n"
                   "\tret;\n}\n");
    ptx_index ix;
    nt_err e = {0};
    assert_int_equal(ptx_index_build(&ix, t.s, t.len, "t", &e), 0);
    ptx_module *m = ptx_slice(&ix, "k", &e);
    if (!m) fail_msg("%s", e.msg);
    char *names = item_names(m);
    /* one declaration parses into one item per name */
    assert_string_equal(names, "dir dir dir var:_ZN7cutlass17SharedStorageBaseE var:ga var:gb "
                               "var:gc var:big var:after smem_base k ");
    free(names);
    char *a = print_str(m);
    assert_null(strstr(a, "unused_v"));
    assert_ptxas(a, 90, "the slice");
    free(a);
    ptx_module_free(m);
    /* from the parsed module: declaration by declaration */
    ptx_module *full = ptx_parse(t.s, t.len, "t", 0, &e);
    assert_non_null(full);
    m = ptx_slice_module(full, "k", &e);
    assert_non_null(m);
    names = item_names(m);
    assert_string_equal(names, "dir dir dir var:_ZN7cutlass17SharedStorageBaseE var:gb "
                               "var:gc var:big var:after smem_base k ");
    free(names);
    a = print_str(m);
    assert_ptxas(a, 90, "the module slice");
    free(a);
    ptx_module_free(m);
    ptx_module_free(full);
    ptx_index_free(&ix);
    nt_sb_free(&t);
}

/* The index skips body bytes 16/32/64 at a time: put every character it
 * stops at (braces of vector operands, a comment with a '}', a string)
 * at every position of a 64-byte step, and check spans and lines. */
/* A kernel compiled with -lineinfo: its slice keeps .file and .loc and
 * ptxas takes it (until 7017365 `.file 1 "k.cu"` printed as a bare
 * `.file`, so every -lineinfo twin was rejected and ran unprobed). */
static void slice_lineinfo(void **state)
{
    static const char src[] =
        ".version 8.0\n.target sm_90\n.address_size 64\n"
        "\t.file\t1 \"/src/k.cu\"\n"
        "\t.file\t2 \"/usr/include/x.h\", 1700000000, 1234\n"
        ".visible .entry k(.param .u64 out)\n{\n"
        "\t.reg .b32 %r<3>;\n\t.reg .b64 %rd<3>;\n"
        "\t.loc\t1 3 5\n\tld.param.u64 %rd1, [out];\n"
        "\t.loc\t2 7 1\n\tmov.u32 %r1, %tid.x;\n"
        "\tcvta.to.global.u64 %rd2, %rd1;\n\tst.global.u32 [%rd2], %r1;\n"
        "\tret;\n}\n";
    ptx_index ix;
    nt_err e = {0};
    assert_int_equal(ptx_index_build(&ix, src, sizeof src - 1, "k.ptx", &e), 0);
    ptx_module *m = ptx_slice(&ix, "k", &e);
    if (!m) fail_msg("%s", e.msg);
    char *a = print_has(m, ".file\t1 \"/src/k.cu\"",
                        ".file\t2 \"/usr/include/x.h\", 1700000000, 1234", ".loc\t1 3 5", NULL);
    int rc = assert_ptxas(a, 90, "the -lineinfo slice");
    free(a);
    ptx_module_free(m);
    ptx_index_free(&ix);
    if (rc == 77) skip();
}

static void index_vector_scan(void **state)
{
    for (int pad = 0; pad < 70; pad++) {
        nt_sb sb = {0};
        nt_sb_puts(&sb, ".version 8.0\n.target sm_90\n.address_size 64\n"
                        ".visible .entry k()\n{\n.reg .b32 %r<4>;\n");
        for (int i = 0; i < pad; i++) nt_sb_putc(&sb, i % 17 == 16 ? '\n' : ' ');
        nt_sb_puts(&sb, "mov.b64 %rd1, {%r1, %r2}; // } not a brace\n"
                        "/* { nor this */ add.s32 %r1, %r2, (1);\n{ .reg .b32 %x; }\n}\n"
                        ".global .b8 tail[1];\n");
        ptx_index ix;
        nt_err e = {0};
        assert_int_equal(ptx_index_build(&ix, sb.s, sb.len, "v.ptx", &e), 0);
        const ptx_ix_item *k = ptx_index_find(&ix, "k", 1);
        const ptx_ix_item *t = ptx_index_find(&ix, "tail", 4);
        assert_non_null(k);
        assert_non_null(t);
        assert_true(k->has_body);
        assert_int_equal(sb.s[k->end - 1], '}');
        assert_memory_equal(sb.s + t->begin, ".global", 7);
        /* lines counted while skipping: "tail" is on the last line */
        uint32_t want = 1;
        for (size_t i = 0; i < t->begin; i++) want += sb.s[i] == '\n';
        assert_int_equal(t->line, want);
        ptx_index_free(&ix);
        nt_sb_free(&sb);
    }
}

/* A freed module's arena is reused by the next one: what comes out must
 * not depend on what was parsed before. */
static void arena_reuse(void **state)
{
    const char *names[] = {"basic.ptx", "async.ptx", "basic.ptx"};
    char *first[3];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3; i++) {
            nt_file f;
            fixture_open(&f, names[i]);
            nt_err e = {0};
            ptx_module *m = ptx_parse(f.data, f.size, names[i], 0, &e);
            assert_non_null(m);
            char *s = print_str(m);
            ptx_module_free(m);
            nt_file_close(&f);
            if (round == 0) first[i] = s;
            else { assert_string_equal(s, first[i]); free(s); }
        }
        ptx_release_cache();
    }
    assert_string_equal(first[0], first[2]);
    for (int i = 0; i < 3; i++) free(first[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(print_round_trip),
        cmocka_unit_test(index_items),
        cmocka_unit_test(index_references),
        cmocka_unit_test(index_errors),
        cmocka_unit_test(index_vector_scan),
        cmocka_unit_test(arena_reuse),
        cmocka_unit_test(slice_kernels),
        cmocka_unit_test(slice_async_fixture),
        cmocka_unit_test(slice_transitive),
        cmocka_unit_test(slice_reproducers),
        cmocka_unit_test(slice_lineinfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
