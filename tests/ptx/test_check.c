/* Tests: ptx_check (ntrace ptx check's strict pass): unknown opcodes and
 * undeclared names are errors with file:line:col and what was expected,
 * while the parser (what the injector uses) still takes them. */
#include "ptx_test.h"

#define HDR ".version 9.0\n.target sm_90\n.address_size 64\n"

typedef struct msgs {
    nt_sb all;
    int n;
} msgs;

static void collect(void *ctx, const char *msg)
{
    msgs *m = ctx;
    nt_sb_printf(&m->all, "%s\n", msg);
    m->n++;
}

/* Parses text (which must parse) and returns ptx_check's messages. */
static char *check_msgs(const char *text, size_t *nerr)
{
    ptx_module *m = parse_ok(text);
    msgs c = {0};
    *nerr = ptx_check(m, collect, &c);
    assert_int_equal((size_t)c.n, *nerr);
    ptx_module_free(m);
    char *s = nt_sb_take(&c.all);
    return s ? s : nt_xstrdup("");
}

/* Every place a name may legally come from: module variables, functions
 * and aliases, parameters and return parameters, variables declared in
 * nested scopes, labels, .branchtargets/.calltargets lists, prototypes,
 * and the predefined WARP_SZ. */
static void clean_module_has_no_errors(void **state)
{
    const char *t = HDR
        ".global .align 8 .u32 g[4];\n"
        ".const .align 8 .u64 c;\n"
        ".visible .func (.reg .u32 r) f(.param .u32 a)\n{\n"
        "\tld.param.u32 r, [a];\n\tret;\n}\n"
        ".visible .func al_t()\n{\n\tret;\n}\n"
        ".alias al, al_t;\n"
        ".visible .entry k(.param .u64 p, .param .u32 n)\n{\n"
        "\t.reg .pred %p<2>;\n\t.reg .b32 %r<8>;\n\t.reg .b64 %rd<8>;\n"
        "\t.local .align 4 .b8 buf[16];\n"
        "\tld.param.u64 %rd1, [p];\n"
        "\tld.param.u32 %r1, [n+0];\n"
        "\tld.global.u32 %r2, [g+4];\n"
        "\tld.const.u64 %rd2, [c];\n"
        "\tmov.u64 %rd3, g+8;\n"
        "\tmov.u64 %rd4, buf;\n"
        "\tmov.u64 %rd5, f;\n"
        "\tmov.u32 %r3, WARP_SZ;\n"
        "\t{\n\t.shared .align 4 .b8 sh[64];\n\tst.shared.u32 [sh+4], %r1;\n\t}\n"
        "\tcall (%r4), f, (%r1);\n"
        "\tcall al, ();\n"
        "proto: .callprototype (.param .u32 _) _ (.param .u32 _);\n"
        "\tcall (%r5), %rd5, (%r1), proto;\n"
        "ts: .branchtargets L1, L2;\n"
        "\tbrx.idx %r1, ts;\n"
        "L1:\n\tbra L2;\n"
        "L2:\n\tret;\n}\n";
    size_t n;
    char *s = check_msgs(t, &n);
    if (n) fail_msg("unexpected errors:\n%s", s);
    free(s);
}

static void unknown_opcodes_and_names(void **state)
{
    const char *t = HDR
        ".global .u32 g;\n"
        ".entry k(.param .u64 p)\n{\n"
        "\t.reg .b32 %r<4>;\n\t.reg .b64 %rd<4>;\n"
        "\tld.global.u32 %r1, [nope+4];\n"                /* line 9 */
        "\tfrobnicate.sync.u32 %r2, %r1;\n"               /* line 10 */
        "\tmov.u64 %rd1, g+4;\n"
        "\tmov.u64 %rd2,\n\t\tmissing+8;\n"               /* lines 12-13 */
        "\tst.global.v2.u32 [%rd1], {%r1, gone};\n"       /* line 14 */
        "\tld.param.u64 %rd3, [q];\n"                     /* line 15 */
        "\tmov.u64 %rd3, g2;\n"                           /* line 16: g2 != g */
        "\tret;\n}\n";
    size_t n;
    char *s = check_msgs(t, &n);
    assert_int_equal(n, 6);
    assert_string_equal(s,
        "t.ptx:9:22: undeclared name 'nope' in address; expected a variable or parameter "
        "declared in the module or the function\n"
        "t.ptx:10:2: unknown instruction 'frobnicate.sync.u32' (opcode 'frobnicate'); expected "
        "an opcode of the PTX ISA (add, ld, mma, ...)\n"
        "t.ptx:13:3: undeclared name 'missing'; expected a variable, parameter, function or "
        "label declared in the module or the function\n"
        "t.ptx:14:33: undeclared name 'gone'; expected a variable, parameter, function or "
        "label declared in the module or the function\n"
        "t.ptx:15:22: undeclared name 'q' in address; expected a variable or parameter "
        "declared in the module or the function\n"
        "t.ptx:16:16: undeclared name 'g2'; expected a variable, parameter, function or "
        "label declared in the module or the function\n");
    free(s);
}

