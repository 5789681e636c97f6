/* Tests: the module index's vector scanners (each one this CPU runs,
 * against the scalar one, at every alignment and with the closing brace
 * of a body at every position of a 64-byte block), and the printer's
 * register-name table (names too long for a slot, registers printed
 * outside a function print). */
#include "ptx_test.h"

#include "ptx/ptx_int.h"

#define HDR ".version 9.0\n.target sm_90\n.address_size 64\n"
/* Items after a body: more than a vector block of text, so that the
 * block holding a body's closing '}' is scanned by the vector loop too. */
#define TAIL ".global .b8 pad0[64];\n.global .b8 pad1[64];\n.global .b8 pad2[64];\n" \
             ".global .b8 pad3[64];\n.global .b8 pad4[64];\n"

/* Index of text (copied to an offset `align` in a buffer of its own, so
 * that nothing past the end can be read unnoticed under ASan) with the
 * scanners of isa: a description of every item, or of the error. */
static char *index_desc(const char *text, size_t len, size_t align, int isa)
{
    char *buf = nt_xmalloc(len + align + 1);
    memcpy(buf + align, text, len);
    ptx_ix_force_isa(isa);
    ptx_index ix;
    nt_err e = {0};
    nt_sb d = {0};
    if (ptx_index_build(&ix, buf + align, len, "s.ptx", &e) < 0) {
        nt_sb_printf(&d, "error %s\n", e.msg);
    } else {
        for (size_t i = 0; i < ix.n; i++) {
            const ptx_ix_item *it = &ix.items[i];
            nt_sb_printf(&d, "%d %.*s %zu %zu line %u body %d entry %d\n", (int)it->kind,
                         (int)it->name.n, it->name.s, it->begin, it->end, it->line,
                         (int)it->has_body, (int)it->is_entry);
        }
        ptx_index_free(&ix);
    }
    ptx_ix_force_isa(-1);
    free(buf);
    return nt_sb_take(&d);
}

/* Every scanner gives the scalar scanner's answer, at every alignment. */
static void same_as_scalar(const char *text, size_t len)
{
    char *want = index_desc(text, len, 0, PTX_IX_ISA_SCALAR);
    for (int isa = PTX_IX_ISA_SSE2; isa <= ptx_ix_best_isa(); isa++)
        for (size_t a = 0; a < 64; a++) {
            char *got = index_desc(text, len, a, isa);
            if (strcmp(got, want))
                fail_msg("isa %d, alignment %zu:\n got:\n%s want:\n%s text:\n%s", isa, a, got, want, text);
            free(got);
        }
    free(want);
}

static void scanners_agree_on_bodies(void **state)
{
    (void)state;
    /* braces in vector operands, scopes, comments and strings; newlines
     * before and after each */
    const char *t = HDR
        ".global .align 4 .b8 tab[8] = {1, 2, 3, 4, 5, 6, 7, 8};\n"
        ".visible .entry k(.param .u64 p)\n{\n"
        "\t.reg .b32 %r<9>;\n\tmov.b64 {%r1, %r2}, 0;\n"
        "\t// a comment with a brace }\n"
        "\t{\n\t.reg .pred %q;\n\t/* } { */ mov.b32 %r3, 1;\n\t}\n"
        "\t{ { } }\n"
        "\tret;\n}\n"
        ".func (.reg .b32 x) f(.reg .b32 y) { ret; }\n"
        ".extern .func g();\n"
        ".global .u32 after;\n" TAIL;
    same_as_scalar(t, strlen(t));
    /* a long body with no stop at all, then one with only newlines */
    nt_sb b = {0};
    nt_sb_puts(&b, HDR ".entry big()\n{\n");
    for (int i = 0; i < 300; i++) nt_sb_puts(&b, "\tmov.b64 {%r1, %r2}, %rd3;\n");
    nt_sb_puts(&b, "}\n.entry next() { }\n" TAIL);
    same_as_scalar(b.s, b.len);
    nt_sb_free(&b);
}

/* The '}' closing a body at every position of a block, after every
 * count of open braces, with stops just before it. */
static void closing_brace_at_every_position(void **state)
{
    (void)state;
    static const char *const fill[] = {" ", "{}", "{ {} }", "\"}\"", "//}\n", "/*}*/", "\n"};
    for (size_t pad = 0; pad < 130; pad++)
        for (size_t f = 0; f < sizeof fill / sizeof *fill; f++) {
            nt_sb b = {0};
            nt_sb_puts(&b, HDR ".entry k()\n{");
            for (size_t i = 0; i < pad; i++) nt_sb_putc(&b, i % 17 == 16 ? '\n' : 'x');
            nt_sb_puts(&b, fill[f]);
            nt_sb_puts(&b, "}\n.entry j() {}\n" TAIL);
            same_as_scalar(b.s, b.len);
            nt_sb_free(&b);
        }
}

