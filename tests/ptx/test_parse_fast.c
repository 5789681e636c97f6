/* Tests: the body parser's fast paths give what the general code gives.
 * - ptx_lex_step (inline punctuation and register words) produces the
 *   same tokens, lines and errors as ptx_lex_next, on crafted and random
 *   text;
 * - ptx_regtab_find8 (one-word digit split, head compare) returns what
 *   ptx_regtab_find returns, for names near the end of the text too;
 * - the references the parser collects for ptx_slice (instructions with
 *   name operands, body variables with initializers, .calltargets, inside
 *   nested scopes) reach the same items as walking the parsed module. */
#include "ptx_test.h"

#include "ptx/ptx_int.h"

/* Every token of text [0, len) (copied alone into a buffer of its own, so
 * ASan sees any read past the end) with ptx_lex_step or ptx_lex_next, or
 * the error that stopped it. */
static char *tokens(const char *text, size_t len, bool fast)
{
    char *buf = nt_xmalloc(len ? len : 1);
    memcpy(buf, text, len);
    nt_sb d = {0};
    nt_err e = {0};
    jmp_buf jb;
    ptx_lex L;
    if (setjmp(jb)) {
        nt_sb_printf(&d, "error %s\n", e.msg);
    } else {
        ptx_lex_init(&L, buf, buf, buf + len, 1, "t.ptx", &e, &jb);
        while (L.t.k != T_EOF) {
            nt_sb_printf(&d, "%d %zu %u %u\n", L.t.k, (size_t)(L.t.s - buf), L.t.n, L.t.line);
            if (fast) ptx_lex_step(&L);
            else ptx_lex_next(&L);
        }
        nt_sb_printf(&d, "eof %zu %u\n", (size_t)(L.p - buf), L.t.line);
    }
    free(buf);
    return nt_sb_take(&d);
}

static void same_tokens(const char *text, size_t len)
{
    char *a = tokens(text, len, false), *b = tokens(text, len, true);
    if (strcmp(a, b) != 0) fail_msg("text \"%.*s\":\nnext:\n%s\nstep:\n%s", (int)len, text, a, b);
    free(a);
    free(b);
}

static void lex_step_matches_lex_next(void **state)
{
    (void)state;
    static const char *cases[] = {
        "add.s32 %r1, %r2, %r3;",
        "\t@%p1 bra $L__BB0_2;\n\tld.global.v2.u32 {%r1, %r2}, [%rd1+8];",
        "mov.u32 %r1, %tid.x; mov.u32 %r2, %ctaid.y;",
        "%r1::x %r2:: %r3: %r4:%r5",
        "%r1//c\n%r2/*c\n*/%r3 /%r4",
        "%r1\r\n%r2 \t %r3\n\n%r4",
        "%a$_9, %_, %, %%, %.x, %1",
        "=<>!@|+-,;[](){}#&*~?^\\`'",
        "%r1 \"s\" 12 0x1f -3 1.5e+3",
        "%r\x80 %r1\xff x",
        "%r1",          /* a word that reaches the end */
        "%r1 ",
        "%r1 /*",       /* unterminated comment after a register */
        "%r1 \"abc",    /* unterminated string */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) same_tokens(cases[i], strlen(cases[i]));
    /* random text over an alphabet of the interesting bytes (fixed seed) */
    static const char alpha[] = "%%%%rdp019_$.:,;[]{}()|+-!@<>= \t\t\r\n/*\"x\x80";
    uint32_t seed = 12345;
    char buf[64];
    for (int r = 0; r < 20000; r++) {
        size_t len = (size_t)(r % 63) + 1;
        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[k] = alpha[(seed >> 16) % (sizeof alpha - 1)];
        }
        same_tokens(buf, len);
    }
}