/* Names are per function: a parameter or local of one function is not
 * declared in another. */
static void names_are_per_function(void **state)
{
    const char *t = HDR
        ".func f(.param .u32 a)\n{\n\t.reg .b32 %r1;\n\t.local .b8 lb[4];\n"
        "\tld.param.u32 %r1, [a];\n\tret;\n}\n"
        ".entry k()\n{\n\t.reg .b32 %r1;\n\t.reg .b64 %rd1;\n"
        "\tld.param.u32 %r1, [a];\n"
        "\tmov.u64 %rd1, lb;\n\tret;\n}\n";
    size_t n;
    char *s = check_msgs(t, &n);
    assert_int_equal(n, 2);
    assert_non_null(strstr(s, "t.ptx:15:21: undeclared name 'a' in address"));
    assert_non_null(strstr(s, "t.ptx:16:16: undeclared name 'lb';"));
    free(s);
}

/* Instructions of one name share its text (ptx_iname): each error is
 * still reported at its own instruction's line and column. */
static void same_name_errors_at_their_own_place(void **state)
{
    const char *t = HDR
        ".entry k()\n{\n\t.reg .pred %p<2>;\n\t.reg .b32 %r<4>;\n"
        "\tld.global.u32 %r1, [nope];\n"                 /* line 8 */
        "\tfrobnicate.u32 %r1, %r0;\n"                   /* line 9 */
        "L1: frobnicate.u32 %r1, %r0;\n"                 /* line 10 */
        "\t@%p1 frobnicate.u32 %r1,\n\t\tnope2;\n"        /* lines 11-12 */
        "\tld.global.u32 %r2, [nope];\n"                 /* line 13 */
        "\tret;\n}\n";
    size_t n;
    char *s = check_msgs(t, &n);
    assert_int_equal(n, 6);
    assert_string_equal(s,
        "t.ptx:8:22: undeclared name 'nope' in address; expected a variable or parameter "
        "declared in the module or the function\n"
        "t.ptx:9:2: unknown instruction 'frobnicate.u32' (opcode 'frobnicate'); expected "
        "an opcode of the PTX ISA (add, ld, mma, ...)\n"
        "t.ptx:10:5: unknown instruction 'frobnicate.u32' (opcode 'frobnicate'); expected "
        "an opcode of the PTX ISA (add, ld, mma, ...)\n"
        "t.ptx:11:7: unknown instruction 'frobnicate.u32' (opcode 'frobnicate'); expected "
        "an opcode of the PTX ISA (add, ld, mma, ...)\n"
        "t.ptx:12:3: undeclared name 'nope2'; expected a variable, parameter, function or "
        "label declared in the module or the function\n"
        "t.ptx:13:22: undeclared name 'nope' in address; expected a variable or parameter "
        "declared in the module or the function\n");
    free(s);
}

/* What check rejects still parses, prints and slices: run-time paths
 * are not stricter than ptxas. */
static void parser_stays_lenient(void **state)
{
    const char *t = HDR
        ".entry k()\n{\n\t.reg .b32 %r<2>;\n"
        "\tfuture_op.x.u32 %r1, %r0;\n\tret;\n}\n";
    ptx_module *m = parse_ok(t);
    assert_int_equal(ptx_check(m, NULL, NULL), 1);
    char *out = print_str(m);
    assert_non_null(strstr(out, "\tfuture_op.x.u32 %r1, %r0;\n"));
    free(out);
    ptx_index ix;
    nt_err e = {0};
    assert_int_equal(ptx_index_build(&ix, t, strlen(t), "t", &e), 0);
    ptx_module *s = ptx_slice(&ix, "k", &e);
    assert_non_null(s);
    ptx_module_free(s);
    ptx_index_free(&ix);
    ptx_module_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_module_has_no_errors),
        cmocka_unit_test(unknown_opcodes_and_names),
        cmocka_unit_test(names_are_per_function),
        cmocka_unit_test(same_name_errors_at_their_own_place),
        cmocka_unit_test(parser_stays_lenient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