/* Random bodies (a fixed seed): pieces with braces, strings and comments
 * in any mix; every scanner agrees with the scalar one. */
static void random_bodies(void **state)
{
    (void)state;
    static const char *const piece[] = {
        "{", "}", "\n", "\tadd.s32 %r1, %r2, %r3;", "{%r1, %r2}", "// c { }\n",
        "/* { */", "\"{\\\"}\"", "          ", "x;", "/", "(", ")",
    };
    uint32_t seed = 12345;
    for (int round = 0; round < 60; round++) {
        nt_sb b = {0};
        nt_sb_puts(&b, HDR ".visible .entry k()\n{\n");
        int depth = 0;
        int n = 20 + round * 7;
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            size_t k = (seed >> 16) % (sizeof piece / sizeof *piece);
            if (k == 0) depth++;
            if (k == 1) { if (!depth) continue; depth--; }
            if (k == 10 && i + 1 < n) { nt_sb_puts(&b, "/ "); continue; }   /* a lone '/' */
            nt_sb_puts(&b, piece[k]);
        }
        while (depth--) nt_sb_putc(&b, '}');
        nt_sb_puts(&b, "\n}\n.global .u32 v;\n" TAIL);
        same_as_scalar(b.s, b.len);
        nt_sb_free(&b);
    }
}

/* Errors inside bodies are found (and worded) alike. */
static void scanners_agree_on_errors(void **state)
{
    (void)state;
    const char *const bad[] = {
        HDR ".entry k() { { }\n",                 /* body not closed */
        HDR ".entry k() { \"abc\n }\n",           /* unterminated string */
        HDR ".entry k() { /* never closed \n }\n",
        HDR ".entry k() { } }\n",                 /* stray '}' */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *d = index_desc(bad[i], strlen(bad[i]), 0, PTX_IX_ISA_SCALAR);
        assert_non_null(strstr(d, "error"));
        free(d);
        same_as_scalar(bad[i], strlen(bad[i]));
    }
}

/* Register names: 15 bytes fit the printer's table, longer ones are
 * printed the slow way; a set's elements, singles, guards and address
 * bases all print as written. */
static void print_register_names(void **state)
{
    (void)state;
    const char *t = HDR
        ".visible .entry k()\n{\n"
        "\t.reg .b32 %r<100>;\n"
        "\t.reg .b32 %abcdefghijklm<12>;\n"          /* "%abcdefghijklm11": 16 bytes */
        "\t.reg .b64 %abcdefghijk<12>;\n"            /* "%abcdefghijk11": 14 */
        "\t.reg .pred %p<3>;\n"
        "\t.reg .b32 %a_single_register_name_longer_than_a_slot;\n"
        "\t.reg .b64 %rd;\n"
        "\tadd.s32 %r99, %abcdefghijklm11, %abcdefghijklm3;\n"
        "\tadd.s32 %r98, %a_single_register_name_longer_than_a_slot, %r0;\n"
        "\t@!%p2 ld.global.u64 %abcdefghijk11, [%rd+8];\n"
        "\tmov.b64 %rd, %abcdefghijk11;\n"
        "\tret;\n}\n";
    ptx_module *m = parse_ok(t);
    assert_prints(m,
                  "\tadd.s32 %r99, %abcdefghijklm11, %abcdefghijklm3;\n",
                  "\tadd.s32 %r98, %a_single_register_name_longer_than_a_slot, %r0;\n",
                  "\t@!%p2 ld.global.u64 %abcdefghijk11, [%rd+8];\n",
                  "\tmov.b64 %rd, %abcdefghijk11;\n", NULL);
    /* one instruction on its own (no table) prints the same */
    ptx_func *fn = ptx_module_func(m, "k");
    ptx_instr *in = first_instr_in(&fn->body);
    nt_sb sb = {0};
    ptx_print_instr(fn, in, &sb);
    assert_string_equal(sb.s, "add.s32 %r99, %abcdefghijklm11, %abcdefghijklm3;");
    nt_sb_free(&sb);
    /* printing twice gives the same text (the table is per print) */
    char *a = print_str(m), *b = print_str(m);
    assert_string_equal(a, b);
    free(a);
    free(b);
    ptx_module_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scanners_agree_on_bodies),
        cmocka_unit_test(closing_brace_at_every_position),
        cmocka_unit_test(random_bodies),
        cmocka_unit_test(scanners_agree_on_errors),
        cmocka_unit_test(print_register_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