static void regtab_find8_matches_find(void **state)
{
    (void)state;
    /* declared outermost first; lookups see the innermost first */
    static const char *pnames[] = {"%r", "%rd", "%p", "%r1x", "%abcdefg", "%abcdefgh", "%r"};
    static const uint32_t counts[] = {100, 50, 8, 20, 30, 40, 10};
    static const char *singles[] = {"%temp", "%r5", "%rd7x", "%q12"};
    ptx_regtab rt = {0};
    ptx_regset sets[11];
    uint32_t base = 0, k = 0;
    for (size_t i = 0; i < 7; i++, k++) {
        sets[k] = (ptx_regset){.name = {pnames[i], (uint32_t)strlen(pnames[i])}, .count = counts[i], .base = base, .vec = 1};
        base += counts[i];
        ptx_regtab_add(&rt, &sets[k]);
    }
    for (size_t i = 0; i < 4; i++, k++) {
        sets[k] = (ptx_regset){.name = {singles[i], (uint32_t)strlen(singles[i])}, .base = base++, .vec = 1};
        ptx_regtab_add(&rt, &sets[k]);
    }
    static const char *names[] = {
        "%r0", "%r9", "%r10", "%r99", "%r100", "%r05", "%r5", "%rd0", "%rd49", "%rd50",
        "%p7", "%p8", "%r1x3", "%r1x19", "%r1x20", "%abcdefg1", "%abcdefg29", "%abcdefgh1",
        "%abcdefgh39", "%temp", "%rd7x", "%q12", "%q", "%r", "%", "%rd1234567", "%r12345678",
        "%r1234567890", "r5", "%x1", "%R1", "%r00", "%rd0x", "55",
    };
    char buf[64];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        uint32_t n = (uint32_t)strlen(names[i]);
        /* what follows the name in the text must not change the result */
        for (size_t room = 0; room <= 10; room++) {
            memset(buf, room & 1 ? '7' : ' ', sizeof buf);
            memcpy(buf, names[i], n);
            uint32_t want = ptx_regtab_find(&rt, buf, n);
            uint32_t got = ptx_regtab_find8(&rt, buf, n, buf + n + room);
            if (want != got) fail_msg("%s (room %zu): find %u, find8 %u", names[i], room, want, got);
        }
    }
    /* %r of the innermost set: %r5 is the single (declared later) only
     * when no prefix takes it; the inner %r<10> wins over the outer one */
    const char *r5 = "%r5      ", *r50 = "%r50     ";
    assert_int_equal(ptx_regtab_find8(&rt, r5, 3, r5 + 9), sets[6].base + 5);
    assert_int_equal(ptx_regtab_find8(&rt, r50, 4, r50 + 9), sets[0].base + 50);
    ptx_regtab_free(&rt);
}

/* The slice from the index (references collected while parsing) holds
 * exactly what the slice of the parsed module (references found by
 * walking it) holds. */
static void slice_collected_refs(void **state)
{
    (void)state;
    const char *t = ".version 9.0\n.target sm_90\n.address_size 64\n"
        ".global .u32 in_scope;\n"
        ".global .u32 in_vec;\n"
        ".global .u32 in_init;\n"
        ".global .u32 in_expr;\n"
        ".global .u32 unused_v;\n"
        ".func tgt1();\n.func tgt2();\n.func unused_f();\n"
        ".func tgt1()\n{\n\tret;\n}\n"
        ".func tgt2()\n{\n\tret;\n}\n"
        ".func unused_f()\n{\n\tret;\n}\n"
        ".entry k()\n{\n"
        "\t.reg .b64 %rd<4>;\n\t.reg .b32 %r<4>;\n\t.reg .pred %p<2>;\n"
        "\t.local .u64 lp = generic(in_init);\n"
        "$L__BB0_1:\n"
        "\t{\n\t.reg .b32 %t;\n\t{\n\tld.global.u32 %t, [in_scope];\n\t}\n\t}\n"
        "\tmov.u64 %rd1, in_expr+4;\n"
        "\tmov.b64 %rd2, {%r1, %r2};\n"
        "\ttex.1d.v4.s32.s32 {%r1, %r2, %r3, %r0}, [in_vec, {%r1}];\n"
        "ct: .calltargets tgt1, tgt2;\n"
        "\tcall (), %rd1, (), ct;\n"
        "\t@%p1 bra $L__BB0_1;\n"
        "\tret;\n}\n";
    ptx_index ix;
    nt_err e = {0};
    ptx_module *a = slice_ok(&ix, t, "k");
    ptx_module *full = parse_ok(t);
    ptx_module *b = ptx_slice_module(full, "k", &e);
    if (!b) fail_msg("%s", e.msg);
    char *pa = print_str(a), *pb = print_str(b);
    assert_string_equal(pa, pb);
    assert_null(strstr(pa, "unused"));
    for (const char *w = "in_scope\0in_vec\0in_init\0in_expr\0.func tgt1\n{\0.func tgt2\n{\0"; *w;
         w += strlen(w) + 1)
        if (!strstr(pa, w)) fail_msg("slice lacks %s:\n%s", w, pa);
    free(pa);
    free(pb);
    ptx_module_free(a);
    ptx_module_free(b);
    ptx_module_free(full);
    ptx_index_free(&ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lex_step_matches_lex_next),
        cmocka_unit_test(regtab_find8_matches_find),
        cmocka_unit_test(slice_collected_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
